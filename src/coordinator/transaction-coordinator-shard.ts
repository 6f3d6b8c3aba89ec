import { assert, type Clock, unreachable } from "../base/index.js";
import { ErrorCode } from "../protocol/index.js";
import { groupMetadataAppendError } from "./append-errors.js";
import { DeadlineQueue } from "./deadline-queue.js";
import type { TransactionCoordinatorConfig } from "./transaction-coordinator-config.js";
import {
  isEpochExhausted,
  NO_PRODUCER_EPOCH,
  NO_PRODUCER_ID,
  PRODUCER_EPOCH_MAX,
  type TopicPartitionRef,
  TransactionMetadata,
  type TransactionTransit,
  unionPartitions,
} from "./transaction-metadata.js";
import type { TransactionRecord } from "./transaction-record.js";
import { isIdle, TransactionState as S } from "./transaction-state.js";

/** A request's place in the shell: answered by exactly one `respond` effect. */
export type TransactionHandle = number;

export interface InitProducerIdTxnRequest {
  readonly transactionalId: string;
  readonly transactionTimeoutMs: number;
  /** v3+ (KIP-360): the id and epoch the producer has, or -1/-1. */
  readonly producerId: bigint;
  readonly producerEpoch: number;
}

export interface TxnPartitionsRequest {
  readonly transactionalId: string;
  readonly producerId: bigint;
  readonly producerEpoch: number;
  readonly partitions: readonly TopicPartitionRef[];
  /**
   * The client's transactions version (KIP-890): 2 when a partition leader adds the partition for
   * a TV2 producer (AddPartitionsToTxn v5 without verifyOnly); 0 for clients' own requests.
   */
  readonly clientTransactionVersion?: number;
}

export interface EndTxnRequest {
  readonly transactionalId: string;
  readonly producerId: bigint;
  readonly producerEpoch: number;
  readonly committed: boolean;
  /** 2 for EndTxn v5+ (KIP-890 part 2: the epoch is bumped at every commit or abort), else 0. */
  readonly clientTransactionVersion?: number;
}

/** The first transactions version that bumps the producer epoch at every EndTxn (Kafka's supportsEpochBump). */
export const TRANSACTION_VERSION_EPOCH_BUMP = 2;

export interface TransactionResponse {
  readonly errorCode: number;
  readonly producerId: bigint;
  readonly producerEpoch: number;
}

export type TransactionEffect =
  | { readonly kind: "append"; readonly appendId: number; readonly records: readonly TransactionRecord[] }
  | { readonly kind: "respond"; readonly handle: TransactionHandle; readonly response: TransactionResponse }
  | {
      /**
       * Write COMMIT or ABORT markers for the producer to every partition; the shell retries each
       * until written and then calls `onMarkersWritten`.
       */
      readonly kind: "writeMarkers";
      readonly transactionalId: string;
      readonly producerId: bigint;
      readonly producerEpoch: number;
      readonly committed: boolean;
      readonly partitions: readonly TopicPartitionRef[];
    };

/** What to do once an append completes. */
type Continuation =
  | { readonly kind: "respond"; readonly handle: TransactionHandle }
  | { readonly kind: "prepared"; readonly handle: TransactionHandle | null }
  | { readonly kind: "completed" }
  | { readonly kind: "removed" };

interface AppendInFlight {
  readonly transactionalId: string;
  readonly transit: TransactionTransit;
  readonly then: Continuation;
}

type TimerAction =
  | { readonly kind: "abortTimedOut" }
  | { readonly kind: "removeExpired" }
  | { readonly kind: "retryComplete"; readonly transactionalId: string };

/** Backoff before a failed CompleteCommit/CompleteAbort write is tried again. */
export const COMPLETE_RETRY_BACKOFF_MS = 100;
/** Timers fired by one `poll()`. */
const TIMERS_PER_POLL_MAX = 100_000;

export interface TransactionCoordinatorShardOptions {
  readonly config: TransactionCoordinatorConfig;
  readonly clock: Clock;
}

const ok = (producerId: bigint, producerEpoch: number): TransactionResponse => ({
  errorCode: ErrorCode.NONE,
  producerId,
  producerEpoch,
});
const failed = (errorCode: number): TransactionResponse => ({
  errorCode,
  producerId: NO_PRODUCER_ID,
  producerEpoch: NO_PRODUCER_EPOCH,
});

