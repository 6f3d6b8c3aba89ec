import { rmSync } from "node:fs";
import { assert } from "../base/index.js";
import {
  batchBaseOffset,
  batchIsControl,
  batchIsTransactional,
  batchLastOffsetDelta,
  batchProducerId,
  decodeRecordBatch,
  encodeRecordBatch,
  type Record,
  type RecordBatch,
} from "../protocol/index.js";
import { scanBatches } from "./batch-scan.js";
import { cleanableRange, isCleanable } from "./cleanable-range.js";
import { CleanedTransactions } from "./cleaned-transactions.js";
import { fsyncDirectorySync } from "./durable-file.js";
import type { Log, ProducerLastRecord } from "./log.js";
import { segmentSize } from "./log-config.js";
import { LogSegment } from "./log-segment.js";
import { OffsetMap } from "./offset-map.js";
import {
  CLEANED_FILE_SUFFIX,
  SWAP_FILE_SUFFIX,
  segmentFilePath,
  TXN_INDEX_FILE_SUFFIX,
} from "./segment-files.js";
import type { StorageEnv } from "./storage-env.js";
import { type AbortedTxn, writeAbortedTxnsFile } from "./transaction-index.js";

/**
 * Log compaction (Kafka's LogCleaner), for logs with cleanup.policy containing `compact`.
 *
 * One pass over a log: (1) map every key of the dirty range to the offset of its latest record,
 * skipping the data of aborted transactions; (2) rewrite the non-active segments below the end of
 * that range, in groups that fit one segment, keeping a record only if no later record of its key
 * is in the map, dropping tombstones whose delete horizon passed, and giving batches that keep
 * tombstones a delete horizon of now + delete.retention.ms (KIP-534); batches keep their offsets
 * (base offset and lastOffsetDelta), producer fields and compression; (3) swap each cleaned group
 * in atomically: written as `.cleaned` (with its `.txnindex`) and fsynced, renamed `.swap`, old
 * segments renamed `.deleted`, `.swap` renamed to the final name. A crash at any step is finished
 * or undone by the loader.
 *
 * Transactions (Kafka's rules, see CleanedTransactions): the data of aborted transactions goes in
 * one pass; data of committed ones is compacted like any other. A marker stays while its
 * transaction may still have batches in the log; after that the pass gives it a delete horizon,
 * and a pass after the horizon removes it. The batch holding a remembered producer's last data
 * offset (or, if it has none, its last marker) is kept, emptied of what may go, so its sequence
 * and epoch survive for the producer-state rebuild; so is the batch just below the first
 * uncleanable offset, as Kafka keeps it. The cleaned segment's `.txnindex` holds the aborted
 * transactions whose markers it keeps and which still had batches in it.
 *
 * The pass yields to the event loop every `cleanerYieldBytes` and gives up (deleting its
 * `.cleaned` files) if the log is truncated, closed or loses the segments being cleaned meanwhile.
 * Records without a key are dropped, as Kafka does.
 */
export interface LogCleanResult {
  log: Log;
  firstDirtyOffset: bigint;
  /** The new cleaner checkpoint: records below it are compacted. */
  cleanedUpTo: bigint;
  segmentsCleaned: number;
  bytesRead: number;
  bytesWritten: number;
  recordsRemoved: number;
}

/** Where a test may stop a pass, to play a crash during the swap. */
export type CleanerCrashPoint = "cleaned-written" | "swap-renamed" | "old-deleted";

export class CleanerCrashForTest extends Error {}

/** Largest payload one cleaned batch may decompress to. */
const CLEANER_DECOMPRESSED_BYTES_MAX = 256 * 1024 * 1024;
const INT32_MAX = 0x7fffffffn;

interface Job {
  log: Log;
  aborted: boolean;
  truncations: number;
  nowMs: number;
  stats: LogCleanResult;
  /** The earliest delete horizon of a kept batch with something to remove at it. */
  minRetainedHorizonMs: number | null;
  /** Where the offset map's range ends: records from here on are kept as they are (Kafka's pastLatestOffset). */
  mapEnd: bigint;
  /** The first uncleanable offset: the batch that ends just below it is kept (maybe empty). */
  upperBound: bigint;
  /** Transactions met while cleaning, carried from group to group. */
  txns: CleanedTransactions;
  /** Per producer, what must survive of it; read once per group, as Kafka does. */
  lastRecords: ReadonlyMap<bigint, ProducerLastRecord>;
}

