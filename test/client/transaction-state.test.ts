import assert from "node:assert/strict";
import { test } from "node:test";
import {
  answerOutcome,
  type TransactionalRequest,
  type TransactionState,
  TransactionStateMachine,
} from "../../src/client/index.js";
import { ErrorCode, KafkaError } from "../../src/protocol/index.js";

/** The producer's transaction states and what each error answer means, checked against Kafka's tables. */

const STATES: TransactionState[] = [
  "UNINITIALIZED",
  "INITIALIZING",
  "READY",
  "IN_TRANSACTION",
  "COMMITTING_TRANSACTION",
  "ABORTING_TRANSACTION",
  "ABORTABLE_ERROR",
  "FATAL_ERROR",
];

/** Kafka's TransactionManager.State.isTransitionValid, written out as source -> allowed targets. */
const KAFKA_TRANSITIONS: Record<TransactionState, TransactionState[]> = {
  UNINITIALIZED: ["INITIALIZING", "FATAL_ERROR"],
  INITIALIZING: ["READY", "ABORTABLE_ERROR", "FATAL_ERROR"],
  READY: ["UNINITIALIZED", "IN_TRANSACTION", "FATAL_ERROR"],
  IN_TRANSACTION: ["COMMITTING_TRANSACTION", "ABORTING_TRANSACTION", "ABORTABLE_ERROR", "FATAL_ERROR"],
  COMMITTING_TRANSACTION: ["READY", "ABORTABLE_ERROR", "FATAL_ERROR"],
  ABORTING_TRANSACTION: ["INITIALIZING", "READY", "FATAL_ERROR"],
  ABORTABLE_ERROR: ["UNINITIALIZED", "ABORTING_TRANSACTION", "ABORTABLE_ERROR", "FATAL_ERROR"],
  FATAL_ERROR: ["FATAL_ERROR"],
};

/** A machine in `state`, reached by allowed transitions. */
function machineIn(state: TransactionState): TransactionStateMachine {
  const m = new TransactionStateMachine("tx");
  const error = new Error("boom");
  const path: Record<TransactionState, TransactionState[]> = {
    UNINITIALIZED: [],
    INITIALIZING: ["INITIALIZING"],
    READY: ["INITIALIZING", "READY"],
    IN_TRANSACTION: ["INITIALIZING", "READY", "IN_TRANSACTION"],
    COMMITTING_TRANSACTION: ["INITIALIZING", "READY", "IN_TRANSACTION", "COMMITTING_TRANSACTION"],
    ABORTING_TRANSACTION: ["INITIALIZING", "READY", "IN_TRANSACTION", "ABORTING_TRANSACTION"],
    ABORTABLE_ERROR: ["INITIALIZING", "READY", "IN_TRANSACTION", "ABORTABLE_ERROR"],
    FATAL_ERROR: ["FATAL_ERROR"],
  };
  for (const s of path[state]) m.transitionTo(s, s.endsWith("ERROR") ? error : undefined);
  return m;
}

test("every transition is allowed exactly where Kafka allows it, and refused with Kafka's message", () => {
  for (const from of STATES)
    for (const to of STATES) {
      const m = machineIn(from);
      const allowed = KAFKA_TRANSITIONS[from].includes(to);
      const error = to.endsWith("ERROR") ? new Error("x") : undefined;
      if (allowed) {
        m.transitionTo(to, error);
        assert.equal(m.state, to);
      } else {
        assert.throws(
          () => m.transitionTo(to, error),
          new RegExp(`TransactionalId tx: Invalid transition attempted from state ${from} to state ${to}$`),
          `${from} -> ${to}`,
        );
        assert.equal(m.state, from, "a refused transition changes nothing");
      }
    }
});

