import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { ApiKey, ErrorCode, type OffsetForLeaderEpochResponse } from "../../../src/protocol/index.js";
import type { WireClient } from "../../helpers/kafka-wire.js";
import { createTopic, produce, startTestBroker, type TestBroker } from "./broker-harness.js";

let b: TestBroker;
before(async () => {
  b = await startTestBroker();
});
after(() => b.stop());

async function endOffsets(
  client: WireClient,
  version: number,
  topic: string,
  partitions: { partition: number; currentLeaderEpoch: number; leaderEpoch: number }[],
  replicaId = -1,
): Promise<[number, number, number, bigint][]> {
  const r = await client.request<OffsetForLeaderEpochResponse>(ApiKey.OffsetForLeaderEpoch, version, {
    replicaId,
    topics: [{ topic, partitions }],
  });
  assert.equal(r.topics[0]?.topic, topic);
  return (r.topics[0]?.partitions ?? []).map((p) => [p.partition, p.errorCode, p.leaderEpoch, p.endOffset]);
}

/** Moves leadership away from the only broker and back, as a failover would: the epoch goes up by 2. */
async function bounceLeader(topic: string, partition: number): Promise<void> {
  const broker = b.server.broker;
  const topicId = broker.image.topic(topic)?.id;
  assert.ok(topicId);
  for (const leader of [-1, broker.nodeId]) {
    await broker.decide("test", () => ({
      records: [
        { type: "PartitionChange", topicId, partitionId: partition, leader, isr: null, replicas: null },
      ],
      result: undefined,
    }));
  }
}

test("the end offset of the current epoch is the log end offset, at v2, v3 and v4", async () => {
  await createTopic(b.client, "fresh", 2);
  await produce(b.client, "fresh", 0, 5);
  for (const version of [2, 3, 4]) {
    assert.deepEqual(
      await endOffsets(b.client, version, "fresh", [
        { partition: 0, currentLeaderEpoch: 0, leaderEpoch: 0 },
        { partition: 1, currentLeaderEpoch: -1, leaderEpoch: 0 },
      ]),
      [
        [0, ErrorCode.NONE, 0, 5n],
        [1, ErrorCode.NONE, 0, 0n],
      ],
      `v${version}`,
    );
  }
  // A follower's replica id (v3+) is answered the same way.
  assert.deepEqual(
    await endOffsets(b.client, 4, "fresh", [{ partition: 0, currentLeaderEpoch: 0, leaderEpoch: 0 }], 1),
    [[0, ErrorCode.NONE, 0, 5n]],
  );
});

test("after a leader change, older epochs end where the next one starts", async () => {
  await createTopic(b.client, "moved");
  await produce(b.client, "moved", 0, 5);
  await bounceLeader("moved", 0);
  assert.equal(b.server.broker.image.partition("moved", 0)?.leaderEpoch, 2);
  await produce(b.client, "moved", 0, 3);
  const ask = (leaderEpoch: number) => ({ partition: 0, currentLeaderEpoch: 2, leaderEpoch });
  assert.deepEqual(await endOffsets(b.client, 4, "moved", [ask(0), ask(1), ask(2), ask(3), ask(-1)]), [
    [0, ErrorCode.NONE, 0, 5n],
    [0, ErrorCode.NONE, 0, 5n], // epoch 1 never wrote: its floor is epoch 0
    [0, ErrorCode.NONE, 2, 8n],
    [0, ErrorCode.NONE, -1, -1n], // an epoch the leader has not reached
    [0, ErrorCode.NONE, -1, -1n],
  ]);
});

test("CurrentLeaderEpoch fences stale and future epochs", async () => {
  await createTopic(b.client, "fenced");
  await bounceLeader("fenced", 0);
  assert.deepEqual(
    await endOffsets(b.client, 3, "fenced", [
      { partition: 0, currentLeaderEpoch: 1, leaderEpoch: 0 },
      { partition: 0, currentLeaderEpoch: 3, leaderEpoch: 0 },
      { partition: 0, currentLeaderEpoch: -1, leaderEpoch: 2 },
    ]),
    [
      [0, ErrorCode.FENCED_LEADER_EPOCH, -1, -1n],
      [0, ErrorCode.UNKNOWN_LEADER_EPOCH, -1, -1n],
      [0, ErrorCode.NONE, 2, 0n],
    ],
  );
});

test("unknown partitions, and partitions without a leader here", async () => {
  await createTopic(b.client, "leaderless");
  const topicId = b.server.broker.image.topic("leaderless")?.id;
  assert.ok(topicId);
  await b.server.broker.decide("test", () => ({
    records: [{ type: "PartitionChange", topicId, partitionId: 0, leader: -1, isr: null, replicas: null }],
    result: undefined,
  }));
  assert.deepEqual(
    await endOffsets(b.client, 2, "leaderless", [
      { partition: 0, currentLeaderEpoch: -1, leaderEpoch: 0 },
      { partition: 3, currentLeaderEpoch: -1, leaderEpoch: 0 },
    ]),
    [
      [0, ErrorCode.NOT_LEADER_OR_FOLLOWER, -1, -1n],
      [3, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, -1, -1n],
    ],
  );
  assert.deepEqual(
    await endOffsets(b.client, 4, "nothing-here", [{ partition: 0, currentLeaderEpoch: -1, leaderEpoch: 0 }]),
    [[0, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, -1, -1n]],
  );
});

test("v1, which Kafka 4 removed, gets UNSUPPORTED_VERSION", async () => {
  assert.deepEqual(
    await endOffsets(b.client, 1, "fresh", [{ partition: 0, currentLeaderEpoch: -1, leaderEpoch: 0 }]),
    [[0, ErrorCode.UNSUPPORTED_VERSION, -1, -1n]],
  );
});
