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

test("a record that waits longer than max.block.ms times out; the ones behind it may then fit", async () => {
  const memory = new BufferMemory(100, 30);
  const events: string[] = [];
  memory.request(
    90,
    () => events.push("a"),
    () => events.push("a timed out"),
  );
  memory.request(
    50,
    () => events.push("b"),
    () => events.push("b timed out"),
  );
  await new Promise((resolve) => setTimeout(resolve, 10));
  memory.request(
    5,
    () => events.push("c"),
    () => events.push("c timed out"),
  );
  assert.deepEqual(events, ["a"]);
  await new Promise((resolve) => setTimeout(resolve, 40));
  assert.deepEqual(events, ["a", "b timed out", "c"], "c fits once b no longer waits before it");
  assert.equal(memory.usedBytes, 95);
});
