import { ErrorCode } from "../protocol/index.js";
import { ClassicGroup } from "./classic-group.js";
import { ClassicGroupState } from "./classic-group-state.js";
import { onConsumerGroupsLoaded, replayGroupRecord } from "./consumer-group-heartbeat.js";
import type { CoordinatorRecord } from "./coordinator-record.js";
import { failedResponse } from "./error-responses.js";
import { scheduleCleanup } from "./group-expiry.js";
import {
  joinErrorResponse,
  prepareRebalance,
  rescheduleHeartbeat,
  syncErrorResponse,
} from "./group-rebalance.js";
import type { AppendContinuation, ShardState } from "./shard-state.js";

/**
 * Replays one record of the shard's `__consumer_offsets` partition, in log order: the loading path.
 * Group metadata records are snapshots (the last one wins, a tombstone removes the group); offset
 * records set or delete one offset, and create the simple group of a groupless committer.
 */
export function replayRecord(s: ShardState, record: CoordinatorRecord): void {
  if (record.type === "consumerGroup") {
    replayGroupRecord(s, record);
    return;
  }
  if (record.type === "groupMetadata") {
    if (record.value === null) s.groups.delete(record.key.group);
    else s.groups.set(record.key.group, ClassicGroup.fromRecord(record.key.group, record.value));
    return;
  }
  s.offsets.replay(record.key, record.value);
  if (record.value !== null && !s.groups.has(record.key.group) && !s.consumerGroups.has(record.key.group)) {
    s.groups.set(record.key.group, new ClassicGroup(record.key.group, null));
  }
}

/**
 * Applies an offset record whose append completed (the live path). Unlike loading it creates no
 * group: the commit created its group when it was decided, so a group missing now was deleted
 * since, and the deletion's tombstones for this offset follow in the log.
 */
export function applyOffsetRecord(
  s: ShardState,
  record: Extract<CoordinatorRecord, { type: "offsetCommit" }>,
): void {
  s.offsets.replay(record.key, record.value);
}

/**
 * The partition is loaded: members get a fresh session from now (their clients have been
 * heartbeating another coordinator, or nobody), a group over a lowered `group.max.size`
 * rebalances, and the retention pass is scheduled.
 */
export function onLoaded(s: ShardState): void {
  for (const group of s.groups.values()) {
    for (const member of group.allMembers()) rescheduleHeartbeat(s, group, member);
    if (group.size > s.config.groupMaxSize) prepareRebalance(s, group);
  }
  onConsumerGroupsLoaded(s);
  scheduleCleanup(s);
}

/**
 * The partition moved away: every parked request is answered NOT_COORDINATOR (the client finds
 * the new coordinator), every group is Dead to whatever still refers to it, and the shard forgets
 * everything. Requests whose appends are in flight are answered too; their completion is ignored.
 */
export function onUnloaded(s: ShardState): void {
  for (const group of s.groups.values()) {
    for (const member of group.allMembers()) {
      const joinHandle = group.takeJoinHandle(member);
      if (joinHandle !== null) {
        s.respond(joinHandle, {
          api: "joinGroup",
          data: joinErrorResponse(member.memberId, ErrorCode.NOT_COORDINATOR),
        });
      }
      const syncHandle = group.takeSyncHandle(member);
      if (syncHandle !== null) {
        s.respond(syncHandle, { api: "syncGroup", data: syncErrorResponse(ErrorCode.NOT_COORDINATOR) });
      }
    }
    if (!group.is(ClassicGroupState.Dead)) group.transitionTo(ClassicGroupState.Dead, s.nowMs());
  }
  for (const { continuation } of s.appendsInFlight.values()) answerNotCoordinator(s, continuation);
  s.appendsInFlight.clear();
  s.groups.clear();
  s.consumerGroups.clear();
  s.timers.clear();
}

function answerNotCoordinator(s: ShardState, c: AppendContinuation): void {
  const error = ErrorCode.NOT_COORDINATOR;
  switch (c.kind) {
    case "offsetCommit":
      s.respond(c.handle, failedResponse({ api: "offsetCommit", data: c.response }, error));
      return;
    case "deleteGroups":
      s.respond(c.handle, failedResponse({ api: "deleteGroups", data: c.results }, error));
      return;
    case "offsetDelete":
      s.respond(c.handle, failedResponse({ api: "offsetDelete", data: c.response }, error));
      return;
    case "consumerGroupHeartbeat":
      s.respond(c.handle, failedResponse({ api: "consumerGroupHeartbeat", data: c.response }, error));
      return;
    default:
      // Join and sync requests parked on the append were answered with their group above.
      return;
  }
}
