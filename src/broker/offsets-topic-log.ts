import { assert, type Clock } from "../base/index.js";
import {
  CoordinatorError,
  type OffsetsTopicLog,
  type RecordBytes,
  type TransactionalProducer,
} from "../coordinator/index.js";
import {
  batchBaseOffset,
  batchIsControl,
  batchIsTransactional,
  batchProducerId,
  ControlRecordType,
  ErrorCode,
  encodeRecordBatch,
  iterateBatches,
  iterateRecords,
  KafkaError,
} from "../protocol/index.js";
import type { Partition } from "../replication/index.js";

/** Kafka's name of the group coordinator's topic. */
export const CONSUMER_OFFSETS_TOPIC = "__consumer_offsets";

const EMPTY = Buffer.alloc(0);

/** Reads of one partition load; a log this many reads long is beyond any `__consumer_offsets`. */
const LOAD_READS_MAX = 10_000_000;

export interface PartitionOffsetsTopicLogOptions {
  /** The local replica of `__consumer_offsets-<partition>`, or undefined if this broker has none. */
  readonly partition: (partition: number) => Partition | undefined;
  readonly clock: Clock;
  /** offsets.load.buffer.size: bytes read per step while loading. */
  readonly loadBufferBytes: number;
  /** The topic, for messages (default `__consumer_offsets`; also `__transaction_state`). */
  readonly topic?: string;
}

/**
 * The group coordinator's `OffsetsTopicLog` on this broker's `__consumer_offsets` partitions.
 *
 * - `append` writes the records as one uncompressed batch (CreateTime = now, no producer id) with
 *   `acks=all` semantics, and resolves once the high watermark is past it (every in-sync replica
 *   has it; with a single-node ISR the high watermark moves on append).
 * - `read` yields the data records from the log start offset to the high watermark taken when
 *   reading begins, skipping control batches, `offsets.load.buffer.size` bytes per log read, and
 *   yields the event loop between reads so that loading many partitions does not stall requests.
 */
export class PartitionOffsetsTopicLog implements OffsetsTopicLog {
  private readonly options: PartitionOffsetsTopicLogOptions;

  constructor(options: PartitionOffsetsTopicLogOptions) {
    this.options = options;
  }

  async append(
    partition: number,
    records: readonly RecordBytes[],
    transaction?: TransactionalProducer,
  ): Promise<bigint> {
    const replica = this.leader(partition);
    const batch = encodeRecordBatch({
      records: records.map((r) => ({ key: r.key, value: r.value })),
      baseTimestamp: BigInt(this.options.clock.nowMs()),
      // A TxnOffsetCommit's records: a transactional batch of the producer, without a sequence (as
      // Kafka's group coordinator writes them), closed by the transaction's marker.
      ...(transaction === undefined
        ? {}
        : {
            producerId: transaction.producerId,
            producerEpoch: transaction.producerEpoch,
            isTransactional: true,
          }),
    });
    // Brook's own encoding: origin "coordinator" skips the producer checks and the record walk,
    // as Kafka's group coordinator appends with AppendOrigin.COORDINATOR.
    const info = replica.appendRecordsToLeader(batch, -1, "coordinator");
    // Committed offsets and group state count once every in-sync replica has them (acks=all).
    await replica.whenCommitted(info.lastOffset);
    return info.lastOffset;
  }

  async *read(partition: number): AsyncIterable<RecordBytes> {
    const replica = this.leader(partition);
    // A new leader's high watermark may still be below records its log holds (and that were
    // committed under the previous leader) until its followers fetch: load only once everything
    // in its log at election is committed, so no committed offset is missing from the groups.
    const logEnd = replica.log.logEndOffset;
    if (replica.highWatermark < logEnd) await replica.whenCommitted(logEnd - 1n, 0);
    const endOffset = replica.highWatermark;
    let offset = replica.log.logStartOffset;
    for (let reads = 0; offset < endOffset; reads++) {
      assert(reads < LOAD_READS_MAX, () => `loading ${replica.log.name} did not end`);
      const result = replica.log.read({
        fetchOffset: offset,
        maxBytes: this.options.loadBufferBytes,
        maxOffset: endOffset,
        minOneMessage: true,
      });
      // Nothing left below the high watermark: compaction may have removed the last batches
      // (expired tombstones) of a rolled segment, leaving a gap up to the log end.
      if (result.nextOffset <= offset) break;
      for (const chunk of result.records) yield* dataRecords(chunk, replica);
      offset = result.nextOffset;
      // One read per turn of the event loop: loading many partitions never stalls requests.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  private leader(partition: number): Partition {
    const replica = this.options.partition(partition);
    if (replica === undefined || !replica.isLeader) {
      throw new KafkaError(
        ErrorCode.NOT_LEADER_OR_FOLLOWER,
        `this broker does not lead ${this.options.topic ?? CONSUMER_OFFSETS_TOPIC}-${partition}`,
      );
    }
    return replica;
  }
}

/** The records of the data batches in `chunk` (whole batches, as the log returns them). */
function* dataRecords(chunk: Buffer, replica: Partition): Generator<RecordBytes> {
  for (const { at } of iterateBatches(chunk)) {
    if (batchIsControl(chunk, at)) {
      for (const record of iterateRecords(chunk, at)) {
        const type = record.key !== null && record.key.length >= 4 ? record.key.readInt16BE(2) : -1;
        if (type === ControlRecordType.COMMIT || type === ControlRecordType.ABORT) {
          const marker = {
            producerId: batchProducerId(chunk, at),
            committed: type === ControlRecordType.COMMIT,
          };
          yield { key: EMPTY, value: null, marker };
        }
      }
      continue;
    }
    const transactional = batchIsTransactional(chunk, at) ? batchProducerId(chunk, at) : undefined;
    for (const record of iterateRecords(chunk, at)) {
      if (record.key === null) {
        throw new CoordinatorError(
          "BRK_ERR_COORDINATOR_CORRUPT_RECORD",
          `${replica.log.name}: a record without a key in the batch at offset ${batchBaseOffset(chunk, at)}`,
        );
      }
      yield transactional === undefined
        ? { key: record.key, value: record.value }
        : { key: record.key, value: record.value, transactionalProducerId: transactional };
    }
  }
}
