import type { Uuid } from "../protocol/index.js";
import type { TopicPartitions } from "./consumer-group-assignor.js";
import {
  type ConsumerGroupMember,
  fromTopicPartitionList,
  LEAVE_GROUP_MEMBER_EPOCH,
  MemberState,
  newMember,
  toTopicPartitionList,
} from "./consumer-group-member.js";
import type { ResolvedRegex } from "./consumer-group-regex.js";
import { type ConsumerGroupRecord, consumerGroupRecord } from "./coordinator-record.js";

/** Kafka's ConsumerGroupState, as ListGroups and ConsumerGroupDescribe name them. */
export type ConsumerGroupState = "Empty" | "Assigning" | "Reconciling" | "Stable" | "Dead";

/** The type ListGroups v5 gives KIP-848 groups. */
export const CONSUMER_GROUP_TYPE = "consumer";

/** A subscribed topic as the group last saw it (its PartitionMetadata record). */
export interface SubscribedTopic {
  readonly topicId: Uuid;
  readonly numPartitions: number;
}

/**
 * A KIP-848 consumer group: its epochs, members, target assignment and the metadata of the topics
 * its members subscribe to. It changes only through `replay` of its records, both when loading
 * `__consumer_offsets` and when the coordinator decides (it builds the records, then replays
 * them), so a restarted coordinator rebuilds exactly the group it had.
 *
 * Epochs: the group epoch moves when members or subscriptions or the subscribed topics change;
 * the assignment epoch is the group epoch the target assignment was computed at; each member's
 * epoch reaches the assignment epoch once it reconciled.
 */
export class ConsumerGroup {
  readonly groupId: string;
  groupEpoch = 0;
  assignmentEpoch = 0;
  readonly members = new Map<string, ConsumerGroupMember>();
  readonly targetAssignment = new Map<string, TopicPartitions>();
  subscriptionMetadata: ReadonlyMap<string, SubscribedTopic> = new Map();
  /** What the patterns its members subscribe with resolved to (ConsumerGroupRegularExpression records). */
  readonly resolvedRegexes = new Map<string, ResolvedRegex>();
  /** Owners of partitions assigned or pending revocation: topic id, partition, owner and its epoch. */
  private readonly partitionOwners = new Map<Uuid, Map<number, { memberId: string; epoch: number }>>();

  constructor(groupId: string) {
    this.groupId = groupId;
  }

  get size(): number {
    return this.members.size;
  }

  /** Kafka's ConsumerGroup state, derived from the epochs as Kafka derives it. */
  get state(): ConsumerGroupState {
    if (this.members.size === 0) return "Empty";
    if (this.groupEpoch > this.assignmentEpoch) return "Assigning";
    for (const m of this.members.values()) {
      if (m.memberEpoch !== this.assignmentEpoch || m.state !== MemberState.Stable) return "Reconciling";
    }
    return "Stable";
  }

  /** The epoch of the member owning the partition, or -1 (CurrentAssignmentBuilder's lookup). */
  partitionEpoch(topicId: Uuid, partition: number): number {
    return this.partitionOwners.get(topicId)?.get(partition)?.epoch ?? -1;
  }

  partitionOwner(topicId: Uuid, partition: number): string | undefined {
    return this.partitionOwners.get(topicId)?.get(partition)?.memberId;
  }

  /** Every topic name some member subscribes to, by name or through its pattern's resolution. */
  subscribedTopicNames(): Set<string> {
    const out = new Set<string>();
    for (const m of this.members.values()) {
      for (const name of m.subscribedTopicNames) out.add(name);
      const resolved =
        m.subscribedTopicRegex === null ? undefined : this.resolvedRegexes.get(m.subscribedTopicRegex);
      for (const name of resolved?.topics ?? []) out.add(name);
    }
    return out;
  }

  /** The patterns members subscribe with, and how many members use each. */
  subscribedRegexes(): Map<string, number> {
    const out = new Map<string, number>();
    for (const m of this.members.values()) {
      if (m.subscribedTopicRegex !== null)
        out.set(m.subscribedTopicRegex, (out.get(m.subscribedTopicRegex) ?? 0) + 1);
    }
    return out;
  }

