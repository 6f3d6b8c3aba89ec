import { describeClientQuotas } from "../../metadata/index.js";
import {
  ApiKey,
  type DescribeClientQuotasRequest,
  type DescribeClientQuotasResponseInput,
  KafkaError,
} from "../../protocol/index.js";
import { defineHandler } from "../api-handler.js";
import type { MetadataView } from "../handler-context.js";

/**
 * DescribeClientQuotas (v0-1): the client quotas a filter selects, from this broker's metadata
 * image (every broker has them all, as a KRaft broker answers from its metadata cache). A bad
 * filter fails the whole request with Kafka's error and message, and no entries.
 */
export function describeClientQuotasHandler(broker: MetadataView) {
  return defineHandler<DescribeClientQuotasRequest, DescribeClientQuotasResponseInput>({
    apiKey: ApiKey.DescribeClientQuotas,
    minVersion: 0,
    maxVersion: 1,
    handle(request) {
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
