import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import kafkajs from "kafkajs";
import { ConfigSource } from "../../../src/broker/index.js";
import {
  type AlterConfigsResponse,
  ApiKey,
  type CreateTopicsResponse,
  type DescribeConfigsResponse,
  ErrorCode,
  encodeRecordBatch,
  type IncrementalAlterConfigsResponse,
  type ProduceResponse,
} from "../../../src/protocol/index.js";
import type { WireClient } from "../../helpers/kafka-wire.js";
import {
  connectedAdmin,
  createTopic,
  kafkajsClient,
  startTestBroker,
  type TestBroker,
} from "./broker-harness.js";

/**
 * Kafka 4's configuration constraints (KIP-1030) as a client meets them: CreateTopics,
 * AlterConfigs and IncrementalAlterConfigs refuse what Kafka refuses, with INVALID_CONFIG and
 * Kafka's message, and DescribeConfigs shows the new defaults.
 */

const TOPIC = 2;
const BROKER = 4;
const SET = 0;
const SEGMENT_BYTES_REFUSED =
  "Invalid value 20000 for configuration segment.bytes: Value must be at least 1048576";
const HOUR_MS = 3_600_000;

let b: TestBroker;
before(async () => {
  b = await startTestBroker();
});
after(() => b.stop());

async function createTopics(
  client: WireClient,
  topics: { name: string; configs: Record<string, string> }[],
  validateOnly = false,
): Promise<CreateTopicsResponse> {
  return client.request<CreateTopicsResponse>(ApiKey.CreateTopics, 7, {
    topics: topics.map((t) => ({
      name: t.name,
      numPartitions: 1,
      replicationFactor: 1,
      assignments: [],
      configs: Object.entries(t.configs).map(([name, value]) => ({ name, value })),
    })),
    timeoutMs: 5000,
    validateOnly,
  });
}

async function describeTopic(client: WireClient, topic: string, keys: string[] | null) {
  const r = await client.request<DescribeConfigsResponse>(ApiKey.DescribeConfigs, 4, {
    resources: [{ resourceType: TOPIC, resourceName: topic, configurationKeys: keys }],
    includeSynonyms: true,
    includeDocumentation: false,
  });
  assert.equal(r.results[0]?.errorCode, ErrorCode.NONE, `describe ${topic}`);
  return r.results[0]?.configs ?? [];
}

async function produceAt(client: WireClient, topic: string, timestampMs: number, valueBytes = 8) {
  const records = encodeRecordBatch({
    records: [{ value: Buffer.alloc(valueBytes, 1), timestamp: BigInt(timestampMs) }],
  });
  const r = await client.request<ProduceResponse>(ApiKey.Produce, 9, {
    transactionalId: null,
    acks: -1,
    timeoutMs: 5000,
    topicData: [{ name: topic, partitionData: [{ index: 0, records }] }],
  });
  return r.responses[0]?.partitionResponses[0]?.errorCode;
}

test("CreateTopics refuses segment.bytes below 1 MiB with INVALID_CONFIG and Kafka's message, validateOnly too", async () => {
  for (const validateOnly of [true, false]) {
    const r = await createTopics(
      b.client,
      [{ name: "tiny-segments", configs: { "segment.bytes": "20000" } }],
      validateOnly,
    );
    assert.deepEqual(
      r.topics.map((t) => [t.name, t.errorCode, t.errorMessage]),
      [["tiny-segments", ErrorCode.INVALID_CONFIG, SEGMENT_BYTES_REFUSED]],
      `validateOnly=${validateOnly}`,
    );
  }
  assert.equal(b.server.broker.image.topic("tiny-segments"), undefined, "nothing was created");
  // 1 MiB is allowed, and ordinary batches are produced into it.
  const ok = await createTopics(b.client, [{ name: "one-mib", configs: { "segment.bytes": "1048576" } }]);
  assert.equal(ok.topics[0]?.errorCode, ErrorCode.NONE);
  assert.equal(await produceAt(b.client, "one-mib", Date.now(), 200_000), ErrorCode.NONE);
});

test("kafkajs admin.createTopics gets INVALID_CONFIG for segment.bytes=20000", async () => {
  const admin = await connectedAdmin(b.server.bootstrap);
  try {
    for (const validateOnly of [true, false]) {
      await assert.rejects(
        admin.createTopics({
          validateOnly,
          topics: [{ topic: "kafkajs-tiny", configEntries: [{ name: "segment.bytes", value: "20000" }] }],
        }),
        (e: unknown) => {
          const errors = (e as { errors?: { type: string; code: number }[] }).errors ?? [];
          assert.deepEqual(
            errors.map((x) => [x.type, x.code]),
            [["INVALID_CONFIG", 40]],
          );
          return true;
        },
      );
    }
  } finally {
    await admin.disconnect();
  }
});

