import { TRANSACTION_STATE_NAMES, TransactionState } from "../../coordinator/index.js";
import {
  AclOperation,
  ApiKey,
  type ListTransactionsRequest,
  type ListTransactionsResponseInput,
  ResourceType,
} from "../../protocol/index.js";
import { defineHandler } from "../api-handler.js";
import type { AuthorizerAccess, BrokerSettings, TransactionAccess } from "../handler-context.js";

const KNOWN_STATES = new Set(Object.values(TRANSACTION_STATE_NAMES));

/**
 * ListTransactions 0-1 (KIP-664; v1 adds KIP-994's duration filter): the transactional ids this
 * broker coordinates, filtered by state names (names Kafka does not know are echoed back in
 * `unknownStateFilters`), producer ids and, from v1, transactions running longer than
 * `durationFilter` ms. Dead ids are never listed.
 */
export function listTransactionsHandler(
  broker: TransactionAccess & Pick<BrokerSettings, "clock"> & AuthorizerAccess,
) {
  return defineHandler<ListTransactionsRequest, ListTransactionsResponseInput>({
    apiKey: ApiKey.ListTransactions,
    minVersion: 0,
    maxVersion: 1,
    async handle(request, context) {
      const authorizer = broker.authorizer;
      const unknownStateFilters = request.stateFilters.filter((s) => !KNOWN_STATES.has(s));
      const { errorCode, transactions } = broker.transactionCoordinator.transactions();
      const states = new Set(request.stateFilters);
      const producers = new Set(request.producerIdFilters);
      const nowMs = broker.clock.nowMs();
      const duration = request.durationFilter;
      const listed = transactions.filter(
        (t) =>
          t.state !== TransactionState.Dead &&
          (states.size === 0 || states.has(TRANSACTION_STATE_NAMES[t.state])) &&
          (producers.size === 0 || producers.has(t.producerId)) &&
          (duration < 0n || BigInt(nowMs - t.startTimestampMs) > duration) &&
          // Kafka lists only the ids the client may DESCRIBE.
          (authorizer === null ||
            authorizer.authorize(
              context,
              AclOperation.DESCRIBE,
              ResourceType.TRANSACTIONAL_ID,
              t.transactionalId,
            )),
      );
      return {
        throttleTimeMs: 0,
        errorCode,
        unknownStateFilters,
        transactionStates: listed.map((t) => ({
          transactionalId: t.transactionalId,
          producerId: t.producerId,
          transactionState: TRANSACTION_STATE_NAMES[t.state],
        })),
      };
    },
    errorResponse: (_request, errorCode) => ({
      throttleTimeMs: 0,
      errorCode,
      unknownStateFilters: [],
      transactionStates: [],
    }),
  });
}
