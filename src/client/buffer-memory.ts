import { assert } from "../base/index.js";

/** The clock and timers BufferMemory uses; tests pass simulated ones. */
export interface BufferMemoryTimers {
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const REAL_TIMERS: BufferMemoryTimers = {
  now: () => performance.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

interface Blocked {
  readonly bytes: number;
  readonly deadlineMs: number;
  readonly admit: () => void;
  readonly timeout: () => void;
}

/**
 * The producer's bound on buffered record bytes (Kafka's buffer.memory and BufferPool): a record
 * takes its bytes when it is accepted and gives them back when its batch is answered. Past the
 * bound, records wait in arrival order (so they keep their order) until enough is given back, or
 * fail after max.block.ms.
 */
export class BufferMemory {
  readonly limitBytes: number;
  private readonly maxBlockMs: number;
  private used = 0;
  private readonly blocked: Blocked[] = [];
  private timer: unknown = null;
  private readonly timers: BufferMemoryTimers;

  constructor(limitBytes: number, maxBlockMs: number, timers: BufferMemoryTimers = REAL_TIMERS) {
    this.limitBytes = limitBytes;
    this.maxBlockMs = maxBlockMs;
    this.timers = timers;
  }

  get usedBytes(): number {
    return this.used;
  }

  get waiting(): number {
    return this.blocked.length;
  }

  /** Runs `admit` once `bytes` are taken (at once if they fit and nobody waits), or `timeout` after max.block.ms. */
  request(bytes: number, admit: () => void, timeout: () => void): void {
    assert(bytes <= this.limitBytes, "a request larger than the whole buffer can never be admitted");
    if (this.blocked.length === 0 && this.used + bytes <= this.limitBytes) {
      this.used += bytes;
      admit();
      return;
    }
    this.blocked.push({ bytes, deadlineMs: this.timers.now() + this.maxBlockMs, admit, timeout });
    this.scheduleTimeout();
  }

  release(bytes: number): void {
    this.used -= bytes;
    assert(this.used >= 0, "buffer memory released twice");
    this.admitWaiting();
  }

  private admitWaiting(): void {
    while (this.blocked.length > 0) {
      const head = this.blocked[0] as Blocked;
      if (this.used + head.bytes > this.limitBytes) break;
      this.blocked.shift();
      this.used += head.bytes;
      head.admit();
    }
    if (this.blocked.length === 0 && this.timer !== null) {
      this.timers.clearTimeout(this.timer);
      this.timer = null;
    }
  }

  /** One timer for the oldest waiter: deadlines come in arrival order. */
  private scheduleTimeout(): void {
    if (this.timer !== null || this.blocked.length === 0) return;
    const head = this.blocked[0] as Blocked;
    this.timer = this.timers.setTimeout(
      () => {
        this.timer = null;
        const now = this.timers.now();
        while (this.blocked.length > 0 && (this.blocked[0] as Blocked).deadlineMs <= now)
          (this.blocked.shift() as Blocked).timeout();
        this.admitWaiting();
        this.scheduleTimeout();
      },
      Math.max(0, head.deadlineMs - this.timers.now()),
    );
  }
}
