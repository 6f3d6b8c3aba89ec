import { ErrorCode, KafkaError } from "../protocol/index.js";
import { groupMetadataAppendError } from "./append-errors.js";
import { ClassicGroupState } from "./classic-group-state.js";
import {
  assignmentEpochRecord,
  ConsumerGroup,
  currentAssignmentRecord,
  groupEpochRecord,
  memberMetadataRecord,
  memberTombstones,
  type SubscribedTopic,
  subscriptionMetadataRecord,
  targetAssignmentRecord,
} from "./consumer-group.js";
import {
  type AssignorMember,
  assignorByName,
  type TopicPartitions,
  uniformAssignor,
} from "./consumer-group-assignor.js";
import {
  assignmentChanged,
  assignmentInputsChanged,
  type ConsumerGroupMember,
  LEAVE_GROUP_MEMBER_EPOCH,
  LEAVE_GROUP_STATIC_MEMBER_EPOCH,
  MemberState,
  newMember,
  samePartitions,
  subscriptionChanged,
  toTopicPartitionList,
} from "./consumer-group-member.js";
import { type OwnedTopicPartitions, reconcile } from "./consumer-group-reconciliation.js";
import { type CoordinatorRecord, groupMetadataTombstone } from "./coordinator-record.js";
import { consumerGroupHeartbeatErrorResponse } from "./error-responses.js";
import type {
  ConsumerGroupHeartbeatRequest,
  ConsumerGroupHeartbeatResponse,
  RequestContext,
  RequestHandle,
} from "./group-api.js";
import type { GroupCoordinatorConfig } from "./group-coordinator-config.js";
import {
  type AppendContinuation,
  consumerRebalanceKey,
  consumerSessionKey,
  type ShardState,
} from "./shard-state.js";

/**
 * ConsumerGroupHeartbeat (KIP-848), as Kafka's GroupMetadataManager.consumerGroupHeartbeat: join
 * (epoch 0), heartbeat, leave (epoch -1). Each heartbeat (1) records the member's subscription and
 * bumps the group epoch when what the assignor sees changed (subscriptions, members, the
 * subscribed topics' partitions), (2) computes a new target assignment when the group epoch is
 * past the assignment epoch, (3) moves the member one reconciliation step towards its target.
 * The decisions are records, replayed into the group at once and appended; the answer waits for
 * the append.
 */

/** Checks Kafka makes before routing (throwIfConsumerGroupHeartbeatRequestIsInvalid). */
export function consumerGroupHeartbeatRequestError(
  request: ConsumerGroupHeartbeatRequest,
  config: GroupCoordinatorConfig,
  apiVersion: number,
): KafkaError | null {
  const invalid = (message: string) => new KafkaError(ErrorCode.INVALID_REQUEST, message);
  if (request.groupId === "") return invalid("GroupId can't be empty.");
  if (request.instanceId === "") return invalid("InstanceId can't be empty.");
  if (request.rackId === "") return invalid("RackId can't be empty.");
  if (request.subscribedTopicRegex !== null) return invalid("SubscribedTopicRegex is not supported yet.");
  const epoch = request.memberEpoch;
  if (epoch > 0 || epoch === LEAVE_GROUP_MEMBER_EPOCH) {
    if (request.memberId === "") return invalid("MemberId can't be empty.");
  } else if (epoch === 0) {
    // v1 (KIP-1082): the client chooses its member id.
    if (apiVersion >= 1 && request.memberId === "") return invalid("MemberId can't be empty.");
    if (request.rebalanceTimeoutMs === -1)
      return invalid("RebalanceTimeoutMs must be provided in first request.");
    if (request.topicPartitions === null || request.topicPartitions.length > 0)
      return invalid("TopicPartitions must be empty when (re-)joining.");
    if (request.subscribedTopicNames === null || request.subscribedTopicNames.length === 0)
      return invalid("SubscribedTopicNames must be set in first request.");
  } else if (epoch === LEAVE_GROUP_STATIC_MEMBER_EPOCH) {
    if (request.memberId === "") return invalid("MemberId can't be empty.");
    if (request.instanceId === null) return invalid("InstanceId can't be null.");
  } else {
    return invalid("MemberEpoch is invalid.");
  }
  if (request.serverAssignor !== null && !config.consumerGroupAssignors.includes(request.serverAssignor)) {
    return new KafkaError(
      ErrorCode.UNSUPPORTED_ASSIGNOR,
      `ServerAssignor ${request.serverAssignor} is not supported. Supported assignors: ${config.consumerGroupAssignors.join(", ")}.`,
    );
  }
  return null;
}