/** What becomes of a batch (Kafka's BatchRetention). */
type BatchRetention = "delete" | "delete-empty" | "retain-empty";

export class LogCleaner {
  private readonly env: StorageEnv;
  private job: Job | null = null;
  private stopped = false;
  /** Per log: when the earliest delete horizon of a kept tombstone or marker passes. */
  private readonly tombstonesDueMs = new WeakMap<Log, number>();
  crashPointForTest: CleanerCrashPoint | null = null;

  constructor(env: StorageEnv) {
    this.env = env;
  }

  abort(log: Log): void {
    if (this.job?.log === log) this.job.aborted = true;
  }

  abortAll(): void {
    this.stopped = true;
    if (this.job !== null) this.job.aborted = true;
  }

  /** Cleans the compacted log with the highest dirty ratio among those due; null when none is. */
  async cleanFilthiestLog(logs: readonly Log[], nowMs: number): Promise<LogCleanResult | null> {
    let best: { log: Log; ratio: number } | null = null;
    for (const log of logs) {
      if (log.isOffline) continue;
      const range = cleanableRange(log, nowMs, this.tombstonesDueMs.get(log) ?? null);
      if (!isCleanable(log, range)) continue;
      const ratio = range.tombstonesDue ? 2 : range.dirtyRatio;
      if (best === null || ratio > best.ratio) best = { log, ratio };
    }
    return best === null ? null : this.clean(best.log, nowMs);
  }

  /** One cleaning pass over `log` regardless of its dirty ratio (still honouring the lags). */
  async clean(log: Log, nowMs: number): Promise<LogCleanResult | null> {
    if (this.stopped || this.job !== null || log.isOffline) return null;
    const range = cleanableRange(log, nowMs, this.tombstonesDueMs.get(log) ?? null);
    const job: Job = {
      log,
      aborted: false,
      truncations: log.truncationCount,
      nowMs,
      minRetainedHorizonMs: null,
      mapEnd: range.firstDirtyOffset,
      upperBound: range.firstUncleanableOffset,
      txns: new CleanedTransactions(),
      lastRecords: new Map(),
      stats: {
        log,
        firstDirtyOffset: range.firstDirtyOffset,
        cleanedUpTo: range.firstDirtyOffset,
        segmentsCleaned: 0,
        bytesRead: 0,
        bytesWritten: 0,
        recordsRemoved: 0,
      },
    };
    this.job = job;
    try {
      const map = new OffsetMap(
        this.env.limits.cleanerOffsetMapKeysMax,
        this.env.limits.cleanerOffsetMapBytesMax,
      );
      const end = await this.buildOffsetMap(job, map, range.firstDirtyOffset, range.firstUncleanableOffset);
      if (end === null) return null;
      if (end === range.firstDirtyOffset && !range.tombstonesDue) return null;
      job.mapEnd = end;
      for (const group of groupSegments(log, end)) {
        if (!(await this.cleanGroup(job, group, map))) return null;
      }
      log.cleanerCheckpoint = end;
      job.stats.cleanedUpTo = end;
      if (job.minRetainedHorizonMs === null) this.tombstonesDueMs.delete(log);
      else this.tombstonesDueMs.set(log, job.minRetainedHorizonMs);
      return job.stats;
    } catch (error) {
      // A disk error while cleaning takes the log's dir offline, as Kafka's cleaner does.
      if (!(error instanceof CleanerCrashForTest)) log.reportBackgroundError(error, "log cleaning");
      throw error;
    } finally {
      this.job = null;
    }
  }

  private valid(job: Job, segments: readonly LogSegment[]): boolean {
    const log = job.log;
    if (job.aborted || log.isOffline || log.truncationCount !== job.truncations) return false;
    return segments.every((s) => log.segmentList.includes(s));
  }

