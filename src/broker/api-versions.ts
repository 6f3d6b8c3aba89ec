/**
 * The API versions Brook serves, and what it advertises in ApiVersions. The two differ only where
 * clients need it (see shared/design/client-api-matrix.md): librdkafka before 2.11 turns
 * compression and groups off unless Produce and FindCoordinator advertise v0, so Produce is
 * advertised from 0 like Kafka 4.0 does, while v0-2 (magic 0/1 message sets) are refused.
 */
export interface ApiVersionRange {
  readonly apiKey: number;
  readonly name: string;
  /** Versions the handler implements. */
  readonly minVersion: number;
  readonly maxVersion: number;
  /** What ApiVersions advertises (defaults to the implemented range). */
  readonly advertisedMinVersion: number;
}

function range(apiKey: number, name: string, min: number, max: number, advertisedMin = min): ApiVersionRange {
  return { apiKey, name, minVersion: min, maxVersion: max, advertisedMinVersion: advertisedMin };
}

export const SUPPORTED_APIS: readonly ApiVersionRange[] = [
  range(0, "Produce", 3, 11, 0),
  range(1, "Fetch", 4, 17),
  range(2, "ListOffsets", 1, 10),
  range(3, "Metadata", 0, 12),
  range(8, "OffsetCommit", 0, 9),
  range(9, "OffsetFetch", 0, 9),
  range(10, "FindCoordinator", 0, 6),
  range(11, "JoinGroup", 0, 9),
  range(12, "Heartbeat", 0, 4),
  range(13, "LeaveGroup", 0, 5),
  range(14, "SyncGroup", 0, 5),
  range(15, "DescribeGroups", 0, 5),
  range(16, "ListGroups", 0, 5),
  range(18, "ApiVersions", 0, 4),
  range(19, "CreateTopics", 2, 7),
  range(20, "DeleteTopics", 1, 6),
  range(21, "DeleteRecords", 0, 2),
  range(22, "InitProducerId", 0, 5),
  range(23, "OffsetForLeaderEpoch", 2, 4),
  range(32, "DescribeConfigs", 1, 4),
  range(33, "AlterConfigs", 0, 2),
  range(35, "DescribeLogDirs", 1, 4),
  range(37, "CreatePartitions", 0, 3),
  range(42, "DeleteGroups", 0, 2),
  range(44, "IncrementalAlterConfigs", 0, 1),
  range(47, "OffsetDelete", 0, 0),
  range(60, "DescribeCluster", 0, 1),
  range(61, "DescribeProducers", 0, 0),
  range(75, "DescribeTopicPartitions", 0, 0),
];

export const SUPPORTED_APIS_BY_KEY: ReadonlyMap<number, ApiVersionRange> = new Map(
  SUPPORTED_APIS.map((r) => [r.apiKey, r]),
);

export function isVersionSupported(apiKey: number, version: number): boolean {
  const r = SUPPORTED_APIS_BY_KEY.get(apiKey);
  return r !== undefined && version >= r.minVersion && version <= r.maxVersion;
}
