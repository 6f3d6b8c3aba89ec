import { assert } from "../base/index.js";

/** An operation's time limit, retries included: each attempt gets what remains, up to its own cap. */
export class Deadline {
  private readonly atMs: number;

  constructor(timeoutMs: number) {
    assert(timeoutMs >= 0, "a timeout is not negative");
    this.atMs = performance.now() + timeoutMs;
  }

  remainingMs(): number {
    return Math.max(0, Math.ceil(this.atMs - performance.now()));
  }

  expired(): boolean {
    return this.remainingMs() === 0;
  }

  /** The timeout for one attempt: `capMs`, or less when less remains (never 0, so it still goes out). */
  attemptTimeoutMs(capMs: number): number {
    return Math.max(1, Math.min(capMs, this.remainingMs()));
  }

  /** Waits `ms`, or until the deadline if that comes first. */
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, Math.min(ms, this.remainingMs())));
  }

  /**
   * `work`'s outcome, or undefined if the deadline comes first. The work goes on (a connection
   * attempt shared with other callers, say); only this wait ends.
   */
  race<T>(work: Promise<T>): Promise<T | undefined> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => resolve(undefined), this.attemptTimeoutMs(Number.MAX_SAFE_INTEGER));
      work.then(
        (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(error);
        },
      );
    });
  }
}
