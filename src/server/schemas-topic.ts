import { type Broker, ensureInternalTopic } from "../broker/index.js";
import {
  decodeRecordBatch,
  ErrorCode,
  encodeRecordBatch,
  iterateBatches,
  KafkaError,
} from "../protocol/index.js";
import type { SchemaLogBackend, SchemaLogRecord } from "../registry/index.js";

export const SCHEMAS_TOPIC = "_schemas";
/** Bytes read from `_schemas` per step when the registry catches up. */
const READ_BYTES = 1024 * 1024;

/**
 * The Schema Registry's store on the broker: the single partition of the compacted `_schemas`
 * topic, written and read in process. The records are the JSON keys and values Confluent's
 * registry writes, so the topic is readable by Confluent's tools and replicated like user data.
 * An append is acknowledged like an acks=all produce: once the high watermark has passed it.
 */
export class SchemasTopicBackend implements SchemaLogBackend {
  private readonly broker: Broker;

  constructor(broker: Broker) {
    this.broker = broker;
  }

  /** Creates `_schemas` (1 partition, compacted) unless it exists. */
  async ensureTopic(): Promise<void> {
    const replication = Math.max(1, Math.min(3, this.broker.image.liveBrokers().length));
    const broker = this.broker.handlerContext;
    const { errorCode } = await ensureInternalTopic(broker, SCHEMAS_TOPIC, 1, replication, {
      "cleanup.policy": "compact",
    });
    if (errorCode !== ErrorCode.NONE) throw new KafkaError(errorCode, `cannot create ${SCHEMAS_TOPIC}`);
  }

  private partition() {
    return this.broker.replicaManager.leaderOrError(
      SCHEMAS_TOPIC,
      0,
      this.broker.image.partition(SCHEMAS_TOPIC, 0) !== undefined,
    );
  }

  async append(key: Buffer, value: Buffer | null): Promise<bigint> {
    const batch = encodeRecordBatch({
      records: [{ key, value, timestamp: BigInt(this.broker.clock.nowMs()) }],
    });
    const partition = this.partition();
    const info = partition.appendRecordsToLeader(batch, -1);
    // As an acks=all produce: the registry replays up to the high watermark before answering.
    await partition.whenCommitted(info.lastOffset);
    return info.firstOffset;
  }

  async read(fromOffset: bigint, maxRecords: number): Promise<SchemaLogRecord[]> {
    const partition = this.partition();
    const out: SchemaLogRecord[] = [];
    let offset = fromOffset < partition.log.logStartOffset ? partition.log.logStartOffset : fromOffset;
    while (out.length < maxRecords && offset < partition.highWatermark) {
      const read = partition.log.read({
        fetchOffset: offset,
        maxBytes: READ_BYTES,
        maxOffset: partition.highWatermark,
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
}