/**
 * The transaction coordinator of one `__transaction_state` partition, sans I/O (Kafka's
 * TransactionCoordinator and TransactionStateManager for one partition): requests and completions
 * go in as method calls, effects come out (appends of `TransactionLogValue` records, responses,
 * marker writes). A transition is applied to an id only when its record is durable
 * (`onAppendCompleted`); until then the id is pending and refuses others with
 * CONCURRENT_TRANSACTIONS.
 *
 * The transaction's life: InitProducerId (Empty, epoch bumped) → AddPartitionsToTxn /
 * AddOffsetsToTxn (Ongoing) → EndTxn (PrepareCommit/PrepareAbort written, the client answered,
 * markers written to every partition) → CompleteCommit/CompleteAbort. An InitProducerId or the
 * timeout checker that finds an Ongoing transaction fences its producer (PrepareEpochFence: epoch
 * bumped in memory) and aborts it.
 *
 * Time: wall time (`nowMs`) for the timestamps the log keeps and that timeouts compare against,
 * as Kafka; monotonic time for the shell's timers.
 */
export class TransactionCoordinatorShard {
  private readonly config: TransactionCoordinatorConfig;
  private readonly clock: Clock;
  private readonly txns = new Map<string, TransactionMetadata>();
  private readonly appendsInFlight = new Map<number, AppendInFlight>();
  private readonly timers = new DeadlineQueue<TimerAction>();
  private effects: TransactionEffect[] = [];
  private lastAppendId = 0;

  constructor(options: TransactionCoordinatorShardOptions) {
    this.config = options.config;
    this.clock = options.clock;
  }

  // ---- loading ----

  /** Applies one record of the partition, in log order. */
  replay(record: TransactionRecord): void {
    if (record.value === null) {
      this.txns.delete(record.transactionalId);
      return;
    }
    this.txns.set(record.transactionalId, new TransactionMetadata(record.transactionalId, record.value));
  }

  /** Loaded: resumes transactions that were being completed, starts the periodic checks. */
  onLoaded(): TransactionEffect[] {
    for (const txn of this.txns.values()) {
      if (txn.state === S.PrepareCommit || txn.state === S.PrepareAbort) this.emitMarkers(txn);
    }
    const now = this.clock.monotonicMs();
    this.timers.schedule("abortTimedOut", now + this.config.abortTimedOutTransactionsIntervalMs, {
      kind: "abortTimedOut",
    });
    this.timers.schedule("removeExpired", now + this.config.removeExpiredTransactionalIdsIntervalMs, {
      kind: "removeExpired",
    });
    return this.take();
  }

  // ---- requests ----

  /**
   * InitProducerId with a transactional id. `newProducerId` is a fresh id from the broker's
   * producer id manager, used only when the transactional id is new or its epochs are exhausted.
   */
  initProducerId(
    handle: TransactionHandle,
    request: InitProducerIdTxnRequest,
    newProducerId: bigint,
  ): TransactionEffect[] {
    const timeoutMs = request.transactionTimeoutMs;
    if (timeoutMs <= 0 || timeoutMs > this.config.transactionMaxTimeoutMs)
      return this.respond(handle, failed(ErrorCode.INVALID_TRANSACTION_TIMEOUT));
    const nowMs = this.clock.nowMs();
    let txn = this.txns.get(request.transactionalId);
    if (txn === undefined) {
      txn = new TransactionMetadata(request.transactionalId, {
        producerId: newProducerId,
        previousProducerId: NO_PRODUCER_ID,
        nextProducerId: NO_PRODUCER_ID,
        producerEpoch: NO_PRODUCER_EPOCH,
        transactionTimeoutMs: timeoutMs,
        state: S.Empty,
        partitions: [],
        lastUpdateTimestampMs: nowMs,
        startTimestampMs: -1,
        clientTransactionVersion: 0,
      });
      this.txns.set(request.transactionalId, txn);
    }
    const expected =
      request.producerId === NO_PRODUCER_ID && request.producerEpoch === NO_PRODUCER_EPOCH
        ? undefined
        : { producerId: request.producerId, producerEpoch: request.producerEpoch };
    if (txn.pending !== null) return this.respond(handle, failed(ErrorCode.CONCURRENT_TRANSACTIONS));
    if (expected !== undefined && !isValidProducerId(txn, expected))
      return this.respond(handle, failed(ErrorCode.PRODUCER_FENCED));
    switch (txn.state) {
      case S.PrepareAbort:
      case S.PrepareCommit:
        return this.respond(handle, failed(ErrorCode.CONCURRENT_TRANSACTIONS));
      case S.Empty:
      case S.CompleteAbort:
      case S.CompleteCommit: {
        const transit =
          isEpochExhausted(txn.producerEpoch) &&
          (expected === undefined || expected.producerEpoch === txn.producerEpoch)
            ? producerIdRotation(txn, newProducerId, timeoutMs, nowMs, expected !== undefined)
            : incrementEpoch(txn, timeoutMs, expected?.producerEpoch, nowMs);
        if (typeof transit === "number") return this.respond(handle, failed(transit));
        this.append(txn, txn.prepare(transit), { kind: "respond", handle });
        return this.take();
      }
      case S.Ongoing:
        // Fence the producer of the ongoing transaction and abort it; the client retries
        // (CONCURRENT_TRANSACTIONS) and gets a bumped epoch once the abort completes.
        this.fenceAndAbort(txn);
        return this.respond(handle, failed(ErrorCode.CONCURRENT_TRANSACTIONS));
      case S.Dead:
      case S.PrepareEpochFence:
        assert(false, () => `${txn.transactionalId} is ${txn.state} without a pending transition`);
        return this.take();
      default:
        return unreachable(txn.state);
    }
  }

