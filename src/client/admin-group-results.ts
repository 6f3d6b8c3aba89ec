import {
  type ConsumerGroupDescribeResponseDescribedGroup,
  type DescribeGroupsResponseDescribedGroup,
  ProtocolDecodeError,
  Reader,
} from "../protocol/index.js";
import type { BrokerDescription } from "./admin-results.js";

/** A partition of a topic, as Kafka's TopicPartition. */
export interface TopicPartition {
  topic: string;
  partition: number;
}

/** One group of a ListGroups answer (Kafka's GroupListing). */
export interface GroupListing {
  groupId: string;
  /** "consumer" for consumer groups, "" for groups that only commit offsets. */
  protocolType: string;
  /** Stable, Empty, PreparingRebalance, ... ("" from brokers before ListGroups v4). */
  state: string;
  /** classic or consumer ("" from brokers before ListGroups v5). */
  type: string;
}

export interface ConsumerGroupMember {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  host: string;
  /** The partitions its assignment names; empty when it has none (or it is not a consumer's). */
  assignment: TopicPartition[];
  /** KIP-848 groups only: the member's epoch and the partitions its target assignment names. */
  memberEpoch?: number;
  targetAssignment?: TopicPartition[];
}

/** Kafka's ConsumerGroupDescription, of classic and (KIP-848) consumer groups. */
export interface ConsumerGroupDescription {
  groupId: string;
  /** NONE, or why the group could not be described (GROUP_ID_NOT_FOUND, ...). */
  errorCode: number;
  /** Stable, Empty, PreparingRebalance, CompletingRebalance, Dead; consumer groups: Assigning, Reconciling. */
  state: string;
  /** classic, or consumer for a KIP-848 group (described by ConsumerGroupDescribe). */
  type: string;
  protocolType: string;
  /** The partition assignor the group agreed on ("range", "cooperative-sticky", ...), or "". */
  partitionAssignor: string;
  members: ConsumerGroupMember[];
  coordinator: BrokerDescription;
  /** KIP-848 groups only: the group epoch and the epoch of its target assignment. */
  groupEpoch?: number;
  targetAssignmentEpoch?: number;
}

/** A committed offset (Kafka's OffsetAndMetadata) of one partition. */
export interface CommittedOffset extends TopicPartition {
  offset: bigint;
  /** -1 when the committer did not say. */
  leaderEpoch: number;
  metadata: string | null;
}

/** Which offset ListOffsets asks for (Kafka's OffsetSpec). */
export type OffsetSpec = "earliest" | "latest" | { timestampMs: bigint };

/** One partition's ListOffsets answer; `offset` is -1 when no record is at or after a timestamp. */
export interface ListedOffset extends TopicPartition {
  errorCode: number;
  offset: bigint;
  timestamp: bigint;
  leaderEpoch: number;
}

/** A per-partition or per-group outcome. */
export interface PartitionResult extends TopicPartition {
  errorCode: number;
  /** Set when the client, not the broker, names the error (a partition the answer left out). */
  errorMessage?: string;
}

export interface GroupResult {
  groupId: string;
  errorCode: number;
}

/** `topic` and `partition` as one map key. */
export function partitionKey(tp: TopicPartition): string {
  return `${tp.partition}:${tp.topic}`;
}

/** Topics one decoded assignment may list before it is treated as unreadable. */
export const ASSIGNMENT_TOPICS_MAX = 100_000;

export interface AssignedTopic {
  topic: string;
  partitions: number[];
}

/**
 * The partitions a consumer was given, read from its SyncGroup assignment
 * (`ConsumerProtocolAssignment`: int16 version, [string topic, [int32 partition]], then user data,
 * ignored here). Every version starts with that prefix. Null when the bytes are not a consumer
 * assignment (another protocol type, or malformed).
 */
export function decodeConsumerAssignment(bytes: Buffer): AssignedTopic[] | null {
  if (bytes.length === 0) return [];
  try {
    const r = new Reader(bytes);
    if (r.int16() < 0) return null;
    const topicCount = r.arrayLength(6);
    if (topicCount > ASSIGNMENT_TOPICS_MAX) return null;
    const topics: AssignedTopic[] = [];
    for (let i = 0; i < topicCount; i++) {
      const topic = r.string();
      const partitionCount = r.arrayLength(4);
      const partitions: number[] = [];
      for (let j = 0; j < partitionCount; j++) partitions.push(r.int32());
      topics.push({ topic, partitions });
    }
    return topics;
  } catch (error) {
    if (error instanceof ProtocolDecodeError) return null;
    throw error;
  }
}

/** A member's partitions, one by one; none when its assignment is empty or not a consumer's. */
export function assignedPartitions(bytes: Buffer): TopicPartition[] {
  return (decodeConsumerAssignment(bytes) ?? []).flatMap((t) =>
    t.partitions.map((partition) => ({ topic: t.topic, partition })),
  );
}

export function consumerGroupDescription(
  group: DescribeGroupsResponseDescribedGroup,
  coordinator: BrokerDescription,
): ConsumerGroupDescription {
  const isConsumer = group.protocolType === "consumer" || group.protocolType === "";
  return {
    groupId: group.groupId,
    errorCode: group.errorCode,
    state: group.groupState,
    protocolType: group.protocolType,
    type: "classic",
    partitionAssignor: group.protocolData,
    members: group.members.map((m) => ({
      memberId: m.memberId,
      groupInstanceId: m.groupInstanceId,
      clientId: m.clientId,
      host: m.clientHost,
      assignment: isConsumer ? assignedPartitions(m.memberAssignment) : [],
    })),
    coordinator,
  };
}

/** A KIP-848 consumer group as ConsumerGroupDescribe describes it; the assignor is the server's. */
export function modernGroupDescription(
  group: ConsumerGroupDescribeResponseDescribedGroup,
  coordinator: BrokerDescription,
): ConsumerGroupDescription {
  return {
    groupId: group.groupId,
    errorCode: group.errorCode,
    state: group.groupState,
    protocolType: "consumer",
    type: "consumer",
    partitionAssignor: group.assignorName,
    members: group.members.map((m) => ({
      memberId: m.memberId,
      groupInstanceId: m.instanceId,
      clientId: m.clientId,
      host: m.clientHost,
      assignment: byTopicName(m.assignment.topicPartitions),
      memberEpoch: m.memberEpoch,
      targetAssignment: byTopicName(m.targetAssignment.topicPartitions),
    })),
    coordinator,
    groupEpoch: group.groupEpoch,
    targetAssignmentEpoch: group.assignmentEpoch,
  };
}

function byTopicName(
  topicPartitions: readonly { topicName: string; partitions: readonly number[] }[],
): TopicPartition[] {
  return topicPartitions.flatMap((t) => t.partitions.map((partition) => ({ topic: t.topicName, partition })));
}
