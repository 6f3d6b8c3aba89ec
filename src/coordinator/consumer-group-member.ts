import type { Uuid } from "../protocol/index.js";
import type { TopicPartitions } from "./consumer-group-assignor.js";

/** Kafka's MemberState, with the byte each is persisted as in ConsumerGroupCurrentMemberAssignment. */
export const MemberState = {
  /** Reconciled to the target assignment's epoch. */
  Stable: 0,
  /** Must give up partitions (in `partitionsPendingRevocation`) before it moves on. */
  UnrevokedPartitions: 1,
  /** At the new epoch, waiting for partitions that other members still have to revoke. */
  UnreleasedPartitions: 2,
  Unknown: 127,
} as const;
export type MemberState = (typeof MemberState)[keyof typeof MemberState];

/** The member epoch of a member that left the group. */
export const LEAVE_GROUP_MEMBER_EPOCH = -1;
/** The member epoch of a static member that left temporarily (not supported yet). */
export const LEAVE_GROUP_STATIC_MEMBER_EPOCH = -2;

/**
 * A member of a consumer group (KIP-848) as the coordinator keeps it: what it sent (its
 * subscription, persisted as ConsumerGroupMemberMetadata) and where its reconciliation stands
 * (epochs and partitions, persisted as ConsumerGroupCurrentMemberAssignment). Immutable: a change
 * is a new object, so "did anything change" is a comparison and records are written only then.
 */
export interface ConsumerGroupMember {
  readonly memberId: string;
  readonly instanceId: string | null;
  readonly rackId: string | null;
  readonly clientId: string;
  readonly clientHost: string;
  readonly subscribedTopicNames: readonly string[];
  /** The pattern it subscribes with (KIP-848's SubscribedTopicRegex), or null; never "". */
  readonly subscribedTopicRegex: string | null;
  readonly rebalanceTimeoutMs: number;
  readonly serverAssignor: string | null;
  readonly memberEpoch: number;
  readonly previousMemberEpoch: number;
  readonly state: MemberState;
  readonly assignedPartitions: TopicPartitions;
  readonly partitionsPendingRevocation: TopicPartitions;
}

export function newMember(memberId: string): ConsumerGroupMember {
  return {
    memberId,
    instanceId: null,
    rackId: null,
    clientId: "",
    clientHost: "",
    subscribedTopicNames: [],
    subscribedTopicRegex: null,
    rebalanceTimeoutMs: -1,
    serverAssignor: null,
    memberEpoch: 0,
    previousMemberEpoch: 0,
    state: MemberState.Stable,
    assignedPartitions: new Map(),
    partitionsPendingRevocation: new Map(),
  };
}

/** Whether the persisted subscription part of two members differs (a MemberMetadata record). */
export function subscriptionChanged(a: ConsumerGroupMember, b: ConsumerGroupMember): boolean {
  return (
    a.instanceId !== b.instanceId ||
    a.rackId !== b.rackId ||
    a.clientId !== b.clientId ||
    a.clientHost !== b.clientHost ||
    a.rebalanceTimeoutMs !== b.rebalanceTimeoutMs ||
    a.serverAssignor !== b.serverAssignor ||
    a.subscribedTopicRegex !== b.subscribedTopicRegex ||
    !sameNames(a.subscribedTopicNames, b.subscribedTopicNames)
  );
}

/**
 * Whether what the assignor looks at differs: a change bumps the group epoch. A changed pattern
 * is not in it: the pattern's resolution decides (consumer-group-regex-refresh.ts).
 */
export function assignmentInputsChanged(a: ConsumerGroupMember, b: ConsumerGroupMember): boolean {
  return (
    a.rackId !== b.rackId ||
    a.serverAssignor !== b.serverAssignor ||
    !sameNames(a.subscribedTopicNames, b.subscribedTopicNames)
  );
}

/** Whether the persisted assignment part differs (a CurrentMemberAssignment record). */
export function assignmentChanged(a: ConsumerGroupMember, b: ConsumerGroupMember): boolean {
  return (
    a.memberEpoch !== b.memberEpoch ||
    a.previousMemberEpoch !== b.previousMemberEpoch ||
    a.state !== b.state ||
    !samePartitions(a.assignedPartitions, b.assignedPartitions) ||
    !samePartitions(a.partitionsPendingRevocation, b.partitionsPendingRevocation)
  );
}

export function samePartitions(a: TopicPartitions, b: TopicPartitions): boolean {
  if (a.size !== b.size) return false;
  for (const [topicId, partitions] of a) {
    const other = b.get(topicId);
    if (other === undefined || other.size !== partitions.size) return false;
    for (const p of partitions) if (!other.has(p)) return false;
  }
  return true;
}

export function partitionCount(a: TopicPartitions): number {
  let n = 0;
  for (const partitions of a.values()) n += partitions.size;
  return n;
}

/** Partitions as the wire and the records list them: topic by topic, partitions ascending. */
export function toTopicPartitionList(a: TopicPartitions): { topicId: Uuid; partitions: number[] }[] {
  return [...a]
    .filter(([, partitions]) => partitions.size > 0)
    .map(([topicId, partitions]) => ({ topicId, partitions: [...partitions].sort((x, y) => x - y) }));
}

export function fromTopicPartitionList(
  list: readonly { readonly topicId: Uuid; readonly partitions: readonly number[] }[],
): TopicPartitions {
  const out = new Map<Uuid, Set<number>>();
  for (const { topicId, partitions } of list) {
    if (partitions.length === 0) continue;
    const set = out.get(topicId) ?? new Set<number>();
    out.set(topicId, set);
    for (const p of partitions) set.add(p);
  }
  return out;
}

function sameNames(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  const sa = [...a].sort();
  const sb = [...b].sort();
  return sa.every((name, i) => name === sb[i]);
}
