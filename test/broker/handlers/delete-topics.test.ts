import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import {
  ApiKey,
  type DeleteTopicsResponse,
  type DescribeConfigsResponse,
  ErrorCode,
  type MetadataResponse,
  randomUuid,
  type Uuid,
  ZERO_UUID,
} from "../../../src/protocol/index.js";
import type { WireClient } from "../../helpers/kafka-wire.js";
import { connectedAdmin, createTopic, produce, startTestBroker, type TestBroker } from "./broker-harness.js";

let b: TestBroker;
before(async () => {
  b = await startTestBroker();
});
after(() => b.stop());

function deleteByName(
  client: WireClient,
  version: number,
  topicNames: string[],
): Promise<DeleteTopicsResponse> {
  return client.request<DeleteTopicsResponse>(ApiKey.DeleteTopics, version, { topicNames, timeoutMs: 5000 });
}

function deleteV6(
  client: WireClient,
  topics: { name: string | null; topicId: Uuid }[],
): Promise<DeleteTopicsResponse> {
  return client.request<DeleteTopicsResponse>(ApiKey.DeleteTopics, 6, { topics, timeoutMs: 5000 });
}

function results(r: DeleteTopicsResponse) {
  return r.responses
    .map((x) => [x.name, x.errorCode, x.errorMessage] as const)
    .sort((p, q) => String(p[0]).localeCompare(String(q[0])) || p[1] - q[1]);
}

async function topicExists(client: WireClient, name: string): Promise<boolean> {
  const r = await client.request<MetadataResponse>(ApiKey.Metadata, 12, {
    topics: [{ name, topicId: ZERO_UUID }],
    allowAutoTopicCreation: false,
    includeTopicAuthorizedOperations: false,
  });
  return r.topics[0]?.errorCode === ErrorCode.NONE;
}

test("kafkajs deleteTopics removes the topic and its logs", async () => {
  await createTopic(b.client, "doomed", 2);
  await produce(b.client, "doomed", 0, 3);
  const admin = await connectedAdmin(b.server.bootstrap);
  try {
    await admin.deleteTopics({ topics: ["doomed"], timeout: 5000 });
    assert.ok(!(await admin.listTopics()).includes("doomed"));
  } finally {
    await admin.disconnect();
  }
  assert.equal(await topicExists(b.client, "doomed"), false);
  assert.equal(b.server.broker.replicaManager.get("doomed", 0), undefined);
});

test("by name at v1 (non-flexible), v4 (flexible) and v5 (with messages)", async () => {
  for (const version of [1, 4, 5]) {
    const name = `by-name-v${version}`;
    await createTopic(b.client, name);
    const r = await deleteByName(b.client, version, [name, "never-existed"]);
    assert.deepEqual(
      results(r).map(([n, code, message]) => [n, code, version >= 5 ? message : null]),
      [
        [name, ErrorCode.NONE, null],
        [
          "never-existed",
          ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
          version >= 5 ? "This server does not host this topic-partition." : null,
        ],
      ],
      `v${version}`,
    );
    assert.equal(await topicExists(b.client, name), false);
  }
});

test("a name given twice is INVALID_REQUEST and nothing of it is deleted", async () => {
  await createTopic(b.client, "twice");
  const r = await deleteByName(b.client, 3, ["twice", "twice"]);
  assert.deepEqual(
    r.responses.map((x) => [x.name, x.errorCode]),
    [["twice", ErrorCode.INVALID_REQUEST]],
  );
  assert.equal(await topicExists(b.client, "twice"), true);
});

test("v6 deletes by topic id, and checks how each topic is named", async () => {
  await createTopic(b.client, "by-id");
  await createTopic(b.client, "both-ways");
  await createTopic(b.client, "id-and-name");
  const image = b.server.broker.image;
  const byId = image.topic("by-id")?.id as Uuid;
  const bothWays = image.topic("both-ways")?.id as Uuid;
  const idAndName = image.topic("id-and-name")?.id as Uuid;
  const unknownId = randomUuid();
  const r = await deleteV6(b.client, [
    { name: null, topicId: byId },
    { name: "both-ways", topicId: bothWays },
    { name: null, topicId: ZERO_UUID },
    { name: null, topicId: unknownId },
    { name: null, topicId: idAndName },
    { name: "id-and-name", topicId: ZERO_UUID },
  ]);
  assert.deepEqual(
    r.responses.map((x) => [x.name, x.topicId, x.errorCode, x.errorMessage]),
    [
      ["both-ways", bothWays, ErrorCode.INVALID_REQUEST, "You may not specify both topic name and topic id."],
      [null, ZERO_UUID, ErrorCode.INVALID_REQUEST, "Neither topic name nor id were specified."],
      [null, unknownId, ErrorCode.UNKNOWN_TOPIC_ID, "This server does not host this topic ID."],
      [
        "id-and-name",
        idAndName,
        ErrorCode.INVALID_REQUEST,
        "The provided topic name maps to an ID that was already supplied.",
      ],
      ["by-id", byId, ErrorCode.NONE, null],
    ],
  );
  assert.equal(await topicExists(b.client, "by-id"), false);
  assert.equal(await topicExists(b.client, "both-ways"), true);
  assert.equal(await topicExists(b.client, "id-and-name"), true);
});

test("a topic created again after deletion starts without the old overrides", async () => {
  await createTopic(b.client, "reborn", 1, { "retention.ms": "1000" });
  await deleteByName(b.client, 4, ["reborn"]);
  await createTopic(b.client, "reborn");
  const r = await b.client.request<DescribeConfigsResponse>(ApiKey.DescribeConfigs, 4, {
    resources: [{ resourceType: 2, resourceName: "reborn", configurationKeys: ["retention.ms"] }],
    includeSynonyms: false,
    includeDocumentation: false,
  });
  assert.equal(r.results[0]?.configs[0]?.value, "604800000");
});

test("with delete.topic.enable=false: TOPIC_DELETION_DISABLED, or INVALID_REQUEST before v3", async () => {
  const locked = await startTestBroker({ properties: { "delete.topic.enable": "false" } });
  try {
    await createTopic(locked.client, "kept");
    for (const [version, code] of [
      [1, ErrorCode.INVALID_REQUEST],
      [2, ErrorCode.INVALID_REQUEST],
      [3, ErrorCode.TOPIC_DELETION_DISABLED],
      [5, ErrorCode.TOPIC_DELETION_DISABLED],
    ] as const) {
      const r = await deleteByName(locked.client, version, ["kept"]);
      assert.deepEqual(
        r.responses.map((x) => [x.name, x.errorCode]),
        [["kept", code]],
        `v${version}`,
      );
    }
    const v6 = await deleteV6(locked.client, [{ name: "kept", topicId: ZERO_UUID }]);
    assert.deepEqual(
      v6.responses.map((x) => [x.name, x.errorCode, x.errorMessage]),
      [["kept", ErrorCode.TOPIC_DELETION_DISABLED, "Topic deletion is disabled."]],
    );
    assert.equal(await topicExists(locked.client, "kept"), true);
  } finally {
    await locked.stop();
  }
});
