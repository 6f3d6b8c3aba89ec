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
  subscriptionMetadataRecord,
  targetAssignmentRecord,
} from "./consumer-group.js";
import type { TopicPartitions } from "./consumer-group-assignor.js";
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
import { dynamicMember, kafkaUuid, knownStaticMember, staticMember } from "./consumer-group-membership.js";
import { reconcile } from "./consumer-group-reconciliation.js";
import { updateRegularExpressions } from "./consumer-group-regex-update.js";
import { computeTargetAssignment, sameMetadata, subscriptionMetadata } from "./consumer-group-target.js";
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
    // Kafka 4.0 takes a member subscribed to nothing (an empty list or an empty pattern).
    if (request.subscribedTopicNames === null && request.subscribedTopicRegex === null)
      return invalid(
        "Either SubscribedTopicNames or SubscribedTopicRegex must be non-null when (re-)joining.",
      );
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
    // null: unchanged; "" (what librdkafka sends without one): no pattern.
    subscribedTopicRegex:
      request.subscribedTopicRegex === null
        ? member.subscribedTopicRegex
        : request.subscribedTopicRegex === ""
          ? null
          : request.subscribedTopicRegex,
    clientId: context.clientId,
    clientHost: context.clientHost,
  };
  const isNew = existing === undefined && replaced === undefined;
  const before = existing ?? (replaced === undefined ? newMember(memberId) : member);
  let bumpEpoch = isNew || assignmentInputsChanged(before, updated);
  if (isNew || subscriptionChanged(before, updated)) {
    records.push(memberMetadataRecord(group.groupId, updated));
  }
  const regexes = updateRegularExpressions(s, group, before, updated, records, context);
  bumpEpoch ||= regexes.bumpEpoch;

  // 1. The group epoch: members, subscriptions or the subscribed topics changed.
  const members = new Map(group.members);
  if (replaced !== undefined) members.delete(replaced.memberId);
  members.set(memberId, updated);
  const metadata = subscriptionMetadata(s, members.values(), regexes.resolved);
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
    const assignment = computeTargetAssignment(s, previousTargets, members, metadata, regexes.resolved);
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
  const metadata = subscriptionMetadata(s, members.values(), group.resolvedRegexes);
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
