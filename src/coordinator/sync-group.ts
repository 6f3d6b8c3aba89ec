import { ErrorCode } from "../protocol/index.js";
import { groupMetadataAppendError } from "./append-errors.js";
import type { ClassicGroup } from "./classic-group.js";
import type { ClassicGroupMember } from "./classic-group-member.js";
import { ClassicGroupState } from "./classic-group-state.js";
import { groupMetadataRecord } from "./coordinator-record.js";
import {
  EMPTY_ASSIGNMENT,
  type RequestHandle,
  type SyncGroupRequest,
  type SyncGroupResponse,
} from "./group-api.js";
import {
  maybePrepareRebalanceOrCompleteJoin,
  removePendingSyncMember,
  resetAndPropagateAssignmentWithError,
  setAndPropagateAssignment,
  syncErrorResponse,
} from "./group-rebalance.js";
import type { AppendContinuation, ShardState } from "./shard-state.js";

export function syncGroupRequestError(request: SyncGroupRequest): number {
  return request.groupId === "" ? ErrorCode.INVALID_GROUP_ID : ErrorCode.NONE;
}

/**
 * SyncGroup: in CompletingRebalance every member parks its request; the leader's carries the
 * assignment, which is written to the log, and once durable every parked member gets its part and
 * the group is Stable. In Stable a member simply gets its assignment again.
 */
export function syncGroup(s: ShardState, handle: RequestHandle, request: SyncGroupRequest): void {
  const respond = (data: SyncGroupResponse) => s.respond(handle, { api: "syncGroup", data });
  const requestError = syncGroupRequestError(request);
  if (requestError !== ErrorCode.NONE) {
    respond(syncErrorResponse(requestError));
    return;
  }
  const group = s.groups.get(request.groupId);
  if (group === undefined) {
    respond(syncErrorResponse(ErrorCode.UNKNOWN_MEMBER_ID));
    return;
  }
  const error = validateSyncGroup(group, request);
  if (error !== ErrorCode.NONE) {
    respond(syncErrorResponse(error));
    return;
  }
  const member = group.member(request.memberId) as ClassicGroupMember;
  switch (group.state) {
    case ClassicGroupState.PreparingRebalance:
      respond(syncErrorResponse(ErrorCode.REBALANCE_IN_PROGRESS));
      return;
    case ClassicGroupState.CompletingRebalance:
      parkSync(s, group, member, handle, request);
      return;
    case ClassicGroupState.Stable:
      removePendingSyncMember(s, group, member.memberId);
      respond({
        errorCode: ErrorCode.NONE,
        protocolType: group.protocolType,
        protocolName: group.protocolName,
        assignment: member.assignment,
      });
      return;
    default:
      respond(syncErrorResponse(ErrorCode.UNKNOWN_MEMBER_ID));
      return;
  }
}

function validateSyncGroup(group: ClassicGroup, request: SyncGroupRequest): number {
  if (group.is(ClassicGroupState.Dead)) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
  const memberError = group.validateMember(request.memberId, request.groupInstanceId);
  if (memberError !== ErrorCode.NONE) return memberError;
  if (request.generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION;
  if (
    isInconsistent(request.protocolType, group.protocolType) ||
    isInconsistent(request.protocolName, group.protocolName)
  ) {
    return ErrorCode.INCONSISTENT_GROUP_PROTOCOL;
  }
  return ErrorCode.NONE;
}

/** KIP-559: v5+ clients name the protocol they think they are in; null skips the check. */
function isInconsistent(fromRequest: string | null, fromGroup: string | null): boolean {
  return fromRequest !== null && fromGroup !== null && fromRequest !== fromGroup;
}

function parkSync(
  s: ShardState,
  group: ClassicGroup,
  member: ClassicGroupMember,
  handle: RequestHandle,
  request: SyncGroupRequest,
): void {
  const previous = group.takeSyncHandle(member);
  // A second SyncGroup while one is parked: answer the older so its connection is not blocked.
  if (previous !== null)
    s.respond(previous, { api: "syncGroup", data: syncErrorResponse(ErrorCode.REBALANCE_IN_PROGRESS) });
  member.syncHandle = handle;
  removePendingSyncMember(s, group, member.memberId);
  if (!group.isLeader(member.memberId)) return;
  // Members the leader left out get an empty assignment, as in Kafka.
  const assignment = new Map<string, Buffer>();
  for (const m of group.allMembers()) assignment.set(m.memberId, EMPTY_ASSIGNMENT);
  for (const a of request.assignments)
    if (assignment.has(a.memberId)) assignment.set(a.memberId, a.assignment);
  s.append([groupMetadataRecord(group.groupId, group.toRecordValue(assignment))], {
    kind: "syncGroup",
    groupId: group.groupId,
    group,
    generationId: request.generationId,
    assignment,
  });
}

type SyncContinuation = Extract<AppendContinuation, { kind: "syncGroup" }>;

/**
 * The leader's assignment is durable (or failed to be). If the group is still in that generation's
 * CompletingRebalance, every parked member gets its assignment and the group is Stable; on failure
 * everyone gets the error and the group rebalances. If something moved the group meanwhile, that
 * already answered the parked members.
 */
export function onSyncGroupAppended(s: ShardState, c: SyncContinuation, errorCode: number): void {
  const group = c.group;
  if (s.groups.get(c.groupId) !== group) return;
  if (!group.is(ClassicGroupState.CompletingRebalance) || group.generationId !== c.generationId) return;
  if (errorCode !== ErrorCode.NONE) {
    resetAndPropagateAssignmentWithError(s, group, groupMetadataAppendError(errorCode));
    maybePrepareRebalanceOrCompleteJoin(s, group);
    return;
  }
  setAndPropagateAssignment(s, group, c.assignment);
  group.transitionTo(ClassicGroupState.Stable, s.nowMs());
}