test("each KIP-1030 constraint and the other value rules answer with Kafka's message", async () => {
  const cases: [Record<string, string>, string][] = [
    [
      { "segment.bytes": "1048575" },
      "Invalid value 1048575 for configuration segment.bytes: Value must be at least 1048576",
    ],
    [
      { "message.timestamp.after.max.ms": "-1" },
      "Invalid value -1 for configuration message.timestamp.after.max.ms: Value must be at least 0",
    ],
    [{ "segment.ms": "0" }, "Invalid value 0 for configuration segment.ms: Value must be at least 1"],
    [
      { "segment.index.bytes": "3" },
      "Invalid value 3 for configuration segment.index.bytes: Value must be at least 4",
    ],
    [
      { "max.compaction.lag.ms": "0" },
      "Invalid value 0 for configuration max.compaction.lag.ms: Value must be at least 1",
    ],
    [
      { "segment.bytes": "1MB" },
      "Invalid value 1MB for configuration segment.bytes: Not a number of type INT",
    ],
    [
      { "compression.type": "brotli" },
      "Invalid value brotli for configuration compression.type: String must be one of: uncompressed, zstd, lz4, snappy, gzip, producer",
    ],
    [
      { "min.compaction.lag.ms": "10", "max.compaction.lag.ms": "5" },
      "conflict topic config setting min.compaction.lag.ms (10) > max.compaction.lag.ms (5)",
    ],
    [
      { "remote.storage.enable": "true" },
      "Tiered Storage functionality is disabled in the broker. Topic cannot be configured with remote log storage.",
    ],
  ];
  const r = await createTopics(
    b.client,
    cases.map(([configs], i) => ({ name: `refused-${i}`, configs })),
  );
  assert.deepEqual(
    r.topics.map((t) => [t.errorCode, t.errorMessage]),
    cases.map(([, message]) => [ErrorCode.INVALID_CONFIG, message]),
  );
});

test("AlterConfigs and IncrementalAlterConfigs refuse the same values; the topic keeps its config", async () => {
  await createTopic(b.client, "altered");
  const legacy = await b.client.request<AlterConfigsResponse>(ApiKey.AlterConfigs, 2, {
    resources: [
      { resourceType: TOPIC, resourceName: "altered", configs: [{ name: "segment.bytes", value: "20000" }] },
    ],
    validateOnly: false,
  });
  assert.deepEqual(
    legacy.responses.map((x) => [x.errorCode, x.errorMessage]),
    [[ErrorCode.INVALID_CONFIG, SEGMENT_BYTES_REFUSED]],
  );
  const incremental = (name: string, value: string, validateOnly: boolean) =>
    b.client.request<IncrementalAlterConfigsResponse>(ApiKey.IncrementalAlterConfigs, 1, {
      resources: [
        { resourceType: TOPIC, resourceName: "altered", configs: [{ name, configOperation: SET, value }] },
      ],
      validateOnly,
    });
  for (const validateOnly of [false, true]) {
    const r = await incremental("segment.bytes", "20000", validateOnly);
    assert.deepEqual(
      r.responses.map((x) => [x.errorCode, x.errorMessage]),
      [[ErrorCode.INVALID_CONFIG, SEGMENT_BYTES_REFUSED]],
    );
  }
  const negative = await incremental("message.timestamp.after.max.ms", "-5", false);
  assert.deepEqual(
    negative.responses.map((x) => [x.errorCode, x.errorMessage]),
    [
      [
        ErrorCode.INVALID_CONFIG,
        "Invalid value -5 for configuration message.timestamp.after.max.ms: Value must be at least 0",
      ],
    ],
  );
  const after = await describeTopic(b.client, "altered", ["segment.bytes"]);
  assert.deepEqual(
    after.map((c) => [c.name, c.value, c.configSource]),
    [["segment.bytes", "1073741824", ConfigSource.DEFAULT_CONFIG]],
  );
  const admin = await connectedAdmin(b.server.bootstrap);
  try {
    await assert.rejects(
      admin.alterConfigs({
        validateOnly: false,
        resources: [
          {
            type: kafkajs.ConfigResourceTypes.TOPIC,
            name: "altered",
            configEntries: [{ name: "segment.bytes", value: "20000" }],
          },
        ],
      }),
      (e: unknown) => (e as { type?: string }).type === "INVALID_CONFIG",
    );
  } finally {
    await admin.disconnect();
  }
});

