import assert from "node:assert/strict";
import { test } from "node:test";
import { ErrorCode } from "../../src/protocol/index.js";
import { ShardHarness, stableGroup } from "./shard-harness.js";

test("a member commits in a Stable group; OffsetFetch returns offset, leader epoch and metadata", () => {
  const h = new ShardHarness();
  const { memberIds, generationId } = stableGroup(h, 1);
  const c = h.commit({
    generationId,
    memberId: memberIds[0] as string,
    offsets: [
      { topic: "t", partition: 0, offset: 42n, metadata: "m0" },
      { topic: "t", partition: 1, offset: 7n, metadata: null },
      { topic: "u", partition: 3, offset: 9n },
    ],
  });
  assert.deepEqual(h.commitErrors(c), ["t-0:0", "t-1:0", "u-3:0"]);
  const f = h.shard.fetchOffsets({ groupId: "g", topics: [{ name: "t", partitionIndexes: [0, 1, 2] }] });
  assert.deepEqual(f, {
    groupId: "g",
    errorCode: 0,
    topics: [
      {
        name: "t",
        partitions: [
          { partitionIndex: 0, committedOffset: 42n, committedLeaderEpoch: -1, metadata: "m0", errorCode: 0 },
          { partitionIndex: 1, committedOffset: 7n, committedLeaderEpoch: -1, metadata: "", errorCode: 0 },
          { partitionIndex: 2, committedOffset: -1n, committedLeaderEpoch: -1, metadata: "", errorCode: 0 },
        ],
      },
    ],
  });
  const all = h.shard.fetchOffsets({ groupId: "g", topics: null });
  assert.deepEqual(
    all.topics.map((t) => [t.name, t.partitions.map((p) => [p.partitionIndex, p.committedOffset])]),
    [
      [
        "t",
        [
          [0, 42n],
          [1, 7n],
        ],
      ],
      ["u", [[3, 9n]]],
    ],
  );
  // A group that never committed answers -1 without an error, and nothing for "all".
  assert.equal(
    h.shard.fetchOffsets({ groupId: "other", topics: [{ name: "t", partitionIndexes: [0] }] }).topics[0]
      ?.partitions[0]?.committedOffset,
    -1n,
  );
  assert.deepEqual(h.shard.fetchOffsets({ groupId: "other", topics: null }).topics, []);
});

test("the commit's answer waits for its append, and the offset is visible only once durable", () => {
  const h = new ShardHarness();
  h.autoCompleteAppends = false;
  const c = h.commit({ offsets: [{ topic: "t", partition: 0, offset: 5n }] });
  assert.equal(h.answered(c), false);
  const fetch = () =>
    h.shard.fetchOffsets({ groupId: "g", topics: [{ name: "t", partitionIndexes: [0] }] }).topics[0]
      ?.partitions[0]?.committedOffset;
  assert.equal(fetch(), -1n);
  // A heartbeat issued meanwhile is answered only after the earlier append too.
  const hb = h.heartbeat("x", 0);
  assert.equal(h.answered(hb), false);
  h.completeAppend(h.pendingAppendIds()[0] as number);
  assert.deepEqual(h.commitErrors(c), ["t-0:0"]);
  assert.equal(h.answered(hb), true);
  assert.equal(fetch(), 5n);
});

test("failed commit appends map to Kafka's commit errors, and the offsets stay as they were", () => {
  const cases: [number, number][] = [
    [ErrorCode.NOT_ENOUGH_REPLICAS, ErrorCode.COORDINATOR_NOT_AVAILABLE],
    [ErrorCode.REQUEST_TIMED_OUT, ErrorCode.COORDINATOR_NOT_AVAILABLE],
    [ErrorCode.NOT_LEADER_OR_FOLLOWER, ErrorCode.NOT_COORDINATOR],
    [ErrorCode.KAFKA_STORAGE_ERROR, ErrorCode.NOT_COORDINATOR],
    [ErrorCode.MESSAGE_TOO_LARGE, ErrorCode.INVALID_COMMIT_OFFSET_SIZE],
    [ErrorCode.RECORD_LIST_TOO_LARGE, ErrorCode.INVALID_COMMIT_OFFSET_SIZE],
  ];
  for (const [appendError, expected] of cases) {
    const h = new ShardHarness();
    h.failNextAppendWith = appendError;
    assert.deepEqual(h.commitErrors(h.commit()), [`t-0:${expected}`]);
    assert.equal(h.shard.committedOffset("g", "t", 0), undefined);
  }
});

