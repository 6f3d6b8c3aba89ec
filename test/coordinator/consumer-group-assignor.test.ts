import assert from "node:assert/strict";
import test from "node:test";
import fc from "fast-check";
import {
  type AssignorInput,
  type ConsumerGroupAssignor,
  rangeAssignor,
  type TopicPartitions,
  uniformAssignor,
} from "../../src/coordinator/consumer-group-assignor.js";

const TOPICS = ["tA", "tB", "tC"];

/** Members (some subscribed to a subset of the topics), partition counts, and a previous target. */
const groupArb = (homogeneous: boolean) =>
  fc
    .record({
      memberCount: fc.integer({ min: 1, max: 8 }),
      counts: fc.array(fc.integer({ min: 0, max: 20 }), { minLength: 3, maxLength: 3 }),
      subscriptions: fc.array(fc.subarray(TOPICS, { minLength: 1 }), { minLength: 8, maxLength: 8 }),
      previousSeed: fc.array(fc.integer({ min: 0, max: 7 }), { minLength: 60, maxLength: 60 }),
    })
    .map(({ memberCount, counts, subscriptions, previousSeed }) => {
      const partitionCounts = new Map(TOPICS.map((t, i) => [t, counts[i] as number]));
      // A previous target that may be unbalanced and name members that left.
      const previous = new Map<string, Map<string, Set<number>>>();
      let k = 0;
      for (const t of TOPICS) {
        for (let p = 0; p < (partitionCounts.get(t) ?? 0); p++) {
          const owner = `m${previousSeed[k++ % previousSeed.length]}`;
          const byTopic = previous.get(owner) ?? new Map<string, Set<number>>();
          previous.set(owner, byTopic);
          byTopic.set(t, (byTopic.get(t) ?? new Set()).add(p));
        }
      }
      const input: AssignorInput = {
        partitionCounts,
        members: Array.from({ length: memberCount }, (_, i) => ({
          memberId: `m${i}`,
          subscribedTopicIds: homogeneous ? TOPICS : (subscriptions[i] as string[]),
          previous: previous.get(`m${i}`) ?? new Map(),
        })),
      };
      return input;
    });

function total(a: TopicPartitions): number {
  let n = 0;
  for (const ps of a.values()) n += ps.size;
  return n;
}

function checkExactlyOnce(
  assignor: ConsumerGroupAssignor,
  input: AssignorInput,
): Map<string, TopicPartitions> {
  const result = assignor.assign(input);
  assert.deepEqual([...result.keys()].sort(), input.members.map((m) => m.memberId).sort());
  const owner = new Map<string, string>();
  for (const [memberId, assignment] of result) {
    const member = input.members.find((m) => m.memberId === memberId);
    for (const [topicId, partitions] of assignment) {
      assert.ok(
        member?.subscribedTopicIds.includes(topicId),
        `${memberId} got ${topicId} it does not subscribe to`,
      );
      for (const p of partitions) {
        const key = `${topicId}-${p}`;
        assert.ok(p >= 0 && p < (input.partitionCounts.get(topicId) ?? 0), `${key} does not exist`);
        assert.equal(owner.get(key), undefined, `${key} assigned twice`);
        owner.set(key, memberId);
      }
    }
  }
  for (const [topicId, count] of input.partitionCounts) {
    const subscribed = input.members.some((m) => m.subscribedTopicIds.includes(topicId));
    for (let p = 0; p < count; p++) {
      assert.equal(owner.has(`${topicId}-${p}`), subscribed, `${topicId}-${p} assigned iff subscribed`);
    }
  }
  return result;
}

for (const assignor of [uniformAssignor, rangeAssignor]) {
  test(`${assignor.name}: every subscribed partition goes to exactly one of its subscribers`, () => {
    fc.assert(
      fc.property(groupArb(false), (input) => {
        checkExactlyOnce(assignor, input);
      }),
      { numRuns: 300 },
    );
  });
}

test("uniform: members with the same subscriptions end within one partition of each other", () => {
  fc.assert(
    fc.property(groupArb(true), (input) => {
      const loads = [...checkExactlyOnce(uniformAssignor, input).values()].map(total);
      assert.ok(Math.max(...loads) - Math.min(...loads) <= 1, `loads ${loads}`);
    }),
    { numRuns: 300 },
  );
});

test("uniform: a member joining takes partitions without moving the others' between themselves", () => {
  const partitionCounts = new Map([["t", 6]]);
  const first = uniformAssignor.assign({
    partitionCounts,
    members: [
      { memberId: "a", subscribedTopicIds: ["t"], previous: new Map() },
      { memberId: "b", subscribedTopicIds: ["t"], previous: new Map() },
    ],
  });
  const second = uniformAssignor.assign({
    partitionCounts,
    members: [
      { memberId: "a", subscribedTopicIds: ["t"], previous: first.get("a") ?? new Map() },
      { memberId: "b", subscribedTopicIds: ["t"], previous: first.get("b") ?? new Map() },
      { memberId: "c", subscribedTopicIds: ["t"], previous: new Map() },
    ],
  });
  for (const id of ["a", "b"]) {
    const before = first.get(id)?.get("t") ?? new Set();
    const after = second.get(id)?.get("t") ?? new Set();
    assert.equal(after.size, 2);
    for (const p of after) assert.ok(before.has(p), `${id} kept ${p}, it did not get new ones`);
  }
  assert.equal(second.get("c")?.get("t")?.size, 2);
});

test("range: subscribers sorted by member id get contiguous ranges, the first ones one more", () => {
  const result = rangeAssignor.assign({
    partitionCounts: new Map([["t", 7]]),
    members: ["m2", "m0", "m1"].map((memberId) => ({
      memberId,
      subscribedTopicIds: ["t"],
      previous: new Map(),
    })),
  });
  assert.deepEqual([...(result.get("m0")?.get("t") ?? [])], [0, 1, 2]);
  assert.deepEqual([...(result.get("m1")?.get("t") ?? [])], [3, 4]);
  assert.deepEqual([...(result.get("m2")?.get("t") ?? [])], [5, 6]);
});
