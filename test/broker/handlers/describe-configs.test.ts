import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import kafkajs from "kafkajs";
import { brokerConfigKeys, ConfigSource } from "../../../src/broker/index.js";
import {
  ApiKey,
  type CreateTopicsResponse,
  type DescribeConfigsResponse,
  type DescribeConfigsResponseDescribeConfigsResourceResult,
  ErrorCode,
} from "../../../src/protocol/index.js";
import type { WireClient } from "../../helpers/kafka-wire.js";
import { connectedAdmin, createTopic, startTestBroker, type TestBroker } from "./broker-harness.js";

const TOPIC = 2;
const BROKER = 4;
const BROKER_LOGGER = 8;
const GROUP = 32;

// server.properties as an operator might write it: retention in hours (so Kafka anchors
// retention.ms's synonyms at log.retention.ms and reports none), and a segment size.
let b: TestBroker;
before(async () => {
  b = await startTestBroker({
    properties: { "log.retention.hours": "24", "log.segment.bytes": "536870912" },
  });
  await createTopic(b.client, "plain");
  await createTopic(b.client, "tuned", 1, { "retention.ms": "60000", "cleanup.policy": "compact,delete" });
});
after(() => b.stop());

async function describe(
  client: WireClient,
  version: number,
  resources: { resourceType: number; resourceName: string; configurationKeys: string[] | null }[],
  options: { includeSynonyms?: boolean; includeDocumentation?: boolean } = {},
): Promise<DescribeConfigsResponse> {
  return client.request<DescribeConfigsResponse>(ApiKey.DescribeConfigs, version, {
    resources,
    includeSynonyms: options.includeSynonyms ?? false,
    includeDocumentation: options.includeDocumentation ?? false,
  });
}

function entry(
  response: DescribeConfigsResponse,
  name: string,
  resource = 0,
): DescribeConfigsResponseDescribeConfigsResourceResult {
  const found = response.results[resource]?.configs.find((c) => c.name === name);
  assert.ok(found, `${name} is described`);
  return found;
}

test("a topic's configs carry Kafka's sources and synonyms (v1)", async () => {
  const r = await describe(
    b.client,
    1,
    [
      { resourceType: TOPIC, resourceName: "plain", configurationKeys: null },
      { resourceType: TOPIC, resourceName: "tuned", configurationKeys: null },
    ],
    { includeSynonyms: true },
  );
  assert.equal(r.results[0]?.errorCode, ErrorCode.NONE);
  assert.equal(r.results[0]?.errorMessage, "");
  // Static log.retention.hours=24 gives the value, but Kafka's synonym list for retention.ms is
  // anchored at log.retention.ms, so it is empty and the source is DEFAULT_CONFIG.
  const retention = entry(r, "retention.ms");
  assert.deepEqual(
    [retention.value, retention.configSource, retention.synonyms, retention.readOnly, retention.isSensitive],
    ["86400000", ConfigSource.DEFAULT_CONFIG, [], false, false],
  );
  const segment = entry(r, "segment.bytes");
  assert.equal(segment.value, "536870912");
  assert.equal(segment.configSource, ConfigSource.STATIC_BROKER_CONFIG);
  assert.deepEqual(
    segment.synonyms.map((s) => [s.name, s.value, s.source]),
    [
      ["log.segment.bytes", "536870912", ConfigSource.STATIC_BROKER_CONFIG],
      ["log.segment.bytes", "1073741824", ConfigSource.DEFAULT_CONFIG],
    ],
  );
  const cleanup = entry(r, "cleanup.policy");
  assert.equal(cleanup.configSource, ConfigSource.DEFAULT_CONFIG);
  assert.deepEqual(
    cleanup.synonyms.map((s) => [s.name, s.value, s.source]),
    [["log.cleanup.policy", "delete", ConfigSource.DEFAULT_CONFIG]],
  );
  assert.deepEqual(entry(r, "flush.ms").synonyms, [], "anchored at log.flush.interval.ms, which is unset");
  assert.deepEqual(entry(r, "leader.replication.throttled.replicas").synonyms, []);
  const tunedRetention = entry(r, "retention.ms", 1);
  assert.equal(tunedRetention.value, "60000");
  assert.equal(tunedRetention.configSource, ConfigSource.DYNAMIC_TOPIC_CONFIG);
  assert.deepEqual(
    tunedRetention.synonyms.map((s) => [s.name, s.value, s.source]),
    [["retention.ms", "60000", ConfigSource.DYNAMIC_TOPIC_CONFIG]],
  );
  const tunedCleanup = entry(r, "cleanup.policy", 1);
  assert.equal(tunedCleanup.value, "compact,delete");
  assert.deepEqual(
    tunedCleanup.synonyms.map((s) => [s.name, s.source]),
    [
      ["cleanup.policy", ConfigSource.DYNAMIC_TOPIC_CONFIG],
      ["log.cleanup.policy", ConfigSource.DEFAULT_CONFIG],
    ],
  );
});

