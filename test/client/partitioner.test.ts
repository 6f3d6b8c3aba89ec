import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { murmur2, partitionForKey, StickyPartitions } from "../../src/client/index.js";

test("murmur2 gives Kafka's values (Kafka's UtilsTest.testMurmur2 vectors)", () => {
  const cases: [string | number[], number][] = [
    ["21", -973932308],
    ["foobar", -790332482],
    ["a-little-bit-long-string", -985981536],
    ["a-little-bit-longer-string", -1486304829],
    ["lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971],
    [[0x61, 0x62, 0x63], 479470107],
  ];
  for (const [input, expected] of cases) {
    const bytes = typeof input === "string" ? Buffer.from(input) : Buffer.from(input);
    assert.equal(murmur2(bytes), expected, `murmur2(${JSON.stringify(input)})`);
  }
});

test("a key's partition is toPositive(murmur2) modulo the partition count, always in range", () => {
  // -973932308 & 0x7fffffff = 1173551340; % 3 = 0
  assert.equal(partitionForKey(Buffer.from("21"), 3), 1173551340 % 3);
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), fc.integer({ min: 1, max: 1000 }), (key, n) => {
      const p = partitionForKey(key, n);
      return Number.isInteger(p) && p >= 0 && p < n && p === partitionForKey(Uint8Array.from(key), n);
    }),
  );
});

test("keyless records stick to one partition until its batch is sealed, then move to another", () => {
  let seed = 0.1;
  const sticky = new StickyPartitions(() => {
    seed = (seed * 9301 + 0.49297) % 1;
    return seed;
  });
  const first = sticky.partition("t", 6);
  assert.equal(sticky.partition("t", 6), first);
  sticky.next("t", 6, (first + 1) % 6); // another partition's batch: nothing changes
  assert.equal(sticky.partition("t", 6), first);
  sticky.next("t", 6, first);
  const second = sticky.partition("t", 6);
  assert.notEqual(second, first);
  assert.ok(second >= 0 && second < 6);
  const single = new StickyPartitions();
  single.next("one", 1, single.partition("one", 1));
  assert.equal(single.partition("one", 1), 0);
});
