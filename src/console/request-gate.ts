import { ConsoleRequestError } from "./request-error.js";

/**
 * Runs a kind of request one at a time, the others waiting in turn, a few at most; more are
 * refused with 503. Message browsing holds up to a request's byte budget of log data and decoded
 * records while it yields to the event loop between partitions: run concurrently, N requests
 * would hold N budgets, so one at a time keeps the console's memory to one budget.
 */
export class RequestGate {
  private running = false;
  private readonly waiting: (() => void)[] = [];
  private readonly what: string;
  private readonly waitingMax: number;

  constructor(what: string, waitingMax: number) {
    this.what = what;
    this.waitingMax = waitingMax;
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.running) {
      if (this.waiting.length >= this.waitingMax)
        throw new ConsoleRequestError(
          503,
          `the console is busy with ${this.what} (${this.waitingMax} requests waiting): retry later`,
          {},
          { "retry-after": "1" },
        );
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
    this.running = true;
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      if (next === undefined) this.running = false;
      else next();
    }
  }
}