test("synonyms are left out unless asked for; v3+ adds config types and documentation", async () => {
  const keys = [
    "retention.ms",
    "cleanup.policy",
    "preallocate",
    "min.cleanable.dirty.ratio",
    "segment.bytes",
  ];
  const v2 = await describe(b.client, 2, [
    { resourceType: TOPIC, resourceName: "plain", configurationKeys: keys },
  ]);
  assert.deepEqual(entry(v2, "segment.bytes").synonyms, []);
  assert.equal(entry(v2, "segment.bytes").configType, 0, "v2 cannot carry a type");
  for (const version of [3, 4]) {
    const r = await describe(
      b.client,
      version,
      [{ resourceType: TOPIC, resourceName: "plain", configurationKeys: keys }],
      { includeDocumentation: true },
    );
    assert.deepEqual(
      r.results[0]?.configs.map((c) => [c.name, c.configType]).sort(),
      [
        ["cleanup.policy", 7],
        ["min.cleanable.dirty.ratio", 6],
        ["preallocate", 1],
        ["retention.ms", 5],
        ["segment.bytes", 3],
      ],
      `v${version}`,
    );
    assert.ok((entry(r, "retention.ms").documentation ?? "").length > 0);
  }
  const undocumented = await describe(b.client, 4, [
    { resourceType: TOPIC, resourceName: "plain", configurationKeys: ["retention.ms"] },
  ]);
  assert.equal(entry(undocumented, "retention.ms").documentation, null);
});

test("ConfigurationKeys filters; unknown keys are skipped and an empty list means all", async () => {
  const r = await describe(b.client, 4, [
    { resourceType: TOPIC, resourceName: "plain", configurationKeys: ["retention.ms", "no.such.key"] },
    { resourceType: TOPIC, resourceName: "plain", configurationKeys: [] },
  ]);
  assert.deepEqual(
    r.results[0]?.configs.map((c) => c.name),
    ["retention.ms"],
  );
  assert.ok((r.results[1]?.configs.length ?? 0) > 25, "every topic config");
});

test("unknown and invalid topics fail alone", async () => {
  const r = await describe(b.client, 4, [
    { resourceType: TOPIC, resourceName: "missing", configurationKeys: null },
    { resourceType: TOPIC, resourceName: "bad/name", configurationKeys: null },
    { resourceType: TOPIC, resourceName: "plain", configurationKeys: ["retention.ms"] },
  ]);
  assert.deepEqual(
    r.results.map((x) => [x.resourceName, x.errorCode, x.configs.length]),
    [
      ["missing", ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 0],
      ["bad/name", ErrorCode.INVALID_TOPIC_EXCEPTION, 0],
      ["plain", ErrorCode.NONE, 1],
    ],
  );
});

test('a resource described has the error message Kafka leaves there, "", never null (v1-v4)', async () => {
  for (let version = 1; version <= 4; version++) {
    const r = await describe(b.client, version, [
      { resourceType: TOPIC, resourceName: "plain", configurationKeys: ["retention.ms"] },
      { resourceType: BROKER, resourceName: String(b.server.broker.nodeId), configurationKeys: ["node.id"] },
    ]);
    assert.deepEqual(
      r.results.map((x) => [x.errorCode, x.errorMessage]),
      [
        [ErrorCode.NONE, ""],
        [ErrorCode.NONE, ""],
      ],
      `v${version}`,
    );
  }
});

