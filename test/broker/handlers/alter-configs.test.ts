import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import kafkajs from "kafkajs";
import { ConfigSource } from "../../../src/broker/index.js";
import { type AlterConfigsResponse, ApiKey, ErrorCode } from "../../../src/protocol/index.js";
import type { WireClient } from "../../helpers/kafka-wire.js";
import { connectedAdmin, createTopic, startTestBroker, type TestBroker } from "./broker-harness.js";

const TOPIC = 2;
const BROKER = 4;
const BROKER_LOGGER = 8;

let b: TestBroker;
before(async () => {
  b = await startTestBroker();
});
after(() => b.stop());

function alter(
  client: WireClient,
  version: number,
  resources: {
    resourceType: number;
    resourceName: string;
    configs: { name: string; value: string | null }[];
  }[],
  validateOnly = false,
): Promise<AlterConfigsResponse> {
  return client.request<AlterConfigsResponse>(ApiKey.AlterConfigs, version, { resources, validateOnly });
}

test("kafkajs alterConfigs: describeConfigs shows the new value as a topic override, and the logs use it", async () => {
  await createTopic(b.client, "orders", 2);
  const admin = await connectedAdmin(b.server.bootstrap);
  try {
    await admin.alterConfigs({
      validateOnly: false,
      resources: [
        {
          type: kafkajs.ConfigResourceTypes.TOPIC,
          name: "orders",
          configEntries: [
            { name: "retention.ms", value: "3600000" },
            { name: "cleanup.policy", value: "compact" },
          ],
        },
      ],
    });
    const { resources } = await admin.describeConfigs({
      resources: [
        {
          type: kafkajs.ConfigResourceTypes.TOPIC,
          name: "orders",
          configNames: ["retention.ms", "cleanup.policy"],
        },
      ],
      includeSynonyms: false,
    });
    assert.deepEqual(
      resources[0]?.configEntries.map((c) => [c.configName, c.configValue, c.configSource]).sort(),
      [
        ["cleanup.policy", "compact", ConfigSource.DYNAMIC_TOPIC_CONFIG],
        ["retention.ms", "3600000", ConfigSource.DYNAMIC_TOPIC_CONFIG],
      ],
    );
  } finally {
    await admin.disconnect();
  }
  assert.equal(b.server.broker.topicConfig("orders").retentionMs, 3_600_000);
  for (const p of [0, 1]) {
    const log = b.server.broker.replicaManager.get("orders", p)?.log;
    assert.equal(log?.config.retentionMs, 3_600_000);
    assert.deepEqual(log?.config.cleanupPolicy, ["compact"]);
  }
});

test("the legacy API replaces the whole set: overrides not named go back to the default", async () => {
  await createTopic(b.client, "legacy", 1, { "retention.ms": "1000", "segment.ms": "60000" });
  for (const version of [0, 1, 2]) {
    const r = await alter(b.client, version, [
      {
        resourceType: TOPIC,
        resourceName: "legacy",
        configs: [{ name: "max.message.bytes", value: `${2000 + version}` }],
      },
    ]);
    assert.deepEqual(
      r.responses.map((x) => [x.resourceType, x.resourceName, x.errorCode, x.errorMessage]),
      [[TOPIC, "legacy", ErrorCode.NONE, null]],
      `v${version}`,
    );
    assert.deepEqual(
      [...b.server.broker.image.topicConfig("legacy")],
      [["max.message.bytes", `${2000 + version}`]],
    );
  }
  const log = b.server.broker.replicaManager.get("legacy", 0)?.log;
  assert.equal(log?.config.retentionMs, 7 * 24 * 3_600_000, "retention.ms is the default again");
  assert.equal(log?.config.maxMessageBytes, 2002);
});

test("validateOnly checks but changes nothing", async () => {
  await createTopic(b.client, "dry");
  const ok = await alter(
    b.client,
    1,
    [{ resourceType: TOPIC, resourceName: "dry", configs: [{ name: "retention.ms", value: "5" }] }],
    true,
  );
  assert.equal(ok.responses[0]?.errorCode, ErrorCode.NONE);
  const bad = await alter(
    b.client,
    1,
    [{ resourceType: TOPIC, resourceName: "dry", configs: [{ name: "retention.ms", value: "soon" }] }],
    true,
  );
  assert.equal(bad.responses[0]?.errorCode, ErrorCode.INVALID_CONFIG);
  assert.equal(b.server.broker.image.topicConfig("dry").size, 0);
});