  /** Applies one of the group's records (the group was looked up by the record's key). */
  replay(record: ConsumerGroupRecord): void {
    const memberId = record.key.memberId ?? "";
    switch (record.name) {
      case "ConsumerGroupMetadata":
        if (record.value !== null) this.groupEpoch = record.value.epoch;
        return;
      case "ConsumerGroupPartitionMetadata":
        this.subscriptionMetadata = new Map(
          (record.value?.topics ?? []).map((t) => [
            t.topicName,
            { topicId: t.topicId, numPartitions: t.numPartitions },
          ]),
        );
        return;
      case "ConsumerGroupTargetAssignmentMetadata":
        if (record.value !== null) this.assignmentEpoch = record.value.assignmentEpoch;
        return;
      case "ConsumerGroupTargetAssignmentMember":
        if (record.value === null) this.targetAssignment.delete(memberId);
        else this.targetAssignment.set(memberId, fromTopicPartitionList(record.value.topicPartitions));
        return;
      case "ConsumerGroupMemberMetadata": {
        if (record.value === null) {
          this.removeMember(memberId);
          return;
        }
        const v = record.value;
        this.setMember({
          ...(this.members.get(memberId) ?? newMember(memberId)),
          instanceId: v.instanceId,
          rackId: v.rackId,
          clientId: v.clientId,
          clientHost: v.clientHost,
          subscribedTopicNames: v.subscribedTopicNames,
          subscribedTopicRegex: v.subscribedTopicRegex === "" ? null : v.subscribedTopicRegex,
          rebalanceTimeoutMs: v.rebalanceTimeoutMs,
          serverAssignor: v.serverAssignor,
        });
        return;
      }
      case "ConsumerGroupRegularExpression": {
        // The key's second field is the pattern.
        if (record.value === null) this.resolvedRegexes.delete(memberId);
        else
          this.resolvedRegexes.set(memberId, {
            topics: [...record.value.topics].sort(),
            version: record.value.version,
            timestamp: record.value.timestamp,
          });
        return;
      }
      case "ConsumerGroupCurrentMemberAssignment": {
        // After compaction a member's assignment may come before its (rewritten) metadata record:
        // the member is created here as Kafka's replay does; a tombstone of no member is a no-op.
        const v = record.value;
        const member = this.members.get(memberId) ?? (v === null ? undefined : newMember(memberId));
        if (member === undefined) return;
        this.setMember({
          ...member,
          memberEpoch: v?.memberEpoch ?? LEAVE_GROUP_MEMBER_EPOCH,
          previousMemberEpoch: v?.previousMemberEpoch ?? LEAVE_GROUP_MEMBER_EPOCH,
          state: (v?.state ?? MemberState.Stable) as MemberState,
          assignedPartitions: fromTopicPartitionList(v?.assignedPartitions ?? []),
          partitionsPendingRevocation: fromTopicPartitionList(v?.partitionsPendingRevocation ?? []),
        });
        return;
      }
    }
  }

  private setMember(member: ConsumerGroupMember): void {
    const old = this.members.get(member.memberId);
    if (old !== undefined) this.releasePartitions(old);
    this.members.set(member.memberId, member);
    for (const partitions of [member.assignedPartitions, member.partitionsPendingRevocation]) {
      for (const [topicId, ps] of partitions) {
        const owners =
          this.partitionOwners.get(topicId) ?? new Map<number, { memberId: string; epoch: number }>();
        this.partitionOwners.set(topicId, owners);
        for (const p of ps) owners.set(p, { memberId: member.memberId, epoch: member.memberEpoch });
      }
    }
  }

  private removeMember(memberId: string): void {
    const old = this.members.get(memberId);
    if (old === undefined) return;
    this.releasePartitions(old);
    this.members.delete(memberId);
  }

  private releasePartitions(member: ConsumerGroupMember): void {
    for (const partitions of [member.assignedPartitions, member.partitionsPendingRevocation]) {
      for (const [topicId, ps] of partitions) {
        const owners = this.partitionOwners.get(topicId);
        if (owners === undefined) continue;
        for (const p of ps) if (owners.get(p)?.memberId === member.memberId) owners.delete(p);
        if (owners.size === 0) this.partitionOwners.delete(topicId);
      }
    }
  }

