import { statSync } from "node:fs";
import { assert, type BufferLease } from "../base/index.js";
import {
  batchBaseOffset,
  batchLastOffsetDelta,
  batchMaxTimestamp,
  batchPartitionLeaderEpoch,
  batchSetLogAppendTime,
  batchSetPartitionLeaderEpoch,
  batchSizeBytes,
  ErrorCode,
  KafkaError,
} from "../protocol/index.js";
import {
  type AppendOrigin,
  validateFollowerAppend,
  validateLeaderAppend,
  validateRecompressedAppend,
} from "./append-validation.js";
import { batchMaxTimestampNumber, batchSetBaseOffsetNumber } from "./batch-offsets.js";
import type { LeaderEpochCache } from "./leader-epoch-cache.js";
import { isCompacted, isDeleteRetained, type LogConfig, segmentSize } from "./log-config.js";
import { LogSegment, type SegmentSettings } from "./log-segment.js";
import { findOffsetByTimestamp, type TimestampAndOffset } from "./offset-by-timestamp.js";
import { recompressIfNeeded } from "./recompression.js";
import { type RetentionSegment, segmentsToDelete } from "./retention.js";
import { DELETED_FILE_SUFFIX } from "./segment-files.js";
import { readSegment } from "./segment-read.js";
import { isIoError, type StorageEnv } from "./storage-env.js";
import { OffsetOutOfRangeError, StorageError } from "./storage-error.js";
import { TailCache } from "./tail-cache.js";
import { type TopicPartition, topicPartitionKey } from "./topic-partition.js";
import type { AbortedTxn } from "./transaction-index.js";

/**
 * A partition's log: an ordered list of segments (Kafka's UnifiedLog without remote storage).
 *
 * Offsets: logStartOffset <= highWatermark <= logEndOffset, and recoveryPoint <= logEndOffset.
 * Segment base offsets strictly increase; every batch of segment i lies below the base offset of
 * segment i + 1; the last segment is the active one and the only one appended to.
 *
 * Durability: an append reaches the page cache before the call returns (one write syscall). It is
 * fsynced by `flush()`, by `flush.messages` / `flush.ms`, and (off the event loop) when a segment
 * is rolled; the recovery point is the offset below which everything is fsynced, so a crash never
 * loses what was below it, and recovery re-checks everything above it.
 *
 * Ownership: an append borrows the caller's buffer for the duration of the call only. Its batch
 * headers are rewritten in place (offsets, leader epoch, LogAppendTime) before they are written, and
 * what the log keeps (the tail cache) is copied into memory it owns, so the caller may reuse the
 * buffer as soon as the call returns (the network layer recycles produce request frames). Buffers
 * returned by `read` are never modified afterwards.
 *
 * All methods are synchronous and run to completion on the event loop; only flushes of rolled
 * segments and `flushAsync` continue in the background, guarded against truncations meanwhile.
 */
export interface LogAppendInfo {
  firstOffset: bigint;
  lastOffset: bigint;
  /** The broker time stamped on the batches with message.timestamp.type=LogAppendTime, else -1. */
  logAppendTimeMs: bigint;
  logStartOffset: bigint;
  recordCount: number;
  batchCount: number;
  validBytes: number;
  maxTimestamp: bigint;
  /** Last offset of the batch holding maxTimestamp (-1 when no batch has a timestamp). */
  offsetOfMaxTimestamp: bigint;
}

export interface LogReadRequest {
  fetchOffset: bigint;
  maxBytes: number;
  /** Exclusive upper bound (the high watermark or last stable offset); default the log end. */
  maxOffset?: bigint;
  /** Return the first batch even when it is larger than maxBytes (default true, as Kafka). */
  minOneMessage?: boolean;
  /**
   * The records may come from memory lent until this lease is released (a response that releases
   * it once written); without one, the buffers returned are the caller's for good.
   */
  lease?: BufferLease;
}

export interface LogReadResult {
  /** Whole batches: each buffer holds one or more, in offset order, ready to send as they are. */
  records: Buffer[];
  sizeBytes: number;
  /** Base offset of the first batch returned, -1 when none. */
  firstOffset: bigint;
  /** The offset after the last batch returned (fetchOffset when none). */
  nextOffset: bigint;
  logStartOffset: bigint;
  logEndOffset: bigint;
  highWatermark: bigint;
}

/**
 * Extension points for per-producer state (idempotence and transactions), added by its own
 * module. All optional; the log calls them synchronously at the points named.
 */
export interface LogAppendHook {
  /** Per batch after the header and CRC checks, before offsets are assigned; throw to refuse the append. */
  validateBatch?(records: Buffer, at: number, origin: AppendOrigin): void;
  /** Per batch after the write; the batch carries its final offsets. */
  batchAppended?(records: Buffer, at: number, origin: AppendOrigin): void;
  /** A new active segment starts at `baseOffset` (time for a producer-state snapshot). */
  segmentRolled?(baseOffset: bigint): void;
  /** The log was truncated to `logEndOffset` (also after truncateFullyAndStartAt). */
  truncated?(logEndOffset: bigint): void;
  /** The log start offset advanced (retention, DeleteRecords). */
  logStartOffsetAdvanced?(logStartOffset: bigint): void;
  /** The first offset of an unfinished transaction, which the last stable offset may not pass. */
  firstUnstableOffset?(highWatermark: bigint): bigint | null;
  /** Aborted transactions overlapping [fetchOffset, upperBound), for read_committed fetches. */
  abortedTransactions?(fetchOffset: bigint, upperBound: bigint): readonly AbortedTxn[];
  /** Per producer the partition remembers: its last data batch's last offset (-1: none) and epoch. */
  producerLastRecords?(): ReadonlyMap<bigint, ProducerLastRecord>;
  /** The cleaner swapped in a segment for those holding [from, to); its aborted transactions are `kept`. */
  abortedTransactionsCleaned?(from: bigint, to: bigint, kept: readonly AbortedTxn[]): void;
}