test("each resource fails alone, with Kafka's error codes", async () => {
  await createTopic(b.client, "alone");
  const r = await alter(b.client, 2, [
    { resourceType: TOPIC, resourceName: "alone", configs: [{ name: "retention.bytes", value: "1048576" }] },
    { resourceType: TOPIC, resourceName: "missing", configs: [{ name: "retention.ms", value: "1" }] },
    { resourceType: TOPIC, resourceName: "alone2", configs: [{ name: "no.such.config", value: "1" }] },
    { resourceType: TOPIC, resourceName: "bad/name", configs: [] },
    { resourceType: TOPIC, resourceName: "", configs: [] },
    { resourceType: TOPIC, resourceName: "nulls", configs: [{ name: "retention.ms", value: null }] },
    {
      resourceType: TOPIC,
      resourceName: "twice",
      configs: [
        { name: "retention.ms", value: "1" },
        { name: "retention.ms", value: "2" },
      ],
    },
    {
      resourceType: TOPIC,
      resourceName: "ratio",
      configs: [{ name: "min.cleanable.dirty.ratio", value: "2" }],
    },
    { resourceType: BROKER_LOGGER, resourceName: "1", configs: [] },
    { resourceType: 99, resourceName: "x", configs: [] },
  ]);
  assert.deepEqual(
    r.responses.map((x) => [x.resourceName, x.errorCode]),
    [
      ["alone", ErrorCode.NONE],
      ["missing", ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
      ["alone2", ErrorCode.INVALID_CONFIG],
      ["bad/name", ErrorCode.INVALID_TOPIC_EXCEPTION],
      ["", ErrorCode.INVALID_REQUEST],
      ["nulls", ErrorCode.INVALID_REQUEST],
      ["twice", ErrorCode.INVALID_REQUEST],
      ["ratio", ErrorCode.INVALID_CONFIG],
      ["1", ErrorCode.INVALID_REQUEST],
      ["x", ErrorCode.INVALID_REQUEST],
    ],
  );
  assert.equal(r.responses[1]?.errorMessage, "The topic 'missing' does not exist.");
  assert.equal(r.responses[2]?.errorMessage, "Unknown topic config name: no.such.config");
  assert.equal(r.responses[5]?.errorMessage, "Null value not supported for : retention.ms");
  assert.equal(b.server.broker.topicConfig("alone").retentionBytes, 1_048_576);
});

test("a resource named twice fails both times", async () => {
  await createTopic(b.client, "dup");
  const r = await alter(b.client, 1, [
    { resourceType: TOPIC, resourceName: "dup", configs: [{ name: "retention.ms", value: "1" }] },
    { resourceType: TOPIC, resourceName: "dup", configs: [{ name: "retention.ms", value: "2" }] },
  ]);
  assert.deepEqual(
    r.responses.map((x) => [x.errorCode, x.errorMessage]),
    [
      [ErrorCode.INVALID_REQUEST, "Each resource must appear at most once."],
      [ErrorCode.INVALID_REQUEST, "Each resource must appear at most once."],
    ],
  );
  assert.equal(b.server.broker.image.topicConfig("dup").size, 0);
});

test("broker configs: Brook changes none at runtime, and says why", async () => {
  const r = await alter(b.client, 2, [
    { resourceType: BROKER, resourceName: "1", configs: [{ name: "log.retention.ms", value: "1000" }] },
    { resourceType: BROKER, resourceName: "", configs: [{ name: "log.dirs", value: "/elsewhere" }] },
    { resourceType: BROKER, resourceName: "2", configs: [] },
    { resourceType: BROKER, resourceName: "1", configs: [] },
  ]);
  // The last two name the same resource as the first: all three fail as duplicates.
  assert.deepEqual(
    r.responses.map((x) => x.errorCode),
    [
      ErrorCode.INVALID_REQUEST,
      ErrorCode.INVALID_REQUEST,
      ErrorCode.INVALID_REQUEST,
      ErrorCode.INVALID_REQUEST,
    ],
  );
  const single = await alter(b.client, 2, [
    { resourceType: BROKER, resourceName: "1", configs: [{ name: "log.retention.ms", value: "1000" }] },
    { resourceType: BROKER, resourceName: "", configs: [{ name: "log.dirs", value: "/elsewhere" }] },
    { resourceType: BROKER, resourceName: "2", configs: [] },
  ]);
  assert.deepEqual(
    single.responses.map((x) => [x.errorCode, x.errorMessage]),
    [
      [
        ErrorCode.POLICY_VIOLATION,
        "Brook does not support dynamic broker configs yet: set Set(log.retention.ms) in server.properties and restart the broker",
      ],
      [ErrorCode.INVALID_REQUEST, "Cannot update these configs dynamically: Set(log.dirs)"],
      [ErrorCode.INVALID_REQUEST, "Unexpected broker id, expected 1, but received 2"],
    ],
  );
  const empty = await alter(b.client, 0, [{ resourceType: BROKER, resourceName: "1", configs: [] }]);
  assert.equal(empty.responses[0]?.errorCode, ErrorCode.NONE, "replacing nothing with nothing");
});

test("altered configs survive a restart and reach the reopened logs", async () => {
  const dataDir = mkdtempSync(join(tmpdir(), "brook-alter-"));
  try {
    let node = await startTestBroker({ dataDir });
    await createTopic(node.client, "kept", 2);
    const r = await alter(node.client, 1, [
      { resourceType: TOPIC, resourceName: "kept", configs: [{ name: "retention.ms", value: "7200000" }] },
    ]);
    assert.equal(r.responses[0]?.errorCode, ErrorCode.NONE);
    await node.stop();
    node = await startTestBroker({ dataDir });
    try {
      assert.deepEqual([...node.server.broker.image.topicConfig("kept")], [["retention.ms", "7200000"]]);
      for (const p of [0, 1]) {
        assert.equal(node.server.broker.replicaManager.get("kept", p)?.log.config.retentionMs, 7_200_000);
      }
    } finally {
      await node.stop();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
