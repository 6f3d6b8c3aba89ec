import type { Broker } from "../broker/index.js";
import type {
  DescribedConsumerGroup,
  DescribedGroup,
  OffsetFetchResponseGroup,
} from "../coordinator/index.js";
import { ErrorCode } from "../protocol/index.js";
import { type AssignedTopic, decodeConsumerAssignment } from "./consumer-assignment.js";
import { CoordinatorUnavailableError } from "./coordinator-unavailable.js";
import type { GroupsView } from "./groups-view.js";

/** Groups described (and their offsets fetched) for one `/api/groups` or metrics answer. */
export const GROUPS_DESCRIBED_MAX = 1000;

export interface PartitionLag {
  topic: string;
  partition: number;
  /** -1 when the group has no committed offset for a partition it is assigned. */
  committedOffset: bigint;
  metadata: string | null;
  /** Null when this broker does not host the partition. */
  highWatermark: bigint | null;
  logEndOffset: bigint | null;
  /** highWatermark - committed offset (what Kafka's kafka-consumer-groups shows); null when unknown. */
  lag: bigint | null;
  memberId: string | null;
  clientId: string | null;
}

export interface GroupMemberInfo {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  /** Null when the assignment is not a consumer assignment. */
  assignment: AssignedTopic[] | null;
}

export interface GroupInfo {
  groupId: string;
  state: string;
  protocolType: string;
  protocol: string;
  members: GroupMemberInfo[];
  partitions: PartitionLag[];
  totalLag: bigint;
}

/** `/api/groups`: every group the coordinator holds, with members and lag. Empty without one. */
export async function groupsList(broker: Broker, view: GroupsView | null): Promise<unknown[]> {
  if (view === null) return [];
  const listed = await view.listGroups({ statesFilter: [], typesFilter: [] });
  if (listed.errorCode !== ErrorCode.NONE) throw new CoordinatorUnavailableError("group", listed.errorCode);
  const ids = listed.groups
    .map((g) => g.groupId)
    .sort()
    .slice(0, GROUPS_DESCRIBED_MAX);
  const groups = await describeWithLag(broker, view, ids);
  return groups.map((g) => ({
    groupId: g.groupId,
    state: g.state,
    protocolType: g.protocolType,
    protocol: g.protocol,
    memberCount: g.members.length,
    partitionCount: g.partitions.length,
    totalLag: g.totalLag,
  }));
}

/** `/api/groups/:id`, or null when the coordinator knows neither the group nor offsets of it. */
export async function groupDetail(
  broker: Broker,
  view: GroupsView | null,
  groupId: string,
): Promise<unknown> {
  if (view === null) return null;
  const [group] = await describeWithLag(broker, view, [groupId]);
  if (group === undefined || (group.state === "Dead" && group.partitions.length === 0)) return null;
  return group;
}

/** Describes groups and joins their committed offsets with the partitions' high watermarks. */
export async function describeWithLag(
  broker: Broker,
  view: GroupsView,
  groupIds: readonly string[],
): Promise<GroupInfo[]> {
  if (groupIds.length === 0) return [];
  const [classic, modern, offsets] = await Promise.all([
    view.describeGroups(groupIds),
    view.describeConsumerGroups?.(groupIds) ?? Promise.resolve([]),
    view.fetchOffsets(groupIds.map((groupId) => ({ groupId, topics: null }))),
  ]);
  return classic.map((group, i) => {
    const unavailable =
      group.errorCode !== ErrorCode.NONE && group.errorCode !== ErrorCode.GROUP_ID_NOT_FOUND;
    if (unavailable) throw new CoordinatorUnavailableError("group", group.errorCode);
    const committed = offsets[i];
    if (committed !== undefined && committed.errorCode !== ErrorCode.NONE)
      throw new CoordinatorUnavailableError("group", committed.errorCode);
    // A consumer group (KIP-848) is Dead to DescribeGroups: its own description replaces that.
    const consumer = modern[i];
    const described =
      consumer !== undefined && consumer.errorCode === ErrorCode.NONE
        ? consumerGroupDescription(consumer)
        : classicGroupDescription(group);
    return groupInfo(broker, described, committed);
  });
}

type GroupDescription = Omit<GroupInfo, "partitions" | "totalLag">;

function classicGroupDescription(group: DescribedGroup): GroupDescription {
  const consumer = group.protocolType === "consumer";
  return {
    groupId: group.groupId,
    state: group.groupState,
    protocolType: group.protocolType,
    protocol: group.protocolData,
    members: group.members.map((m) => ({
      memberId: m.memberId,
      groupInstanceId: m.groupInstanceId,
      clientId: m.clientId,
      clientHost: m.clientHost,
      assignment: consumer ? decodeConsumerAssignment(m.memberAssignment) : null,
    })),
  };
}

/** A KIP-848 group: the assignor is the server's, the assignments come by topic. */
function consumerGroupDescription(group: DescribedConsumerGroup): GroupDescription {
  return {
    groupId: group.groupId,
    state: group.groupState,
    protocolType: "consumer",
    protocol: group.assignorName,
    members: group.members.map((m) => ({
      memberId: m.memberId,
      groupInstanceId: m.instanceId,
      clientId: m.clientId,
      clientHost: m.clientHost,
      assignment: m.assignment.map((t) => ({ topic: t.topicName, partitions: [...t.partitions] })),
    })),
  };
}

function groupInfo(
  broker: Broker,
  group: GroupDescription,
  committed: OffsetFetchResponseGroup | undefined,
): GroupInfo {
  const members = group.members;
  const rows = new Map<string, PartitionLag>();
  const row = (topic: string, partition: number): PartitionLag => {
    const key = `${topic}\u0000${partition}`;
    let r = rows.get(key);
    if (r === undefined) {
      r = emptyRow(broker, topic, partition);
      rows.set(key, r);
    }
    return r;
  };
  for (const t of committed?.topics ?? []) {
    for (const p of t.partitions) {
      if (p.errorCode !== ErrorCode.NONE || p.committedOffset < 0n) continue;
      const r = row(t.name, p.partitionIndex);
      r.committedOffset = p.committedOffset;
      r.metadata = p.metadata;
    }
  }
  for (const m of members) {
    for (const a of m.assignment ?? []) {
      for (const partition of a.partitions) {
        const r = row(a.topic, partition);
        r.memberId = m.memberId;
        r.clientId = m.clientId;
      }
    }
  }
  const partitions = [...rows.values()].sort((a, b) =>
    a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1,
  );
  let totalLag = 0n;
  for (const p of partitions) {
    if (p.highWatermark !== null && p.committedOffset >= 0n) {
      p.lag = p.highWatermark > p.committedOffset ? p.highWatermark - p.committedOffset : 0n;
      totalLag += p.lag;
    }
  }
  return { ...group, partitions, totalLag };
}

function emptyRow(broker: Broker, topic: string, partition: number): PartitionLag {
  const log = broker.replicaManager.get(topic, partition)?.log;
  const hosted = log !== undefined && !log.isOffline;
  return {
    topic,
    partition,
    committedOffset: -1n,
    metadata: null,
    highWatermark: hosted ? log.highWatermark : null,
    logEndOffset: hosted ? log.logEndOffset : null,
    lag: null,
    memberId: null,
    clientId: null,
  };
}