  /**
   * Maps keys of [from, to) to their latest offsets, leaving out aborted transactions' data;
   * returns where the map stopped (null: aborted).
   */
  private async buildOffsetMap(job: Job, map: OffsetMap, from: bigint, to: bigint): Promise<bigint | null> {
    const txns = new CleanedTransactions();
    txns.addAborted(job.log.abortedTransactions(from, to));
    const segments = job.log.segmentList.filter((s, i, all) => {
      const next = all[i + 1];
      return next !== undefined && s.baseOffset < to && next.baseOffset > from;
    });
    for (const segment of segments) {
      let position = segment.indexLookup(from);
      while (position < segment.sizeBytes) {
        let stopAt: bigint | null = null;
        let bytes = 0;
        const result = scanBatches(
          segment.file.readFd(),
          position,
          segment.sizeBytes,
          this.env.limits.scanChunkBytes,
          true,
          (buf, at, _pos, size) => {
            if (bytes >= this.env.limits.cleanerYieldBytes) return false;
            bytes += size;
            const base = batchBaseOffset(buf, at);
            if (base >= to) {
              stopAt = to;
              return false;
            }
            const last = base + BigInt(batchLastOffsetDelta(buf, at));
            const producerId = batchProducerId(buf, at);
            if (batchIsControl(buf, at)) {
              txns.onControlBatch(producerId, last, controlTypeOf(decodeRecordBatch(buf, at).records));
              return true;
            }
            if (txns.onDataBatch(producerId, batchIsTransactional(buf, at), last)) return true;
            if (last < from) return true;
            const records = decodeRecordBatch(buf, at, {
              decompressedBytesMax: CLEANER_DECOMPRESSED_BYTES_MAX,
            }).records;
            const keyBytes = records.reduce((n, r) => n + (r.key?.length ?? 0), 0);
            if (!map.hasRoomFor(records.length, keyBytes)) {
              stopAt = base > from ? base : from;
              return false;
            }
            for (const r of records)
              if (r.key !== null && r.offset >= from && r.offset < to) map.put(r.key, Number(r.offset));
            return true;
          },
        );
        job.stats.bytesRead += bytes;
        if (stopAt !== null) return stopAt;
        position = result.position;
        if (result.stop !== "visitor") break;
        await yieldToEventLoop();
        if (!this.valid(job, [segment])) return null;
      }
    }
    return to;
  }

  /** Rewrites one group of segments into one and swaps it in; false when the pass must stop. */
  private async cleanGroup(job: Job, group: readonly LogSegment[], map: OffsetMap): Promise<boolean> {
    const log = job.log;
    const first = group[0] as LogSegment;
    const settings = {
      indexIntervalBytes: log.config.indexIntervalBytes,
      segmentIndexBytes: log.config.segmentIndexBytes,
    };
    const cleaned = LogSegment.create(
      log.storageEnv,
      log.dir,
      first.baseOffset,
      settings,
      job.nowMs,
      0,
      CLEANED_FILE_SUFFIX,
    );
    const discard = () => {
      cleaned.close();
      for (const path of cleaned.filePaths()) rmSync(path, { force: true });
    };
    // The markers of [first base, end) are what the cleaned segment's index speaks for.
    const end = segmentAfter(log, group).baseOffset;
    job.lastRecords = log.producerLastRecords();
    try {
      for (let i = 0; i < group.length; i++) {
        const segment = group[i] as LogSegment;
        // The whole segment's range: the cleaned index is rebuilt from what the walk meets.
        const upper = group[i + 1]?.baseOffset ?? segment.nextOffset();
        job.txns.addAborted(log.abortedTransactions(segment.baseOffset, upper));
        if (!(await this.copyRetained(job, segment, cleaned, map, group))) {
          discard();
          return false;
        }
      }
      const kept = job.txns.takeRetained();
      if (kept.length > 0)
        writeAbortedTxnsFile(
          segmentFilePath(log.dir, first.baseOffset, TXN_INDEX_FILE_SUFFIX, CLEANED_FILE_SUFFIX),
          kept,
        );
      cleaned.seal();
      await cleaned.flushAsync();
      if (!this.valid(job, group)) {
        discard();
        return false;
      }
      this.swap(job, group, cleaned, end, kept);
      job.stats.segmentsCleaned += group.length;
      return true;
    } catch (e) {
      // A played crash leaves the files as they are; only the descriptor is let go.
      if (e instanceof CleanerCrashForTest) cleaned.closeHandlers();
      else discard();
      throw e;
    }
  }

  private async copyRetained(
    job: Job,
    segment: LogSegment,
    cleaned: LogSegment,
    map: OffsetMap,
    group: readonly LogSegment[],
  ): Promise<boolean> {
    let position = 0;
    while (position < segment.sizeBytes) {
      let bytes = 0;
      const result = scanBatches(
        segment.file.readFd(),
        position,
        segment.sizeBytes,
        this.env.limits.scanChunkBytes,
        true,
        (buf, at, _pos, size) => {
          if (bytes >= this.env.limits.cleanerYieldBytes) return false;
          bytes += size;
          const kept = this.filterBatch(job, buf.subarray(at, at + size), map);
          if (kept !== null) {
            cleaned.append(kept);
            job.stats.bytesWritten += kept.length;
          }
          return true;
        },
      );
      job.stats.bytesRead += bytes;
      assert(
        result.stop === "visitor" || result.stop === "end",
        () => `segment ${segment.file.path} is malformed at ${result.position}`,
      );
      position = result.position;
      await yieldToEventLoop();
      if (!this.valid(job, group)) return false;
      if (result.stop === "end") break;
    }
    return true;
  }