test("OFFSET_METADATA_TOO_LARGE for metadata over offset.metadata.max.bytes, other partitions commit", () => {
  const h = new ShardHarness({ offsetMetadataMaxBytes: 10 });
  const c = h.commit({
    offsets: [
      { topic: "t", partition: 0, offset: 1n, metadata: "x".repeat(11) },
      { topic: "t", partition: 1, offset: 2n, metadata: "x".repeat(10) },
    ],
  });
  assert.deepEqual(h.commitErrors(c), [`t-0:${ErrorCode.OFFSET_METADATA_TOO_LARGE}`, "t-1:0"]);
  assert.equal(h.shard.committedOffset("g", "t", 0), undefined);
  assert.equal(h.shard.committedOffset("g", "t", 1)?.committedOffset, 2n);
});

test("simple commits (generation -1, no member) create an Empty group without a protocol type", () => {
  const h = new ShardHarness();
  assert.deepEqual(h.commitErrors(h.commit({ groupId: "simple" })), ["t-0:0"]);
  const [described] = h.shard.describeGroups(["simple"]);
  assert.equal(described?.groupState, "Empty");
  assert.equal(described?.protocolType, "");
  assert.deepEqual(h.shard.listGroups({ statesFilter: [], typesFilter: [] }), [
    { groupId: "simple", protocolType: "", groupState: "Empty", groupType: "classic" },
  ]);
  // Again, into the now-existing Empty group.
  assert.deepEqual(
    h.commitErrors(h.commit({ groupId: "simple", offsets: [{ topic: "t", partition: 0, offset: 11n }] })),
    ["t-0:0"],
  );
  assert.equal(h.shard.committedOffset("simple", "t", 0)?.committedOffset, 11n);
});

test("commit errors by state: simple commit into a live group, bad generation, unknown member, mid-rebalance", () => {
  const h = new ShardHarness();
  const { memberIds, generationId } = stableGroup(h, 2);
  const [leader, follower] = memberIds as [string, string];
  const errors = (o: Parameters<ShardHarness["commit"]>[0]) => h.commitErrors(h.commit(o))[0];
  assert.equal(errors({}), `t-0:${ErrorCode.UNKNOWN_MEMBER_ID}`, "no member id while the group has members");
  assert.equal(
    errors({ generationId: generationId + 1, memberId: leader }),
    `t-0:${ErrorCode.ILLEGAL_GENERATION}`,
  );
  assert.equal(errors({ generationId: -1, memberId: leader }), `t-0:${ErrorCode.ILLEGAL_GENERATION}`);
  assert.equal(errors({ generationId, memberId: "stranger" }), `t-0:${ErrorCode.UNKNOWN_MEMBER_ID}`);
  assert.equal(errors({ generationId, memberId: follower }), "t-0:0");
  // PreparingRebalance: members of the current generation may still commit (before rejoining).
  const rejoin = h.join({ version: 3, memberId: leader, protocols: undefined });
  assert.equal(h.shard.group("g")?.state, "PreparingRebalance");
  assert.equal(errors({ generationId, memberId: follower }), "t-0:0");
  // CompletingRebalance: a member of the new generation has no assignment yet.
  h.join({ version: 3, memberId: follower });
  assert.equal(h.shard.group("g")?.state, "CompletingRebalance");
  assert.equal(h.joinResponse(rejoin).generationId, generationId + 1);
  assert.equal(
    errors({ generationId: generationId + 1, memberId: follower }),
    `t-0:${ErrorCode.REBALANCE_IN_PROGRESS}`,
  );
  assert.equal(errors({ generationId, memberId: follower }), `t-0:${ErrorCode.ILLEGAL_GENERATION}`);
});

