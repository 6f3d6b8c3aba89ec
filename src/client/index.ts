export type { AclCreationResult, AclDeletionResult } from "./admin-acls.js";
export {
  ADMIN_RETRY_BACKOFF_MS_DEFAULT,
  ADMIN_TIMEOUT_MS_DEFAULT,
  type AdminAlterOptions,
  type AdminCallOptions,
  AdminClient,
  type AdminClientOptions,
} from "./admin-client.js";
export {
  ASSIGNMENT_TOPICS_MAX,
  type AssignedTopic,
  type CommittedOffset,
  type ConsumerGroupDescription,
  type ConsumerGroupMember,
  decodeConsumerAssignment,
  type GroupListing,
  type GroupResult,
  type ListedOffset,
  type OffsetSpec,
  type PartitionResult,
  partitionKey,
  type TopicPartition,
} from "./admin-group-results.js";
export type { ListOffsetsOptions } from "./admin-groups.js";
export {
  type BrokerLogDirs,
  type DeletedRecords,
  type ElectionResult,
  ElectionType,
  type LogDirDescription,
  type RecordsToDelete,
  type ReplicaInfo,
} from "./admin-partition-results.js";
export {
  type QuotaAlteration,
  type QuotaAlterationResult,
  type QuotaEntity,
  QuotaEntityType,
  type QuotaEntry,
  type QuotaFilterComponent,
  QuotaMatchType,
} from "./admin-quota-results.js";
export {
  AlterConfigOp,
  type AlterConfigsResource,
  type BrokerDescription,
  type ClusterDescription,
  type ClusterMetadata,
  type ConfigEntry,
  type ConfigResource,
  type ConfigResourceResult,
  ConfigResourceType,
  ConfigSource,
  type CreateTopicResult,
  configSourceName,
  type DescribeConfigsResult,
  type ItemResult,
  type NewPartitions,
  type NewTopic,
  type PartitionMetadata,
  type TopicListing,
  type TopicMetadata,
  type TopicResult,
} from "./admin-results.js";
export type {
  ScramCredentialInfo,
  UserScramCredentialAlteration,
  UserScramCredentialAlterationResult,
  UserScramCredentialsDescription,
} from "./admin-scram.js";
export {
  type AbortTransactionSpec,
  abortSpecText,
  type DescribeProducersOptions,
  type ListTransactionsOptions,
  type PartitionProducerState,
  type ProducerState,
  TRANSACTION_STATES,
  type TransactionDescription,
  type TransactionListing,
  transactionState,
} from "./admin-transaction-results.js";
export { ApiVersionRanges } from "./api-version-ranges.js";
export { parseBootstrap, parseBrokerAddress } from "./broker-address.js";
export { BufferMemory } from "./buffer-memory.js";
export { ClientError, ClientErrorCode, isConnectionFailure } from "./client-error.js";
export { CLIENT_SASL_MECHANISMS, type ClientSasl, saslAuthenticate } from "./client-sasl.js";
export {
  CLIENT_SECURITY_KEYS,
  type ClientSecurity,
  clientSecurityFrom,
  clientSecurityOptions,
} from "./client-security.js";
export type { ClientTls } from "./client-tls.js";
export { ClusterView, type ClusterViewOptions, METADATA_MAX_AGE_MS_DEFAULT } from "./cluster-view.js";
export {
  BrokerConnections,
  type BrokerConnectionsOptions,
  type BrokerEndpoint,
  CONNECT_TIMEOUT_MS_DEFAULT,
  type PoolRequestOptions,
  RECONNECT_BACKOFF_MS_DEFAULT,
  RECONNECT_BACKOFF_MS_MAX_DEFAULT,
} from "./connection-pool.js";
export {
  CONSUMER_DEFAULTS,
  Consumer,
  type ConsumerOptions,
  type ConsumerRecord,
  type IsolationLevel,
  type OffsetResetStrategy,
  type PartitionAssignment,
} from "./consumer.js";
export {
  type CloseListener,
  IN_FLIGHT_REQUESTS_MAX_DEFAULT,
  KafkaConnection,
  type KafkaConnectionOptions,
  REQUEST_TIMEOUT_MS_DEFAULT,
  RESPONSE_BYTES_MAX_DEFAULT,
  type RequestOptions,
} from "./kafka-connection.js";
export { murmur2, partitionForKey, StickyPartitions } from "./partitioner.js";
export {
  type CompressionName,
  PRODUCER_DEFAULTS,
  Producer,
  type ProducerOptions,
  type ProducerRecord,
  type RecordMetadata,
  type TransactionOffset,
} from "./producer.js";
export { type AssignorMember, RANGE_ASSIGNOR_NAME, rangeAssign } from "./range-assignor.js";
export { ResponseFrameReader } from "./response-frame-reader.js";
export {
  clientTlsOf,
  loadTlsMaterial,
  SSL_DEFAULTS,
  SSL_KEYS,
  SSL_KEYS_WITHOUT_EFFECT,
  type SslSettings,
  sslSettingsFromProperties,
  type TlsMaterial,
} from "./ssl-settings.js";
export type { KeyStoreMaterial } from "./ssl-stores.js";
export { type ConsumerGroupMetadata, TransactionRequestError } from "./transaction-requests.js";
export {
  type AnswerOutcome,
  answerOutcome,
  type TransactionalRequest,
  type TransactionState,
  TransactionStateMachine,
} from "./transaction-state.js";
