/**
 * Brook's storage engine: partition logs in Kafka's on-disk layout.
 *
 * Layout (one log dir):
 *   <logDir>/<topic>-<partition>/00000000000000000000.log        record batches as produced (v2)
 *                               /00000000000000000000.index      sparse offset index (8-byte entries)
 *                               /00000000000000000000.timeindex  time index (12-byte entries)
 *                               /leader-epoch-checkpoint          leader epoch -> start offset
 *                               /partition.metadata               topic id
 *                               /00000000000000000000.snapshot    producer state (idempotence)
 *   <logDir>/recovery-point-offset-checkpoint, log-start-offset-checkpoint,
 *            replication-offset-checkpoint (high watermarks), cleaner-offset-checkpoint,
 *            .kafka_cleanshutdown
 *   As in Kafka, every segment has its three files from its creation (the active segment's index
 *   files preallocated to segment.index.bytes, trimmed when it rolls or the log closes), and the
 *   checkpoints exist (empty) from start-up and the leader-epoch-checkpoint from the log's creation.
 *
 * Use:
 *   const manager = await LogManager.open({ logDirs: ["/data"], defaults: parseLogConfig(brokerProps), clock });
 *   const log = manager.getOrCreateLog({ topic, partition }, topicConfig, topicId);
 *   const info = log.appendAsLeader(records, leaderEpoch);   // KafkaError on invalid input, log unchanged
 *   await log.whenWritten();                                 // in the file: now it may be acknowledged
 *   log.updateHighWatermark(hw);                             // the replication layer's decision
 *   const read = log.read({ fetchOffset, maxBytes, maxOffset: log.highWatermark });
 *   const stop = log.onAppend((logEndOffset) => wakeFetches());
 *   await manager.tick();  or  LogManager.open({ ..., backgroundIntervalMs: 1000 })
 *   await manager.shutdown();
 *
 * Log API (log.ts; offsets and record timestamps are bigint, durations and sizes numbers):
 *   appendAsLeader(records, leaderEpoch, { origin?: "client" | "coordinator" }): LogAppendInfo
 *       client: exactly one v2 batch, base offset 0, records walked (Kafka's LogValidator);
 *       coordinator: any number, checked from their headers.
 *       KafkaError CORRUPT_MESSAGE | MESSAGE_TOO_LARGE | INVALID_RECORD | INVALID_TIMESTAMP |
 *       RECORD_LIST_TOO_LARGE | UNSUPPORTED_FOR_MESSAGE_FORMAT, KAFKA_STORAGE_ERROR on I/O failure;
 *       RecordValidationError (a KafkaError) names the records that broke a rule.
 *   appendAsFollower(records): LogAppendInfo           offsets as given (>= log end), CRC still checked
 *   read({ fetchOffset, maxBytes, maxOffset?, minOneMessage? }): LogReadResult
 *       whole batches as Buffer slices; OffsetOutOfRangeError (a KafkaError) carries the range.
 *   fetchOffsetByTimestamp(ts): TimestampAndOffset | null     -1 latest, -2/-4 earliest, -3 max
 *   endOffsetForEpoch(epoch), assignEpochStartOffset(epoch, offset), latestEpoch
 *   truncateTo(offset), truncateFullyAndStartAt(offset), deleteRecordsBefore(offset | -1n)
 *   roll(), flush(upTo?), flushAsync(upTo?), deleteOldSegments(), updateConfig(config)
 *   updateHighWatermark(offset): bigint; highWatermark, lastStableOffset, logStartOffset,
 *   logEndOffset, recoveryPoint, sizeBytes, segmentCount, topicId, isOffline
 *   onAppend(listener): unsubscribe;  setAppendHook(hook: LogAppendHook | null)
 *   whenWritten(): Promise<void>; writtenEndOffset; setWrittenCallback(cb)
 *
 * Writes: an append returns once validated, stamped and indexed; its bytes are written then and
 * there, or, while the event loop is saturated and a core is spare, queued to the process's writer
 * thread (segment-writer.ts), which writes them in order. `writtenEndOffset` is the log end as far
 * as the file has it; acknowledge and expose (high watermark) only up to it: `whenWritten()`
 * resolves when everything appended so far is there. Append listeners hear of appends once they
 * are written. Any other access to a segment file (reads, truncation, flush, close) first waits for
 * that file's queued writes, so reads see every append. An I/O error (ENOSPC, EIO...) on any file
 * of a log dir takes that dir offline (KAFKA_STORAGE_ERROR from all its logs), as Kafka's
 * LogDirFailureChannel does; the other dirs are served as before (log-manager.ts).
 *
 * Ownership: an append borrows the buffer passed to it until it returns: batch headers are
 * rewritten in place, and what the log keeps is copied (into the writer's ring when the write is
 * queued, into the tail cache while a reader is at the tail), so the caller may reuse or recycle
 * the buffer once the call returns. Buffers returned by reads are never modified afterwards
 * (tail-cache slabs that were read from are never reused). Limits (open files, index memory, tail cache, read size,
 * cleaner map) are named in storage-limits.ts; see log.ts for the invariants and log-manager.ts for
 * background work.
 */
