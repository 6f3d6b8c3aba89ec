import {
  closeSync,
  existsSync,
  fdatasync,
  fdatasyncSync,
  fstatSync,
  fsync,
  fsyncSync,
  ftruncateSync,
  openSync,
  readFileSync,
  renameSync,
  writeFileSync,
} from "node:fs";
import { assert } from "../base/index.js";
import {
  BATCH_HEADER_BYTES,
  batchBaseOffset,
  batchLastOffsetDelta,
  batchSizeBytes,
} from "../protocol/index.js";
import { batchBaseOffsetNumber, batchMaxTimestampNumber } from "./batch-offsets.js";
import { BATCH_OFFSETS_PREFIX_BYTES, checkStoredBatch, framedBatchSize, scanBatches } from "./batch-scan.js";
import { fsyncDirectorySync } from "./durable-file.js";
import type { FileHandlePool } from "./file-handles.js";
import { PooledFile } from "./file-handles.js";
import { readAtSync, readIntoSync } from "./file-read.js";
import type { IndexBudget, IndexHolder } from "./index-budget.js";
import { OFFSET_INDEX_ENTRY_BYTES, OffsetIndex } from "./offset-index.js";
import {
  INDEX_FILE_SUFFIX,
  LOG_FILE_SUFFIX,
  segmentFilePath,
  TIME_INDEX_FILE_SUFFIX,
  TXN_INDEX_FILE_SUFFIX,
} from "./segment-files.js";
import type { WriteChannel } from "./segment-writer.js";
import { StorageError } from "./storage-error.js";
import type { StorageLimits } from "./storage-limits.js";
import { TIME_INDEX_ENTRY_BYTES, TimeIndex, type TimestampOffset } from "./time-index.js";

/**
 * One segment of a partition log: `<base>.log` holding record batches exactly as stored, with its
 * sparse `<base>.index` and `<base>.timeindex` (see offset-index.ts and time-index.ts).
 *
 * Invariants: batches in the file are whole v2 batches with increasing offsets, all at or above
 * `baseOffset`, and `lastOffset - baseOffset` fits an int32; `sizeBytes` is the end of the last
 * batch (the file may be longer only while preallocated). Only the active segment (the last one)
 * is appended to; a sealed segment changes only by truncation or replacement.
 *
 * Indexes are held in memory while used: always for the active segment, on demand for sealed ones
 * (bounded by the IndexBudget). Their files follow Kafka's: while the segment is active (and
 * unsealed `.cleaned` ones) they exist at their preallocated length (`segment.index.bytes` rounded
 * down to whole entries; sparse, so the zeros take no disk), with the entries written in place,
 * and they are trimmed to their entries when the segment is sealed or closed. In between, entries
 * reach the file in groups of INDEX_WRITE_ENTRIES, and all of them at every flush and background
 * tick, through the segment writer behind the log bytes they point to, so that an entry in a file
 * never points past the data in the log file. Those writes are not fsynced: an active segment's
 * index files are never trusted after a crash (recovery always re-checks the segment holding the
 * recovery point and those after it, and rebuilds their indexes, as Kafka does). Trimmed files of
 * sealed segments are trusted on load after a sanity check, which a preallocated zero tail fails.
 *
 * Async safety: all methods are synchronous except `flushAsync`, which pins the file descriptor so
 * that the handle pool cannot close it during the fsync.
 */
export interface SegmentEnv {
  readonly handles: FileHandlePool;
  /** The log dir's write channel: its segments' appends go through it (segment-writer.ts). */
  readonly writes: WriteChannel;
  readonly indexBudget: IndexBudget;
  readonly limits: StorageLimits;
}

export interface SegmentSettings {
  readonly indexIntervalBytes: number;
  readonly segmentIndexBytes: number;
}

export interface BatchLocation {
  position: number;
  sizeBytes: number;
  baseOffset: bigint;
  lastOffset: bigint;
}

export interface SegmentRecovery {
  validBytes: number;
  truncatedBytes: number;
}

