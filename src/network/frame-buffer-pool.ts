import { assert } from "../base/index.js";

/**
 * Pooled buffers are at least this large: below it, Node's own slab serves a copy without a
 * separate allocation. (Frames from 4 KiB are copied out of the shared socket read buffer into
 * pooled buffers: fresh ones made V8 run a full collection every ~0.2 s at 40 MB/s of small
 * produce requests, for the external memory they count as.)
 */
export const FRAME_POOL_CLASS_BYTES_MIN = 4 * 1024;
/** Bytes of idle buffers a pool keeps for reuse (all connections of a server together). */
export const FRAME_POOL_BYTES_MAX = 64 * 1024 * 1024;
/**
 * A pool nobody acquired from for this long lets its idle buffers go: after a burst, an idle broker
 * goes back to its idle memory instead of keeping the burst's peak.
 */
export const FRAME_POOL_IDLE_TRIM_MS = 10_000;
/** Byte written over released buffers in poisoning mode, so a stale view reads garbage. */
export const FRAME_POISON_BYTE = 0xef;

export interface FrameBufferPoolOptions {
  /** Idle bytes kept; a buffer released beyond it is left to the garbage collector. */
  bytesMax?: number;
  /**
   * Fill every released buffer with FRAME_POISON_BYTE (tests prove that nothing reads a request's
   * bytes after its handling completed). Default: the BROOK_DEBUG_POISON_BUFFERS=1 environment.
   */
  poison?: boolean;
}

/**
 * Recycled buffers for request frames that have to be assembled from several socket reads.
 *
 * Why: a produce request of ~1 MB arrives in 64 KiB socket chunks and must be contiguous for
 * decoding. A fresh 1 MB buffer per request costs page faults (malloc hands out fresh mmap'd
 * memory at that size), an munmap when it is collected, and a full garbage collection every few
 * dozen requests (V8 counts it as external memory pressure): about half of the broker's CPU on 1 KB
 * records. A recycled buffer costs only the copy.
 *
 * Sizes are powers of two from FRAME_POOL_CLASS_BYTES_MIN; `acquire(n)` returns a buffer of the
 * smallest class that holds n bytes. Invariant: `idleBytes` is the sum of the lengths of the
 * buffers in `idle`, and never exceeds `bytesMax`.
 */
export class FrameBufferPool {
  readonly bytesMax: number;
  readonly poison: boolean;
  /** Idle buffers by class (log2 of their size). */
  private readonly idle = new Map<number, Buffer[]>();
  private idleBytes = 0;
  /** The buffers in `idle`: a second release of one would hand it to two frames at once. */
  private readonly idleSet = new WeakSet<Buffer>();
  /** Counters for tests and metrics. */
  allocatedCount = 0;
  reusedCount = 0;
  trimmedCount = 0;
  private lastAcquireMs = 0;
  private trimTimer: NodeJS.Timeout | null = null;

  constructor(options: FrameBufferPoolOptions = {}) {
    this.bytesMax = options.bytesMax ?? FRAME_POOL_BYTES_MAX;
    this.poison = options.poison ?? process.env.BROOK_DEBUG_POISON_BUFFERS === "1";
  }

  get idleBytesHeld(): number {
    return this.idleBytes;
  }

  /** A buffer of at least `size` bytes (its contents are whatever it held before). */
  acquire(size: number): Buffer {
    this.lastAcquireMs = performance.now();
    const sizeClass = classOf(size);
    const buffer = this.idle.get(sizeClass)?.pop();
    if (buffer !== undefined) {
      this.idleSet.delete(buffer);
      this.idleBytes -= buffer.length;
      this.reusedCount++;
      return buffer;
    }
    this.allocatedCount++;
    // Outside Node's small-buffer slab: a pooled buffer must not share memory with anything else.
    return Buffer.allocUnsafeSlow(2 ** sizeClass);
  }

  /**
   * Takes back a buffer from `acquire` once nothing refers to its bytes any more. It is poisoned
   * first when poisoning is on, kept when there is room, else left to the garbage collector.
   */
  release(buffer: Buffer): void {
    const sizeClass = Math.log2(buffer.length);
    assert(
      Number.isInteger(sizeClass) && buffer.byteOffset === 0 && buffer.buffer.byteLength === buffer.length,
      "only whole buffers from acquire() are released",
    );
    assert(!this.idleSet.has(buffer), "a frame buffer was released twice");
    if (this.poison) buffer.fill(FRAME_POISON_BYTE);
    if (this.idleBytes + buffer.length > this.bytesMax) return;
    let list = this.idle.get(sizeClass);
    if (list === undefined) {
      list = [];
      this.idle.set(sizeClass, list);
    }
    list.push(buffer);
    this.idleSet.add(buffer);
    this.idleBytes += buffer.length;
    if (this.trimTimer === null) {
      this.trimTimer = setInterval(() => this.trimIfIdle(), FRAME_POOL_IDLE_TRIM_MS / 2);
      this.trimTimer.unref();
    }
  }

  /** Drops every idle buffer once nothing was acquired for FRAME_POOL_IDLE_TRIM_MS (or `force`). */
  trimIfIdle(force = false): void {
    if (!force && performance.now() - this.lastAcquireMs < FRAME_POOL_IDLE_TRIM_MS) return;
    for (const list of this.idle.values()) {
      this.trimmedCount += list.length;
      for (const buffer of list) this.idleSet.delete(buffer);
    }
    this.idle.clear();
    this.idleBytes = 0;
    if (this.trimTimer !== null) clearInterval(this.trimTimer);
    this.trimTimer = null;
  }
}

function classOf(size: number): number {
  const bits = Math.ceil(Math.log2(Math.max(size, FRAME_POOL_CLASS_BYTES_MIN)));
  return 2 ** bits >= size ? bits : bits + 1;
}
