import { ErrorCode } from "../protocol/index.js";
import type { ClassicGroup } from "./classic-group.js";
import { ClassicGroupState } from "./classic-group-state.js";
import {
  type LeaveGroupMember,
  type LeaveGroupMemberResponse,
  type LeaveGroupRequest,
  type RequestHandle,
  UNKNOWN_MEMBER_ID,
} from "./group-api.js";
import {
  maybeCompleteJoinPhase,
  maybePrepareRebalanceOrCompleteJoin,
  removeMember,
} from "./group-rebalance.js";
import { heartbeatKey, type ShardState } from "./shard-state.js";

/** Members one LeaveGroup may name (v3+ batches them); more is a malformed request. */
export const LEAVE_GROUP_MEMBERS_MAX = 100_000;

export function leaveGroupRequestError(request: LeaveGroupRequest): number {
  if (request.groupId === "") return ErrorCode.INVALID_GROUP_ID;
  if (request.members.length > LEAVE_GROUP_MEMBERS_MAX) return ErrorCode.INVALID_REQUEST;
  return ErrorCode.NONE;
}

/**
 * LeaveGroup: removes members (v3+: several at once, by member id or, for administrative removal,
 * by group instance id alone) and rebalances the group once for all of them.
 */
export function leaveGroup(s: ShardState, handle: RequestHandle, request: LeaveGroupRequest): void {
  const respond = (errorCode: number, members: LeaveGroupMemberResponse[]) =>
    s.respond(handle, { api: "leaveGroup", data: { errorCode, members } });
  const requestError = leaveGroupRequestError(request);
  if (requestError !== ErrorCode.NONE) {
    respond(requestError, []);
    return;
  }
  const group = s.groups.get(request.groupId);
  if (group === undefined) {
    respond(
      ErrorCode.NONE,
      request.members.map((m) => memberResponse(m, ErrorCode.UNKNOWN_MEMBER_ID)),
    );
    return;
  }
  if (group.is(ClassicGroupState.Dead)) {
    respond(ErrorCode.COORDINATOR_NOT_AVAILABLE, []);
    return;
  }
  const responses = request.members.map((m) => memberResponse(m, leaveMember(s, group, m)));
  if (responses.some((r) => r.errorCode === ErrorCode.NONE)) {
    if (group.is(ClassicGroupState.Stable) || group.is(ClassicGroupState.CompletingRebalance)) {
      maybePrepareRebalanceOrCompleteJoin(s, group);
    } else if (group.is(ClassicGroupState.PreparingRebalance)) {
      maybeCompleteJoinPhase(s, group);
    }
  }
  respond(ErrorCode.NONE, responses);
}

function memberResponse(m: LeaveGroupMember, errorCode: number): LeaveGroupMemberResponse {
  return { memberId: m.memberId, groupInstanceId: m.groupInstanceId, errorCode };
}

/** Removes one leaving member without rebalancing yet; returns its error code. */
function leaveMember(s: ShardState, group: ClassicGroup, leaving: LeaveGroupMember): number {
  if (leaving.memberId === UNKNOWN_MEMBER_ID) {
    const memberId =
      leaving.groupInstanceId === null ? undefined : group.staticMemberId(leaving.groupInstanceId);
    if (memberId === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
    removeCurrentMember(s, group, memberId);
    return ErrorCode.NONE;
  }
  if (group.isPendingMember(leaving.memberId)) {
    group.remove(leaving.memberId);
    s.cancel(heartbeatKey(group.groupId, leaving.memberId));
    return ErrorCode.NONE;
  }
  const error = group.validateMember(leaving.memberId, leaving.groupInstanceId);
  if (error !== ErrorCode.NONE) return error;
  removeCurrentMember(s, group, leaving.memberId);
  return ErrorCode.NONE;
}

function removeCurrentMember(s: ShardState, group: ClassicGroup, memberId: string): void {
  const member = group.member(memberId);
  if (member !== undefined) removeMember(s, group, member);
}
