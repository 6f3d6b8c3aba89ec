import { assert } from "../base/index.js";
import { batchBaseOffset, batchLastOffsetDelta, batchSizeBytes } from "../protocol/index.js";

/**
 * The bytes most recently appended to a log's active segment, kept as the very buffers that were
 * written, so that fetches at the tail (the common case: consumers and followers keep up) are
 * answered with slices instead of a read syscall and a copy. The log owns appended buffers (see
 * `Log.appendAsLeader`), so they never change after the write.
 *
 * A chunk is one append: whole batches, contiguous with the previous chunk. The cache covers
 * [firstOffset of its oldest chunk, log end offset) of the active segment and is cleared on roll
 * and truncation. Memory is bounded globally by a TailCacheBudget: the oldest chunks across all
 * logs are dropped first.
 */
interface TailChunk {
  readonly cache: TailCache;
  readonly firstOffset: bigint;
  readonly buf: Buffer;
  live: boolean;
}

export interface TailRead {
  records: Buffer[];
  sizeBytes: number;
  firstOffset: bigint;
  nextOffset: bigint;
}

/**
 * The chunk's bytes as the cache keeps them: the appended buffer itself, unless it is a small view
 * on a much larger one (a produce batch inside the socket read that carried it, with other
 * requests), which would keep the whole read alive while the budget counts only the view. Those
 * are copied into a buffer of their own (not a pooled slab, which would pin its neighbours).
 */
function ownedBytes(buf: Buffer): Buffer {
  if (buf.length * 2 >= buf.buffer.byteLength) return buf;
  const copy = Buffer.allocUnsafeSlow(buf.length);
  buf.copy(copy);
  return copy;
}

/**
 * Chunks queued for eviction in append order, across every log of a manager. A chunk its cache
 * released itself (roll, truncation, a deleted log) stays queued, dead, until the head passes it
 * or the queue is compacted: compaction runs once dead chunks are half the queue or hold more
 * bytes than the budget, so they never pin more than the budget's worth of appended buffers.
 */
export class TailCacheBudget {
  readonly bytesMax: number;
  private usedBytes = 0;
  private queue: TailChunk[] = [];
  private head = 0;
  /** Released chunks still in queue[head..], and their bytes. */
  private deadCount = 0;
  private deadBytes = 0;

  constructor(bytesMax: number) {
    assert(bytesMax >= 0, "tail cache budget must not be negative");
    this.bytesMax = bytesMax;
  }

  get bytesInUse(): number {
    return this.usedBytes;
  }

  /** @internal */
  added(chunk: TailChunk): void {
    this.usedBytes += chunk.buf.length;
    this.queue.push(chunk);
    while (this.usedBytes > this.bytesMax && this.head < this.queue.length) {
      const oldest = this.queue[this.head++] as TailChunk;
      if (oldest.live) oldest.cache.evictOldest(oldest);
      // Dead now either way, and behind the head.
      this.deadCount--;
      this.deadBytes -= oldest.buf.length;
    }
    const queued = this.queue.length - this.head;
    if ((this.deadCount > 64 && this.deadCount * 2 > queued) || this.deadBytes > this.bytesMax) {
      this.queue = this.queue.slice(this.head).filter((c) => c.live);
      this.head = 0;
      this.deadCount = 0;
      this.deadBytes = 0;
    } else if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }

  /** @internal a chunk of the queue was released (by the budget or by its cache). */
  released(bytes: number): void {
    this.usedBytes -= bytes;
    this.deadCount++;
    this.deadBytes += bytes;
    assert(this.usedBytes >= 0, "tail cache accounting went negative");
  }

  /** Chunks queued, dead ones included (for tests). */
  get queuedChunks(): number {
    return this.queue.length - this.head;
  }
}

export class TailCache {
  private readonly budget: TailCacheBudget;
  private chunks: TailChunk[] = [];
  private first = 0;

  constructor(budget: TailCacheBudget) {
    this.budget = budget;
  }

  get isEmpty(): boolean {
    return this.first >= this.chunks.length;
  }

  add(firstOffset: bigint, buf: Buffer): void {
    if (buf.length === 0 || buf.length > this.budget.bytesMax) return;
    const chunk: TailChunk = { cache: this, firstOffset, buf: ownedBytes(buf), live: true };
    this.chunks.push(chunk);
    this.budget.added(chunk);
  }

  clear(): void {
    for (let i = this.first; i < this.chunks.length; i++) this.release(this.chunks[i] as TailChunk);
    this.chunks = [];
    this.first = 0;
  }

  /** @internal the budget drops `chunk`, which is always this cache's oldest live one. */
  evictOldest(chunk: TailChunk): void {
    assert(this.chunks[this.first] === chunk, "tail cache evicted out of order");
    this.release(chunk);
    this.first++;
    if (this.first > 64 && this.first * 2 > this.chunks.length) {
      this.chunks = this.chunks.slice(this.first);
      this.first = 0;
    }
  }

  private release(chunk: TailChunk): void {
    if (!chunk.live) return;
    chunk.live = false;
    this.budget.released(chunk.buf.length);
  }

  /**
   * Whole batches from the first one whose last offset is at or above `fetchOffset`, while under
   * `maxBytes` (the first batch always, with `minOneMessage`) and below `maxOffset`; null when
   * `fetchOffset` is older than the cache.
   */
  read(fetchOffset: bigint, maxBytes: number, maxOffset: bigint, minOneMessage: boolean): TailRead | null {
    if (this.isEmpty || fetchOffset < (this.chunks[this.first] as TailChunk).firstOffset) return null;
    const result: TailRead = { records: [], sizeBytes: 0, firstOffset: -1n, nextOffset: fetchOffset };
    for (let i = this.floorChunk(fetchOffset); i < this.chunks.length; i++) {
      const buf = (this.chunks[i] as TailChunk).buf;
      let start = -1;
      let at = 0;
      for (; at < buf.length; at += batchSizeBytes(buf, at)) {
        const base = batchBaseOffset(buf, at);
        const last = base + BigInt(batchLastOffsetDelta(buf, at));
        if (last < fetchOffset) continue;
        const size = batchSizeBytes(buf, at);
        const taken = start < 0 ? 0 : at - start;
        const fits = result.sizeBytes + taken + size <= maxBytes;
        const first = result.firstOffset < 0n;
        if (last >= maxOffset || (!fits && !(first && minOneMessage))) break;
        if (start < 0) start = at;
        if (result.firstOffset < 0n) result.firstOffset = base;
        result.nextOffset = last + 1n;
      }
      if (start >= 0) {
        result.records.push(buf.subarray(start, at));
        result.sizeBytes += at - start;
      }
      if (at < buf.length) break;
    }
    return result;
  }

  private floorChunk(offset: bigint): number {
    let lo = this.first;
    let hi = this.chunks.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if ((this.chunks[mid] as TailChunk).firstOffset <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }
}
