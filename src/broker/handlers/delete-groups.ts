import { ApiKey, type DeleteGroupsRequest, type DeleteGroupsResponseInput } from "../../protocol/index.js";
import { defineHandler } from "../api-handler.js";
import type { GroupAccess } from "../handler-context.js";

/**
 * DeleteGroups 0-2 (`kafka-consumer-groups --delete`): an empty group goes with its committed
 * offsets; a group with members gets NON_EMPTY_GROUP, an unknown one GROUP_ID_NOT_FOUND.
 */
export function deleteGroupsHandler(broker: GroupAccess) {
  return defineHandler<DeleteGroupsRequest, DeleteGroupsResponseInput>({
    apiKey: ApiKey.DeleteGroups,
    minVersion: 0,
    maxVersion: 2,
    async handle(request) {
      const results = await broker.groupCoordinator.deleteGroups(request.groupsNames);
      return { throttleTimeMs: 0, results };
    },
    errorResponse: (request, errorCode) => ({
      throttleTimeMs: 0,
      results: request.groupsNames.map((groupId) => ({ groupId, errorCode })),
    }),
  });
}
