import assert from "node:assert/strict";
import { type EpochEndOffset, LeaderEpochCache } from "../../src/storage/index.js";

/** A record batch as the simulation keeps it: its offsets, the leader epoch it was written in, whose it is. */
export interface SimBatch {
  /** Unique per leader append: followers hold the very batch object their leader wrote. */
  readonly id: number;
  readonly baseOffset: bigint;
  readonly lastOffset: bigint;
  readonly epoch: number;
  /** What the producer sent: the same id on every retry of one write. */
  readonly payloadId: string;
  readonly producerId: number;
  /** The idempotent producer's sequence number for this partition. */
  readonly sequence: number;
}

/** A producer's batch before the leader gives it offsets. */
export interface ProducedBatch {
  readonly payloadId: string;
  readonly producerId: number;
  readonly sequence: number;
  readonly recordCount: number;
}

/** Batches of one producer Kafka remembers for deduplication (ProducerStateEntry). */
const PRODUCER_BATCHES_KEPT = 5;

/**
 * Log prefixes, interned: two logs hold identical batches up to some point exactly when their
 * prefix ids there are equal, so the checker compares logs in constant time after every event.
 */
let prefixIds = new Map<string, number>();
let nextBatchId = 1;

/** Forgets every prefix and batch id (one run's worth). */
export function resetLogPrefixes(): void {
  prefixIds = new Map();
  nextBatchId = 1;
}

function prefixId(previous: number, batchId: number): number {
  const key = `${previous}:${batchId}`;
  let id = prefixIds.get(key);
  if (id === undefined) {
    id = prefixIds.size + 1;
    prefixIds.set(key, id);
  }
  return id;
}

/**
 * One replica's log, in memory, as `storage/Log` keeps it on disk: batches at increasing offsets,
 * the leader-epoch history (the real LeaderEpochCache, in memory: its checkpoint is written
 * through, so it survives any crash), the high watermark and its checkpoint, and how much of the
 * log is flushed. Appends are in the page cache at once: a process crash keeps them, a machine
 * crash keeps only what is flushed (then recovery truncates the epoch history to the log end, and
 * the high watermark comes back from its checkpoint, as `log-loader.ts` does).
 *
 * Idempotent producers' state is derived from the log itself (the last batches of each producer),
 * so a follower that becomes leader deduplicates retries of what it replicated, as Kafka's producer
 * state, rebuilt from the log, does.
 */
export class SimReplicaLog {
  private batchList: SimBatch[] = [];
  /** prefixes[i]: the interned id of batches[0..i]. */
  private prefixes: number[] = [];
  /** Where each payload is in this log: a payload is never in a log twice. */
  private readonly payloads = new Map<string, bigint>();
  /** How often the log was truncated (a checker's cached verdicts about it are void). */
  truncations = 0;
  logStartOffset = 0n;
  logEndOffset = 0n;
  highWatermark = 0n;
  /** Everything below is on disk; the rest is in the page cache (lost by a machine crash). */
  flushedEndOffset = 0n;
  /** replication-offset-checkpoint: where a restarted replica's high watermark starts. */
  highWatermarkCheckpoint = 0n;
  readonly epochCache: LeaderEpochCache;

  constructor(epochCache = new LeaderEpochCache(null)) {
    this.epochCache = epochCache;
  }

  get batches(): readonly SimBatch[] {
    return this.batchList;
  }

  get latestEpoch(): number {
    return this.epochCache.latestEpoch;
  }

  /** A leader's append: the next offsets, stamped with its epoch (Log.appendAsLeader). */
  appendAsLeader(produced: ProducedBatch, leaderEpoch: number): SimBatch {
    assert(produced.recordCount >= 1, "a batch holds at least one record");
    const batch: SimBatch = {
      id: nextBatchId++,
      baseOffset: this.logEndOffset,
      lastOffset: this.logEndOffset + BigInt(produced.recordCount) - 1n,
      epoch: leaderEpoch,
      payloadId: produced.payloadId,
      producerId: produced.producerId,
      sequence: produced.sequence,
    };
    if (leaderEpoch > this.epochCache.latestEpoch) this.epochCache.assign(leaderEpoch, batch.baseOffset);
    this.push(batch);
    return batch;
  }

  /** A follower's append of what it fetched, offsets and epochs kept (Log.appendAsFollower). */
  appendAsFollower(batches: readonly SimBatch[]): void {
    for (const batch of batches) {
      assert.equal(batch.baseOffset, this.logEndOffset, "a follower appends at its log end");
      if (batch.epoch > this.epochCache.latestEpoch) this.epochCache.assign(batch.epoch, batch.baseOffset);
      this.push(batch);
    }
  }

  private push(batch: SimBatch): void {
    const last = this.batchList.at(-1);
    assert(last === undefined || batch.epoch >= last.epoch, "epochs never go back along a log");
    const already = this.payloads.get(batch.payloadId);
    assert(
      already === undefined,
      `${batch.payloadId} appended at ${batch.baseOffset} (epoch ${batch.epoch}) is already in the log at ${already}`,
    );
    this.payloads.set(batch.payloadId, batch.baseOffset);
    this.prefixes.push(prefixId(this.prefixes.at(-1) ?? 0, batch.id));
    this.batchList.push(batch);
    this.logEndOffset = batch.lastOffset + 1n;
  }

  /** Where `payloadId` is in this log, if it is. */
  offsetOf(payloadId: string): bigint | undefined {
    return this.payloads.get(payloadId);
  }

