import { assert } from "../base/index.js";

/** Deadlines held at once beyond this mean a leak (one per member plus a few per group). */
export const DEADLINES_MAX = 10_000_000;

interface Entry<T> {
  readonly key: string;
  readonly deadlineMs: number;
  readonly seq: number;
  readonly action: T;
}

/**
 * Keyed one-shot timers as data, for sans-I/O state machines: `schedule(key, deadline, action)`
 * replaces any timer with the same key (as Kafka's coordinator timer does), `cancel(key)` drops it,
 * and `popExpired(now)` hands back, one at a time, the actions whose deadline has passed, earliest
 * first and in scheduling order among equal deadlines, so that a replay is deterministic.
 *
 * Invariants: `byKey` holds exactly the live timers; the heap holds every live timer plus stale
 * entries (replaced or cancelled), recognised by a sequence number that no longer matches. Stale
 * entries are purged when they outnumber the live ones, so memory stays proportional to live timers.
 */
export class DeadlineQueue<T> {
  private readonly byKey = new Map<string, Entry<T>>();
  private heap: Entry<T>[] = [];
  private nextSeq = 0;

  get size(): number {
    return this.byKey.size;
  }

  schedule(key: string, deadlineMs: number, action: T): void {
    assert(Number.isFinite(deadlineMs), () => `deadline must be finite, got ${deadlineMs}`);
    const entry: Entry<T> = { key, deadlineMs, seq: this.nextSeq++, action };
    this.byKey.set(key, entry);
    assert(this.byKey.size <= DEADLINES_MAX, "too many deadlines");
    this.push(entry);
    if (this.heap.length > 64 && this.heap.length > 2 * this.byKey.size) this.compact();
  }

  cancel(key: string): void {
    this.byKey.delete(key);
  }

  has(key: string): boolean {
    return this.byKey.has(key);
  }

  deadlineOf(key: string): number | undefined {
    return this.byKey.get(key)?.deadlineMs;
  }

  /** The earliest live deadline, or undefined when nothing is scheduled. */
  nextDeadlineMs(): number | undefined {
    this.dropStaleTop();
    return this.heap[0]?.deadlineMs;
  }

  /** Removes and returns the earliest live timer whose deadline is at or before `nowMs`. */
  popExpired(nowMs: number): { key: string; action: T } | undefined {
    this.dropStaleTop();
    const top = this.heap[0];
    if (top === undefined || top.deadlineMs > nowMs) return undefined;
    this.pop();
    this.byKey.delete(top.key);
    return { key: top.key, action: top.action };
  }

  clear(): void {
    this.byKey.clear();
    this.heap = [];
  }

  private isLive(entry: Entry<T>): boolean {
    return this.byKey.get(entry.key)?.seq === entry.seq;
  }

  private dropStaleTop(): void {
    while (this.heap.length > 0 && !this.isLive(this.heap[0] as Entry<T>)) this.pop();
  }

  private compact(): void {
    this.heap = [...this.byKey.values()].sort(compare);
  }

  private push(entry: Entry<T>): void {
    const h = this.heap;
    h.push(entry);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (compare(h[parent] as Entry<T>, entry) <= 0) break;
      h[i] = h[parent] as Entry<T>;
      i = parent;
    }
    h[i] = entry;
  }

  private pop(): void {
    const h = this.heap;
    const last = h.pop() as Entry<T>;
    if (h.length === 0) return;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= h.length) break;
      const right = left + 1;
      const child = right < h.length && compare(h[right] as Entry<T>, h[left] as Entry<T>) < 0 ? right : left;
      if (compare(last, h[child] as Entry<T>) <= 0) break;
      h[i] = h[child] as Entry<T>;
      i = child;
    }
    h[i] = last;
  }
}

function compare<T>(a: Entry<T>, b: Entry<T>): number {
  return a.deadlineMs - b.deadlineMs || a.seq - b.seq;
}
