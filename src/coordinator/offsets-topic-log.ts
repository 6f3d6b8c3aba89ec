import type { RecordBytes } from "./coordinator-record-codec.js";
import type { TransactionalProducer } from "./shard-state.js";

/**
 * What the group coordinator needs of the `__consumer_offsets` partitions; the broker implements it
 * on its partition logs (and tests on an in-memory fake).
 *
 * Contract:
 * - `append(partition, records)` writes the records as one batch (keys and values as given; a
 *   null value is a tombstone) to the partition this broker leads, and resolves with the offset of
 *   the last record once the batch is committed (the high watermark passed it, i.e. `acks=all`
 *   durability). It rejects with a `KafkaError` carrying the log's error code when the batch
 *   cannot be committed (NOT_LEADER_OR_FOLLOWER after losing leadership, NOT_ENOUGH_REPLICAS,
 *   REQUEST_TIMED_OUT, MESSAGE_TOO_LARGE, KAFKA_STORAGE_ERROR...). Batches appended to one
 *   partition are committed in the order `append` was called.
 *   With `transaction`, the batch is a transactional one of that producer (TxnOffsetCommit).
 * - `read(partition)` yields the partition's data records from its log start offset up to the high
 *   watermark as it stood when reading began, in offset order; a record of a transactional batch
 *   names its producer (`transactionalProducerId`), and each transaction marker comes as an entry
 *   of its own (`marker`), so that the loader applies the offsets of committed transactions only.
 */
export interface OffsetsTopicLog {
  append(
    partition: number,
    records: readonly RecordBytes[],
    transaction?: TransactionalProducer,
  ): Promise<bigint>;
  read(partition: number): AsyncIterable<RecordBytes>;
}
