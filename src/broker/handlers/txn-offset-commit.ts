import {
  ApiKey,
  type TxnOffsetCommitRequest,
  type TxnOffsetCommitResponseInput,
} from "../../protocol/index.js";
import { defineHandler } from "../api-handler.js";
import type { GroupAccess } from "../handler-context.js";

/**
 * TxnOffsetCommit 0-4: offsets committed inside the producer's transaction. The group coordinator
 * writes them as the producer's transactional batch; OffsetFetch sees them only once the
 * transaction's COMMIT marker reaches the group's partition (with require_stable, partitions
 * waiting for one answer UNSTABLE_OFFSET_COMMIT). An older producer epoch is refused by the
 * partition's producer state (INVALID_PRODUCER_EPOCH).
 */
export function txnOffsetCommitHandler(broker: GroupAccess) {
  return defineHandler<TxnOffsetCommitRequest, TxnOffsetCommitResponseInput>({
    apiKey: ApiKey.TxnOffsetCommit,
    minVersion: 0,
    maxVersion: 4,
    async handle(request) {
      const answer = await broker.groupCoordinator.commitTransactionalOffsets({
        transactionalId: request.transactionalId,
        groupId: request.groupId,
        producerId: request.producerId,
        producerEpoch: request.producerEpoch,
        generationId: request.generationId,
        memberId: request.memberId,
        groupInstanceId: request.groupInstanceId,
        topics: request.topics.map((t) => ({
          name: t.name,
          partitions: t.partitions.map((p) => ({
            partitionIndex: p.partitionIndex,
            committedOffset: p.committedOffset,
            committedLeaderEpoch: p.committedLeaderEpoch,
            committedMetadata: p.committedMetadata,
          })),
        })),
      });
      return {
        throttleTimeMs: 0,
        topics: answer.topics.map((t) => ({
          name: t.name,
          partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: p.errorCode })),
        })),
      };
    },
    errorResponse: (request, errorCode) => ({
      throttleTimeMs: 0,
      topics: request.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode })),
      })),
    }),
  });
}
