import {
  ATTRIBUTE_CONTROL,
  ATTRIBUTE_TIMESTAMP_TYPE_LOG_APPEND,
  BATCH_HEADER_BYTES,
  BATCH_MAGIC_PREFIX_BYTES,
  BATCH_OFFSET_MAX_TIMESTAMP,
  BATCH_OFFSET_PRODUCER_ID,
  batchAttributes,
  batchBaseOffset,
  batchBaseSequence,
  batchCompression,
  batchCrcIsValid,
  batchLastOffsetDelta,
  batchMagic,
  batchProducerId,
  batchRecordsCount,
  batchSizeBytes,
  batchUpdateCrc,
  CompressionError,
  CompressionType,
  decompress,
  ErrorCode,
  InvalidRecordError,
  KafkaError,
  LOG_OVERHEAD_BYTES,
  type RecordError,
  RecordValidationError,
  type RecordViolation,
  type RecordWalkRules,
  walkRecords,
} from "../protocol/index.js";
import { batchBaseTimestampNumber, batchMaxTimestampNumber } from "./batch-offsets.js";
import { isCompacted, LONG_MAX, type LogConfig, segmentSize } from "./log-config.js";

/**
 * Validation of an append before anything is written: every check that fails throws the KafkaError
 * Kafka answers with, so a refused append leaves the log unchanged.
 *
 * Every origin gets the header checks (framing, magic, CRC32C, sizes). A client's batch (origin
 * "client") then gets what Kafka's LogValidator does with it: the header's offsets, count,
 * control and sequence fields, and a walk over its records (decompressed first, within
 * `decompressedBytesMax`), see `validateClientRecords`. A coordinator's batches are Brook's own
 * encoding and are not walked; their timestamps are checked from the headers. Followers
 * (`validateFollowerAppend`) check framing, CRC and offsets only, as Kafka's follower append
 * does.
 */
export type AppendOrigin = "client" | "coordinator" | "replication";

/** The smallest valid batchLength: a v2 header without records. */
const BATCH_LENGTH_MIN = BATCH_HEADER_BYTES - LOG_OVERHEAD_BYTES;
const CURRENT_MAGIC = 2;
/**
 * RecordErrors one refused batch lists at most (the error message counts them all). Above what a
 * producer batches by default (librdkafka's batch.num.messages is 10,000), it bounds the answer to
 * a batch of a million bad records to about a megabyte.
 */
export const RECORD_ERRORS_MAX = 10_000;
/** Decompressed bytes allowed per byte of max.message.bytes while a produced batch is walked. */
const DECOMPRESSION_RATIO_MAX = 64;
const DECOMPRESSED_BYTES_FLOOR = 16 * 1024 * 1024;
const DECOMPRESSED_BYTES_CEILING = 1024 * 1024 * 1024;
const LONG_MAX_TEXT = 9223372036854775807n;

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
  /**
   * A client batch's records as walked (a view on the records area, or the decompressed payload)
   * when the topic's compression.type is not "producer"; else null. Recompression re-encodes these
   * bytes instead of decompressing again.
   */
  recordsPayload: Buffer | null;
}

/**
 * The most a produced batch may decompress to while its records are walked: 64 times the topic's
 * max.message.bytes (which bounds the compressed batch), at least 16 MiB, at most 1 GiB. Kafka
 * streams the decompression and has no such bound; Brook's codecs decompress a whole payload, so
 * the bound keeps a compression bomb from taking the process's memory. Passing it answers
 * MESSAGE_TOO_LARGE, which a Java producer answers by splitting the batch.
 */
