import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { ConfigSource } from "../../../src/broker/index.js";
import {
  ApiKey,
  type DescribeConfigsResponse,
  ErrorCode,
  type IncrementalAlterConfigsResponse,
} from "../../../src/protocol/index.js";
import type { WireClient } from "../../helpers/kafka-wire.js";
import { createTopic, startTestBroker, type TestBroker } from "./broker-harness.js";

const TOPIC = 2;
const BROKER = 4;
const BROKER_LOGGER = 8;
const SET = 0;
const DELETE = 1;
const APPEND = 2;
const SUBTRACT = 3;

type Op = { name: string; configOperation: number; value: string | null };

let b: TestBroker;
before(async () => {
  b = await startTestBroker();
});
after(() => b.stop());

function alter(
  client: WireClient,
  version: number,
  resources: { resourceType: number; resourceName: string; configs: Op[] }[],
  validateOnly = false,
): Promise<IncrementalAlterConfigsResponse> {
  return client.request<IncrementalAlterConfigsResponse>(ApiKey.IncrementalAlterConfigs, version, {
    resources,
    validateOnly,
  });
}

async function topicConfig(client: WireClient, topic: string, key: string) {
  const r = await client.request<DescribeConfigsResponse>(ApiKey.DescribeConfigs, 4, {
    resources: [{ resourceType: TOPIC, resourceName: topic, configurationKeys: [key] }],
    includeSynonyms: false,
    includeDocumentation: false,
  });
  const c = r.results[0]?.configs[0];
  return [c?.value, c?.configSource];
}

test("SET and DELETE change only the keys named (v0 and v1)", async () => {
  await createTopic(b.client, "events", 1, { "segment.ms": "600000" });
  for (const version of [0, 1]) {
    const set = await alter(b.client, version, [
      {
        resourceType: TOPIC,
        resourceName: "events",
        configs: [{ name: "retention.ms", configOperation: SET, value: `${120000 + version}` }],
      },
    ]);
    assert.deepEqual(
      set.responses.map((x) => [x.resourceType, x.resourceName, x.errorCode, x.errorMessage]),
      [[TOPIC, "events", ErrorCode.NONE, null]],
    );
    assert.deepEqual(await topicConfig(b.client, "events", "retention.ms"), [
      `${120000 + version}`,
      ConfigSource.DYNAMIC_TOPIC_CONFIG,
    ]);
    assert.deepEqual(await topicConfig(b.client, "events", "segment.ms"), [
      "600000",
      ConfigSource.DYNAMIC_TOPIC_CONFIG,
    ]);
  }
  const del = await alter(b.client, 1, [
    {
      resourceType: TOPIC,
      resourceName: "events",
      configs: [{ name: "segment.ms", configOperation: DELETE, value: null }],
    },
  ]);
  assert.equal(del.responses[0]?.errorCode, ErrorCode.NONE);
  assert.deepEqual([...b.server.broker.image.topicConfig("events")], [["retention.ms", "120001"]]);
  assert.equal(b.server.broker.replicaManager.get("events", 0)?.log.config.segmentMs, 7 * 24 * 3_600_000);
  assert.equal(b.server.broker.replicaManager.get("events", 0)?.log.config.retentionMs, 120_001);
});

test("APPEND and SUBTRACT edit list configs, starting from the default", async () => {
  await createTopic(b.client, "lists");
  const append = await alter(b.client, 1, [
    {
      resourceType: TOPIC,
      resourceName: "lists",
      configs: [{ name: "cleanup.policy", configOperation: APPEND, value: "compact" }],
    },
  ]);
  assert.equal(append.responses[0]?.errorCode, ErrorCode.NONE);
  assert.deepEqual(await topicConfig(b.client, "lists", "cleanup.policy"), [
    "delete,compact",
    ConfigSource.DYNAMIC_TOPIC_CONFIG,
  ]);
  assert.deepEqual(b.server.broker.replicaManager.get("lists", 0)?.log.config.cleanupPolicy, [
    "delete",
    "compact",
  ]);
  const again = await alter(b.client, 1, [
    {
      resourceType: TOPIC,
      resourceName: "lists",
      configs: [{ name: "cleanup.policy", configOperation: APPEND, value: "compact" }],
    },
  ]);
  assert.equal(again.responses[0]?.errorCode, ErrorCode.NONE);
  assert.equal(
    b.server.broker.image.topicConfig("lists").get("cleanup.policy"),
    "delete,compact",
    "no duplicate",
  );
  await alter(b.client, 1, [
    {
      resourceType: TOPIC,
      resourceName: "lists",
      configs: [{ name: "cleanup.policy", configOperation: SUBTRACT, value: "delete" }],
    },
  ]);
  assert.deepEqual(b.server.broker.replicaManager.get("lists", 0)?.log.config.cleanupPolicy, ["compact"]);
  await alter(b.client, 1, [
    {
      resourceType: TOPIC,
      resourceName: "lists",
      configs: [{ name: "leader.replication.throttled.replicas", configOperation: APPEND, value: "0:1" }],
    },
  ]);
  assert.equal(
    b.server.broker.image.topicConfig("lists").get("leader.replication.throttled.replicas"),
    "0:1",
  );
  const notList = await alter(b.client, 1, [
    {
      resourceType: TOPIC,
      resourceName: "lists",
      configs: [{ name: "retention.ms", configOperation: APPEND, value: "1" }],
    },
  ]);
  assert.deepEqual(
    [notList.responses[0]?.errorCode, notList.responses[0]?.errorMessage],
    [ErrorCode.INVALID_CONFIG, "Can't APPEND to key retention.ms because its type is not LIST."],
  );
});

