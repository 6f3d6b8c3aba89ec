import { decideIsrChanges } from "../../metadata/index.js";
import {
  AclOperation,
  type AlterPartitionRequest,
  type AlterPartitionResponseInput,
  ApiKey,
  ErrorCode,
} from "../../protocol/index.js";
import { defineHandler } from "../api-handler.js";
import type { AuthorizerAccess, ControllerAccess, MetadataView } from "../handler-context.js";

/**
 * AlterPartition (KIP-497), from a partition leader to the active controller: ISR changes,
 * decided by the controller (decideAlterPartition) and committed to the metadata log before the
 * answer. Only the active controller answers; any other node says NOT_CONTROLLER and the leader
 * asks again. v0-1 name topics, v2+ use topic ids, v3 carries broker epochs per ISR member. An
 * inter-broker API, not advertised to clients; needs CLUSTER_ACTION on the cluster.
 */
export function alterPartitionHandler(broker: MetadataView & ControllerAccess & AuthorizerAccess) {
  return defineHandler<AlterPartitionRequest, AlterPartitionResponseInput>({
    apiKey: ApiKey.AlterPartition,
    minVersion: 0,
    maxVersion: 3,
    advertised: false,
    async handle(request, context) {
      broker.authorizer?.requireCluster(context, AclOperation.CLUSTER_ACTION);
      if (!broker.isActiveController) return failed(ErrorCode.NOT_CONTROLLER);
      const v = context.apiVersion;
      const changes = request.topics.flatMap((t) => {
        const topicId = v >= 2 ? t.topicId : broker.image.topic(t.topicName)?.id;
        if (topicId === undefined) return [];
        return t.partitions.map((p) => ({
          topicId,
          partitionIndex: p.partitionIndex,
          leaderEpoch: p.leaderEpoch,
          partitionEpoch: p.partitionEpoch,
          newIsr: v >= 3 ? p.newIsrWithEpochs.map((s) => s.brokerId) : p.newIsr,
        }));
      });
      const outcome = await broker.decide("alter partition", (image) => {
        const decided = decideIsrChanges(
          image,
          request.brokerId,
          request.brokerEpoch,
          changes,
          broker.partitionRules,
        );
        return { records: decided.records, result: decided };
      });
      if (outcome.errorCode !== ErrorCode.NONE) return failed(outcome.errorCode);
      const byTopic = new Map<string, typeof outcome.results>();
      for (const r of outcome.results) byTopic.set(r.topicId, [...(byTopic.get(r.topicId) ?? []), r]);
      return {
        throttleTimeMs: 0,
        errorCode: ErrorCode.NONE,
        topics: [...byTopic].map(([topicId, results]) => ({
          topicId,
          topicName: broker.image.topicsById.get(topicId)?.name ?? "",
          partitions: results.map((r) => ({
            partitionIndex: r.partitionIndex,
            errorCode: r.errorCode,
            leaderId: r.leaderId,
            leaderEpoch: r.leaderEpoch,
            isr: [...r.isr],
            leaderRecoveryState: 0,
            partitionEpoch: r.partitionEpoch,
          })),
        })),
      };
    },
    errorResponse: (_request, errorCode) => failed(errorCode),
  });
}

function failed(errorCode: number): AlterPartitionResponseInput {
  return { throttleTimeMs: 0, errorCode, topics: [] };
}
