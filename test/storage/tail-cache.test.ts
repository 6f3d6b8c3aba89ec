import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { BufferLease } from "../../src/base/index.js";
import { encodeRecordBatch } from "../../src/protocol/index.js";
import { TAIL_POISON_BYTE, TailCache, TailCacheArena } from "../../src/storage/tail-cache.js";

const NO_LIMIT = 1n << 62n;
/** Where a v2 batch header holds lastOffsetDelta. */
const LAST_OFFSET_DELTA_AT = 23;

/** One batch of `count` records of `valueBytes` at `baseOffset`, values varying with the offset. */
function batch(baseOffset: bigint, count = 1, valueBytes = 10): Buffer {
  const records = Array.from({ length: count }, (_, i) => ({
    key: null,
    value: Buffer.alloc(valueBytes, Number((baseOffset + BigInt(i)) % 251n)),
  }));
  return encodeRecordBatch({ records, baseOffset, baseTimestamp: 0n });
}

test("the cache copies what is appended: the caller's buffer may be reused at once", () => {
  const cache = new TailCache(new TailCacheArena(1 << 20, { poison: true }));
  const appended = batch(0n, 3);
  const expected = Buffer.from(appended);
  cache.add(0n, appended);
  appended.fill(0xee);
  const read = cache.read(0n, 1 << 20, NO_LIMIT, true);
  assert.ok(read !== null);
  assert.deepEqual(Buffer.concat(read.records), expected);
});

test("cleared caches (rolled, truncated, deleted logs) never hold more than the arena", () => {
  const one = batch(0n).length;
  const arena = new TailCacheArena(8 * one, { slabBytes: 2 * one });
  const quiet = new TailCache(arena);
  quiet.add(0n, batch(0n));
  for (let round = 0; round < 10_000; round++) {
    const churned = new TailCache(arena);
    churned.add(0n, batch(0n));
    churned.clear();
    assert.ok(arena.bytesInUse <= arena.bytesMax);
  }
  assert.equal(arena.slabsAllocated, 4, "the slabs were reused, not allocated again");
  assert.equal(quiet.isEmpty, true, "the quiet log's chunk went with its slab");
});

test("the oldest chunks across logs go first, a slab at a time", () => {
  const one = batch(0n).length;
  const arena = new TailCacheArena(3 * one, { slabBytes: one });
  const caches = Array.from({ length: 5 }, () => new TailCache(arena));
  caches.forEach((c, i) => {
    c.add(0n, batch(0n));
    if (i === 1) c.clear();
  });
  assert.deepEqual(
    caches.map((c) => c.isEmpty),
    [true, true, false, false, false],
  );
});

test("slabs never read from are recycled; slabs read from are dropped, and what was read stays intact", () => {
  const one = batch(0n).length;
  const arena = new TailCacheArena(4 * one, { slabBytes: one, poison: true });
  const cache = new TailCache(arena);
  for (let offset = 0n; offset < 100n; offset++) cache.add(offset, batch(offset));
  assert.equal(arena.slabsAllocated, 4);
  assert.equal(arena.slabsDropped, 0);
  const read = cache.read(99n, 1 << 20, NO_LIMIT, true);
  assert.ok(read !== null);
  const held = read.records[0] as Buffer;
  for (let offset = 100n; offset < 200n; offset++) cache.add(offset, batch(offset));
  assert.equal(arena.slabsDropped, 1, "the slab that was read from is not overwritten");
  assert.deepEqual(held, batch(99n));
  assert.equal(arena.slabsAllocated, 5);
});

test("a slab read on a lease is recycled once the lease is released, and stays intact until then", () => {
  const one = batch(0n).length;
  const arena = new TailCacheArena(4 * one, { slabBytes: one, poison: true });
  const cache = new TailCache(arena);
  for (let offset = 0n; offset < 4n; offset++) cache.add(offset, batch(offset));
  const held = new BufferLease();
  const kept = cache.read(3n, 1 << 20, NO_LIMIT, true, held);
  assert.ok(kept !== null);
  const released = new BufferLease();
  assert.ok(cache.read(2n, one, NO_LIMIT, true, released) !== null);
  released.release();
  // Two more appends retire the slabs of offsets 0 and 1 (never read), then 2 (lease given back):
  // all three are reused. The next retires 3, still on lease: dropped, and its view intact.
  for (let offset = 4n; offset < 7n; offset++) cache.add(offset, batch(offset));
  assert.equal(arena.slabsRecycled, 3);
  assert.equal(arena.slabsDropped, 0);
  cache.add(7n, batch(7n));
  assert.equal(arena.slabsDropped, 1, "the slab still on lease is not overwritten");
  assert.deepEqual(kept.records[0], batch(3n));
  held.release();
  assert.equal(arena.slabsAllocated, 5);
});

test("an append too large for a slab empties the cache instead of leaving a gap", () => {
  const arena = new TailCacheArena(4096, { slabBytes: 1024 });
  const cache = new TailCache(arena);
  cache.add(0n, batch(0n));
  cache.add(1n, batch(1n, 1, 2000));
  cache.add(2n, batch(2n));
  assert.equal(cache.read(1n, 1 << 20, NO_LIMIT, true), null, "offset 1 is older than the cache");
  assert.equal(cache.read(2n, 1 << 20, NO_LIMIT, true)?.firstOffset, 2n);
});

test("reads return exactly the batches appended, whatever the interleaving of logs, sizes and reads", () => {
  fc.assert(
    fc.property(
      fc.array(
        fc.record({
          log: fc.nat(2),
          records: fc.integer({ min: 1, max: 4 }),
          valueBytes: fc.integer({ min: 1, max: 700 }),
          readBack: fc.nat(6),
          clear: fc.nat(30),
        }),
        { maxLength: 120 },
      ),
      (steps) => {
        const arena = new TailCacheArena(8 * 1024, { slabBytes: 2048, poison: true });
        const logs = [0, 1, 2].map(() => ({
          cache: new TailCache(arena),
          end: 0n,
          batches: new Map<bigint, Buffer>(),
        }));
        const held: { bytes: Buffer; expected: Buffer }[] = [];
        for (const step of steps) {
          const log = logs[step.log] as (typeof logs)[number];
          if (step.clear === 0) log.cache.clear();
          const appended = batch(log.end, step.records, step.valueBytes);
          log.batches.set(log.end, Buffer.from(appended));
          log.cache.add(log.end, appended);
          appended.fill(0xee);
          log.end += BigInt(step.records);
          const from = log.end - BigInt(step.readBack);
          const read = log.cache.read(from < 0n ? 0n : from, 1 << 20, NO_LIMIT, true);
          if (read === null || read.records.length === 0) continue;
          const bytes = Buffer.concat(read.records);
          const expected: Buffer[] = [];
          for (let at = read.firstOffset; at < read.nextOffset; ) {
            const b = log.batches.get(at);
            assert.ok(b !== undefined, `a batch starts at ${at}`);
            expected.push(b);
            at += BigInt(b.readInt32BE(LAST_OFFSET_DELTA_AT) + 1);
          }
          assert.deepEqual(bytes, Buffer.concat(expected));
          for (const r of read.records) held.push({ bytes: r, expected: Buffer.from(r) });
        }
        for (const h of held) {
          assert.deepEqual(h.bytes, h.expected, "bytes handed out by a read never change");
          assert.ok(h.bytes.length === 0 || !h.bytes.every((x) => x === TAIL_POISON_BYTE));
        }
      },
    ),
    { numRuns: 200 },
  );
});
