/**
 * Time is injected everywhere it matters so that state machines can be driven by simulated time
 * in tests. `nowMs` is wall-clock milliseconds (timestamps that leave the process); `monotonicMs`
 * never goes back and is what timeouts are measured with.
 */
export interface Clock {
  nowMs(): number;
  monotonicMs(): number;
}

export const systemClock: Clock = {
  nowMs: () => Date.now(),
  monotonicMs: () => performance.now(),
};

/** A clock that only moves when told to: for deterministic tests and simulations. */
export class ManualClock implements Clock {
  private wallMs: number;
  private monoMs = 0;

  constructor(startWallMs = 1_700_000_000_000) {
    this.wallMs = startWallMs;
  }

  nowMs(): number {
    return this.wallMs;
  }

  monotonicMs(): number {
    return this.monoMs;
  }

  advance(ms: number): void {
    if (ms < 0) throw new RangeError("a clock never goes back");
    this.wallMs += ms;
    this.monoMs += ms;
  }
}