/** What compaction must keep of a producer (Kafka's LastRecord): its last data batch, or its last marker. */
export interface ProducerLastRecord {
  /** The last offset of the producer's last data batch, -1 when its state holds none. */
  readonly lastDataOffset: bigint;
  readonly producerEpoch: number;
}

export type AppendListener = (logEndOffset: bigint) => void;

export interface LogParams {
  tp: TopicPartition;
  dir: string;
  topicId: string | null;
  config: LogConfig;
  env: StorageEnv;
  segments: LogSegment[];
  logStartOffset: bigint;
  logEndOffset: bigint;
  recoveryPoint: bigint;
  highWatermark: bigint;
  leaderEpochCache: LeaderEpochCache;
  /** Writes the log-start-offset checkpoint durably (the LogManager's, for this log's dir). */
  persistLogStartOffset: () => void;
}

/** Read positions remembered per log (one per recent reader), oldest dropped first. */
const READ_HINTS_MAX = 16;
/**
 * How long after a read at the tail appends are still copied into the tail cache: longer than the
 * pause between two fetches of a consumer or follower that keeps up (fetch.max.wait.ms is 500 ms by
 * default, kafkajs waits up to 5 s), so that a log with such a reader keeps its cache warm.
 */
export const TAIL_READER_IDLE_MS = 10_000;

export class Log {
  readonly tp: TopicPartition;
  readonly dir: string;
  readonly leaderEpochCache: LeaderEpochCache;
  topicId: string | null;
  /** First dirty offset for the cleaner (cleaner-offset-checkpoint); null: from the log start. */
  cleanerCheckpoint: bigint | null = null;
  private configValue: LogConfig;
  private readonly env: StorageEnv;
  private segments: LogSegment[];
  private startOffset: bigint;
  private endOffset: bigint;
  private recoveryOffset: bigint;
  private highWatermarkOffset: bigint;
  private readonly tail: TailCache;
  /** When a reader was last at the tail (a read served by the tail cache, or one that caught up). */
  private tailReadMs = Number.NEGATIVE_INFINITY;
  private readonly listeners = new Set<AppendListener>();
  /** Next fetch offset -> file position of its batch, from recent reads; cleared on truncation. */
  private readonly readHints = new Map<bigint, { segment: LogSegment; position: number }>();
  private hook: LogAppendHook | null = null;
  /**
   * Appends still queued to the writer thread (segment-writer.ts), oldest first from
   * `writeMarksHead`: the write's sequence number and the log end once it is in the file.
   */
  private writeMarks: { seq: number; end: bigint }[] = [];
  private writeMarksHead = 0;
  /** The log end as far as the file has it: what may be acknowledged and exposed to readers. */
  private writtenEnd: bigint;
  /** The written end the append listeners were last told of. */
  private announcedEnd: bigint;
  private writesWatched = false;
  private writtenCallback: (() => void) | null = null;
  private failure: unknown = null;
  private closed = false;
  private truncations = 0;
  private lastFlushMs: number;
  private readonly persistLogStartOffset: () => void;

  constructor(params: LogParams) {
    this.tp = params.tp;
    this.dir = params.dir;
    this.topicId = params.topicId;
    this.configValue = params.config;
    this.env = params.env;
    this.segments = params.segments;
    this.startOffset = params.logStartOffset;
    this.endOffset = params.logEndOffset;
    this.writtenEnd = params.logEndOffset;
    this.announcedEnd = params.logEndOffset;
    this.recoveryOffset = params.recoveryPoint;
    this.highWatermarkOffset = params.highWatermark;
    this.leaderEpochCache = params.leaderEpochCache;
    this.persistLogStartOffset = params.persistLogStartOffset;
    this.tail = new TailCache(params.env.tailArena);
    this.lastFlushMs = params.env.clock.nowMs();
    this.checkInvariants();
  }

  // ---- state -----------------------------------------------------------------------------------

  get name(): string {
    return topicPartitionKey(this.tp);
  }

  get config(): LogConfig {
    return this.configValue;
  }

  get logStartOffset(): bigint {
    return this.startOffset;
  }

  get logEndOffset(): bigint {
    return this.endOffset;
  }

  /** Everything below this offset is fsynced; recovery after a crash starts here. */
  get recoveryPoint(): bigint {
    return this.recoveryOffset;
  }

  get highWatermark(): bigint {
    return this.highWatermarkOffset;
  }

  /**
   * The log end offset of what is in the file (the page cache): appends above it are still on
   * their way there from the writer thread. Kafka acknowledges a write and lets the high watermark
   * pass it only once it is in the log; so do we, with this offset.
   */
  get writtenEndOffset(): bigint {
    this.refreshWritten();
    return this.writtenEnd;
  }

  /** Resolves once every append made so far is in the file; rejects with KAFKA_STORAGE_ERROR. */
  whenWritten(): Promise<void> {
    this.writesCompleted();
    if (this.writeMarksHead === this.writeMarks.length) {
      if (this.failure === null) return Promise.resolve();
      return Promise.reject(
        new KafkaError(ErrorCode.KAFKA_STORAGE_ERROR, `log ${this.name} is offline`, { cause: this.failure }),
      );
    }
    const last = this.writeMarks[this.writeMarks.length - 1] as { seq: number };
    return this.env.writes.whenDone(last.seq).then(
      () => this.writesCompleted(),
      (error: unknown) => {
        throw this.fail(error, "append");
      },
    );
  }

  /**
   * Called when appends reach the file, before the append listeners (the replication layer moves
   * the high watermark there, so that woken fetches see the new records).
   */
  setWrittenCallback(callback: (() => void) | null): void {
    this.writtenCallback = callback;
  }