test("a commit with a generation to an unknown group: ILLEGAL_GENERATION, GROUP_ID_NOT_FOUND from v9", () => {
  const h = new ShardHarness();
  assert.deepEqual(h.commitErrors(h.commit({ groupId: "x", generationId: 3, memberId: "m", version: 8 })), [
    `t-0:${ErrorCode.ILLEGAL_GENERATION}`,
  ]);
  assert.deepEqual(h.commitErrors(h.commit({ groupId: "x", generationId: 3, memberId: "m", version: 9 })), [
    `t-0:${ErrorCode.GROUP_ID_NOT_FOUND}`,
  ]);
  assert.equal(h.shard.group("x"), undefined);
});

test("a commit keeps a member's session alive", () => {
  const h = new ShardHarness();
  const { memberIds, generationId } = stableGroup(h, 1, { sessionTimeoutMs: 10_000 });
  for (let i = 0; i < 5; i++) {
    h.advance(6_000);
    assert.deepEqual(h.commitErrors(h.commit({ generationId, memberId: memberIds[0] as string })), ["t-0:0"]);
  }
  assert.equal(h.shard.group("g")?.state, "Stable");
});

test("OffsetDelete: unsubscribed topics' offsets go, subscribed ones are GROUP_SUBSCRIBED_TO_TOPIC", () => {
  const h = new ShardHarness();
  const { memberIds, generationId } = stableGroup(h, 1); // subscribes to "t"
  h.commit({
    generationId,
    memberId: memberIds[0] as string,
    offsets: [
      { topic: "t", partition: 0, offset: 1n },
      { topic: "old", partition: 0, offset: 2n },
      { topic: "old", partition: 1, offset: 3n },
    ],
  });
  const d = h.request((handle) =>
    h.shard.deleteOffsets(handle, {
      groupId: "g",
      topics: [
        { name: "t", partitions: [{ partitionIndex: 0 }] },
        { name: "old", partitions: [{ partitionIndex: 0 }, { partitionIndex: 5 }] },
      ],
    }),
  );
  assert.deepEqual(h.offsetDeleteResponse(d), {
    errorCode: 0,
    topics: [
      { name: "t", partitions: [{ partitionIndex: 0, errorCode: ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC }] },
      { name: "old", partitions: [{ partitionIndex: 0, errorCode: 0 }] },
    ],
  });
  assert.equal(h.shard.committedOffset("g", "old", 0), undefined);
  assert.equal(h.shard.committedOffset("g", "old", 1)?.committedOffset, 3n);
  assert.equal(h.shard.committedOffset("g", "t", 0)?.committedOffset, 1n);
  const last = h.log.at(-1);
  assert.deepEqual(last, {
    type: "offsetCommit",
    key: { group: "g", topic: "old", partition: 0 },
    value: null,
    valueVersion: 0,
  });
});

test("OffsetDelete errors: unknown group, a live non-consumer group, an empty group id", () => {
  const h = new ShardHarness();
  const del = (groupId: string) =>
    h.offsetDeleteResponse(
      h.request((handle) =>
        h.shard.deleteOffsets(handle, {
          groupId,
          topics: [{ name: "t", partitions: [{ partitionIndex: 0 }] }],
        }),
      ),
    );
  assert.equal(del("nope").errorCode, ErrorCode.GROUP_ID_NOT_FOUND);
  assert.equal(del("").errorCode, ErrorCode.INVALID_GROUP_ID);
  stableGroup(h, 1, { groupId: "connect", protocolType: "connect" });
  assert.equal(del("connect").errorCode, ErrorCode.NON_EMPTY_GROUP);
  // An Empty group: everything may go (its consumers subscribe to nothing now).
  h.commit({ groupId: "simple", offsets: [{ topic: "t", partition: 0, offset: 1n }] });
  assert.deepEqual(del("simple").topics, [{ name: "t", partitions: [{ partitionIndex: 0, errorCode: 0 }] }]);
});
