import { type Broker, ensureInternalTopic } from "../broker/index.js";
import { SCHEMAS_TOPIC } from "../metadata/index.js";
import {
  decodeRecordBatch,
  ErrorCode,
  encodeRecordBatch,
  iterateBatches,
  KafkaError,
} from "../protocol/index.js";
import { registryErrors, type SchemaLogBackend, type SchemaLogRecord } from "../registry/index.js";
import type { Partition } from "../replication/index.js";

export { SCHEMAS_TOPIC };

/** Bytes read from `_schemas` per step when the registry catches up. */
const READ_BYTES = 1024 * 1024;
/** Confluent's `kafkastore.topic.replication.factor` default: `_schemas` gets min(this, live brokers). */
export const SCHEMAS_REPLICATION_FACTOR = 3;

/**
 * The Schema Registry's store on the broker: the single partition of the compacted `_schemas`
 * topic, read and written in process. The records are the JSON keys and values Confluent's
 * registry writes, so the topic is readable by Confluent's tools and replicated like user data.
 *
 * - Reads come from this node's replica, leader or follower, up to its high watermark: every
 *   node with a replica serves the registry's reads from its own copy. A node without one reads
 *   nothing (its registry forwards reads, see SchemasLeadership).
 * - Writes are taken only on the leader of `_schemas`-0, and only once it is ready in its leader
 *   epoch: its high watermark has covered the log end it had when elected (as the group
 *   coordinator loads `__consumer_offsets`), so the registry, which replays the log before each
 *   write, assigns ids and versions from every committed record. `beforeWrite` checks that and
 *   pins the epoch; `append` refuses a write in any other epoch (the leadership moved and came
 *   back meanwhile, and the state may miss what another leader wrote). An append is acknowledged
 *   like an acks=all produce: once the high watermark has passed it. One whose commit is not seen
 *   (the leadership moved, min.insync.replicas) makes this node not ready until its high
 *   watermark covers its log end again, so no later write is built on a state that misses it.
 * - `_schemas` is created on the first write (`ensureTopic`), not at start: nodes of a cluster
 *   join one after another, and the first must not create it with a replication factor of 1.
 */
export class SchemasTopicBackend implements SchemaLogBackend {
  private readonly broker: Broker;
  /** The leader epoch in which this node takes writes; -1 when it takes none. */
  private readyEpoch = -1;
  /** The leader epoch whose log end this node is waiting to see committed; -1 when none. */
  private preparingEpoch = -1;
  /** The epoch `beforeWrite` found for the write running now. */
  private writeEpoch = -1;
  private readonly listeners = new Set<() => void>();
  private unsubscribe: (() => void) | null = null;

  constructor(broker: Broker) {
    this.broker = broker;
  }

  /** Follows the metadata: becomes ready to take writes whenever this node is elected leader. */
  start(): void {
    this.unsubscribe ??= this.broker.metadata.loader.onPublish(() => this.onImage());
    this.onImage();
  }

  close(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
    this.readyEpoch = -1;
    this.notify();
  }

  /** Calls `listener` whenever the metadata or this node's readiness changes. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** This node's replica of `_schemas`-0, leader or follower. */
  get replica(): Partition | undefined {
    return this.broker.replicaManager.get(SCHEMAS_TOPIC, 0);
  }

  /** This node leads `_schemas`-0, may act as leader, and is ready in the current epoch. */
  get takesWrites(): boolean {
    const replica = this.replica;
    return (
      replica?.isLeader === true &&
      replica.leaderEpoch === this.readyEpoch &&
      (this.broker.metadata.lifecycle?.isActive ?? false)
    );
  }

  /** Creates `_schemas` (1 partition, compacted) unless it exists. */
  async ensureTopic(): Promise<void> {
    const live = this.broker.image.liveBrokers().length;
    const replication = Math.max(1, Math.min(SCHEMAS_REPLICATION_FACTOR, live));
    const broker = this.broker.handlerContext;
    const { errorCode } = await ensureInternalTopic(broker, SCHEMAS_TOPIC, 1, replication, {
      "cleanup.policy": "compact",
    });
    if (errorCode !== ErrorCode.NONE) throw new KafkaError(errorCode, `cannot create ${SCHEMAS_TOPIC}`);
  }

  async beforeWrite(): Promise<void> {
    const replica = this.replica;
    if (replica === undefined || !this.takesWrites) {
      throw registryErrors.unknownLeader(
        `node ${this.broker.nodeId} does not take writes to ${SCHEMAS_TOPIC} now (it does not lead it, or is replaying it)`,
      );
    }
    this.writeEpoch = replica.leaderEpoch;
  }

