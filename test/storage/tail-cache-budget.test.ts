import assert from "node:assert/strict";
import { test } from "node:test";
import { encodeRecordBatch } from "../../src/protocol/index.js";
import { TailCache, TailCacheBudget } from "../../src/storage/tail-cache.js";

function batch(): Buffer {
  return encodeRecordBatch({ records: [{ key: null, value: Buffer.from("v") }], baseTimestamp: 0n });
}

test("chunks of cleared caches (rolled, truncated, deleted logs) do not pile up in the budget's queue", () => {
  const budget = new TailCacheBudget(1024 * 1024);
  // A quiet log whose one chunk stays live at the head of the queue.
  const quiet = new TailCache(budget);
  quiet.add(0n, batch());
  for (let round = 0; round < 10_000; round++) {
    const churned = new TailCache(budget);
    churned.add(0n, batch());
    churned.clear();
  }
  assert.ok(budget.queuedChunks < 200, `${budget.queuedChunks} chunks queued for 1 live`);
  assert.equal(budget.bytesInUse, batch().length);
  assert.equal(
    quiet.read(0n, 1 << 20, 1n << 62n, true)?.sizeBytes,
    batch().length,
    "the live chunk is still served",
  );
});

test("the budget still evicts the oldest live chunks first once over its bytes", () => {
  const one = batch().length;
  const budget = new TailCacheBudget(3 * one);
  const caches = Array.from({ length: 5 }, () => new TailCache(budget));
  caches.forEach((c, i) => {
    c.add(0n, batch());
    if (i === 1) c.clear();
  });
  assert.equal(budget.bytesInUse, 3 * one);
  assert.equal(caches[0]?.isEmpty, true, "the oldest live chunk was evicted");
  assert.deepEqual(
    caches.map((c) => c.isEmpty),
    [true, true, false, false, false],
  );
});