  /** AddPartitionsToTxn (and AddOffsetsToTxn, for the group's `__consumer_offsets` partition). */
  addPartitions(handle: TransactionHandle, request: TxnPartitionsRequest): TransactionEffect[] {
    const txn = this.txns.get(request.transactionalId);
    // A transaction being completed answers CONCURRENT_TRANSACTIONS before the producer checks,
    // as Kafka since KAFKA-18660: a TV2 producer whose EndTxn rotated its id adds its next
    // partitions with the new id while the coordinator still completes under the old one.
    if (
      txn !== undefined &&
      (txn.pending !== null || txn.state === S.PrepareCommit || txn.state === S.PrepareAbort)
    )
      return this.respond(handle, failed(ErrorCode.CONCURRENT_TRANSACTIONS));
    const error = this.producerError(txn, request.producerId, request.producerEpoch);
    if (txn === undefined || error !== ErrorCode.NONE) return this.respond(handle, failed(error));
    if (txn.state === S.Ongoing && request.partitions.every((tp) => txn.includes(tp)))
      return this.respond(handle, ok(txn.producerId, txn.producerEpoch));
    const nowMs = this.clock.nowMs();
    const transit = txn.prepare({
      ...txn.base(),
      state: S.Ongoing,
      partitions: unionPartitions(txn.entry().partitions, request.partitions),
      startTimestampMs: txn.state === S.Ongoing ? txn.startTimestampMs : nowMs,
      lastUpdateTimestampMs: nowMs,
      clientTransactionVersion: request.clientTransactionVersion ?? 0,
    });
    this.append(txn, transit, { kind: "respond", handle });
    return this.take();
  }

  /**
   * AddPartitionsToTxn v4+ with verifyOnly (KIP-890 part 1): whether each partition is in the
   * producer's transaction, answered at once (nothing is written). A partition that is not gets
   * TRANSACTION_ABORTABLE (the leader turns it into INVALID_TXN_STATE for older producers); a
   * transaction being completed CONCURRENT_TRANSACTIONS. A pending transition is not waited for,
   * as in Kafka: partitions count once their add is durable, and the partition's own checks
   * (epoch, marker since the verification) catch what changes afterwards.
   */
  verifyPartitions(request: TxnPartitionsRequest): number[] {
    const txn = this.txns.get(request.transactionalId);
    const error = this.producerError(txn, request.producerId, request.producerEpoch);
    if (txn === undefined || error !== ErrorCode.NONE) return request.partitions.map(() => error);
    if (txn.state === S.PrepareCommit || txn.state === S.PrepareAbort)
      return request.partitions.map(() => ErrorCode.CONCURRENT_TRANSACTIONS);
    return request.partitions.map((tp) =>
      txn.includes(tp) ? ErrorCode.NONE : ErrorCode.TRANSACTION_ABORTABLE,
    );
  }

