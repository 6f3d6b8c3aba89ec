import assert from "node:assert/strict";
import { test } from "node:test";
import { BufferMemory } from "../../src/client/buffer-memory.js";

/** The producer's buffer.memory bound: admission in arrival order, release, max.block.ms. */

test("records are admitted while they fit, then wait in arrival order for released bytes", () => {
  const memory = new BufferMemory(100, 60_000);
  const admitted: string[] = [];
  const ask = (name: string, bytes: number) =>
    memory.request(
      bytes,
      () => admitted.push(name),
      () => admitted.push(`${name} timed out`),
    );
  ask("a", 60);
  ask("b", 50); // does not fit
  ask("c", 10); // would fit, but waits behind b: records keep their order
  assert.deepEqual(admitted, ["a"]);
  assert.equal(memory.waiting, 2);
  memory.release(60);
  assert.deepEqual(admitted, ["a", "b", "c"]);
  assert.equal(memory.usedBytes, 60);
  assert.equal(memory.waiting, 0);
  assert.throws(() => memory.release(61), /released twice/);
});

/** Simulated time: timers run when the test moves the clock past them. */
function simulatedTimers() {
  let now = 0;
  let pending: { at: number; callback: () => void } | null = null;
  return {
    timers: {
      now: () => now,
      setTimeout: (callback: () => void, ms: number) => {
        pending = { at: now + ms, callback };
        return pending;
      },
      clearTimeout: (handle: unknown) => {
        if (pending === handle) pending = null;
      },
    },
    advance(ms: number) {
      now += ms;
      while (pending !== null && pending.at <= now) {
        const due = pending;
        pending = null;
        due.callback();
      }
    },
  };
}

test("a record that waits longer than max.block.ms times out; the ones behind it may then fit", () => {
  const clock = simulatedTimers();
  const memory = new BufferMemory(100, 30, clock.timers);
  const events: string[] = [];
  const ask = (name: string, bytes: number) =>
    memory.request(
      bytes,
      () => events.push(name),
      () => events.push(`${name} timed out`),
    );
  ask("a", 90);
  ask("b", 50);
  clock.advance(10);
  ask("c", 5); // fits, but waits behind b
  clock.advance(19);
  assert.deepEqual(events, ["a"], "b has 1 ms left");
  clock.advance(1);
  assert.deepEqual(events, ["a", "b timed out", "c"], "c fits once b no longer waits before it");
  assert.equal(memory.usedBytes, 95);
  assert.equal(memory.waiting, 0);
});
