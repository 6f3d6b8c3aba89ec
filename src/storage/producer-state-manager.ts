import { assert, type Clock } from "../base/index.js";
import {
  BATCH_OFFSET_PRODUCER_ID,
  batchIsControl,
  batchSizeBytes,
  ControlRecordType,
  decodeEndTxnMarker,
  iterateRecords,
} from "../protocol/index.js";
import type { AppendOrigin } from "./append-validation.js";
import type { Log, LogAppendHook, ProducerLastRecord } from "./log.js";
import { type ProducerBatch, ProducerState, producerBatchAt } from "./producer-state.js";
import type { ProducerStateEntry } from "./producer-state-entry.js";
import {
  deleteProducerSnapshot,
  listProducerSnapshots,
  readProducerSnapshot,
  writeProducerSnapshot,
} from "./producer-state-snapshot.js";
import { StorageError } from "./storage-error.js";
import { type AbortedTxn, TransactionIndex } from "./transaction-index.js";

export interface ProducerStateOptions {
  /** producer.id.expiration.ms: a producer that has not written for this long is forgotten. */
  producerIdExpirationMs: number;
  clock: Clock;
  /** Producers one partition remembers at most (default PRODUCERS_PER_PARTITION_MAX). */
  producersMax?: number;
  /** Failures of snapshot I/O, which cost a longer rebuild later but never an append. */
  onError?: (error: unknown, context: string) => void;
}

/** Default bound on the producer table of one partition (about 1 KB per producer). */
export const PRODUCERS_PER_PARTITION_MAX = 100_000;
/** Bytes read per step when rebuilding the state from the log. */
const REPLAY_READ_BYTES = 1024 * 1024;
/** Read steps of one rebuild at most (each advances at least one batch). */
const REPLAY_READS_MAX = 100_000_000;

/**
 * The producer state of one partition, attached to its log as the log's append hook (Kafka's
 * ProducerStateManager with its UnifiedLog wiring): it validates every append before offsets are
 * assigned, records every written batch, and keeps snapshots in the partition directory.
 *
 * mapEndOffset: the state reflects exactly the batches below it; it follows the log end after
 * every append. Snapshots (`<offset>.snapshot`, see producer-state-snapshot.ts) are written when a
 * segment rolls (at the new segment's base offset, which is the log end) and at clean shutdown
 * (`takeSnapshot`), only when the state moved since the last one.
 *
 * Loading (`attach`): snapshots above the log end are deleted (their data did not survive), as are
 * stray ones (neither a segment base nor the newest); the newest snapshot that passes its checks is
 * loaded (a corrupt one is deleted and the next older tried), then the batches from it (or from the
 * log start when there is none) to the log end are replayed, then expired producers dropped. So a
 * crash costs at most the replay of what was written since the last roll.
 *
 * Truncation (a follower's) deletes snapshots above the new end and rebuilds from the newest one
 * left; a log emptied entirely forgets every producer. A log start offset that advances deletes
 * the snapshots below it except the newest, and keeps the producers in memory (Kafka does the same:
 * producers leave by expiry, not by retention).
 */
export class ProducerStateManager implements LogAppendHook {
  readonly log: Log;
  private readonly state: ProducerState;
  private readonly options: ProducerStateOptions;
  private readonly abortedIndex: TransactionIndex;
  /** Offsets of the snapshot files on disk, ascending. */
  private snapshots: bigint[] = [];
  private mapEnd = 0n;
  /**
   * KIP-890's verification guards (Kafka's VerificationStateEntry): producer id -> the token of a
   * transactional produce being verified with the coordinator. A marker for the producer drops
   * it, so a produce verified before its transaction ended cannot start a new, hanging one.
   */
  private readonly verificationGuards = new Map<bigint, object>();

  private constructor(log: Log, options: ProducerStateOptions) {
    this.log = log;
    this.options = options;
    this.state = new ProducerState(log.name, options.producersMax ?? PRODUCERS_PER_PARTITION_MAX);
    this.abortedIndex = new TransactionIndex(log.dir);
  }