  /**
   * EndTxn: answered once PrepareCommit/PrepareAbort is durable; markers follow. With transactions
   * version 2 (EndTxn v5+) the epoch is bumped by the prepare record, so the markers carry an
   * epoch the producer's late writes do not have, and the answer gives the producer its new epoch
   * (or, once the epochs are used up, `newProducerId` at epoch 0, which the shell allocates when
   * `needsNewProducerId` says so). A TV2 retry names the epoch before the bump.
   */
  endTransaction(
    handle: TransactionHandle,
    request: EndTxnRequest,
    newProducerId?: bigint,
  ): TransactionEffect[] {
    const txn = this.txns.get(request.transactionalId);
    if (txn === undefined) return this.respond(handle, failed(ErrorCode.INVALID_PRODUCER_ID_MAPPING));
    const commit = request.committed;
    const epoch = request.producerEpoch;
    const v2 = txn.clientTransactionVersion >= TRANSACTION_VERSION_EPOCH_BUMP;
    // Kafka's retry conditions: the bump of this EndTxn is already in the state (retryOnEpochBump),
    // or it used up the epochs and rotated the producer id (retryOnOverflow).
    const retryOnEpochBump = v2 && txn.producerId === request.producerId && txn.producerEpoch === epoch + 1;
    const retryOnOverflow =
      v2 &&
      txn.previousProducerId === request.producerId &&
      epoch === PRODUCER_EPOCH_MAX - 1 &&
      txn.producerEpoch === 0;
    if (txn.producerId !== request.producerId && !retryOnOverflow)
      return this.respond(handle, failed(ErrorCode.INVALID_PRODUCER_ID_MAPPING));
    let validEpoch: boolean;
    if (!v2) validEpoch = epoch === txn.producerEpoch;
    else if (txn.state === S.PrepareCommit || txn.state === S.PrepareAbort) validEpoch = retryOnEpochBump;
    else if (txn.state === S.CompleteCommit || txn.state === S.CompleteAbort)
      validEpoch = retryOnEpochBump || retryOnOverflow;
    else validEpoch = epoch === txn.producerEpoch;
    if (!validEpoch) return this.respond(handle, failed(ErrorCode.PRODUCER_FENCED));
    if (txn.pending !== null) return this.respond(handle, failed(ErrorCode.CONCURRENT_TRANSACTIONS));
    const reply = (code: number) =>
      this.respond(handle, { ...failed(code), producerId: txn.producerId, producerEpoch: txn.producerEpoch });
    switch (txn.state) {
      case S.Ongoing: {
        const bump = (request.clientTransactionVersion ?? 0) >= TRANSACTION_VERSION_EPOCH_BUMP;
        let nextProducerId = NO_PRODUCER_ID;
        if (bump && isEpochExhausted(txn.producerEpoch)) {
          if (newProducerId === undefined)
            return this.respond(handle, failed(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS));
          nextProducerId = newProducerId;
        }
        this.prepareEnd(txn, commit, handle, bump ? { nextProducerId } : null);
        return this.take();
      }
      case S.CompleteCommit:
        return reply(commit ? ErrorCode.NONE : ErrorCode.INVALID_TXN_STATE);
      case S.CompleteAbort:
        return reply(commit ? ErrorCode.INVALID_TXN_STATE : ErrorCode.NONE);
      case S.PrepareCommit:
        return reply(commit ? ErrorCode.CONCURRENT_TRANSACTIONS : ErrorCode.INVALID_TXN_STATE);
      case S.PrepareAbort:
        return reply(commit ? ErrorCode.INVALID_TXN_STATE : ErrorCode.CONCURRENT_TRANSACTIONS);
      case S.Empty:
      case S.Dead:
      case S.PrepareEpochFence:
        return reply(ErrorCode.INVALID_TXN_STATE);
      default:
        return unreachable(txn.state);
    }
  }

  /** Whether an EndTxn of this request would rotate the producer id (the shell allocates one first). */
  needsNewProducerId(request: EndTxnRequest): boolean {
    const txn = this.txns.get(request.transactionalId);
    return (
      txn !== undefined &&
      (request.clientTransactionVersion ?? 0) >= TRANSACTION_VERSION_EPOCH_BUMP &&
      txn.state === S.Ongoing &&
      txn.producerId === request.producerId &&
      isEpochExhausted(txn.producerEpoch)
    );
  }

  // ---- completions ----

