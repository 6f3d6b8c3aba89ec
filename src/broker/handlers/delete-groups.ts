import {
  AclOperation,
  ApiKey,
  type DeleteGroupsRequest,
  type DeleteGroupsResponseInput,
  ErrorCode,
  ResourceType,
} from "../../protocol/index.js";
import { defineHandler } from "../api-handler.js";
import type { AuthorizerAccess, GroupAccess } from "../handler-context.js";

/**
 * DeleteGroups 0-2 (`kafka-consumer-groups --delete`): an empty group goes with its committed
 * offsets; a group with members gets NON_EMPTY_GROUP, an unknown one GROUP_ID_NOT_FOUND, one the
 * client may not DELETE GROUP_AUTHORIZATION_FAILED.
 */
export function deleteGroupsHandler(broker: GroupAccess & AuthorizerAccess) {
  return defineHandler<DeleteGroupsRequest, DeleteGroupsResponseInput>({
    apiKey: ApiKey.DeleteGroups,
    minVersion: 0,
    maxVersion: 2,
    async handle(request, context) {
      const authorizer = broker.authorizer;
      if (authorizer === null) {
        const results = await broker.groupCoordinator.deleteGroups(request.groupsNames);
        return { throttleTimeMs: 0, results };
      }
      // Kafka's: DELETE on each group; the refused ones answered after the others.
      const allowed = authorizer.filterAuthorized(
        context,
        AclOperation.DELETE,
        ResourceType.GROUP,
        request.groupsNames,
      );
      const authorized = request.groupsNames.filter((g) => allowed.has(g));
      const results = authorized.length === 0 ? [] : await broker.groupCoordinator.deleteGroups(authorized);
      const refused = [...new Set(request.groupsNames)].filter((g) => !allowed.has(g));
      return {
        throttleTimeMs: 0,
        results: [
          ...results,
          ...refused.map((groupId) => ({ groupId, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED })),
        ],
      };
    },
    errorResponse: (request, errorCode) => ({
      throttleTimeMs: 0,
      results: request.groupsNames.map((groupId) => ({ groupId, errorCode })),
    }),
  });
}
