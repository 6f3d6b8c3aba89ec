import { assert } from "../base/index.js";
import type { CoordinatorResponse, RequestHandle } from "./group-api.js";
import type { CoordinatorEffect } from "./shard-state.js";

/** Responses held back waiting for appends, per shard, beyond this mean the log stopped completing. */
export const HELD_RESPONSES_MAX = 1_000_000;

export type AppendEffect = Extract<CoordinatorEffect, { kind: "append" }>;
export type RespondEffect = Extract<CoordinatorEffect, { kind: "respond" }>;

/**
 * Applies the shell's ordering rule to one shard's effects: every append starts at once, and a
 * response is released only once every append it may depend on has completed, so that nothing
 * is acknowledged before it is durable and a request answered after a write sees it.
 *
 * A batch of effects is accepted at a position: the last append it may depend on. A request's or a
 * timer's batch depends on everything emitted before it; the batch a completing append produces
 * depends only on appends up to that one. Within a batch, a response also waits for the appends
 * emitted before it. Appends complete in any order, but are handed back for processing in the
 * order they were emitted (as a partition log completes them anyway).
 *
 * Invariants: append ids are emitted consecutively from 1; `completedThrough` is the highest id
 * such that it and every lower id have completed; held responses wait for ids above it.
 */
export class EffectSequencer {
  private lastAppendId = 0;
  private completedThrough = 0;
  private readonly settled = new Map<number, number>();
  private held: {
    readonly waitFor: number;
    readonly handle: RequestHandle;
    readonly response: CoordinatorResponse;
  }[] = [];

  /** The highest append id emitted so far: the position of a fresh request's effects. */
  get position(): number {
    return this.lastAppendId;
  }

  get heldCount(): number {
    return this.held.length;
  }

  /** Returns the appends to start and the responses that may be delivered now. */
  accept(
    effects: readonly CoordinatorEffect[],
    position: number = this.lastAppendId,
  ): { appends: AppendEffect[]; ready: RespondEffect[] } {
    const appends: AppendEffect[] = [];
    const ready: RespondEffect[] = [];
    let waitFor = position;
    for (const e of effects) {
      if (e.kind === "append") {
        assert(e.appendId === this.lastAppendId + 1, () => `append ${e.appendId} after ${this.lastAppendId}`);
        this.lastAppendId = e.appendId;
        waitFor = e.appendId;
        appends.push(e);
      } else if (waitFor <= this.completedThrough) {
        ready.push(e);
      } else {
        this.held.push({ waitFor, handle: e.handle, response: e.response });
        assert(this.held.length <= HELD_RESPONSES_MAX, "too many responses waiting on appends");
      }
    }
    return { appends, ready };
  }

  /**
   * Records that an append completed (errorCode 0: durably). Returns the completions that are now
   * next in emission order, to be processed (and their effects accepted) in that order.
   */
  settle(appendId: number, errorCode: number): { appendId: number; errorCode: number }[] {
    assert(
      appendId > this.completedThrough && appendId <= this.lastAppendId,
      () => `append ${appendId} is not pending`,
    );
    assert(!this.settled.has(appendId), () => `append ${appendId} completed twice`);
    this.settled.set(appendId, errorCode);
    const out: { appendId: number; errorCode: number }[] = [];
    for (;;) {
      const next = this.completedThrough + 1;
      const code = this.settled.get(next);
      if (code === undefined) break;
      this.settled.delete(next);
      this.completedThrough = next;
      out.push({ appendId: next, errorCode: code });
    }
    return out;
  }

  /** Held responses whose appends have all completed, in the order they were emitted. */
  releaseReady(): RespondEffect[] {
    const ready: RespondEffect[] = [];
    const still: typeof this.held = [];
    for (const h of this.held) {
      if (h.waitFor <= this.completedThrough)
        ready.push({ kind: "respond", handle: h.handle, response: h.response });
      else still.push(h);
    }
    this.held = still;
    return ready;
  }

  /** Every held response, dropped from the sequencer (the partition is being unloaded). */
  takeHeld(): RespondEffect[] {
    const all = this.held.map(
      (h): RespondEffect => ({ kind: "respond", handle: h.handle, response: h.response }),
    );
    this.held = [];
    return all;
  }
}
