import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { ApiKey, type CreatePartitionsResponse, ErrorCode } from "../../../src/protocol/index.js";
import type { WireClient } from "../../helpers/kafka-wire.js";
import { connectedAdmin, createTopic, produce, startTestBroker, type TestBroker } from "./broker-harness.js";

let b: TestBroker;
before(async () => {
  b = await startTestBroker();
});
after(() => b.stop());

function createPartitions(
  client: WireClient,
  version: number,
  topics: { name: string; count: number; assignments: { brokerIds: number[] }[] | null }[],
  validateOnly = false,
): Promise<CreatePartitionsResponse> {
  return client.request<CreatePartitionsResponse>(ApiKey.CreatePartitions, version, {
    topics,
    timeoutMs: 5000,
    validateOnly,
  });
}

function partitionCount(topic: string): number | undefined {
  return b.server.broker.image.topic(topic)?.partitions.length;
}

test("kafkajs createPartitions adds partitions that take writes at once", async () => {
  await createTopic(b.client, "growing", 1);
  const admin = await connectedAdmin(b.server.bootstrap);
  try {
    await admin.createPartitions({ topicPartitions: [{ topic: "growing", count: 3 }] });
    const metadata = await admin.fetchTopicMetadata({ topics: ["growing"] });
    assert.deepEqual(metadata.topics[0]?.partitions.map((p) => [p.partitionId, p.leader]).sort(), [
      [0, 1],
      [1, 1],
      [2, 1],
    ]);
  } finally {
    await admin.disconnect();
  }
  assert.equal(await produce(b.client, "growing", 2, 2), 0n);
});

test("every version adds partitions; validateOnly adds none", async () => {
  await createTopic(b.client, "versions", 1);
  for (const version of [0, 1, 2, 3]) {
    const dry = await createPartitions(
      b.client,
      version,
      [{ name: "versions", count: 10, assignments: null }],
      true,
    );
    assert.deepEqual(
      dry.results.map((r) => [r.name, r.errorCode, r.errorMessage]),
      [["versions", ErrorCode.NONE, null]],
    );
    const r = await createPartitions(b.client, version, [
      { name: "versions", count: version + 2, assignments: [{ brokerIds: [1] }] },
    ]);
    assert.deepEqual(
      r.results.map((x) => [x.name, x.errorCode, x.errorMessage]),
      [["versions", ErrorCode.NONE, null]],
      `v${version}`,
    );
    assert.equal(partitionCount("versions"), version + 2);
  }
});

test("Kafka's errors: no decrease, no unknown topic, assignments that fit, no duplicates", async () => {
  await createTopic(b.client, "fixed", 2);
  const r = await createPartitions(b.client, 3, [
    { name: "fixed", count: 1, assignments: null },
    { name: "missing", count: 4, assignments: null },
    { name: "dup", count: 4, assignments: null },
    { name: "dup", count: 5, assignments: null },
  ]);
  assert.deepEqual(
    r.results.map((x) => [x.name, x.errorCode, x.errorMessage]),
    [
      ["dup", ErrorCode.INVALID_REQUEST, "Duplicate topic name."],
      [
        "fixed",
        ErrorCode.INVALID_PARTITIONS,
        "The topic fixed currently has 2 partition(s); 1 would not be an increase.",
      ],
      ["missing", ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, "The topic 'missing' does not exist."],
    ],
  );
  const same = await createPartitions(b.client, 1, [{ name: "fixed", count: 2, assignments: null }]);
  assert.deepEqual(
    same.results.map((x) => [x.errorCode, x.errorMessage]),
    [[ErrorCode.INVALID_PARTITIONS, "Topic already has 2 partition(s)."]],
  );
  const assignments = await createPartitions(b.client, 2, [
    { name: "fixed", count: 4, assignments: [{ brokerIds: [1] }] },
  ]);
  assert.equal(
    assignments.results[0]?.errorCode,
    ErrorCode.INVALID_REPLICA_ASSIGNMENT,
    "one assignment for two",
  );
  const unknownBroker = await createPartitions(b.client, 2, [
    { name: "fixed", count: 3, assignments: [{ brokerIds: [9] }] },
  ]);
  assert.equal(unknownBroker.results[0]?.errorCode, ErrorCode.INVALID_REPLICA_ASSIGNMENT);
  assert.equal(partitionCount("fixed"), 2);
});

test("a request may add only so many partitions (POLICY_VIOLATION beyond, Kafka's 10,000 records per operation)", async () => {
  await createTopic(b.client, "huge", 1);
  for (const count of [2 ** 31 - 1, 100_001, 10_002]) {
    const r = await createPartitions(b.client, 3, [{ name: "huge", count, assignments: null }]);
    assert.equal(r.results[0]?.errorCode, ErrorCode.POLICY_VIOLATION);
    assert.equal(r.results[0]?.errorMessage, "Unable to perform excessively large batch operation.");
  }
  assert.equal(partitionCount("huge"), 1);
});
