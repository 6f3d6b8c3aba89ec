import type { ConfigEntry, PartitionMetadata, TopicMetadata } from "../../client/index.js";
import { ZERO_UUID } from "../../protocol/index.js";

/**
 * What `--describe` prints, line for line as Kafka 4.0's TopicCommand prints it, and its
 * partition filters (PartitionDescription's predicates).
 */

/** Java's String.hashCode. */
function javaStringHash(text: string): number {
  let hash = 0;
  for (let i = 0; i < text.length; i++) hash = (Math.imul(hash, 31) + text.charCodeAt(i)) | 0;
  return hash;
}

/**
 * The entries in the order a java.util.HashMap filled with them one by one iterates them: by
 * bucket (the spread hash modulo the table size the map grew to), then in insertion order. The
 * Java admin client keeps a topic's configs in such a map, so that is the order kafka-topics.sh
 * lists them in.
 */
export function javaHashMapOrder<T>(entries: readonly T[], keyOf: (entry: T) => string): T[] {
  let capacity = 16;
  while (entries.length > capacity * 0.75) capacity *= 2;
  const bucket = (key: string) => {
    const h = javaStringHash(key);
    return (h ^ (h >>> 16)) & (capacity - 1);
  };
  return entries
    .map((entry, at) => ({ entry, at, bucket: bucket(keyOf(entry)) }))
    .sort((a, b) => a.bucket - b.bucket || a.at - b.at)
    .map((e) => e.entry);
}

/** A topic's configs that are not Kafka's defaults (ConfigEntry.isDefault), as `Configs:` lists them. */
export function overriddenConfigs(configs: readonly ConfigEntry[]): ConfigEntry[] {
  return javaHashMapOrder(configs, (c) => c.name).filter((c) => !c.isDefault);
}

export function topicLine(topic: TopicMetadata, configs: readonly ConfigEntry[]): string {
  const first = topic.partitions[0];
  const fields = [`Topic: ${topic.name}`];
  if (topic.topicId !== ZERO_UUID) fields.push(`TopicId: ${topic.topicId}`);
  fields.push(`PartitionCount: ${topic.partitions.length}`);
  fields.push(`ReplicationFactor: ${first?.replicas.length ?? 0}`);
  fields.push(
    `Configs: ${overriddenConfigs(configs)
      .map((c) => `${c.name}=${c.value ?? "null"}`)
      .join(",")}`,
  );
  return `${fields.join("\t")}\n`;
}

/**
 * One partition, as Kafka's TopicCommand prints it: the ELR lists are N/A when the partitions came
 * from Metadata (a broker without DescribeTopicPartitions).
 */
export function partitionLine(topic: string, p: PartitionMetadata): string {
  const list = (ids: number[] | undefined) => (ids === undefined ? "N/A" : ids.join(","));
  return [
    "",
    `Topic: ${topic}`,
    `Partition: ${p.partitionIndex}`,
    `Leader: ${hasLeader(p) ? p.leaderId : "none"}`,
    `Replicas: ${p.replicas.join(",")}`,
    `Isr: ${p.isr.join(",")}`,
    `Elr: ${list(p.eligibleLeaderReplicas)}`,
    `LastKnownElr: ${list(p.lastKnownElr)}\n`,
  ].join("\t");
}

export function hasLeader(p: PartitionMetadata): boolean {
  return p.leaderId >= 0;
}

export function isUnderReplicated(p: PartitionMetadata): boolean {
  return p.replicas.length - p.isr.length > 0;
}

/** No leader, or a leader that is not among the live brokers. */
export function isUnavailable(p: PartitionMetadata, liveBrokers: ReadonlySet<number>): boolean {
  return !hasLeader(p) || !liveBrokers.has(p.leaderId);
}

export function isUnderMinIsr(p: PartitionMetadata, minIsr: number): boolean {
  return !hasLeader(p) || p.isr.length < minIsr;
}

export function isAtMinIsr(p: PartitionMetadata, minIsr: number): boolean {
  return p.isr.length === minIsr;
}
