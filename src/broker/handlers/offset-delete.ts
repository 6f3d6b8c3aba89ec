import {
  AclOperation,
  ApiKey,
  ErrorCode,
  type OffsetDeleteRequest,
  type OffsetDeleteResponseInput,
  ResourceType,
} from "../../protocol/index.js";
import { defineHandler } from "../api-handler.js";
import type { AuthorizerAccess, GroupAccess, MetadataView } from "../handler-context.js";
import { deniedTopics } from "../request-authorizer.js";
import { knownPartitions, withUnknownPartitions } from "./known-partitions.js";

/**
 * OffsetDelete 0 (`kafka-consumer-groups --delete-offsets`): removes a group's committed offsets
 * of partitions the group is not consuming; a subscribed topic's partitions get
 * GROUP_SUBSCRIBED_TO_TOPIC, partitions that do not exist UNKNOWN_TOPIC_OR_PARTITION. Needs DELETE on
 * the group and READ on each topic (TOPIC_AUTHORIZATION_FAILED for the others), as in Kafka.
 */
export function offsetDeleteHandler(broker: MetadataView & GroupAccess & AuthorizerAccess) {
  return defineHandler<OffsetDeleteRequest, OffsetDeleteResponseInput>({
    apiKey: ApiKey.OffsetDelete,
    minVersion: 0,
    maxVersion: 0,
    async handle(request, context) {
      const authorizer = broker.authorizer;
      authorizer?.require(context, AclOperation.DELETE, ResourceType.GROUP, request.groupId);
      const denied = deniedTopics(authorizer, context, AclOperation.READ, request.topics);
      const image = broker.image;
      const response = await broker.groupCoordinator.deleteOffsets({
        groupId: request.groupId,
        topics: knownPartitions(image, request.topics, denied),
      });
      // A group-level error answers alone, as Kafka's response builder does.
      if (response.errorCode !== ErrorCode.NONE)
        return { errorCode: response.errorCode, throttleTimeMs: 0, topics: [] };
      return {
        errorCode: ErrorCode.NONE,
        throttleTimeMs: 0,
        topics: withUnknownPartitions(image, request.topics, response.topics, denied),
      };
    },
    errorResponse: (_request, errorCode) => ({ errorCode, throttleTimeMs: 0, topics: [] }),
  });
}
