import { ApiKey, type EndTxnRequest, type EndTxnResponseInput } from "../../protocol/index.js";
import { defineHandler } from "../api-handler.js";
import type { TransactionAccess } from "../handler-context.js";
import { producerFencedError } from "./txn-errors.js";

/**
 * EndTxn 0-4: commits or aborts the producer's transaction. Answered once PrepareCommit or
 * PrepareAbort is durable, as Kafka does; the markers follow, and the producer's next
 * transaction waits (CONCURRENT_TRANSACTIONS) until they are written. v5 (transactions version
 * 2, KIP-890) is not served: `transaction.version` is not advertised.
 */
export function endTxnHandler(broker: TransactionAccess) {
  return defineHandler<EndTxnRequest, EndTxnResponseInput>({
    apiKey: ApiKey.EndTxn,
    minVersion: 0,
    maxVersion: 4,
    async handle(request, context) {
      const answer = await broker.transactionCoordinator.endTransaction({
        transactionalId: request.transactionalId,
        producerId: request.producerId,
        producerEpoch: request.producerEpoch,
        committed: request.committed,
      });
      return { throttleTimeMs: 0, errorCode: producerFencedError(answer.errorCode, context.apiVersion, 2) };
    },
    errorResponse: (_request, errorCode) => ({ throttleTimeMs: 0, errorCode }),
  });
}
