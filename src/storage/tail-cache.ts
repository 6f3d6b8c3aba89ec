import { assert, type BufferLease } from "../base/index.js";
import { batchBaseOffset, batchLastOffsetDelta, batchSizeBytes } from "../protocol/index.js";

/**
 * The bytes most recently appended to a log's active segment, copied into memory the storage
 * engine owns, so that fetches at the tail (the common case: consumers and followers keep up) are
 * answered with slices instead of a read syscall and a copy.
 *
 * Why a copy: the caller of an append (a produce request's frame, which the network layer
 * recycles) keeps its buffer, so the log cannot keep views of it. Copying into recycled slabs costs
 * a memcpy of hot data; allocating a fresh buffer per append (what keeping the caller's buffer
 * forced on the network layer) cost page faults and garbage collections on every request.
 *
 * Memory: the TailCacheArena shared by every log of a manager, a bounded set of fixed-size slabs
 * filled in append order and reused oldest first. A slab that a read handed out views of is never
 * overwritten while the views may be read: a read for a response takes the views on a lease, given
 * back once the socket has the bytes; a read without one (an in-process reader that may keep the
 * views) marks the slab lent for good. A slab still on lease or lent when its turn to be reused
 * comes is dropped (the views keep its memory alive for as long as they need it) and a new slab
 * takes its place.
 */

/** Size of one slab (smaller when the whole budget is smaller): it must hold a max-size batch. */
export const TAIL_SLAB_BYTES_MAX = 4 * 1024 * 1024;
/** Byte written over recycled slabs in poisoning mode, so a stale view reads garbage, not data. */
export const TAIL_POISON_BYTE = 0xdb;

interface Slab {
  /** The slab's memory; an empty buffer once the slab was dropped. */
  buf: Buffer;
  usedBytes: number;
  /** Caches with chunks in this slab (a cache may appear more than once); dropped on reuse. */
  users: TailCache[];
  /** A read returned views of this slab without a lease: its bytes must never change, so it is not recycled. */
  lent: boolean;
  /** Leases holding views of this slab that were not given back yet. */
  leases: number;
}

interface TailChunk {
  readonly slab: Slab;
  readonly firstOffset: bigint;
  /** One append's whole batches, a view of the slab. */
  readonly buf: Buffer;
}

export interface TailRead {
  records: Buffer[];
  sizeBytes: number;
  firstOffset: bigint;
  nextOffset: bigint;
}

export interface TailCacheArenaOptions {
  slabBytes?: number;
  /** Fill recycled slabs with TAIL_POISON_BYTE (tests prove nothing reads reused memory). */
  poison?: boolean;
}

const EMPTY = Buffer.alloc(0);

/**
 * The tail cache's memory across every log of a manager: at most `bytesMax / slabBytes` slabs.
 * Invariant: `slabs` is in fill order, the last one is the one being filled, and every chunk of
 * every cache lies in one of them; a cache's chunks are in the same order as the slabs, so the
 * chunks of the oldest slab are always the oldest chunks of each cache that has any.
 */
export class TailCacheArena {
  readonly bytesMax: number;
  readonly slabBytes: number;
  private readonly slabsMax: number;
  private readonly poison: boolean;
  private slabs: Slab[] = [];
  /** Counters for tests and metrics. */
  slabsAllocated = 0;
  slabsRecycled = 0;
  slabsDropped = 0;
  /** Bytes copied in by appends, ever. */
  storedBytesTotal = 0;

  constructor(bytesMax: number, options: TailCacheArenaOptions = {}) {
    assert(bytesMax >= 0, "tail cache budget must not be negative");
    this.bytesMax = bytesMax;
    this.slabBytes = Math.min(options.slabBytes ?? TAIL_SLAB_BYTES_MAX, bytesMax);
    this.slabsMax = this.slabBytes === 0 ? 0 : Math.floor(bytesMax / this.slabBytes);
    this.poison = options.poison ?? process.env.BROOK_DEBUG_POISON_BUFFERS === "1";
  }

  /** Bytes of slab memory held. */
  get bytesInUse(): number {
    return this.slabs.length * this.slabBytes;
  }

