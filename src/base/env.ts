import { randomBytes } from "node:crypto";
import { type Clock, systemClock } from "./clock.js";
import { SeededRandom } from "./random.js";

/** A one-shot timer, cancellable. */
export interface Timer {
  cancel(): void;
}

/** Where timers come from: Node's in production, a simulation's scheduler in tests. */
export interface Timers {
  /** Calls `fn` once, `delayMs` (monotonic) from now. */
  after(delayMs: number, fn: () => void): Timer;
}

/** Node's timers, unref'd: a pending Brook timer never keeps a process alive on its own. */
export const systemTimers: Timers = {
  after(delayMs, fn) {
    const timer = setTimeout(fn, Math.max(0, delayMs));
    timer.unref();
    return { cancel: () => clearTimeout(timer) };
  },
};

/**
 * Everything non-deterministic a node's control plane reaches for (the controller, the metadata
 * store, broker lifecycle), injected so that whole nodes run inside a seeded simulation: time,
 * timers, randomness and fresh identifiers. Production draws identifiers from the system's
 * entropy; a simulation from its seed, so that a run replays exactly.
 */
export interface Env {
  readonly clock: Clock;
  readonly timers: Timers;
  readonly random: SeededRandom;
  /** 16 fresh random bytes (UUIDs: topic ids, incarnation ids). */
  randomBytes16(): Buffer;
}

export function systemEnv(clock: Clock = systemClock): Env {
  return {
    clock,
    timers: systemTimers,
    random: new SeededRandom(randomBytes(4).readUInt32LE(0)),
    randomBytes16: () => randomBytes(16),
  };
}

/** An Env whose every choice comes from one seed (simulations and deterministic tests). */
export function seededEnv(clock: Clock, timers: Timers, random: SeededRandom): Env {
  return {
    clock,
    timers,
    random,
    randomBytes16: () => {
      const bytes = Buffer.alloc(16);
      for (let i = 0; i < 16; i += 4) bytes.writeUInt32LE(Math.floor(random.next() * 0x1_0000_0000), i);
      return bytes;
    },
  };
}

/**
 * Timers that can all be silenced at once: a node stopped as if it crashed (in-process clusters)
 * runs none of its pending or future timers, so nothing of it renews a session or retries.
 */
export class KillableTimers implements Timers {
  private readonly inner: Timers;
  private killed = false;

  constructor(inner: Timers) {
    this.inner = inner;
  }

  after(delayMs: number, fn: () => void): Timer {
    if (this.killed) return { cancel: () => {} };
    return this.inner.after(delayMs, () => {
      if (!this.killed) fn();
    });
  }

  kill(): void {
    this.killed = true;
  }
}
