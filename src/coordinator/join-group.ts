import { assert } from "../base/index.js";
import { ErrorCode } from "../protocol/index.js";
import { groupMetadataAppendError } from "./append-errors.js";
import { ClassicGroup } from "./classic-group.js";
import { ClassicGroupMember } from "./classic-group-member.js";
import { ClassicGroupState } from "./classic-group-state.js";
import { groupMetadataRecord } from "./coordinator-record.js";
import {
  type JoinGroupRequest,
  type JoinGroupResponse,
  type RequestContext,
  type RequestHandle,
  UNKNOWN_MEMBER_ID,
} from "./group-api.js";
import type { GroupCoordinatorConfig } from "./group-coordinator-config.js";
import {
  completeJoin,
  completeSync,
  joinErrorResponse,
  maybeCompleteJoinPhase,
  maybePrepareRebalanceOrCompleteJoin,
  prepareRebalance,
  removeMember,
  rescheduleHeartbeat,
  syncErrorResponse,
} from "./group-rebalance.js";
import { type AppendContinuation, heartbeatKey, type ShardState } from "./shard-state.js";

/** First JoinGroup version that requires a known member id (KIP-394). */
export const JOIN_GROUP_MEMBER_ID_REQUIRED_VERSION = 4;
/** First JoinGroup version whose static leader may skip the assignment (KIP-814). */
export const JOIN_GROUP_SKIP_ASSIGNMENT_VERSION = 9;

/** Errors Kafka returns before looking at the group (and before NOT_COORDINATOR). */
export function joinGroupRequestError(request: JoinGroupRequest, config: GroupCoordinatorConfig): number {
  if (request.groupId === "") return ErrorCode.INVALID_GROUP_ID;
  if (
    request.sessionTimeoutMs < config.groupMinSessionTimeoutMs ||
    request.sessionTimeoutMs > config.groupMaxSessionTimeoutMs
  ) {
    return ErrorCode.INVALID_SESSION_TIMEOUT;
  }
  return ErrorCode.NONE;
}

/** A JoinGroup as the coordinator handles it, with v0's missing rebalance timeout filled in. */
interface Join {
  readonly handle: RequestHandle;
  readonly request: JoinGroupRequest;
  readonly context: RequestContext;
  readonly rebalanceTimeoutMs: number;
}

/**
 * JoinGroup: joins or rejoins a member, creating the group for an unknown member, and parks the
 * request until the join barrier completes (or answers at once: errors, MEMBER_ID_REQUIRED for
 * v4+ dynamic members, a follower rejoining a stable group with unchanged metadata).
 */
export function joinGroup(
  s: ShardState,
  handle: RequestHandle,
  request: JoinGroupRequest,
  context: RequestContext,
): void {
  const respond = (data: JoinGroupResponse) => s.respond(handle, { api: "joinGroup", data });
  const requestError = joinGroupRequestError(request, s.config);
  if (requestError !== ErrorCode.NONE) {
    respond(joinErrorResponse(request.memberId, requestError));
    return;
  }
  const rebalanceTimeoutMs =
    request.rebalanceTimeoutMs < 0 ? request.sessionTimeoutMs : request.rebalanceTimeoutMs;
  const join: Join = { handle, request: withDistinctProtocols(request), context, rebalanceTimeoutMs };
  const isUnknownMember = request.memberId === UNKNOWN_MEMBER_ID;
  let group = s.groups.get(request.groupId);
  if (group === undefined) {
    // Only a member without an id may create a group; a known id for an unknown group is stale.
    if (!isUnknownMember) {
      respond(joinErrorResponse(request.memberId, ErrorCode.UNKNOWN_MEMBER_ID));
      return;
    }
    group = new ClassicGroup(request.groupId, s.nowMs());
    s.groups.set(group.groupId, group);
  }
  if (!acceptJoiningMember(s, group, request.memberId)) {
    const member = group.member(request.memberId);
    if (member !== undefined) {
      // Over capacity (group.max.size was lowered): Kafka drops the member that did not rejoin.
      removeMember(s, group, member);
    }
    respond(joinErrorResponse(UNKNOWN_MEMBER_ID, ErrorCode.GROUP_MAX_SIZE_REACHED));
    return;
  }
  if (isUnknownMember) joinNewMember(s, group, join);
  else joinExistingMember(s, group, join);
}