  /**
   * The id of this log's content below `offset` (every batch that starts below it): equal ids,
   * identical batches.
   */
  prefixBelow(offset: bigint): { batches: number; id: number } {
    let lo = 0;
    let hi = this.batchList.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((this.batchList[mid] as SimBatch).baseOffset < offset) lo = mid + 1;
      else hi = mid;
    }
    return { batches: lo, id: lo === 0 ? 0 : (this.prefixes[lo - 1] as number) };
  }

  /** Batches from `fetchOffset` (the one holding it first), at most `batchesMax`; null when out of range. */
  read(fetchOffset: bigint, batchesMax: number): SimBatch[] | null {
    if (fetchOffset < this.logStartOffset || fetchOffset > this.logEndOffset) return null;
    const out: SimBatch[] = [];
    for (let i = this.indexOf(fetchOffset); i < this.batchList.length && out.length < batchesMax; i++) {
      out.push(this.batchList[i] as SimBatch);
    }
    return out;
  }

  /** Index of the first batch whose last offset is at or after `offset`. */
  private indexOf(offset: bigint): number {
    let lo = 0;
    let hi = this.batchList.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((this.batchList[mid] as SimBatch).lastOffset < offset) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  batchAt(offset: bigint): SimBatch | undefined {
    const b = this.batchList[this.indexOf(offset)];
    return b !== undefined && b.baseOffset <= offset ? b : undefined;
  }

  /** OffsetForLeaderEpoch on this log (Log.endOffsetForEpoch). */
  endOffsetForEpoch(epoch: number): EpochEndOffset {
    return this.epochCache.endOffsetFor(epoch, this.logEndOffset);
  }

  /**
   * Removes everything at or above `offset` (Log.truncateTo): the log end, the high watermark,
   * the flushed end and the epoch history follow. Returns whether anything went.
   */
  truncateTo(offset: bigint): boolean {
    assert(offset >= 0n, "truncation offset must not be negative");
    if (offset >= this.logEndOffset) {
      this.epochCache.truncateFromEnd(this.logEndOffset);
      return false;
    }
    const at = this.indexOf(offset);
    const cut = this.batchList[at];
    assert(cut === undefined || cut.baseOffset === offset, `truncation to ${offset} inside a batch`);
    for (const b of this.batchList.slice(at)) this.payloads.delete(b.payloadId);
    this.batchList = this.batchList.slice(0, at);
    this.prefixes = this.prefixes.slice(0, at);
    this.truncations++;
    this.logEndOffset = offset;
    if (this.highWatermark > offset) this.highWatermark = offset;
    if (this.flushedEndOffset > offset) this.flushedEndOffset = offset;
    this.epochCache.truncateFromEnd(offset);
    return true;
  }

  /** Deletes everything and starts again at `offset` (Log.truncateFullyAndStartAt). */
  truncateFullyAndStartAt(offset: bigint): void {
    this.batchList = [];
    this.prefixes = [];
    this.payloads.clear();
    this.truncations++;
    this.logStartOffset = offset;
    this.logEndOffset = offset;
    this.highWatermark = offset;
    this.flushedEndOffset = offset;
    this.epochCache.truncateFromEnd(-1n);
  }

  /** Sets the high watermark, clamped to [logStartOffset, logEndOffset]; returns the value set. */
  updateHighWatermark(offset: bigint): bigint {
    let hw = offset < this.logStartOffset ? this.logStartOffset : offset;
    if (hw > this.logEndOffset) hw = this.logEndOffset;
    this.highWatermark = hw;
    return hw;
  }

  /** The page cache written back (the OS's writeback, or a flush policy). */
  flush(): void {
    this.flushedEndOffset = this.logEndOffset;
  }

  checkpointHighWatermark(): void {
    this.highWatermarkCheckpoint = this.highWatermark;
  }

  /** The last batches of a producer, oldest first (what Kafka's producer state keeps). */
  producerBatches(producerId: number): SimBatch[] {
    const found: SimBatch[] = [];
    for (let i = this.batchList.length - 1; i >= 0 && found.length < PRODUCER_BATCHES_KEPT; i--) {
      const b = this.batchList[i] as SimBatch;
      if (b.producerId === producerId) found.push(b);
    }
    return found.reverse();
  }

  /** What a restarted process finds after SIGKILL: everything appended (it was in the page cache). */
  afterProcessCrash(): SimReplicaLog {
    return this.reloaded(this.batchList, this.flushedEndOffset);
  }

  /** What a restarted machine finds: the flushed batches only. */
  afterMachineCrash(): SimReplicaLog {
    const flushed = this.batchList.filter((b) => b.lastOffset < this.flushedEndOffset);
    return this.reloaded(flushed, this.flushedEndOffset);
  }

  private reloaded(batches: readonly SimBatch[], flushedEndOffset: bigint): SimReplicaLog {
    const log = new SimReplicaLog(new LeaderEpochCache(null, [...this.epochCache.snapshot()]));
    log.batchList = [...batches];
    log.prefixes = this.prefixes.slice(0, batches.length);
    for (const b of batches) log.payloads.set(b.payloadId, b.baseOffset);
    log.logStartOffset = this.logStartOffset;
    const last = batches.at(-1);
    log.logEndOffset = last === undefined ? this.logStartOffset : last.lastOffset + 1n;
    log.flushedEndOffset = minOf(flushedEndOffset, log.logEndOffset);
    log.epochCache.truncateFromEnd(log.logEndOffset);
    log.highWatermarkCheckpoint = this.highWatermarkCheckpoint;
    log.highWatermark = minOf(maxOf(this.highWatermarkCheckpoint, log.logStartOffset), log.logEndOffset);
    return log;
  }
}

export const minOf = (a: bigint, b: bigint): bigint => (a < b ? a : b);
const maxOf = (a: bigint, b: bigint): bigint => (a > b ? a : b);
