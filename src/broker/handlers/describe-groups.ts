import {
  ApiKey,
  type DescribeGroupsRequest,
  type DescribeGroupsResponseInput,
  ErrorCode,
} from "../../protocol/index.js";
import { defineHandler } from "../api-handler.js";
import { AUTHORIZED_OPERATIONS_OMITTED, GROUP_AUTHORIZED_OPERATIONS } from "../authorized-operations.js";
import type { GroupAccess } from "../handler-context.js";

/**
 * DescribeGroups 0-5: state, protocol type and chosen protocol, and the members with their
 * client id, host, subscription and assignment (members' metadata only once the group is Stable).
 * An unknown group is described as Dead with protocol type "" and no error, as Kafka does;
 * `kafka-consumer-groups --reset-offsets` relies on it. v3+ may ask for the authorized operations:
 * without an authorizer, every operation a group supports.
 */
export function describeGroupsHandler(broker: GroupAccess) {
  return defineHandler<DescribeGroupsRequest, DescribeGroupsResponseInput>({
    apiKey: ApiKey.DescribeGroups,
    minVersion: 0,
    maxVersion: 5,
    async handle(request) {
      const groups = await broker.groupCoordinator.describeGroups(request.groups);
      return {
        throttleTimeMs: 0,
        groups: groups.map((g) => ({
          ...g,
          authorizedOperations:
            request.includeAuthorizedOperations && g.errorCode === ErrorCode.NONE
              ? GROUP_AUTHORIZED_OPERATIONS
              : AUTHORIZED_OPERATIONS_OMITTED,
        })),
      };
    },
    errorResponse: (request, errorCode) => ({
      throttleTimeMs: 0,
      groups: request.groups.map((groupId) => ({
        errorCode,
        groupId,
        groupState: "",
        protocolType: "",
        protocolData: "",
        members: [],
        authorizedOperations: AUTHORIZED_OPERATIONS_OMITTED,
      })),
    }),
  });
}
