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
 *
 * Use:
 *   const manager = await LogManager.open({ logDirs: ["/data"], defaults: parseLogConfig(brokerProps), clock });
 *   const log = manager.getOrCreateLog({ topic, partition }, topicConfig, topicId);
 *   const info = log.appendAsLeader(records, leaderEpoch);   // KafkaError on invalid input, log unchanged
 *   log.updateHighWatermark(hw);                             // the replication layer's decision
 *   const read = log.read({ fetchOffset, maxBytes, maxOffset: log.highWatermark });
 *   const stop = log.onAppend((logEndOffset) => wakeFetches());
 *   await manager.tick();  or  LogManager.open({ ..., backgroundIntervalMs: 1000 })
 *   await manager.shutdown();
 *
 * Offsets and record timestamps are bigint (int64); durations and sizes are numbers. The buffer
 * passed to an append becomes the log's (headers are rewritten in place, and it may serve reads of
 * the tail), so callers must not reuse it. See log.ts for the invariants and log-manager.ts for
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
  type TopicCompressionType,
  validateLogConfig,
} from "./log-config.js";
export {
  DEFAULT_LOG_MANAGER_INTERVALS,
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
export { readPartitionMetadata, writePartitionMetadata } from "./partition-metadata-file.js";
export {
  BATCHES_RETAINED_MAX,
  type BatchMetadata,
  ProducerStateEntry,
} from "./producer-state-entry.js";
export {
  PRODUCERS_PER_PARTITION_MAX,
  ProducerStateManager,
  type ProducerStateOptions,
} from "./producer-state-manager.js";
export {
  CLEAN_SHUTDOWN_FILE,
  CLEANER_OFFSET_CHECKPOINT_FILE,
  LEADER_EPOCH_CHECKPOINT_FILE,
  LOG_START_OFFSET_CHECKPOINT_FILE,
  PARTITION_METADATA_FILE,
  parsePartitionDirName,
  partitionDirName,
  RECOVERY_POINT_CHECKPOINT_FILE,
  REPLICATION_OFFSET_CHECKPOINT_FILE,
} from "./segment-files.js";
export { OffsetOutOfRangeError, StorageError, type StorageErrorCode } from "./storage-error.js";
export { DEFAULT_STORAGE_LIMITS, type StorageLimits } from "./storage-limits.js";
export { type TopicPartition, topicPartitionKey } from "./topic-partition.js";
