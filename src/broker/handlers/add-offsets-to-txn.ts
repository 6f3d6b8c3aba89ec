import {
  AclOperation,
  type AddOffsetsToTxnRequest,
  type AddOffsetsToTxnResponseInput,
  ApiKey,
  ErrorCode,
  ResourceType,
} from "../../protocol/index.js";
import { defineHandler } from "../api-handler.js";
import type { AuthorizerAccess, GroupAccess, TransactionAccess } from "../handler-context.js";
import { CONSUMER_OFFSETS_TOPIC } from "../offsets-topic-log.js";
import { producerFencedError } from "./txn-errors.js";

/**
 * AddOffsetsToTxn 0-4: adds the group's `__consumer_offsets` partition to the producer's
 * transaction, so that its TxnOffsetCommit is ended by the transaction's marker there.
 */
export function addOffsetsToTxnHandler(broker: GroupAccess & TransactionAccess & AuthorizerAccess) {
  return defineHandler<AddOffsetsToTxnRequest, AddOffsetsToTxnResponseInput>({
    apiKey: ApiKey.AddOffsetsToTxn,
    minVersion: 0,
    maxVersion: 4,
    async handle(request, context) {
      // Kafka's order: WRITE on the transactional id, then READ on the group.
      broker.authorizer?.require(
        context,
        AclOperation.WRITE,
        ResourceType.TRANSACTIONAL_ID,
        request.transactionalId,
      );
      broker.authorizer?.require(context, AclOperation.READ, ResourceType.GROUP, request.groupId);
      const created = await broker.ensureOffsetsTopic();
      if (created !== ErrorCode.NONE) return { throttleTimeMs: 0, errorCode: created };
      const answer = await broker.transactionCoordinator.addPartitions({
        transactionalId: request.transactionalId,
        producerId: request.producerId,
        producerEpoch: request.producerEpoch,
        partitions: [
          { topic: CONSUMER_OFFSETS_TOPIC, partition: broker.groupCoordinator.partitionFor(request.groupId) },
        ],
      });
      return { throttleTimeMs: 0, errorCode: producerFencedError(answer.errorCode, context.apiVersion, 2) };
    },
    errorResponse: (_request, errorCode) => ({ throttleTimeMs: 0, errorCode }),
  });
}
