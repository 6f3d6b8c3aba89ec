import { ErrorCode } from "../protocol/index.js";
import { groupMetadataAppendError } from "./append-errors.js";
import type { ClassicGroup } from "./classic-group.js";
import { ClassicGroupState, matchesStateFilter } from "./classic-group-state.js";
import { groupTombstoneRecords } from "./consumer-group.js";
import {
  type CoordinatorRecord,
  groupMetadataTombstone,
  offsetCommitTombstone,
} from "./coordinator-record.js";
import {
  type DeletableGroupResult,
  type DescribedGroup,
  EMPTY_ASSIGNMENT,
  type ListedGroup,
  type ListGroupsRequest,
  type RequestHandle,
} from "./group-api.js";
import type { AppendContinuation, ShardState } from "./shard-state.js";

/** The group type ListGroups v5 reports for every group Brook has (KIP-848 groups are not served). */
export const CLASSIC_GROUP_TYPE = "classic";

/**
 * DescribeGroups: state, protocol and members. Only a Stable group shows the selected protocol and
 * each member's metadata and assignment; an unknown group is reported as Dead without an error.
 */
export function describeGroups(s: ShardState, groupIds: readonly string[]): DescribedGroup[] {
  return groupIds.map((groupId) => {
    const group = s.groups.get(groupId);
    if (group === undefined || group.is(ClassicGroupState.Dead)) {
      return deadGroup(groupId);
    }
    const protocolName = group.is(ClassicGroupState.Stable) ? group.protocolName : null;
    return {
      errorCode: ErrorCode.NONE,
      groupId,
      groupState: group.state,
      protocolType: group.protocolType ?? "",
      protocolData: protocolName ?? "",
      members: group.allMembers().map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        memberMetadata: protocolName === null ? EMPTY_ASSIGNMENT : m.metadata(protocolName),
        memberAssignment: protocolName === null ? EMPTY_ASSIGNMENT : m.assignment,
      })),
    };
  });
}

export function deadGroup(groupId: string, errorCode: number = ErrorCode.NONE): DescribedGroup {
  return {
    errorCode,
    groupId,
    groupState: errorCode === ErrorCode.NONE ? ClassicGroupState.Dead : "",
    protocolType: "",
    protocolData: "",
    members: [],
  };
}

/** ListGroups: the groups in the states and types asked for (matched case-insensitively). */
export function listGroups(s: ShardState, request: ListGroupsRequest): ListedGroup[] {
  const types = request.typesFilter.map((t) => t.trim().toLowerCase());
  if (types.length > 0 && !types.includes(CLASSIC_GROUP_TYPE)) return [];
  const out: ListedGroup[] = [];
  for (const group of s.groups.values()) {
    if (group.is(ClassicGroupState.Dead) || !matchesStateFilter(group.state, request.statesFilter)) continue;
    out.push({
      groupId: group.groupId,
      protocolType: group.protocolType ?? "",
      groupState: group.state,
      groupType: CLASSIC_GROUP_TYPE,
    });
  }
  return out;
}

/**
 * DeleteGroups: an Empty group is deleted with all its offsets (tombstones); a group with members
 * gets NON_EMPTY_GROUP, an unknown one GROUP_ID_NOT_FOUND. The group leaves memory at once, so
 * no one joins the deleted group; the answer waits for the tombstones. A KIP-848 consumer group
 * goes the same way, with its own records' tombstones (a failed append does not bring it back).
 */
export function deleteGroups(s: ShardState, handle: RequestHandle, groupIds: readonly string[]): void {
  const records: CoordinatorRecord[] = [];
  const deleted: ClassicGroup[] = [];
  const results: DeletableGroupResult[] = groupIds.map((groupId) => {
    const consumer = s.consumerGroups.get(groupId);
    if (consumer !== undefined) {
      if (consumer.size > 0) return { groupId, errorCode: ErrorCode.NON_EMPTY_GROUP };
      records.push(...offsetTombstones(s, groupId), ...groupTombstoneRecords(consumer));
      s.consumerGroups.delete(groupId);
      return { groupId, errorCode: ErrorCode.NONE };
    }
    const group = s.groups.get(groupId);
    if (group === undefined || group.is(ClassicGroupState.Dead))
      return { groupId, errorCode: ErrorCode.GROUP_ID_NOT_FOUND };
    if (!group.is(ClassicGroupState.Empty)) return { groupId, errorCode: ErrorCode.NON_EMPTY_GROUP };
    records.push(...groupTombstones(s, groupId));
    s.groups.delete(groupId);
    deleted.push(group);
    return { groupId, errorCode: ErrorCode.NONE };
  });
  if (records.length === 0) s.respond(handle, { api: "deleteGroups", data: results });
  else s.append(records, { kind: "deleteGroups", handle, results, deleted });
}

/** Tombstones for every offset of a group (committed or in flight), then for the group itself. */
export function groupTombstones(s: ShardState, groupId: string): CoordinatorRecord[] {
  const records = offsetTombstones(s, groupId);
  records.push(groupMetadataTombstone(groupId));
  return records;
}

/** Tombstones for every offset of a group, committed or in flight. */
function offsetTombstones(s: ShardState, groupId: string): CoordinatorRecord[] {
  const keys = new Map<string, { topic: string; partition: number }>();
  for (const [topic, partitions] of s.offsets.groupOffsets(groupId) ?? []) {
    for (const partition of partitions.keys()) keys.set(`${partition}:${topic}`, { topic, partition });
  }
  for (const k of s.pendingOffsetKeys(groupId)) keys.set(`${k.partition}:${k.topic}`, k);
  return [...keys.values()].map((k) => offsetCommitTombstone(groupId, k.topic, k.partition));
}

type DeleteContinuation = Extract<AppendContinuation, { kind: "deleteGroups" }>;

/** The tombstones are durable, or failed: then the groups come back, unless recreated meanwhile. */
export function onDeleteGroupsAppended(s: ShardState, c: DeleteContinuation, errorCode: number): void {
  if (errorCode === ErrorCode.NONE) {
    s.respond(c.handle, { api: "deleteGroups", data: c.results });
    return;
  }
  for (const group of c.deleted) if (!s.groups.has(group.groupId)) s.groups.set(group.groupId, group);
  const mapped = groupMetadataAppendError(errorCode);
  s.respond(c.handle, {
    api: "deleteGroups",
    data: c.results.map((r) => (r.errorCode === ErrorCode.NONE ? { ...r, errorCode: mapped } : r)),
  });
}
