import { ErrorCode } from "../protocol/index.js";
import { deadGroup } from "./group-admin.js";
import type {
  ConsumerGroupHeartbeatResponse,
  CoordinatorResponse,
  DeletableGroupResult,
  DescribedGroup,
  OffsetCommitRequest,
  OffsetCommitResponse,
  OffsetFetchRequestGroup,
  OffsetFetchResponseGroup,
} from "./group-api.js";
import { joinErrorResponse, syncErrorResponse } from "./group-rebalance.js";

/**
 * The answers Kafka gives when a request fails as a whole before or after the group logic: the
 * coordinator does not own the group (NOT_COORDINATOR), is loading it (COORDINATOR_LOAD_IN_PROGRESS),
 * or lost the partition while the answer waited on the log.
 */

export function commitErrorResponse(request: OffsetCommitRequest, errorCode: number): OffsetCommitResponse {
  return {
    topics: request.topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode })),
    })),
  };
}

/**
 * A group-level OffsetFetch error: v2+ carry it at the top level with no partitions; for v0-1 the
 * handler copies it into each requested partition (Kafka's OffsetFetchRequest.getErrorResponse).
 */
export function fetchErrorResponse(
  request: OffsetFetchRequestGroup,
  errorCode: number,
): OffsetFetchResponseGroup {
  return { groupId: request.groupId, errorCode, topics: [] };
}

export function describeErrorResponse(groupId: string, errorCode: number): DescribedGroup {
  return deadGroup(groupId, errorCode);
}

export function deleteErrorResponse(groupId: string, errorCode: number): DeletableGroupResult {
  return { groupId, errorCode };
}

/** The same response turned into a failure with `errorCode` (every accepted part failing). */
export function failedResponse(response: CoordinatorResponse, errorCode: number): CoordinatorResponse {
  switch (response.api) {
    case "joinGroup":
      return { api: "joinGroup", data: joinErrorResponse(response.data.memberId, errorCode) };
    case "syncGroup":
      return { api: "syncGroup", data: syncErrorResponse(errorCode) };
    case "heartbeat":
      return { api: "heartbeat", data: { errorCode } };
    case "leaveGroup":
      return { api: "leaveGroup", data: { errorCode, members: [] } };
    case "offsetCommit":
      return {
        api: "offsetCommit",
        data: {
          topics: response.data.topics.map((t) => ({
            name: t.name,
            partitions: t.partitions.map((p) => (p.errorCode === ErrorCode.NONE ? { ...p, errorCode } : p)),
          })),
        },
      };
    case "deleteGroups":
      return {
        api: "deleteGroups",
        data: response.data.map((r) => (r.errorCode === ErrorCode.NONE ? { ...r, errorCode } : r)),
      };
    case "offsetDelete":
      return { api: "offsetDelete", data: { errorCode, topics: [] } };
    case "consumerGroupHeartbeat":
      return { api: "consumerGroupHeartbeat", data: consumerGroupHeartbeatErrorResponse(errorCode) };
  }
}

/** A ConsumerGroupHeartbeat answered by an error alone (routing, loading, a failed append). */
export function consumerGroupHeartbeatErrorResponse(
  errorCode: number,
  errorMessage: string | null = null,
): ConsumerGroupHeartbeatResponse {
  return {
    errorCode,
    errorMessage,
    memberId: null,
    memberEpoch: 0,
    heartbeatIntervalMs: 0,
    assignment: null,
  };
}
