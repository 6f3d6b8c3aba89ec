import {
  ApiKey,
  type CreateTopicsRequest,
  type CreateTopicsResponseInput,
  ErrorCode,
  ZERO_UUID,
} from "../../protocol/index.js";
import { defineHandler } from "../api-handler.js";
import type { BrokerSettings, ControllerAccess, MetadataView } from "../handler-context.js";
import { describeTopicConfigs } from "../topic-config.js";

/**
 * CreateTopics: validated by the controller, committed to the metadata log before the answer, so
 * a client that gets NONE can produce at once. v5+ returns the new topic's configs; a topic that
 * failed has none, sent as an empty list: the spec allows null, but Kafka never sends it.
 */
export function createTopicsHandler(broker: MetadataView & ControllerAccess & BrokerSettings) {
  return defineHandler<CreateTopicsRequest, CreateTopicsResponseInput>({
    apiKey: ApiKey.CreateTopics,
    minVersion: 2,
    maxVersion: 7,
    async handle(request, context) {
      if (broker.forwarder.shouldForward(context))
        return broker.forwarder.forward<CreateTopicsResponseInput>(context, request, request.timeoutMs);
      const wanted = request.topics.map((t) => ({
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
        topics: results.map((r) => {
          const ok = r.errorCode === ErrorCode.NONE;
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
