import { describeClientQuotas } from "../../metadata/index.js";
import {
  AclOperation,
  ApiKey,
  CLUSTER_NAME,
  type DescribeClientQuotasRequest,
  type DescribeClientQuotasResponseInput,
  KafkaError,
  ResourceType,
} from "../../protocol/index.js";
import { defineHandler } from "../api-handler.js";
import type { AuthorizerAccess, MetadataView } from "../handler-context.js";

/**
 * DescribeClientQuotas (v0-1): the client quotas a filter selects, from this broker's metadata
 * image (every broker has them all, as a KRaft broker answers from its metadata cache). A bad
 * filter fails the whole request with Kafka's error and message, and no entries.
 */
export function describeClientQuotasHandler(broker: MetadataView & AuthorizerAccess) {
  return defineHandler<DescribeClientQuotasRequest, DescribeClientQuotasResponseInput>({
    apiKey: ApiKey.DescribeClientQuotas,
    minVersion: 0,
    maxVersion: 1,
    handle(request, context) {
      broker.authorizer?.require(context, AclOperation.DESCRIBE_CONFIGS, ResourceType.CLUSTER, CLUSTER_NAME);
      try {
        const entries = describeClientQuotas(broker.image.clientQuotas, request.components, request.strict);
        return {
          throttleTimeMs: 0,
          errorCode: 0,
          errorMessage: null,
          entries: entries.map((e) => ({
            entity: [...e.entity].map(([entityType, entityName]) => ({ entityType, entityName })),
            values: [...e.values].map(([key, value]) => ({ key, value })),
          })),
        };
      } catch (error) {
        if (!(error instanceof KafkaError)) throw error;
        return { throttleTimeMs: 0, errorCode: error.errorCode, errorMessage: error.message, entries: null };
      }
    },
    errorResponse: (_request, errorCode) => ({
      throttleTimeMs: 0,
      errorCode,
      errorMessage: null,
      entries: null,
    }),
  });
}
