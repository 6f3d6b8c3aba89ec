export * from "./batch-header.js";
export {
  type CompressOptions,
  compress,
  compressionName,
  DECOMPRESSED_BYTES_MAX_DEFAULT,
  type DecompressOptions,
  decompress,
  isCompressionType,
} from "./compression.js";
export {
  CONTROL_RECORD_KEY_VERSION,
  type ControlRecordKey,
  ControlRecordType,
  decodeControlRecordKey,
  decodeEndTxnMarker,
  END_TXN_MARKER_VERSION,
  type EndTxnMarker,
  type EndTxnMarkerBatchInput,
  encodeControlRecordKey,
  encodeEndTxnMarkerBatch,
  encodeEndTxnMarkerValue,
} from "./control-record.js";
export { crc32c } from "./crc32c.js";
export { type BatchLocation, type BatchScanEnd, iterateBatches } from "./iterate-batches.js";
export { decodeLegacyEntry, decodeLegacyMessageSet } from "./legacy-message-set.js";
export type { Record, RecordHeader, RecordInput } from "./record.js";
export {
  BATCH_RECORDS_COUNT_MAX_DEFAULT,
  type DecodeRecordBatchOptions,
  decodeRecordBatch,
  decodeRecordBatchHeader,
  encodeRecordBatch,
  iterateRecords,
  NO_TIMESTAMP,
  type RecordBatch,
  type RecordBatchHeader,
  type RecordBatchInput,
  recompressRecordBatch,
  type TimestampType,
} from "./record-batch.js";
export {
  CompressionError,
  type CompressionErrorCode,
  CorruptRecordError,
  InvalidRecordError,
} from "./record-errors.js";
export { decodeBatch, decodeRecordSet } from "./record-set.js";
export { type RecordError, RecordValidationError } from "./record-validation-error.js";
export {
  type RecordViolation,
  type RecordViolationKind,
  type RecordWalk,
  type RecordWalkRules,
  walkRecords,
} from "./record-walk.js";
export { type SnappyFraming, XERIAL_BLOCK_BYTES } from "./snappy-codec.js";