test("this broker's properties: every key, with static and default sources", async () => {
  const r = await describe(
    b.client,
    4,
    [{ resourceType: BROKER, resourceName: "1", configurationKeys: null }],
    {
      includeSynonyms: true,
    },
  );
  assert.equal(r.results[0]?.errorCode, ErrorCode.NONE);
  assert.deepEqual(
    r.results[0]?.configs.map((c) => c.name).sort(),
    [...brokerConfigKeys.values()]
      // The authorizer's own properties are not KafkaConfig keys: Kafka lists them only when set.
      .filter(
        (k) => k.internal !== true && k.name !== "super.users" && k.name !== "allow.everyone.if.no.acl.found",
      )
      .map((k) => k.name)
      .sort(),
    "every key but Kafka's internal ones and the authorizer's, which are described only when set",
  );
  const nodeId = entry(r, "node.id");
  assert.equal(nodeId.value, "1");
  assert.equal(nodeId.configSource, ConfigSource.STATIC_BROKER_CONFIG);
  assert.equal(nodeId.readOnly, true);
  const hours = entry(r, "log.retention.hours");
  assert.equal(hours.value, "24");
  assert.deepEqual(
    hours.synonyms.map((s) => [s.name, s.value, s.source]),
    [
      ["log.retention.hours", "24", ConfigSource.STATIC_BROKER_CONFIG],
      ["log.retention.hours", "168", ConfigSource.DEFAULT_CONFIG],
    ],
  );
  const ms = entry(r, "log.retention.ms");
  assert.equal(ms.value, null, "unset, and without a default");
  assert.equal(ms.configSource, ConfigSource.DEFAULT_CONFIG);
  assert.equal(ms.readOnly, false, "Kafka can change log.retention.ms at runtime");
  assert.equal(entry(r, "advertised.listeners").readOnly, true, "not dynamic in Kafka 4 (KRaft)");
  assert.equal(entry(r, "listeners").readOnly, false, "per-broker dynamic in Kafka 4");
  const threads = entry(r, "num.io.threads");
  assert.deepEqual([threads.value, threads.configSource], ["8", ConfigSource.DEFAULT_CONFIG]);
  // Connection limits and quota windows, with Kafka's defaults (the per-IP limits are dynamic in Kafka).
  for (const [name, value, readOnly] of [
    ["max.connections.per.ip", "2147483647", false],
    ["max.connections.per.ip.overrides", "", false],
    ["queued.max.requests", "500", true],
    ["connections.max.idle.ms", "600000", true],
    ["quota.window.num", "11", true],
    ["quota.window.size.seconds", "1", true],
  ] as const) {
    const described = entry(r, name);
    assert.deepEqual([described.value, described.readOnly], [value, readOnly], name);
  }
  const filtered = await describe(b.client, 1, [
    { resourceType: BROKER, resourceName: "1", configurationKeys: ["num.partitions"] },
  ]);
  assert.deepEqual(
    filtered.results[0]?.configs.map((c) => [c.name, c.value]),
    [["num.partitions", "1"]],
  );
});

test("broker resource names: this node's id, or empty for the (empty) cluster-wide defaults", async () => {
  const r = await describe(b.client, 4, [
    { resourceType: BROKER, resourceName: "", configurationKeys: null },
    { resourceType: BROKER, resourceName: "2", configurationKeys: null },
    { resourceType: BROKER, resourceName: "one", configurationKeys: null },
    { resourceType: BROKER_LOGGER, resourceName: "1", configurationKeys: null },
    { resourceType: BROKER_LOGGER, resourceName: "", configurationKeys: null },
    { resourceType: BROKER_LOGGER, resourceName: "7", configurationKeys: null },
    { resourceType: GROUP, resourceName: "g", configurationKeys: null },
  ]);
  assert.deepEqual(
    r.results.map((x) => [x.resourceType, x.resourceName, x.errorCode, x.configs.length]),
    [
      [BROKER, "", ErrorCode.NONE, 0],
      [BROKER, "2", ErrorCode.INVALID_REQUEST, 0],
      [BROKER, "one", ErrorCode.INVALID_REQUEST, 0],
      [BROKER_LOGGER, "1", ErrorCode.NONE, 0],
      [BROKER_LOGGER, "", ErrorCode.INVALID_REQUEST, 0],
      [BROKER_LOGGER, "7", ErrorCode.INVALID_REQUEST, 0],
      [GROUP, "g", ErrorCode.INVALID_REQUEST, 0],
    ],
  );
  assert.equal(
    r.results[1]?.errorMessage,
    "Unexpected broker id, expected 1 or empty string, but received 2",
  );
  assert.equal(r.results[2]?.errorMessage, "Broker id must be an integer, but it is: one");
});