  onAppendCompleted(appendId: number, errorCode: number): TransactionEffect[] {
    const entry = this.appendsInFlight.get(appendId);
    assert(entry !== undefined, () => `append ${appendId} is not in flight`);
    this.appendsInFlight.delete(appendId);
    const txn = this.txns.get(entry.transactionalId);
    assert(
      txn !== undefined && txn.pending === entry.transit.state,
      () => `${entry.transactionalId} lost its pending transition`,
    );
    if (errorCode !== ErrorCode.NONE) {
      txn.pending = null;
      this.onAppendFailed(txn, entry.then, groupMetadataAppendError(errorCode));
      return this.take();
    }
    const then = entry.then;
    switch (then.kind) {
      case "respond":
        txn.complete(entry.transit);
        this.effects.push({
          kind: "respond",
          handle: then.handle,
          response: ok(txn.producerId, txn.producerEpoch),
        });
        break;
      case "prepared":
        txn.complete(entry.transit);
        // A TV2 producer whose epochs ran out continues with the next producer id at epoch 0.
        if (then.handle !== null)
          this.effects.push({
            kind: "respond",
            handle: then.handle,
            response:
              txn.nextProducerId !== NO_PRODUCER_ID
                ? ok(txn.nextProducerId, 0)
                : ok(txn.producerId, txn.producerEpoch),
          });
        this.emitMarkers(txn);
        break;
      case "completed":
        txn.complete(entry.transit);
        break;
      case "removed":
        this.txns.delete(txn.transactionalId);
        break;
      default:
        unreachable(then);
    }
    return this.take();
  }

  /** Every marker of the transaction is written: record its completion. */
  onMarkersWritten(transactionalId: string, producerId: bigint, producerEpoch: number): TransactionEffect[] {
    const txn = this.txns.get(transactionalId);
    if (txn === undefined || txn.producerId !== producerId || txn.producerEpoch !== producerEpoch) return [];
    if (txn.pending !== null || (txn.state !== S.PrepareCommit && txn.state !== S.PrepareAbort)) return [];
    this.writeComplete(txn);
    return this.take();
  }

  // ---- time ----

  nextDeadlineMs(): number | undefined {
    return this.timers.nextDeadlineMs();
  }

  poll(): TransactionEffect[] {
    const now = this.clock.monotonicMs();
    for (let i = 0; i < TIMERS_PER_POLL_MAX; i++) {
      const due = this.timers.popExpired(now);
      if (due === undefined) break;
      this.fire(due.action, now);
    }
    return this.take();
  }

  /** Unloading: every request waiting on an append is answered NOT_COORDINATOR. */
  onUnloaded(): TransactionEffect[] {
    for (const entry of this.appendsInFlight.values()) {
      const handle =
        entry.then.kind === "respond" || entry.then.kind === "prepared" ? entry.then.handle : null;
      if (handle !== null)
        this.effects.push({ kind: "respond", handle, response: failed(ErrorCode.NOT_COORDINATOR) });
    }
    this.appendsInFlight.clear();
    return this.take();
  }

  // ---- inspection ----

  transaction(transactionalId: string): TransactionMetadata | undefined {
    return this.txns.get(transactionalId);
  }

  transactions(): IterableIterator<TransactionMetadata> {
    return this.txns.values();
  }

  get appendsInFlightCount(): number {
    return this.appendsInFlight.size;
  }

  // ---- internals ----

  /** Kafka's producer checks shared by AddPartitions, AddOffsets, EndTxn and TxnOffsetCommit. */
  private producerError(
    txn: TransactionMetadata | undefined,
    producerId: bigint,
    producerEpoch: number,
  ): number {
    if (txn === undefined || txn.producerId !== producerId) return ErrorCode.INVALID_PRODUCER_ID_MAPPING;
    if (txn.producerEpoch !== producerEpoch) return ErrorCode.PRODUCER_FENCED;
    return ErrorCode.NONE;
  }

  /**
   * Writes PrepareCommit/PrepareAbort. `bump` (a TV2 client's EndTxn): the record carries the
   * bumped epoch, and the next producer id when the epochs are used up (Kafka's
   * prepareAbortOrCommit); the fence's abort never bumps twice (KAFKA-19367).
   */
  private prepareEnd(
    txn: TransactionMetadata,
    commit: boolean,
    handle: TransactionHandle | null,
    bump: { readonly nextProducerId: bigint } | null,
  ): void {
    if (bump !== null)
      assert(
        txn.producerEpoch < PRODUCER_EPOCH_MAX,
        () => `${txn.transactionalId}: epoch bump past the maximum`,
      );
    const transit = txn.prepare({
      ...txn.base(),
      state: commit ? S.PrepareCommit : S.PrepareAbort,
      lastUpdateTimestampMs: this.clock.nowMs(),
      ...(bump === null
        ? {}
        : {
            producerEpoch: txn.producerEpoch + 1,
            lastProducerEpoch: txn.producerEpoch,
            nextProducerId: bump.nextProducerId,
            clientTransactionVersion: TRANSACTION_VERSION_EPOCH_BUMP,
          }),
    });
    this.append(txn, transit, { kind: "prepared", handle });
  }

