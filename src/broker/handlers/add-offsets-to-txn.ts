import {
  type AddOffsetsToTxnRequest,
  type AddOffsetsToTxnResponseInput,
  ApiKey,
  ErrorCode,
} from "../../protocol/index.js";
import { defineHandler } from "../api-handler.js";
import type { GroupAccess, TransactionAccess } from "../handler-context.js";
import { CONSUMER_OFFSETS_TOPIC } from "../offsets-topic-log.js";
import { producerFencedError } from "./txn-errors.js";

/**
 * AddOffsetsToTxn 0-4: adds the group's `__consumer_offsets` partition to the producer's
 * transaction, so that its TxnOffsetCommit is ended by the transaction's marker there.
 */
export function addOffsetsToTxnHandler(broker: GroupAccess & TransactionAccess) {
  return defineHandler<AddOffsetsToTxnRequest, AddOffsetsToTxnResponseInput>({
    apiKey: ApiKey.AddOffsetsToTxn,
    minVersion: 0,
    maxVersion: 4,
    async handle(request, context) {
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