/** Bytes scanned per read when walking batch headers (index rebuild tails, timestamp lookups). */
const LOCATE_CHUNK_BYTES = 64 * 1024;
/** Bytes read at once to find a batch from an index entry: one read covers an index interval. */
const LOCATE_READ_BYTES = 8 * 1024;
const locateScratch = Buffer.allocUnsafeSlow(LOCATE_READ_BYTES);
const INT32_MAX = 0x7fffffff;
/**
 * Index entries of the active segment reach its files in groups of this many: two small writes
 * per group instead of two per append that adds an entry (about 0.5 us each here, against 4 us for
 * the page-cache write of a 16 KiB append). Flushes, the background tick, sealing and closing
 * write the rest.
 */
const INDEX_WRITE_ENTRIES = 32;

export class LogSegment implements IndexHolder {
  readonly dir: string;
  readonly baseOffset: bigint;
  readonly createdMs: number;
  readonly file: PooledFile;
  private readonly offsetIndexFile: PooledFile;
  private readonly timeIndexFile: PooledFile;
  sizeBytes: number;
  sealed: boolean;
  /** The file suffix after the segment suffixes: "", ".deleted", ".cleaned" or ".swap". */
  extraSuffix = "";
  settings: SegmentSettings;
  private readonly env: SegmentEnv;
  private offsetIndex: OffsetIndex | null = null;
  private timeIndex: TimeIndex | null = null;
  /** The files are not a trimmed copy of the entries in memory (always so while preallocated). */
  private indexFilesStale = true;
  private indexFilesSynced = false;
  /** The index files are at their preallocated length and entries go in place (an active segment). */
  private indexFilesPreallocated = false;
  /** Entries of each index handed to the writer for the preallocated file, leading ones. */
  private offsetEntriesWritten = 0;
  private timeEntriesWritten = 0;
  private logSynced = false;
  private dirEntrySynced = false;
  private writeCount = 0;
  private bytesSinceLastIndexEntry = 0;
  /** The base offset as a number, for allocation-free arithmetic on the append path. */
  private readonly baseNumber: number;
  /**
   * Facts about the data, kept when the indexes are dropped; null until learned. Offsets are
   * relative to the base offset: the largest timestamp and the last offset of its batch, and the
   * next offset.
   */
  private maxTimestamp: number | null = null;
  private maxTimestampRelOffset = 0;
  private nextRelOffset: number | null = null;
  private firstBatchTimestamp: number | null | undefined = undefined;

  private constructor(
    env: SegmentEnv,
    dir: string,
    baseOffset: bigint,
    sizeBytes: number,
    settings: SegmentSettings,
    nowMs: number,
    sealed: boolean,
  ) {
    this.env = env;
    this.dir = dir;
    this.baseOffset = baseOffset;
    this.sizeBytes = sizeBytes;
    this.settings = settings;
    this.createdMs = nowMs;
    this.sealed = sealed;
    this.baseNumber = Number(baseOffset);
    this.file = new PooledFile(env.handles, env.writes, this.pathFor(LOG_FILE_SUFFIX));
    this.offsetIndexFile = new PooledFile(env.handles, env.writes, this.pathFor(INDEX_FILE_SUFFIX));
    this.timeIndexFile = new PooledFile(env.handles, env.writes, this.pathFor(TIME_INDEX_FILE_SUFFIX));
  }

  /**
   * Creates an empty segment: its log file and both index files, preallocated (replacing leftover
   * files of the same name, as Kafka's roll does).
   */
  static create(
    env: SegmentEnv,
    dir: string,
    baseOffset: bigint,
    settings: SegmentSettings,
    nowMs: number,
    preallocateBytes = 0,
    extraSuffix = "",
  ): LogSegment {
    const segment = new LogSegment(env, dir, baseOffset, 0, settings, nowMs, false);
    segment.useSuffix(extraSuffix);
    createFileOfLength(segment.file.path, preallocateBytes);
    segment.emptyIndexes();
    segment.resetDataFacts();
    segment.preallocateIndexFiles();
    return segment;
  }

  /** An existing segment of `sizeBytes` bytes; indexes load on first use. */
  static open(
    env: SegmentEnv,
    dir: string,
    baseOffset: bigint,
    sizeBytes: number,
    settings: SegmentSettings,
    nowMs: number,
    sealed: boolean,
  ): LogSegment {
    const segment = new LogSegment(env, dir, baseOffset, sizeBytes, settings, nowMs, sealed);
    segment.indexFilesStale = false;
    segment.indexFilesSynced = true;
    segment.logSynced = true;
    segment.dirEntrySynced = true;
    return segment;
  }

