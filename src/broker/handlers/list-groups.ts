import {
  AclOperation,
  ApiKey,
  type ListGroupsRequest,
  type ListGroupsResponseInput,
  ResourceType,
} from "../../protocol/index.js";
import { defineHandler } from "../api-handler.js";
import type { AuthorizerAccess, GroupAccess } from "../handler-context.js";

/**
 * ListGroups 0-5: the groups of every `__consumer_offsets` partition this broker leads. v4 added
 * the state filter (`kafka-consumer-groups --list --state`), v5 the type filter; classic groups
 * are of type "classic". Groups that only hold committed offsets have protocol type "". With an
 * authorizer, only the groups the client may DESCRIBE, unless it may DESCRIBE the cluster.
 */
export function listGroupsHandler(broker: GroupAccess & AuthorizerAccess) {
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
      const authorizer = broker.authorizer;
      // Kafka's: every group with DESCRIBE on the cluster, else those the client may DESCRIBE (unlogged).
      const groups =
        authorizer === null || authorizer.authorizeCluster(context, AclOperation.DESCRIBE, false)
          ? response.groups
          : response.groups.filter((g) =>
              authorizer.authorize(context, AclOperation.DESCRIBE, ResourceType.GROUP, g.groupId, false),
            );
      return { throttleTimeMs: 0, errorCode: response.errorCode, groups };
    },
    errorResponse: (_request, errorCode) => ({ throttleTimeMs: 0, errorCode, groups: [] }),
  });
}
