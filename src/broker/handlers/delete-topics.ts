import {
  ApiKey,
  type DeleteTopicsRequest,
  type DeleteTopicsResponseDeletableTopicResultInput,
  type DeleteTopicsResponseInput,
  ErrorCode,
  type Uuid,
  ZERO_UUID,
} from "../../protocol/index.js";
import { defineHandler } from "../api-handler.js";
import type { BrokerSettings, ControllerAccess, MetadataView } from "../handler-context.js";

type Result = DeleteTopicsResponseDeletableTopicResultInput;

/**
 * DeleteTopics (v1-6; Kafka 4 dropped v0): by name, or (v6+) by name or topic id, with Kafka's
 * checks: a duplicated name or id, a topic given by both name and id, or by neither, is
 * INVALID_REQUEST; an unknown name UNKNOWN_TOPIC_OR_PARTITION, an unknown id UNKNOWN_TOPIC_ID.
 * With delete.topic.enable=false every topic gets TOPIC_DELETION_DISABLED (INVALID_REQUEST before
 * v3, which predates that code). The partition logs go when the committed image drops the topic.
 */
export function deleteTopicsHandler(broker: MetadataView & ControllerAccess & BrokerSettings) {
  return defineHandler<DeleteTopicsRequest, DeleteTopicsResponseInput>({
    apiKey: ApiKey.DeleteTopics,
    minVersion: 1,
    maxVersion: 6,
    async handle(request, context) {
      if (broker.forwarder.shouldForward(context))
        return broker.forwarder.forward<DeleteTopicsResponseInput>(context, request, request.timeoutMs);
      if (!broker.config.bool("delete.topic.enable")) {
        const errorCode =
          context.apiVersion < 3 ? ErrorCode.INVALID_REQUEST : ErrorCode.TOPIC_DELETION_DISABLED;
        return {
          throttleTimeMs: 0,
          responses: everyTopic(request, errorCode, "Topic deletion is disabled."),
        };
      }
      const responses: Result[] = [];
      const fail = (name: string | null, topicId: Uuid, errorCode: number, errorMessage: string) =>
        responses.push({ name, topicId, errorCode, errorMessage });
      const { names, ids } = collectProvided(request, context.apiVersion, fail);
      const image = broker.image;
      const idToName = new Map<Uuid, string>();
      for (const id of ids.provided) {
        const topic = image.topicsById.get(id);
        if (topic === undefined)
          fail(null, id, ErrorCode.UNKNOWN_TOPIC_ID, "This server does not host this topic ID.");
        else idToName.set(id, topic.name);
      }
      for (const name of names.provided) {
        const topic = image.topic(name);
        if (topic === undefined) {
          fail(
            name,
            ZERO_UUID,
            ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
            "This server does not host this topic-partition.",
          );
        } else if (ids.duplicated.has(topic.id) || idToName.has(topic.id)) {
          // Kafka drops the id's own entry too, without a result of its own.
          ids.duplicated.add(topic.id);
          idToName.delete(topic.id);
          fail(
            name,
            topic.id,
            ErrorCode.INVALID_REQUEST,
            "The provided topic name maps to an ID that was already supplied.",
          );
        } else {
          idToName.set(topic.id, name);
        }
      }
      const deleting = [...idToName.values()];
      const results =
        deleting.length === 0
          ? []
          : await broker.decide("delete topics", (current) => {
              const outcome = broker.controller.deleteTopics(current, deleting);
              return { records: outcome.records, result: outcome.results };
            });
      for (const r of results) {
        responses.push({
          name: r.name,
          topicId: r.topicId ?? ZERO_UUID,
          errorCode: r.errorCode,
          errorMessage: r.errorMessage,
        });
      }
      return { throttleTimeMs: 0, responses };
    },
    errorResponse: (request, errorCode) => ({
      throttleTimeMs: 0,
      responses: everyTopic(request, errorCode, null),
    }),
  });
}

function everyTopic(request: DeleteTopicsRequest, errorCode: number, errorMessage: string | null): Result[] {
  return request.topics.length > 0
    ? request.topics.map((t) => ({ name: t.name, topicId: t.topicId, errorCode, errorMessage }))
    : request.topicNames.map((name) => ({ name, topicId: ZERO_UUID, errorCode, errorMessage }));
}

/** Names and ids as given, each split into those given once and those given more than once. */
class ProvidedSet<T> {
  readonly provided = new Set<T>();
  readonly duplicated = new Set<T>();

  add(value: T): void {
    if (this.duplicated.has(value) || this.provided.has(value)) {
      this.duplicated.add(value);
      this.provided.delete(value);
    } else {
      this.provided.add(value);
    }
  }
}

function collectProvided(
  request: DeleteTopicsRequest,
  version: number,
  fail: (name: string | null, topicId: Uuid, errorCode: number, errorMessage: string) => void,
): { names: ProvidedSet<string>; ids: ProvidedSet<Uuid> } {
  const names = new ProvidedSet<string>();
  const ids = new ProvidedSet<Uuid>();
  if (version < 6) for (const name of request.topicNames) names.add(name);
  for (const t of version >= 6 ? request.topics : []) {
    if (t.name === null && t.topicId === ZERO_UUID)
      fail(null, ZERO_UUID, ErrorCode.INVALID_REQUEST, "Neither topic name nor id were specified.");
    else if (t.name === null) ids.add(t.topicId);
    else if (t.topicId === ZERO_UUID) names.add(t.name);
    else
      fail(t.name, t.topicId, ErrorCode.INVALID_REQUEST, "You may not specify both topic name and topic id.");
  }
  for (const name of names.duplicated)
    fail(name, ZERO_UUID, ErrorCode.INVALID_REQUEST, "Duplicate topic name.");
  for (const id of ids.duplicated) fail(null, id, ErrorCode.INVALID_REQUEST, "Duplicate topic id.");
  return { names, ids };
}