  /** @internal copies `bytes` into a slab for `cache`; null when they can never fit one. */
  store(cache: TailCache, bytes: Buffer): { slab: Slab; buf: Buffer } | null {
    if (bytes.length === 0 || bytes.length > this.slabBytes) return null;
    let slab = this.slabs[this.slabs.length - 1];
    if (slab === undefined || slab.usedBytes + bytes.length > this.slabBytes) slab = this.nextSlab();
    const at = slab.usedBytes;
    bytes.copy(slab.buf, at);
    slab.usedBytes += bytes.length;
    this.storedBytesTotal += bytes.length;
    if (slab.users[slab.users.length - 1] !== cache) slab.users.push(cache);
    return { slab, buf: slab.buf.subarray(at, at + bytes.length) };
  }

  /** @internal a read handed out views of `slab`, for as long as `lease` lasts (for good without one). */
  lend(slab: Slab, lease: BufferLease | undefined): void {
    if (lease === undefined) {
      slab.lent = true;
      return;
    }
    slab.leases++;
    lease.add(() => {
      slab.leases--;
    });
  }

  /** A new slab to fill: reusing the oldest one's memory once the arena is full. */
  private nextSlab(): Slab {
    let buf = this.slabs.length >= this.slabsMax ? this.retireOldest() : null;
    if (buf === null) {
      buf = Buffer.allocUnsafeSlow(this.slabBytes);
      this.slabsAllocated++;
    } else {
      this.slabsRecycled++;
    }
    const slab: Slab = { buf, usedBytes: 0, users: [], lent: false, leases: 0 };
    this.slabs.push(slab);
    return slab;
  }

  /** Empties the oldest slab; returns its memory when it may be reused (it was never lent). */
  private retireOldest(): Buffer | null {
    const oldest = this.slabs.shift();
    assert(oldest !== undefined, "a full arena has slabs");
    for (const cache of oldest.users) cache.dropSlab(oldest);
    let reusable: Buffer | null = null;
    if (oldest.lent || oldest.leases > 0) {
      this.slabsDropped++;
    } else {
      reusable = oldest.buf;
      if (this.poison) reusable.fill(TAIL_POISON_BYTE);
    }
    oldest.buf = EMPTY;
    oldest.users = [];
    return reusable;
  }
}

/**
 * One log's tail: chunks (one per append, whole batches) contiguous in offsets, covering
 * [firstOffset of the oldest chunk, log end offset) of the active segment. Cleared on roll and
 * truncation, and whenever an append cannot be cached (a gap would make reads skip records).
 */
export class TailCache {
  private readonly arena: TailCacheArena;
  private chunks: TailChunk[] = [];
  private first = 0;

  constructor(arena: TailCacheArena) {
    this.arena = arena;
  }

  get isEmpty(): boolean {
    return this.first >= this.chunks.length;
  }

  /** Copies the batches just appended (their first offset follows the cache's last chunk). */
  add(firstOffset: bigint, records: Buffer): void {
    const stored = this.arena.store(this, records);
    if (stored === null) {
      this.clear();
      return;
    }
    this.chunks.push({ slab: stored.slab, firstOffset, buf: stored.buf });
  }

  clear(): void {
    this.chunks = [];
    this.first = 0;
  }

  /** @internal the arena reuses `slab`: drop this cache's chunks in it (always its oldest). */
  dropSlab(slab: Slab): void {
    while (this.first < this.chunks.length && (this.chunks[this.first] as TailChunk).slab === slab)
      this.first++;
    if (this.first === this.chunks.length) {
      this.clear();
    } else if (this.first > 64 && this.first * 2 > this.chunks.length) {
      this.chunks = this.chunks.slice(this.first);
      this.first = 0;
    }
  }

  /**
   * Whole batches from the first one whose last offset is at or above `fetchOffset`, while under
   * `maxBytes` (the first batch always, with `minOneMessage`) and below `maxOffset`; null when
   * `fetchOffset` is older than the cache. The buffers returned are views of the arena's slabs,
   * which are not overwritten until `lease` is released (never, without a lease).
   */
  read(
    fetchOffset: bigint,
    maxBytes: number,
    maxOffset: bigint,
    minOneMessage: boolean,
    lease?: BufferLease,
  ): TailRead | null {
    if (this.isEmpty || fetchOffset < (this.chunks[this.first] as TailChunk).firstOffset) return null;
    const result: TailRead = { records: [], sizeBytes: 0, firstOffset: -1n, nextOffset: fetchOffset };
    for (let i = this.floorChunk(fetchOffset); i < this.chunks.length; i++) {
      const chunk = this.chunks[i] as TailChunk;
      const buf = chunk.buf;
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
        this.arena.lend(chunk.slab, lease);
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