  /** Loads the partition's producer state (snapshot + replay) and installs it as the log's hook. */
  static attach(log: Log, options: ProducerStateOptions): ProducerStateManager {
    const manager = new ProducerStateManager(log, options);
    manager.load();
    log.setAppendHook(manager);
    return manager;
  }

  detach(): void {
    this.log.setAppendHook(null);
  }

  get mapEndOffset(): bigint {
    return this.mapEnd;
  }

  /** Offsets of the snapshot files, ascending. */
  get snapshotOffsets(): readonly bigint[] {
    return this.snapshots;
  }

  get producerCount(): number {
    return this.state.size;
  }

  entry(producerId: bigint): ProducerStateEntry | undefined {
    return this.state.get(producerId);
  }

  /** Every producer the partition remembers (DescribeProducers). */
  activeProducers(): ProducerStateEntry[] {
    return [...this.state.entries()];
  }

  // ---- the log's hook --------------------------------------------------------------------------

  validateBatch(records: Buffer, at: number, origin: AppendOrigin): void {
    if (at === 0) this.state.beginAppend();
    if (hasNoProducerId(records, at)) return;
    const batch = producerBatchAt(records, at);
    if (batch.isControl) {
      const marker = markerOf(records, at);
      if (marker !== null) this.state.validateMarker(batch, marker.coordinatorEpoch, origin);
      return;
    }
    this.state.validate(batch, origin);
  }

  /** Runs once the log end covers the batch (the log sets it before calling). */
  batchAppended(records: Buffer, at: number): void {
    if (!hasNoProducerId(records, at)) this.applyBatch(records, at, producerBatchAt(records, at), true);
    this.mapEnd = this.log.logEndOffset;
  }

  /** The last stable offset's bound from open transactions (see ProducerState.firstUnstableOffset). */
  firstUnstableOffset(highWatermark: bigint): bigint | null {
    return this.state.firstUnstableOffset(highWatermark);
  }

  /** The aborted transactions a read_committed read of [fetchOffset, upperBound) overlaps. */
  abortedTransactions(fetchOffset: bigint, upperBound: bigint): AbortedTxn[] {
    return this.abortedIndex.collect(fetchOffset, upperBound);
  }

  /** Producers with an open transaction on this partition: producer id -> its first offset. */
  ongoingTransactions(): ReadonlyMap<bigint, bigint> {
    return this.state.ongoingTransactions();
  }

  /**
   * Whether the producer has a transaction open here at this epoch: a transactional batch of it
   * then needs no verification with the coordinator (Kafka's hasOngoingTransaction).
   */
  hasOngoingTransaction(producerId: bigint, producerEpoch: number): boolean {
    const entry = this.state.get(producerId);
    return entry !== undefined && entry.currentTxnFirstOffset >= 0n && entry.producerEpoch === producerEpoch;
  }

  /** A transactional produce of the producer starts verifying; the token proves it at the append. */
  startVerification(producerId: bigint): object {
    const guard = {};
    this.verificationGuards.set(producerId, guard);
    return guard;
  }

  /** No marker (and no newer verification) for the producer since `guard` was handed out. */
  isVerified(producerId: bigint, guard: object): boolean {
    return this.verificationGuards.get(producerId) === guard;
  }

  /** The verified produce is done (appended or refused). */
  endVerification(producerId: bigint, guard: object): void {
    if (this.verificationGuards.get(producerId) === guard) this.verificationGuards.delete(producerId);
  }

  producerLastRecords(): ReadonlyMap<bigint, ProducerLastRecord> {
    const out = new Map<bigint, ProducerLastRecord>();
    for (const entry of this.state.entries())
      out.set(entry.producerId, { lastDataOffset: entry.lastDataOffset, producerEpoch: entry.producerEpoch });
    return out;
  }

  abortedTransactionsCleaned(from: bigint, to: bigint, kept: readonly AbortedTxn[]): void {
    this.abortedIndex.replaceRange(from, to, kept);
  }

