import {
  AclOperation,
  ApiKey,
  ResourceType,
  type SyncGroupRequest,
  type SyncGroupResponseInput,
} from "../../protocol/index.js";
import { defineHandler } from "../api-handler.js";
import type { AuthorizerAccess, GroupAccess } from "../handler-context.js";

/**
 * SyncGroup 0-5: the leader hands out the assignment, every member gets its own. v3 added
 * `groupInstanceId`, v5 the protocol type and name (checked against the group's when present).
 */
export function syncGroupHandler(broker: GroupAccess & AuthorizerAccess) {
  return defineHandler<SyncGroupRequest, SyncGroupResponseInput>({
    apiKey: ApiKey.SyncGroup,
    minVersion: 0,
    maxVersion: 5,
    async handle(request, context) {
      const v = context.apiVersion;
      broker.authorizer?.require(context, AclOperation.READ, ResourceType.GROUP, request.groupId);
      const response = await broker.groupCoordinator.syncGroup({
        groupId: request.groupId,
        generationId: request.generationId,
        memberId: request.memberId,
        groupInstanceId: v >= 3 ? request.groupInstanceId : null,
        protocolType: v >= 5 ? request.protocolType : null,
        protocolName: v >= 5 ? request.protocolName : null,
        // Kept until every member has fetched its assignment: copies, not views of the socket read.
        assignments: request.assignments.map((a) => ({
          memberId: a.memberId,
          assignment: Buffer.from(a.assignment),
        })),
      });
      return {
        throttleTimeMs: 0,
        errorCode: response.errorCode,
        protocolType: response.protocolType,
        protocolName: response.protocolName,
        assignment: response.assignment,
      };
    },
    errorResponse: (_request, errorCode) => ({
      throttleTimeMs: 0,
      errorCode,
      protocolType: null,
      protocolName: null,
      assignment: Buffer.alloc(0),
    }),
  });
}
