import { type JoinGroupResponse, joinErrorResponse } from "../../coordinator/index.js";
import {
  AclOperation,
  ApiKey,
  type JoinGroupRequest,
  type JoinGroupResponseInput,
  ResourceType,
} from "../../protocol/index.js";
import { defineHandler } from "../api-handler.js";
import type { AuthorizerAccess, GroupAccess } from "../handler-context.js";
import { coordinatorContext } from "./group-request-context.js";

/** JoinGroup v7 made the response's protocol type and name nullable. */
const NULLABLE_PROTOCOL_VERSION = 7;

/**
 * JoinGroup 0-9. The coordinator decides by version where it matters (MEMBER_ID_REQUIRED only
 * from v4, KIP-394: kafka-go loops forever if older versions get it); the rest is encoding: v0
 * has no rebalance timeout (-1: the session timeout is used), v5 added `groupInstanceId`, and the
 * protocol name is "" below v7 where the coordinator has none, null from v7. Needs READ on the
 * group (else GROUP_AUTHORIZATION_FAILED), as every classic group request.
 */
export function joinGroupHandler(broker: GroupAccess & AuthorizerAccess) {
  return defineHandler<JoinGroupRequest, JoinGroupResponseInput>({
    apiKey: ApiKey.JoinGroup,
    minVersion: 0,
    maxVersion: 9,
    async handle(request, context) {
      broker.authorizer?.require(context, AclOperation.READ, ResourceType.GROUP, request.groupId);
      const v = context.apiVersion;
      const response = await broker.groupCoordinator.joinGroup(
        {
          groupId: request.groupId,
          sessionTimeoutMs: request.sessionTimeoutMs,
          rebalanceTimeoutMs: v === 0 ? -1 : request.rebalanceTimeoutMs,
          memberId: request.memberId,
          groupInstanceId: v >= 5 ? request.groupInstanceId : null,
          protocolType: request.protocolType,
          // The group keeps members' metadata for as long as they are members: copies, so that a
          // few bytes do not keep the whole socket read (or frame) they arrived in alive.
          protocols: request.protocols.map((p) => ({ name: p.name, metadata: Buffer.from(p.metadata) })),
          reason: request.reason,
        },
        coordinatorContext(context),
      );
      return encodeResponse(response, v);
    },
    // Kafka's JoinGroupRequest.getErrorResponse (a refusal before the coordinator: authorization,
    // a failed handler) names no member; the coordinator's own errors name the request's.
    errorResponse: (_request, errorCode, context) =>
      encodeResponse(joinErrorResponse("", errorCode), context.apiVersion),
  });
}

function encodeResponse(response: JoinGroupResponse, version: number): JoinGroupResponseInput {
  const nullable = version >= NULLABLE_PROTOCOL_VERSION;
  const protocolName = nullable ? response.protocolName || null : (response.protocolName ?? "");
  return {
    throttleTimeMs: 0,
    errorCode: response.errorCode,
    generationId: response.generationId,
    protocolType: response.protocolType,
    protocolName,
    leader: response.leader,
    skipAssignment: response.skipAssignment,
    memberId: response.memberId,
    members: response.members.map((m) => ({
      memberId: m.memberId,
      groupInstanceId: m.groupInstanceId,
      metadata: m.metadata,
    })),
  };
}
