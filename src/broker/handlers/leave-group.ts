import type { LeaveGroupResponse } from "../../coordinator/index.js";
import {
  AclOperation,
  ApiKey,
  ErrorCode,
  type LeaveGroupRequest,
  type LeaveGroupResponseInput,
  ResourceType,
} from "../../protocol/index.js";
import { defineHandler } from "../api-handler.js";
import type { AuthorizerAccess, GroupAccess } from "../handler-context.js";

/** LeaveGroup v3 (KIP-345) replaced the single member id with a batch of members. */
const BATCHED_MEMBERS_VERSION = 3;

/**
 * LeaveGroup 0-5. v0-2 name one member and get one error code: the group's, or else that
 * member's (Kafka's LeaveGroupResponse folds them the same way). v3+ name several members, each
 * with an optional `groupInstanceId` (v5: a reason), and get an error per member.
 */
export function leaveGroupHandler(broker: GroupAccess & AuthorizerAccess) {
  return defineHandler<LeaveGroupRequest, LeaveGroupResponseInput>({
    apiKey: ApiKey.LeaveGroup,
    minVersion: 0,
    maxVersion: 5,
    async handle(request, context) {
      broker.authorizer?.require(context, AclOperation.READ, ResourceType.GROUP, request.groupId);
      const batched = context.apiVersion >= BATCHED_MEMBERS_VERSION;
      const members = batched
        ? request.members.map((m) => ({
            memberId: m.memberId,
            groupInstanceId: m.groupInstanceId,
            reason: m.reason,
          }))
        : [{ memberId: request.memberId, groupInstanceId: null }];
      const response = await broker.groupCoordinator.leaveGroup({ groupId: request.groupId, members });
      return batched ? batchedResponse(response) : { throttleTimeMs: 0, errorCode: foldedError(response) };
    },
    errorResponse: (_request, errorCode) => ({ throttleTimeMs: 0, errorCode, members: [] }),
  });
}

function batchedResponse(response: LeaveGroupResponse): LeaveGroupResponseInput {
  return {
    throttleTimeMs: 0,
    errorCode: response.errorCode,
    members: response.members.map((m) => ({
      memberId: m.memberId,
      groupInstanceId: m.groupInstanceId,
      errorCode: m.errorCode,
    })),
  };
}

function foldedError(response: LeaveGroupResponse): number {
  if (response.errorCode !== ErrorCode.NONE) return response.errorCode;
  return response.members.find((m) => m.errorCode !== ErrorCode.NONE)?.errorCode ?? ErrorCode.NONE;
}
