import {
  ATTRIBUTE_CONTROL,
  ATTRIBUTE_TIMESTAMP_TYPE_LOG_APPEND,
  BATCH_HEADER_BYTES,
  BATCH_MAGIC_PREFIX_BYTES,
  BATCH_OFFSET_PRODUCER_ID,
  batchAttributes,
  batchBaseOffset,
  batchBaseSequence,
  batchBaseTimestamp,
  batchCrcIsValid,
  batchLastOffsetDelta,
  batchMagic,
  batchRecordsCount,
  batchSizeBytes,
  CompressionError,
  CorruptRecordError,
  ErrorCode,
  iterateRecords,
  KafkaError,
  LOG_OVERHEAD_BYTES,
} from "../protocol/index.js";
import { batchMaxTimestampNumber } from "./batch-offsets.js";
import { isCompacted, LONG_MAX, type LogConfig, segmentSize } from "./log-config.js";

/**
 * Validation of an append from batch headers only: no record is decoded and nothing is
 * decompressed. Every check that fails throws the KafkaError Kafka answers with, before anything is
 * written, so a refused append leaves the log unchanged.
 *
 * Records are decoded only where Kafka's rules need them: keys on compacted topics (a record
 * without one is refused) and timestamps when message.timestamp.before.max.ms is set (the header
 * holds the largest timestamp, not the smallest). Otherwise we trust the header's maxTimestamp,
 * checked against message.timestamp.after.max.ms, where Kafka walks every record and recomputes
 * it; real clients write it correctly.
 */
export type AppendOrigin = "client" | "coordinator" | "replication";

/** The smallest valid batchLength: a v2 header without records. */
const BATCH_LENGTH_MIN = BATCH_HEADER_BYTES - LOG_OVERHEAD_BYTES;
const CURRENT_MAGIC = 2;

export interface ValidatedAppend {
  batchCount: number;
  recordCount: number;
  /** Offsets the batches span: the sum of lastOffsetDelta + 1. */
  offsetCount: number;
  sizeBytes: number;
  /** Largest header maxTimestamp, -1 when no batch has a timestamp. */
  maxTimestamp: number;
  /** As the batches carry them: meaningful for follower appends only. */
  firstOffset: bigint;
  lastOffset: bigint;
}

const corrupt = (message: string) => new KafkaError(ErrorCode.CORRUPT_MESSAGE, message);
const invalidRecord = (message: string) => new KafkaError(ErrorCode.INVALID_RECORD, message);

/** Checks framing, magic and CRC of the batch at `at`; returns its size in bytes. */
export function validateBatchFrame(records: Buffer, at: number): number {
  const remaining = records.length - at;
  if (remaining < LOG_OVERHEAD_BYTES) throw corrupt(`truncated batch: ${remaining} trailing bytes`);
  const size = batchSizeBytes(records, at);
  // Magic 0 and 1 entries share the 12-byte prefix but are shorter: tell them apart first.
  const magic = remaining >= BATCH_MAGIC_PREFIX_BYTES ? batchMagic(records, at) : -1;
  if (magic === 0 || magic === 1) {
    throw new KafkaError(
      ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT,
      `message format v${magic} is not supported`,
    );
  }
  if (size - LOG_OVERHEAD_BYTES < BATCH_LENGTH_MIN) throw corrupt(`batch length ${size - 12} below minimum`);
  if (size > remaining) throw corrupt(`batch of ${size} bytes but only ${remaining} remain`);
  if (magic !== CURRENT_MAGIC) throw corrupt(`invalid magic ${magic}`);
  if (!batchCrcIsValid(records, at)) throw corrupt("record batch fails its CRC32C check");
  return size;
}

function validateClientBatch(records: Buffer, at: number): void {
  // Offsets, sequence and producer id are read as int32 halves: cheaper than int64 reads.
  if (records.readInt32BE(at) !== 0 || records.readInt32BE(at + 4) !== 0) {
    throw invalidRecord(
      `the baseOffset of a produced record batch should be 0, but it is ${batchBaseOffset(records, at)}`,
    );
  }
  const count = batchRecordsCount(records, at);
  const lastOffsetDelta = batchLastOffsetDelta(records, at);
  if (lastOffsetDelta < 0)
    throw invalidRecord(`batch has an invalid offset range: lastOffsetDelta ${lastOffsetDelta}`);
  if (count <= 0) throw invalidRecord(`invalid reported count for record batch: ${count}`);
  if (count !== lastOffsetDelta + 1) {
    throw invalidRecord(
      `inconsistent batch offset range: lastOffsetDelta ${lastOffsetDelta} and count of records ${count}`,
    );
  }
  const attributes = batchAttributes(records, at);
  if ((attributes & ATTRIBUTE_CONTROL) !== 0)
    throw invalidRecord("clients are not allowed to write control records");
  const hasProducerId = records.readInt32BE(at + BATCH_OFFSET_PRODUCER_ID) >= 0;
  if (hasProducerId && batchBaseSequence(records, at) < 0) {
    throw invalidRecord(
      `invalid sequence number ${batchBaseSequence(records, at)} in a batch with a producer id`,
    );
  }
  if ((attributes & ATTRIBUTE_TIMESTAMP_TYPE_LOG_APPEND) !== 0) {
    throw new KafkaError(
      ErrorCode.INVALID_TIMESTAMP,
      "producer should not set timestamp type to LogAppendTime",
    );
  }
}