  pathFor(suffix: string, extra = this.extraSuffix): string {
    return segmentFilePath(this.dir, this.baseOffset, suffix, extra);
  }

  /** Names the segment's files with `extra` (".swap", ".cleaned", ...) without renaming them. */
  useSuffix(extra: string): void {
    this.extraSuffix = extra;
    this.file.path = this.pathFor(LOG_FILE_SUFFIX);
    this.offsetIndexFile.path = this.pathFor(INDEX_FILE_SUFFIX);
    this.timeIndexFile.path = this.pathFor(TIME_INDEX_FILE_SUFFIX);
  }

  get isDurable(): boolean {
    return (
      this.logSynced &&
      this.dirEntrySynced &&
      (!this.sealed || (!this.indexFilesStale && this.indexFilesSynced))
    );
  }

  // ---- appending -------------------------------------------------------------------------------

  /**
   * Appends whole batches (offsets already assigned) with one write, queued to the writer thread
   * (segment-writer.ts), and indexes them as Kafka does. Returns the write's sequence number, 0 when
   * it is already in the file; the caller must not count the batches as written before that.
   * `now` writes it at once (after the queued writes) whatever the writer's policy.
   */
  append(records: Buffer, now = false): number {
    assert(!this.sealed, "append to a sealed segment");
    this.ensureIndexes();
    const position = this.sizeBytes;
    const firstRel = batchBaseOffsetNumber(records, 0) - this.baseNumber;
    assert(firstRel >= (this.nextRelOffset as number), "append below the end of the segment");
    let seq: number;
    try {
      seq = this.file.appendAt(records, position, now);
    } catch (e) {
      try {
        if (!this.env.writes.failed) ftruncateSync(this.file.writeFd(), position);
      } catch {
        // the log is marked offline by the caller; the torn tail is cut by recovery
      }
      throw new StorageError("BRK_ERR_STORAGE_IO", `append to ${this.file.path} failed: ${messageOf(e)}`, {
        cause: e,
      });
    }
    for (let at = 0; at < records.length; ) {
      const size = batchSizeBytes(records, at);
      const rel = batchBaseOffsetNumber(records, at) - this.baseNumber + batchLastOffsetDelta(records, at);
      this.indexBatch(position + at, size, rel, batchMaxTimestampNumber(records, at));
      at += size;
    }
    this.sizeBytes += records.length;
    this.writeCount++;
    this.logSynced = false;
    this.indexFilesStale = true;
    if ((this.offsetIndex as OffsetIndex).entries - this.offsetEntriesWritten >= INDEX_WRITE_ENTRIES)
      this.writeIndexEntries();
    return seq;
  }

  /** Whether `lastOffset` still fits this segment's relative offsets (int32). */
  canHoldOffset(lastOffset: bigint | number): boolean {
    return Number(lastOffset) - this.baseNumber <= INT32_MAX;
  }

  private resetDataFacts(): void {
    this.maxTimestamp = -1;
    this.maxTimestampRelOffset = 0;
    this.nextRelOffset = 0;
    this.firstBatchTimestamp = null;
  }

  /** Kafka's indexing rule, for the batch at `position` whose last offset is base + `rel`. */
  private indexBatch(position: number, sizeBytes: number, rel: number, batchMaxTimestamp: number): void {
    if (this.maxTimestamp === null || batchMaxTimestamp > this.maxTimestamp) {
      this.maxTimestamp = batchMaxTimestamp;
      this.maxTimestampRelOffset = rel;
    }
    if (this.firstBatchTimestamp === null) this.firstBatchTimestamp = batchMaxTimestamp;
    if (this.bytesSinceLastIndexEntry > this.settings.indexIntervalBytes) {
      (this.offsetIndex as OffsetIndex).appendRelative(rel, position);
      (this.timeIndex as TimeIndex).maybeAppendRelative(this.maxTimestamp, this.maxTimestampRelOffset);
      this.bytesSinceLastIndexEntry = 0;
    }
    this.bytesSinceLastIndexEntry += sizeBytes;
    this.nextRelOffset = rel + 1;
  }

  get offsetIndexIsFull(): boolean {
    this.ensureIndexes();
    return (this.offsetIndex as OffsetIndex).isFull || (this.timeIndex as TimeIndex).isFull;
  }

  // ---- indexes ---------------------------------------------------------------------------------