  /**
   * The batch as it should be kept: itself, a rewritten copy (fewer records, a new delete horizon,
   * or none at all: an empty batch), or null when nothing remains (Kafka's filterTo with the
   * cleaner's filter).
   */
  private filterBatch(job: Job, batch: Buffer, map: OffsetMap): Buffer | null {
    const decoded = decodeRecordBatch(batch, 0, { decompressedBytesMax: CLEANER_DECOMPRESSED_BYTES_MAX });
    const last = decoded.baseOffset + BigInt(decoded.lastOffsetDelta);
    const horizon = decoded.deleteHorizonMs;
    const now = BigInt(job.nowMs);
    const canDiscard = decoded.isControl
      ? job.txns.onControlBatch(decoded.producerId, last, controlTypeOf(decoded.records))
      : job.txns.onDataBatch(decoded.producerId, decoded.isTransactional, last);
    // A marker waits out its delete horizon; aborted data goes at once.
    const discardRecords = decoded.isControl ? canDiscard && horizon !== null && horizon <= now : canDiscard;
    const retention = batchRetention(job, decoded, last, discardRecords);
    if (retention === "delete") {
      job.stats.recordsRemoved += decoded.records.length;
      return null;
    }
    const retained = discardRecords
      ? []
      : decoded.isControl
        ? decoded.records
        : decoded.records.filter((r) => retain(r, map, job.mapEnd, horizon, job.nowMs));
    job.stats.recordsRemoved += decoded.records.length - retained.length;
    if (retained.length === 0) return retention === "retain-empty" ? emptyBatch(decoded) : null;
    const hasTombstones = retained.some((r) => r.value === null);
    const markerForEmptyTxn = canDiscard && decoded.isControl;
    const needsHorizon = (hasTombstones || markerForEmptyTxn) && horizon === null;
    const newHorizon = needsHorizon ? now + BigInt(job.log.config.deleteRetentionMs) : horizon;
    // Schedule the pass that removes what waits for the horizon (Brook's trigger; Kafka waits for dirt).
    if (
      newHorizon !== null &&
      newHorizon > now &&
      (hasTombstones || markerForEmptyTxn) &&
      (job.minRetainedHorizonMs === null || Number(newHorizon) < job.minRetainedHorizonMs)
    ) {
      job.minRetainedHorizonMs = Number(newHorizon);
    }
    if (retained.length === decoded.records.length && !needsHorizon) return batch;
    return encodeRecordBatch({
      records: retained,
      baseOffset: decoded.baseOffset,
      partitionLeaderEpoch: decoded.partitionLeaderEpoch,
      compression: decoded.compression,
      timestampType: decoded.timestampType,
      isTransactional: decoded.isTransactional,
      isControl: decoded.isControl,
      producerId: decoded.producerId,
      producerEpoch: decoded.producerEpoch,
      baseSequence: decoded.baseSequence,
      lastOffsetDelta: decoded.lastOffsetDelta,
      deleteHorizonMs: newHorizon,
      ...(decoded.timestampType === "LogAppendTime" ? { maxTimestamp: decoded.maxTimestamp } : {}),
    });
  }

  /**
   * `.cleaned` -> `.swap`, old segments -> `.deleted`, `.swap` -> final name; no await inside. The
   * aborted transactions of markers in [group base, end) become `kept`, as the new `.txnindex` says.
   */
  private swap(
    job: Job,
    group: readonly LogSegment[],
    cleaned: LogSegment,
    end: bigint,
    kept: readonly AbortedTxn[],
  ): void {
    const log = job.log;
    if (this.crashPointForTest === "cleaned-written")
      throw new CleanerCrashForTest("after .cleaned was written");
    cleaned.renameSuffix(SWAP_FILE_SUFFIX);
    fsyncDirectorySync(log.dir);
    if (this.crashPointForTest === "swap-renamed") throw new CleanerCrashForTest("after .swap rename");
    log.discardSegments(group);
    fsyncDirectorySync(log.dir);
    if (this.crashPointForTest === "old-deleted")
      throw new CleanerCrashForTest("after old segments were deleted");
    cleaned.renameSuffix("");
    fsyncDirectorySync(log.dir);
    log.replaceSegments(group, cleaned);
    log.abortedTransactionsCleaned(cleaned.baseOffset, end, kept);
  }
}