  /**
   * Kafka's prepareFenceProducerEpoch followed by an abort that is not from the client: the epoch
   * is bumped (in memory: PrepareEpochFence, never written) so the markers and the PrepareAbort
   * carry an epoch the old producer does not have.
   */
  private fenceAndAbort(txn: TransactionMetadata): void {
    // PrepareEpochFence → PrepareAbort in one step: the bump lives in memory only, and the
    // PrepareAbort that follows writes it.
    if (txn.producerEpoch < PRODUCER_EPOCH_MAX) {
      txn.producerEpoch += 1;
      txn.lastProducerEpoch = NO_PRODUCER_EPOCH;
    }
    this.prepareEnd(txn, false, null, null);
  }

  private writeComplete(txn: TransactionMetadata): void {
    // A TV2 transaction that used up the epochs hands over to its next producer id here, once its
    // markers (written with the old id) are all in (Kafka's prepareComplete).
    const rotate = txn.nextProducerId !== NO_PRODUCER_ID;
    const transit = txn.prepare({
      ...txn.base(),
      state: txn.state === S.PrepareCommit ? S.CompleteCommit : S.CompleteAbort,
      partitions: [],
      lastUpdateTimestampMs: this.clock.nowMs(),
      ...(rotate
        ? {
            producerId: txn.nextProducerId,
            previousProducerId: txn.producerId,
            nextProducerId: NO_PRODUCER_ID,
            producerEpoch: 0,
            lastProducerEpoch: txn.producerEpoch,
          }
        : {}),
    });
    this.append(txn, transit, { kind: "completed" });
  }

  private onAppendFailed(txn: TransactionMetadata, then: Continuation, errorCode: number): void {
    switch (then.kind) {
      case "respond":
        this.effects.push({ kind: "respond", handle: then.handle, response: failed(errorCode) });
        return;
      case "prepared":
        if (then.handle !== null)
          this.effects.push({ kind: "respond", handle: then.handle, response: failed(errorCode) });
        return;
      case "completed":
        this.timers.schedule(
          `retry:${txn.transactionalId}`,
          this.clock.monotonicMs() + COMPLETE_RETRY_BACKOFF_MS,
          {
            kind: "retryComplete",
            transactionalId: txn.transactionalId,
          },
        );
        return;
      case "removed":
        return;
      default:
        unreachable(then);
    }
  }

  private fire(action: TimerAction, now: number): void {
    switch (action.kind) {
      case "abortTimedOut":
        this.abortTimedOutTransactions();
        this.timers.schedule("abortTimedOut", now + this.config.abortTimedOutTransactionsIntervalMs, action);
        return;
      case "removeExpired":
        this.removeExpiredTransactionalIds();
        this.timers.schedule(
          "removeExpired",
          now + this.config.removeExpiredTransactionalIdsIntervalMs,
          action,
        );
        return;
      case "retryComplete": {
        const txn = this.txns.get(action.transactionalId);
        if (
          txn !== undefined &&
          txn.pending === null &&
          (txn.state === S.PrepareCommit || txn.state === S.PrepareAbort)
        )
          this.writeComplete(txn);
        return;
      }
      default:
        unreachable(action);
    }
  }

  /** Kafka's abortTimedOutTransactions: Ongoing for longer than its timeout -> fenced and aborted. */
  private abortTimedOutTransactions(): void {
    const nowMs = this.clock.nowMs();
    for (const txn of this.txns.values()) {
      if (
        txn.state === S.Ongoing &&
        txn.pending === null &&
        txn.startTimestampMs + txn.transactionTimeoutMs < nowMs
      )
        this.fenceAndAbort(txn);
    }
  }