function validateTimestamps(records: Buffer, at: number, config: LogConfig, nowMs: number): void {
  const after = config.messageTimestampAfterMaxMs;
  const before = config.messageTimestampBeforeMaxMs;
  if (config.messageTimestampType !== "CreateTime" || (after >= LONG_MAX && before >= LONG_MAX)) return;
  const maxTs = batchMaxTimestampNumber(records, at);
  const baseTs = Number(batchBaseTimestamp(records, at));
  const tooNew = maxTs !== -1 && maxTs - nowMs > after;
  const tooOld = baseTs !== -1 && nowMs - baseTs > before;
  if (tooNew || tooOld) {
    throw new KafkaError(
      ErrorCode.INVALID_TIMESTAMP,
      `timestamp ${tooNew ? maxTs : baseTs} is out of range: it should be within [${nowMs - before}, ${nowMs + after}]`,
    );
  }
}

const timestampsNeedRecords = (config: LogConfig): boolean =>
  config.messageTimestampType === "CreateTime" && config.messageTimestampBeforeMaxMs < LONG_MAX;

/** Largest payload a produced batch may decompress to while its records are checked. */
const VALIDATION_DECOMPRESSED_BYTES_MAX = 64 * 1024 * 1024;

/** The per-record rules: keys on compacted topics, every timestamp within the before bound. */
function validateRecords(records: Buffer, config: LogConfig, nowMs: number): void {
  const compacted = isCompacted(config);
  const checkTimestamps = timestampsNeedRecords(config);
  for (let at = 0; at < records.length; at += batchSizeBytes(records, at)) {
    try {
      for (const record of iterateRecords(records, at, {
        verifyCrc: false,
        decompressedBytesMax: VALIDATION_DECOMPRESSED_BYTES_MAX,
      })) {
        if (compacted && record.key === null)
          throw invalidRecord("compacted topic cannot accept message without key");
        if (
          checkTimestamps &&
          record.timestamp !== -1n &&
          nowMs - Number(record.timestamp) > config.messageTimestampBeforeMaxMs
        ) {
          throw new KafkaError(
            ErrorCode.INVALID_TIMESTAMP,
            `timestamp ${record.timestamp} of message with offset ${record.offset} is out of range: earlier than ${nowMs - config.messageTimestampBeforeMaxMs}`,
          );
        }
      }
    } catch (e) {
      if (e instanceof CorruptRecordError || e instanceof CompressionError)
        throw new KafkaError(e.errorCode, e.message);
      throw e;
    }
  }
}

/** Validates a leader append (produce, or a coordinator's write) from the batch headers. */
export function validateLeaderAppend(
  records: Buffer,
  config: LogConfig,
  nowMs: number,
  origin: AppendOrigin,
): ValidatedAppend {
  const result: ValidatedAppend = {
    batchCount: 0,
    recordCount: 0,
    offsetCount: 0,
    sizeBytes: records.length,
    maxTimestamp: -1,
    firstOffset: -1n,
    lastOffset: -1n,
  };
  for (let at = 0; at < records.length; ) {
    const size = validateBatchFrame(records, at);
    if (size > config.maxMessageBytes) {
      throw new KafkaError(
        ErrorCode.MESSAGE_TOO_LARGE,
        `the record batch is ${size} bytes, larger than max.message.bytes (${config.maxMessageBytes})`,
      );
    }
    if (origin === "client") validateClientBatch(records, at);
    else if (batchLastOffsetDelta(records, at) < 0)
      throw invalidRecord("batch has a negative lastOffsetDelta");
    validateTimestamps(records, at, config, nowMs);
    const maxTs = batchMaxTimestampNumber(records, at);
    if (maxTs > result.maxTimestamp) result.maxTimestamp = maxTs;
    result.recordCount += batchRecordsCount(records, at);
    result.offsetCount += batchLastOffsetDelta(records, at) + 1;
    result.batchCount++;
    at += size;
  }
  if (origin === "client" && (isCompacted(config) || timestampsNeedRecords(config))) {
    validateRecords(records, config, nowMs);
  }
  if (origin === "client" && result.batchCount > 1) {
    throw invalidRecord("a produce request holds one record batch per partition (magic 2)");
  }
  if (records.length > segmentSize(config)) {
    throw new KafkaError(
      ErrorCode.RECORD_LIST_TOO_LARGE,
      `message batch of ${records.length} bytes exceeds the segment size (${segmentSize(config)})`,
    );
  }
  return result;
}

/**
 * Validates a follower append: the leader's batches with their offsets, which must increase and
 * start at or after `logEndOffset`. The CRC is still checked: replication never stores bytes it
 * has not verified.
 */
export function validateFollowerAppend(records: Buffer, logEndOffset: bigint): ValidatedAppend {
  const result: ValidatedAppend = {
    batchCount: 0,
    recordCount: 0,
    offsetCount: 0,
    sizeBytes: records.length,
    maxTimestamp: -1,
    firstOffset: -1n,
    lastOffset: -1n,
  };
  let expectedAtLeast = logEndOffset;
  for (let at = 0; at < records.length; ) {
    const size = validateBatchFrame(records, at);
    const base = batchBaseOffset(records, at);
    const delta = batchLastOffsetDelta(records, at);
    if (delta < 0) throw corrupt(`batch at offset ${base} has a negative lastOffsetDelta`);
    if (base < expectedAtLeast) {
      throw corrupt(`out of order offsets: batch at ${base} where at least ${expectedAtLeast} was expected`);
    }
    if (result.batchCount === 0) result.firstOffset = base;
    result.lastOffset = base + BigInt(delta);
    expectedAtLeast = result.lastOffset + 1n;
    const maxTs = batchMaxTimestampNumber(records, at);
    if (maxTs > result.maxTimestamp) result.maxTimestamp = maxTs;
    result.recordCount += batchRecordsCount(records, at);
    result.batchCount++;
    at += size;
  }
  return result;
}
