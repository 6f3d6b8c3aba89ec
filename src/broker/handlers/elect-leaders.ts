import { type ElectionResult, electLeaders } from "../../metadata/index.js";
import {
  AclOperation,
  ApiKey,
  type ElectLeadersRequest,
  type ElectLeadersResponseInput,
  ErrorCode,
} from "../../protocol/index.js";
import { defineHandler } from "../api-handler.js";
import type { AuthorizerAccess, ControllerAccess, MetadataView } from "../handler-context.js";

/**
 * ElectLeaders 0-2 (KIP-183, KIP-460; `kafka-leader-election.sh`): preferred or unclean leader
 * elections, decided by the active controller (forwarded there from any broker) and answered once
 * committed. v0 knows only preferred elections.
 */
export function electLeadersHandler(broker: MetadataView & ControllerAccess & AuthorizerAccess) {
  return defineHandler<ElectLeadersRequest, ElectLeadersResponseInput>({
    apiKey: ApiKey.ElectLeaders,
    minVersion: 0,
    maxVersion: 2,
    async handle(request, context) {
      if (broker.forwarder.shouldForward(context))
        return broker.forwarder.forward<ElectLeadersResponseInput>(context, request, request.timeoutMs);
      broker.authorizer?.requireCluster(context, AclOperation.ALTER);
      const electionType = context.apiVersion === 0 ? 0 : request.electionType;
      if (electionType !== 0 && electionType !== 1) {
        return { throttleTimeMs: 0, errorCode: ErrorCode.INVALID_REQUEST, replicaElectionResults: [] };
      }
      const wanted =
        request.topicPartitions === null
          ? null
          : request.topicPartitions.flatMap((t) =>
              t.partitions.map((partition) => ({ topic: t.topic, partition })),
            );
      const results = await broker.decide("elect leaders", (image) => {
        const decided = electLeaders(image, electionType, wanted, broker.partitionRules);
        return { records: decided.records, result: decided.results };
      });
      return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, replicaElectionResults: byTopic(results) };
    },
    errorResponse: (request, errorCode, _context, errorMessage) => ({
      throttleTimeMs: 0,
      errorCode,
      replicaElectionResults: (request.topicPartitions ?? []).map((t) => ({
        topic: t.topic,
        partitionResult: t.partitions.map((partitionId) => ({
          partitionId,
          errorCode,
          errorMessage: errorMessage ?? null,
        })),
      })),
    }),
  });
}

function byTopic(results: readonly ElectionResult[]) {
  const topics = new Map<string, { partitionId: number; errorCode: number; errorMessage: string | null }[]>();
  for (const r of results) {
    topics.set(r.topic, [
      ...(topics.get(r.topic) ?? []),
      { partitionId: r.partition, errorCode: r.errorCode, errorMessage: r.errorMessage },
    ]);
  }
  return [...topics].map(([topic, partitionResult]) => ({ topic, partitionResult }));
}
