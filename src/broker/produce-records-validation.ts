import {
  ATTRIBUTE_COMPRESSION_MASK,
  BATCH_MAGIC_PREFIX_BYTES,
  BATCH_OFFSET_ATTRIBUTES,
  BATCH_OFFSET_LENGTH,
  BATCH_OFFSET_MAGIC,
  CompressionType,
  ErrorCode,
  isCompressionType,
  KafkaError,
  LOG_OVERHEAD_BYTES,
} from "../protocol/index.js";

/** Kafka's smallest legal size field (a magic 0 message's overhead): below it the framing is corrupt. */
const RECORD_OVERHEAD_V0_BYTES = 14;
const MAGIC_CURRENT = 2;
/** Produce versions before 7 cannot carry zstd (KIP-110). */
const ZSTD_PRODUCE_VERSION_MIN = 7;

/**
 * What Kafka checks of a partition's `records` before they reach the log (its
 * `ProduceRequest.validateRecords` with the batch framing of its record iterator), returning the
 * bytes to append:
 * - a size field below 14 bytes, or a magic above 2, is CORRUPT_MESSAGE;
 * - no complete batch (nothing, null, or a batch longer than the bytes sent) is INVALID_RECORD, as
 *   is a first batch that is not magic 2 and a second complete batch;
 * - zstd before Produce v7 is UNSUPPORTED_COMPRESSION_TYPE, and so is a codec id Kafka does not
 *   define (5-7), which Kafka only fails on with UNKNOWN_SERVER_ERROR;
 * - bytes after the batch too few to be another one are dropped, as Kafka's log append trims them.
 * CRC, offsets, counts and the rest are the log's append validation, which follows.
 */
export function validateProduceRecords(records: Buffer | null, apiVersion: number): Buffer {
  const first = records === null ? null : completeBatchBytes(records, 0);
  if (records === null || first === null) {
    throw new KafkaError(
      ErrorCode.INVALID_RECORD,
      `Produce requests with version ${apiVersion} must have at least one record batch per partition`,
    );
  }
  if (records.readInt8(BATCH_OFFSET_MAGIC) !== MAGIC_CURRENT) {
    throw new KafkaError(
      ErrorCode.INVALID_RECORD,
      `Produce requests with version ${apiVersion} are only allowed to contain record batches with magic version 2`,
    );
  }
  const compression = records.readInt16BE(BATCH_OFFSET_ATTRIBUTES) & ATTRIBUTE_COMPRESSION_MASK;
  // Kafka fails on ids 5-7 deep in its append (an UNKNOWN_SERVER_ERROR); stored, no consumer could read them.
  if (!isCompressionType(compression)) {
    throw new KafkaError(
      ErrorCode.UNSUPPORTED_COMPRESSION_TYPE,
      `Unknown compression type id: ${compression}`,
    );
  }
  if (apiVersion < ZSTD_PRODUCE_VERSION_MIN && compression === CompressionType.zstd) {
    throw new KafkaError(
      ErrorCode.UNSUPPORTED_COMPRESSION_TYPE,
      `Produce requests with version ${apiVersion} are not allowed to use ZStandard compression`,
    );
  }
  if (completeBatchBytes(records, first) !== null) {
    throw new KafkaError(
      ErrorCode.INVALID_RECORD,
      `Produce requests with version ${apiVersion} are only allowed to contain exactly one record batch per partition`,
    );
  }
  return first === records.length ? records : records.subarray(0, first);
}

/**
 * The size of the batch at `at` when it is complete, null when the bytes end first; throws
 * CORRUPT_MESSAGE for framing no batch can have (checked, as Kafka does, as soon as the bytes
 * that show it have arrived).
 */
function completeBatchBytes(records: Buffer, at: number): number | null {
  const remaining = records.length - at;
  if (remaining < LOG_OVERHEAD_BYTES) return null;
  const length = records.readInt32BE(at + BATCH_OFFSET_LENGTH);
  if (length < RECORD_OVERHEAD_V0_BYTES) {
    throw new KafkaError(
      ErrorCode.CORRUPT_MESSAGE,
      `Record size ${length} is less than the minimum record overhead (${RECORD_OVERHEAD_V0_BYTES})`,
    );
  }
  if (remaining < BATCH_MAGIC_PREFIX_BYTES) return null;
  const magic = records.readInt8(at + BATCH_OFFSET_MAGIC);
  if (magic < 0 || magic > MAGIC_CURRENT)
    throw new KafkaError(ErrorCode.CORRUPT_MESSAGE, `Invalid magic found in record: ${magic}`);
  const size = length + LOG_OVERHEAD_BYTES;
  return remaining < size ? null : size;
}
