import { ErrorCode, KafkaError } from "../protocol/index.js";
import {
  type ConsumerGroup,
  currentAssignmentRecord,
  memberMetadataRecord,
  memberTombstones,
  targetAssignmentRecord,
} from "./consumer-group.js";
import type { TopicPartitions } from "./consumer-group-assignor.js";
import {
  type ConsumerGroupMember,
  LEAVE_GROUP_STATIC_MEMBER_EPOCH,
  MemberState,
  newMember,
} from "./consumer-group-member.js";
import type { OwnedTopicPartitions } from "./consumer-group-reconciliation.js";
import type { CoordinatorRecord } from "./coordinator-record.js";
import type { ConsumerGroupHeartbeatRequest } from "./group-api.js";

/**
 * Who a ConsumerGroupHeartbeat comes from: a new member, a known one at a valid epoch, a member
 * rejoining, or a static member taking over its instance id, as Kafka's
 * getOrMaybeSubscribe{Dynamic,Static}ConsumerGroupMember decide it. Errors are Kafka's, thrown as
 * KafkaError.
 */

export interface ResolvedMember {
  /** The member the heartbeat starts from. */
  readonly member: ConsumerGroupMember;
  /** The member of that id already in the group, if any. */
  readonly existing: ConsumerGroupMember | undefined;
  /** A static member of the same instance id that this one replaces (its records are in). */
  readonly replaced?: ConsumerGroupMember;
}

export function dynamicMember(
  group: ConsumerGroup,
  memberId: string,
  request: ConsumerGroupHeartbeatRequest,
): ResolvedMember {
  const existing = group.members.get(memberId);
  if (existing === undefined) {
    if (request.memberEpoch !== 0) {
      throw new KafkaError(
        ErrorCode.UNKNOWN_MEMBER_ID,
        `Member ${memberId} is not a member of group ${group.groupId}.`,
      );
    }
    return { member: newMember(memberId), existing };
  }
  if (request.memberEpoch === 0) {
    // A member that rejoins (after being fenced, say) gave up its partitions: it starts over.
    const member: ConsumerGroupMember = {
      ...existing,
      memberEpoch: 0,
      previousMemberEpoch: 0,
      state: MemberState.Stable,
      assignedPartitions: new Map(),
      partitionsPendingRevocation: new Map(),
    };
    return { member, existing };
  }
  checkMemberEpoch(existing, request.memberEpoch, request.topicPartitions);
  return { member: existing, existing };
}

/**
 * Kafka's getOrMaybeSubscribeStaticConsumerGroupMember: a join with an instance id in use takes
 * over that member (its partitions and target, under the new member id, at epoch 0, with no
 * rebalance) only if it left with epoch -2; otherwise UNRELEASED_INSTANCE_ID. A heartbeat must
 * come from the member that holds the instance id (FENCED_INSTANCE_ID).
 */
export function staticMember(
  group: ConsumerGroup,
  memberId: string,
  instanceId: string,
  request: ConsumerGroupHeartbeatRequest,
  records: CoordinatorRecord[],
): ResolvedMember {
  const holder = [...group.members.values()].find((m) => m.instanceId === instanceId);
  if (request.memberEpoch !== 0) {
    const member = knownStaticMember(group, memberId, instanceId);
    checkMemberEpoch(member, request.memberEpoch, request.topicPartitions);
    return { member, existing: member };
  }
  if (holder === undefined) return dynamicMember(group, memberId, request);
  if (holder.memberEpoch !== LEAVE_GROUP_STATIC_MEMBER_EPOCH) {
    throw new KafkaError(
      ErrorCode.UNRELEASED_INSTANCE_ID,
      `Static member ${memberId} with instance id ${instanceId} cannot join the group because the instance id is owned by ${holder.memberId} member.`,
    );
  }
  const member: ConsumerGroupMember = { ...holder, memberId, memberEpoch: 0, previousMemberEpoch: 0 };
  records.push(
    ...memberTombstones(group.groupId, holder.memberId),
    memberMetadataRecord(group.groupId, member),
    targetAssignmentRecord(group.groupId, memberId, group.targetAssignment.get(holder.memberId) ?? new Map()),
    currentAssignmentRecord(group.groupId, member),
  );
  return { member, existing: undefined, replaced: holder };
}

export function knownStaticMember(
  group: ConsumerGroup,
  memberId: string,
  instanceId: string,
): ConsumerGroupMember {
  const holder = [...group.members.values()].find((m) => m.instanceId === instanceId);
  if (holder === undefined) {
    throw new KafkaError(ErrorCode.UNKNOWN_MEMBER_ID, `Instance id ${instanceId} is unknown.`);
  }
  if (holder.memberId !== memberId) {
    throw new KafkaError(
      ErrorCode.FENCED_INSTANCE_ID,
      `Static member ${memberId} with instance id ${instanceId} was fenced by member ${holder.memberId}.`,
    );
  }
  return holder;
}

/** Kafka's throwIfConsumerGroupMemberEpochIsInvalid. */
function checkMemberEpoch(member: ConsumerGroupMember, received: number, owned: OwnedTopicPartitions): void {
  if (received > member.memberEpoch) {
    throw new KafkaError(
      ErrorCode.FENCED_MEMBER_EPOCH,
      `The consumer group member has a greater member epoch (${received}) than the one known by the group coordinator (${member.memberEpoch}). The member must abandon all its partitions and rejoin.`,
    );
  }
  if (received < member.memberEpoch) {
    // The answer that moved it to the new epoch may have been lost.
    if (received !== member.previousMemberEpoch || !ownsOnly(owned, member.assignedPartitions)) {
      throw new KafkaError(
        ErrorCode.FENCED_MEMBER_EPOCH,
        `The consumer group member has a smaller member epoch (${received}) than the one known by the group coordinator (${member.memberEpoch}). The member must abandon all its partitions and rejoin.`,
      );
    }
  }
}

function ownsOnly(owned: OwnedTopicPartitions, assigned: TopicPartitions): boolean {
  if (owned === null) return false;
  return owned.every(({ topicId, partitions }) => {
    const set = assigned.get(topicId);
    return set !== undefined && partitions.every((p) => set.has(p));
  });
}

/** A v0 member's id as Kafka makes it (Uuid.toString: 16 bytes in URL-safe base64, no padding). */
export function kafkaUuid(uuid: string): string {
  const hex = uuid.replace(/-/g, "");
  return /^[0-9a-f]{32}$/i.test(hex) ? Buffer.from(hex, "hex").toString("base64url") : uuid;
}
