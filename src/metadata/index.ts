export {
  ClusterController,
  type ControllerDefaults,
  type ControllerResult,
  type CreateTopicRequest,
  type CreateTopicResult,
  type TopicConfigValidator,
} from "./controller/cluster-controller.js";
export { placeReplicas } from "./controller/replica-placement.js";
export {
  INTERNAL_TOPICS,
  TOPIC_NAME_LENGTH_MAX,
  topicNameProblem,
  topicNamesCollide,
} from "./controller/topic-name.js";
export { MetadataDelta } from "./metadata-delta.js";
export {
  type BrokerRegistration,
  MetadataImage,
  type PartitionRegistration,
  type TopicImage,
} from "./metadata-image.js";
export { METADATA_TOPIC, type MetadataListener, MetadataLog } from "./metadata-log.js";
export { decodeMetadataRecordValue, encodeMetadataRecordValue } from "./metadata-record-codec.js";
export {
  type BrokerEndpoint,
  ConfigResourceType,
  type MetadataRecord,
  NO_LEADER,
  NO_LEADER_CHANGE,
} from "./metadata-records.js";
