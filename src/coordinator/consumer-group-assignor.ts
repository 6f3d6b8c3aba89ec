import type { Uuid } from "../protocol/index.js";

/**
 * The server-side assignors of KIP-848 consumer groups (`group.consumer.assignors`): pure
 * functions from the group's members, their subscriptions and the subscribed topics' partition
 * counts to a target assignment. The coordinator runs one whenever the group epoch moves past the
 * assignment epoch; reconciliation then moves members towards the result.
 */

/** Partitions by topic id. Sets are never empty in an assignment the assignors produce. */
export type TopicPartitions = ReadonlyMap<Uuid, ReadonlySet<number>>;

export interface AssignorMember {
  readonly memberId: string;
  /** Topic ids the member subscribes to that exist (unknown names are left out by the caller). */
  readonly subscribedTopicIds: readonly Uuid[];
  /** The member's previous target assignment, for stickiness (empty for a new member). */
  readonly previous: TopicPartitions;
}

export interface AssignorInput {
  readonly members: readonly AssignorMember[];
  /** Partition count per subscribed topic id. */
  readonly partitionCounts: ReadonlyMap<Uuid, number>;
}

export interface ConsumerGroupAssignor {
  readonly name: string;
  /** The target assignment of every member (members with nothing get an empty map). */
  assign(input: AssignorInput): Map<string, TopicPartitions>;
}

/** Kafka's default for `group.consumer.assignors`: the first one is the group's default. */
export const DEFAULT_CONSUMER_GROUP_ASSIGNORS = ["uniform", "range"] as const;

/**
 * Kafka's UniformAssignor in its intent: every subscribed partition goes to exactly one of its
 * subscribers, members subscribed to the same topics end within one partition of each other, and
 * partitions stay with their previous owner where that keeps the balance (so a rebalance revokes
 * as little as possible). The algorithm is Brook's own: keep what is still valid, give each
 * unassigned partition to its least loaded subscriber, then move partitions from the most to the
 * least loaded subscriber while that narrows the gap by two or more.
 */
export const uniformAssignor: ConsumerGroupAssignor = {
  name: "uniform",
  assign(input) {
    const members = [...input.members].sort((a, b) => compare(a.memberId, b.memberId));
    const subscribers = subscribersByTopic(members, input.partitionCounts);
    const owner = new Map<string, string>();
    const owned = new Map<string, string[]>(members.map((m) => [m.memberId, []]));
    const take = (memberId: string, key: string) => {
      owner.set(key, memberId);
      owned.get(memberId)?.push(key);
    };
    // Stickiness, capped at what balance allows a member of a homogeneous group.
    for (const m of members) {
      for (const [topicId, partitions] of m.previous) {
        const count = input.partitionCounts.get(topicId);
        if (count === undefined || !m.subscribedTopicIds.includes(topicId)) continue;
        const topicSubscribers = subscribers.get(topicId)?.length ?? 1;
        const cap = Math.ceil(count / topicSubscribers) * m.subscribedTopicIds.length;
        for (const p of [...partitions].sort((a, b) => a - b)) {
          const key = partitionKey(topicId, p);
          if (p >= count || owner.has(key) || (owned.get(m.memberId)?.length ?? 0) >= cap) continue;
          take(m.memberId, key);
        }
      }
    }
    // The rest, topics with the fewest subscribers first (they have the least choice).
    const topics = [...subscribers.keys()].sort(
      (a, b) => (subscribers.get(a)?.length ?? 0) - (subscribers.get(b)?.length ?? 0) || compare(a, b),
    );
    for (const topicId of topics) {
      const candidates = subscribers.get(topicId) ?? [];
      const count = input.partitionCounts.get(topicId) ?? 0;
      for (let p = 0; p < count; p++) {
        const key = partitionKey(topicId, p);
        if (owner.has(key)) continue;
        take(leastLoaded(candidates, owned), key);
      }
    }
    // Balance: a move from `from` to `to` is worth it when their loads differ by two or more.
    for (let moved = true; moved; ) {
      moved = false;
      for (const topicId of topics) {
        const candidates = subscribers.get(topicId) ?? [];
        const count = input.partitionCounts.get(topicId) ?? 0;
        for (let p = count - 1; p >= 0; p--) {
          const key = partitionKey(topicId, p);
          const from = owner.get(key) as string;
          const to = leastLoaded(candidates, owned);
          const fromLoad = owned.get(from)?.length ?? 0;
          if (fromLoad - (owned.get(to)?.length ?? 0) < 2) continue;
          const list = owned.get(from) as string[];
          list.splice(list.indexOf(key), 1);
          take(to, key);
          moved = true;
        }
      }
    }
    return toAssignment(members, owned);
  },
};

/**
 * Kafka's RangeAssignor (server side): per topic, its subscribers sorted by member id each get a
 * contiguous range of partitions, the first `partitions % subscribers` one more; members subscribed
 * to co-partitioned topics get the same partition numbers of each.
 */
export const rangeAssignor: ConsumerGroupAssignor = {
  name: "range",
  assign(input) {
    const members = [...input.members].sort((a, b) => compare(a.memberId, b.memberId));
    const owned = new Map<string, string[]>(members.map((m) => [m.memberId, []]));
    for (const [topicId, candidates] of subscribersByTopic(members, input.partitionCounts)) {
      const count = input.partitionCounts.get(topicId) ?? 0;
      const base = Math.floor(count / candidates.length);
      const extra = count % candidates.length;
      let next = 0;
      candidates.forEach((memberId, i) => {
        const n = base + (i < extra ? 1 : 0);
        for (let k = 0; k < n; k++) owned.get(memberId)?.push(partitionKey(topicId, next++));
      });
    }
    return toAssignment(members, owned);
  },
};

export const CONSUMER_GROUP_ASSIGNORS: readonly ConsumerGroupAssignor[] = [uniformAssignor, rangeAssignor];

export function assignorByName(name: string): ConsumerGroupAssignor | undefined {
  return CONSUMER_GROUP_ASSIGNORS.find((a) => a.name === name);
}

function subscribersByTopic(
  members: readonly AssignorMember[],
  partitionCounts: ReadonlyMap<Uuid, number>,
): Map<Uuid, string[]> {
  const out = new Map<Uuid, string[]>();
  for (const m of members) {
    for (const topicId of new Set(m.subscribedTopicIds)) {
      if (!partitionCounts.has(topicId)) continue;
      const list = out.get(topicId) ?? [];
      out.set(topicId, list);
      list.push(m.memberId);
    }
  }
  return out;
}

function leastLoaded(candidates: readonly string[], owned: ReadonlyMap<string, readonly string[]>): string {
  let best = candidates[0] as string;
  for (const c of candidates) if ((owned.get(c)?.length ?? 0) < (owned.get(best)?.length ?? 0)) best = c;
  return best;
}

function partitionKey(topicId: Uuid, partition: number): string {
  return `${topicId}:${partition}`;
}

function toAssignment(
  members: readonly AssignorMember[],
  owned: ReadonlyMap<string, readonly string[]>,
): Map<string, TopicPartitions> {
  const out = new Map<string, TopicPartitions>();
  for (const m of members) {
    const byTopic = new Map<Uuid, Set<number>>();
    for (const key of owned.get(m.memberId) ?? []) {
      const at = key.lastIndexOf(":");
      const topicId = key.slice(0, at);
      const set = byTopic.get(topicId) ?? new Set<number>();
      byTopic.set(topicId, set);
      set.add(Number(key.slice(at + 1)));
    }
    out.set(m.memberId, byTopic);
  }
  return out;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
