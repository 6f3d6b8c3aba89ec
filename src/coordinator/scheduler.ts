/** A one-shot timer, cancellable. */
export interface ScheduledTimer {
  cancel(): void;
}

/** Where the coordinator shell gets its timers from: Node's in production, a manual one in tests. */
export interface Scheduler {
  /** Calls `fn` once, `delayMs` (monotonic) from now. */
  schedule(delayMs: number, fn: () => void): ScheduledTimer;
}

/** Node's timers, unref'd so that a pending coordinator timer never keeps a process alive. */
export const systemScheduler: Scheduler = {
  schedule(delayMs, fn) {
    const timer = setTimeout(fn, Math.max(0, delayMs));
    timer.unref();
    return { cancel: () => clearTimeout(timer) };
  },
};
