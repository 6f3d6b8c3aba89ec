import { TRANSACTION_VERSION_EPOCH_BUMP } from "../../coordinator/index.js";
import {
  AclOperation,
  ApiKey,
  type EndTxnRequest,
  type EndTxnResponseInput,
  ResourceType,
} from "../../protocol/index.js";
import { defineHandler } from "../api-handler.js";
import type { AuthorizerAccess, TransactionAccess } from "../handler-context.js";
import { producerFencedError } from "./txn-errors.js";

/** v5: transactions version 2 (KIP-890 part 2); the answer carries the producer's new id and epoch. */
const TV2_VERSION = 5;

/**
 * EndTxn 0-5: commits or aborts the producer's transaction. Answered once PrepareCommit or
 * PrepareAbort is durable, as Kafka does; the markers follow, and the producer's next
 * transaction waits (CONCURRENT_TRANSACTIONS) until they are written. v5 is a transactions
 * version 2 producer's: the coordinator bumps the epoch (a new producer id once they are used
 * up) and the answer tells the producer which to continue with.
 */
export function endTxnHandler(broker: TransactionAccess & AuthorizerAccess) {
  return defineHandler<EndTxnRequest, EndTxnResponseInput>({
    apiKey: ApiKey.EndTxn,
    minVersion: 0,
    maxVersion: 5,
    async handle(request, context) {
      broker.authorizer?.require(
        context,
        AclOperation.WRITE,
        ResourceType.TRANSACTIONAL_ID,
        request.transactionalId,
      );
      const answer = await broker.transactionCoordinator.endTransaction({
        transactionalId: request.transactionalId,
        producerId: request.producerId,
        producerEpoch: request.producerEpoch,
        committed: request.committed,
        clientTransactionVersion: context.apiVersion >= TV2_VERSION ? TRANSACTION_VERSION_EPOCH_BUMP : 0,
      });
      return {
        throttleTimeMs: 0,
        errorCode: producerFencedError(answer.errorCode, context.apiVersion, 2),
        producerId: answer.producerId,
        producerEpoch: answer.producerEpoch,
      };
    },
    errorResponse: (_request, errorCode) => ({ throttleTimeMs: 0, errorCode }),
  });
}
