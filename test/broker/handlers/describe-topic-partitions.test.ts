import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import {
  ApiKey,
  type DescribeTopicPartitionsResponse,
  ErrorCode,
  ZERO_UUID,
} from "../../../src/protocol/index.js";
import { createTopic, startTestBroker, type TestBroker } from "./broker-harness.js";

/** READ, WRITE, CREATE, DELETE, ALTER, DESCRIBE, DESCRIBE_CONFIGS, ALTER_CONFIGS: no authorizer. */
const ALL_TOPIC_OPERATIONS = 3576;

let b: TestBroker;
before(async () => {
  b = await startTestBroker();
  // Created out of name order; answers come in name order.
  await createTopic(b.client, "charlie", 2);
  await createTopic(b.client, "alpha", 3);
  await createTopic(b.client, "bravo", 1);
});
after(() => b.stop());

function describe(
  topics: string[],
  responsePartitionLimit = 2000,
  cursor: { topicName: string; partitionIndex: number } | null = null,
): Promise<DescribeTopicPartitionsResponse> {
  return b.client.request<DescribeTopicPartitionsResponse>(ApiKey.DescribeTopicPartitions, 0, {
    topics: topics.map((name) => ({ name })),
    responsePartitionLimit,
    cursor,
  });
}

function pages(r: DescribeTopicPartitionsResponse) {
  return {
    topics: r.topics.map((t) => [t.name, t.errorCode, t.partitions.map((p) => p.partitionIndex)]),
    next: r.nextCursor === null ? null : [r.nextCursor.topicName, r.nextCursor.partitionIndex],
  };
}

test("topics with their partitions: leader, epoch, replicas, ISR, ELR, offline replicas", async () => {
  const r = await describe(["bravo", "alpha"]);
  assert.equal(r.nextCursor, null);
  const image = b.server.broker.image;
  assert.deepEqual(
    JSON.parse(JSON.stringify(r.topics)),
    ["alpha", "bravo"].map((name) => ({
      errorCode: ErrorCode.NONE,
      name,
      topicId: image.topic(name)?.id,
      isInternal: false,
      partitions: (image.topic(name)?.partitions ?? []).map((p) => ({
        errorCode: ErrorCode.NONE,
        partitionIndex: p.partitionId,
        leaderId: 1,
        leaderEpoch: 0,
        replicaNodes: [1],
        isrNodes: [1],
        eligibleLeaderReplicas: [],
        lastKnownElr: [],
        offlineReplicas: [],
      })),
      topicAuthorizedOperations: ALL_TOPIC_OPERATIONS,
    })),
  );
});

test("an empty topic list means every topic; an unknown named topic gets UNKNOWN_TOPIC_OR_PARTITION", async () => {
  assert.deepEqual(pages(await describe([])), {
    topics: [
      ["alpha", ErrorCode.NONE, [0, 1, 2]],
      ["bravo", ErrorCode.NONE, [0]],
      ["charlie", ErrorCode.NONE, [0, 1]],
    ],
    next: null,
  });
  const r = await describe(["zulu", "bravo", "bravo"]);
  assert.deepEqual(pages(r).topics, [
    ["bravo", ErrorCode.NONE, [0]],
    ["zulu", ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, []],
  ]);
  assert.equal(r.topics[1]?.topicId, ZERO_UUID);
});

test("pages of at most ResponsePartitionLimit partitions, continued from NextCursor", async () => {
  const seen: string[] = [];
  let cursor: { topicName: string; partitionIndex: number } | null = null;
  const shapes: unknown[] = [];
  for (let page = 0; page < 10; page++) {
    const r = await describe([], 2, cursor);
    shapes.push(pages(r));
    for (const t of r.topics) for (const p of t.partitions) seen.push(`${t.name}-${p.partitionIndex}`);
    cursor = r.nextCursor;
    if (cursor === null) break;
  }
  assert.deepEqual(shapes, [
    { topics: [["alpha", ErrorCode.NONE, [0, 1]]], next: ["alpha", 2] },
    {
      topics: [
        ["alpha", ErrorCode.NONE, [2]],
        ["bravo", ErrorCode.NONE, [0]],
      ],
      next: ["charlie", 0],
    },
    { topics: [["charlie", ErrorCode.NONE, [0, 1]]], next: null },
  ]);
  assert.deepEqual(seen, ["alpha-0", "alpha-1", "alpha-2", "bravo-0", "charlie-0", "charlie-1"]);
});

test("the limit is at least one partition; a cursor past a topic's end returns it empty", async () => {
  assert.deepEqual(pages(await describe(["bravo", "charlie"], 0)), {
    topics: [["bravo", ErrorCode.NONE, [0]]],
    next: ["charlie", 0],
  });
  assert.deepEqual(pages(await describe(["bravo"], 10, { topicName: "bravo", partitionIndex: 5 })), {
    topics: [["bravo", ErrorCode.NONE, []]],
    next: null,
  });
});

test("a cursor must name a listed topic and a valid partition", async () => {
  const missing = await describe(["alpha"], 10, { topicName: "bravo", partitionIndex: 0 });
  assert.deepEqual(
    missing.topics.map((t) => [t.name, t.errorCode]),
    [["alpha", ErrorCode.INVALID_REQUEST]],
  );
  const negative = await describe([], 10, { topicName: "alpha", partitionIndex: -1 });
  assert.deepEqual(negative.topics, []);
  const named = await describe(["alpha"], 10, { topicName: "alpha", partitionIndex: -1 });
  assert.deepEqual(
    named.topics.map((t) => t.errorCode),
    [ErrorCode.INVALID_REQUEST],
  );
});