  /** Loads the index files (sanity-checked) or rebuilds them from the log. */
  ensureIndexes(): void {
    if (this.offsetIndex !== null && this.timeIndex !== null) {
      if (this.sealed) this.env.indexBudget.touch(this, this.indexMemoryBytes());
      return;
    }
    const loaded = this.loadIndexFiles();
    if (!loaded) {
      this.recover(() => {});
    } else {
      this.scanTailAfterIndex();
    }
    if (!this.sealed && !this.indexFilesPreallocated) this.preallocateIndexFiles();
    if (this.sealed) this.env.indexBudget.touch(this, this.indexMemoryBytes());
  }

  private indexMemoryBytes(): number {
    return (this.offsetIndex?.memoryBytes ?? 0) + (this.timeIndex?.memoryBytes ?? 0);
  }

  private loadIndexFiles(): boolean {
    const indexPath = this.pathFor(INDEX_FILE_SUFFIX);
    const timePath = this.pathFor(TIME_INDEX_FILE_SUFFIX);
    if (!existsSync(indexPath) || !existsSync(timePath)) {
      // An empty segment needs no rebuild, only its files (written when the segment is next saved).
      if (this.sizeBytes !== 0) return false;
      this.emptyIndexes();
      this.indexFilesStale = true;
      return true;
    }
    const offsetIndex = OffsetIndex.fromBytes(
      this.baseOffset,
      this.settings.segmentIndexBytes,
      readFileSync(indexPath),
      this.sizeBytes,
    );
    const timeIndex = TimeIndex.fromBytes(
      this.baseOffset,
      this.settings.segmentIndexBytes,
      readFileSync(timePath),
    );
    if (offsetIndex === null || timeIndex === null) return false;
    this.offsetIndex = offsetIndex;
    this.timeIndex = timeIndex;
    return true;
  }

  private emptyIndexes(): void {
    this.offsetIndex = new OffsetIndex(this.baseOffset, this.settings.segmentIndexBytes);
    this.timeIndex = new TimeIndex(this.baseOffset, this.settings.segmentIndexBytes);
  }

  /**
   * Learns what the index files do not say: the batches after the last offset-index entry (the
   * next offset, the tail's largest timestamp). A framing error there means the index files lied
   * about this log: the indexes are rebuilt instead.
   */
  private scanTailAfterIndex(): void {
    const offsetIndex = this.offsetIndex as OffsetIndex;
    const timeIndex = this.timeIndex as TimeIndex;
    const from = offsetIndex.lastPosition();
    const last = timeIndex.lastEntry();
    this.maxTimestamp = last === null ? -1 : Number(last.timestamp);
    this.maxTimestampRelOffset = last === null ? 0 : Number(last.offset - this.baseOffset);
    let nextRel = 0;
    let bytesSince = 0;
    const result = scanBatches(
      this.file.readFd(),
      from,
      this.sizeBytes,
      LOCATE_CHUNK_BYTES,
      false,
      (buf, at, _pos, size) => {
        const rel = batchBaseOffsetNumber(buf, at) - this.baseNumber + batchLastOffsetDelta(buf, at);
        const ts = batchMaxTimestampNumber(buf, at);
        if (ts > (this.maxTimestamp as number)) {
          this.maxTimestamp = ts;
          this.maxTimestampRelOffset = rel;
        }
        nextRel = rel + 1;
        bytesSince += size;
        return true;
      },
    );
    if (result.position !== this.sizeBytes) {
      this.offsetIndex = null;
      this.timeIndex = null;
      this.recover(() => {});
      return;
    }
    this.nextRelOffset = nextRel;
    this.bytesSinceLastIndexEntry = bytesSince;
  }

  /** Called by the IndexBudget: drop the in-memory indexes of this sealed segment. */
  dropIndexes(): void {
    if (!this.sealed || this.offsetIndex === null) return;
    if (this.indexFilesStale) this.writeIndexFiles();
    this.offsetIndex = null;
    this.timeIndex = null;
  }

  /** Writes a sealed segment's index files whole, trimmed to their entries. */
  private writeIndexFiles(): void {
    assert(!this.indexFilesPreallocated, "a preallocated index is trimmed, not rewritten");
    writeFileSync(this.pathFor(INDEX_FILE_SUFFIX), (this.offsetIndex as OffsetIndex).toBytes());
    writeFileSync(this.pathFor(TIME_INDEX_FILE_SUFFIX), (this.timeIndex as TimeIndex).toBytes());
    this.indexFilesStale = false;
    this.indexFilesSynced = false;
  }

