import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import {
  ApiKey,
  type DeleteGroupsResponse,
  ErrorCode,
  type OffsetCommitResponse,
  type OffsetDeleteResponse,
  type OffsetFetchResponse,
} from "../../../src/protocol/index.js";
import {
  commit,
  commitErrors,
  coordinatorReady,
  createTopic,
  fetchCommitted,
  type GroupTestBroker,
  stableGroup,
  startGroupBroker,
} from "./group-wire.js";

let b: GroupTestBroker;
before(async () => {
  b = await startGroupBroker();
  await createTopic(b.client, "orders", 3);
  await createTopic(b.client, "payments", 2);
});
after(async () => {
  await b.stop();
});

/** partition -> offset of one topic in an OffsetFetch v1-7 answer. */
function offsetsOf(response: OffsetFetchResponse, topic: string): Map<number, bigint> {
  const t = response.topics.find((x) => x.name === topic);
  return new Map(t?.partitions.map((p) => [p.partitionIndex, p.committedOffset]));
}

test("before __consumer_offsets exists, OffsetFetch v1 puts NOT_COORDINATOR in each partition and v2+ at the top", async () => {
  const fresh = await startGroupBroker();
  try {
    const v1 = await fetchCommitted(fresh.client, 1, "g", "orders", [0, 1]);
    assert.deepEqual(
      v1.topics[0]?.partitions.map((p) => [p.partitionIndex, p.committedOffset, p.errorCode]),
      [
        [0, -1n, ErrorCode.NOT_COORDINATOR],
        [1, -1n, ErrorCode.NOT_COORDINATOR],
      ],
    );
    const v5 = await fetchCommitted(fresh.client, 5, "g", "orders", [0, 1]);
    assert.equal(v5.errorCode, ErrorCode.NOT_COORDINATOR);
    assert.deepEqual(v5.topics, []);
  } finally {
    await fresh.stop();
  }
});

test("simple commits (generation -1, no member id) of a group with no members, at v0, v2 and v9", async () => {
  await coordinatorReady(b, "simple");
  for (const [version, offset] of [
    [0, 10n],
    [2, 20n],
    [9, 30n],
  ] as const) {
    const response = await commit(b.client, version, "simple", { orders: { 0: offset, 1: offset + 1n } });
    assert.deepEqual(commitErrors(response), [ErrorCode.NONE, ErrorCode.NONE], `v${version}`);
    const fetched = await fetchCommitted(b.client, 1, "simple", "orders", [0, 1, 2]);
    assert.deepEqual(
      [...offsetsOf(fetched, "orders")],
      [
        [0, offset],
        [1, offset + 1n],
        [2, -1n],
      ],
    );
  }
  const metadata = (await fetchCommitted(b.client, 3, "simple", "orders", [0])).topics[0]?.partitions[0];
  assert.equal(metadata?.metadata, "meta-0");
});

test("OffsetCommit v1 (per-partition commit timestamps) and v2 (a retention time) are stored", async () => {
  await coordinatorReady(b, "timestamps");
  const v1 = await b.client.request<OffsetCommitResponse>(ApiKey.OffsetCommit, 1, {
    groupId: "timestamps",
    generationIdOrMemberEpoch: -1,
    memberId: "",
    topics: [
      {
        name: "orders",
        partitions: [
          { partitionIndex: 0, committedOffset: 5n, commitTimestamp: 1_000n, committedMetadata: null },
        ],
      },
    ],
  });
  assert.deepEqual(commitErrors(v1), [ErrorCode.NONE]);
  const v2 = await b.client.request<OffsetCommitResponse>(ApiKey.OffsetCommit, 2, {
    groupId: "timestamps",
    generationIdOrMemberEpoch: -1,
    memberId: "",
    retentionTimeMs: 3_600_000n,
    topics: [
      { name: "orders", partitions: [{ partitionIndex: 1, committedOffset: 6n, committedMetadata: null }] },
    ],
  });
  assert.deepEqual(commitErrors(v2), [ErrorCode.NONE]);
  const fetched = await fetchCommitted(b.client, 4, "timestamps", "orders", [0, 1]);
  assert.deepEqual(
    [...offsetsOf(fetched, "orders")],
    [
      [0, 5n],
      [1, 6n],
    ],
  );
});

