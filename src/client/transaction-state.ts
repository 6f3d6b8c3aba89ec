import { ErrorCode, errorName, isRetriable, KafkaError } from "../protocol/index.js";
import { ClientError, ClientErrorCode } from "./client-error.js";

/*
 * A transactional producer's state, as Kafka's TransactionManager keeps it: which calls are
 * allowed when, what an error answer to each transactional request does to the transaction
 * (retry, find the coordinator again, abortable, fatal). No I/O here: the producer asks and acts.
 */

export type TransactionState =
  | "UNINITIALIZED"
  | "INITIALIZING"
  | "READY"
  | "IN_TRANSACTION"
  | "COMMITTING_TRANSACTION"
  | "ABORTING_TRANSACTION"
  | "ABORTABLE_ERROR"
  | "FATAL_ERROR";

/** Kafka's State.isTransitionValid: the states each state may be entered from. */
const ENTERED_FROM: Readonly<Record<TransactionState, readonly TransactionState[] | "any">> = {
  UNINITIALIZED: ["READY", "ABORTABLE_ERROR"],
  INITIALIZING: ["UNINITIALIZED", "ABORTING_TRANSACTION"],
  READY: ["INITIALIZING", "COMMITTING_TRANSACTION", "ABORTING_TRANSACTION"],
  IN_TRANSACTION: ["READY"],
  COMMITTING_TRANSACTION: ["IN_TRANSACTION"],
  ABORTING_TRANSACTION: ["IN_TRANSACTION", "ABORTABLE_ERROR"],
  ABORTABLE_ERROR: ["IN_TRANSACTION", "COMMITTING_TRANSACTION", "ABORTABLE_ERROR", "INITIALIZING"],
  FATAL_ERROR: "any",
};

/** The transactional requests, each with its own reading of error answers. */
export type TransactionalRequest =
  | "InitProducerId"
  | "AddPartitionsToTxn"
  | "AddOffsetsToTxn"
  | "TxnOffsetCommit"
  | "EndTxn";

/**
 * What an error answer means: the request is sent again (after a backoff), sent again to a
 * coordinator looked up anew, or it ends in an abortable error (the transaction must be aborted)
 * or a fatal one (the producer can only be closed).
 */
export type AnswerOutcome = "done" | "retry" | "findCoordinator" | "abortable" | "fatal";

const FENCED: ReadonlySet<number> = new Set([ErrorCode.INVALID_PRODUCER_EPOCH, ErrorCode.PRODUCER_FENCED]);

/** Kafka's handlers' reading of one error code (TransactionManager's *Handler.handleResponse). */
export function answerOutcome(request: TransactionalRequest, code: number): AnswerOutcome {
  if (code === ErrorCode.NONE) return "done";
  if (code === ErrorCode.COORDINATOR_NOT_AVAILABLE || code === ErrorCode.NOT_COORDINATOR)
    return "findCoordinator";
  if (request === "TxnOffsetCommit" && code === ErrorCode.REQUEST_TIMED_OUT) return "findCoordinator";
  if (code === ErrorCode.CONCURRENT_TRANSACTIONS || isRetriable(code)) return "retry";
  if (FENCED.has(code) || code === ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED) return "fatal";
  if (code === ErrorCode.INVALID_TXN_STATE && request !== "TxnOffsetCommit") return "fatal";
  if (code === ErrorCode.TRANSACTION_ABORTABLE) return "abortable";
  if (code === ErrorCode.UNKNOWN_PRODUCER_ID || code === ErrorCode.INVALID_PRODUCER_ID_MAPPING)
    return request === "InitProducerId" || request === "TxnOffsetCommit" ? "fatal" : "abortable";
  switch (request) {
    case "AddPartitionsToTxn":
      // Partition errors (an unknown or unauthorized topic, OPERATION_NOT_ATTEMPTED for the rest).
      return "abortable";
    case "AddOffsetsToTxn":
      return code === ErrorCode.GROUP_AUTHORIZATION_FAILED ? "abortable" : "fatal";
    case "TxnOffsetCommit":
      return code === ErrorCode.GROUP_AUTHORIZATION_FAILED ||
        code === ErrorCode.FENCED_INSTANCE_ID ||
        code === ErrorCode.UNKNOWN_MEMBER_ID ||
        code === ErrorCode.ILLEGAL_GENERATION
        ? "abortable"
        : "fatal";
    default:
      return "fatal";
  }
}

