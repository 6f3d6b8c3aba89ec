import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import {
  ApiKey,
  ErrorCode,
  type FindCoordinatorResponse,
  type MetadataResponse,
} from "../../../src/protocol/index.js";
import { type GroupTestBroker, OFFSETS_PARTITIONS, startGroupBroker } from "./group-wire.js";

let b: GroupTestBroker;
before(async () => {
  b = await startGroupBroker();
});
after(async () => {
  await b.stop();
});

test("FindCoordinator v0 creates __consumer_offsets and names this broker", async () => {
  const response = await b.client.request<FindCoordinatorResponse>(ApiKey.FindCoordinator, 0, { key: "g" });
  assert.equal(response.errorCode, ErrorCode.NONE);
  assert.equal(response.nodeId, b.server.broker.nodeId);
  assert.equal(response.host, "127.0.0.1");
  assert.equal(response.port, b.server.port);

  const metadata = await b.client.request<MetadataResponse>(ApiKey.Metadata, 9, {
    topics: [{ name: "__consumer_offsets" }],
    allowAutoTopicCreation: false,
    includeTopicAuthorizedOperations: false,
  });
  const topic = metadata.topics[0];
  assert.equal(topic?.errorCode, ErrorCode.NONE);
  assert.equal(topic?.isInternal, true);
  assert.equal(topic?.partitions.length, OFFSETS_PARTITIONS);
});

test("__consumer_offsets is compacted, with the offsets topic segment size and producer compression", async () => {
  await b.client.request<FindCoordinatorResponse>(ApiKey.FindCoordinator, 0, { key: "g" });
  const configs = b.server.broker.image.topicConfig("__consumer_offsets");
  assert.equal(configs.get("cleanup.policy"), "compact");
  assert.equal(configs.get("segment.bytes"), "104857600");
  assert.equal(configs.get("compression.type"), "producer");
});

test("FindCoordinator v3 (flexible) answers one key, with Kafka's error message NONE", async () => {
  const response = await b.client.request<FindCoordinatorResponse>(ApiKey.FindCoordinator, 3, {
    key: "flexible-group",
    keyType: 0,
  });
  assert.equal(response.errorCode, ErrorCode.NONE);
  assert.equal(response.errorMessage, "NONE");
  assert.equal(response.port, b.server.port);
});

test("FindCoordinator v4+ answers every batched key in order", async () => {
  for (const version of [4, 6]) {
    const response = await b.client.request<FindCoordinatorResponse>(ApiKey.FindCoordinator, version, {
      keyType: 0,
      coordinatorKeys: ["a", "b", ""],
    });
    assert.deepEqual(
      response.coordinators.map((c) => [c.key, c.errorCode, c.nodeId, c.port]),
      [
        ["a", ErrorCode.NONE, b.server.broker.nodeId, b.server.port],
        ["b", ErrorCode.NONE, b.server.broker.nodeId, b.server.port],
        ["", ErrorCode.NONE, b.server.broker.nodeId, b.server.port],
      ],
    );
  }
});

test("a transaction coordinator lookup creates __transaction_state and names its leader", async () => {
  const old = await b.client.request<FindCoordinatorResponse>(ApiKey.FindCoordinator, 2, {
    key: "txn-id",
    keyType: 1,
  });
  assert.equal(old.errorCode, ErrorCode.NONE);
  assert.equal(old.nodeId, b.server.broker.nodeId);
  assert.equal(old.port, b.server.port);
  const configs = b.server.broker.image.topicConfig("__transaction_state");
  assert.equal(configs.get("cleanup.policy"), "compact");
  const batched = await b.client.request<FindCoordinatorResponse>(ApiKey.FindCoordinator, 4, {
    keyType: 1,
    coordinatorKeys: ["txn-id", ""],
  });
  assert.equal(batched.coordinators[0]?.errorCode, ErrorCode.NONE);
  assert.equal(batched.coordinators[1]?.errorCode, ErrorCode.INVALID_REQUEST, "an empty transactional id");
});

test("an unknown key type is an invalid request", async () => {
  const response = await b.client.request<FindCoordinatorResponse>(ApiKey.FindCoordinator, 1, {
    key: "x",
    keyType: 7,
  });
  assert.equal(response.errorCode, ErrorCode.INVALID_REQUEST);
});

test("with fewer live brokers than offsets.topic.replication.factor the coordinator is not available", async () => {
  const small = await startGroupBroker({ properties: { "offsets.topic.replication.factor": "3" } });
  try {
    const response = await small.client.request<FindCoordinatorResponse>(ApiKey.FindCoordinator, 2, {
      key: "g",
      keyType: 0,
    });
    assert.equal(response.errorCode, ErrorCode.COORDINATOR_NOT_AVAILABLE);
    assert.equal(small.server.broker.image.topic("__consumer_offsets"), undefined);
  } finally {
    await small.stop();
  }
});
