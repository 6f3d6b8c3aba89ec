import { setImmediate as nextTurn } from "node:timers/promises";
import { ManualClock, type Timer, type Timers } from "../../src/base/index.js";

interface Scheduled {
  atMs: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

/**
 * Simulated time for a whole cluster: one clock, one queue of timers ordered by (time, order of
 * scheduling). `step()` runs the next timer and then lets every promise continuation it caused
 * settle before returning, so a run is a deterministic sequence of events, replayable from its
 * seed. Nothing in a simulation may use real timers or I/O.
 */
export class SimScheduler {
  readonly clock = new ManualClock();
  private queue: Scheduled[] = [];
  private seq = 0;
  events = 0;

  get nowMs(): number {
    return this.clock.monotonicMs();
  }

  /** Timers of the whole simulation. */
  readonly timers: Timers = {
    after: (delayMs, fn) => this.at(this.nowMs + Math.max(0, delayMs), fn),
  };

  /** Timers that can be silenced (a crashed node's) or held back (a paused node's). */
  nodeTimers(): NodeTimers {
    return new NodeTimers(this);
  }

  at(atMs: number, fn: () => void): Timer {
    const item: Scheduled = { atMs, seq: this.seq++, fn, cancelled: false };
    // Binary search keeps the queue ordered; ties run in scheduling order.
    let lo = 0;
    let hi = this.queue.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const m = this.queue[mid] as Scheduled;
      if (m.atMs < atMs || (m.atMs === atMs && m.seq < item.seq)) lo = mid + 1;
      else hi = mid;
    }
    this.queue.splice(lo, 0, item);
    return { cancel: () => (item.cancelled = true) };
  }

  /** Runs the next timer (if any before `untilMs`); false when there is none. */
  async step(untilMs = Number.POSITIVE_INFINITY): Promise<boolean> {
    for (;;) {
      const next = this.queue[0];
      if (next === undefined || next.atMs > untilMs) return false;
      this.queue.shift();
      if (next.cancelled) continue;
      if (next.atMs > this.nowMs) this.clock.advance(next.atMs - this.nowMs);
      this.events++;
      next.fn();
      await settle();
      return true;
    }
  }

  /** Runs every timer up to `untilMs`, then moves the clock there. */
  async runUntil(untilMs: number, afterEach?: () => void): Promise<void> {
    while (await this.step(untilMs)) afterEach?.();
    if (untilMs > this.nowMs) this.clock.advance(untilMs - this.nowMs);
    await settle();
  }
}

/** Lets all pending promise continuations run (they are microtasks; I/O is absent). */
export async function settle(): Promise<void> {
  await nextTurn();
}

/**
 * One node's timers: `crash()` drops every pending and future timer of the node (a dead process
 * runs nothing); `pause(ms)` holds the node's timers back, as a long GC pause or a stopped
 * process would, while the rest of the world moves on.
 */
export class NodeTimers implements Timers {
  private readonly sim: SimScheduler;
  private dead = false;
  private pausedUntilMs = 0;

  constructor(sim: SimScheduler) {
    this.sim = sim;
  }

  after(delayMs: number, fn: () => void): Timer {
    const run = () => {
      if (this.dead) return;
      if (this.sim.nowMs < this.pausedUntilMs) {
        inner = this.sim.at(this.pausedUntilMs, run);
        return;
      }
      fn();
    };
    let inner = this.sim.at(this.sim.nowMs + Math.max(0, delayMs), run);
    return { cancel: () => inner.cancel() };
  }

  crash(): void {
    this.dead = true;
  }

  pause(ms: number): void {
    this.pausedUntilMs = Math.max(this.pausedUntilMs, this.sim.nowMs + ms);
  }

  get paused(): boolean {
    return this.sim.nowMs < this.pausedUntilMs;
  }

  get crashed(): boolean {
    return this.dead;
  }
}
