import { topicNameProblem } from "../../metadata/index.js";
import {
  AclOperation,
  ApiKey,
  type DescribeConfigsRequest,
  type DescribeConfigsRequestDescribeConfigsResource,
  type DescribeConfigsResponseDescribeConfigsResultInput,
  type DescribeConfigsResponseInput,
  ErrorCode,
  errorCodeInfo,
  KafkaError,
} from "../../protocol/index.js";
import { defineHandler } from "../api-handler.js";
import { describeBrokerConfigs } from "../broker-config-describe.js";
import {
  ConfigResourceKind,
  checkResourceNodeId,
  configResourceKindName,
  configResourceRefusal,
} from "../config-resource.js";
import { ConfigSource, type DescribedConfig } from "../config-synonyms.js";
import type { AuthorizerAccess, BrokerSettings, MetadataView } from "../handler-context.js";
import { describeTopicConfigs } from "../topic-config.js";

interface DescribeOptions {
  includeSynonyms: boolean;
  includeDocumentation: boolean;
}

const KNOWN_KINDS: ReadonlySet<number> = new Set(Object.values(ConfigResourceKind));

/**
 * DescribeConfigs (v1-4; Kafka 4 dropped v0): topic configs with their sources and synonyms, this
 * broker's properties, and BROKER_LOGGER (Brook has no runtime-adjustable loggers, so a valid
 * request gets an empty list). Errors are per resource, as Kafka's ConfigHelper reports them; a
 * resource type Kafka does not know fails the whole request with INVALID_REQUEST. With an
 * authorizer each resource needs DESCRIBE_CONFIGS (on the cluster for brokers and loggers), else
 * its type's authorization error.
 */
export function describeConfigsHandler(broker: MetadataView & BrokerSettings & AuthorizerAccess) {
  return defineHandler<DescribeConfigsRequest, DescribeConfigsResponseInput>({
    apiKey: ApiKey.DescribeConfigs,
    minVersion: 1,
    maxVersion: 4,
    handle(request, context) {
      const unknown = request.resources.find((r) => !KNOWN_KINDS.has(r.resourceType));
      if (unknown !== undefined) {
        throw new KafkaError(
          ErrorCode.INVALID_REQUEST,
          `Unexpected resource type ${unknown.resourceType} for resource ${unknown.resourceName}`,
        );
      }
      const options = {
        includeSynonyms: request.includeSynonyms,
        includeDocumentation: request.includeDocumentation,
      };
      const authorizer = broker.authorizer;
      const refusal = (resource: DescribeConfigsRequestDescribeConfigsResource) =>
        authorizer === null
          ? null
          : configResourceRefusal(authorizer, context, resource, AclOperation.DESCRIBE_CONFIGS);
      // Kafka answers the resources the client may describe first, then the others.
      const refusals = request.resources.map(refusal);
      const allowed = request.resources.filter((_, i) => refusals[i] === null);
      const refused = request.resources.flatMap((r, i) => {
        const errorCode = refusals[i] ?? null;
        return errorCode === null
          ? []
          : [failed(r, errorCode, errorCodeInfo.get(errorCode)?.message ?? null)];
      });
      return {
        throttleTimeMs: 0,
        results: [
          ...allowed.map((resource) => {
            try {
              return {
                errorCode: ErrorCode.NONE,
                // Kafka leaves the message at its default, "" (never null) for a resource described.
                errorMessage: "",
                resourceType: resource.resourceType,
                resourceName: resource.resourceName,
                configs: describeResource(broker, resource, options).map(toWire),
              };
            } catch (error) {
              if (!(error instanceof KafkaError)) throw error;
              return failed(resource, error.errorCode, error.message);
            }
          }),
          ...refused,
        ],
      };
    },
    errorResponse: (request, errorCode) => ({
      throttleTimeMs: 0,
      results: request.resources.map((r) => failed(r, errorCode, null)),
    }),
  });
}

function failed(
  resource: DescribeConfigsRequestDescribeConfigsResource,
  errorCode: number,
  errorMessage: string | null,
): DescribeConfigsResponseDescribeConfigsResultInput {
  return {
    errorCode,
    errorMessage,
    resourceType: resource.resourceType,
    resourceName: resource.resourceName,
    configs: [],
  };
}

function describeResource(
  broker: MetadataView & BrokerSettings,
  resource: DescribeConfigsRequestDescribeConfigsResource,
  options: DescribeOptions,
): DescribedConfig[] {
  const name = resource.resourceName;
  const keys = resource.configurationKeys;
  switch (resource.resourceType) {
    case ConfigResourceKind.TOPIC: {
      const problem = topicNameProblem(name);
      if (problem !== null) throw new KafkaError(ErrorCode.INVALID_TOPIC_EXCEPTION, problem);
      if (broker.image.topic(name) === undefined) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
      return describeTopicConfigs(broker.config, broker.image.topicConfig(name), { ...options, keys });
    }
    case ConfigResourceKind.BROKER:
      // The empty name is the cluster-wide default: only dynamic defaults, and Brook has none.
      if (name === "") return [];
      checkResourceNodeId(name, broker.nodeId, "Broker", `${broker.nodeId} or empty string,`);
      return describeBrokerConfigs(broker.config, { ...options, keys });
    case ConfigResourceKind.BROKER_LOGGER:
      if (name === "") throw new KafkaError(ErrorCode.INVALID_REQUEST, "Broker id must not be empty");
      checkResourceNodeId(name, broker.nodeId, "Broker", String(broker.nodeId));
      return [];
    default:
      throw new KafkaError(
        ErrorCode.INVALID_REQUEST,
        `Unsupported resource type: ${configResourceKindName(resource.resourceType)} (Brook keeps no ${configResourceKindName(resource.resourceType)} configs)`,
      );
  }
}

function toWire(c: DescribedConfig) {
  return {
    name: c.name,
    value: c.value,
    readOnly: c.readOnly,
    isDefault: c.source === ConfigSource.DEFAULT_CONFIG,
    configSource: c.source,
    isSensitive: c.isSensitive,
    synonyms: c.synonyms,
    configType: c.configType,
    documentation: c.documentation,
  };
}