  async append(key: Buffer, value: Buffer | null): Promise<bigint> {
    const replica = this.broker.replicaManager.leaderOrError(SCHEMAS_TOPIC, 0, true);
    if (replica.leaderEpoch !== this.writeEpoch || this.readyEpoch !== this.writeEpoch) {
      throw new KafkaError(
        ErrorCode.NOT_LEADER_OR_FOLLOWER,
        `the leadership of ${SCHEMAS_TOPIC}-0 changed during the write (epoch ${this.writeEpoch}, now ${replica.leaderEpoch})`,
      );
    }
    const batch = encodeRecordBatch({
      records: [{ key, value, timestamp: BigInt(this.broker.clock.nowMs()) }],
    });
    const info = replica.appendRecordsToLeader(batch, -1);
    try {
      // As an acks=all produce: the registry replays up to the high watermark before answering.
      await replica.whenCommitted(info.lastOffset);
    } catch (error) {
      // The record is in the log and may yet be committed: replay it before building on the state.
      if (this.readyEpoch === this.writeEpoch) this.readyEpoch = -1;
      this.onImage();
      throw error;
    }
    return info.firstOffset;
  }

  endOffset(): bigint {
    return this.replica?.highWatermark ?? 0n;
  }

  whenEndOffset(offset: bigint, timeoutMs: number): Promise<boolean> {
    return new Promise((resolve) => {
      let watched: Partition | undefined;
      let unwatch: (() => void) | null = null;
      const finish = (reached: boolean) => {
        clearTimeout(timer);
        unwatch?.();
        stopFollowing();
        resolve(reached);
      };
      const check = () => {
        const replica = this.replica;
        if (replica !== watched) {
          unwatch?.();
          watched = replica;
          unwatch = replica === undefined ? null : replica.onChange(check);
        }
        if (replica !== undefined && replica.highWatermark >= offset) finish(true);
      };
      const timer = setTimeout(() => finish(false), timeoutMs);
      const stopFollowing = this.onChange(check);
      check();
    });
  }

  async read(fromOffset: bigint, maxRecords: number): Promise<SchemaLogRecord[]> {
    const replica = this.replica;
    if (replica === undefined) return [];
    const out: SchemaLogRecord[] = [];
    const end = replica.highWatermark;
    let offset = fromOffset < replica.log.logStartOffset ? replica.log.logStartOffset : fromOffset;
    while (out.length < maxRecords && offset < end) {
      // minOneMessage: a batch larger than READ_BYTES (a schema may be up to 8 MiB) is read whole.
      const read = replica.log.read({
        fetchOffset: offset,
        maxBytes: READ_BYTES,
        maxOffset: end,
        minOneMessage: true,
      });
      if (read.records.length === 0) break;
      for (const chunk of read.records) {
        for (const { at } of iterateBatches(chunk)) {
          for (const record of decodeRecordBatch(chunk, at).records) {
            if (record.offset < offset || out.length >= maxRecords || record.key === null) continue;
            out.push({
              offset: record.offset,
              key: Buffer.from(record.key),
              value: record.value === null ? null : Buffer.from(record.value),
            });
          }
        }
      }
      const last = out[out.length - 1];
      offset = out.length >= maxRecords && last !== undefined ? last.offset + 1n : read.nextOffset;
    }
    return out;
  }

  /** On every new image: prepares to take writes when this node was elected leader. */
  private onImage(): void {
    const replica = this.replica;
    if (
      this.unsubscribe !== null &&
      replica?.isLeader === true &&
      replica.leaderEpoch !== this.readyEpoch &&
      replica.leaderEpoch !== this.preparingEpoch
    ) {
      void this.prepare(replica, replica.leaderEpoch);
    }
    this.notify();
  }

  /** Ready in `epoch` once the high watermark covers the log end this leader had when elected. */
  private async prepare(replica: Partition, epoch: number): Promise<void> {
    this.preparingEpoch = epoch;
    try {
      const logEnd = replica.log.logEndOffset;
      if (replica.highWatermark < logEnd) await replica.whenCommitted(logEnd - 1n, 0);
      if (this.replica === replica && replica.isLeader && replica.leaderEpoch === epoch)
        this.readyEpoch = epoch;
    } catch {
      // It stopped leading first: the next image says who does.
    } finally {
      if (this.preparingEpoch === epoch) this.preparingEpoch = -1;
      this.notify();
    }
  }

  private notify(): void {
    for (const listener of [...this.listeners]) listener();
  }
}
