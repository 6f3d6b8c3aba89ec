import {
  type CreateTopicsRequestCreatableTopicInput,
  type CreateTopicsResponseCreatableTopicResult,
  type DescribeConfigsResponseDescribeConfigsResult,
  type DescribeTopicPartitionsResponse,
  ErrorCode,
  errorCodeInfo,
  type MetadataResponse,
  type MetadataResponseMetadataResponsePartition,
  type MetadataResponseMetadataResponseTopic,
  type Uuid,
  ZERO_UUID,
} from "../protocol/index.js";

/**
 * What AdminClient takes and gives: plain objects in Kafka's vocabulary, and the conversions from
 * the generated request and response types. Per-item failures are results (`errorCode` and
 * `errorMessage`), not exceptions, as in Kafka's admin API.
 */

/** Kafka's config resource types (DescribeConfigs, IncrementalAlterConfigs). */
export const ConfigResourceType = { topic: 2, broker: 4, brokerLogger: 8 } as const;
export type ConfigResourceType = (typeof ConfigResourceType)[keyof typeof ConfigResourceType];

/** IncrementalAlterConfigs operations. */
export const AlterConfigOp = { set: 0, delete: 1, append: 2, subtract: 3 } as const;
export type AlterConfigOp = (typeof AlterConfigOp)[keyof typeof AlterConfigOp];

/** Where a config value comes from (DescribeConfigs v1+). */
export const ConfigSource = {
  unknown: 0,
  dynamicTopicConfig: 1,
  dynamicBrokerConfig: 2,
  dynamicDefaultBrokerConfig: 3,
  staticBrokerConfig: 4,
  defaultConfig: 5,
  dynamicBrokerLoggerConfig: 6,
} as const;

/** Kafka's ConfigEntry.ConfigSource names (what its tools print, what kafka-rest answers). */
const CONFIG_SOURCE_NAMES: Readonly<Record<number, string>> = {
  [ConfigSource.unknown]: "UNKNOWN",
  [ConfigSource.dynamicTopicConfig]: "DYNAMIC_TOPIC_CONFIG",
  [ConfigSource.dynamicBrokerConfig]: "DYNAMIC_BROKER_CONFIG",
  [ConfigSource.dynamicDefaultBrokerConfig]: "DYNAMIC_DEFAULT_BROKER_CONFIG",
  [ConfigSource.staticBrokerConfig]: "STATIC_BROKER_CONFIG",
  [ConfigSource.defaultConfig]: "DEFAULT_CONFIG",
  [ConfigSource.dynamicBrokerLoggerConfig]: "DYNAMIC_BROKER_LOGGER_CONFIG",
};

export function configSourceName(source: number): string {
  return CONFIG_SOURCE_NAMES[source] ?? "UNKNOWN";
}

export interface ItemResult {
  errorCode: number;
  /** The broker's message, or Kafka's description of the code; null when there is no error. */
  errorMessage: string | null;
}

export interface TopicResult extends ItemResult {
  name: string;
}

export interface NewTopic {
  name: string;
  /** -1 or absent: the broker's num.partitions (or the assignments' count). */
  numPartitions?: number;
  /** -1 or absent: the broker's default.replication.factor. */
  replicationFactor?: number;
  configs?: Readonly<Record<string, string>>;
  /** Replicas by partition index; when given, leave numPartitions and replicationFactor out. */
  assignments?: readonly (readonly number[])[];
}

export interface CreateTopicResult extends TopicResult {
  topicId: Uuid;
  /** -1 when the version answered does not say. */
  numPartitions: number;
  replicationFactor: number;
}

export interface NewPartitions {
  name: string;
  /** The partition count after the change. */
  count: number;
  /** Replicas of each new partition, in partition order. */
  assignments?: readonly (readonly number[])[];
}

export interface ConfigResource {
  resourceType: ConfigResourceType;
  /** A topic name, a broker id in decimal, or "" for the cluster-wide broker defaults. */
  resourceName: string;
  /** Only these keys; absent or null for all. */
  configurationKeys?: readonly string[] | null;
}

export interface ConfigEntry {
  name: string;
  value: string | null;
  readOnly: boolean;
  isDefault: boolean;
  isSensitive: boolean;
  source: number;
  synonyms: { name: string; value: string | null; source: number }[];
}

export interface ConfigResourceResult extends ItemResult {
  resourceType: number;
  resourceName: string;
}

export interface DescribeConfigsResult extends ConfigResourceResult {
  configs: ConfigEntry[];
}

export interface AlterConfigsResource {
  resourceType: ConfigResourceType;
  resourceName: string;
  configs: readonly { name: string; configOperation: AlterConfigOp; value?: string | null }[];
}

export interface BrokerDescription {
  nodeId: number;
  host: string;
  port: number;
  rack: string | null;
}

export interface PartitionMetadata {
  errorCode: number;
  partitionIndex: number;
  leaderId: number;
  leaderEpoch: number;
  replicas: number[];
  isr: number[];
  offlineReplicas: number[];
  /** Eligible leader replicas and the last known leader (KIP-966): from DescribeTopicPartitions only. */
  eligibleLeaderReplicas?: number[];
  lastKnownElr?: number[];
}