  /** Brings the index files up to date with memory in the form they have (trimmed or preallocated). */
  private saveIndexFiles(): void {
    if (this.indexFilesPreallocated) this.trimIndexFiles();
    else if (this.indexFilesStale) this.writeIndexFiles();
  }

  /**
   * Gives the index files their preallocated length, as Kafka's while a segment is active: files
   * holding exactly the entries in memory (trimmed ones the indexes were loaded from) are extended
   * with zeros; others are created anew, zero-filled, and the entries written into them.
   */
  private preallocateIndexFiles(): void {
    const offsetIndex = this.offsetIndex as OffsetIndex;
    const timeIndex = this.timeIndex as TimeIndex;
    if (this.indexFilesStale) {
      this.offsetIndexFile.close();
      this.timeIndexFile.close();
      createFileOfLength(this.offsetIndexFile.path, offsetIndex.fileBytes);
      createFileOfLength(this.timeIndexFile.path, timeIndex.fileBytes);
      this.offsetEntriesWritten = 0;
      this.timeEntriesWritten = 0;
    } else {
      ftruncateSync(this.offsetIndexFile.writeFd(), offsetIndex.fileBytes);
      ftruncateSync(this.timeIndexFile.writeFd(), timeIndex.fileBytes);
      this.offsetEntriesWritten = offsetIndex.entries;
      this.timeEntriesWritten = timeIndex.entries;
    }
    this.indexFilesPreallocated = true;
    this.indexFilesStale = true;
    this.writeIndexEntries();
  }

  /**
   * Writes the entries only in memory into the preallocated index files, through the segment
   * writer: queued behind the appends whose batches they point to, or at once after them. `now`
   * writes at once whatever the writer's policy.
   */
  writeIndexEntries(now = false): void {
    if (!this.indexFilesPreallocated) return;
    const offsetIndex = this.offsetIndex as OffsetIndex;
    const timeIndex = this.timeIndex as TimeIndex;
    try {
      if (this.offsetEntriesWritten < offsetIndex.entries) {
        const at = this.offsetEntriesWritten * OFFSET_INDEX_ENTRY_BYTES;
        this.offsetIndexFile.appendAt(offsetIndex.toBytes(this.offsetEntriesWritten), at, now);
        this.offsetEntriesWritten = offsetIndex.entries;
      }
      if (this.timeEntriesWritten < timeIndex.entries) {
        const at = this.timeEntriesWritten * TIME_INDEX_ENTRY_BYTES;
        this.timeIndexFile.appendAt(timeIndex.toBytes(this.timeEntriesWritten), at, now);
        this.timeEntriesWritten = timeIndex.entries;
      }
    } catch (e) {
      throw new StorageError(
        "BRK_ERR_STORAGE_IO",
        `index write for ${this.file.path} failed: ${messageOf(e)}`,
        { cause: e },
      );
    }
  }

  /** Kafka's trimToValidSize, at seal and close: every entry written, the files cut to them. */
  private trimIndexFiles(): void {
    this.writeIndexEntries(true);
    ftruncateSync(this.offsetIndexFile.writeFd(), this.offsetEntriesWritten * OFFSET_INDEX_ENTRY_BYTES);
    ftruncateSync(this.timeIndexFile.writeFd(), this.timeEntriesWritten * TIME_INDEX_ENTRY_BYTES);
    // A sealed segment's index files are read whole when needed, not kept open.
    this.offsetIndexFile.close();
    this.timeIndexFile.close();
    this.indexFilesPreallocated = false;
    this.indexFilesStale = false;
    this.indexFilesSynced = false;
  }

  /**
   * After the indexes in memory were truncated: the file slots past them are zeroed (cut and
   * extended again), so that no entry in a file points past the truncated log.
   */
  private clipIndexFiles(): void {
    const offsetIndex = this.offsetIndex as OffsetIndex;
    const timeIndex = this.timeIndex as TimeIndex;
    if (this.offsetEntriesWritten > offsetIndex.entries) {
      const fd = this.offsetIndexFile.writeFd();
      ftruncateSync(fd, offsetIndex.entries * OFFSET_INDEX_ENTRY_BYTES);
      ftruncateSync(fd, offsetIndex.fileBytes);
      this.offsetEntriesWritten = offsetIndex.entries;
    }
    if (this.timeEntriesWritten > timeIndex.entries) {
      const fd = this.timeIndexFile.writeFd();
      ftruncateSync(fd, timeIndex.entries * TIME_INDEX_ENTRY_BYTES);
      ftruncateSync(fd, timeIndex.fileBytes);
      this.timeEntriesWritten = timeIndex.entries;
    }
  }