  private applyBatch(records: Buffer, at: number, batch: ProducerBatch, live: boolean): void {
    if (!batch.isControl) {
      this.state.apply(batch);
      return;
    }
    const marker = markerOf(records, at);
    if (marker === null || batch.producerId < 0n) return;
    this.verificationGuards.delete(batch.producerId);
    const completed = this.state.applyMarker(
      batch,
      marker.coordinatorEpoch,
      marker.type === ControlRecordType.ABORT,
    );
    if (completed === null || !completed.isAborted) return;
    const txn: AbortedTxn = {
      producerId: completed.producerId,
      firstOffset: completed.firstOffset,
      lastOffset: completed.lastOffset,
      lastStableOffset: this.state.firstOngoingOffset(completed.lastOffset + 1n),
    };
    const base = live ? this.log.activeSegment.baseOffset : this.segmentBaseOf(completed.lastOffset);
    this.abortedIndex.add(txn, base);
  }

  private segmentBaseOf(offset: bigint): bigint {
    let base = this.log.logStartOffset;
    for (const segment of this.log.segmentList) if (segment.baseOffset <= offset) base = segment.baseOffset;
    return base;
  }

  segmentRolled(baseOffset: bigint): void {
    if (baseOffset !== this.mapEnd) {
      this.report(
        new Error(`state at ${this.mapEnd} but a segment rolled at ${baseOffset}`),
        "roll snapshot",
      );
      return;
    }
    this.guard("snapshot at roll", () => this.takeSnapshot(false));
  }

  truncated(logEndOffset: bigint): void {
    this.guard("reload after truncation", () => {
      for (const offset of this.snapshots.filter((s) => s > logEndOffset)) this.deleteSnapshot(offset);
      this.abortedIndex.truncate(logEndOffset, this.segmentBases());
      if (this.log.logStartOffset >= logEndOffset) {
        for (const offset of [...this.snapshots]) this.deleteSnapshot(offset);
        this.state.clear();
        this.mapEnd = logEndOffset;
        return;
      }
      if (logEndOffset === this.mapEnd) return;
      this.state.clear();
      this.loadLatestSnapshot(logEndOffset);
      this.replay(logEndOffset);
    });
  }

  logStartOffsetAdvanced(logStartOffset: bigint): void {
    this.guard("snapshot deletion", () => {
      const newest = this.snapshots[this.snapshots.length - 1];
      for (const offset of this.snapshots.filter((s) => s < logStartOffset && s !== newest))
        this.deleteSnapshot(offset);
      if (this.mapEnd < logStartOffset) this.mapEnd = logStartOffset;
      this.abortedIndex.dropBefore(logStartOffset);
    });
  }

  // ---- snapshots and expiry --------------------------------------------------------------------

  /**
   * Writes a snapshot at mapEndOffset unless the newest one is already there (or the log is empty);
   * `durable` fsyncs it (clean shutdown). Returns the offset written, or null.
   */
  takeSnapshot(durable = true): bigint | null {
    const newest = this.snapshots[this.snapshots.length - 1] ?? this.log.logStartOffset;
    if (this.mapEnd <= newest) return null;
    writeProducerSnapshot(this.log.dir, this.mapEnd, this.state.entries(), durable);
    this.snapshots.push(this.mapEnd);
    return this.mapEnd;
  }

  /** Forgets producers idle for producer.id.expiration.ms; returns how many went. */
  removeExpiredProducers(nowMs: number = this.options.clock.nowMs()): number {
    return this.state.removeExpired(nowMs, this.options.producerIdExpirationMs);
  }

  // ---- loading ---------------------------------------------------------------------------------

  private load(): void {
    const logEnd = this.log.logEndOffset;
    this.snapshots = listProducerSnapshots(this.log.dir);
    this.removeStraySnapshots(logEnd);
    this.abortedIndex.load(this.segmentBases(), logEnd);
    this.loadLatestSnapshot(logEnd);
    const replayed = this.replay(logEnd);
    this.removeExpiredProducers();
    if (replayed > 0) this.guard("snapshot after rebuild", () => this.takeSnapshot(false));
  }