test("commits of partitions that do not exist get UNKNOWN_TOPIC_OR_PARTITION, the others are stored", async () => {
  await coordinatorReady(b, "mixed");
  const response = await commit(b.client, 8, "mixed", { orders: { 0: 1n, 7: 1n }, nowhere: { 0: 1n } });
  assert.deepEqual(
    response.topics.map((t) => [t.name, t.partitions.map((p) => [p.partitionIndex, p.errorCode])]),
    [
      [
        "orders",
        [
          [0, ErrorCode.NONE],
          [7, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
        ],
      ],
      ["nowhere", [[0, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]]],
    ],
  );
  assert.equal(offsetsOf(await fetchCommitted(b.client, 6, "mixed", "orders", [0]), "orders").get(0), 1n);
});

test("a member commits with its generation; a wrong generation or a simple commit into a live group is refused", async () => {
  await coordinatorReady(b, "live");
  const member = await stableGroup(b.client, "live");
  assert.deepEqual(commitErrors(await commit(b.client, 7, "live", { orders: { 2: 42n } }, member)), [
    ErrorCode.NONE,
  ]);
  assert.deepEqual(
    commitErrors(await commit(b.client, 7, "live", { orders: { 2: 43n } }, { ...member, generationId: 9 })),
    [ErrorCode.ILLEGAL_GENERATION],
  );
  assert.deepEqual(
    commitErrors(
      await commit(b.client, 1, "live", { orders: { 2: 44n } }, { generationId: -1, memberId: "" }),
    ),
    [ErrorCode.UNKNOWN_MEMBER_ID],
  );
  assert.equal(offsetsOf(await fetchCommitted(b.client, 2, "live", "orders", [2]), "orders").get(2), 42n);
});

test("a commit with a generation for an unknown group: ILLEGAL_GENERATION below v9, GROUP_ID_NOT_FOUND from v9", async () => {
  await coordinatorReady(b, "ghost");
  const member = { generationId: 3, memberId: "m" };
  assert.deepEqual(commitErrors(await commit(b.client, 8, "ghost", { orders: { 0: 1n } }, member)), [
    ErrorCode.ILLEGAL_GENERATION,
  ]);
  assert.deepEqual(commitErrors(await commit(b.client, 9, "ghost", { orders: { 0: 1n } }, member)), [
    ErrorCode.GROUP_ID_NOT_FOUND,
  ]);
});

test("OffsetFetch v8 answers several groups at once, null topics meaning every committed partition", async () => {
  await coordinatorReady(b, "multi-a");
  await coordinatorReady(b, "multi-b");
  await commit(b.client, 8, "multi-a", { orders: { 0: 100n }, payments: { 1: 7n } });
  await commit(b.client, 8, "multi-b", { orders: { 2: 200n } });
  for (const version of [8, 9]) {
    const response = await b.client.request<OffsetFetchResponse>(ApiKey.OffsetFetch, version, {
      groups: [
        { groupId: "multi-a", memberId: null, memberEpoch: -1, topics: null },
        {
          groupId: "multi-b",
          memberId: null,
          memberEpoch: -1,
          topics: [{ name: "orders", partitionIndexes: [1, 2] }],
        },
        { groupId: "multi-unknown", memberId: null, memberEpoch: -1, topics: null },
      ],
      requireStable: version === 9,
    });
    const summary = response.groups.map((g) => [
      g.groupId,
      g.errorCode,
      g.topics
        .flatMap((t) => t.partitions.map((p) => `${t.name}-${p.partitionIndex}=${p.committedOffset}`))
        .sort(),
    ]);
    assert.deepEqual(summary, [
      ["multi-a", ErrorCode.NONE, ["orders-0=100", "payments-1=7"]],
      ["multi-b", ErrorCode.NONE, ["orders-1=-1", "orders-2=200"]],
      ["multi-unknown", ErrorCode.NONE, []],
    ]);
  }
});

test("OffsetDelete removes an empty group's offsets; unknown partitions and unknown groups are reported", async () => {
  await coordinatorReady(b, "prune");
  await commit(b.client, 8, "prune", { orders: { 0: 1n, 1: 2n } });
  const response = await b.client.request<OffsetDeleteResponse>(ApiKey.OffsetDelete, 0, {
    groupId: "prune",
    topics: [{ name: "orders", partitions: [{ partitionIndex: 0 }, { partitionIndex: 9 }] }],
  });
  assert.equal(response.errorCode, ErrorCode.NONE);
  assert.deepEqual(
    response.topics.map((t) => t.partitions.map((p) => [p.partitionIndex, p.errorCode])),
    [
      [
        [0, ErrorCode.NONE],
        [9, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
      ],
    ],
  );
  assert.deepEqual(
    [...offsetsOf(await fetchCommitted(b.client, 7, "prune", "orders", [0, 1]), "orders")],
    [
      [0, -1n],
      [1, 2n],
    ],
  );
  await coordinatorReady(b, "never-seen");
  const unknown = await b.client.request<OffsetDeleteResponse>(ApiKey.OffsetDelete, 0, {
    groupId: "never-seen",
    topics: [{ name: "orders", partitions: [{ partitionIndex: 0 }] }],
  });
  assert.equal(unknown.errorCode, ErrorCode.GROUP_ID_NOT_FOUND);
});

test("OffsetDelete of a topic the live group consumes gets GROUP_SUBSCRIBED_TO_TOPIC", async () => {
  await coordinatorReady(b, "subscribed");
  const member = await stableGroup(b.client, "subscribed");
  await commit(b.client, 8, "subscribed", { orders: { 0: 3n }, payments: { 0: 4n } }, member);
  const response = await b.client.request<OffsetDeleteResponse>(ApiKey.OffsetDelete, 0, {
    groupId: "subscribed",
    topics: [
      { name: "orders", partitions: [{ partitionIndex: 0 }] },
      { name: "payments", partitions: [{ partitionIndex: 0 }] },
    ],
  });
  assert.deepEqual(
    response.topics.map((t) => [t.name, t.partitions.map((p) => p.errorCode)]),
    [
      ["orders", [ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC]],
      ["payments", [ErrorCode.NONE]],
    ],
  );
});

test("DeleteGroups deletes an empty group with its offsets; live and unknown groups are refused", async () => {
  for (const id of ["doomed", "busy", "nobody"]) await coordinatorReady(b, id);
  await commit(b.client, 8, "doomed", { orders: { 0: 5n } });
  await stableGroup(b.client, "busy");
  for (const version of [0, 2]) {
    const response = await b.client.request<DeleteGroupsResponse>(ApiKey.DeleteGroups, version, {
      groupsNames: ["doomed", "busy", "nobody"],
    });
    assert.deepEqual(
      response.results.map((r) => [r.groupId, r.errorCode]),
      [
        ["doomed", version === 0 ? ErrorCode.NONE : ErrorCode.GROUP_ID_NOT_FOUND],
        ["busy", ErrorCode.NON_EMPTY_GROUP],
        ["nobody", ErrorCode.GROUP_ID_NOT_FOUND],
      ],
    );
  }
  assert.equal(offsetsOf(await fetchCommitted(b.client, 7, "doomed", "orders", [0]), "orders").get(0), -1n);
});