  /** No partition is owned by two members; every member's target is known. */
  checkInvariants(): void {
    const seen = new Set<string>();
    for (const m of this.members.values()) {
      for (const partitions of [m.assignedPartitions, m.partitionsPendingRevocation]) {
        for (const [topicId, ps] of partitions) {
          for (const p of ps) {
            const key = `${topicId}:${p}`;
            if (seen.has(key)) throw new Error(`${this.groupId}: partition ${key} owned twice`);
            seen.add(key);
          }
        }
      }
    }
  }
}

// ---- the records Kafka writes for a consumer group ----

export function memberMetadataRecord(groupId: string, m: ConsumerGroupMember): ConsumerGroupRecord {
  return consumerGroupRecord("ConsumerGroupMemberMetadata", groupId, m.memberId, {
    instanceId: m.instanceId,
    rackId: m.rackId,
    clientId: m.clientId,
    clientHost: m.clientHost,
    subscribedTopicNames: [...m.subscribedTopicNames],
    subscribedTopicRegex: m.subscribedTopicRegex,
    rebalanceTimeoutMs: m.rebalanceTimeoutMs,
    serverAssignor: m.serverAssignor,
    classicMemberMetadata: null,
  });
}

export function currentAssignmentRecord(groupId: string, m: ConsumerGroupMember): ConsumerGroupRecord {
  return consumerGroupRecord("ConsumerGroupCurrentMemberAssignment", groupId, m.memberId, {
    memberEpoch: m.memberEpoch,
    previousMemberEpoch: m.previousMemberEpoch,
    state: m.state,
    assignedPartitions: toTopicPartitionList(m.assignedPartitions),
    partitionsPendingRevocation: toTopicPartitionList(m.partitionsPendingRevocation),
  });
}

export function targetAssignmentRecord(
  groupId: string,
  memberId: string,
  partitions: TopicPartitions,
): ConsumerGroupRecord {
  return consumerGroupRecord("ConsumerGroupTargetAssignmentMember", groupId, memberId, {
    topicPartitions: toTopicPartitionList(partitions),
  });
}

export function groupEpochRecord(groupId: string, epoch: number): ConsumerGroupRecord {
  return consumerGroupRecord("ConsumerGroupMetadata", groupId, null, { epoch });
}

export function assignmentEpochRecord(groupId: string, assignmentEpoch: number): ConsumerGroupRecord {
  return consumerGroupRecord("ConsumerGroupTargetAssignmentMetadata", groupId, null, { assignmentEpoch });
}

export function subscriptionMetadataRecord(
  groupId: string,
  metadata: ReadonlyMap<string, SubscribedTopic>,
): ConsumerGroupRecord {
  return consumerGroupRecord("ConsumerGroupPartitionMetadata", groupId, null, {
    topics: [...metadata].map(([topicName, t]) => ({
      topicId: t.topicId,
      topicName,
      numPartitions: t.numPartitions,
      partitionMetadata: [],
    })),
  });
}

/** Kafka's order when a member goes: its assignment, its target, then its subscription. */
export function memberTombstones(groupId: string, memberId: string): ConsumerGroupRecord[] {
  return [
    consumerGroupRecord("ConsumerGroupCurrentMemberAssignment", groupId, memberId, null),
    consumerGroupRecord("ConsumerGroupTargetAssignmentMember", groupId, memberId, null),
    consumerGroupRecord("ConsumerGroupMemberMetadata", groupId, memberId, null),
  ];
}

/** A pattern's resolution (null: the tombstone of a pattern no member uses any more). */
export function regexRecord(
  groupId: string,
  regex: string,
  resolved: ResolvedRegex | null,
): ConsumerGroupRecord {
  return consumerGroupRecord(
    "ConsumerGroupRegularExpression",
    groupId,
    regex,
    resolved === null
      ? null
      : { topics: [...resolved.topics], version: resolved.version, timestamp: resolved.timestamp },
  );
}

/** Kafka's order when an empty group is deleted; its group metadata tombstone last. */
export function groupTombstoneRecords(group: ConsumerGroup): ConsumerGroupRecord[] {
  const groupId = group.groupId;
  return [
    consumerGroupRecord("ConsumerGroupTargetAssignmentMetadata", groupId, null, null),
    consumerGroupRecord("ConsumerGroupPartitionMetadata", groupId, null, null),
    ...[...group.resolvedRegexes.keys()].map((regex) => regexRecord(groupId, regex, null)),
    consumerGroupRecord("ConsumerGroupMetadata", groupId, null, null),
  ];
}
