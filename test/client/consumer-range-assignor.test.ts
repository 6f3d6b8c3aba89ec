import assert from "node:assert/strict";
import { test } from "node:test";
import { decodeConsumerAssignment } from "../../src/client/admin-group-results.js";
import { encodeAssignment, encodeSubscription } from "../../src/client/consumer-group.js";
import { rangeAssign } from "../../src/client/range-assignor.js";
import { decodeConsumerProtocolSubscriptionVersioned, Reader } from "../../src/protocol/index.js";

const names = (tps: { topic: string; partition: number }[] | undefined) =>
  (tps ?? []).map((tp) => `${tp.topic}p${tp.partition}`);

test("Kafka's documented example: 2 members, 2 topics of 3 partitions", () => {
  const a = rangeAssign(
    [
      { memberId: "C1", topics: ["t0", "t1"] },
      { memberId: "C0", topics: ["t0", "t1"] },
    ],
    new Map([
      ["t0", 3],
      ["t1", 3],
    ]),
  );
  assert.deepEqual(names(a.get("C0")), ["t0p0", "t0p1", "t1p0", "t1p1"]);
  assert.deepEqual(names(a.get("C1")), ["t0p2", "t1p2"]);
});

test("per topic, only its subscribers share it; unknown topics and idle members", () => {
  const a = rangeAssign(
    [
      { memberId: "b", topics: ["x"] },
      { memberId: "a", topics: ["x", "y"] },
      { memberId: "c", topics: ["x", "missing"] },
      { memberId: "d", topics: ["y"] },
    ],
    new Map([
      ["x", 7],
      ["y", 1],
    ]),
  );
  assert.deepEqual(names(a.get("a")), ["xp0", "xp1", "xp2", "yp0"]);
  assert.deepEqual(names(a.get("b")), ["xp3", "xp4"]);
  assert.deepEqual(names(a.get("c")), ["xp5", "xp6"]);
  assert.deepEqual(names(a.get("d")), []);
});

test("more members than partitions: the last ones get nothing", () => {
  const a = rangeAssign(
    ["m3", "m1", "m2"].map((memberId) => ({ memberId, topics: ["t"] })),
    new Map([["t", 2]]),
  );
  assert.deepEqual(names(a.get("m1")), ["tp0"]);
  assert.deepEqual(names(a.get("m2")), ["tp1"]);
  assert.deepEqual(names(a.get("m3")), []);
});

test("subscription and assignment bytes round-trip through the consumer protocol codecs", () => {
  const sub = decodeConsumerProtocolSubscriptionVersioned(new Reader(encodeSubscription(["a", "b"])));
  assert.deepEqual(sub.value.topics, ["a", "b"]);
  const assigned = decodeConsumerAssignment(
    encodeAssignment([
      { topic: "a", partition: 0 },
      { topic: "b", partition: 2 },
      { topic: "a", partition: 1 },
    ]),
  );
  assert.deepEqual(assigned, [
    { topic: "a", partitions: [0, 1] },
    { topic: "b", partitions: [2] },
  ]);
});