/** Protocol names are a map key on the wire; a repeated name counts once (its first occurrence). */
function withDistinctProtocols(request: JoinGroupRequest): JoinGroupRequest {
  const names = new Set(request.protocols.map((p) => p.name));
  if (names.size === request.protocols.length) return request;
  const seen = new Set<string>();
  return { ...request, protocols: request.protocols.filter((p) => !seen.has(p.name) && seen.add(p.name)) };
}

function acceptJoiningMember(s: ShardState, group: ClassicGroup, memberId: string): boolean {
  const maxSize = s.config.groupMaxSize;
  switch (group.state) {
    case ClassicGroupState.Empty:
    case ClassicGroupState.Dead:
      return true;
    case ClassicGroupState.PreparingRebalance:
      // Awaiting members, not the size: the size may be over a lowered limit, and counting the
      // members that rejoined lets the last ones to rejoin be the ones turned away.
      return group.member(memberId)?.isAwaitingJoin === true || group.numAwaitingJoin < maxSize;
    case ClassicGroupState.CompletingRebalance:
    case ClassicGroupState.Stable:
      return group.hasMember(memberId) || group.size < maxSize;
  }
}

function joinNewMember(s: ShardState, group: ClassicGroup, join: Join): void {
  const { request, context } = join;
  const respond = (errorCode: number, memberId = UNKNOWN_MEMBER_ID) =>
    s.respond(join.handle, { api: "joinGroup", data: joinErrorResponse(memberId, errorCode) });
  if (group.is(ClassicGroupState.Dead)) {
    respond(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    return;
  }
  if (!group.supportsProtocols(request.protocolType, request.protocols)) {
    respond(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    return;
  }
  const newMemberId = `${request.groupInstanceId ?? context.clientId}-${s.newUuid()}`;
  if (request.groupInstanceId !== null) {
    const oldMemberId = group.staticMemberId(request.groupInstanceId);
    if (oldMemberId !== undefined) {
      replaceStaticMember(s, group, join, oldMemberId, newMemberId);
      return;
    }
    addMemberAndRebalance(s, group, join, newMemberId);
    return;
  }
  if (context.apiVersion >= JOIN_GROUP_MEMBER_ID_REQUIRED_VERSION) {
    // KIP-394: hand out the id first; the member becomes real when it rejoins with it. Until then
    // it holds the join barrier, for at most a session timeout.
    group.addPendingMember(newMemberId);
    s.schedule(heartbeatKey(group.groupId, newMemberId), request.sessionTimeoutMs, {
      kind: "heartbeat",
      groupId: group.groupId,
      memberId: newMemberId,
    });
    respond(ErrorCode.MEMBER_ID_REQUIRED, newMemberId);
    return;
  }
  addMemberAndRebalance(s, group, join, newMemberId);
}

function joinExistingMember(s: ShardState, group: ClassicGroup, join: Join): void {
  const { request } = join;
  const memberId = request.memberId;
  const respond = (data: JoinGroupResponse) => s.respond(join.handle, { api: "joinGroup", data });
  if (group.is(ClassicGroupState.Dead)) {
    respond(joinErrorResponse(memberId, ErrorCode.COORDINATOR_NOT_AVAILABLE));
    return;
  }
  if (!group.supportsProtocols(request.protocolType, request.protocols)) {
    respond(joinErrorResponse(memberId, ErrorCode.INCONSISTENT_GROUP_PROTOCOL));
    return;
  }
  if (group.isPendingMember(memberId)) {
    // Pending ids are handed to dynamic members only; Kafka fails such a request as a server error.
    if (request.groupInstanceId !== null) {
      respond(joinErrorResponse(memberId, ErrorCode.UNKNOWN_SERVER_ERROR));
      return;
    }
    addMemberAndRebalance(s, group, join, memberId);
    return;
  }
  const error = group.validateMember(memberId, request.groupInstanceId);
  if (error !== ErrorCode.NONE) {
    respond(joinErrorResponse(memberId, error));
    return;
  }
  const member = group.member(memberId) as ClassicGroupMember;
  switch (group.state) {
    case ClassicGroupState.PreparingRebalance:
      updateMemberAndRebalance(s, group, member, join);
      return;
    case ClassicGroupState.CompletingRebalance:
      // Same metadata: the member probably lost the JoinGroup response; resend the generation.
      if (member.matches(request.protocols)) {
        respond(currentGeneration(group, memberId, group.isLeader(memberId)));
        return;
      }
      updateMemberAndRebalance(s, group, member, join);
      return;
    case ClassicGroupState.Stable:
      // A leader's rejoin forces a rebalance: it is how it reacts to changes outside the
      // metadata (new partitions, say). A follower with unchanged metadata just gets the generation.
      if (group.isLeader(memberId) || !member.matches(request.protocols)) {
        updateMemberAndRebalance(s, group, member, join);
        return;
      }
      respond(currentGeneration(group, memberId, false));
      return;
    default:
      respond(joinErrorResponse(memberId, ErrorCode.UNKNOWN_MEMBER_ID));
      return;
  }
}

function currentGeneration(group: ClassicGroup, memberId: string, withMembers: boolean): JoinGroupResponse {
  return {
    errorCode: ErrorCode.NONE,
    generationId: group.generationId,
    protocolType: group.protocolType,
    protocolName: group.protocolName,
    leader: group.leaderId ?? "",
    skipAssignment: false,
    memberId,
    members: withMembers ? group.currentMembersForJoin() : [],
  };
}

function addMemberAndRebalance(s: ShardState, group: ClassicGroup, join: Join, memberId: string): void {
  const { request, context } = join;
  const member = new ClassicGroupMember({
    memberId,
    groupInstanceId: request.groupInstanceId,
    clientId: context.clientId,
    clientHost: context.clientHost,
    protocolType: request.protocolType,
    rebalanceTimeoutMs: join.rebalanceTimeoutMs,
    sessionTimeoutMs: request.sessionTimeoutMs,
    supportedProtocols: request.protocols,
  });
  member.isNew = true;
  if (group.is(ClassicGroupState.PreparingRebalance) && group.previousState === ClassicGroupState.Empty) {
    group.newMemberAdded = true;
  }
  group.add(member, join.handle);
  // A new member cannot heartbeat (it has no id yet) and its muted socket hides a disconnect:
  // its parked JoinGroup is bounded by the new-member join timeout instead of its session.
  rescheduleHeartbeat(s, group, member, s.config.groupNewMemberJoinTimeoutMs);
  maybePrepareRebalanceOrCompleteJoin(s, group);
}

function updateMemberAndRebalance(
  s: ShardState,
  group: ClassicGroup,
  member: ClassicGroupMember,
  join: Join,
): void {
  const previous = group.updateMember(
    member,
    join.request.protocols,
    join.rebalanceTimeoutMs,
    join.request.sessionTimeoutMs,
    join.handle,
  );
  // The member sent another JoinGroup while one was parked: the older one is answered now so the
  // connection that carried it is not blocked forever (Kafka drops it silently).
  if (previous !== null) {
    s.respond(previous, {
      api: "joinGroup",
      data: joinErrorResponse(member.memberId, ErrorCode.REBALANCE_IN_PROGRESS),
    });
  }
  maybePrepareRebalanceOrCompleteJoin(s, group);
}

/**
 * KIP-345: a static member restarted (new JoinGroup without a member id, same instance id). It
 * takes over the old member's place under a new id; the old id is fenced. In a Stable group whose
 * protocol choice is unchanged this needs no rebalance: the group is written with the new id and
 * the member gets the current generation back once that is durable.
 */
function replaceStaticMember(
  s: ShardState,
  group: ClassicGroup,
  join: Join,
  oldMemberId: string,
  newMemberId: string,
): void {
  const { request } = join;
  const instanceId = request.groupInstanceId as string;
  const previousLeader = group.leaderId ?? "";
  const old = group.member(oldMemberId) as ClassicGroupMember;
  completeJoin(s, group, old, joinErrorResponse(oldMemberId, ErrorCode.FENCED_INSTANCE_ID));
  completeSync(s, group, old, syncErrorResponse(ErrorCode.FENCED_INSTANCE_ID));
  s.cancel(heartbeatKey(group.groupId, oldMemberId));
  const member = group.replaceStaticMember(instanceId, oldMemberId, newMemberId);
  rescheduleHeartbeat(s, group, member);
  const oldProtocols = member.supportedProtocols;
  const oldRebalanceTimeoutMs = member.rebalanceTimeoutMs;
  const oldSessionTimeoutMs = member.sessionTimeoutMs;
  group.updateMember(
    member,
    request.protocols,
    join.rebalanceTimeoutMs,
    request.sessionTimeoutMs,
    join.handle,
  );
  switch (group.state) {
    case ClassicGroupState.Stable:
      if (group.protocolName !== group.selectProtocol()) {
        maybePrepareRebalanceOrCompleteJoin(s, group);
        return;
      }
      s.append([groupMetadataRecord(group.groupId, group.toRecordValue(group.groupAssignment()))], {
        kind: "staticMemberReplaced",
        group,
        groupInstanceId: instanceId,
        oldMemberId,
        newMemberId,
        previousLeader,
        apiVersion: join.context.apiVersion,
        joinHandle: join.handle,
        oldProtocols,
        oldRebalanceTimeoutMs,
        oldSessionTimeoutMs,
      });
      return;
    case ClassicGroupState.CompletingRebalance:
      // The leader may already be assigning to the old id: only a new rebalance gives the new id
      // an assignment.
      prepareRebalance(s, group);
      return;
    case ClassicGroupState.PreparingRebalance:
      maybeCompleteJoinPhase(s, group);
      return;
    default:
      assert(false, () => `a static member of group ${group.groupId} cannot exist in state ${group.state}`);
  }
}

type StaticMemberReplaced = Extract<AppendContinuation, { kind: "staticMemberReplaced" }>;

/**
 * The static member's new id is durable (or failed to be). On success the member gets the
 * current generation: from v9 a returning leader gets the member list with `skipAssignment`; below
 * v9 it is told the old leader id, so that it does not think itself leader and recompute an
 * assignment a Stable group would never deliver. On failure the old id is restored. Either only if
 * the group is still Stable with the member parked on this request; otherwise a rebalance has
 * taken over and will answer it.
 */
export function onStaticMemberReplaced(s: ShardState, c: StaticMemberReplaced, errorCode: number): void {
  const { group } = c;
  const member = group.member(c.newMemberId);
  if (s.groups.get(group.groupId) !== group || member === undefined || member.joinHandle !== c.joinHandle)
    return;
  if (!group.is(ClassicGroupState.Stable)) return;
  if (errorCode !== ErrorCode.NONE) {
    group.takeJoinHandle(member);
    group.updateMember(member, c.oldProtocols, c.oldRebalanceTimeoutMs, c.oldSessionTimeoutMs, null);
    s.cancel(heartbeatKey(group.groupId, c.newMemberId));
    const restored = group.replaceStaticMember(c.groupInstanceId, c.newMemberId, c.oldMemberId);
    rescheduleHeartbeat(s, group, restored);
    s.respond(c.joinHandle, {
      api: "joinGroup",
      data: {
        ...currentGeneration(group, UNKNOWN_MEMBER_ID, false),
        errorCode: groupMetadataAppendError(errorCode),
        leader: c.previousLeader,
      },
    });
    return;
  }
  const skipAssignment = c.apiVersion >= JOIN_GROUP_SKIP_ASSIGNMENT_VERSION && group.isLeader(c.newMemberId);
  const response = currentGeneration(group, c.newMemberId, skipAssignment);
  completeJoin(s, group, member, {
    ...response,
    skipAssignment,
    leader: c.apiVersion >= JOIN_GROUP_SKIP_ASSIGNMENT_VERSION ? response.leader : c.previousLeader,
  });
}
