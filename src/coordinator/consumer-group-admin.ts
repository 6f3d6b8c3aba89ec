import { ErrorCode } from "../protocol/index.js";
import { CONSUMER_GROUP_TYPE, groupTombstoneRecords } from "./consumer-group.js";
import type { TopicPartitions } from "./consumer-group-assignor.js";
import { replayGroupRecord } from "./consumer-group-heartbeat.js";
import { preferredAssignor } from "./consumer-group-target.js";
import type {
  DescribedConsumerGroup,
  JoinGroupRequest,
  ListedGroup,
  ListGroupsRequest,
  RequestHandle,
} from "./group-api.js";
import { joinErrorResponse } from "./group-rebalance.js";
import type { ShardState } from "./shard-state.js";

/** The protocol type ListGroups gives consumer groups, as Kafka's ConsumerGroup.protocolType(). */
const CONSUMER_PROTOCOL_TYPE = "consumer";

/** ConsumerGroupDescribe: Kafka's answers, GROUP_ID_NOT_FOUND for unknown and classic groups. */
export function describeConsumerGroups(s: ShardState, groupIds: readonly string[]): DescribedConsumerGroup[] {
  return groupIds.map((groupId) => {
    const group = s.consumerGroups.get(groupId);
    if (group === undefined) {
      const classic = s.groups.has(groupId);
      return {
        errorCode: ErrorCode.GROUP_ID_NOT_FOUND,
        errorMessage: classic ? `Group ${groupId} is not a consumer group.` : `Group ${groupId} not found.`,
        groupId,
        groupState: "",
        groupEpoch: -1,
        assignmentEpoch: -1,
        assignorName: "",
        members: [],
      };
    }
    const named = (partitions: TopicPartitions) =>
      [...partitions].map(([topicId, ps]) => ({
        topicId,
        topicName: s.topics.topicNameById(topicId) ?? "",
        partitions: [...ps].sort((a, b) => a - b),
      }));
    return {
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      groupId,
      groupState: group.state,
      groupEpoch: group.groupEpoch,
      assignmentEpoch: group.assignmentEpoch,
      assignorName: preferredAssignor(
        s,
        [...group.members.values()].map((m) => m.serverAssignor),
      ),
      members: [...group.members.values()].map((m) => ({
        memberId: m.memberId,
        instanceId: m.instanceId,
        rackId: m.rackId,
        memberEpoch: m.memberEpoch,
        clientId: m.clientId,
        clientHost: m.clientHost,
        subscribedTopicNames: m.subscribedTopicNames,
        subscribedTopicRegex: m.subscribedTopicRegex,
        assignment: named(m.assignedPartitions),
        targetAssignment: named(group.targetAssignment.get(m.memberId) ?? new Map()),
      })),
    };
  });
}

/** ListGroups' entries for consumer groups (type "consumer"), with Kafka's filters. */
export function listConsumerGroups(s: ShardState, request: ListGroupsRequest): ListedGroup[] {
  const types = request.typesFilter.map((t) => t.trim().toLowerCase());
  if (types.length > 0 && !types.includes(CONSUMER_GROUP_TYPE)) return [];
  const states = request.statesFilter.map((t) => t.trim().toLowerCase());
  const out: ListedGroup[] = [];
  for (const group of s.consumerGroups.values()) {
    if (states.length > 0 && !states.includes(group.state.toLowerCase())) continue;
    out.push({
      groupId: group.groupId,
      protocolType: CONSUMER_PROTOCOL_TYPE,
      groupState: group.state,
      groupType: CONSUMER_GROUP_TYPE,
    });
  }
  return out;
}

/**
 * A classic JoinGroup for the id of a consumer group: refused with INCONSISTENT_GROUP_PROTOCOL
 * while the group has members (Brook does not let classic members join a consumer group, which
 * Kafka 4.0 can); an empty consumer group is deleted (its offsets stay) and the join goes on as a
 * classic one, as Kafka does. Returns whether the request was answered.
 */
export function refuseClassicJoin(s: ShardState, handle: RequestHandle, request: JoinGroupRequest): boolean {
  const group = s.consumerGroups.get(request.groupId);
  if (group === undefined) return false;
  if (group.size > 0) {
    s.respond(handle, {
      api: "joinGroup",
      data: joinErrorResponse(request.memberId, ErrorCode.INCONSISTENT_GROUP_PROTOCOL),
    });
    return true;
  }
  const records = groupTombstoneRecords(group);
  for (const record of records) replayGroupRecord(s, record);
  s.append(records, { kind: "none" });
  return false;
}

/**
 * OffsetCommit into a consumer group (Kafka's ConsumerGroup.validateOffsetCommit): epoch < 0 into
 * an empty group is an admin's or a groupless consumer's commit; otherwise the member must exist,
 * use OffsetCommit v9+ (not transactional) and give its current member epoch.
 */
export function consumerGroupCommitError(
  s: ShardState,
  groupId: string,
  memberId: string,
  memberEpoch: number,
  apiVersion: number,
  isTransactional: boolean,
): number {
  const group = s.consumerGroups.get(groupId);
  if (group === undefined) return ErrorCode.NONE;
  if (memberEpoch < 0 && group.size === 0) return ErrorCode.NONE;
  const member = group.members.get(memberId);
  if (member === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
  if (!isTransactional && apiVersion < 9) return ErrorCode.UNSUPPORTED_VERSION;
  return memberEpoch === member.memberEpoch ? ErrorCode.NONE : ErrorCode.STALE_MEMBER_EPOCH;
}

/**
 * OffsetFetch v9+ from a consumer group member (Kafka's validateOffsetFetch): no member id and a
 * negative epoch is an admin's fetch; otherwise the member must exist at that epoch.
 */
export function consumerGroupFetchError(
  s: ShardState,
  groupId: string,
  memberId: string | null,
  memberEpoch: number,
): number {
  const group = s.consumerGroups.get(groupId);
  if (group === undefined || (memberId === null && memberEpoch < 0)) return ErrorCode.NONE;
  const member = memberId === null ? undefined : group.members.get(memberId);
  if (member === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
  return memberEpoch === member.memberEpoch ? ErrorCode.NONE : ErrorCode.STALE_MEMBER_EPOCH;
}
