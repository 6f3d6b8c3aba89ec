import type { Uuid } from "../protocol/index.js";
import type { TopicPartitions } from "./consumer-group-assignor.js";
import { type ConsumerGroupMember, MemberState } from "./consumer-group-member.js";

/** Partitions a member reports it owns, as the heartbeat carries them (null: not sent). */
export type OwnedTopicPartitions =
  | readonly { readonly topicId: Uuid; readonly partitions: readonly number[] }[]
  | null;

/** The epoch of the member owning a partition (assigned or pending revocation), -1 when none. */
export type PartitionEpochLookup = (topicId: Uuid, partition: number) => number;

/**
 * One reconciliation step of a member towards the target assignment, as Kafka's
 * CurrentAssignmentBuilder: a member first gives up what the target takes away (it stays at its
 * epoch, in UNREVOKED_PARTITIONS, until a heartbeat no longer lists those partitions); only then
 * does it move to the target epoch and get new partitions, and only those no other member still
 * owns (the rest wait, UNRELEASED_PARTITIONS, and come on a later heartbeat). So a partition is
 * never owned by two members at once.
 */
export function reconcile(
  member: ConsumerGroupMember,
  targetEpoch: number,
  target: TopicPartitions,
  partitionEpoch: PartitionEpochLookup,
  owned: OwnedTopicPartitions,
): ConsumerGroupMember {
  switch (member.state) {
    case MemberState.Stable:
      if (member.memberEpoch === targetEpoch) return member;
      return nextAssignment(member, member.memberEpoch, targetEpoch, target, partitionEpoch, owned);
    case MemberState.UnrevokedPartitions:
      if (ownsAny(owned, member.partitionsPendingRevocation)) return member;
      return nextAssignment(member, member.memberEpoch + 1, targetEpoch, target, partitionEpoch, owned);
    case MemberState.UnreleasedPartitions:
      return nextAssignment(member, member.memberEpoch, targetEpoch, target, partitionEpoch, owned);
    default:
      return nextAssignment(member, targetEpoch, targetEpoch, target, partitionEpoch, owned);
  }
}

function nextAssignment(
  member: ConsumerGroupMember,
  memberEpoch: number,
  targetEpoch: number,
  target: TopicPartitions,
  partitionEpoch: PartitionEpochLookup,
  owned: OwnedTopicPartitions,
): ConsumerGroupMember {
  const current = member.assignedPartitions;
  const assigned = new Map<Uuid, Set<number>>();
  const revoking = new Map<Uuid, Set<number>>();
  const pending = new Map<Uuid, Set<number>>();
  let unreleased = false;
  for (const topicId of new Set([...target.keys(), ...current.keys()])) {
    const want = target.get(topicId) ?? new Set<number>();
    const have = current.get(topicId) ?? new Set<number>();
    const keep = new Set([...have].filter((p) => want.has(p)));
    const revoke = new Set([...have].filter((p) => !want.has(p)));
    const add = new Set<number>();
    for (const p of want) {
      if (keep.has(p)) continue;
      // Owned by another member until it revokes it (this member's own are in `keep`).
      if (partitionEpoch(topicId, p) !== -1) unreleased = true;
      else add.add(p);
    }
    if (keep.size > 0) assigned.set(topicId, keep);
    if (revoke.size > 0) revoking.set(topicId, revoke);
    if (add.size > 0) pending.set(topicId, add);
  }
  const moved = (
    state: MemberState,
    epoch: number,
    partitions: TopicPartitions,
    revocation: TopicPartitions,
  ) =>
    withEpoch(member, epoch, {
      state,
      assignedPartitions: partitions,
      partitionsPendingRevocation: revocation,
    });
  if (revoking.size > 0 && ownsAny(owned, revoking)) {
    return moved(MemberState.UnrevokedPartitions, memberEpoch, assigned, revoking);
  }
  for (const [topicId, partitions] of pending) {
    const set = assigned.get(topicId) ?? new Set<number>();
    for (const p of partitions) set.add(p);
    assigned.set(topicId, set);
  }
  const state = unreleased ? MemberState.UnreleasedPartitions : MemberState.Stable;
  return moved(state, targetEpoch, assigned, new Map());
}

/** Kafka's updateMemberEpoch: the epoch the member had becomes the previous one. */
function withEpoch(
  member: ConsumerGroupMember,
  epoch: number,
  fields: Pick<ConsumerGroupMember, "state" | "assignedPartitions" | "partitionsPendingRevocation">,
): ConsumerGroupMember {
  return {
    ...member,
    ...fields,
    previousMemberEpoch: member.memberEpoch,
    memberEpoch: epoch,
  };
}

/** Whether the member still reports any of `partitions` as owned; not reporting counts as owning. */
function ownsAny(owned: OwnedTopicPartitions, partitions: TopicPartitions): boolean {
  if (owned === null) return true;
  return owned.some(({ topicId, partitions: ps }) => {
    const revoking = partitions.get(topicId);
    return revoking !== undefined && ps.some((p) => revoking.has(p));
  });
}