  // ---- recovery --------------------------------------------------------------------------------

  /**
   * Rebuilds the indexes by reading every batch with the full check (framing, CRC32C, offsets
   * increasing); truncates the file at the first batch that fails. `onBatch` sees each kept batch
   * (the log uses it to restore leader epochs). An unsealed segment's index files are created anew
   * from the rebuilt entries: what a crash left in them (a zero tail, entries past a torn batch) is
   * never read.
   */
  recover(onBatch: (buf: Buffer, at: number) => void): SegmentRecovery {
    const fd = this.file.writeFd();
    const fileBytes = fstatSync(fd).size;
    this.emptyIndexes();
    this.resetDataFacts();
    this.bytesSinceLastIndexEntry = 0;
    let nextMin = this.baseOffset;
    const result = scanBatches(
      fd,
      0,
      fileBytes,
      this.env.limits.scanChunkBytes,
      true,
      (buf, at, position, size) => {
        const batch = checkStoredBatch(buf, at, nextMin);
        if (batch === null || !this.canHoldOffset(batch.lastOffset)) return false;
        this.indexBatch(
          position,
          size,
          Number(batch.lastOffset - this.baseOffset),
          batchMaxTimestampNumber(buf, at),
        );
        nextMin = batch.lastOffset + 1n;
        onBatch(buf, at);
        return true;
      },
    );
    const validBytes = result.position;
    this.indexFilesStale = true;
    this.indexFilesPreallocated = false;
    // The new index files first (every entry points inside validBytes), then the log is cut.
    if (!this.sealed) this.preallocateIndexFiles();
    if (validBytes < fileBytes) ftruncateSync(this.file.writeFd(), validBytes);
    // What recovery kept may still be only in the page cache: a later flush must cover it.
    this.logSynced = false;
    this.sizeBytes = validBytes;
    this.writeCount++;
    return { validBytes, truncatedBytes: fileBytes - validBytes };
  }

  // ---- queries ---------------------------------------------------------------------------------

  /** The offset after the last batch (the base offset when empty). */
  nextOffset(): bigint {
    if (this.nextRelOffset === null) this.ensureIndexes();
    return this.baseOffset + BigInt(this.nextRelOffset as number);
  }

  /** The largest batch timestamp and the last offset of the batch that holds it (-1n when none). */
  maxTimestampAndOffset(): TimestampOffset {
    if (this.maxTimestamp === null) this.ensureIndexes();
    return {
      timestamp: BigInt(this.maxTimestamp as number),
      offset: this.baseOffset + BigInt(this.maxTimestampRelOffset),
    };
  }

  /** The max timestamp of the first batch, which segment.ms rolling counts from (Kafka's rule). */
  rollingBaseTimestamp(): number | null {
    if (this.firstBatchTimestamp === undefined) {
      this.firstBatchTimestamp = null;
      if (this.sizeBytes > 0) {
        const header = readAtSync(this.file.readFd(), 0, 61);
        if (header.length === 61) this.firstBatchTimestamp = batchMaxTimestampNumber(header, 0);
      }
    }
    return this.firstBatchTimestamp;
  }

  /**
   * The first batch whose last offset is at or above `offset`, or null when there is none: from
   * the offset index entry below it, reading headers a few kilobytes at a time (usually one read).
   */
  findBatch(offset: bigint, endPosition = this.sizeBytes): BatchLocation | null {
    let position = this.indexLookup(offset);
    const fd = this.file.readFd();
    while (position < endPosition) {
      const chunk = readIntoSync(
        fd,
        locateScratch,
        position,
        Math.min(LOCATE_READ_BYTES, endPosition - position),
      );
      let at = 0;
      while (at + BATCH_HEADER_BYTES <= chunk.length) {
        const size = framedBatchSize(chunk, at);
        if (size < 0) {
          throw new StorageError(
            "BRK_ERR_STORAGE_CORRUPT",
            `malformed batch at ${position + at} in ${this.file.path}`,
          );
        }
        const baseOffset = batchBaseOffset(chunk, at);
        const lastOffset = baseOffset + BigInt(batchLastOffsetDelta(chunk, at));
        if (lastOffset >= offset) return { position: position + at, sizeBytes: size, baseOffset, lastOffset };
        at += size;
      }
      if (at === 0) return null; // a torn header at the end: nothing more to find
      position += at;
    }
    return null;
  }

