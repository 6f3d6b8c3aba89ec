import { type Broker, ConfigSource, describeTopicConfigs } from "../broker/index.js";
import type { PartitionRegistration, TopicImage } from "../metadata/index.js";
import { effectiveMinIsr, type Partition } from "../replication/index.js";
import { isOffline, isUnderReplicated, liveBrokerIds, minInsyncReplicas } from "./replication-health.js";

const CONFIG_SOURCE_NAMES = new Map<number, string>(Object.entries(ConfigSource).map(([k, v]) => [v, k]));

/** What the partition's leader knows of one follower (on the leader's console only). */
export interface FollowerInfo {
  id: number;
  inIsr: boolean;
  /** The follower's log end offset as of its last fetch; null before it fetched in this epoch. */
  logEndOffset: bigint | null;
  /** Leader's log end offset minus the follower's; null before it fetched. */
  lag: bigint | null;
  /** Milliseconds since the follower last had everything the leader had; null: never in this epoch. */
  caughtUpMsAgo: number | null;
}

export interface PartitionInfo {
  partition: number;
  leader: number;
  leaderEpoch: number;
  replicas: readonly number[];
  isr: readonly number[];
  /** Eligible leader replicas (KIP-966): out of the ISR but holding all the high watermark covers. */
  elr: readonly number[];
  /** The leader the partition last had when its ISR and ELR emptied (KIP-966). */
  lastKnownElr: readonly number[];
  /** Replicas on brokers that are not live (fenced, or no longer registered). */
  offlineReplicas: readonly number[];
  /** The ISR is smaller than the replica set. */
  underReplicated: boolean;
  /** The ISR is smaller than the topic's min.insync.replicas: acks=all produces are refused. */
  underMinIsr: boolean;
  /** No leader, or the leader is not a live broker: neither readable nor writable. */
  offline: boolean;
  /** False when this broker holds no replica: the offsets and sizes below are then null. */
  local: boolean;
  logStartOffset: bigint | null;
  highWatermark: bigint | null;
  logEndOffset: bigint | null;
  sizeBytes: number | null;
  segments: number | null;
  /** The followers' progress when this broker leads the partition (topic detail only); else null. */
  followers?: FollowerInfo[] | null;
}

/** What a topic's partitions are judged against: the live brokers and the topic's min.insync.replicas. */
export interface HealthContext {
  live: ReadonlySet<number>;
  minIsr: number;
}

function healthContext(broker: Broker, topic: string): HealthContext {
  const image = broker.image;
  return { live: liveBrokerIds(image), minIsr: minInsyncReplicas(broker, topic, image) };
}

/** One partition: its registration in the metadata image and, when hosted here, its log. */
export function partitionInfo(
  broker: Broker,
  topic: string,
  registration: PartitionRegistration,
  health: HealthContext = healthContext(broker, topic),
  withFollowers = false,
): PartitionInfo {
  const replica = broker.replicaManager.get(topic, registration.partitionId);
  const log = replica?.log;
  const local = log !== undefined && !log.isOffline;
  const info: PartitionInfo = {
    partition: registration.partitionId,
    leader: registration.leader,
    leaderEpoch: registration.leaderEpoch,
    replicas: registration.replicas,
    isr: registration.isr,
    elr: registration.elr,
    lastKnownElr: registration.lastKnownElr,
    offlineReplicas: registration.replicas.filter((r) => !health.live.has(r)),
    underReplicated: isUnderReplicated(registration),
    underMinIsr: registration.isr.length < effectiveMinIsr(health.minIsr, registration.replicas),
    offline: isOffline(registration, health.live),
    local,
    logStartOffset: local ? log.logStartOffset : null,
    highWatermark: local ? log.highWatermark : null,
    logEndOffset: local ? log.logEndOffset : null,
    sizeBytes: local ? log.sizeBytes : null,
    segments: local ? log.segmentCount : null,
  };
  if (withFollowers) info.followers = replica?.isLeader && local ? followersOf(broker, replica) : null;
  return info;
}

function followersOf(broker: Broker, partition: Partition): FollowerInfo[] {
  const now = broker.clock.monotonicMs();
  const leaderEnd = partition.log.logEndOffset;
  return partition.replicas
    .filter((id) => id !== broker.nodeId)
    .map((id) => {
      const f = partition.follower(id);
      const fetched = f !== undefined && f.logEndOffset >= 0n;
      return {
        id,
        inIsr: partition.isr.includes(id),
        logEndOffset: fetched ? f.logEndOffset : null,
        lag: fetched ? leaderEnd - f.logEndOffset : null,
        caughtUpMsAgo:
          f === undefined || f.lastCaughtUpTimeMs === 0
            ? null
            : Math.max(0, Math.round(now - f.lastCaughtUpTimeMs)),
      };
    });
}

function summary(
  broker: Broker,
  topic: TopicImage,
  partitions: readonly PartitionInfo[],
  health: HealthContext,
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
    minInsyncReplicas: health.minIsr,
    underReplicatedPartitions: partitions.filter((p) => p.underReplicated).length,
    underMinIsrPartitions: partitions.filter((p) => p.underMinIsr).length,
    offlinePartitions: partitions.filter((p) => p.offline).length,
    // Over the replicas hosted here (every partition, on a single broker).
    sizeBytes,
    // Offsets spanned (log end - log start): exact for plain topics, an upper bound once
    // compaction or transaction markers leave gaps.
    records,
  };
}

/** `/api/topics`: every topic, by name. */
export function topicsList(broker: Broker): unknown {
  const image = broker.image;
  const live = liveBrokerIds(image);
  return [...image.topicsByName.values()]
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((t) => {
      const health = { live, minIsr: minInsyncReplicas(broker, t.name, image) };
      return summary(
        broker,
        t,
        t.partitions.map((p) => partitionInfo(broker, t.name, p, health)),
        health,
      );
    });
}

/** `/api/topics/:name`, or null for a topic the image does not hold. */
export function topicDetail(broker: Broker, name: string): unknown {
  const topic = broker.image.topic(name);
  if (topic === undefined) return null;
  const health = healthContext(broker, name);
  const partitions = topic.partitions.map((p) => partitionInfo(broker, topic.name, p, health, true));
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
  return { ...summary(broker, topic, partitions, health), partitions, configs };
}
