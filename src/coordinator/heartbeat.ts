import { ErrorCode } from "../protocol/index.js";
import type { ClassicGroupMember } from "./classic-group-member.js";
import { ClassicGroupState } from "./classic-group-state.js";
import type { HeartbeatRequest, RequestHandle } from "./group-api.js";
import { rescheduleHeartbeat } from "./group-rebalance.js";
import type { ShardState } from "./shard-state.js";

export function heartbeatRequestError(request: HeartbeatRequest): number {
  return request.groupId === "" ? ErrorCode.INVALID_GROUP_ID : ErrorCode.NONE;
}

/**
 * Heartbeat: keeps a member's session alive. While a rebalance is pending it answers
 * REBALANCE_IN_PROGRESS, which is how clients that only poll (kafkajs) learn to rejoin.
 */
export function heartbeat(s: ShardState, handle: RequestHandle, request: HeartbeatRequest): void {
  s.respond(handle, { api: "heartbeat", data: { errorCode: heartbeatError(s, request) } });
}

function heartbeatError(s: ShardState, request: HeartbeatRequest): number {
  const requestError = heartbeatRequestError(request);
  if (requestError !== ErrorCode.NONE) return requestError;
  const group = s.groups.get(request.groupId);
  if (group === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
  if (group.is(ClassicGroupState.Dead)) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
  const memberError = group.validateMember(request.memberId, request.groupInstanceId);
  if (memberError !== ErrorCode.NONE) return memberError;
  if (request.generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION;
  const member = group.member(request.memberId) as ClassicGroupMember;
  switch (group.state) {
    case ClassicGroupState.PreparingRebalance:
      rescheduleHeartbeat(s, group, member);
      return ErrorCode.REBALANCE_IN_PROGRESS;
    case ClassicGroupState.CompletingRebalance:
    case ClassicGroupState.Stable:
      // Clients may heartbeat between their JoinGroup and SyncGroup responses: a normal heartbeat.
      rescheduleHeartbeat(s, group, member);
      return ErrorCode.NONE;
    default:
      return ErrorCode.UNKNOWN_MEMBER_ID;
  }
}
