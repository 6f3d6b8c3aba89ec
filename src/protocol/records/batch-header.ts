import { crc32c } from "./crc32c.js";

/**
 * Field access on a record batch (magic 2) straight from its bytes, without decoding records.
 *
 * On-disk and wire layout (big-endian), offsets from the start of the batch:
 *   0 baseOffset int64 | 8 batchLength int32 | 12 partitionLeaderEpoch int32 | 16 magic int8
 *   17 crc uint32 | 21 attributes int16 | 23 lastOffsetDelta int32 | 27 baseTimestamp int64
 *   35 maxTimestamp int64 | 43 producerId int64 | 51 producerEpoch int16 | 53 baseSequence int32
 *   57 recordsCount int32 | 61 records...
 * batchLength counts the bytes after the batchLength field, so a batch occupies batchLength + 12
 * bytes. The CRC covers attributes to the end: baseOffset, batchLength and partitionLeaderEpoch can
 * be rewritten in place without recomputing it, which is what the produce path does.
 */
export const BATCH_OFFSET_BASE_OFFSET = 0;
export const BATCH_OFFSET_LENGTH = 8;
export const BATCH_OFFSET_PARTITION_LEADER_EPOCH = 12;
export const BATCH_OFFSET_MAGIC = 16;
export const BATCH_OFFSET_CRC = 17;
export const BATCH_OFFSET_ATTRIBUTES = 21;
export const BATCH_OFFSET_LAST_OFFSET_DELTA = 23;
export const BATCH_OFFSET_BASE_TIMESTAMP = 27;
export const BATCH_OFFSET_MAX_TIMESTAMP = 35;
export const BATCH_OFFSET_PRODUCER_ID = 43;
export const BATCH_OFFSET_PRODUCER_EPOCH = 51;
export const BATCH_OFFSET_BASE_SEQUENCE = 53;
export const BATCH_OFFSET_RECORDS_COUNT = 57;
/** Size of the v2 batch header; records start here. */
export const BATCH_HEADER_BYTES = 61;
/** baseOffset + batchLength: the prefix common to every magic, enough to find the next batch. */
export const LOG_OVERHEAD_BYTES = 12;
/** The smallest header that still tells the magic byte (magic 0/1 entries are shorter than v2). */
export const BATCH_MAGIC_PREFIX_BYTES = 17;

export const ATTRIBUTE_COMPRESSION_MASK = 0x07;
export const ATTRIBUTE_TIMESTAMP_TYPE_LOG_APPEND = 0x08;
export const ATTRIBUTE_TRANSACTIONAL = 0x10;
export const ATTRIBUTE_CONTROL = 0x20;
export const ATTRIBUTE_DELETE_HORIZON = 0x40;

export const NO_PRODUCER_ID = -1n;
export const NO_PRODUCER_EPOCH = -1;
export const NO_SEQUENCE = -1;
export const NO_PARTITION_LEADER_EPOCH = -1;

/** Kafka's compression type ids, as in the low three bits of the attributes. */
export const CompressionType = { none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 } as const;
export type CompressionType = (typeof CompressionType)[keyof typeof CompressionType];

export const batchBaseOffset = (b: Buffer, at = 0): bigint => b.readBigInt64BE(at + BATCH_OFFSET_BASE_OFFSET);
export const batchLength = (b: Buffer, at = 0): number => b.readInt32BE(at + BATCH_OFFSET_LENGTH);
/** Total bytes the batch occupies, header included. */
export const batchSizeBytes = (b: Buffer, at = 0): number =>
  b.readInt32BE(at + BATCH_OFFSET_LENGTH) + LOG_OVERHEAD_BYTES;
export const batchPartitionLeaderEpoch = (b: Buffer, at = 0): number =>
  b.readInt32BE(at + BATCH_OFFSET_PARTITION_LEADER_EPOCH);
export const batchMagic = (b: Buffer, at = 0): number => b.readInt8(at + BATCH_OFFSET_MAGIC);
export const batchCrc = (b: Buffer, at = 0): number => b.readUInt32BE(at + BATCH_OFFSET_CRC);
export const batchAttributes = (b: Buffer, at = 0): number => b.readInt16BE(at + BATCH_OFFSET_ATTRIBUTES);
export const batchLastOffsetDelta = (b: Buffer, at = 0): number =>
  b.readInt32BE(at + BATCH_OFFSET_LAST_OFFSET_DELTA);
