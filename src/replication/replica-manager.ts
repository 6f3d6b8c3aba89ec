import { describeError, type Logger, systemClock } from "../base/index.js";
import { ErrorCode, KafkaError, type Uuid } from "../protocol/index.js";
import type { LogConfig, LogManager, ProducerStateOptions } from "../storage/index.js";
import { Partition, type PartitionState } from "./partition.js";

/** The slice of the metadata image the replica manager needs (kept narrow to stay below metadata). */
export interface ReplicaAssignment {
  topic: string;
  topicId: Uuid;
  partitionIndex: number;
  state: PartitionState;
}

const key = (topic: string, partition: number) => `${topic}\u0000${partition}`;

/**
 * The partitions this broker hosts, kept in step with the metadata image: a partition whose
 * replicas include this broker gets a log and a Partition; one that leaves (topic deleted) has
 * its log deleted. Produce, Fetch and the coordinators find partitions here.
 */
export class ReplicaManager {
  private readonly partitions = new Map<string, Partition>();
  private readonly logManager: LogManager;
  private readonly localBrokerId: number;
  private readonly log: Logger;
  private readonly producerState: ProducerStateOptions;

  constructor(options: {
    logManager: LogManager;
    localBrokerId: number;
    log: Logger;
    /** Idempotent-producer settings of every partition (default: 1 day expiry, the system clock). */
    producerState?: ProducerStateOptions;
  }) {
    this.logManager = options.logManager;
    this.localBrokerId = options.localBrokerId;
    this.log = options.log;
    this.producerState = options.producerState ?? {
      producerIdExpirationMs: 86_400_000,
      clock: systemClock,
      onError: (error, context) => this.log.error(`producer state ${context}: ${describeError(error)}`),
    };
  }

  get size(): number {
    return this.partitions.size;
  }

  all(): IterableIterator<Partition> {
    return this.partitions.values();
  }

  get(topic: string, partition: number): Partition | undefined {
    return this.partitions.get(key(topic, partition));
  }

  /**
   * The partition if this broker leads it; else the error Kafka returns for it: a partition the
   * cluster has (`partitionKnown`) but this broker does not host is NOT_LEADER_OR_FOLLOWER, one it
   * does not have (an unknown topic, or an index past the topic's partitions) is
   * UNKNOWN_TOPIC_OR_PARTITION.
   */
  leaderOrError(topic: string, partition: number, partitionKnown: boolean): Partition {
    const p = this.partitions.get(key(topic, partition));
    if (p === undefined)
      throw new KafkaError(
        partitionKnown ? ErrorCode.NOT_LEADER_OR_FOLLOWER : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
      );
    if (!p.isLeader) throw new KafkaError(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    return p;
  }

  /**
   * Makes the hosted partitions match `assignments` (every partition in the image):
   * creates the local replicas that are new, updates the others, removes the ones that are gone.
   */
  apply(assignments: Iterable<ReplicaAssignment>, configFor: (topic: string) => LogConfig): void {
    const wanted = new Set<string>();
    for (const a of assignments) {
      if (!a.state.replicas.includes(this.localBrokerId)) continue;
      const k = key(a.topic, a.partitionIndex);
      wanted.add(k);
      const existing = this.partitions.get(k);
      if (existing !== undefined && existing.topicId === a.topicId) {
        existing.update(a.state);
        continue;
      }
      if (existing !== undefined) this.remove(k, existing);
      try {
        const log = this.logManager.getOrCreateLog(
          { topic: a.topic, partition: a.partitionIndex },
          configFor(a.topic),
          a.topicId,
        );
        this.partitions.set(
          k,
          new Partition({
            topic: a.topic,
            partitionIndex: a.partitionIndex,
            topicId: a.topicId,
            log,
            localBrokerId: this.localBrokerId,
            state: a.state,
            producerState: this.producerState,
          }),
        );
      } catch (error) {
        this.log.error(`cannot open log for ${a.topic}-${a.partitionIndex}: ${describeError(error)}`);
      }
    }
    for (const [k, p] of this.partitions) if (!wanted.has(k)) this.remove(k, p);
  }

  /** Forgets idle idempotent producers in every partition (producer.id.expiration.ms). */
  removeExpiredProducers(nowMs: number): number {
    let removed = 0;
    for (const p of this.partitions.values()) removed += p.producerState.removeExpiredProducers(nowMs);
    return removed;
  }

  /** Writes every partition's producer-state snapshot (clean shutdown, before the logs close). */
  takeProducerSnapshots(): void {
    for (const p of this.partitions.values()) {
      if (p.log.isOffline) continue;
      try {
        p.producerState.takeSnapshot(true);
      } catch (error) {
        this.log.error(`producer snapshot of ${p.topic}-${p.partitionIndex}: ${describeError(error)}`);
      }
    }
  }

  /** Applies a topic's new config to its logs (AlterConfigs). */
  updateConfig(topic: string, config: LogConfig): void {
    for (const p of this.partitions.values()) if (p.topic === topic) p.log.updateConfig(config);
  }

  private remove(k: string, p: Partition): void {
    this.partitions.delete(k);
    this.logManager.deleteLog({ topic: p.topic, partition: p.partitionIndex });
    this.log.info(`deleted log ${p.topic}-${p.partitionIndex}`);
  }
}
