import { ErrorCode } from "../protocol/index.js";
import type { ClassicGroup } from "./classic-group.js";
import type { ClassicGroupMember } from "./classic-group-member.js";
import { ClassicGroupState } from "./classic-group-state.js";
import { groupMetadataRecord } from "./coordinator-record.js";
import {
  EMPTY_ASSIGNMENT,
  type JoinGroupResponse,
  type SyncGroupResponse,
  UNKNOWN_GENERATION_ID,
  UNKNOWN_MEMBER_ID,
} from "./group-api.js";
import { heartbeatKey, joinKey, type ShardState, syncKey } from "./shard-state.js";

/**
 * The rebalance protocol of classic groups, shared by every request and timer that moves a group:
 * the join barrier (all known members rejoin, or the rebalance timeout removes the ones that did
 * not; a new group first waits `group.initial.rebalance.delay.ms`, extended while members keep
 * arriving), the sync barrier (the leader's assignment is written, then handed to everyone), and
 * the heartbeat and pending-sync deadlines that remove members that went silent.
 */

export function joinErrorResponse(memberId: string, errorCode: number): JoinGroupResponse {
  return {
    errorCode,
    generationId: UNKNOWN_GENERATION_ID,
    protocolType: null,
    protocolName: null,
    leader: "",
    skipAssignment: false,
    memberId,
    members: [],
  };
}

export function syncErrorResponse(errorCode: number): SyncGroupResponse {
  return { errorCode, protocolType: null, protocolName: null, assignment: EMPTY_ASSIGNMENT };
}

/** Answers a member's parked JoinGroup, if it has one. */
export function completeJoin(
  s: ShardState,
  group: ClassicGroup,
  member: ClassicGroupMember,
  data: JoinGroupResponse,
): void {
  const handle = group.takeJoinHandle(member);
  if (handle !== null) s.respond(handle, { api: "joinGroup", data });
}

/** Answers a member's parked SyncGroup, if it has one; true if it had. */
export function completeSync(
  s: ShardState,
  group: ClassicGroup,
  member: ClassicGroupMember,
  data: SyncGroupResponse,
): boolean {
  const handle = group.takeSyncHandle(member);
  if (handle === null) return false;
  s.respond(handle, { api: "syncGroup", data });
  return true;
}

export function rescheduleHeartbeat(
  s: ShardState,
  group: ClassicGroup,
  member: ClassicGroupMember,
  timeoutMs: number = member.sessionTimeoutMs,
): void {
  s.schedule(heartbeatKey(group.groupId, member.memberId), timeoutMs, {
    kind: "heartbeat",
    groupId: group.groupId,
    memberId: member.memberId,
  });
}

export function maybePrepareRebalanceOrCompleteJoin(s: ShardState, group: ClassicGroup): void {
  if (group.canRebalance()) prepareRebalance(s, group);
  else maybeCompleteJoinPhase(s, group);
}

/** Starts a rebalance: members parked in the sync phase are told to rejoin. */
export function prepareRebalance(s: ShardState, group: ClassicGroup): void {
  if (group.is(ClassicGroupState.CompletingRebalance)) {
    resetAndPropagateAssignmentWithError(s, group, ErrorCode.REBALANCE_IN_PROGRESS);
  }
  removeSyncExpiration(s, group);
  const isInitialRebalance = group.is(ClassicGroupState.Empty);
  if (isInitialRebalance) {
    // A new group: give the other members time to arrive before the first generation.
    const delayMs = s.config.groupInitialRebalanceDelayMs;
    const remainingMs = Math.max(group.rebalanceTimeoutMs() - delayMs, 0);
    s.schedule(joinKey(group.groupId), delayMs, {
      kind: "initialJoin",
      groupId: group.groupId,
      delayMs,
      remainingMs,
    });
  }
  group.transitionTo(ClassicGroupState.PreparingRebalance, s.nowMs());
  if (!isInitialRebalance) maybeCompleteJoinElseSchedule(s, group);
}