export function consumerGroupHeartbeatError(error: KafkaError): ConsumerGroupHeartbeatResponse {
  return consumerGroupHeartbeatErrorResponse(error.errorCode, error.message);
}

export function consumerGroupHeartbeat(
  s: ShardState,
  handle: RequestHandle,
  request: ConsumerGroupHeartbeatRequest,
  context: RequestContext,
): void {
  try {
    const leaving =
      request.memberEpoch === LEAVE_GROUP_MEMBER_EPOCH ||
      request.memberEpoch === LEAVE_GROUP_STATIC_MEMBER_EPOCH;
    const { records, response } = leaving ? leave(s, request) : heartbeat(s, request, context);
    commit(s, handle, records, response);
  } catch (error) {
    if (!(error instanceof KafkaError)) throw error;
    s.respond(handle, { api: "consumerGroupHeartbeat", data: consumerGroupHeartbeatError(error) });
  }
}

interface Decision {
  readonly records: CoordinatorRecord[];
  readonly response: ConsumerGroupHeartbeatResponse;
}

function heartbeat(s: ShardState, request: ConsumerGroupHeartbeatRequest, context: RequestContext): Decision {
  const records: CoordinatorRecord[] = [];
  const joining = request.memberEpoch === 0;
  const group = groupFor(s, request.groupId, joining, records);
  const memberId = request.memberId === "" ? kafkaUuid(s.newUuid()) : request.memberId;
  if (group.size >= s.config.consumerGroupMaxSize && !group.members.has(memberId)) {
    throw new KafkaError(
      ErrorCode.GROUP_MAX_SIZE_REACHED,
      `The consumer group has reached its maximum capacity of ${s.config.consumerGroupMaxSize} members.`,
    );
  }
  const { member, existing, replaced } =
    request.instanceId === null
      ? dynamicMember(group, memberId, request)
      : staticMember(group, memberId, request.instanceId, request, records);

  const updated: ConsumerGroupMember = {
    ...member,
    instanceId: request.instanceId ?? member.instanceId,
    rackId: request.rackId ?? member.rackId,
    rebalanceTimeoutMs:
      request.rebalanceTimeoutMs === -1 ? member.rebalanceTimeoutMs : request.rebalanceTimeoutMs,
    serverAssignor: request.serverAssignor ?? member.serverAssignor,
    subscribedTopicNames: request.subscribedTopicNames ?? member.subscribedTopicNames,
    clientId: context.clientId,
    clientHost: context.clientHost,
  };
  const isNew = existing === undefined && replaced === undefined;
  const before = existing ?? (replaced === undefined ? newMember(memberId) : member);
  let bumpEpoch = isNew || assignmentInputsChanged(before, updated);
  if (isNew || subscriptionChanged(before, updated)) {
    records.push(memberMetadataRecord(group.groupId, updated));
  }

  // 1. The group epoch: members, subscriptions or the subscribed topics changed.
  const members = new Map(group.members);
  if (replaced !== undefined) members.delete(replaced.memberId);
  members.set(memberId, updated);
  const metadata = subscriptionMetadata(s, members.values());
  if (!sameMetadata(metadata, group.subscriptionMetadata)) {
    records.push(subscriptionMetadataRecord(group.groupId, metadata));
    bumpEpoch = true;
  }
  let groupEpoch = group.groupEpoch;
  if (bumpEpoch) {
    groupEpoch += 1;
    records.push(groupEpochRecord(group.groupId, groupEpoch));
  }

  // 2. The target assignment, when the group epoch moved past it.
  let targetEpoch = group.assignmentEpoch;
  const previousTargets = new Map(group.targetAssignment);
  if (replaced !== undefined) {
    previousTargets.delete(replaced.memberId);
    previousTargets.set(memberId, group.targetAssignment.get(replaced.memberId) ?? new Map());
  }
  let target: TopicPartitions = previousTargets.get(memberId) ?? new Map();
  if (groupEpoch > group.assignmentEpoch) {
    const assignment = computeTargetAssignment(s, previousTargets, members, metadata);
    for (const [id, partitions] of assignment) {
      const old = previousTargets.get(id);
      if (old === undefined || !samePartitions(old, partitions)) {
        records.push(targetAssignmentRecord(group.groupId, id, partitions));
      }
    }
    records.push(assignmentEpochRecord(group.groupId, groupEpoch));
    targetEpoch = groupEpoch;
    target = assignment.get(memberId) ?? new Map();
  }

  // 3. One reconciliation step. The member's own partitions are not "owned by another member".
  const self = new Set([memberId, replaced?.memberId]);
  const lookup = (topicId: string, p: number) =>
    self.has(group.partitionOwner(topicId, p)) ? -1 : group.partitionEpoch(topicId, p);
  const reconciled =
    updated.memberEpoch === targetEpoch && updated.state === MemberState.Stable
      ? updated
      : reconcile(updated, targetEpoch, target, lookup, request.topicPartitions);
  if (isNew || assignmentChanged(before, reconciled)) {
    records.push(currentAssignmentRecord(group.groupId, reconciled));
    if (reconciled.state === MemberState.UnrevokedPartitions) {
      scheduleRebalance(s, group.groupId, reconciled);
    } else {
      s.cancel(consumerRebalanceKey(group.groupId, memberId));
    }
  }
  scheduleSession(s, group.groupId, memberId);

  const fullRequest =
    joining ||
    (request.rebalanceTimeoutMs !== -1 &&
      request.subscribedTopicNames !== null &&
      request.topicPartitions !== null);
  const partitionsChanged = !samePartitions(before.assignedPartitions, reconciled.assignedPartitions);
  return {
    records,
    response: {
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      memberId,
      memberEpoch: reconciled.memberEpoch,
      heartbeatIntervalMs: s.config.consumerGroupHeartbeatIntervalMs,
      assignment:
        fullRequest || partitionsChanged || isNew
          ? { topicPartitions: toTopicPartitionList(reconciled.assignedPartitions) }
          : null,
    },
  };
}

