import {
  ApiKey,
  type CreatePartitionsRequest,
  type CreatePartitionsResponseInput,
} from "../../protocol/index.js";
import { defineHandler } from "../api-handler.js";
import type { Broker } from "../broker.js";

/** CreatePartitions: partitions can only be added; the new ones are placed like a new topic's. */
export function createPartitionsHandler(broker: Broker) {
  return defineHandler<CreatePartitionsRequest, CreatePartitionsResponseInput>({
    apiKey: ApiKey.CreatePartitions,
    minVersion: 0,
    maxVersion: 3,
    handle(request) {
      const { results, records } = broker.controller.createPartitions(
        broker.image,
        request.topics.map((t) => ({
          name: t.name,
          count: t.count,
          assignments: t.assignments?.map((a) => a.brokerIds) ?? null,
        })),
        request.validateOnly,
      );
      broker.commit(records);
      return { throttleTimeMs: 0, results };
    },
    errorResponse: (request, errorCode) => ({
      throttleTimeMs: 0,
      results: request.topics.map((t) => ({ name: t.name, errorCode, errorMessage: null })),
    }),
  });
}