function maybeCompleteJoinElseSchedule(s: ShardState, group: ClassicGroup): void {
  if (group.hasAllMembersJoined()) completeGroupJoin(s, group);
  else
    s.schedule(joinKey(group.groupId), group.rebalanceTimeoutMs(), { kind: "join", groupId: group.groupId });
}

/** Completes the join phase early once everyone rejoined (never during the initial delay). */
export function maybeCompleteJoinPhase(s: ShardState, group: ClassicGroup): void {
  if (
    group.is(ClassicGroupState.PreparingRebalance) &&
    group.hasAllMembersJoined() &&
    group.previousState !== ClassicGroupState.Empty
  ) {
    completeGroupJoin(s, group);
  }
}

/** The initial-rebalance timer: extend while new members keep joining, up to the rebalance timeout. */
export function tryCompleteInitialRebalance(
  s: ShardState,
  groupId: string,
  delayMs: number,
  remainingMs: number,
): void {
  const group = s.groups.get(groupId);
  if (group === undefined || !group.is(ClassicGroupState.PreparingRebalance)) return;
  if (group.newMemberAdded && remainingMs !== 0) {
    group.newMemberAdded = false;
    const nextDelayMs = Math.min(s.config.groupInitialRebalanceDelayMs, remainingMs);
    const nextRemainingMs = Math.max(remainingMs - delayMs, 0);
    s.schedule(joinKey(groupId), nextDelayMs, {
      kind: "initialJoin",
      groupId,
      delayMs: nextDelayMs,
      remainingMs: nextRemainingMs,
    });
  } else {
    completeGroupJoin(s, group);
  }
}

/**
 * Ends the join phase: dynamic members that did not rejoin are removed, then the next generation
 * starts (CompletingRebalance, every parked JoinGroup answered, the leader with the member list),
 * or the group becomes Empty and that is written down.
 */
export function completeGroupJoin(s: ShardState, group: ClassicGroup): void {
  if (!group.is(ClassicGroupState.PreparingRebalance)) return;
  s.cancel(joinKey(group.groupId));
  for (const member of group.notYetRejoinedMembers()) {
    if (!member.isStatic) removeMember(s, group, member);
  }
  if (!group.maybeElectNewJoinedLeader() && group.size > 0) {
    // Only static members that did not rejoin are left: wait for them or for their sessions to end.
    s.schedule(joinKey(group.groupId), group.rebalanceTimeoutMs(), { kind: "join", groupId: group.groupId });
    return;
  }
  group.initNextGeneration(s.nowMs());
  if (group.is(ClassicGroupState.Empty)) {
    s.append([groupMetadataRecord(group.groupId, group.toRecordValue(new Map()))], { kind: "none" });
    return;
  }
  for (const member of group.allMembers()) {
    completeJoin(s, group, member, {
      errorCode: ErrorCode.NONE,
      generationId: group.generationId,
      protocolType: group.protocolType,
      protocolName: group.protocolName,
      leader: group.leaderId ?? "",
      skipAssignment: false,
      memberId: member.memberId,
      members: group.isLeader(member.memberId) ? group.currentMembersForJoin() : [],
    });
    rescheduleHeartbeat(s, group, member);
    member.isNew = false;
    group.addPendingSyncMember(member.memberId);
  }
  s.schedule(syncKey(group.groupId), group.rebalanceTimeoutMs(), {
    kind: "sync",
    groupId: group.groupId,
    generationId: group.generationId,
  });
}

export function removeSyncExpiration(s: ShardState, group: ClassicGroup): void {
  group.clearPendingSyncMembers();
  s.cancel(syncKey(group.groupId));
}

export function removePendingSyncMember(s: ShardState, group: ClassicGroup, memberId: string): void {
  group.removePendingSyncMember(memberId);
  const inGeneration = group.is(ClassicGroupState.CompletingRebalance) || group.is(ClassicGroupState.Stable);
  if (!inGeneration || group.hasReceivedSyncFromAllMembers()) s.cancel(syncKey(group.groupId));
}