test("DescribeConfigs shows Kafka 4's defaults: message.timestamp.after.max.ms is one hour", async () => {
  await createTopic(b.client, "defaults");
  const configs = await describeTopic(b.client, "defaults", [
    "message.timestamp.after.max.ms",
    "segment.bytes",
  ]);
  const after = configs.find((c) => c.name === "message.timestamp.after.max.ms");
  assert.deepEqual(
    [after?.value, after?.configSource, after?.synonyms.map((s) => [s.name, s.value, s.source])],
    [
      "3600000",
      ConfigSource.DEFAULT_CONFIG,
      [["log.message.timestamp.after.max.ms", "3600000", ConfigSource.DEFAULT_CONFIG]],
    ],
  );
  const broker = await b.client.request<DescribeConfigsResponse>(ApiKey.DescribeConfigs, 4, {
    resources: [
      {
        resourceType: BROKER,
        resourceName: "1",
        configurationKeys: [
          "log.message.timestamp.after.max.ms",
          "num.recovery.threads.per.data.dir",
          "log.segment.bytes",
          "offsets.topic.replication.factor",
          "listeners",
        ],
      },
    ],
    includeSynonyms: false,
    includeDocumentation: false,
  });
  assert.deepEqual(
    broker.results[0]?.configs.map((c) => [c.name, c.value, c.configType]).sort(),
    [
      ["listeners", b.server.broker.config.string("listeners"), 2],
      ["log.message.timestamp.after.max.ms", "3600000", 5],
      ["log.segment.bytes", "1073741824", 3],
      ["num.recovery.threads.per.data.dir", "2", 3],
      ["offsets.topic.replication.factor", "1", 4],
    ],
    "types as Kafka declares them: listeners is a STRING, the replication factor a SHORT",
  );
});

test("an auto-created topic gets the defaults: a timestamp more than an hour ahead is refused", async () => {
  const producer = kafkajsClient(b.server.bootstrap).producer({ allowAutoTopicCreation: true });
  await producer.connect();
  try {
    await producer.send({ topic: "auto-created", messages: [{ value: "now" }] });
    await assert.rejects(
      producer.send({
        topic: "auto-created",
        messages: [{ value: "two hours ahead", timestamp: String(Date.now() + 2 * HOUR_MS) }],
      }),
      (e: unknown) => (e as { type?: string }).type === "INVALID_TIMESTAMP",
    );
  } finally {
    await producer.disconnect();
  }
  assert.equal(await produceAt(b.client, "auto-created", Date.now() + HOUR_MS / 2), ErrorCode.NONE);
  const configs = await describeTopic(b.client, "auto-created", ["message.timestamp.after.max.ms"]);
  assert.deepEqual(
    configs.map((c) => [c.value, c.configSource]),
    [["3600000", ConfigSource.DEFAULT_CONFIG]],
  );
});

test("internal.segment.bytes, Kafka's undocumented test override, rolls small segments and is shown only where set", async () => {
  const r = await createTopics(b.client, [
    { name: "small-segments", configs: { "internal.segment.bytes": "4096" } },
  ]);
  assert.equal(r.topics[0]?.errorCode, ErrorCode.NONE);
  for (let i = 0; i < 10; i++)
    assert.equal(await produceAt(b.client, "small-segments", Date.now(), 1000), ErrorCode.NONE);
  const log = b.server.broker.logManager.getLog({ topic: "small-segments", partition: 0 });
  assert.ok((log?.segmentList.length ?? 0) >= 3, `${log?.segmentList.length} segments`);
  const configs = await describeTopic(b.client, "small-segments", null);
  assert.deepEqual(
    configs
      .filter((c) => c.name.includes("segment.bytes"))
      .map((c) => [c.name, c.value, c.configSource])
      .sort(),
    [
      ["internal.segment.bytes", "4096", ConfigSource.DYNAMIC_TOPIC_CONFIG],
      ["segment.bytes", "1073741824", ConfigSource.DEFAULT_CONFIG],
    ],
  );
  await createTopic(b.client, "plain-segments");
  const plain = await describeTopic(b.client, "plain-segments", null);
  assert.equal(
    plain.find((c) => c.name === "internal.segment.bytes"),
    undefined,
    "an internal config is not described unless set",
  );
});

test("a topic stored before Kafka 4's minimum keeps its small segment.bytes and stays usable", async () => {
  await createTopic(b.client, "stored-small");
  // As written by an older Brook, which allowed it: straight into the metadata log.
  await b.server.broker.decide("test", () => ({
    records: [
      {
        type: "Config",
        resourceType: TOPIC,
        resourceName: "stored-small",
        name: "segment.bytes",
        value: "20000",
      },
    ],
    result: undefined,
  }));
  const configs = await describeTopic(b.client, "stored-small", ["segment.bytes"]);
  assert.deepEqual(
    configs.map((c) => [c.value, c.configSource]),
    [["20000", ConfigSource.DYNAMIC_TOPIC_CONFIG]],
  );
  assert.equal(await produceAt(b.client, "stored-small", Date.now(), 1000), ErrorCode.NONE);
  // Changing the topic means fixing it: the whole new set is checked, as Kafka checks it.
  const stale = await b.client.request<IncrementalAlterConfigsResponse>(ApiKey.IncrementalAlterConfigs, 1, {
    resources: [
      {
        resourceType: TOPIC,
        resourceName: "stored-small",
        configs: [{ name: "retention.ms", configOperation: SET, value: "60000" }],
      },
    ],
    validateOnly: false,
  });
  assert.deepEqual(
    stale.responses.map((x) => [x.errorCode, x.errorMessage]),
    [[ErrorCode.INVALID_CONFIG, SEGMENT_BYTES_REFUSED]],
  );
});
