import {
  appendFileSync,
  closeSync,
  existsSync,
  fsyncSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { assert } from "../base/index.js";
import { writeFullySync } from "./durable-file.js";
import { segmentFilePath, TXN_INDEX_FILE_SUFFIX } from "./segment-files.js";
import { StorageError } from "./storage-error.js";

/** One aborted transaction of a producer on a partition (Kafka's AbortedTxn). */
export interface AbortedTxn {
  readonly producerId: bigint;
  /** The first offset of the transaction's data on this partition. */
  readonly firstOffset: bigint;
  /** The offset of its ABORT marker. */
  readonly lastOffset: bigint;
  /** The last stable offset once the marker was written (Kafka's hint for stopping a scan). */
  readonly lastStableOffset: bigint;
}

/** Kafka's AbortedTxn layout: version int16 (0) | producerId | firstOffset | lastOffset | lastStableOffset. */
const ENTRY_BYTES = 34;
const ENTRY_VERSION = 0;
/** Aborted transactions one partition keeps in memory at most (34 bytes each on disk). */
export const ABORTED_TXNS_MAX = 10_000_000;

export function encodeAbortedTxn(txn: AbortedTxn): Buffer {
  const buf = Buffer.allocUnsafe(ENTRY_BYTES);
  buf.writeInt16BE(ENTRY_VERSION, 0);
  buf.writeBigInt64BE(txn.producerId, 2);
  buf.writeBigInt64BE(txn.firstOffset, 10);
  buf.writeBigInt64BE(txn.lastOffset, 18);
  buf.writeBigInt64BE(txn.lastStableOffset, 26);
  return buf;
}

export function decodeAbortedTxns(buf: Buffer, path: string): AbortedTxn[] {
  const out: AbortedTxn[] = [];
  // A torn last entry (a crash mid-append) is dropped; recovery re-adds it from the log.
  for (let at = 0; at + ENTRY_BYTES <= buf.length; at += ENTRY_BYTES) {
    const version = buf.readInt16BE(at);
    if (version !== ENTRY_VERSION)
      throw new StorageError(
        "BRK_ERR_STORAGE_CORRUPT",
        `${path}: aborted transaction entry version ${version}`,
      );
    out.push({
      producerId: buf.readBigInt64BE(at + 2),
      firstOffset: buf.readBigInt64BE(at + 10),
      lastOffset: buf.readBigInt64BE(at + 18),
      lastStableOffset: buf.readBigInt64BE(at + 26),
    });
  }
  return out;
}

/** Writes `txns` as a `.txnindex` file at `path` (Kafka's layout) and fsyncs it: a cleaned segment's. */
export function writeAbortedTxnsFile(path: string, txns: readonly AbortedTxn[]): void {
  const fd = openSync(path, "w");
  try {
    writeFullySync(fd, Buffer.concat(txns.map(encodeAbortedTxn)), 0);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * A partition's aborted transactions (Kafka's TransactionIndex, one `.txnindex` per segment): each
 * entry lives in the file of the segment that holds its ABORT marker, written when the marker is
 * appended (not fsynced: after a crash the producer state's replay from its snapshot re-adds what
 * the file lost, and an entry already present is not added twice). All entries are kept in memory
 * too, ordered by marker offset, so that a read_committed fetch collects the ones its range
 * overlaps without reading files. The files go with their segments (retention, truncation).
 *
 * Invariant: `entries` is sorted by `lastOffset`, with no two entries sharing one.
 */
export class TransactionIndex {
  private readonly dir: string;
  private entries: AbortedTxn[] = [];

  constructor(dir: string) {
    this.dir = dir;
  }

  get size(): number {
    return this.entries.length;
  }

  all(): readonly AbortedTxn[] {
    return this.entries;
  }

  /** Reads the files of the segments (by base offset), keeping entries whose marker is below `logEnd`. */
  load(segmentBases: readonly bigint[], logEnd: bigint): void {
    const loaded: AbortedTxn[] = [];
    for (const base of segmentBases) {
      const path = segmentFilePath(this.dir, base, TXN_INDEX_FILE_SUFFIX);
      if (!existsSync(path)) continue;
      for (const txn of decodeAbortedTxns(readFileSync(path), path))
        if (txn.lastOffset < logEnd) loaded.push(txn);
    }
    loaded.sort((a, b) => (a.lastOffset < b.lastOffset ? -1 : a.lastOffset > b.lastOffset ? 1 : 0));
    this.entries = loaded.filter(
      (t, i) => i === 0 || (loaded[i - 1] as AbortedTxn).lastOffset !== t.lastOffset,
    );
  }

  /** Adds an aborted transaction whose marker is in the segment at `segmentBase` (no-op if known). */
  add(txn: AbortedTxn, segmentBase: bigint): void {
    const last = this.entries[this.entries.length - 1];
    if (last !== undefined && txn.lastOffset <= last.lastOffset) {
      assert(
        this.entries.some((e) => e.lastOffset === txn.lastOffset),
        "aborted transactions arrive in marker order",
      );
      return;
    }
    assert(this.entries.length < ABORTED_TXNS_MAX, "too many aborted transactions in one partition");
    this.entries.push(txn);
    appendFileSync(segmentFilePath(this.dir, segmentBase, TXN_INDEX_FILE_SUFFIX), encodeAbortedTxn(txn));
  }

  /**
   * The log was truncated to `endOffset`: entries whose marker is gone are dropped, and the files
   * of `segmentBases` rewritten to what is left.
   */
  truncate(endOffset: bigint, segmentBases: readonly bigint[]): void {
    if (!this.entries.some((e) => e.lastOffset >= endOffset)) return;
    this.entries = this.entries.filter((e) => e.lastOffset < endOffset);
    for (let i = 0; i < segmentBases.length; i++) {
      const base = segmentBases[i] as bigint;
      const next = segmentBases[i + 1];
      const path = segmentFilePath(this.dir, base, TXN_INDEX_FILE_SUFFIX);
      const kept = this.entries.filter(
        (e) => e.lastOffset >= base && (next === undefined || e.lastOffset < next),
      );
      if (kept.length === 0) rmSync(path, { force: true });
      else if (existsSync(path)) writeFileSync(path, Buffer.concat(kept.map(encodeAbortedTxn)));
    }
  }

  /**
   * The cleaner swapped in a segment for the ones holding the markers in [from, to): their entries
   * become `kept`, which its `.txnindex` (already in place) holds.
   */
  replaceRange(from: bigint, to: bigint, kept: readonly AbortedTxn[]): void {
    kept.forEach((t, i) => {
      assert(t.lastOffset >= from && t.lastOffset < to, "a cleaned segment's entries lie in its range");
      assert(
        i === 0 || (kept[i - 1] as AbortedTxn).lastOffset < t.lastOffset,
        "kept entries are in marker order",
      );
    });
    const before = this.entries.filter((e) => e.lastOffset < from);
    const after = this.entries.filter((e) => e.lastOffset >= to);
    this.entries = [...before, ...kept, ...after];
  }

  /** Entries whose marker is below the new log start are forgotten (their files went with their segments). */
  dropBefore(logStartOffset: bigint): void {
    const first = this.entries.findIndex((e) => e.lastOffset >= logStartOffset);
    if (first > 0) this.entries = this.entries.slice(first);
    else if (first < 0) this.entries = [];
  }

  /** The aborted transactions a read of [fetchOffset, upperBound) overlaps (Kafka's collectAbortedTxns). */
  collect(fetchOffset: bigint, upperBound: bigint): AbortedTxn[] {
    const out: AbortedTxn[] = [];
    // Binary search for the first entry whose marker is at or after fetchOffset.
    let lo = 0;
    let hi = this.entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.entries[mid] as AbortedTxn).lastOffset < fetchOffset) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < this.entries.length; i++) {
      const e = this.entries[i] as AbortedTxn;
      if (e.firstOffset < upperBound) out.push(e);
      // Every transaction aborted after this one started at or after its LSO: none reaches back.
      if (e.lastStableOffset >= upperBound) break;
    }
    return out;
  }
}
