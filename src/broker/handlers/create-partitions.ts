import { EXCESSIVELY_LARGE_OPERATION } from "../../metadata/index.js";
import {
  AclOperation,
  ApiKey,
  type CreatePartitionsRequest,
  type CreatePartitionsRequestCreatePartitionsTopic,
  type CreatePartitionsResponseCreatePartitionsTopicResultInput,
  type CreatePartitionsResponseInput,
  ErrorCode,
  ResourceType,
} from "../../protocol/index.js";
import { defineHandler } from "../api-handler.js";
import type { AuthorizerAccess, ControllerAccess, MetadataView } from "../handler-context.js";

type Result = CreatePartitionsResponseCreatePartitionsTopicResultInput;

/**
 * CreatePartitions (v0-3): partitions can only be added; the new ones are placed like a new
 * topic's, or where the assignments say. A topic named twice is INVALID_REQUEST (as Kafka's
 * ControllerApis answers it), and one request may add at most the broker's per-request partition
 * limit (POLICY_VIOLATION beyond it, the same limit CreateTopics applies).
 */
export function createPartitionsHandler(broker: MetadataView & ControllerAccess & AuthorizerAccess) {
  return defineHandler<CreatePartitionsRequest, CreatePartitionsResponseInput>({
    apiKey: ApiKey.CreatePartitions,
    minVersion: 0,
    maxVersion: 3,
    async handle(request, context) {
      if (broker.forwarder.shouldForward(context))
        return broker.forwarder.forward<CreatePartitionsResponseInput>(context, request, request.timeoutMs);
      const seen = new Set<string>();
      const duplicated = new Set<string>();
      for (const t of request.topics) (seen.has(t.name) ? duplicated : seen).add(t.name);
      const results: Result[] = [...duplicated].map((name) => ({
        name,
        errorCode: ErrorCode.INVALID_REQUEST,
        errorMessage: "Duplicate topic name.",
      }));
      // Kafka's: ALTER on each topic, else TOPIC_AUTHORIZATION_FAILED (whether it exists or not).
      const unique = request.topics.filter((t) => !duplicated.has(t.name));
      const names = unique.map((t) => t.name);
      const allowed =
        broker.authorizer?.filterAuthorized(context, AclOperation.ALTER, ResourceType.TOPIC, names) ??
        new Set(names);
      for (const t of unique) {
        if (!allowed.has(t.name))
          results.push({ name: t.name, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, errorMessage: null });
      }
      const { accepted, refused } = withinPartitionBudget(
        broker,
        unique.filter((t) => allowed.has(t.name)),
      );
      results.push(...refused);
      const wanted = accepted.map((t) => ({
        name: t.name,
        count: t.count,
        assignments: t.assignments?.map((a) => a.brokerIds) ?? null,
      }));
      const outcome = await broker.decide("create partitions", (image) => {
        const decided = broker.controller.createPartitions(image, wanted, request.validateOnly);
        return { records: decided.records, result: decided.results };
      });
      results.push(...outcome);
      return { throttleTimeMs: 0, results };
    },
    errorResponse: (request, errorCode) => ({
      throttleTimeMs: 0,
      results: request.topics.map((t) => ({ name: t.name, errorCode, errorMessage: null })),
    }),
  });
}

/** Splits the topics into those whose new partitions fit the per-request limit and those refused. */
function withinPartitionBudget(
  broker: MetadataView & ControllerAccess,
  topics: readonly CreatePartitionsRequestCreatePartitionsTopic[],
): { accepted: CreatePartitionsRequestCreatePartitionsTopic[]; refused: Result[] } {
  let budget = broker.controllerDefaults().partitionsPerRequestMax;
  const accepted: CreatePartitionsRequestCreatePartitionsTopic[] = [];
  const refused: Result[] = [];
  for (const t of topics) {
    const current = broker.image.topic(t.name)?.partitions.length;
    const added = current === undefined ? 0 : Math.max(t.count - current, 0);
    if (added > budget) {
      refused.push({
        name: t.name,
        errorCode: ErrorCode.POLICY_VIOLATION,
        errorMessage: EXCESSIVELY_LARGE_OPERATION,
      });
      continue;
    }
    budget -= added;
    accepted.push(t);
  }
  return { accepted, refused };
}
