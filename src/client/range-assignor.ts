import { groupBy } from "../base/index.js";
import type { TopicPartition } from "./admin-group-results.js";

/** The assignor name every classic-protocol client knows (Kafka's RangeAssignor, librdkafka's "range"). */
export const RANGE_ASSIGNOR_NAME = "range";

export interface AssignorMember {
  memberId: string;
  topics: readonly string[];
}

/**
 * Kafka's RangeAssignor: per topic, the partitions in order are cut into ranges over the members
 * subscribed to it, sorted by member id; the first `partitions % members` members get one more.
 * Topics with no known partitions (`partitionCounts` lacks them) are left out. Every member gets an
 * entry, empty when it has nothing, as Kafka's assignment map has one per member.
 */
export function rangeAssign(
  members: readonly AssignorMember[],
  partitionCounts: ReadonlyMap<string, number>,
): Map<string, TopicPartition[]> {
  const assignment = new Map<string, TopicPartition[]>();
  for (const m of members) assignment.set(m.memberId, []);
  const subscriptions = members.flatMap((m) =>
    [...new Set(m.topics)].map((topic) => ({ topic, member: m.memberId })),
  );
  const byTopic = groupBy(
    subscriptions,
    (s) => s.topic,
    (s) => s.member,
  );
  for (const topic of [...byTopic.keys()].sort()) {
    const count = partitionCounts.get(topic);
    if (count === undefined || count <= 0) continue;
    // Compared as Java's String.compareTo does for the ids clients generate (ASCII).
    const subscribers = (byTopic.get(topic) as string[]).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const per = Math.floor(count / subscribers.length);
    const extra = count % subscribers.length;
    subscribers.forEach((memberId, i) => {
      const start = per * i + Math.min(i, extra);
      const length = per + (i < extra ? 1 : 0);
      const list = assignment.get(memberId) as TopicPartition[];
      for (let p = start; p < start + length; p++) list.push({ topic, partition: p });
    });
  }
  return assignment;
}
