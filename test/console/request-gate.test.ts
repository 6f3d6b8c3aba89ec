import assert from "node:assert/strict";
import { test } from "node:test";
import { ConsoleRequestError } from "../../src/console/request-error.js";
import { RequestGate } from "../../src/console/request-gate.js";

test("a gate runs one task at a time, in arrival order, and refuses past its queue with 503", async () => {
  const gate = new RequestGate("browsing messages", 2);
  const order: string[] = [];
  let release!: () => void;
  const first = gate.run(async () => {
    order.push("first starts");
    await new Promise<void>((resolve) => {
      release = resolve;
    });
    order.push("first ends");
    return 1;
  });
  const second = gate.run(async () => {
    order.push("second runs");
    return 2;
  });
  const third = gate.run(async () => {
    order.push("third runs");
    throw new Error("third fails");
  });
  await assert.rejects(
    gate.run(async () => 4),
    (error: unknown) =>
      error instanceof ConsoleRequestError &&
      error.status === 503 &&
      error.headers?.["retry-after"] === "1" &&
      /busy with browsing messages \(2 requests waiting\)/.test(error.message),
  );
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(order, ["first starts"], "the others wait for the first");
  release();
  assert.equal(await first, 1);
  assert.equal(await second, 2);
  await assert.rejects(third, /third fails/);
  assert.deepEqual(order, ["first starts", "first ends", "second runs", "third runs"]);
  assert.equal(await gate.run(async () => 5), 5, "a failed task leaves the gate open");
});
