export {
  type AuthorizationRule,
  DEFAULT_DENY_RULE,
} from "./authorizer/acl-index.js";
export { AclsImage } from "./authorizer/acls-image.js";
export {
  aclFromBinding,
  aclToBinding,
  type StandardAcl,
  standardAclString,
} from "./authorizer/standard-acl.js";
export {
  DEFAULT_ALLOW_RULE,
  StandardAuthorizer,
  type StandardAuthorizerConfig,
  SUPER_USER_RULE,
} from "./authorizer/standard-authorizer.js";
export {
  BrokerLifecycle,
  type BrokerLifecycleOptions,
  type BrokerLifecycleState,
} from "./broker-lifecycle.js";
export {
  type ClientQuotaEntity,
  ClientQuotaEntityType,
  type ClientQuotaEntry,
  type ClientQuotaFilterComponent,
  ClientQuotaMatchType,
  type ClientQuotas,
  clientQuotaEntityKey,
  describeClientQuotas,
  isKnownEntityType,
} from "./client-quotas-image.js";
export {
  ACL_RECORDS_PER_OPERATION_MAX,
  type AclCreation,
  type AclDeletionResult,
  type AclOperationError,
  bindingOfCreation,
  createAcls,
  deleteAcls,
  isUnreadableCreation,
  newAclError,
} from "./controller/acl-control.js";
export {
  decideAlterPartition,
  decideIsrChanges,
  type IsrChangeRequest,
  type IsrChangeResult,
} from "./controller/alter-partition.js";
export { eligibleBrokers, reconcileMembership } from "./controller/broker-membership.js";
export {
  alterClientQuotas,
  type ClientQuotaAlteration,
  type ClientQuotaAlterationResult,
  entityText,
  IP_QUOTA_KEYS,
  USER_CLIENT_QUOTA_KEYS,
} from "./controller/client-quota-control.js";
export {
  ClusterController,
  type ControllerDefaults,
  type ControllerResult,
  type CreateTopicRequest,
  type CreateTopicResult,
  EXCESSIVELY_LARGE_OPERATION,
  type TopicConfigValidator,
} from "./controller/cluster-controller.js";
export {
  type ElectionResult,
  ElectionType,
  electLeaders,
  rebalanceLeaders,
} from "./controller/leader-elections.js";
export {
  type PartitionChangeContext,
  type PartitionRules,
  type PartitionTarget,
  partitionChange,
} from "./controller/partition-change.js";
export {
  type Committed,
  ControllerEntryTooLargeError,
  type ControllerOperation,
  type PeriodicDecision,
  QuorumController,
  type QuorumControllerOptions,
} from "./controller/quorum-controller.js";
export {
  alterReassignments,
  completeReassignments,
  ongoingReassignments,
  type ReassignmentRequest,
  type ReassignmentResult,
} from "./controller/reassignment.js";
export { RecordBuilder } from "./controller/record-builder.js";
export { placeReplicas } from "./controller/replica-placement.js";
export {
  alterScramCredentials,
  type ScramAlterationResult,
  type ScramDeletion,
  type ScramUpsertion,
} from "./controller/scram-control.js";
export {
  collidingTopicName,
  INTERNAL_TOPICS,
  TOPIC_NAME_LENGTH_MAX,
  topicNameProblem,
  topicNamesCollide,
} from "./controller/topic-name.js";
export { type MetadataChanges, MetadataDelta } from "./metadata-delta.js";
export { decodeMetadataEntry, encodeMetadataEntry } from "./metadata-entry-codec.js";
export {
  type BrokerRegistration,
  MetadataImage,
  type PartitionRegistration,
  type ScramCredentialEntry,
  type ScramCredentials,
  type TopicImage,
} from "./metadata-image.js";
export { MetadataLoader, type MetadataPublisher } from "./metadata-loader.js";
export { decodeMetadataRecordValue, encodeMetadataRecordValue } from "./metadata-record-codec.js";
export {
  type BrokerEndpoint,
  type ClientQuotaEntityData,
  ConfigResourceType,
  type MetadataRecord,
  NO_LEADER,
  NO_LEADER_CHANGE,
} from "./metadata-records.js";
export { imageFromSnapshot, snapshotRecords } from "./metadata-snapshot.js";
export { METADATA_TOPIC } from "./metadata-topic.js";
export {
  isServiceListenerName,
  kafkaEndPoints,
  SCHEMA_REGISTRY_LISTENER_NAME,
  SCHEMAS_TOPIC,
  schemaRegistryUrl,
} from "./service-endpoints.js";
export { EmbeddedMetadataQuorum } from "./store/embedded-metadata-quorum.js";
export * from "./store/index.js";