/** The error an answer turns into, with Kafka's messages for the cases a user meets. */
export function answerError(
  request: TransactionalRequest,
  code: number,
  transactionalId: string,
  message: string | null,
): KafkaError {
  if (FENCED.has(code))
    return new KafkaError(
      ErrorCode.PRODUCER_FENCED,
      `There is a newer producer with the same transactionalId '${transactionalId}' which fences the current one.`,
    );
  if (
    request === "TxnOffsetCommit" &&
    (code === ErrorCode.UNKNOWN_MEMBER_ID || code === ErrorCode.ILLEGAL_GENERATION)
  )
    return new KafkaError(
      code,
      `Transaction offset Commit failed due to consumer group metadata mismatch: ${message ?? errorName(code)}`,
    );
  if (request === "AddPartitionsToTxn" && message !== null)
    return new KafkaError(code, `Could not add partitions to transaction due to errors: ${message}`);
  return new KafkaError(code, message ?? `${request}: ${errorName(code)}`);
}

/**
 * The state and the last error of a transactional producer. Transitions Kafka forbids throw its
 * IllegalStateException (here a ClientError), with its message.
 */
export class TransactionStateMachine {
  private current: TransactionState = "UNINITIALIZED";
  private error: Error | null = null;
  private readonly transactionalId: string;

  constructor(transactionalId: string) {
    this.transactionalId = transactionalId;
  }

  get state(): TransactionState {
    return this.current;
  }

  get lastError(): Error | null {
    return this.error;
  }

  get hasError(): boolean {
    return this.current === "ABORTABLE_ERROR" || this.current === "FATAL_ERROR";
  }

  /** Whether records may be sent (and partitions added): a transaction is open and not failed. */
  get inTransaction(): boolean {
    return this.current === "IN_TRANSACTION" || this.current === "COMMITTING_TRANSACTION";
  }

  transitionTo(target: TransactionState, error?: Error): void {
    const from = ENTERED_FROM[target];
    if (from !== "any" && !from.includes(this.current))
      throw illegalState(
        `TransactionalId ${this.transactionalId}: Invalid transition attempted from state ${this.current} to state ${target}`,
      );
    if (target === "ABORTABLE_ERROR" || target === "FATAL_ERROR") {
      if (error === undefined) throw new Error(`Cannot transition to ${target} with a null exception`);
      this.error = error;
    } else {
      this.error = null;
    }
    this.current = target;
  }

  /** An error while a transaction is open: abortable (unless already fatal), or fatal. */
  fail(error: Error, fatal: boolean): void {
    if (this.current === "FATAL_ERROR") return;
    if (fatal || !ENTERED_FROM.ABORTABLE_ERROR.includes(this.current))
      this.transitionTo("FATAL_ERROR", error);
    else this.transitionTo("ABORTABLE_ERROR", error);
  }

  /** Kafka's maybeFailWithError: a call after an error gets that error. */
  throwIfFailed(producer: string): void {
    if (!this.hasError) return;
    const last = this.error as Error;
    if (last instanceof KafkaError && last.errorCode === ErrorCode.PRODUCER_FENCED)
      throw new KafkaError(
        ErrorCode.PRODUCER_FENCED,
        `Producer with transactionalId '${this.transactionalId}' and ${producer} has been fenced by another producer with the same transactionalId`,
      );
    throw new KafkaError(
      last instanceof KafkaError ? last.errorCode : ErrorCode.UNKNOWN_SERVER_ERROR,
      `Cannot execute transactional method because we are in an error state: ${last.message}`,
      { cause: last },
    );
  }

  /** Kafka's maybeAddPartition checks: a record is sent only inside an open transaction. */
  checkSend(hasProducerId: boolean, topic: string, partition: number | undefined): void {
    this.throwIfFailed("its producer id");
    const tp = partition === undefined ? topic : `${topic}-${partition}`;
    if (!hasProducerId)
      throw illegalState(
        `Cannot add partition ${tp} to transaction before completing a call to initTransactions`,
      );
    if (this.current !== "IN_TRANSACTION")
      throw illegalState(`Cannot add partition ${tp} to transaction while in state ${this.current}`);
  }
}

export function illegalState(message: string): ClientError {
  return new ClientError(ClientErrorCode.illegalState, message);
}