  /** Kafka's removeExpiredTransactionalIds: ids idle for transactional.id.expiration.ms -> tombstone. */
  private removeExpiredTransactionalIds(): void {
    const nowMs = this.clock.nowMs();
    for (const txn of this.txns.values()) {
      if (
        isIdle(txn.state) &&
        txn.pending === null &&
        txn.lastUpdateTimestampMs <= nowMs - this.config.transactionalIdExpirationMs
      ) {
        const transit = txn.prepare({ ...txn.base(), state: S.Dead, lastUpdateTimestampMs: nowMs });
        this.appendRecord({ transactionalId: txn.transactionalId, value: null }, txn, transit, {
          kind: "removed",
        });
      }
    }
  }

  private emitMarkers(txn: TransactionMetadata): void {
    this.effects.push({
      kind: "writeMarkers",
      transactionalId: txn.transactionalId,
      producerId: txn.producerId,
      producerEpoch: txn.producerEpoch,
      committed: txn.state === S.PrepareCommit,
      partitions: txn.partitionList(),
    });
  }

  private append(txn: TransactionMetadata, transit: TransactionTransit, then: Continuation): void {
    const { lastProducerEpoch: _last, ...value } = transit;
    this.appendRecord({ transactionalId: txn.transactionalId, value }, txn, transit, then);
  }

  private appendRecord(
    record: TransactionRecord,
    txn: TransactionMetadata,
    transit: TransactionTransit,
    then: Continuation,
  ): void {
    const appendId = ++this.lastAppendId;
    this.appendsInFlight.set(appendId, { transactionalId: txn.transactionalId, transit, then });
    this.effects.push({ kind: "append", appendId, records: [record] });
  }

  private respond(handle: TransactionHandle, response: TransactionResponse): TransactionEffect[] {
    this.effects.push({ kind: "respond", handle, response });
    return this.take();
  }

  private take(): TransactionEffect[] {
    const out = this.effects;
    this.effects = [];
    return out;
  }
}

/** Kafka's isValidProducerId for an InitProducerId that names the producer's id and epoch. */
function isValidProducerId(
  txn: TransactionMetadata,
  expected: { producerId: bigint; producerEpoch: number },
): boolean {
  return (
    txn.producerEpoch === NO_PRODUCER_EPOCH ||
    expected.producerId === txn.producerId ||
    (expected.producerId === txn.previousProducerId && isEpochExhausted(expected.producerEpoch))
  );
}

/** Kafka's prepareIncrementProducerEpoch; a number is the error. */
function incrementEpoch(
  txn: TransactionMetadata,
  timeoutMs: number,
  expectedEpoch: number | undefined,
  nowMs: number,
): Omit<TransactionTransit, "clientTransactionVersion"> | number {
  const bumped = txn.producerEpoch + 1;
  let epoch: number;
  let lastEpoch: number;
  if (expectedEpoch === undefined) {
    epoch = bumped;
    lastEpoch = NO_PRODUCER_EPOCH;
  } else if (txn.producerEpoch === NO_PRODUCER_EPOCH || expectedEpoch === txn.producerEpoch) {
    epoch = bumped;
    lastEpoch = txn.producerEpoch;
  } else if (expectedEpoch === txn.lastProducerEpoch) {
    // A retry of a bump whose answer was lost: the current epoch again.
    epoch = txn.producerEpoch;
    lastEpoch = txn.lastProducerEpoch;
  } else {
    return ErrorCode.PRODUCER_FENCED;
  }
  return {
    ...txn.base(),
    state: S.Empty,
    producerEpoch: epoch,
    lastProducerEpoch: lastEpoch,
    transactionTimeoutMs: timeoutMs,
    partitions: [],
    startTimestampMs: -1,
    lastUpdateTimestampMs: nowMs,
  };
}

/** Kafka's prepareProducerIdRotation: a new producer id at epoch 0 once the epochs are used up. */
function producerIdRotation(
  txn: TransactionMetadata,
  newProducerId: bigint,
  timeoutMs: number,
  nowMs: number,
  recordLastEpoch: boolean,
): Omit<TransactionTransit, "clientTransactionVersion"> {
  return {
    ...txn.base(),
    state: S.Empty,
    producerId: newProducerId,
    previousProducerId: txn.producerId,
    producerEpoch: 0,
    lastProducerEpoch: recordLastEpoch ? txn.producerEpoch : NO_PRODUCER_EPOCH,
    transactionTimeoutMs: timeoutMs,
    partitions: [],
    startTimestampMs: -1,
    lastUpdateTimestampMs: nowMs,
  };
}