test("a resource type Kafka does not define fails the whole request", async () => {
  const r = await describe(b.client, 4, [
    { resourceType: TOPIC, resourceName: "plain", configurationKeys: null },
    { resourceType: 99, resourceName: "x", configurationKeys: null },
  ]);
  assert.deepEqual(
    r.results.map((x) => x.errorCode),
    [ErrorCode.INVALID_REQUEST, ErrorCode.INVALID_REQUEST],
  );
});

test("v0, which Kafka 4 removed, is refused per resource", async () => {
  const r = await describe(b.client, 0, [
    { resourceType: TOPIC, resourceName: "plain", configurationKeys: null },
  ]);
  assert.equal(r.results[0]?.errorCode, ErrorCode.UNSUPPORTED_VERSION);
});

test("kafkajs admin.describeConfigs sees topic and broker configs", async () => {
  const admin = await connectedAdmin(b.server.bootstrap);
  try {
    const { resources } = await admin.describeConfigs({
      resources: [
        { type: kafkajs.ConfigResourceTypes.TOPIC, name: "tuned", configNames: ["retention.ms"] },
        { type: kafkajs.ConfigResourceTypes.BROKER, name: "1", configNames: ["log.segment.bytes"] },
      ],
      includeSynonyms: true,
    });
    const topic = resources.find((x) => x.resourceName === "tuned");
    assert.deepEqual(
      topic?.configEntries.map((c) => [c.configName, c.configValue, c.configSource]),
      [["retention.ms", "60000", ConfigSource.DYNAMIC_TOPIC_CONFIG]],
    );
    const brokerEntry = resources.find((x) => x.resourceName === "1")?.configEntries[0];
    assert.deepEqual(
      [brokerEntry?.configName, brokerEntry?.configValue, brokerEntry?.configSource],
      ["log.segment.bytes", "536870912", ConfigSource.STATIC_BROKER_CONFIG],
    );
  } finally {
    await admin.disconnect();
  }
});

test("with log.retention.ms set statically, retention.ms reports it and the hours default", async () => {
  const other = await startTestBroker({ properties: { "log.retention.ms": "3600000" } });
  try {
    await createTopic(other.client, "t");
    const r = await describe(
      other.client,
      4,
      [{ resourceType: TOPIC, resourceName: "t", configurationKeys: ["retention.ms"] }],
      { includeSynonyms: true },
    );
    const retention = entry(r, "retention.ms");
    assert.equal(retention.value, "3600000");
    assert.equal(retention.configSource, ConfigSource.STATIC_BROKER_CONFIG);
    assert.deepEqual(
      retention.synonyms.map((s) => [s.name, s.value, s.source]),
      [
        ["log.retention.ms", "3600000", ConfigSource.STATIC_BROKER_CONFIG],
        ["log.retention.hours", "168", ConfigSource.DEFAULT_CONFIG],
      ],
    );
  } finally {
    await other.stop();
  }
});

test("CreateTopics v5+ reports the new topic's configs with its own source rule", async () => {
  const r = await b.client.request<CreateTopicsResponse>(ApiKey.CreateTopics, 7, {
    topics: [
      {
        name: "created",
        numPartitions: 1,
        replicationFactor: 1,
        assignments: [],
        configs: [{ name: "segment.ms", value: "600000" }],
      },
    ],
    timeoutMs: 5000,
    validateOnly: false,
  });
  const configs = new Map(r.topics[0]?.configs?.map((c) => [c.name, [c.value, c.configSource]]));
  // Unlike DescribeConfigs, CreateTopics (Kafka's resolveEffectiveTopicConfigs) reports any broker
  // synonym set in server.properties as the source.
  assert.deepEqual(configs.get("retention.ms"), ["86400000", ConfigSource.STATIC_BROKER_CONFIG]);
  assert.deepEqual(configs.get("segment.ms"), ["600000", ConfigSource.DYNAMIC_TOPIC_CONFIG]);
  assert.deepEqual(configs.get("cleanup.policy"), ["delete", ConfigSource.DEFAULT_CONFIG]);
});
