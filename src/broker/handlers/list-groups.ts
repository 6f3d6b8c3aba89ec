import { ApiKey, type ListGroupsRequest, type ListGroupsResponseInput } from "../../protocol/index.js";
import { defineHandler } from "../api-handler.js";
import type { GroupAccess } from "../handler-context.js";

/**
 * ListGroups 0-5: the groups of every `__consumer_offsets` partition this broker leads. v4 added
 * the state filter (`kafka-consumer-groups --list --state`), v5 the type filter; classic groups
 * are of type "classic". Groups that only hold committed offsets have protocol type "".
 */
export function listGroupsHandler(broker: GroupAccess) {
  return defineHandler<ListGroupsRequest, ListGroupsResponseInput>({
    apiKey: ApiKey.ListGroups,
    minVersion: 0,
    maxVersion: 5,
    async handle(request, context) {
      const v = context.apiVersion;
      const response = await broker.groupCoordinator.listGroups({
        statesFilter: v >= 4 ? request.statesFilter : [],
        typesFilter: v >= 5 ? request.typesFilter : [],
      });
      return { throttleTimeMs: 0, errorCode: response.errorCode, groups: response.groups };
    },
    errorResponse: (_request, errorCode) => ({ throttleTimeMs: 0, errorCode, groups: [] }),
  });
}