  /** Keeps the newest snapshot at or below the log end and those at segment bases from the log start. */
  private removeStraySnapshots(logEnd: bigint): void {
    const bases = new Set(this.log.segmentList.map((s) => s.baseOffset));
    const kept = this.snapshots.filter((s) => s <= logEnd);
    const newest = kept[kept.length - 1];
    for (const offset of [...this.snapshots]) {
      const keep =
        offset === newest || (offset <= logEnd && offset >= this.log.logStartOffset && bases.has(offset));
      if (!keep) this.deleteSnapshot(offset);
    }
  }

  /** Loads the newest readable snapshot at or below `upTo`; mapEnd becomes its offset (or the log start). */
  private loadLatestSnapshot(upTo: bigint): void {
    for (let i = this.snapshots.length - 1; i >= 0; i--) {
      const offset = this.snapshots[i] as bigint;
      if (offset > upTo) continue;
      let entries: ProducerStateEntry[];
      try {
        entries = readProducerSnapshot(this.log.dir, offset);
      } catch (error) {
        if (!(error instanceof StorageError) && !isMissingFile(error)) throw error;
        this.report(error, "reading a snapshot (deleted; rebuilding from the log)");
        this.deleteSnapshot(offset);
        continue;
      }
      for (const entry of entries) this.state.load(entry);
      this.mapEnd = offset;
      return;
    }
    this.mapEnd = this.log.logStartOffset;
  }

  /** Applies the log's batches from mapEnd (at least the log start) up to `upTo`; returns offsets covered. */
  private replay(upTo: bigint): bigint {
    const from = laterOffset(this.mapEnd, this.log.logStartOffset);
    let offset = from;
    for (let reads = 0; offset < upTo; reads++) {
      assert(reads < REPLAY_READS_MAX, "producer state replay does not advance");
      const result = this.log.read({ fetchOffset: offset, maxBytes: REPLAY_READ_BYTES, maxOffset: upTo });
      if (result.records.length === 0) break;
      for (const buf of result.records) {
        for (let at = 0; at < buf.length; at += batchSizeBytes(buf, at)) {
          const batch = producerBatchAt(buf, at);
          if (batch.lastOffset >= from && batch.firstOffset < upTo && batch.producerId >= 0n)
            this.applyBatch(buf, at, batch, false);
        }
      }
      assert(result.nextOffset > offset, "a log read returned batches but did not advance");
      offset = result.nextOffset;
    }
    this.mapEnd = upTo;
    return upTo - from;
  }

  private segmentBases(): bigint[] {
    return this.log.segmentList.map((segment) => segment.baseOffset);
  }

  private deleteSnapshot(offset: bigint): void {
    this.snapshots = this.snapshots.filter((s) => s !== offset);
    deleteProducerSnapshot(this.log.dir, offset);
  }

  private guard(context: string, action: () => unknown): void {
    try {
      action();
    } catch (error) {
      this.report(error, context);
    }
  }

  private report(error: unknown, context: string): void {
    const onError =
      this.options.onError ?? ((e: unknown, c: string) => console.error(`brook producer state: ${c}:`, e));
    onError(error, `${context} of ${this.log.name}`);
  }
}

/** producerId < 0 (no producer), read from its high word without allocating a bigint per batch. */
const hasNoProducerId = (records: Buffer, at: number): boolean =>
  records.readInt32BE(at + BATCH_OFFSET_PRODUCER_ID) < 0;

/** The transaction marker of a control batch, or null for other control records. */
function markerOf(records: Buffer, at: number): { type: number; coordinatorEpoch: number } | null {
  if (!batchIsControl(records, at)) return null;
  for (const record of iterateRecords(records, at)) {
    const type = record.key === null || record.key.length < 4 ? -1 : record.key.readInt16BE(2);
    if (type !== ControlRecordType.ABORT && type !== ControlRecordType.COMMIT) return null;
    return decodeEndTxnMarker(record.key, record.value);
  }
  return null;
}

const laterOffset = (a: bigint, b: bigint): bigint => (a > b ? a : b);

function isMissingFile(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | null)?.code === "ENOENT";
}
