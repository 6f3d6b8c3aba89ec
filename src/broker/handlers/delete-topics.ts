import {
  ApiKey,
  type DeleteTopicsRequest,
  type DeleteTopicsResponseInput,
  ErrorCode,
  ZERO_UUID,
} from "../../protocol/index.js";
import { defineHandler } from "../api-handler.js";
import type { Broker } from "../broker.js";

/** DeleteTopics by name (v0-5) or by name or id (v6+); the logs are deleted when the image drops them. */
export function deleteTopicsHandler(broker: Broker) {
  return defineHandler<DeleteTopicsRequest, DeleteTopicsResponseInput>({
    apiKey: ApiKey.DeleteTopics,
    minVersion: 1,
    maxVersion: 6,
    handle(request, context) {
      const wanted =
        context.apiVersion >= 6
          ? request.topics.map((t) => ({ name: t.name, topicId: t.topicId }))
          : request.topicNames.map((name) => ({ name, topicId: ZERO_UUID }));
      if (!broker.config.bool("delete.topic.enable")) {
        return {
          responses: wanted.map((t) => ({
            name: t.name,
            topicId: t.topicId,
            errorCode: ErrorCode.TOPIC_DELETION_DISABLED,
            errorMessage: "Topic deletion is disabled.",
          })),
        };
      }
      const responses: DeleteTopicsResponseInput["responses"] & unknown[] = [];
      const names: string[] = [];
      for (const t of wanted) {
        const byId = t.name === null ? broker.image.topicsById.get(t.topicId) : undefined;
        if (t.name === null && byId === undefined) {
          responses.push({
            name: null,
            topicId: t.topicId,
            errorCode: ErrorCode.UNKNOWN_TOPIC_ID,
            errorMessage: "This server does not host this topic ID.",
          });
          continue;
        }
        names.push(byId?.name ?? (t.name as string));
      }
      const { results, records } = broker.controller.deleteTopics(broker.image, names);
      broker.commit(records);
      for (const r of results)
        responses.push({
          name: r.name,
          topicId: r.topicId ?? ZERO_UUID,
          errorCode: r.errorCode,
          errorMessage: r.errorMessage,
        });
      return { throttleTimeMs: 0, responses };
    },
  });
}