export const batchBaseTimestamp = (b: Buffer, at = 0): bigint =>
  b.readBigInt64BE(at + BATCH_OFFSET_BASE_TIMESTAMP);
export const batchMaxTimestamp = (b: Buffer, at = 0): bigint =>
  b.readBigInt64BE(at + BATCH_OFFSET_MAX_TIMESTAMP);
export const batchProducerId = (b: Buffer, at = 0): bigint => b.readBigInt64BE(at + BATCH_OFFSET_PRODUCER_ID);
export const batchProducerEpoch = (b: Buffer, at = 0): number =>
  b.readInt16BE(at + BATCH_OFFSET_PRODUCER_EPOCH);
export const batchBaseSequence = (b: Buffer, at = 0): number =>
  b.readInt32BE(at + BATCH_OFFSET_BASE_SEQUENCE);
export const batchRecordsCount = (b: Buffer, at = 0): number =>
  b.readInt32BE(at + BATCH_OFFSET_RECORDS_COUNT);
export const batchLastOffset = (b: Buffer, at = 0): bigint =>
  batchBaseOffset(b, at) + BigInt(batchLastOffsetDelta(b, at));
export const batchCompression = (b: Buffer, at = 0): number =>
  batchAttributes(b, at) & ATTRIBUTE_COMPRESSION_MASK;
export const batchIsTransactional = (b: Buffer, at = 0): boolean =>
  (batchAttributes(b, at) & ATTRIBUTE_TRANSACTIONAL) !== 0;
export const batchIsControl = (b: Buffer, at = 0): boolean =>
  (batchAttributes(b, at) & ATTRIBUTE_CONTROL) !== 0;
export const batchHasLogAppendTime = (b: Buffer, at = 0): boolean =>
  (batchAttributes(b, at) & ATTRIBUTE_TIMESTAMP_TYPE_LOG_APPEND) !== 0;

/** Recomputes the CRC over attributes..end of the batch at `at` (its length read from the header). */
export function batchComputeCrc(b: Buffer, at = 0): number {
  const end = at + batchSizeBytes(b, at);
  return crc32c(b.subarray(at + BATCH_OFFSET_ATTRIBUTES, end));
}

export function batchCrcIsValid(b: Buffer, at = 0): boolean {
  return batchComputeCrc(b, at) === batchCrc(b, at);
}

/** Rewrites the base offset in place; the CRC does not cover it. */
export function batchSetBaseOffset(b: Buffer, baseOffset: bigint, at = 0): void {
  b.writeBigInt64BE(baseOffset, at + BATCH_OFFSET_BASE_OFFSET);
}

/** Rewrites the partition leader epoch in place; the CRC does not cover it. */
export function batchSetPartitionLeaderEpoch(b: Buffer, epoch: number, at = 0): void {
  b.writeInt32BE(epoch, at + BATCH_OFFSET_PARTITION_LEADER_EPOCH);
}

/**
 * Stamps LogAppendTime: sets the timestamp-type attribute bit and maxTimestamp, then recomputes
 * the CRC (both fields are covered by it), as Kafka does for topics with
 * `message.timestamp.type=LogAppendTime`.
 */
export function batchSetLogAppendTime(b: Buffer, timestampMs: bigint, at = 0): void {
  const attributes = batchAttributes(b, at) | ATTRIBUTE_TIMESTAMP_TYPE_LOG_APPEND;
  b.writeInt16BE(attributes, at + BATCH_OFFSET_ATTRIBUTES);
  b.writeBigInt64BE(timestampMs, at + BATCH_OFFSET_MAX_TIMESTAMP);
  b.writeUInt32BE(batchComputeCrc(b, at), at + BATCH_OFFSET_CRC);
}

/** Rewrites the CRC field after a change to covered fields (compaction's delete horizon, for one). */
export function batchUpdateCrc(b: Buffer, at = 0): void {
  b.writeUInt32BE(batchComputeCrc(b, at), at + BATCH_OFFSET_CRC);
}