export interface TopicMetadata {
  errorCode: number;
  name: string;
  topicId: Uuid;
  isInternal: boolean;
  /** By partition index. */
  partitions: PartitionMetadata[];
}

export interface TopicListing {
  name: string;
  topicId: Uuid;
  isInternal: boolean;
}

export interface ClusterMetadata {
  clusterId: string | null;
  controllerId: number;
  brokers: BrokerDescription[];
  topics: TopicMetadata[];
}

export interface ClusterDescription {
  clusterId: string;
  controllerId: number;
  brokers: BrokerDescription[];
}

export function errorMessageOf(errorCode: number, message: string | null): string | null {
  if (message !== null || errorCode === ErrorCode.NONE) return message;
  return errorCodeInfo.get(errorCode)?.message ?? `Kafka error ${errorCode}`;
}

export function configResourceKey(resource: { resourceType: number; resourceName: string }): string {
  return `${resource.resourceType}:${resource.resourceName}`;
}

export function creatableTopic(topic: NewTopic): CreateTopicsRequestCreatableTopicInput {
  return {
    name: topic.name,
    numPartitions: topic.numPartitions ?? -1,
    replicationFactor: topic.replicationFactor ?? -1,
    assignments: (topic.assignments ?? []).map((brokerIds, partitionIndex) => ({
      partitionIndex,
      brokerIds,
    })),
    configs: Object.entries(topic.configs ?? {}).map(([name, value]) => ({ name, value })),
  };
}

export function createTopicResult(r: CreateTopicsResponseCreatableTopicResult): CreateTopicResult {
  return {
    name: r.name,
    topicId: r.topicId,
    errorCode: r.errorCode,
    errorMessage: errorMessageOf(r.errorCode, r.errorMessage),
    numPartitions: r.numPartitions,
    replicationFactor: r.replicationFactor,
  };
}

export function describeConfigsResult(
  r: DescribeConfigsResponseDescribeConfigsResult,
): DescribeConfigsResult {
  return {
    resourceType: r.resourceType,
    resourceName: r.resourceName,
    errorCode: r.errorCode,
    errorMessage: errorMessageOf(r.errorCode, r.errorMessage),
    configs: r.configs.map((c) => ({
      name: c.name,
      value: c.value,
      readOnly: c.readOnly,
      isDefault: c.configSource === ConfigSource.defaultConfig,
      isSensitive: c.isSensitive,
      source: c.configSource,
      synonyms: c.synonyms.map((s) => ({ name: s.name, value: s.value, source: s.source })),
    })),
  };
}

export function clusterMetadata(r: MetadataResponse): ClusterMetadata {
  return {
    clusterId: r.clusterId,
    controllerId: r.controllerId,
    brokers: r.brokers.map((b) => ({ nodeId: b.nodeId, host: b.host, port: b.port, rack: b.rack })),
    topics: r.topics.map(topicMetadata),
  };
}

function topicMetadata(t: MetadataResponseMetadataResponseTopic): TopicMetadata {
  return {
    errorCode: t.errorCode,
    name: t.name ?? "",
    topicId: t.topicId,
    isInternal: t.isInternal,
    partitions: t.partitions.map(partitionMetadata).sort((a, b) => a.partitionIndex - b.partitionIndex),
  };
}

/** The fields Metadata and DescribeTopicPartitions answer alike for a partition. */
function partitionMetadata(
  p: Pick<
    MetadataResponseMetadataResponsePartition,
    | "errorCode"
    | "partitionIndex"
    | "leaderId"
    | "leaderEpoch"
    | "replicaNodes"
    | "isrNodes"
    | "offlineReplicas"
  >,
): PartitionMetadata {
  return {
    errorCode: p.errorCode,
    partitionIndex: p.partitionIndex,
    leaderId: p.leaderId,
    leaderEpoch: p.leaderEpoch,
    replicas: p.replicaNodes,
    isr: p.isrNodes,
    offlineReplicas: p.offlineReplicas,
  };
}

/** One page of a DescribeTopicPartitions answer, as topics with their partitions (ELR included). */
export function describedTopicPartitions(r: DescribeTopicPartitionsResponse): TopicMetadata[] {
  return r.topics.map((t) => ({
    errorCode: t.errorCode,
    name: t.name ?? "",
    topicId: t.topicId,
    isInternal: t.isInternal,
    partitions: t.partitions.map((p) => ({
      ...partitionMetadata(p),
      eligibleLeaderReplicas: p.eligibleLeaderReplicas ?? [],
      lastKnownElr: p.lastKnownElr ?? [],
    })),
  }));
}

/** What a describe answers for a topic the cluster does not know. */
export function unknownTopic(name: string): TopicMetadata {
  return {
    errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
    name,
    topicId: ZERO_UUID,
    isInternal: false,
    partitions: [],
  };
}