export function decompressedBytesMax(config: LogConfig): number {
  const bytes = config.maxMessageBytes * DECOMPRESSION_RATIO_MAX;
  return Math.min(Math.max(bytes, DECOMPRESSED_BYTES_FLOOR), DECOMPRESSED_BYTES_CEILING);
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

/** Kafka's checks of a client's batch header (UnifiedLog.analyzeAndValidateRecords, LogValidator.validateBatch), in its words. */
function validateClientBatch(records: Buffer, at: number, topicPartition: string): void {
  // Offsets, sequence and producer id are read as int32 halves: cheaper than int64 reads.
  if (records.readInt32BE(at) !== 0 || records.readInt32BE(at + 4) !== 0) {
    throw invalidRecord(
      `The baseOffset of the record batch in the append to ${topicPartition} should be 0, but it is ${batchBaseOffset(records, at)}`,
    );
  }
  const count = batchRecordsCount(records, at);
  const lastOffsetDelta = batchLastOffsetDelta(records, at);
  if (lastOffsetDelta < 0) {
    throw invalidRecord(
      `Batch has an invalid offset range: [0, ${lastOffsetDelta}] in topic partition ${topicPartition}`,
    );
  }
  if (count <= 0)
    throw invalidRecord(
      `Invalid reported count for record batch: ${count} in topic partition ${topicPartition}`,
    );
  if (count !== lastOffsetDelta + 1) {
    throw invalidRecord(
      `Inconsistent batch offset range [0, ${lastOffsetDelta}] and count of records ${count} in topic partition ${topicPartition}`,
    );
  }
  const attributes = batchAttributes(records, at);
  if ((attributes & ATTRIBUTE_CONTROL) !== 0) {
    throw invalidRecord(
      `Clients are not allowed to write control records in topic partition ${topicPartition}`,
    );
  }
  const hasProducerId = records.readInt32BE(at + BATCH_OFFSET_PRODUCER_ID) >= 0;
  if (hasProducerId && batchBaseSequence(records, at) < 0) {
    throw invalidRecord(
      `Invalid sequence number ${batchBaseSequence(records, at)} in record batch with producerId ${batchProducerId(records, at)} in topic partition ${topicPartition}`,
    );
  }
  // Kafka names each record of such a batch (on a CreateTime topic only if its timestamp is out of
  // range); refusing the batch whole is stricter and no client sets the bit.
  if ((attributes & ATTRIBUTE_TIMESTAMP_TYPE_LOG_APPEND) !== 0) {
    throw new KafkaError(
      ErrorCode.INVALID_TIMESTAMP,
      `Invalid timestamp type in the record batch: producer should not set timestamp type to LogAppendTime (topic partition ${topicPartition})`,
    );
  }
}

/** A coordinator's batch: its timestamps checked from the header (its maxTimestamp, its baseTimestamp). */
function validateHeaderTimestamps(records: Buffer, at: number, config: LogConfig, nowMs: number): void {
  const after = config.messageTimestampAfterMaxMs;
  const before = config.messageTimestampBeforeMaxMs;
  if (config.messageTimestampType !== "CreateTime" || (after >= LONG_MAX && before >= LONG_MAX)) return;
  const maxTs = batchMaxTimestampNumber(records, at);
  const baseTs = batchBaseTimestampNumber(records, at);
  const tooNew = maxTs !== -1 && maxTs - nowMs > after;
  const tooOld = baseTs !== -1 && nowMs - baseTs > before;
  if (tooNew || tooOld) {
    throw new KafkaError(
      ErrorCode.INVALID_TIMESTAMP,
      `timestamp ${tooNew ? maxTs : baseTs} is out of range: it should be within [${nowMs - before}, ${nowMs + after}]`,
    );
  }
}

/** What the walk of a client's batch checks beyond structure, from the topic's configs. */
function walkRules(config: LogConfig, nowMs: number): RecordWalkRules {
  const checkTimestamps =
    config.messageTimestampType === "CreateTime" &&
    (config.messageTimestampBeforeMaxMs < LONG_MAX || config.messageTimestampAfterMaxMs < LONG_MAX);
  return {
    keyRequired: isCompacted(config),
    checkTimestamps,
    timestampMinMs: nowMs - config.messageTimestampBeforeMaxMs,
    timestampMaxMs: nowMs + config.messageTimestampAfterMaxMs,
    violationsMax: RECORD_ERRORS_MAX,
  };
}

/**
 * Kafka's LogValidator on a client's batch: its records walked (decompressed first when the batch
 * is compressed), each record's structure checked, and the per-record rules applied. A structure
 * error stops the walk (INVALID_RECORD naming the record); rule violations are all collected and
 * answered together with RecordErrors: keyless records on a compacted topic and offset deltas
 * other than 0..n-1 (INVALID_RECORD), timestamps outside message.timestamp.before/after.max.ms
 * (INVALID_TIMESTAMP). On CreateTime topics the header's maxTimestamp is set to the largest
 * record timestamp when it says otherwise, as Kafka's batch.setMaxTimestamp does. Returns the
 * walked records (decompressed) when the topic's compression.type may re-encode them, else null.
 *
 * Differences from Kafka, on purpose: Kafka rewrites a compressed batch whose offset deltas are
 * not 0..n-1 and stores an uncompressed one unchecked; Brook stores batches as sent, so it refuses
 * both (what Kafka 2.3-2.5 did). A payload that does not decompress is CORRUPT_MESSAGE, where
 * Kafka fails with UNKNOWN_SERVER_ERROR ("Failed to decompress record stream").
 */
function validateClientRecords(
  records: Buffer,
  at: number,
  config: LogConfig,
  nowMs: number,
  topicPartition: string,
): Buffer | null {
  const count = batchRecordsCount(records, at);
  const compression = batchCompression(records, at);
  // Uncompressed records are walked where they lie; a view on them is made only for recompression.
  let payload = records;
  let start = at + BATCH_HEADER_BYTES;
  let end = at + batchSizeBytes(records, at);
  if (compression !== CompressionType.none) {
    try {
      const cap = decompressedBytesMax(config);
      payload = decompress(compression, records.subarray(start, end), { decompressedBytesMax: cap });
    } catch (e) {
      if (e instanceof CompressionError)
        throw new KafkaError(e.errorCode, `${e.message} in topic partition ${topicPartition}`);
      throw e;
    }
    start = 0;
    end = payload.length;
  }
  const baseTimestamp = batchBaseTimestampNumber(records, at);
  let walk: ReturnType<typeof walkRecords>;
  try {
    walk = walkRecords(payload, start, end, count, baseTimestamp, walkRules(config, nowMs));
  } catch (e) {
    if (!(e instanceof InvalidRecordError)) throw e;
    const message = `${e.message} in topic partition ${topicPartition}`;
    throw new RecordValidationError(ErrorCode.INVALID_RECORD, message, [
      { batchIndex: e.recordIndex, message },
    ]);
  }
  if (walk.violations !== null) {
    throw recordErrorsOf(walk.violations, walk.violationCount, config, nowMs, topicPartition);
  }
  if (
    config.messageTimestampType === "CreateTime" &&
    walk.maxTimestampExact &&
    walk.maxTimestampMs !== batchMaxTimestampNumber(records, at)
  ) {
    records.writeBigInt64BE(BigInt(walk.maxTimestampMs), at + BATCH_OFFSET_MAX_TIMESTAMP);
    batchUpdateCrc(records, at);
  }
  if (config.compressionType === "producer") return null;
  return payload === records ? records.subarray(start, end) : payload;
}

function recordErrorsOf(
  violations: readonly RecordViolation[],
  total: number,
  config: LogConfig,
  nowMs: number,
  topicPartition: string,
): RecordValidationError {
  const keyless = `Compacted topic cannot accept message without key in topic partition ${topicPartition}.`;
  const lowest = BigInt(nowMs) - longOf(config.messageTimestampBeforeMaxMs);
  const highest = BigInt(nowMs) + longOf(config.messageTimestampAfterMaxMs);
  let anyTimestamp = false;
  const errors = violations.map((v): RecordError => {
    switch (v.kind) {
      case "keyless":
        return { batchIndex: v.index, message: keyless };
      case "timestamp":
        anyTimestamp = true;
        return {
          batchIndex: v.index,
          message: `Timestamp ${v.value} of message with offset ${v.index} is out of range. The timestamp should be within [${lowest}, ${highest}]`,
        };
      default: // "offsetDelta"
        return {
          batchIndex: v.index,
          message: `Record ${v.index} of the record batch does not have incremental offsets: its offset delta is ${v.value}, expected ${v.index} in topic partition ${topicPartition}.`,
        };
    }
  });
  return RecordValidationError.of(errors, anyTimestamp, total);
}

/** A config in ms as Kafka's long: "never" (2^63 as a double) is Long.MAX_VALUE. */
const longOf = (ms: number): bigint => (ms >= LONG_MAX ? LONG_MAX_TEXT : BigInt(ms));

/**
 * Validates a leader append: a producer's batch (origin "client"), walked record by record, or a
 * coordinator's batches, checked from their headers. `topicPartition` names the partition in
 * error messages, as Kafka's do.
 */
export function validateLeaderAppend(
  records: Buffer,
  config: LogConfig,
  nowMs: number,
  origin: AppendOrigin,
  topicPartition: string,
): ValidatedAppend {
  const result: ValidatedAppend = {
    batchCount: 0,
    recordCount: 0,
    offsetCount: 0,
    sizeBytes: records.length,
    maxTimestamp: -1,
    firstOffset: -1n,
    lastOffset: -1n,
    recordsPayload: null,
  };
  for (let at = 0; at < records.length; ) {
    const size = validateBatchFrame(records, at);
    if (size > config.maxMessageBytes) throw messageTooLarge(size, config, topicPartition);
    if (origin === "client") validateClientBatch(records, at, topicPartition);
    else {
      if (batchLastOffsetDelta(records, at) < 0) throw invalidRecord("batch has a negative lastOffsetDelta");
      validateHeaderTimestamps(records, at, config, nowMs);
    }
    result.recordCount += batchRecordsCount(records, at);
    result.offsetCount += batchLastOffsetDelta(records, at) + 1;
    result.batchCount++;
    at += size;
  }
  if (origin === "client" && result.batchCount > 1) {
    throw invalidRecord("a produce request holds one record batch per partition (magic 2)");
  }
  checkSegmentFits(records, config);
  if (origin === "client")
    result.recordsPayload = validateClientRecords(records, 0, config, nowMs, topicPartition);
  for (let at = 0; at < records.length; at += batchSizeBytes(records, at)) {
    const maxTs = batchMaxTimestampNumber(records, at);
    if (maxTs > result.maxTimestamp) result.maxTimestamp = maxTs;
  }
  return result;
}

/**
 * The checks Kafka repeats on a batch that validation re-encoded (compression.type naming another
 * codec): it must still fit max.message.bytes and the segment.
 */
export function validateRecompressedAppend(records: Buffer, config: LogConfig, topicPartition: string): void {
  if (records.length > config.maxMessageBytes) throw messageTooLarge(records.length, config, topicPartition);
  checkSegmentFits(records, config);
}

function messageTooLarge(size: number, config: LogConfig, topicPartition: string): KafkaError {
  return new KafkaError(
    ErrorCode.MESSAGE_TOO_LARGE,
    `The record batch is ${size} bytes in append to partition ${topicPartition}, which exceeds the maximum configured value of max.message.bytes (${config.maxMessageBytes})`,
  );
}

function checkSegmentFits(records: Buffer, config: LogConfig): void {
  if (records.length > segmentSize(config)) {
    throw new KafkaError(
      ErrorCode.RECORD_LIST_TOO_LARGE,
      `message batch of ${records.length} bytes exceeds the segment size (${segmentSize(config)})`,
    );
  }
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
    recordsPayload: null,
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