  /** Looks up where to start scanning for a timestamp: the time index, then the offset index. */
  lookupTimestampPosition(timestamp: bigint): number {
    this.ensureIndexes();
    const entry = (this.timeIndex as TimeIndex).lookup(timestamp);
    return (this.offsetIndex as OffsetIndex).lookup(entry.offset);
  }

  indexLookup(offset: bigint): number {
    this.ensureIndexes();
    return (this.offsetIndex as OffsetIndex).lookup(offset);
  }

  /** Reads into `target` when given (it must hold `length` bytes), else into a fresh buffer. */
  readBytes(position: number, length: number, target?: Buffer): Buffer {
    const bytes = Math.min(length, this.sizeBytes - position);
    if (target === undefined) return readAtSync(this.file.readFd(), position, bytes);
    return readIntoSync(this.file.readFd(), target, position, bytes);
  }

  // ---- changes ---------------------------------------------------------------------------------

  /** Removes the batches whose last offset is at or above `offset`; returns the bytes removed. */
  truncateTo(offset: bigint): number {
    const batch = this.findBatch(offset);
    if (batch === null) return 0;
    const removed = this.sizeBytes - batch.position;
    // The indexes first, so that no entry in their files points past the cut log.
    (this.offsetIndex as OffsetIndex).truncateTo(offset);
    (this.timeIndex as TimeIndex).truncateTo(offset);
    if (this.indexFilesPreallocated) this.clipIndexFiles();
    ftruncateSync(this.file.writeFd(), batch.position);
    this.sizeBytes = batch.position;
    this.writeCount++;
    this.logSynced = false;
    this.indexFilesStale = true;
    this.nextRelOffset = null;
    this.firstBatchTimestamp = this.sizeBytes === 0 ? null : this.firstBatchTimestamp;
    this.scanTailAfterIndex();
    return removed;
  }

  /** Stops appends (Kafka's onBecomeInactiveSegment): the final time-index entry, files trimmed. */
  seal(): void {
    if (this.sealed) return;
    this.ensureIndexes();
    this.appendFinalTimeIndexEntry();
    ftruncateSync(this.file.writeFd(), this.sizeBytes);
    this.saveIndexFiles();
    this.sealed = true;
    this.env.indexBudget.touch(this, this.indexMemoryBytes());
  }

  /** The segment's largest timestamp as the last time-index entry (Kafka does this at roll and close). */
  private appendFinalTimeIndexEntry(): void {
    const timeIndex = this.timeIndex as TimeIndex;
    const before = timeIndex.entries;
    if (this.maxTimestamp !== null && this.maxTimestamp >= 0) {
      timeIndex.maybeAppendRelative(this.maxTimestamp, this.maxTimestampRelOffset, true);
    }
    if (timeIndex.entries !== before) this.indexFilesStale = true;
  }

  /**
   * Makes a sealed segment the active one again (after truncation removed the ones after it); its
   * index files get their preallocated length back, as Kafka's resize to the max index size.
   */
  unseal(): void {
    this.env.indexBudget.release(this);
    this.sealed = false;
    if (this.offsetIndex !== null) this.preallocateIndexFiles();
  }

  /**
   * fsyncs the log (and, when sealed, the index files and the directory entry). An active
   * segment's index files get the entries still in memory, without an fsync (see the class note).
   */
  flush(): void {
    this.writeIndexEntries(true); // the fsync waits for the queued appends anyway
    fdatasyncSync(this.file.readFd());
    this.logSynced = true;
    if (this.sealed) {
      if (this.indexFilesStale) this.writeIndexFiles();
      if (!this.indexFilesSynced) {
        for (const suffix of [INDEX_FILE_SUFFIX, TIME_INDEX_FILE_SUFFIX]) fsyncFileSync(this.pathFor(suffix));
        this.indexFilesSynced = true;
      }
    }
    if (!this.dirEntrySynced) {
      fsyncDirectorySync(this.dir);
      this.dirEntrySynced = true;
    }
  }