  /**
   * The last stable offset: where READ_COMMITTED fetches stop. The high watermark, or the first
   * offset of the earliest transaction not yet completed below it (open, or with its marker above
   * the high watermark), as the producer state says.
   */
  get lastStableOffset(): bigint {
    const unstable = this.hook?.firstUnstableOffset?.(this.highWatermarkOffset) ?? null;
    return unstable !== null && unstable < this.highWatermarkOffset ? unstable : this.highWatermarkOffset;
  }

  /** The aborted transactions a read_committed read of [fetchOffset, upperBound) must be told of. */
  abortedTransactions(fetchOffset: bigint, upperBound: bigint): readonly AbortedTxn[] {
    return this.hook?.abortedTransactions?.(fetchOffset, upperBound) ?? [];
  }

  /** @internal the cleaner keeps each remembered producer's last batch (see ProducerLastRecord). */
  producerLastRecords(): ReadonlyMap<bigint, ProducerLastRecord> {
    return this.hook?.producerLastRecords?.() ?? new Map();
  }

  /** @internal the cleaner swapped in a segment for those holding [from, to), whose index holds `kept`. */
  abortedTransactionsCleaned(from: bigint, to: bigint, kept: readonly AbortedTxn[]): void {
    this.hook?.abortedTransactionsCleaned?.(from, to, kept);
  }

  get latestEpoch(): number {
    return this.leaderEpochCache.latestEpoch;
  }

  get sizeBytes(): number {
    return this.segments.reduce((sum, s) => sum + s.sizeBytes, 0);
  }

  get segmentCount(): number {
    return this.segments.length;
  }

  get isOffline(): boolean {
    return this.failure !== null || this.closed;
  }

  /** @internal the segments, oldest first (the cleaner and tests read them). */
  get segmentList(): readonly LogSegment[] {
    return this.segments;
  }

  get activeSegment(): LogSegment {
    return this.segments[this.segments.length - 1] as LogSegment;
  }

  setAppendHook(hook: LogAppendHook | null): void {
    this.hook = hook;
  }

