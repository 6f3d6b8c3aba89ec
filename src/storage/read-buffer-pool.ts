import { assert, type BufferLease } from "../base/index.js";

/** Byte written over a returned buffer in poisoning mode, so a stale view reads garbage, not data. */
export const READ_POOL_POISON_BYTE = 0xdc;

/**
 * Buffers for segment reads that answer a fetch: one fresh 1 MiB buffer per follower or consumer
 * fetch that reads behind the tail cache cost a page fault per 4 KiB and, at replication rates, a
 * garbage collection every few hundred megabytes. A read on a lease takes a pooled buffer and gets
 * it back when the lease is released (the socket has the response); reads larger than one buffer
 * or smaller than half of one, and reads without a lease, allocate as before.
 */
export class ReadBufferPool {
  readonly bufferBytes: number;
  private readonly freeMax: number;
  private readonly poison: boolean;
  private readonly free: Buffer[] = [];
  /** Counters for tests and metrics. */
  allocated = 0;
  reused = 0;

  constructor(bufferBytes: number, freeMax: number, options: { poison?: boolean } = {}) {
    assert(bufferBytes > 0 && freeMax >= 0, "a read buffer pool needs a buffer size and a bound");
    this.bufferBytes = bufferBytes;
    this.freeMax = freeMax;
    this.poison = options.poison ?? process.env.BROOK_DEBUG_POISON_BUFFERS === "1";
  }

  get freeCount(): number {
    return this.free.length;
  }

  /**
   * A buffer of at least `length` bytes that stays the caller's until `lease` is released; a fresh
   * one without a lease or when `length` is larger than the pool's buffers.
   */
  take(length: number, lease: BufferLease | undefined): Buffer {
    // A read of less than half a pooled buffer gets memory of its own size: a response holds its
    // buffers until the client reads it, and the connection's unsent-bytes limit counts what the
    // response carries, not the buffers behind it (at worst twice as much, this way).
    if (
      lease === undefined ||
      length > this.bufferBytes ||
      length * 2 < this.bufferBytes ||
      this.freeMax === 0
    ) {
      return Buffer.allocUnsafe(length);
    }
    let buf = this.free.pop();
    if (buf === undefined) {
      buf = Buffer.allocUnsafeSlow(this.bufferBytes);
      this.allocated++;
    } else {
      this.reused++;
    }
    const taken = buf;
    lease.add(() => this.giveBack(taken));
    return taken;
  }

  private giveBack(buf: Buffer): void {
    if (this.free.length >= this.freeMax) return;
    if (this.poison) buf.fill(READ_POOL_POISON_BYTE);
    this.free.push(buf);
  }
}
