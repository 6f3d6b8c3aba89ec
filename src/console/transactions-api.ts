import type { Broker } from "../broker/index.js";
import { TRANSACTION_STATE_NAMES, TransactionState } from "../coordinator/index.js";
import { ErrorCode } from "../protocol/index.js";
import { CoordinatorUnavailableError } from "./coordinator-unavailable.js";

export interface TransactionInfo {
  transactionalId: string;
  producerId: bigint;
  producerEpoch: number;
  /** Kafka's state name (Ongoing, PrepareCommit, CompleteAbort, ...), as kafka-transactions.sh prints it. */
  state: string;
  timeoutMs: number;
  /** When the open transaction started; null when none is open. */
  startTimestampMs: number | null;
  /** How long the open transaction has run; null when none is open. */
  durationMs: number | null;
  /** 2 for clients that use transactions version 2 (KIP-890). */
  transactionVersion: number;
  partitions: { topic: string; partitions: number[] }[];
}

/** A transaction is open from its first partition until its markers are written. */
const OPEN_STATES: ReadonlySet<TransactionState> = new Set([
  TransactionState.Ongoing,
  TransactionState.PrepareCommit,
  TransactionState.PrepareAbort,
  TransactionState.PrepareEpochFence,
]);

/**
 * `/api/transactions`: the transactional ids this broker coordinates (what ListTransactions and
 * DescribeTransactions answer here), open ones first, then by id. Dead ids are left out.
 */
export function transactionsList(broker: Broker, nowMs = broker.clock.nowMs()): TransactionInfo[] {
  const { errorCode, transactions } = broker.transactionCoordinator.transactions();
  if (errorCode !== ErrorCode.NONE) throw new CoordinatorUnavailableError("transaction", errorCode);
  const open = (t: TransactionInfo) => (t.startTimestampMs === null ? 1 : 0);
  return transactions
    .filter((t) => t.state !== TransactionState.Dead)
    .map((t) => {
      const started = OPEN_STATES.has(t.state) && t.startTimestampMs >= 0 ? t.startTimestampMs : null;
      return {
        transactionalId: t.transactionalId,
        producerId: t.producerId,
        producerEpoch: t.producerEpoch,
        state: TRANSACTION_STATE_NAMES[t.state],
        timeoutMs: t.transactionTimeoutMs,
        startTimestampMs: started,
        durationMs: started === null ? null : Math.max(0, nowMs - started),
        transactionVersion: t.clientTransactionVersion,
        partitions: [...t.partitions]
          .map(([topic, ids]) => ({ topic, partitions: [...ids].sort((a, b) => a - b) }))
          .sort((a, b) => a.topic.localeCompare(b.topic)),
      };
    })
    .sort((a, b) => open(a) - open(b) || a.transactionalId.localeCompare(b.transactionalId));
}