test("validateOnly checks the result but changes nothing", async () => {
  await createTopic(b.client, "dry");
  const ok = await alter(
    b.client,
    1,
    [
      {
        resourceType: TOPIC,
        resourceName: "dry",
        configs: [{ name: "retention.ms", configOperation: SET, value: "1" }],
      },
    ],
    true,
  );
  assert.equal(ok.responses[0]?.errorCode, ErrorCode.NONE);
  // Valid alone, but the result breaks min.compaction.lag.ms <= max.compaction.lag.ms.
  const conflict = await alter(
    b.client,
    1,
    [
      {
        resourceType: TOPIC,
        resourceName: "dry",
        configs: [
          { name: "min.compaction.lag.ms", configOperation: SET, value: "5000" },
          { name: "max.compaction.lag.ms", configOperation: SET, value: "1000" },
        ],
      },
    ],
    true,
  );
  assert.equal(conflict.responses[0]?.errorCode, ErrorCode.INVALID_CONFIG);
  assert.equal(b.server.broker.image.topicConfig("dry").size, 0);
});

test("bad requests fail per resource with Kafka's codes", async () => {
  await createTopic(b.client, "checked");
  const r = await alter(b.client, 1, [
    {
      resourceType: TOPIC,
      resourceName: "checked",
      configs: [{ name: "retention.ms", configOperation: 9, value: "1" }],
    },
    {
      resourceType: TOPIC,
      resourceName: "missing",
      configs: [{ name: "retention.ms", configOperation: SET, value: "1" }],
    },
    {
      resourceType: TOPIC,
      resourceName: "nulls",
      configs: [{ name: "retention.ms", configOperation: SET, value: null }],
    },
    {
      resourceType: TOPIC,
      resourceName: "bad",
      configs: [{ name: "segment.bytes", configOperation: SET, value: "10" }],
    },
    {
      resourceType: BROKER,
      resourceName: "1",
      configs: [{ name: "num.io.threads", configOperation: SET, value: "4" }],
    },
    {
      resourceType: BROKER,
      resourceName: "",
      configs: [{ name: "log.retention.ms", configOperation: DELETE, value: null }],
    },
    { resourceType: BROKER, resourceName: "x", configs: [] },
    {
      resourceType: BROKER_LOGGER,
      resourceName: "1",
      configs: [{ name: "kafka", configOperation: SET, value: "DEBUG" }],
    },
    { resourceType: BROKER_LOGGER, resourceName: "1", configs: [] },
  ]);
  assert.deepEqual(
    r.responses.map((x) => [x.resourceType, x.resourceName, x.errorCode]),
    [
      [TOPIC, "checked", ErrorCode.INVALID_REQUEST],
      [TOPIC, "missing", ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
      [TOPIC, "nulls", ErrorCode.INVALID_REQUEST],
      [TOPIC, "bad", ErrorCode.INVALID_CONFIG],
      [BROKER, "1", ErrorCode.POLICY_VIOLATION],
      [BROKER, "", ErrorCode.NONE],
      [BROKER, "x", ErrorCode.INVALID_REQUEST],
      [BROKER_LOGGER, "1", ErrorCode.INVALID_REQUEST],
      [BROKER_LOGGER, "1", ErrorCode.INVALID_REQUEST],
    ],
    "the two BROKER_LOGGER entries name the same resource",
  );
  const logger = await alter(b.client, 0, [
    {
      resourceType: BROKER_LOGGER,
      resourceName: "1",
      configs: [{ name: "kafka", configOperation: SET, value: "DEBUG" }],
    },
  ]);
  assert.deepEqual(
    [logger.responses[0]?.errorCode, logger.responses[0]?.errorMessage],
    [ErrorCode.INVALID_CONFIG, "Logger kafka does not exist!"],
  );
  const append = await alter(b.client, 0, [
    {
      resourceType: BROKER_LOGGER,
      resourceName: "1",
      configs: [{ name: "root", configOperation: APPEND, value: "x" }],
    },
  ]);
  assert.equal(
    append.responses[0]?.errorMessage,
    "APPEND operation is not allowed for the BROKER_LOGGER resource",
  );
});
