import { ApiKey, type OffsetDeleteRequest, type OffsetDeleteResponseInput } from "../../protocol/index.js";
import { defineHandler } from "../api-handler.js";
import type { Broker } from "../broker.js";

/**
 * OffsetDelete 0 (`kafka-consumer-groups --delete-offsets`): removes a group's committed offsets
 * of partitions the group is not consuming; a subscribed topic's partitions get
 * GROUP_SUBSCRIBED_TO_TOPIC.
 */
export function offsetDeleteHandler(broker: Broker) {
  return defineHandler<OffsetDeleteRequest, OffsetDeleteResponseInput>({
    apiKey: ApiKey.OffsetDelete,
    minVersion: 0,
    maxVersion: 0,
    async handle(request) {
      const response = await broker.groupCoordinator.deleteOffsets({
        groupId: request.groupId,
        topics: request.topics,
      });
      return { errorCode: response.errorCode, throttleTimeMs: 0, topics: response.topics };
    },
    errorResponse: (_request, errorCode) => ({ errorCode, throttleTimeMs: 0, topics: [] }),
  });
}
