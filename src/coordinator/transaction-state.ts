/**
 * The states of a transactional id, with the ids Kafka writes in `TransactionLogValue`'s
 * TransactionStatus (Kafka's TransactionState). PrepareEpochFence is never written: it lives in
 * memory between fencing an ongoing transaction's producer and writing its PrepareAbort.
 */
export const TransactionState = {
  Empty: 0,
  Ongoing: 1,
  PrepareCommit: 2,
  PrepareAbort: 3,
  CompleteCommit: 4,
  CompleteAbort: 5,
  Dead: 6,
  PrepareEpochFence: 7,
} as const;

export type TransactionState = (typeof TransactionState)[keyof typeof TransactionState];

const S = TransactionState;

/** Kafka's names (DescribeTransactions and ListTransactions answer these). */
export const TRANSACTION_STATE_NAMES: Readonly<Record<TransactionState, string>> = {
  [S.Empty]: "Empty",
  [S.Ongoing]: "Ongoing",
  [S.PrepareCommit]: "PrepareCommit",
  [S.PrepareAbort]: "PrepareAbort",
  [S.CompleteCommit]: "CompleteCommit",
  [S.CompleteAbort]: "CompleteAbort",
  [S.Dead]: "Dead",
  [S.PrepareEpochFence]: "PrepareEpochFence",
};

/** For each state, the states it may be entered from (Kafka's TransactionState.validPreviousStates). */
const VALID_PREVIOUS: Readonly<Record<TransactionState, readonly TransactionState[]>> = {
  [S.Empty]: [S.Empty, S.CompleteCommit, S.CompleteAbort],
  [S.Ongoing]: [S.Ongoing, S.Empty, S.CompleteCommit, S.CompleteAbort],
  [S.PrepareCommit]: [S.Ongoing],
  [S.PrepareAbort]: [S.Ongoing, S.PrepareEpochFence],
  [S.CompleteCommit]: [S.PrepareCommit],
  [S.CompleteAbort]: [S.PrepareAbort],
  [S.Dead]: [S.Empty, S.CompleteAbort, S.CompleteCommit],
  [S.PrepareEpochFence]: [S.Ongoing],
};

export function isValidTransition(from: TransactionState, to: TransactionState): boolean {
  return VALID_PREVIOUS[to].includes(from);
}

/** A state written to the log (every state but PrepareEpochFence; Dead is written as a tombstone). */
export function isTransactionState(status: number): status is TransactionState {
  return Number.isInteger(status) && status >= S.Empty && status <= S.Dead;
}

/** States in which a transactional id has no transaction in progress and may expire. */
export function isIdle(state: TransactionState): boolean {
  return state === S.Empty || state === S.CompleteCommit || state === S.CompleteAbort;
}