test("an error is abortable while a transaction is open and fatal otherwise; the error is kept", () => {
  const open = machineIn("IN_TRANSACTION");
  const cause = new KafkaError(ErrorCode.INVALID_RECORD, "bad record");
  open.fail(cause, false);
  assert.equal(open.state, "ABORTABLE_ERROR");
  assert.equal(open.lastError, cause);
  assert.throws(
    () => open.throwIfFailed("p"),
    /Cannot execute transactional method because we are in an error state: bad record/,
  );
  open.transitionTo("ABORTING_TRANSACTION");
  assert.equal(open.lastError, null, "an abort clears it");

  const fenced = machineIn("COMMITTING_TRANSACTION");
  fenced.fail(new KafkaError(ErrorCode.PRODUCER_FENCED), true);
  assert.equal(fenced.state, "FATAL_ERROR");
  assert.throws(
    () => fenced.throwIfFailed("P(1, 2)"),
    /Producer with transactionalId 'tx' and P\(1, 2\) has been fenced/,
  );
  fenced.fail(new Error("later"), false);
  assert.equal(fenced.state, "FATAL_ERROR", "fatal stays fatal");

  const ready = machineIn("READY");
  ready.fail(new Error("no transaction"), false);
  assert.equal(ready.state, "FATAL_ERROR", "outside a transaction there is nothing to abort");
});

test("answers to each transactional request, as Kafka's handlers read them", () => {
  const cases: [TransactionalRequest, number, string][] = [
    ["AddPartitionsToTxn", ErrorCode.NONE, "done"],
    ["AddPartitionsToTxn", ErrorCode.CONCURRENT_TRANSACTIONS, "retry"],
    ["AddPartitionsToTxn", ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, "retry"],
    ["AddPartitionsToTxn", ErrorCode.NOT_COORDINATOR, "findCoordinator"],
    ["AddPartitionsToTxn", ErrorCode.COORDINATOR_NOT_AVAILABLE, "findCoordinator"],
    ["AddPartitionsToTxn", ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, "retry"],
    ["AddPartitionsToTxn", ErrorCode.PRODUCER_FENCED, "fatal"],
    ["AddPartitionsToTxn", ErrorCode.INVALID_PRODUCER_EPOCH, "fatal"],
    ["AddPartitionsToTxn", ErrorCode.INVALID_TXN_STATE, "fatal"],
    ["AddPartitionsToTxn", ErrorCode.TOPIC_AUTHORIZATION_FAILED, "abortable"],
    ["AddPartitionsToTxn", ErrorCode.UNKNOWN_PRODUCER_ID, "abortable"],
    ["AddPartitionsToTxn", ErrorCode.TRANSACTION_ABORTABLE, "abortable"],
    ["EndTxn", ErrorCode.CONCURRENT_TRANSACTIONS, "retry"],
    ["EndTxn", ErrorCode.PRODUCER_FENCED, "fatal"],
    ["EndTxn", ErrorCode.INVALID_TXN_STATE, "fatal"],
    ["EndTxn", ErrorCode.UNKNOWN_SERVER_ERROR, "fatal"],
    ["AddOffsetsToTxn", ErrorCode.GROUP_AUTHORIZATION_FAILED, "abortable"],
    ["AddOffsetsToTxn", ErrorCode.UNKNOWN_SERVER_ERROR, "fatal"],
    ["TxnOffsetCommit", ErrorCode.REQUEST_TIMED_OUT, "findCoordinator"],
    ["TxnOffsetCommit", ErrorCode.ILLEGAL_GENERATION, "abortable"],
    ["TxnOffsetCommit", ErrorCode.UNKNOWN_MEMBER_ID, "abortable"],
    ["TxnOffsetCommit", ErrorCode.FENCED_INSTANCE_ID, "abortable"],
    ["TxnOffsetCommit", ErrorCode.PRODUCER_FENCED, "fatal"],
    ["InitProducerId", ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, "retry"],
    ["InitProducerId", ErrorCode.PRODUCER_FENCED, "fatal"],
    ["InitProducerId", ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, "fatal"],
  ];
  for (const [request, code, outcome] of cases)
    assert.equal(answerOutcome(request, code), outcome, `${request} ${code}`);
});
