import {
  AclOperation,
  ApiKey,
  type HeartbeatRequest,
  type HeartbeatResponseInput,
  ResourceType,
} from "../../protocol/index.js";
import { defineHandler } from "../api-handler.js";
import type { AuthorizerAccess, GroupAccess } from "../handler-context.js";

/**
 * Heartbeat 0-4: keeps a member's session alive, and is how most clients learn of a rebalance
 * (REBALANCE_IN_PROGRESS). v3 added `groupInstanceId`.
 */
export function heartbeatHandler(broker: GroupAccess & AuthorizerAccess) {
  return defineHandler<HeartbeatRequest, HeartbeatResponseInput>({
    apiKey: ApiKey.Heartbeat,
    minVersion: 0,
    maxVersion: 4,
    async handle(request, context) {
      broker.authorizer?.require(context, AclOperation.READ, ResourceType.GROUP, request.groupId);
      const response = await broker.groupCoordinator.heartbeat({
        groupId: request.groupId,
        generationId: request.generationId,
        memberId: request.memberId,
        groupInstanceId: context.apiVersion >= 3 ? request.groupInstanceId : null,
      });
      return { throttleTimeMs: 0, errorCode: response.errorCode };
    },
    errorResponse: (_request, errorCode) => ({ throttleTimeMs: 0, errorCode }),
  });
}