export function resetAndPropagateAssignmentWithError(
  s: ShardState,
  group: ClassicGroup,
  errorCode: number,
): void {
  for (const member of group.allMembers()) member.assignment = EMPTY_ASSIGNMENT;
  propagateAssignment(s, group, errorCode);
}

export function setAndPropagateAssignment(
  s: ShardState,
  group: ClassicGroup,
  assignment: ReadonlyMap<string, Buffer>,
): void {
  for (const member of group.allMembers())
    member.assignment = assignment.get(member.memberId) ?? EMPTY_ASSIGNMENT;
  propagateAssignment(s, group, ErrorCode.NONE);
}

/** Answers every parked SyncGroup with the member's assignment (or the error). */
function propagateAssignment(s: ShardState, group: ClassicGroup, errorCode: number): void {
  const ok = errorCode === ErrorCode.NONE;
  for (const member of group.allMembers()) {
    const answered = completeSync(s, group, member, {
      errorCode,
      protocolType: ok ? group.protocolType : null,
      protocolName: ok ? group.protocolName : null,
      assignment: member.assignment,
    });
    // A member whose session ran out while it waited on the leader or the append was spared:
    // it gets a fresh session from here.
    if (answered) rescheduleHeartbeat(s, group, member);
  }
}

/**
 * Removes a member without rebalancing. Its parked requests are answered first: a member that
 * timed out while parked in a rebalance learns UNKNOWN_MEMBER_ID, which makes a client that is
 * still running rejoin.
 */
export function removeMember(s: ShardState, group: ClassicGroup, member: ClassicGroupMember): void {
  completeJoin(s, group, member, joinErrorResponse(UNKNOWN_MEMBER_ID, ErrorCode.UNKNOWN_MEMBER_ID));
  completeSync(s, group, member, syncErrorResponse(ErrorCode.UNKNOWN_MEMBER_ID));
  s.cancel(heartbeatKey(group.groupId, member.memberId));
  group.remove(member.memberId);
}

/** Removes a failed member and moves the group on: a rebalance, or the end of the join phase. */
export function removeMemberAndUpdateGroup(
  s: ShardState,
  group: ClassicGroup,
  member: ClassicGroupMember,
): void {
  removeMember(s, group, member);
  if (group.is(ClassicGroupState.Stable) || group.is(ClassicGroupState.CompletingRebalance)) {
    maybePrepareRebalanceOrCompleteJoin(s, group);
  } else if (group.is(ClassicGroupState.PreparingRebalance) && group.hasAllMembersJoined()) {
    completeGroupJoin(s, group);
  }
}

export function expireHeartbeat(s: ShardState, groupId: string, memberId: string): void {
  const group = s.groups.get(groupId);
  if (group === undefined || group.is(ClassicGroupState.Dead)) return;
  if (group.isPendingMember(memberId)) {
    group.remove(memberId);
    if (group.is(ClassicGroupState.PreparingRebalance) && group.hasAllMembersJoined())
      completeGroupJoin(s, group);
    return;
  }
  const member = group.member(memberId);
  if (member !== undefined && !member.hasSatisfiedHeartbeat()) removeMemberAndUpdateGroup(s, group, member);
}

/** The sync barrier timed out: members that never sent SyncGroup are removed and a rebalance starts. */
export function expirePendingSync(s: ShardState, groupId: string, generationId: number): void {
  const group = s.groups.get(groupId);
  if (group === undefined || generationId !== group.generationId) return;
  const inGeneration = group.is(ClassicGroupState.CompletingRebalance) || group.is(ClassicGroupState.Stable);
  if (!inGeneration || group.hasReceivedSyncFromAllMembers()) return;
  for (const memberId of group.pendingSyncMemberIds()) {
    // Such a member may still have a request parked (a restarted static member's JoinGroup).
    const member = group.member(memberId);
    if (member !== undefined) removeMember(s, group, member);
  }
  prepareRebalance(s, group);
}
