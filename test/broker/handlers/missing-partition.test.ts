import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { ApiKey, ErrorCode, encodeRecordBatch, type ProduceResponse } from "../../../src/protocol/index.js";
import { createTopic, fetchAt, listOffset, startTestBroker, type TestBroker } from "./broker-harness.js";

/**
 * Kafka tells a partition index past a topic's partitions (UNKNOWN_TOPIC_OR_PARTITION: the client
 * refreshes metadata and gives up on it) from a partition the cluster has but that has no leader
 * here (NOT_LEADER_OR_FOLLOWER: the client retries on the new leader).
 */
let b: TestBroker;
before(async () => {
  b = await startTestBroker();
  await createTopic(b.client, "two", 2);
});
after(async () => {
  await b.stop();
});

async function produceTo(partition: number): Promise<number | undefined> {
  const response = await b.client.request<ProduceResponse>(ApiKey.Produce, 9, {
    acks: 1,
    timeoutMs: 1000,
    topicData: [
      {
        name: "two",
        partitionData: [
          { index: partition, records: encodeRecordBatch({ records: [{ key: null, value: null }] }) },
        ],
      },
    ],
  });
  return response.responses[0]?.partitionResponses[0]?.errorCode;
}

test("a partition index the topic does not have is UNKNOWN_TOPIC_OR_PARTITION for produce, fetch and list offsets", async () => {
  assert.equal(await produceTo(1), ErrorCode.NONE);
  assert.equal(await produceTo(5), ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  assert.equal((await fetchAt(b.client, "two", 5, 0n)).errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  assert.equal((await listOffset(b.client, "two", 5, -1n)).errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
});

test("a partition without a leader on this broker is NOT_LEADER_OR_FOLLOWER", async () => {
  const topicId = b.server.broker.image.topic("two")?.id;
  assert.ok(topicId);
  await b.server.broker.decide("test", () => ({
    records: [{ type: "PartitionChange", topicId, partitionId: 0, leader: -1, isr: null, replicas: null }],
    result: undefined,
  }));
  assert.equal(await produceTo(0), ErrorCode.NOT_LEADER_OR_FOLLOWER);
  assert.equal((await fetchAt(b.client, "two", 0, 0n, 10)).errorCode, ErrorCode.NOT_LEADER_OR_FOLLOWER);
  // From v11 (KIP-392) a consumer may read from any replica, up to its high watermark, as Kafka's
  // Partition.fetchRecords allows whenever the request carries client metadata.
  assert.equal((await fetchAt(b.client, "two", 0, 0n, 11)).errorCode, ErrorCode.NONE);
  assert.equal((await listOffset(b.client, "two", 0, -1n)).errorCode, ErrorCode.NOT_LEADER_OR_FOLLOWER);
  assert.equal(await produceTo(1), ErrorCode.NONE, "the other partition still takes writes");
});