/**
 * Epoch -1: the member leaves; its partitions go back to the group at the next assignment. Epoch
 * -2: a static member leaves for now; it keeps its partitions (nobody else gets them) until its
 * session expires or its instance id joins again.
 */
function leave(s: ShardState, request: ConsumerGroupHeartbeatRequest): Decision {
  const group = s.consumerGroups.get(request.groupId);
  if (group === undefined) throw notConsumerGroup(s, request.groupId);
  const response = (memberEpoch: number) => ({
    errorCode: ErrorCode.NONE,
    errorMessage: null,
    memberId: request.memberId,
    memberEpoch,
    heartbeatIntervalMs: 0,
    assignment: null,
  });
  if (request.instanceId === null) {
    if (!group.members.has(request.memberId)) {
      throw new KafkaError(
        ErrorCode.UNKNOWN_MEMBER_ID,
        `Member ${request.memberId} is not a member of group ${group.groupId}.`,
      );
    }
    return {
      records: fenceRecords(s, group, request.memberId),
      response: response(LEAVE_GROUP_MEMBER_EPOCH),
    };
  }
  const member = knownStaticMember(group, request.memberId, request.instanceId);
  if (request.memberEpoch !== LEAVE_GROUP_STATIC_MEMBER_EPOCH) {
    return { records: fenceRecords(s, group, member.memberId), response: response(request.memberEpoch) };
  }
  const away: ConsumerGroupMember = {
    ...member,
    memberEpoch: LEAVE_GROUP_STATIC_MEMBER_EPOCH,
    partitionsPendingRevocation: new Map(),
  };
  return {
    records: [currentAssignmentRecord(group.groupId, away)],
    response: response(LEAVE_GROUP_STATIC_MEMBER_EPOCH),
  };
}

