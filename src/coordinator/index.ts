/**
 * The group coordinator (Kafka's classic group protocol) and committed offsets, stored in
 * `__consumer_offsets`.
 *
 * - `GroupCoordinatorShard`: the pure state machine of one `__consumer_offsets` partition.
 * - `GroupCoordinatorRuntime`: the shell that owns the shards of the partitions this broker leads,
 *   drives their timers and executes their effects against an `OffsetsTopicLog`.
 * - The request/response types the wire handlers map to and from (`group-api.ts`).
 */
export { groupMetadataAppendError, offsetCommitAppendError } from "./append-errors.js";
export { ClassicGroup } from "./classic-group.js";
export { ClassicGroupMember } from "./classic-group-member.js";
export { ClassicGroupState } from "./classic-group-state.js";
export { CONSUMER_GROUP_TYPE, ConsumerGroup } from "./consumer-group.js";
export {
  CONSUMER_GROUP_ASSIGNORS,
  type ConsumerGroupAssignor,
  rangeAssignor,
  uniformAssignor,
} from "./consumer-group-assignor.js";
export { CONSUMER_PROTOCOL_TYPE, subscribedTopics } from "./consumer-protocol.js";
export { CoordinatorError, type CoordinatorErrorCode } from "./coordinator-error.js";
export type {
  CoordinatorRecord,
  GroupMetadataKey,
  GroupMetadataMember,
  GroupMetadataValue,
  OffsetCommitKey,
  OffsetCommitValue,
} from "./coordinator-record.js";
export {
  decodeCoordinatorRecord,
  encodeCoordinatorRecord,
  type RecordBytes,
} from "./coordinator-record-codec.js";
export { EffectSequencer } from "./effect-sequencer.js";
export {
  commitErrorResponse,
  deleteErrorResponse,
  describeErrorResponse,
  failedResponse,
  fetchErrorResponse,
} from "./error-responses.js";
export { CLASSIC_GROUP_TYPE } from "./group-admin.js";
export * from "./group-api.js";
export {
  GROUP_COORDINATOR_DEFAULTS,
  type GroupCoordinatorConfig,
  groupCoordinatorConfig,
} from "./group-coordinator-config.js";
export {
  GroupCoordinatorRuntime,
  type GroupCoordinatorRuntimeOptions,
  type PartitionStatus,
  PENDING_REQUESTS_MAX,
} from "./group-coordinator-runtime.js";
export { GroupCoordinatorShard, type GroupCoordinatorShardOptions } from "./group-coordinator-shard.js";
export { javaStringHashCode, kafkaAbs, partitionForKey } from "./group-partition.js";
export { joinErrorResponse } from "./group-rebalance.js";
export { JOIN_GROUP_MEMBER_ID_REQUIRED_VERSION, JOIN_GROUP_SKIP_ASSIGNMENT_VERSION } from "./join-group.js";
export { OFFSET_COMMIT_GROUP_ID_NOT_FOUND_VERSION } from "./offset-commit.js";
export { INVALID_OFFSET } from "./offset-fetch.js";
export type { OffsetAndMetadata } from "./offset-store.js";
export type { OffsetsTopicLog } from "./offsets-topic-log.js";
export { type ScheduledTimer, type Scheduler, systemScheduler } from "./scheduler.js";
export type { CoordinatorEffect, TopicMetadataSource, TransactionalProducer } from "./shard-state.js";
export {
  TRANSACTION_COORDINATOR_DEFAULTS,
  type TransactionCoordinatorConfig,
  transactionCoordinatorConfig,
} from "./transaction-coordinator-config.js";
export {
  PENDING_TXN_REQUESTS_MAX,
  TransactionCoordinatorRuntime,
  type TransactionCoordinatorRuntimeOptions,
  type TransactionMarkers,
  type TransactionMarkerWriter,
} from "./transaction-coordinator-runtime.js";
export {
  type EndTxnRequest,
  type InitProducerIdTxnRequest,
  TRANSACTION_VERSION_EPOCH_BUMP,
  TransactionCoordinatorShard,
  type TransactionCoordinatorShardOptions,
  type TransactionEffect,
  type TransactionHandle,
  type TransactionResponse,
  type TxnPartitionsRequest,
} from "./transaction-coordinator-shard.js";
export {
  isEpochExhausted,
  NO_PRODUCER_EPOCH,
  NO_PRODUCER_ID,
  type TopicPartitionRef,
  TransactionMetadata,
} from "./transaction-metadata.js";
export {
  decodeTransactionRecord,
  encodeTransactionRecord,
  type TransactionLogEntry,
  type TransactionRecord,
} from "./transaction-record.js";
export { TRANSACTION_STATE_NAMES, TransactionState } from "./transaction-state.js";
