import {
  AclOperation,
  ApiKey,
  type DeleteTopicsRequest,
  type DeleteTopicsResponseDeletableTopicResultInput,
  type DeleteTopicsResponseInput,
  ErrorCode,
  ResourceType,
  type Uuid,
  ZERO_UUID,
} from "../../protocol/index.js";
import { defineHandler, type RequestContext } from "../api-handler.js";
import type { AuthorizerAccess, BrokerSettings, ControllerAccess, MetadataView } from "../handler-context.js";

type Result = DeleteTopicsResponseDeletableTopicResultInput;

/**
 * DeleteTopics (v1-6; Kafka 4 dropped v0): by name, or (v6+) by name or topic id, with Kafka's
 * checks: a duplicated name or id, a topic given by both name and id, or by neither, is
 * INVALID_REQUEST; an unknown name UNKNOWN_TOPIC_OR_PARTITION, an unknown id UNKNOWN_TOPIC_ID.
 * With delete.topic.enable=false every topic gets TOPIC_DELETION_DISABLED (INVALID_REQUEST before
 * v3, which predates that code). The partition logs go when the committed image drops the topic.
 * With an authorizer (checked on the controller, as the client): DELETE on the cluster, or DESCRIBE
 * and DELETE on the topic; a topic the client may not describe is TOPIC_AUTHORIZATION_FAILED
 * whether it exists or not.
 */
export function deleteTopicsHandler(
  broker: MetadataView & ControllerAccess & BrokerSettings & AuthorizerAccess,
) {
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
      const access = topicAccess(broker, context, [...names.provided, ...idToName.values()]);
      const refuse = (name: string | null, id: Uuid) =>
        fail(name, id, ErrorCode.TOPIC_AUTHORIZATION_FAILED, "Topic authorization failed.");
      for (const [id, name] of idToName) {
        if (access.deletable(name)) continue;
        // A topic the client may not even describe: its name stays unsaid.
        refuse(access.describable(name) ? name : null, id);
        idToName.delete(id);
      }
      for (const name of names.provided) {
        const topic = image.topic(name);
        if (!access.describable(name)) {
          refuse(name, ZERO_UUID);
        } else if (topic === undefined) {
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
        } else if (!access.deletable(name)) {
          refuse(name, ZERO_UUID);
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

/**
 * Kafka's controller's checks: DELETE on the cluster (a denial not logged), or DESCRIBE and DELETE
 * on each topic.
 */
function topicAccess(
  broker: AuthorizerAccess,
  context: RequestContext,
  names: readonly string[],
): { describable: (name: string) => boolean; deletable: (name: string) => boolean } {
  const authorizer = broker.authorizer;
  if (authorizer === null || authorizer.authorizeCluster(context, AclOperation.DELETE, false))
    return { describable: () => true, deletable: () => true };
  const describable = authorizer.filterAuthorized(context, AclOperation.DESCRIBE, ResourceType.TOPIC, names);
  const deletable = authorizer.filterAuthorized(context, AclOperation.DELETE, ResourceType.TOPIC, names);
  return { describable: (n) => describable.has(n), deletable: (n) => deletable.has(n) };
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
