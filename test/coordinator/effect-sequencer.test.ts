import assert from "node:assert/strict";
import { test } from "node:test";
import { EffectSequencer } from "../../src/coordinator/effect-sequencer.js";
import type { CoordinatorResponse } from "../../src/coordinator/group-api.js";
import type { CoordinatorEffect } from "../../src/coordinator/shard-state.js";

const hb = (handle: number): CoordinatorEffect => ({
  kind: "respond",
  handle,
  response: { api: "heartbeat", data: { errorCode: 0 } } satisfies CoordinatorResponse,
});
const append = (appendId: number): CoordinatorEffect => ({ kind: "append", appendId, records: [] });
const handles = (effects: readonly { handle: number }[]) => effects.map((e) => e.handle);

test("a response waits for every append emitted before it", () => {
  const s = new EffectSequencer();
  assert.deepEqual(handles(s.accept([hb(1)]).ready), [1], "nothing pending: at once");
  const first = s.accept([append(1), hb(2)]);
  assert.equal(first.appends.length, 1);
  assert.deepEqual(first.ready, []);
  assert.deepEqual(handles(s.accept([hb(3)]).ready), [], "a later request waits for the earlier append");
  s.accept([append(2)]);
  // Completions out of order are processed in emission order.
  assert.deepEqual(s.settle(2, 0), []);
  assert.deepEqual(s.settle(1, 7), [
    { appendId: 1, errorCode: 7 },
    { appendId: 2, errorCode: 0 },
  ]);
  assert.deepEqual(handles(s.releaseReady()), [2, 3]);
});

test("effects produced by a completion depend only on appends up to it", () => {
  const s = new EffectSequencer();
  s.accept([append(1)]);
  s.accept([append(2), hb(9)]);
  s.settle(1, 0);
  // The continuation of append 1 answers at once, though append 2 is still pending.
  assert.deepEqual(handles(s.accept([hb(5)], 1).ready), [5]);
  // One that also appends waits for its own append.
  assert.deepEqual(handles(s.accept([append(3), hb(6)], 1).ready), []);
  assert.deepEqual(handles(s.takeHeld()), [9, 6]);
});

test("appends must be emitted consecutively and completed once", () => {
  const s = new EffectSequencer();
  assert.throws(() => s.accept([append(2)]));
  s.accept([append(1)]);
  s.settle(1, 0);
  assert.throws(() => s.settle(1, 0));
});