  /** As `flush`, off the event loop; resolves true when the segment was unchanged meanwhile. */
  async flushAsync(): Promise<boolean> {
    const writes = this.writeCount;
    this.writeIndexEntries();
    this.file.pin();
    try {
      await new Promise<void>((resolve, reject) =>
        fdatasync(this.file.readFd(), (e) => (e ? reject(e) : resolve())),
      );
    } finally {
      this.file.unpin();
    }
    if (this.writeCount !== writes) return false;
    this.logSynced = true;
    if (this.sealed) {
      if (this.indexFilesStale) this.writeIndexFiles();
      for (const suffix of [INDEX_FILE_SUFFIX, TIME_INDEX_FILE_SUFFIX])
        await fsyncFileAsync(this.pathFor(suffix));
      this.indexFilesSynced = true;
    }
    if (!this.dirEntrySynced) {
      await fsyncFileAsync(this.dir);
      this.dirEntrySynced = true;
    }
    return this.writeCount === writes;
  }

  /**
   * Closes the files, writing index files that are behind and trimming preallocated ones (used at
   * shutdown, after a flush, and before a segment is deleted).
   */
  close(): void {
    try {
      if (this.offsetIndex !== null) {
        this.appendFinalTimeIndexEntry();
        if (this.extraSuffix === "") this.saveIndexFiles();
      }
      if (this.file.isOpen && !this.sealed && this.extraSuffix === "")
        ftruncateSync(this.file.writeFd(), this.sizeBytes);
    } finally {
      this.closeHandlers();
    }
  }

  /**
   * Closes the descriptors without writing anything (Kafka's closeHandlers): the files stay as a
   * crash would leave them, preallocated index files included.
   */
  closeHandlers(): void {
    this.file.close();
    this.offsetIndexFile.close();
    this.timeIndexFile.close();
    this.env.indexBudget.release(this);
  }

  /** Renames the segment's files to carry `extra` (".deleted", ".swap", "" ...). */
  renameSuffix(extra: string): void {
    if (this.offsetIndex !== null) this.saveIndexFiles();
    for (const suffix of [
      LOG_FILE_SUFFIX,
      INDEX_FILE_SUFFIX,
      TIME_INDEX_FILE_SUFFIX,
      TXN_INDEX_FILE_SUFFIX,
    ]) {
      const from = this.pathFor(suffix);
      if (existsSync(from)) renameSync(from, this.pathFor(suffix, extra));
    }
    this.useSuffix(extra);
    this.dirEntrySynced = false;
  }

  /** Paths of this segment's files under their current suffix. */
  filePaths(): string[] {
    return [LOG_FILE_SUFFIX, INDEX_FILE_SUFFIX, TIME_INDEX_FILE_SUFFIX, TXN_INDEX_FILE_SUFFIX].map((s) =>
      this.pathFor(s),
    );
  }

  /** Batches' offsets for `visit`, from `from` to the end (headers only). */
  forEachBatchHeader(
    from: number,
    visit: (buf: Buffer, at: number, position: number, sizeBytes: number) => boolean,
  ): void {
    scanBatches(
      this.file.readFd(),
      from,
      this.sizeBytes,
      LOCATE_CHUNK_BYTES,
      false,
      (buf, at, position, size) => {
        if (buf.length - at < BATCH_OFFSETS_PREFIX_BYTES) return false;
        return visit(buf, at, position, size);
      },
    );
  }
}

/** Creates (or empties) the file at `path` with `lengthBytes` of zeros, sparse. */
function createFileOfLength(path: string, lengthBytes: number): void {
  const fd = openSync(path, "w+");
  try {
    if (lengthBytes > 0) ftruncateSync(fd, lengthBytes);
  } finally {
    closeSync(fd);
  }
}

function fsyncFileSync(path: string): void {
  if (!existsSync(path)) return;
  const fd = openSync(path, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

async function fsyncFileAsync(path: string): Promise<void> {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return;
    throw e;
  }
  try {
    await new Promise<void>((resolve, reject) => fsync(fd, (e) => (e ? reject(e) : resolve())));
  } finally {
    closeSync(fd);
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
