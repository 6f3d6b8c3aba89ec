import { TRANSACTION_STATE_NAMES } from "../../coordinator/index.js";
import {
  ApiKey,
  type DescribeTransactionsRequest,
  type DescribeTransactionsResponseInput,
  type DescribeTransactionsResponseTransactionStateInput,
  ErrorCode,
} from "../../protocol/index.js";
import { defineHandler } from "../api-handler.js";
import type { TransactionAccess } from "../handler-context.js";

/**
 * DescribeTransactions 0 (KIP-664, kafka-transactions.sh describe): the state of each
 * transactional id this broker coordinates: producer, epoch, timeout, start time and partitions.
 * An id coordinated elsewhere gets NOT_COORDINATOR, an unknown one TRANSACTIONAL_ID_NOT_FOUND.
 */
export function describeTransactionsHandler(broker: TransactionAccess) {
  return defineHandler<DescribeTransactionsRequest, DescribeTransactionsResponseInput>({
    apiKey: ApiKey.DescribeTransactions,
    minVersion: 0,
    maxVersion: 0,
    async handle(request) {
      return {
        throttleTimeMs: 0,
        transactionStates: request.transactionalIds.map((id) => describeOne(broker, id)),
      };
    },
    errorResponse: (request, errorCode) => ({
      throttleTimeMs: 0,
      transactionStates: request.transactionalIds.map((id) => failed(id, errorCode)),
    }),
  });
}

function describeOne(
  broker: TransactionAccess,
  transactionalId: string,
): DescribeTransactionsResponseTransactionStateInput {
  const { errorCode, metadata } = broker.transactionCoordinator.transaction(transactionalId);
  if (errorCode !== ErrorCode.NONE) return failed(transactionalId, errorCode);
  if (metadata === undefined) return failed(transactionalId, ErrorCode.TRANSACTIONAL_ID_NOT_FOUND);
  return {
    errorCode: ErrorCode.NONE,
    transactionalId,
    transactionState: TRANSACTION_STATE_NAMES[metadata.state],
    transactionTimeoutMs: metadata.transactionTimeoutMs,
    transactionStartTimeMs: BigInt(metadata.startTimestampMs),
    producerId: metadata.producerId,
    producerEpoch: metadata.producerEpoch,
    topics: [...metadata.partitions].map(([topic, set]) => ({
      topic,
      partitions: [...set].sort((a, b) => a - b),
    })),
  };
}

function failed(
  transactionalId: string,
  errorCode: number,
): DescribeTransactionsResponseTransactionStateInput {
  return {
    errorCode,
    transactionalId,
    transactionState: "",
    transactionTimeoutMs: 0,
    transactionStartTimeMs: -1n,
    producerId: -1n,
    producerEpoch: -1,
    topics: [],
  };
}
