import { type Broker, ConfigSource, describeTopicConfigs } from "../broker/index.js";
import type { PartitionRegistration, TopicImage } from "../metadata/index.js";

const CONFIG_SOURCE_NAMES = new Map<number, string>(Object.entries(ConfigSource).map(([k, v]) => [v, k]));

export interface PartitionInfo {
  partition: number;
  leader: number;
  leaderEpoch: number;
  replicas: readonly number[];
  isr: readonly number[];
  /** False when this broker holds no replica: the offsets and sizes below are then null. */
  local: boolean;
  logStartOffset: bigint | null;
  highWatermark: bigint | null;
  logEndOffset: bigint | null;
  sizeBytes: number | null;
  segments: number | null;
}

/** One partition: its registration in the metadata image and, when hosted here, its log. */
export function partitionInfo(
  broker: Broker,
  topic: string,
  registration: PartitionRegistration,
): PartitionInfo {
  const replica = broker.replicaManager.get(topic, registration.partitionId);
  const log = replica?.log;
  const local = log !== undefined && !log.isOffline;
  return {
    partition: registration.partitionId,
    leader: registration.leader,
    leaderEpoch: registration.leaderEpoch,
    replicas: registration.replicas,
    isr: registration.isr,
    local,
    logStartOffset: local ? log.logStartOffset : null,
    highWatermark: local ? log.highWatermark : null,
    logEndOffset: local ? log.logEndOffset : null,
    sizeBytes: local ? log.sizeBytes : null,
    segments: local ? log.segmentCount : null,
  };
}

function summary(
  broker: Broker,
  topic: TopicImage,
  partitions: readonly PartitionInfo[],
): Record<string, unknown> {
  let sizeBytes = 0;
  let records = 0n;
  for (const p of partitions) {
    sizeBytes += p.sizeBytes ?? 0;
    if (p.logEndOffset !== null && p.logStartOffset !== null) records += p.logEndOffset - p.logStartOffset;
  }
  return {
    name: topic.name,
    id: topic.id,
    internal: broker.isInternalTopic(topic.name),
    partitionCount: topic.partitions.length,
    replicationFactor: topic.partitions[0]?.replicas.length ?? 0,
    underReplicatedPartitions: topic.partitions.filter((p) => p.isr.length < p.replicas.length).length,
    offlinePartitions: topic.partitions.filter((p) => p.leader < 0).length,
    // Over the replicas hosted here (every partition, on a single broker).
    sizeBytes,
    // Offsets spanned (log end - log start): exact for plain topics, an upper bound once
    // compaction or transaction markers leave gaps.
    records,
  };
}

/** `/api/topics`: every topic, by name. */
export function topicsList(broker: Broker): unknown {
  return [...broker.image.topicsByName.values()]
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((t) =>
      summary(
        broker,
        t,
        t.partitions.map((p) => partitionInfo(broker, t.name, p)),
      ),
    );
}

/** `/api/topics/:name`, or null for a topic the image does not hold. */
export function topicDetail(broker: Broker, name: string): unknown {
  const topic = broker.image.topic(name);
  if (topic === undefined) return null;
  const partitions = topic.partitions.map((p) => partitionInfo(broker, topic.name, p));
  const configs = describeTopicConfigs(broker.config, broker.image.topicConfig(name), {
    includeSynonyms: false,
    includeDocumentation: true,
    keys: null,
  }).map((c) => ({
    name: c.name,
    value: c.isSensitive ? null : c.value,
    source: CONFIG_SOURCE_NAMES.get(c.source) ?? "UNKNOWN",
    readOnly: c.readOnly,
    sensitive: c.isSensitive,
    documentation: c.documentation,
  }));
  return { ...summary(broker, topic, partitions), partitions, configs };
}