  /** Calls `listener` after every append (to wake long-poll fetches); returns the unsubscribe. */
  onAppend(listener: AppendListener): () => void {
    if (this.listeners.size >= this.env.limits.appendListenersMax) {
      throw new StorageError("BRK_ERR_STORAGE_LOG_OFFLINE", `too many append listeners on ${this.name}`);
    }
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  updateConfig(config: LogConfig): void {
    this.configValue = config;
    this.activeSegment.settings = this.segmentSettings();
  }

  /** Sets the high watermark, clamped to [logStartOffset, logEndOffset]; returns the value set. */
  updateHighWatermark(offset: bigint): bigint {
    let hw = offset < this.startOffset ? this.startOffset : offset;
    if (hw > this.endOffset) hw = this.endOffset;
    this.highWatermarkOffset = hw;
    return hw;
  }

  // ---- append ----------------------------------------------------------------------------------

  /**
   * Appends what a producer (origin "client", the default: exactly one batch) or a coordinator
   * sent: validates every batch (a producer's record by record, as Kafka's LogValidator), assigns offsets from the log end by rewriting the
   * headers in place, stamps the leader epoch (and LogAppendTime when configured), and writes all
   * batches with one write, possibly queued to the segment writer thread: acknowledge after
   * `whenWritten()`. Throws KafkaError and leaves the log unchanged when a batch is invalid.
   */
  appendAsLeader(
    records: Buffer,
    leaderEpoch: number,
    options: { origin?: AppendOrigin } = {},
  ): LogAppendInfo {
    this.checkWritable();
    const origin = options.origin ?? "client";
    const nowMs = this.env.clock.nowMs();
    if (records.length === 0) return this.emptyAppendInfo();
    const validated = validateLeaderAppend(records, this.configValue, nowMs, origin, this.name);
    if (validated.recordsPayload !== null) {
      const recompressed = recompressIfNeeded(records, this.configValue, validated.recordsPayload);
      if (recompressed !== records) validateRecompressedAppend(recompressed, this.configValue, this.name);
      records = recompressed;
    }
    this.runValidateHook(records, origin);
    const firstOffset = this.endOffset;
    const first = Number(firstOffset);
    const last = first + validated.offsetCount - 1;
    const segment = this.maybeRoll(records.length, validated.maxTimestamp, last, nowMs);
    const logAppendTime = this.configValue.messageTimestampType === "LogAppendTime" ? BigInt(nowMs) : -1n;
    const stamped = stampBatches(records, first, leaderEpoch, logAppendTime);
    assert(stamped.nextOffset === last + 1, "offsets assigned do not match the batches' deltas");
    if (leaderEpoch > this.leaderEpochCache.latestEpoch)
      this.guardEpochCache(() => this.leaderEpochCache.assign(leaderEpoch, firstOffset));
    const nextOffset = BigInt(stamped.nextOffset);
    this.writeToSegment(segment, records, firstOffset, nextOffset, origin, nowMs);
    return {
      firstOffset,
      lastOffset: nextOffset - 1n,
      logAppendTimeMs: logAppendTime,
      logStartOffset: this.startOffset,
      recordCount: validated.recordCount,
      batchCount: validated.batchCount,
      validBytes: records.length,
      maxTimestamp: BigInt(stamped.maxTimestamp),
      offsetOfMaxTimestamp: BigInt(stamped.offsetOfMaxTimestamp),
    };
  }

  /**
   * Appends batches fetched from the leader, offsets as given (they must start at or after the log
   * end and increase). Still checks framing and CRC; records the leader epochs the batches carry.
   */
  appendAsFollower(records: Buffer): LogAppendInfo {
    this.checkWritable();
    if (records.length === 0) return this.emptyAppendInfo();
    const validated = validateFollowerAppend(records, this.endOffset);
    this.runValidateHook(records, "replication");
    const nowMs = this.env.clock.nowMs();
    const segment = this.maybeRoll(records.length, validated.maxTimestamp, validated.lastOffset, nowMs);
    let maxTimestamp = -1n;
    let offsetOfMaxTimestamp = -1n;
    for (let at = 0; at < records.length; at += batchSizeBytes(records, at)) {
      const epoch = batchPartitionLeaderEpoch(records, at);
      if (epoch > this.leaderEpochCache.latestEpoch) {
        const start = batchBaseOffset(records, at);
        this.guardEpochCache(() => this.leaderEpochCache.assign(epoch, start));
      }
      const ts = batchMaxTimestamp(records, at);
      if (ts > maxTimestamp) {
        maxTimestamp = ts;
        offsetOfMaxTimestamp = batchBaseOffset(records, at) + BigInt(batchLastOffsetDelta(records, at));
      }
    }
    this.writeToSegment(
      segment,
      records,
      validated.firstOffset,
      validated.lastOffset + 1n,
      "replication",
      nowMs,
    );
    return {
      firstOffset: validated.firstOffset,
      lastOffset: validated.lastOffset,
      logAppendTimeMs: -1n,
      logStartOffset: this.startOffset,
      recordCount: validated.recordCount,
      batchCount: validated.batchCount,
      validBytes: records.length,
      maxTimestamp,
      offsetOfMaxTimestamp,
    };
  }

  private emptyAppendInfo(): LogAppendInfo {
    return {
      firstOffset: -1n,
      lastOffset: -1n,
      logAppendTimeMs: -1n,
      logStartOffset: this.startOffset,
      recordCount: 0,
      batchCount: 0,
      validBytes: 0,
      maxTimestamp: -1n,
      offsetOfMaxTimestamp: -1n,
    };
  }

  private runValidateHook(records: Buffer, origin: AppendOrigin): void {
    const validate = this.hook?.validateBatch;
    if (validate === undefined) return;
    for (let at = 0; at < records.length; at += batchSizeBytes(records, at))
      validate.call(this.hook, records, at, origin);
  }

  private writeToSegment(
    segment: LogSegment,
    records: Buffer,
    firstOffset: bigint,
    nextOffset: bigint,
    origin: AppendOrigin,
    nowMs: number,
  ): void {
    assert(
      firstOffset >= this.endOffset && nextOffset > firstOffset,
      "appended offsets must follow the log end",
    );
    // An append that is flushed right away (flush.messages) would only wait for the writer thread.
    const flushNow = Number(nextOffset) - Number(this.recoveryOffset) >= this.configValue.flushMessages;
    let seq: number;
    try {
      seq = segment.append(records, flushNow);
    } catch (e) {
      throw this.fail(e, "append");
    }
    this.endOffset = nextOffset;
    // Copying into the tail cache pays only when someone reads the tail: without a reader there
    // recently, the append is not cached (and the cache emptied, so that it never has a gap).
    if (nowMs - this.tailReadMs <= TAIL_READER_IDLE_MS) this.tail.add(firstOffset, records);
    else if (!this.tail.isEmpty) this.tail.clear();
    const appended = this.hook?.batchAppended;
    if (appended !== undefined) {
      for (let at = 0; at < records.length; at += batchSizeBytes(records, at))
        appended.call(this.hook, records, at, origin);
    }
    if (seq === 0 && this.writeMarksHead === this.writeMarks.length) {
      this.writtenEnd = nextOffset;
      this.announceWritten();
    } else {
      this.writeMarks.push({ seq, end: nextOffset });
      this.watchWrites();
    }
    if (flushNow) this.flush();
  }

  /** Moves `writtenEnd` over the queued appends the writer thread has finished. */
  private refreshWritten(): void {
    const marks = this.writeMarks;
    if (this.writeMarksHead === marks.length) return;
    const writes = this.env.writes;
    // After a failed write nothing counts as written any more: the log goes offline. `failed` is
    // read after `isDone`, which collects the thread's results and may fail the channel with this
    // very write: read before, it let the written end (and so the high watermark and acks=all)
    // pass an append that ENOSPC had refused (found by test/interop/disk-full.test.ts).
    while (this.writeMarksHead < marks.length) {
      const mark = marks[this.writeMarksHead] as { seq: number; end: bigint };
      if (!writes.isDone(mark.seq) || writes.failed) break;
      this.writtenEnd = mark.end;
      this.writeMarksHead++;
    }
    if (this.writeMarksHead === marks.length) {
      marks.length = 0;
      this.writeMarksHead = 0;
    } else if (this.writeMarksHead > 1024) {
      marks.splice(0, this.writeMarksHead);
      this.writeMarksHead = 0;
    }
    assert(this.writtenEnd <= this.endOffset, "the written end passed the log end");
  }

  private writesCompleted(): void {
    this.refreshWritten();
    if (this.writtenEnd !== this.announcedEnd) this.announceWritten();
  }

  private announceWritten(): void {
    this.announcedEnd = this.writtenEnd;
    this.writtenCallback?.();
    if (this.listeners.size > 0) this.notifyAppend(this.writtenEnd);
  }

  /** Follows the queued appends to their completion, so that listeners hear of them without a caller waiting. */
  private watchWrites(): void {
    if (this.writesWatched) return;
    const last = this.writeMarks[this.writeMarks.length - 1] as { seq: number };
    this.writesWatched = true;
    this.env.writes.whenDone(last.seq).then(
      () => {
        this.writesWatched = false;
        this.writesCompleted();
        if (this.writeMarksHead < this.writeMarks.length && !this.closed) this.watchWrites();
      },
      (error: unknown) => {
        this.writesWatched = false;
        if (this.failure === null) this.fail(error, "append");
      },
    );
  }

  /** After a truncation every remaining append is in the file (truncating waited for the writes). */
  private resetWrites(logEndOffset: bigint): void {
    this.writeMarks = [];
    this.writeMarksHead = 0;
    this.writtenEnd = logEndOffset;
    this.announcedEnd = logEndOffset;
  }

  private notifyAppend(logEndOffset: bigint): void {
    for (const listener of this.listeners) {
      try {
        listener(logEndOffset);
      } catch (e) {
        this.env.onBackgroundError(e, `append listener of ${this.name}`);
      }
    }
  }

  // ---- rolling ---------------------------------------------------------------------------------

  private maybeRoll(
    sizeBytes: number,
    maxTimestamp: number,
    lastOffset: bigint | number,
    nowMs: number,
  ): LogSegment {
    const active = this.activeSegment;
    if (active.sizeBytes === 0) return active.canHoldOffset(lastOffset) ? active : this.roll();
    const config = this.configValue;
    const maxSegmentMs =
      isCompacted(config) && config.maxCompactionLagMs > 0
        ? Math.min(config.maxCompactionLagMs, config.segmentMs)
        : config.segmentMs;
    const rollBase = active.rollingBaseTimestamp();
    const waitedMs = rollBase !== null && rollBase >= 0 ? maxTimestamp - rollBase : nowMs - active.createdMs;
    const shouldRoll =
      active.sizeBytes > segmentSize(config) - sizeBytes ||
      waitedMs > maxSegmentMs - this.rollJitterMs(active) ||
      active.offsetIndexIsFull ||
      !active.canHoldOffset(lastOffset);
    return shouldRoll ? this.roll() : active;
  }

  private rollJitterMs(segment: LogSegment): number {
    const range = Math.min(this.configValue.segmentJitterMs, this.configValue.segmentMs);
    return range <= 0 ? 0 : Number(segment.baseOffset % BigInt(Math.floor(range)));
  }

  private segmentSettings(): SegmentSettings {
    return {
      indexIntervalBytes: this.configValue.indexIntervalBytes,
      segmentIndexBytes: this.configValue.segmentIndexBytes,
    };
  }

  /**
   * Starts a new active segment at the log end (no-op when the active one is empty and already
   * there). The old one is sealed and fsynced in the background; the recovery point then moves
   * to the new segment's base.
   */
  roll(): LogSegment {
    this.checkWritable();
    const active = this.activeSegment;
    const newBase = this.endOffset;
    if (active.sizeBytes === 0 && active.baseOffset === newBase) return active;
    if (active.sizeBytes === 0) {
      this.segments.pop();
      this.discardSegments([active]);
    } else {
      active.seal();
    }
    const preallocate = this.configValue.preallocate ? segmentSize(this.configValue) : 0;
    const segment = this.guardIo("roll", () =>
      LogSegment.create(
        this.env,
        this.dir,
        newBase,
        this.segmentSettings(),
        this.env.clock.nowMs(),
        preallocate,
      ),
    );
    this.segments.push(segment);
    this.tail.clear();
    this.hook?.segmentRolled?.(newBase);
    this.flushAsync(newBase).catch((e) => this.env.onBackgroundError(e, `flush of ${this.name} after roll`));
    this.checkInvariants();
    return segment;
  }

  // ---- flushing --------------------------------------------------------------------------------

  /** fsyncs everything below `upTo` (default: the log end) and advances the recovery point. */
  flush(upTo: bigint = this.endOffset): void {
    this.checkWritable();
    // The epoch history first: no recovery point may pass an epoch start that is not durable.
    this.guardEpochCache(() => this.leaderEpochCache.flush());
    const target = upTo < this.endOffset ? upTo : this.endOffset;
    if (target <= this.recoveryOffset) return;
    this.guardIo("flush", () => {
      for (const segment of this.segmentsOverlapping(this.recoveryOffset, target)) segment.flush();
    });
    this.recoveryOffset = target;
    this.lastFlushMs = this.env.clock.nowMs();
  }

  /** As `flush`, with the fsyncs off the event loop. Appends may continue meanwhile. */
  async flushAsync(upTo: bigint = this.endOffset): Promise<void> {
    if (this.isOffline) return;
    this.guardEpochCache(() => this.leaderEpochCache.flush());
    const target = upTo < this.endOffset ? upTo : this.endOffset;
    if (target <= this.recoveryOffset) return;
    const truncations = this.truncations;
    for (const segment of this.segmentsOverlapping(this.recoveryOffset, target)) {
      if (this.isOffline || this.truncations !== truncations) return;
      try {
        await segment.flushAsync();
      } catch (e) {
        if (this.isOffline || !isIoError(e)) throw e;
        throw this.fail(e, "flush");
      }
    }
    if (this.isOffline || this.truncations !== truncations || target <= this.recoveryOffset) return;
    this.recoveryOffset = target;
    this.lastFlushMs = this.env.clock.nowMs();
  }

  /** Milliseconds since the last flush (for flush.ms). */
  msSinceLastFlush(nowMs: number): number {
    return nowMs - this.lastFlushMs;
  }

  private segmentsOverlapping(from: bigint, to: bigint): LogSegment[] {
    const out: LogSegment[] = [];
    for (let i = 0; i < this.segments.length; i++) {
      const segment = this.segments[i] as LogSegment;
      const end = this.segments[i + 1]?.baseOffset ?? this.endOffset + 1n;
      if (segment.baseOffset < to && end > from) out.push(segment);
    }
    return out;
  }

  // ---- reading ---------------------------------------------------------------------------------

  /**
   * Whole batches from the one holding `fetchOffset`, within maxBytes (but at least the first
   * batch, with minOneMessage) and below maxOffset, from one segment. OFFSET_OUT_OF_RANGE outside
   * [logStartOffset, logEndOffset].
   */
  read(request: LogReadRequest): LogReadResult {
    this.checkReadable();
    const { fetchOffset } = request;
    if (fetchOffset < this.startOffset || fetchOffset > this.endOffset) {
      throw new OffsetOutOfRangeError(fetchOffset, this.startOffset, this.endOffset, this.name);
    }
    const maxBytes = Math.max(0, Math.min(request.maxBytes, this.env.limits.readBytesMax));
    const bound =
      request.maxOffset !== undefined && request.maxOffset < this.endOffset
        ? request.maxOffset
        : this.endOffset;
    const minOne = request.minOneMessage ?? true;
    const result: LogReadResult = {
      records: [],
      sizeBytes: 0,
      firstOffset: -1n,
      nextOffset: fetchOffset,
      logStartOffset: this.startOffset,
      logEndOffset: this.endOffset,
      highWatermark: this.highWatermarkOffset,
    };
    if (fetchOffset >= bound) {
      this.tailReadMs = this.env.clock.nowMs();
      return result;
    }
    const cached = this.tail.read(fetchOffset, maxBytes, bound, minOne, request.lease);
    if (cached !== null) {
      this.tailReadMs = this.env.clock.nowMs();
      return { ...result, ...cached };
    }
    for (let i = this.floorSegmentIndex(fetchOffset); i < this.segments.length; i++) {
      const segment = this.segments[i] as LogSegment;
      const hint = this.readHints.get(fetchOffset);
      const position =
        hint !== undefined && hint.segment === segment
          ? hint.position
          : (this.guardIo("read", () => segment.findBatch(fetchOffset))?.position ?? null);
      if (position === null || position >= segment.sizeBytes) continue;
      const read = this.guardIo("read", () =>
        readSegment(segment, position, maxBytes, bound, minOne, this.env.readPool, request.lease),
      );
      if (read.records.length > 0) {
        result.records.push(read.records);
        result.sizeBytes = read.records.length;
        result.firstOffset = read.firstOffset;
        result.nextOffset = read.nextOffset;
        this.rememberReadPosition(read.nextOffset, segment, read.nextPosition);
        if (read.nextOffset >= this.endOffset) this.tailReadMs = this.env.clock.nowMs();
      }
      return result;
    }
    return result;
  }

  /** Where the batch after a read starts, so that the reader's next fetch skips the lookup. */
  private rememberReadPosition(offset: bigint, segment: LogSegment, position: number): void {
    if (this.readHints.size >= READ_HINTS_MAX) {
      const oldest = this.readHints.keys().next();
      if (oldest.done !== true) this.readHints.delete(oldest.value);
    }
    this.readHints.set(offset, { segment, position });
  }

  private floorSegmentIndex(offset: bigint): number {
    let lo = 0;
    let hi = this.segments.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if ((this.segments[mid] as LogSegment).baseOffset <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  // ---- offsets lookups -------------------------------------------------------------------------

  /**
   * ListOffsets: -1 latest (log end), -2 earliest and -4 earliest-local (log start), -3 the record
   * with the largest timestamp, else the first record whose timestamp is at or after `timestamp`.
   * null when no record qualifies. The caller bounds "latest" by the high watermark or LSO.
   */
  fetchOffsetByTimestamp(timestamp: bigint): TimestampAndOffset | null {
    this.checkReadable();
    if (timestamp === -1n)
      return { timestamp: -1n, offset: this.endOffset, leaderEpoch: this.leaderEpochCache.latestEpoch };
    if (timestamp === -2n || timestamp === -4n) {
      return {
        timestamp: -1n,
        offset: this.startOffset,
        leaderEpoch: this.leaderEpochCache.epochForOffset(this.startOffset),
      };
    }
    const found = this.guardIo("offset lookup", () =>
      findOffsetByTimestamp(this.segments, timestamp, this.startOffset),
    );
    if (found === null) return null;
    return { ...found, leaderEpoch: this.leaderEpochCache.epochForOffset(found.offset) };
  }

  /** OffsetForLeaderEpoch: the end offset of `epoch` in this log (Kafka's rules). */
  endOffsetForEpoch(epoch: number): { epoch: number; endOffset: bigint } {
    this.checkReadable();
    return this.leaderEpochCache.endOffsetFor(epoch, this.endOffset);
  }

  /** Records that the leader of `epoch` starts writing at `startOffset` (a new leader does this). */
  assignEpochStartOffset(epoch: number, startOffset: bigint): void {
    this.checkWritable();
    // Not fsynced here (a start with 1,000 partitions paid ~0.5 s of fsyncs for it): `flush` makes it
    // durable before the recovery point passes it, and a crash before that recovers the log from
    // below it, finding the epoch again in the batches (a leader that wrote none assigns again).
    this.guardEpochCache(() => this.leaderEpochCache.assign(epoch, startOffset, false));
  }

  // ---- truncation and log start ----------------------------------------------------------------

  /**
   * Removes everything at or above `offset` (a follower after a leader change). A batch holding
   * `offset` goes whole; the log end becomes `offset`, as in Kafka. Returns whether anything went.
   * At or past the log end no batch goes, but the leader-epoch history still loses what starts at
   * the log end, as in Kafka: a replica that became leader and lost the leadership before writing
   * has its epoch's start there, which the new leader's log contradicts (kept, every fetch would
   * find the logs diverged again and the follower would never catch up).
   */
  truncateTo(offset: bigint): boolean {
    this.checkWritable();
    assert(offset >= 0n, "truncation offset must not be negative");
    if (offset >= this.endOffset) {
      this.guardEpochCache(() => this.leaderEpochCache.truncateFromEnd(this.endOffset));
      return false;
    }
    if (offset < (this.segments[0] as LogSegment).baseOffset) {
      this.truncateFullyAndStartAt(offset);
      return true;
    }
    this.truncations++;
    this.guardIo("truncate", () => {
      const removed: LogSegment[] = [];
      while (this.activeSegment.baseOffset > offset) removed.push(this.segments.pop() as LogSegment);
      this.discardSegments(removed);
      const active = this.activeSegment;
      if (active.sealed) active.unseal();
      active.truncateTo(offset);
      active.flush();
    });
    this.endOffset = offset;
    this.resetWrites(offset);
    this.readHints.clear();
    if (this.recoveryOffset > offset) this.recoveryOffset = offset;
    if (this.highWatermarkOffset > offset) this.highWatermarkOffset = offset;
    if (this.startOffset > offset) this.startOffset = offset;
    this.guardEpochCache(() => this.leaderEpochCache.truncateFromEnd(offset));
    if (this.cleanerCheckpoint !== null && this.cleanerCheckpoint > offset) this.cleanerCheckpoint = offset;
    this.tail.clear();
    this.hook?.truncated?.(offset);
    this.checkInvariants();
    return true;
  }

  /** Deletes every segment and restarts the log empty at `offset` (a follower far behind). */
  truncateFullyAndStartAt(offset: bigint): void {
    this.checkWritable();
    this.truncations++;
    this.guardIo("truncate fully", () => {
      const removed = this.segments;
      this.segments = [];
      this.discardSegments(removed);
      this.segments.push(
        LogSegment.create(this.env, this.dir, offset, this.segmentSettings(), this.env.clock.nowMs()),
      );
    });
    this.endOffset = offset;
    this.resetWrites(offset);
    this.startOffset = offset;
    this.readHints.clear();
    this.recoveryOffset = offset;
    this.highWatermarkOffset = offset;
    this.guardEpochCache(() => this.leaderEpochCache.truncateFromEnd(-1n));
    this.cleanerCheckpoint = null;
    this.tail.clear();
    this.guardIo("log start offset checkpoint", () => this.persistLogStartOffset());
    this.hook?.truncated?.(offset);
    this.hook?.logStartOffsetAdvanced?.(offset);
    this.checkInvariants();
  }

  /**
   * DeleteRecords: advances the log start offset to `offset` (-1: the high watermark), durably
   * before returning (the data up to it is fsynced, then the checkpoint is written), and deletes
   * the segments wholly below it. Returns the new log start offset (the low watermark).
   */
  deleteRecordsBefore(offset: bigint): bigint {
    this.checkWritable();
    const target = offset === -1n ? this.highWatermarkOffset : offset;
    if (target < 0n || target > this.highWatermarkOffset) {
      throw new OffsetOutOfRangeError(
        target,
        this.startOffset,
        this.highWatermarkOffset,
        `DeleteRecords on ${this.name}`,
      );
    }
    if (target <= this.startOffset) return this.startOffset;
    if (this.recoveryOffset < target) this.flush(target);
    this.startOffset = target;
    this.guardEpochCache(() => this.leaderEpochCache.truncateFromStart(target));
    this.guardIo("log start offset checkpoint", () => this.persistLogStartOffset());
    this.hook?.logStartOffsetAdvanced?.(target);
    // Only the segments now wholly below the log start go: time and size retention are the
    // retention check's, so the low watermark answered is the offset asked for, as Kafka answers
    // DeleteRecords (found by the log model test: a segment past retention.ms took the log start
    // beyond the requested offset).
    this.deleteOldSegments({ belowLogStartOnly: true });
    return this.startOffset;
  }

  /**
   * Retention: deletes old segments by retention.ms, retention.bytes and the log start offset
   * (`belowLogStartOnly`: by the log start offset alone).
   */
  deleteOldSegments(options: { belowLogStartOnly?: boolean } = {}): number {
    if (this.isOffline) return 0;
    const decision = segmentsToDelete({
      segments: this.segments.map((segment) => retentionView(segment)),
      logEndOffset: this.endOffset,
      logStartOffset: this.startOffset,
      highWatermark: this.highWatermarkOffset,
      nowMs: this.env.clock.nowMs(),
      deletePolicy: options.belowLogStartOnly !== true && isDeleteRetained(this.configValue),
      retentionMs: this.configValue.retentionMs,
      retentionBytes: this.configValue.retentionBytes,
    });
    if (decision.count === 0) return 0;
    if (decision.count === this.segments.length) this.roll();
    const removed = this.segments.splice(0, decision.count);
    this.guardIo("retention", () => this.discardSegments(removed));
    const firstBase = (this.segments[0] as LogSegment).baseOffset;
    if (firstBase > this.startOffset) {
      this.startOffset = firstBase;
      this.guardEpochCache(() => this.leaderEpochCache.truncateFromStart(firstBase));
      this.hook?.logStartOffsetAdvanced?.(firstBase);
    }
    if (this.highWatermarkOffset < this.startOffset) this.highWatermarkOffset = this.startOffset;
    this.checkInvariants();
    return removed.length;
  }

  /** @internal renames segments to `.deleted` and queues their files for removal. */
  discardSegments(segments: readonly LogSegment[]): void {
    if (segments.length === 0) return;
    const dueMs = this.env.clock.nowMs() + this.configValue.fileDeleteDelayMs;
    for (const segment of segments) {
      segment.close();
      segment.renameSuffix(DELETED_FILE_SUFFIX);
      this.env.deleter.schedule(segment.filePaths(), dueMs);
    }
  }

  /** @internal the cleaner replaces `oldSegments` (contiguous) by `replacement` (already renamed). */
  replaceSegments(oldSegments: readonly LogSegment[], replacement: LogSegment): void {
    const first = this.segments.indexOf(oldSegments[0] as LogSegment);
    assert(first >= 0, "replaced segments must belong to the log");
    for (let i = 0; i < oldSegments.length; i++)
      assert(this.segments[first + i] === oldSegments[i], "replaced segments must be contiguous");
    this.segments.splice(first, oldSegments.length, replacement);
    this.checkInvariants();
  }

  /** @internal a counter that changes whenever the log is truncated. */
  get truncationCount(): number {
    return this.truncations;
  }

  // ---- lifecycle -------------------------------------------------------------------------------

  /**
   * Closes the files (writing index files that are behind, trimming the active segment's). Flush
   * first for a clean shutdown.
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.tail.clear();
    this.listeners.clear();
    for (const segment of this.segments) {
      try {
        segment.close();
      } catch (e) {
        this.env.onBackgroundError(e, `closing ${segment.file.path}`);
      }
    }
  }

  /** Closes the descriptors without writing anything: the files stay as a crash leaves them (tests). */
  closeHandlers(): void {
    if (this.closed) return;
    this.closed = true;
    this.tail.clear();
    this.listeners.clear();
    for (const segment of this.segments) segment.closeHandlers();
  }

  /**
   * Writes the active segment's index entries that are only in memory to its files (the background
   * tick does this, so that the files of a quiet partition are current within a tick).
   */
  writeIndexEntries(): void {
    if (this.isOffline) return;
    try {
      this.activeSegment.writeIndexEntries();
    } catch (e) {
      this.fail(e, "index write"); // reported once, as every failure that takes the log offline
    }
  }

  private checkReadable(): void {
    if (this.failure !== null) {
      throw new KafkaError(ErrorCode.KAFKA_STORAGE_ERROR, `log ${this.name} is offline`, {
        cause: this.failure,
      });
    }
    if (this.closed) throw new KafkaError(ErrorCode.NOT_LEADER_OR_FOLLOWER, `log ${this.name} is closed`);
  }

  private checkWritable(): void {
    this.checkReadable();
  }

  /**
   * Changes of the leader-epoch history write its checkpoint: a disk error there takes the log (and
   * its dir) offline; anything else is a bug and goes up as it is.
   */
  private guardEpochCache(action: () => void): void {
    try {
      action();
    } catch (e) {
      if (isIoError(e)) throw this.fail(e, "leader epoch checkpoint");
      throw e;
    }
  }

  private guardIo<T>(what: string, action: () => T): T {
    try {
      return action();
    } catch (e) {
      if (e instanceof KafkaError || e instanceof StorageError) {
        if (e instanceof StorageError && e.code === "BRK_ERR_STORAGE_CORRUPT") throw e;
        if (e instanceof KafkaError) throw e;
      }
      throw this.fail(e, what);
    }
  }

  /**
   * Marks the log offline after an I/O error: every later call fails with KAFKA_STORAGE_ERROR. A
   * failure of the disk (isIoError) takes the whole log dir offline (env.onIoError), as Kafka's
   * LogDirFailureChannel does; anything else (a bug) only this log.
   */
  private fail(cause: unknown, what: string): KafkaError {
    if (this.failure === null) {
      this.failure = cause;
      this.env.onBackgroundError(cause, `${what} on ${this.name}`);
      if (isIoError(cause)) this.env.onIoError(cause, `${what} on ${this.name}`);
    }
    return new KafkaError(ErrorCode.KAFKA_STORAGE_ERROR, `${what} failed on ${this.name}`, { cause });
  }

  /**
   * The log dir went offline (`cause`, reported already): this log serves nothing more and fails
   * every call with KAFKA_STORAGE_ERROR. Its files are left as they are; restart recovers them.
   */
  markOffline(cause: unknown): void {
    if (this.failure === null) this.failure = cause;
    this.tail.clear();
  }

  /** Background work on this log (the cleaner) met `error`: an I/O error takes the log dir offline. */
  reportBackgroundError(error: unknown, what: string): void {
    if (isIoError(error)) this.fail(error, what);
  }

  /** @internal the env of the log's dir (the cleaner writes its segments through it). */
  get storageEnv(): StorageEnv {
    return this.env;
  }

  /** What took the log offline, or null. */
  get offlineCause(): unknown {
    return this.failure;
  }

  private checkInvariants(): void {
    assert(
      this.startOffset <= this.endOffset,
      () => `log start ${this.startOffset} above log end ${this.endOffset}`,
    );
    assert(this.recoveryOffset <= this.endOffset, "recovery point above log end");
    assert(
      this.highWatermarkOffset >= this.startOffset && this.highWatermarkOffset <= this.endOffset,
      "high watermark out of range",
    );
    assert(this.segments.length > 0, "a log always has an active segment");
    for (let i = 1; i < this.segments.length; i++) {
      assert(
        (this.segments[i - 1] as LogSegment).baseOffset < (this.segments[i] as LogSegment).baseOffset,
        "segment base offsets ascend",
      );
    }
    assert(this.activeSegment.baseOffset <= this.endOffset, "active segment starts after the log end");
  }
}

/** Rewrites base offsets and leader epochs (and LogAppendTime) of each batch in place. */
function stampBatches(records: Buffer, firstOffset: number, leaderEpoch: number, logAppendTime: bigint) {
  let next = firstOffset;
  let maxTimestamp = -1;
  let offsetOfMaxTimestamp = -1;
  for (let at = 0; at < records.length; at += batchSizeBytes(records, at)) {
    batchSetBaseOffsetNumber(records, next, at);
    batchSetPartitionLeaderEpoch(records, leaderEpoch, at);
    if (logAppendTime >= 0n) batchSetLogAppendTime(records, logAppendTime, at);
    const last = next + batchLastOffsetDelta(records, at);
    const ts = batchMaxTimestampNumber(records, at);
    if (ts > maxTimestamp) {
      maxTimestamp = ts;
      offsetOfMaxTimestamp = last;
    }
    next = last + 1;
  }
  return { nextOffset: next, maxTimestamp, offsetOfMaxTimestamp };
}

function retentionView(segment: LogSegment): RetentionSegment {
  return {
    baseOffset: segment.baseOffset,
    sizeBytes: segment.sizeBytes,
    get largestTimestampMs(): number {
      const max = segment.maxTimestampAndOffset().timestamp;
      return max >= 0n ? Number(max) : statSync(segment.file.path).mtimeMs;
    },
  };
}