/**
 * Kafka's checkBatchRetention: the last batch of a remembered producer stays (emptied if need be)
 * so that its sequence, or the epoch of its last marker, survives; so does the batch ending just
 * below the first uncleanable offset, so that the log's last offset below it survives too.
 */
function batchRetention(job: Job, batch: RecordBatch, last: bigint, discardRecords: boolean): BatchRetention {
  if (batch.producerId >= 0n && isLastOfProducer(job.lastRecords.get(batch.producerId), batch, last))
    return "retain-empty";
  if (last + 1n === job.upperBound) return "retain-empty";
  return discardRecords ? "delete" : "delete-empty";
}

function isLastOfProducer(
  lastRecord: ProducerLastRecord | undefined,
  batch: RecordBatch,
  last: bigint,
): boolean {
  if (lastRecord === undefined) return false;
  if (lastRecord.lastDataOffset >= 0n) return last === lastRecord.lastDataOffset;
  return batch.isControl && batch.producerEpoch === lastRecord.producerEpoch;
}

/** The batch's header without records (Kafka's writeEmptyHeader): offsets, producer fields, flags. */
function emptyBatch(batch: RecordBatch): Buffer {
  return encodeRecordBatch({
    records: [],
    baseOffset: batch.baseOffset,
    partitionLeaderEpoch: batch.partitionLeaderEpoch,
    timestampType: batch.timestampType,
    isTransactional: batch.isTransactional,
    isControl: batch.isControl,
    producerId: batch.producerId,
    producerEpoch: batch.producerEpoch,
    baseSequence: batch.baseSequence,
    lastOffsetDelta: batch.lastOffsetDelta,
    baseTimestamp: batch.maxTimestamp,
    maxTimestamp: batch.maxTimestamp,
  });
}

/** The control record type of a control batch's records (Kafka reads the first), null when empty. */
function controlTypeOf(records: readonly Record[]): number | null {
  const key = records[0]?.key;
  if (records.length === 0) return null;
  return key === null || key === undefined || key.length < 4 ? -1 : key.readInt16BE(2);
}

/** The segment right after `group` (there is one: groups never hold the active segment). */
function segmentAfter(log: Log, group: readonly LogSegment[]): LogSegment {
  const segments = log.segmentList;
  const next = segments[segments.indexOf(group[group.length - 1] as LogSegment) + 1];
  assert(next !== undefined, "a cleaned group is followed by a segment");
  return next;
}

/**
 * Kafka's shouldRetainRecord: past the map's range everything stays (a tombstone there may belong
 * to a transaction still open: it must outlive the values it deletes, which the map cannot judge
 * yet); below it, the latest record of its key stays, a tombstone only until its horizon.
 */
function retain(
  record: Record,
  map: OffsetMap,
  mapEnd: bigint,
  horizon: bigint | null,
  nowMs: number,
): boolean {
  if (record.offset >= mapEnd) return true;
  if (record.key === null) return false;
  const latest = map.get(record.key);
  if (latest !== undefined && Number(record.offset) < latest) return false;
  if (record.value === null && horizon !== null && BigInt(nowMs) >= horizon) return false;
  return true;
}

/**
 * The non-active segments below `end`, in consecutive groups that fit one segment: total size
 * within the segment size, offsets within an int32 of the group's base (Kafka's groupSegmentsBySize).
 */
function groupSegments(log: Log, end: bigint): LogSegment[][] {
  const segments = log.segmentList.slice(0, -1).filter((s) => s.baseOffset < end);
  const groups: LogSegment[][] = [];
  let current: LogSegment[] = [];
  let bytes = 0;
  for (const segment of segments) {
    const base = current[0]?.baseOffset;
    const fits =
      base !== undefined &&
      bytes + segment.sizeBytes <= segmentSize(log.config) &&
      segment.nextOffset() - 1n - base <= INT32_MAX;
    if (!fits && current.length > 0) {
      groups.push(current);
      current = [];
      bytes = 0;
    }
    current.push(segment);
    bytes += segment.sizeBytes;
  }
  if (current.length > 0) groups.push(current);
  return groups;
}

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
