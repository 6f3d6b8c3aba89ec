import { assert } from "../base/index.js";

/**
 * A segment's sparse offset index, Kafka's `.index` format: 8-byte big-endian entries of
 * (relative offset int32, file position int32), where the relative offset is the last offset of a
 * batch minus the segment's base offset and the position is where that batch starts. An entry is
 * added once more than `index.interval.bytes` of batches were appended since the previous one.
 *
 * Invariants: relative offsets and positions strictly increase; at most `maxEntries` entries
 * (`segment.index.bytes` / 8); no entry has relative offset 0 or position 0 (the first batch of a
 * segment is never indexed), so an all-zero slot is never an entry. The entries live in memory
 * (Node has no mmap); the segment writes them to its file (log-segment.ts), which is preallocated
 * to `fileBytes` while the segment is active and trimmed to its entries when it is sealed or closed,
 * as Kafka's are. A file is read back lazily with a sanity check (a failed check means "rebuild from
 * the log", as Kafka does).
 */
export const OFFSET_INDEX_ENTRY_BYTES = 8;
const INITIAL_CAPACITY = 64;

export class OffsetIndex {
  readonly baseOffset: bigint;
  readonly maxEntries: number;
  private relOffsets: Int32Array;
  private positions: Int32Array;
  private count = 0;

  constructor(baseOffset: bigint, maxIndexBytes: number, capacity = INITIAL_CAPACITY) {
    this.baseOffset = baseOffset;
    this.maxEntries = Math.max(1, Math.floor(maxIndexBytes / OFFSET_INDEX_ENTRY_BYTES));
    const initial = Math.min(this.maxEntries, Math.max(1, capacity));
    this.relOffsets = new Int32Array(initial);
    this.positions = new Int32Array(initial);
  }

  get entries(): number {
    return this.count;
  }

  get isFull(): boolean {
    return this.count >= this.maxEntries;
  }

  /** The length of the file while preallocated: every slot the index may fill (Kafka's maxIndexSize rounded down). */
  get fileBytes(): number {
    return Math.max(this.maxEntries, this.count) * OFFSET_INDEX_ENTRY_BYTES;
  }

  /** Bytes of memory the entries take (for the sealed-index memory budget). */
  get memoryBytes(): number {
    return this.relOffsets.byteLength + this.positions.byteLength;
  }

  lastOffset(): bigint {
    return this.count === 0
      ? this.baseOffset
      : this.baseOffset + BigInt(this.relOffsets[this.count - 1] as number);
  }

  lastPosition(): number {
    return this.count === 0 ? 0 : (this.positions[this.count - 1] as number);
  }

  /** Adds an entry; a full index ignores it (the index stays correct, only sparser). */
  append(offset: bigint, position: number): void {
    this.appendRelative(Number(offset - this.baseOffset), position);
  }

  /** As `append`, with the offset relative to the base offset. */
  appendRelative(rel: number, position: number): void {
    if (this.isFull) return;
    assert(rel >= 0 && rel <= 0x7fffffff, "relative offset out of the int32 range");
    if (this.count > 0) {
      assert(rel > (this.relOffsets[this.count - 1] as number), "index offsets must increase");
      assert(position > (this.positions[this.count - 1] as number), "index positions must increase");
    }
    if (this.count === this.relOffsets.length) this.grow();
    this.relOffsets[this.count] = rel;
    this.positions[this.count] = position;
    this.count++;
  }

  /** Position to start a scan for `offset`: of the largest entry at or below it, else 0. */
  lookup(offset: bigint): number {
    const slot = this.largestSlotAtOrBelow(offset);
    return slot < 0 ? 0 : (this.positions[slot] as number);
  }

  /** Drops the entries whose offset is at or above `offset`. */
  truncateTo(offset: bigint): void {
    this.count = this.largestSlotAtOrBelow(offset - 1n) + 1;
  }

  clear(): void {
    this.count = 0;
  }

  /** The file bytes of the entries from slot `from` on (they go at `from * 8` in the file). */
  toBytes(from = 0): Buffer {
    assert(from >= 0 && from <= this.count, "index slot out of range");
    const out = Buffer.allocUnsafe((this.count - from) * OFFSET_INDEX_ENTRY_BYTES);
    for (let i = from; i < this.count; i++) {
      out.writeInt32BE(this.relOffsets[i] as number, (i - from) * 8);
      out.writeInt32BE(this.positions[i] as number, (i - from) * 8 + 4);
    }
    return out;
  }

  /**
   * Loads an index file's bytes, or null when they fail Kafka's sanity check extended to every
   * entry: whole entries, increasing offsets and positions, positions inside the log. A file still
   * at its preallocated length (its segment was not closed: a crash) ends in zero slots, which fail.
   */
  static fromBytes(
    baseOffset: bigint,
    maxIndexBytes: number,
    bytes: Buffer,
    logSizeBytes: number,
  ): OffsetIndex | null {
    if (bytes.length % OFFSET_INDEX_ENTRY_BYTES !== 0) return null;
    const n = bytes.length / OFFSET_INDEX_ENTRY_BYTES;
    const index = new OffsetIndex(baseOffset, Math.max(maxIndexBytes, bytes.length), n);
    let prevRel = -1;
    let prevPos = -1;
    for (let i = 0; i < n; i++) {
      const rel = bytes.readInt32BE(i * 8);
      const pos = bytes.readInt32BE(i * 8 + 4);
      if (rel <= prevRel || pos <= prevPos || rel <= 0 || pos <= 0 || pos >= logSizeBytes) return null;
      index.relOffsets[i] = rel;
      index.positions[i] = pos;
      prevRel = rel;
      prevPos = pos;
    }
    index.count = n;
    return index;
  }

  private largestSlotAtOrBelow(offset: bigint): number {
    const diff = offset - this.baseOffset;
    if (diff < 0n || this.count === 0) return -1;
    const rel = diff > 0x7fffffffn ? 0x7fffffff : Number(diff);
    let lo = 0;
    let hi = this.count - 1;
    if ((this.relOffsets[0] as number) > rel) return -1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if ((this.relOffsets[mid] as number) <= rel) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  private grow(): void {
    const capacity = Math.min(this.maxEntries, this.relOffsets.length * 2);
    const offsets = new Int32Array(capacity);
    const positions = new Int32Array(capacity);
    offsets.set(this.relOffsets);
    positions.set(this.positions);
    this.relOffsets = offsets;
    this.positions = positions;
  }
}
