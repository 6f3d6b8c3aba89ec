import type { SubscribedTopic } from "./consumer-group.js";
import {
  type AssignorMember,
  assignorByName,
  type TopicPartitions,
  uniformAssignor,
} from "./consumer-group-assignor.js";
import type { ConsumerGroupMember } from "./consumer-group-member.js";
import type { ResolvedRegex } from "./consumer-group-regex.js";
import type { ShardState } from "./shard-state.js";

/**
 * What the group's target assignment is computed from: the subscribed topics as the broker's
 * metadata has them, the assignor the members prefer, and the previous targets (for stickiness).
 */

/** The topics a member subscribes to: by name, and those its pattern resolved to. */
export function memberTopicNames(
  m: ConsumerGroupMember,
  resolved: ReadonlyMap<string, ResolvedRegex>,
): readonly string[] {
  const regex = m.subscribedTopicRegex === null ? undefined : resolved.get(m.subscribedTopicRegex);
  return regex === undefined ? m.subscribedTopicNames : [...m.subscribedTopicNames, ...regex.topics];
}

/** The subscribed topics that exist, by name, as the broker's metadata has them now. */
export function subscriptionMetadata(
  s: ShardState,
  members: Iterable<ConsumerGroupMember>,
  resolved: ReadonlyMap<string, ResolvedRegex>,
): Map<string, SubscribedTopic> {
  const names = new Set<string>();
  for (const m of members) for (const name of memberTopicNames(m, resolved)) names.add(name);
  const out = new Map<string, SubscribedTopic>();
  for (const name of [...names].sort()) {
    const topic = s.topics.topicByName(name);
    if (topic !== undefined) out.set(name, { topicId: topic.topicId, numPartitions: topic.numPartitions });
  }
  return out;
}

export function sameMetadata(
  a: ReadonlyMap<string, SubscribedTopic>,
  b: ReadonlyMap<string, SubscribedTopic>,
): boolean {
  if (a.size !== b.size) return false;
  for (const [name, t] of a) {
    const other = b.get(name);
    if (other === undefined || other.topicId !== t.topicId || other.numPartitions !== t.numPartitions)
      return false;
  }
  return true;
}

/**
 * The group's assignor: the one most members ask for (Kafka's preferred server assignor), else
 * the first of `group.consumer.assignors`.
 */
export function preferredAssignor(s: ShardState, requested: readonly (string | null)[]): string {
  let name = s.config.consumerGroupAssignors[0] as string;
  let best = 0;
  for (const candidate of s.config.consumerGroupAssignors) {
    const n = requested.filter((r) => r === candidate).length;
    if (n > best) [name, best] = [candidate, n];
  }
  return name;
}

/** The target assignment of every member, sticky to the previous one. */
export function computeTargetAssignment(
  s: ShardState,
  previousTargets: ReadonlyMap<string, TopicPartitions>,
  members: ReadonlyMap<string, ConsumerGroupMember>,
  metadata: ReadonlyMap<string, SubscribedTopic>,
  resolved: ReadonlyMap<string, ResolvedRegex>,
): Map<string, TopicPartitions> {
  const name = preferredAssignor(
    s,
    [...members.values()].map((m) => m.serverAssignor),
  );
  const assignor = assignorByName(name) ?? uniformAssignor;
  const partitionCounts = new Map([...metadata.values()].map((t) => [t.topicId, t.numPartitions]));
  const input: AssignorMember[] = [...members.values()].map((m) => ({
    memberId: m.memberId,
    subscribedTopicIds: [...new Set(memberTopicNames(m, resolved))].flatMap((n) => {
      const t = metadata.get(n);
      return t === undefined ? [] : [t.topicId];
    }),
    previous: previousTargets.get(m.memberId) ?? new Map(),
  }));
  return assignor.assign({ members: input, partitionCounts });
}
