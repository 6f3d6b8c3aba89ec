import {
  AclOperation,
  ApiKey,
  type DescribeGroupsRequest,
  type DescribeGroupsResponseInput,
  ErrorCode,
  ResourceType,
} from "../../protocol/index.js";
import { defineHandler } from "../api-handler.js";
import { AUTHORIZED_OPERATIONS_OMITTED, groupAuthorizedOperations } from "../authorized-operations.js";
import type { AuthorizerAccess, GroupAccess } from "../handler-context.js";

/**
 * DescribeGroups 0-5: state, protocol type and chosen protocol, and the members with their
 * client id, host, subscription and assignment (members' metadata only once the group is Stable).
 * An unknown group is described as Dead with protocol type "" and no error, as Kafka does;
 * `kafka-consumer-groups --reset-offsets` relies on it. v3+ may ask for the authorized operations:
 * without an authorizer, every operation a group supports, else those the client may do. With an
 * authorizer each group needs DESCRIBE (else GROUP_AUTHORIZATION_FAILED, answered first, as Kafka).
 */
export function describeGroupsHandler(broker: GroupAccess & AuthorizerAccess) {
  return defineHandler<DescribeGroupsRequest, DescribeGroupsResponseInput>({
    apiKey: ApiKey.DescribeGroups,
    minVersion: 0,
    maxVersion: 5,
    async handle(request, context) {
      const authorizer = broker.authorizer;
      const allowed =
        authorizer === null
          ? request.groups
          : request.groups.filter((g) =>
              authorizer.authorize(context, AclOperation.DESCRIBE, ResourceType.GROUP, g),
            );
      const groups = allowed.length === 0 ? [] : await broker.groupCoordinator.describeGroups(allowed);
      return {
        throttleTimeMs: 0,
        groups: [
          ...request.groups
            .filter((g) => !allowed.includes(g))
            .map((g) => groupError(g, ErrorCode.GROUP_AUTHORIZATION_FAILED)),
          ...groups.map((g) => ({
            ...g,
            authorizedOperations:
              request.includeAuthorizedOperations && g.errorCode === ErrorCode.NONE
                ? groupAuthorizedOperations(authorizer, context, g.groupId)
                : AUTHORIZED_OPERATIONS_OMITTED,
          })),
        ],
      };
    },
    errorResponse: (request, errorCode) => ({
      throttleTimeMs: 0,
      groups: request.groups.map((groupId) => groupError(groupId, errorCode)),
    }),
  });
}

/** Kafka's DescribeGroupsResponse.groupError. */
function groupError(groupId: string, errorCode: number) {
  return {
    errorCode,
    groupId,
    groupState: "",
    protocolType: "",
    protocolData: "",
    members: [],
    authorizedOperations: AUTHORIZED_OPERATIONS_OMITTED,
  };
}
