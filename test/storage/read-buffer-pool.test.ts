import assert from "node:assert/strict";
import { test } from "node:test";
import { BufferLease } from "../../src/base/index.js";
import { READ_POOL_POISON_BYTE, ReadBufferPool } from "../../src/storage/read-buffer-pool.js";

test("a pooled read buffer comes back when its lease is released, not before", () => {
  const pool = new ReadBufferPool(1024, 2, { poison: true });
  const lease = new BufferLease();
  const a = pool.take(600, lease);
  a.fill(7);
  const b = pool.take(600, new BufferLease());
  assert.notEqual(a.buffer, b.buffer, "a buffer on lease is not handed out twice");
  assert.ok(a.every((x) => x === 7));
  lease.release();
  assert.ok(
    a.every((x) => x === READ_POOL_POISON_BYTE),
    "a returned buffer is poisoned in debug mode",
  );
  const c = pool.take(1024, new BufferLease());
  assert.equal(c, a, "the returned buffer is reused");
  assert.equal(pool.allocated, 2);
  assert.equal(pool.reused, 1);
});

test("reads without a lease, larger than a pooled buffer or smaller than half of one get memory of their own size; the pool keeps a bounded number", () => {
  const pool = new ReadBufferPool(1024, 1);
  assert.equal(pool.take(600, undefined).length, 600);
  assert.equal(pool.take(4096, new BufferLease()).length, 4096);
  assert.equal(pool.take(100, new BufferLease()).length, 100);
  assert.equal(pool.allocated, 0);
  const leases = [new BufferLease(), new BufferLease(), new BufferLease()];
  for (const lease of leases) pool.take(512, lease);
  for (const lease of leases) lease.release();
  assert.equal(pool.freeCount, 1);
});

test("a lease gives back each loan once, and takes none after its release", () => {
  const lease = new BufferLease();
  let given = 0;
  lease.add(() => given++);
  lease.release();
  lease.release();
  assert.equal(given, 1);
  assert.throws(() => lease.add(() => {}), /already released/);
});
