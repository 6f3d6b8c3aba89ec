import { assert } from "../base/index.js";

/**
 * A segment's time index, Kafka's `.timeindex` format: 12-byte big-endian entries of
 * (timestamp int64, relative offset int32). An entry records that the largest timestamp seen so far
 * in the segment is `timestamp`, first reached by the batch whose last offset is base + relative
 * offset. Entries are added alongside offset-index entries, only when the timestamp grows, plus a
 * final one when the segment is sealed so that the last entry is the segment's largest timestamp.
 *
 * Invariants: timestamps strictly increase, relative offsets never decrease; at most `maxEntries`
 * (`segment.index.bytes` / 12), and one more when the final entry comes in. Kept in memory like
 * the offset index, timestamps as numbers (exact for every millisecond timestamp below 2^53, year
 * 287,396), and written to a file preallocated and trimmed like the offset index's.
 */
export const TIME_INDEX_ENTRY_BYTES = 12;
const INITIAL_CAPACITY = 32;

export interface TimestampOffset {
  timestamp: bigint;
  offset: bigint;
}

export class TimeIndex {
  readonly baseOffset: bigint;
  readonly maxEntries: number;
  private timestamps: Float64Array;
  private relOffsets: Int32Array;
  private count = 0;

  constructor(baseOffset: bigint, maxIndexBytes: number, capacity = INITIAL_CAPACITY) {
    this.baseOffset = baseOffset;
    this.maxEntries = Math.max(1, Math.floor(maxIndexBytes / TIME_INDEX_ENTRY_BYTES));
    const initial = Math.min(this.maxEntries, Math.max(1, capacity));
    this.timestamps = new Float64Array(initial);
    this.relOffsets = new Int32Array(initial);
  }

  get entries(): number {
    return this.count;
  }

  get isFull(): boolean {
    return this.count >= this.maxEntries;
  }

  /** The length of the file while preallocated (Kafka's maxIndexSize rounded down to whole entries). */
  get fileBytes(): number {
    return Math.max(this.maxEntries, this.count) * TIME_INDEX_ENTRY_BYTES;
  }

  get memoryBytes(): number {
    return this.timestamps.byteLength + this.relOffsets.byteLength;
  }

  lastEntry(): TimestampOffset | null {
    if (this.count === 0) return null;
    return this.entryAt(this.count - 1);
  }

  entryAt(slot: number): TimestampOffset {
    assert(slot >= 0 && slot < this.count, "time index slot out of range");
    return {
      timestamp: BigInt(this.timestamps[slot] as number),
      offset: this.baseOffset + BigInt(this.relOffsets[slot] as number),
    };
  }

  /**
   * Adds (timestamp, offset) when the timestamp is above the last entry's. `force` lets the final
   * entry of a sealed segment in even when the index is full (Kafka's skipFullCheck).
   */
  maybeAppend(timestamp: bigint, offset: bigint, force = false): void {
    this.maybeAppendRelative(Number(timestamp), Number(offset - this.baseOffset), force);
  }

  /** As `maybeAppend`, with the offset relative to the base offset. */
  maybeAppendRelative(timestamp: number, rel: number, force = false): void {
    if (this.isFull && !force) return;
    assert(rel >= 0 && rel <= 0x7fffffff, "relative offset out of the int32 range");
    if (this.count > 0) {
      if (timestamp <= (this.timestamps[this.count - 1] as number)) return;
      if (rel < (this.relOffsets[this.count - 1] as number)) return;
    }
    if (this.count === this.timestamps.length) this.grow();
    this.timestamps[this.count] = timestamp;
    this.relOffsets[this.count] = rel;
    this.count++;
  }

  /** The entry with the largest timestamp at or below `timestamp`, or (-1, base offset). */
  lookup(timestampBig: bigint): TimestampOffset {
    const timestamp = Number(timestampBig);
    if (this.count === 0 || (this.timestamps[0] as number) > timestamp) {
      return { timestamp: -1n, offset: this.baseOffset };
    }
    let lo = 0;
    let hi = this.count - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if ((this.timestamps[mid] as number) <= timestamp) lo = mid;
      else hi = mid - 1;
    }
    return this.entryAt(lo);
  }

  /** Drops the entries whose offset is at or above `offset`. */
  truncateTo(offset: bigint): void {
    const diff = offset - this.baseOffset;
    if (diff <= 0n) {
      this.count = 0;
      return;
    }
    while (this.count > 0 && BigInt(this.relOffsets[this.count - 1] as number) >= diff) this.count--;
  }

  clear(): void {
    this.count = 0;
  }

  /** The file bytes of the entries from slot `from` on (they go at `from * 12` in the file). */
  toBytes(from = 0): Buffer {
    assert(from >= 0 && from <= this.count, "time index slot out of range");
    const out = Buffer.allocUnsafe((this.count - from) * TIME_INDEX_ENTRY_BYTES);
    for (let i = from; i < this.count; i++) {
      out.writeBigInt64BE(BigInt(this.timestamps[i] as number), (i - from) * 12);
      out.writeInt32BE(this.relOffsets[i] as number, (i - from) * 12 + 8);
    }
    return out;
  }

  /**
   * Loads a time index file's bytes, or null when they fail the sanity check: whole entries,
   * timestamps increasing, offsets not decreasing, and no all-zero last slot (the preallocated tail
   * of a file whose segment was not closed; Kafka's check fails it too, its last timestamp being
   * below its first).
   */
  static fromBytes(baseOffset: bigint, maxIndexBytes: number, bytes: Buffer): TimeIndex | null {
    if (bytes.length % TIME_INDEX_ENTRY_BYTES !== 0) return null;
    const n = bytes.length / TIME_INDEX_ENTRY_BYTES;
    const index = new TimeIndex(baseOffset, Math.max(maxIndexBytes, bytes.length), n);
    let prevTs: number | null = null;
    let prevRel = 0;
    for (let i = 0; i < n; i++) {
      const ts = Number(bytes.readBigInt64BE(i * 12));
      const rel = bytes.readInt32BE(i * 12 + 8);
      if (rel < prevRel || (prevTs !== null && ts <= prevTs)) return null;
      index.timestamps[i] = ts;
      index.relOffsets[i] = rel;
      prevTs = ts;
      prevRel = rel;
    }
    if (n > 0 && prevTs === 0 && prevRel === 0) return null;
    index.count = n;
    return index;
  }

  private grow(): void {
    const capacity = Math.min(this.maxEntries + 1, this.timestamps.length * 2);
    const timestamps = new Float64Array(capacity);
    const offsets = new Int32Array(capacity);
    timestamps.set(this.timestamps);
    offsets.set(this.relOffsets);
    this.timestamps = timestamps;
    this.relOffsets = offsets;
  }
}
