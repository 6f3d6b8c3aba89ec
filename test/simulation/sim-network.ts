import type { SeededRandom, Timers } from "../../src/base/index.js";
import type { SimScheduler } from "./sim-scheduler.js";

/**
 * Something on the simulated network: a node's process (one incarnation: a restarted node is a
 * new endpoint with the same name) or a client. Messages run on the receiver's timers, so a
 * paused process handles them when it resumes and a crashed one never does.
 */
export interface SimEndpoint {
  readonly name: string;
  readonly timers: Timers;
  readonly alive: boolean;
}

/**
 * The data plane's network between nodes and clients: every message takes a random latency, a
 * few are lost, and links can be cut (one node from everyone: a network partition) or slowed (a
 * congested or far-away node). A message from or to a dead process is lost; so is one whose link
 * is cut when it arrives. Requests carry their answer back on the same faulty network; the caller
 * gives up after its timeout (as a client closes a connection that timed out).
 */
export class SimNetwork {
  private readonly scheduler: SimScheduler;
  private readonly random: SeededRandom;
  /** Names of endpoints cut off from every other endpoint. */
  private readonly isolated = new Set<string>();
  /** Extra latency of every message to or from an endpoint, until a time. */
  private readonly slow = new Map<string, { extraMs: number; untilMs: number }>();
  dropRate = 0.01;
  latencyMaxMs = 5;
  sent = 0;
  dropped = 0;
  deliveredFromDead = 0;
  /** Where an error thrown by a request's handler goes (a broken invariant fails the run). */
  private readonly onError: (error: unknown) => void;

  constructor(scheduler: SimScheduler, random: SeededRandom, onError: (error: unknown) => void) {
    this.scheduler = scheduler;
    this.random = random;
    this.onError = onError;
  }

  isolate(name: string): void {
    this.isolated.add(name);
  }

  reconnect(name: string): void {
    this.isolated.delete(name);
  }

  isIsolated(name: string): boolean {
    return this.isolated.has(name);
  }

  slowDown(name: string, extraMs: number, forMs: number): void {
    this.slow.set(name, { extraMs, untilMs: this.scheduler.nowMs + forMs });
  }

  /** Everything healed: no cut links, no slow endpoints, no losses. */
  heal(): void {
    this.isolated.clear();
    this.slow.clear();
    this.dropRate = 0;
  }

  linked(from: string, to: string): boolean {
    return from === to || (!this.isolated.has(from) && !this.isolated.has(to));
  }

  private latencyMs(from: string, to: string): number {
    let ms = this.random.int(1, this.latencyMaxMs);
    for (const name of [from, to]) {
      const s = this.slow.get(name);
      if (s !== undefined && s.untilMs > this.scheduler.nowMs) ms += s.extraMs;
    }
    return ms;
  }

  /** One message: `deliver` runs at the receiver unless the message is lost. */
  send(from: SimEndpoint, to: SimEndpoint, deliver: () => void): void {
    this.sent++;
    if (!from.alive || !this.linked(from.name, to.name) || this.random.next() < this.dropRate) {
      this.dropped++;
      return;
    }
    this.scheduler.at(this.scheduler.nowMs + this.latencyMs(from.name, to.name), () => {
      if (!to.alive || !this.linked(from.name, to.name)) {
        this.dropped++;
        return;
      }
      // Sent before the sender died, still delivered (as TCP delivers what was sent).
      if (!from.alive) this.deliveredFromDead++;
      to.timers.after(0, deliver);
    });
  }

  /**
   * A request from `from` handled at `to` by `handle`, its answer carried back: resolves with the
   * answer, or with null when none came back within `timeoutMs`.
   */
  request<T>(
    from: SimEndpoint,
    to: SimEndpoint,
    handle: () => T | Promise<T>,
    timeoutMs: number,
  ): Promise<T | null> {
    return new Promise<T | null>((resolve) => {
      let done = false;
      const finish = (answer: T | null) => {
        if (done) return;
        done = true;
        timer.cancel();
        resolve(answer);
      };
      const timer = from.timers.after(timeoutMs, () => finish(null));
      this.send(from, to, () => {
        void Promise.resolve()
          .then(handle)
          .then((answer) => this.send(to, from, () => finish(answer)))
          .catch(this.onError);
      });
    });
  }
}