export type { AppendOrigin, ValidatedAppend } from "./append-validation.js";
export {
  CHECKPOINT_VERSION,
  type EpochEntry,
  type OffsetCheckpointEntry,
  readOffsetCheckpoint,
  writeOffsetCheckpoint,
} from "./checkpoint-file.js";
export { DuplicateBatchError } from "./duplicate-batch-error.js";
export {
  type EpochEndOffset,
  LeaderEpochCache,
  UNDEFINED_EPOCH,
  UNDEFINED_EPOCH_OFFSET,
} from "./leader-epoch-cache.js";
export {
  type AppendListener,
  Log,
  type LogAppendHook,
  type LogAppendInfo,
  type LogReadRequest,
  type LogReadResult,
  TAIL_READER_IDLE_MS,
} from "./log.js";
export type { LogCleanResult } from "./log-cleaner.js";
export {
  type CleanupPolicy,
  DEFAULT_LOG_CONFIG,
  isCompacted,
  isDeleteRetained,
  LOG_CONFIG_KEYS,
  LONG_MAX,
  type LogConfig,
  logConfig,
  logConfigToProperties,
  type MessageTimestampType,
  parseLogConfig,
  SEGMENT_BYTES_MIN,
  segmentSize,
  type TopicCompressionType,
  validateLogConfig,
  validateTopicConfigs,
} from "./log-config.js";
export {
  DEFAULT_LOG_MANAGER_INTERVALS,
  type LogDirFailure,
  type LogDirFailureListener,
  LogManager,
  type LogManagerIntervals,
  type LogManagerOptions,
  type LogManagerStartupStats,
} from "./log-manager.js";
export {
  LIST_OFFSETS_EARLIEST,
  LIST_OFFSETS_EARLIEST_LOCAL,
  LIST_OFFSETS_LATEST,
  LIST_OFFSETS_MAX_TIMESTAMP,
  type TimestampAndOffset,
} from "./offset-by-timestamp.js";
export { OFFSET_INDEX_ENTRY_BYTES, OffsetIndex } from "./offset-index.js";
export { readPartitionMetadata, writePartitionMetadata } from "./partition-metadata-file.js";
export {
  BATCHES_RETAINED_MAX,
  type BatchMetadata,
  incrementSequence,
  ProducerStateEntry,
} from "./producer-state-entry.js";
export {
  PRODUCERS_PER_PARTITION_MAX,
  ProducerStateManager,
  type ProducerStateOptions,
} from "./producer-state-manager.js";
export { decodeProducerSnapshot } from "./producer-state-snapshot.js";
export {
  CLEAN_SHUTDOWN_FILE,
  CLEANER_OFFSET_CHECKPOINT_FILE,
  INDEX_FILE_SUFFIX,
  LEADER_EPOCH_CHECKPOINT_FILE,
  LOG_FILE_SUFFIX,
  LOG_START_OFFSET_CHECKPOINT_FILE,
  PARTITION_METADATA_FILE,
  PRODUCER_SNAPSHOT_FILE_SUFFIX,
  parsePartitionDirName,
  partitionDirName,
  RECOVERY_POINT_CHECKPOINT_FILE,
  REPLICATION_OFFSET_CHECKPOINT_FILE,
  TIME_INDEX_FILE_SUFFIX,
  TXN_INDEX_FILE_SUFFIX,
} from "./segment-files.js";
export {
  DEFAULT_SEGMENT_WRITER_OPTIONS,
  SegmentWriter,
  type SegmentWriterOptions,
  type SegmentWriterStats,
  segmentWriterStats,
  WriteChannel,
} from "./segment-writer.js";
export { isIoError } from "./storage-env.js";
export { OffsetOutOfRangeError, StorageError, type StorageErrorCode } from "./storage-error.js";
export { type InjectedErrorCode, StorageFaults } from "./storage-faults.js";
export { DEFAULT_STORAGE_LIMITS, type StorageLimits } from "./storage-limits.js";
export { TIME_INDEX_ENTRY_BYTES, TimeIndex } from "./time-index.js";
export { type TopicPartition, topicPartitionKey } from "./topic-partition.js";
export { type AbortedTxn, decodeAbortedTxns, TransactionIndex } from "./transaction-index.js";