interface ResolvedMember {
  /** The member the heartbeat starts from. */
  readonly member: ConsumerGroupMember;
  /** The member of that id already in the group, if any. */
  readonly existing: ConsumerGroupMember | undefined;
  /** A static member of the same instance id that this one replaces (its records are in). */
  readonly replaced?: ConsumerGroupMember;
}

function dynamicMember(
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
function staticMember(
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

function knownStaticMember(group: ConsumerGroup, memberId: string, instanceId: string): ConsumerGroupMember {
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

/**
 * A member's session or rebalance timeout expired: it is removed as if it had left, and the
 * group epoch moves so the others get its partitions.
 */
export function fenceConsumerGroupMember(
  s: ShardState,
  groupId: string,
  memberId: string,
  onlyAtEpoch?: number,
): void {
  const group = s.consumerGroups.get(groupId);
  const member = group?.members.get(memberId);
  if (group === undefined || member === undefined) return;
  if (
    onlyAtEpoch !== undefined &&
    (member.memberEpoch !== onlyAtEpoch || member.state !== MemberState.UnrevokedPartitions)
  )
    return;
  commit(s, undefined, fenceRecords(s, group, memberId), undefined);
}

function fenceRecords(s: ShardState, group: ConsumerGroup, memberId: string): CoordinatorRecord[] {
  s.cancel(consumerSessionKey(group.groupId, memberId));
  s.cancel(consumerRebalanceKey(group.groupId, memberId));
  const records: CoordinatorRecord[] = memberTombstones(group.groupId, memberId);
  const members = new Map(group.members);
  members.delete(memberId);
  const metadata = subscriptionMetadata(s, members.values());
  if (!sameMetadata(metadata, group.subscriptionMetadata)) {
    records.push(subscriptionMetadataRecord(group.groupId, metadata));
  }
  records.push(groupEpochRecord(group.groupId, group.groupEpoch + 1));
  return records;
}

/**
 * The consumer group of a heartbeat. A join may create it, also over an empty classic group of
 * the same id (Kafka's maybeDeleteEmptyClassicGroup: the classic group is deleted, its committed
 * offsets stay); a classic group with members keeps its id.
 */
function groupFor(
  s: ShardState,
  groupId: string,
  joining: boolean,
  records: CoordinatorRecord[],
): ConsumerGroup {
  const group = s.consumerGroups.get(groupId);
  if (group !== undefined) return group;
  if (!joining) throw notConsumerGroup(s, groupId);
  const classic = s.groups.get(groupId);
  if (classic !== undefined && !classic.is(ClassicGroupState.Dead)) {
    if (!classic.is(ClassicGroupState.Empty)) throw notConsumerGroup(s, groupId);
    records.push(groupMetadataTombstone(groupId));
  }
  return new ConsumerGroup(groupId);
}

function notConsumerGroup(s: ShardState, groupId: string): KafkaError {
  const classic = s.groups.get(groupId);
  return new KafkaError(
    ErrorCode.GROUP_ID_NOT_FOUND,
    classic !== undefined && !classic.is(ClassicGroupState.Dead)
      ? `Group ${groupId} is not a consumer group.`
      : `Consumer group ${groupId} not found.`,
  );
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

/** The subscribed topics that exist, by name, as the broker's metadata has them now. */
function subscriptionMetadata(
  s: ShardState,
  members: Iterable<ConsumerGroupMember>,
): Map<string, SubscribedTopic> {
  const names = new Set<string>();
  for (const m of members) for (const name of m.subscribedTopicNames) names.add(name);
  const out = new Map<string, SubscribedTopic>();
  for (const name of [...names].sort()) {
    const topic = s.topics.topicByName(name);
    if (topic !== undefined) out.set(name, { topicId: topic.topicId, numPartitions: topic.numPartitions });
  }
  return out;
}

function sameMetadata(
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
function computeTargetAssignment(
  s: ShardState,
  previousTargets: ReadonlyMap<string, TopicPartitions>,
  members: ReadonlyMap<string, ConsumerGroupMember>,
  metadata: ReadonlyMap<string, SubscribedTopic>,
): Map<string, TopicPartitions> {
  const name = preferredAssignor(
    s,
    [...members.values()].map((m) => m.serverAssignor),
  );
  const assignor = assignorByName(name) ?? uniformAssignor;
  const partitionCounts = new Map([...metadata.values()].map((t) => [t.topicId, t.numPartitions]));
  const input: AssignorMember[] = [...members.values()].map((m) => ({
    memberId: m.memberId,
    subscribedTopicIds: m.subscribedTopicNames.flatMap((n) => {
      const t = metadata.get(n);
      return t === undefined ? [] : [t.topicId];
    }),
    previous: previousTargets.get(m.memberId) ?? new Map(),
  }));
  return assignor.assign({ members: input, partitionCounts });
}

function scheduleSession(s: ShardState, groupId: string, memberId: string): void {
  s.schedule(consumerSessionKey(groupId, memberId), s.config.consumerGroupSessionTimeoutMs, {
    kind: "consumerSession",
    groupId,
    memberId,
  });
}

/**
 * Applies the records to the in-memory groups now (the next request sees the decision) and
 * appends them; the answer, if any, goes once they are durable.
 */
function commit(
  s: ShardState,
  handle: RequestHandle | undefined,
  records: readonly CoordinatorRecord[],
  response: ConsumerGroupHeartbeatResponse | undefined,
): void {
  for (const record of records) replayGroupRecord(s, record);
  if (records.length === 0) {
    if (handle !== undefined && response !== undefined)
      s.respond(handle, { api: "consumerGroupHeartbeat", data: response });
    return;
  }
  const continuation: AppendContinuation =
    handle === undefined || response === undefined
      ? { kind: "none" }
      : { kind: "consumerGroupHeartbeat", handle, response };
  s.append(records, continuation);
}

/** A consumer group record (or the classic tombstone of a converted group), loaded or decided. */
export function replayGroupRecord(s: ShardState, record: CoordinatorRecord): void {
  if (record.type === "groupMetadata" && record.value === null) {
    s.groups.delete(record.key.group);
    return;
  }
  if (record.type !== "consumerGroup") return;
  const groupId = record.key.group;
  let group = s.consumerGroups.get(groupId);
  if (record.name === "ConsumerGroupMetadata" && record.value === null) {
    s.consumerGroups.delete(groupId);
    return;
  }
  if (group === undefined) {
    group = new ConsumerGroup(groupId);
    s.consumerGroups.set(groupId, group);
    s.groups.delete(groupId);
  }
  group.replay(record);
}

/** The heartbeat's records are durable, or failed: answer the member. */
export function onConsumerGroupHeartbeatAppended(
  s: ShardState,
  c: Extract<AppendContinuation, { kind: "consumerGroupHeartbeat" }>,
  errorCode: number,
): void {
  const data =
    errorCode === ErrorCode.NONE
      ? c.response
      : consumerGroupHeartbeatErrorResponse(groupMetadataAppendError(errorCode));
  s.respond(c.handle, { api: "consumerGroupHeartbeat", data });
}

/**
 * Loading is done: members get a fresh session from now, as classic members do, and those that
 * must still revoke partitions a fresh rebalance timeout.
 */
export function onConsumerGroupsLoaded(s: ShardState): void {
  for (const group of s.consumerGroups.values()) {
    for (const member of group.members.values()) {
      scheduleSession(s, group.groupId, member.memberId);
      if (member.state === MemberState.UnrevokedPartitions) scheduleRebalance(s, group.groupId, member);
    }
  }
}

function scheduleRebalance(s: ShardState, groupId: string, member: ConsumerGroupMember): void {
  s.schedule(consumerRebalanceKey(groupId, member.memberId), member.rebalanceTimeoutMs, {
    kind: "consumerRebalance",
    groupId,
    memberId: member.memberId,
    memberEpoch: member.memberEpoch,
  });
}

/** A v0 member's id as Kafka makes it (Uuid.toString: 16 bytes in URL-safe base64, no padding). */
function kafkaUuid(uuid: string): string {
  const hex = uuid.replace(/-/g, "");
  return /^[0-9a-f]{32}$/i.test(hex) ? Buffer.from(hex, "hex").toString("base64url") : uuid;
}
