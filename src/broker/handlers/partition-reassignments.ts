import { alterReassignments, ongoingReassignments, RecordBuilder } from "../../metadata/index.js";
import {
  AclOperation,
  type AlterPartitionReassignmentsRequest,
  type AlterPartitionReassignmentsResponseInput,
  ApiKey,
  ErrorCode,
  type ListPartitionReassignmentsRequest,
  type ListPartitionReassignmentsResponseInput,
} from "../../protocol/index.js";
import { defineHandler } from "../api-handler.js";
import type { AuthorizerAccess, ControllerAccess, MetadataView } from "../handler-context.js";

/**
 * AlterPartitionReassignments 0 (KIP-455; `kafka-reassign-partitions.sh --execute`): moves
 * partitions' replicas, decided by the active controller (alterReassignments) and answered once the
 * reassignment is recorded; it completes on its own when the joining replicas are in sync.
 */
export function alterPartitionReassignmentsHandler(
  broker: MetadataView & ControllerAccess & AuthorizerAccess,
) {
  return defineHandler<AlterPartitionReassignmentsRequest, AlterPartitionReassignmentsResponseInput>({
    apiKey: ApiKey.AlterPartitionReassignments,
    minVersion: 0,
    maxVersion: 0,
    async handle(request, context) {
      if (broker.forwarder.shouldForward(context))
        return broker.forwarder.forward<AlterPartitionReassignmentsResponseInput>(
          context,
          request,
          request.timeoutMs,
        );
      broker.authorizer?.requireCluster(context, AclOperation.ALTER);
      const wanted = request.topics.flatMap((t) =>
        t.partitions.map((p) => ({ topic: t.name, partition: p.partitionIndex, replicas: p.replicas })),
      );
      const results = await broker.decide("alter partition reassignments", (image) => {
        const builder = new RecordBuilder(image);
        const result = alterReassignments(builder, wanted, broker.partitionRules);
        return { records: [...builder.records], result };
      });
      return {
        throttleTimeMs: 0,
        errorCode: ErrorCode.NONE,
        errorMessage: null,
        responses: request.topics.map((t) => ({
          name: t.name,
          partitions: results
            .filter((r) => r.topic === t.name)
            .map((r) => ({
              partitionIndex: r.partition,
              errorCode: r.errorCode,
              errorMessage: r.errorMessage,
            })),
        })),
      };
    },
    errorResponse: (request, errorCode, _context, errorMessage) => ({
      throttleTimeMs: 0,
      errorCode,
      errorMessage: errorMessage ?? null,
      responses: request.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => ({
          partitionIndex: p.partitionIndex,
          errorCode,
          errorMessage: errorMessage ?? null,
        })),
      })),
    }),
  });
}

/** ListPartitionReassignments 0 (`kafka-reassign-partitions.sh --list`): the reassignments in progress. */
export function listPartitionReassignmentsHandler(broker: MetadataView & AuthorizerAccess) {
  return defineHandler<ListPartitionReassignmentsRequest, ListPartitionReassignmentsResponseInput>({
    apiKey: ApiKey.ListPartitionReassignments,
    minVersion: 0,
    maxVersion: 0,
    handle(request, context) {
      broker.authorizer?.requireCluster(context, AclOperation.DESCRIBE);
      const wanted = request.topics?.map((t) => ({ topic: t.name, partitions: t.partitionIndexes })) ?? null;
      const byTopic = new Map<
        string,
        { partitionIndex: number; replicas: number[]; addingReplicas: number[]; removingReplicas: number[] }[]
      >();
      for (const { topic, partition: p } of ongoingReassignments(broker.image, wanted)) {
        byTopic.set(topic, [
          ...(byTopic.get(topic) ?? []),
          {
            partitionIndex: p.partitionId,
            replicas: [...p.replicas],
            addingReplicas: [...p.addingReplicas],
            removingReplicas: [...p.removingReplicas],
          },
        ]);
      }
      return {
        throttleTimeMs: 0,
        errorCode: ErrorCode.NONE,
        errorMessage: null,
        topics: [...byTopic].map(([name, partitions]) => ({ name, partitions })),
      };
    },
    errorResponse: (_request, errorCode, _context, errorMessage) => ({
      throttleTimeMs: 0,
      errorCode,
      errorMessage: errorMessage ?? null,
      topics: [],
    }),
  });
}
