import { TRANSACTION_STATE_NAMES } from "../../coordinator/index.js";
import {
  AclOperation,
  ApiKey,
  type DescribeTransactionsRequest,
  type DescribeTransactionsResponseInput,
  type DescribeTransactionsResponseTransactionStateInput,
  ErrorCode,
  ResourceType,
} from "../../protocol/index.js";
import { defineHandler } from "../api-handler.js";
import type { AuthorizerAccess, TransactionAccess } from "../handler-context.js";

/**
 * DescribeTransactions 0 (KIP-664, kafka-transactions.sh describe): the state of each
 * transactional id this broker coordinates: producer, epoch, timeout, start time and partitions.
 * An id coordinated elsewhere gets NOT_COORDINATOR, an unknown one TRANSACTIONAL_ID_NOT_FOUND.
 */
export function describeTransactionsHandler(broker: TransactionAccess & AuthorizerAccess) {
  return defineHandler<DescribeTransactionsRequest, DescribeTransactionsResponseInput>({
    apiKey: ApiKey.DescribeTransactions,
    minVersion: 0,
    maxVersion: 0,
    async handle(request, context) {
      const authorizer = broker.authorizer;
      if (authorizer === null)
        return {
          throttleTimeMs: 0,
          transactionStates: request.transactionalIds.map((id) => describeOne(broker, id)),
        };
      // Kafka's: DESCRIBE on each id, and only the partitions of topics the client may DESCRIBE.
      return {
        throttleTimeMs: 0,
        transactionStates: request.transactionalIds.map((id) => {
          if (!authorizer.authorize(context, AclOperation.DESCRIBE, ResourceType.TRANSACTIONAL_ID, id))
            return failed(id, ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
          const state = describeOne(broker, id);
          return {
            ...state,
            topics: (state.topics ?? []).filter((t) =>
              authorizer.authorize(context, AclOperation.DESCRIBE, ResourceType.TOPIC, t.topic),
            ),
          };
        }),
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
