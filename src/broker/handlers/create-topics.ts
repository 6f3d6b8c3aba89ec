import { METADATA_TOPIC } from "../../metadata/index.js";
import {
  AclOperation,
  ApiKey,
  type CreateTopicsRequest,
  type CreateTopicsResponseInput,
  ErrorCode,
  ResourceType,
  ZERO_UUID,
} from "../../protocol/index.js";
import { defineHandler, type RequestContext } from "../api-handler.js";
import type { AuthorizerAccess, BrokerSettings, ControllerAccess, MetadataView } from "../handler-context.js";
import { describeTopicConfigs } from "../topic-config.js";

/**
 * CreateTopics: validated by the controller, committed to the metadata log before the answer, so
 * a client that gets NONE can produce at once. v5+ returns the new topic's configs; a topic that
 * failed has none, sent as an empty list: the spec allows null, but Kafka never sends it. With an
 * authorizer (checked on the controller, as the client): CREATE on the cluster or the topic, else
 * TOPIC_AUTHORIZATION_FAILED; configs only with DESCRIBE_CONFIGS on the topic.
 */
export function createTopicsHandler(
  broker: MetadataView & ControllerAccess & BrokerSettings & AuthorizerAccess,
) {
  return defineHandler<CreateTopicsRequest, CreateTopicsResponseInput>({
    apiKey: ApiKey.CreateTopics,
    minVersion: 2,
    maxVersion: 7,
    async handle(request, context) {
      if (broker.forwarder.shouldForward(context))
        return broker.forwarder.forward<CreateTopicsResponseInput>(context, request, request.timeoutMs);
      const access = topicAccess(broker, context, request.topics);
      const wanted = request.topics
        .filter((t) => !access.refused.has(t.name))
        .map((t) => ({
          name: t.name,
          numPartitions: t.numPartitions,
          replicationFactor: t.replicationFactor,
          assignments: t.assignments.map((a) => ({
            partitionIndex: a.partitionIndex,
            brokerIds: a.brokerIds,
          })),
          configs: t.configs.map((c) => ({ name: c.name, value: c.value })),
        }));
      const results = await broker.decide("create topics", (current) => {
        const decided = broker.controller.createTopics(
          current,
          wanted,
          broker.controllerDefaults(),
          request.validateOnly,
        );
        return { records: decided.records, result: decided.results };
      });
      const image = broker.image;
      return {
        throttleTimeMs: 0,
        topics: [
          ...results.map((r) => {
            const ok = r.errorCode === ErrorCode.NONE;
            // Created, but the client may not see its configs: Kafka leaves them out and says so.
            if (ok && !access.describable(r.name))
              return {
                name: r.name,
                topicId: r.topicId ?? ZERO_UUID,
                errorCode: r.errorCode,
                errorMessage: r.errorMessage,
                topicConfigErrorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED,
                numPartitions: -1,
                replicationFactor: -1,
                configs: [],
              };
            const overrides = new Map(
              (request.topics.find((t) => t.name === r.name)?.configs ?? []).flatMap((c) =>
                c.value === null ? [] : [[c.name, c.value] as const],
              ),
            );
            return {
              name: r.name,
              topicId: r.topicId ?? ZERO_UUID,
              errorCode: r.errorCode,
              errorMessage: r.errorMessage,
              numPartitions: r.numPartitions,
              replicationFactor: r.replicationFactor,
              configs:
                ok && context.apiVersion >= 5
                  ? describeTopicConfigs(
                      broker.config,
                      request.validateOnly ? overrides : image.topicConfig(r.name),
                      {
                        includeSynonyms: false,
                        includeDocumentation: false,
                        keys: null,
                        sourceRule: "createTopics",
                      },
                    ).map((c) => ({
                      name: c.name,
                      value: c.value,
                      readOnly: c.readOnly,
                      configSource: c.source,
                      isSensitive: c.isSensitive,
                    }))
                  : [],
            };
          }),
          ...[...access.refused].map((name) => ({
            name,
            errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED,
            errorMessage: "Authorization failed.",
            numPartitions: -1,
            replicationFactor: -1,
            configs: [],
          })),
        ],
      };
    },
    errorResponse: (request, errorCode) => ({
      throttleTimeMs: 0,
      topics: request.topics.map((t) => ({
        name: t.name,
        errorCode,
        numPartitions: -1,
        replicationFactor: -1,
        configs: [],
      })),
    }),
  });
}

/**
 * Kafka's controller's checks: CREATE on the cluster (a denial not logged) or on each topic (the
 * topics named once; duplicates fail on their own), and DESCRIBE_CONFIGS on the topics whose
 * configs the answer shows.
 */
function topicAccess(
  broker: AuthorizerAccess,
  context: RequestContext,
  topics: readonly { name: string }[],
): { refused: Set<string>; describable: (topic: string) => boolean } {
  const authorizer = broker.authorizer;
  if (authorizer === null) return { refused: new Set(), describable: () => true };
  const counts = new Map<string, number>();
  for (const t of topics) counts.set(t.name, (counts.get(t.name) ?? 0) + 1);
  const names = [...counts].filter(([name, n]) => n === 1 && name !== METADATA_TOPIC).map(([name]) => name);
  const creatable = authorizer.authorizeCluster(context, AclOperation.CREATE, false)
    ? new Set(names)
    : authorizer.filterAuthorized(context, AclOperation.CREATE, ResourceType.TOPIC, names);
  const describable = authorizer.filterAuthorized(
    context,
    AclOperation.DESCRIBE_CONFIGS,
    ResourceType.TOPIC,
    names,
    false,
  );
  return {
    refused: new Set(names.filter((n) => !creatable.has(n))),
    describable: (topic) => describable.has(topic),
  };
}
