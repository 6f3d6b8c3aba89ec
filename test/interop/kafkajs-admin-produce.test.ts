import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { Admin, Kafka } from "kafkajs";
import { BrokerProcess, kcatConsume, waitFor } from "./broker-process.js";
import { KAFKAJS_CODECS, kafkajsClient, kafkajsErrors } from "./kafkajs-client.js";
import { batchCodecsOnDisk } from "./log-files.js";

/**
 * kafkajs 2.2.4 against a Brook broker process: the admin calls an application makes (create,
 * list, describe, offsets, offsets by time, delete) and the producer with every codec (gzip built
 * in; snappy, lz4 and zstd through codecs registered in kafkajs's CompressionCodecs). What kafkajs
 * produced is read back with kcat, an independent client, and checked on disk for the codec.
 */

let broker: BrokerProcess;
let kafka: Kafka;
let admin: Admin;

before(async () => {
  broker = await BrokerProcess.start({
    overrides: { "num.partitions": "1", "auto.create.topics.enable": "false" },
  });
  kafka = kafkajsClient(broker.bootstrap);
  admin = kafka.admin();
  await admin.connect();
});

after(async () => {
  await admin?.disconnect();
  await broker?.dispose();
});

function failureContext(): string {
  return `kafkajs errors:\n${kafkajsErrors.join("\n")}\nbroker stderr:\n${broker.stderr}`;
}

test("admin: createTopics with partitions and configs, listTopics, fetchTopicMetadata, fetchTopicOffsets", async () => {
  const created = await admin.createTopics({
    waitForLeaders: true,
    topics: [
      {
        topic: "orders",
        numPartitions: 4,
        configEntries: [
          { name: "retention.ms", value: "86400000" },
          { name: "cleanup.policy", value: "delete" },
        ],
      },
      {
        topic: "small-records",
        numPartitions: 1,
        configEntries: [{ name: "max.message.bytes", value: "2048" }],
      },
    ],
  });
  assert.equal(created, true, failureContext());
  assert.equal(
    await admin.createTopics({ topics: [{ topic: "orders", numPartitions: 4 }] }),
    false,
    "creating an existing topic answers TOPIC_ALREADY_EXISTS, which kafkajs reports as false",
  );
  await assert.rejects(
    admin.createTopics({
      topics: [
        {
          topic: "bad-config",
          numPartitions: 1,
          configEntries: [{ name: "cleanup.policy", value: "sometimes" }],
        },
      ],
    }),
    (error: Error & { errors?: { type: string }[] }) => {
      assert.deepEqual(
        error.errors?.map((e) => e.type),
        ["INVALID_CONFIG"],
      );
      return true;
    },
  );

  const topics = await admin.listTopics();
  assert.ok(topics.includes("orders") && topics.includes("small-records"), `listTopics: ${topics}`);
  assert.ok(!topics.includes("bad-config"), "a refused topic is not created");
  assert.ok(!topics.some((t) => t.startsWith("__cluster_metadata")), `listTopics: ${topics}`);

  const metadata = await admin.fetchTopicMetadata({ topics: ["orders"] });
  assert.equal(metadata.topics.length, 1);
  const orders = metadata.topics[0];
  assert.equal(orders?.name, "orders");
  assert.deepEqual(orders?.partitions.map((p) => p.partitionId).sort(), [0, 1, 2, 3]);
  for (const p of orders?.partitions ?? []) {
    assert.equal(p.partitionErrorCode, 0);
    assert.equal(p.leader, 1);
    assert.deepEqual(p.replicas, [1]);
    assert.deepEqual(p.isr, [1]);
  }

  const offsets = await admin.fetchTopicOffsets("orders");
  assert.deepEqual(
    offsets.sort((a, b) => a.partition - b.partition),
    [0, 1, 2, 3].map((partition) => ({ partition, offset: "0", high: "0", low: "0" })),
  );
});

test("a topic config given at creation is enforced: max.message.bytes refuses a larger batch", async () => {
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    await producer.send({ topic: "small-records", messages: [{ value: "fits" }] });
    await assert.rejects(
      producer.send({ topic: "small-records", messages: [{ value: "x".repeat(4096) }] }),
      (error: Error & { type?: string }) => {
        assert.equal(error.type, "MESSAGE_TOO_LARGE", String(error));
        return true;
      },
    );
  } finally {
    await producer.disconnect();
  }
  const stored = await kcatConsume(broker.bootstrap, "small-records");
  assert.deepEqual(
    stored.map((r) => r.payload),
    ["fits"],
  );
});

const RECORDS = 150;

for (const codec of KAFKAJS_CODECS) {
  test(`producer with compression ${codec.name}: acknowledged offsets, records read back by kcat, batches stored compressed`, async () => {
    const topic = `kafkajs-${codec.name}`;
    assert.equal(
      await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 3 }] }),
      true,
    );
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    const messages = Array.from({ length: RECORDS }, (_, i) => ({
      key: `key-${i % 30}`,
      value: `value-${i} ${"lorem ipsum ".repeat(i % 7)}`,
      headers: { source: "kafkajs", index: String(i) },
    }));
    let acknowledged: { partition: number; errorCode: number; baseOffset?: string }[];
    try {
      // Three sends: batches after the first get offsets that continue the log.
      acknowledged = [];
      for (let part = 0; part < 3; part++) {
        const slice = messages.slice(part * 50, part * 50 + 50);
        acknowledged.push(
          ...(await producer.send({ topic, compression: codec.type, acks: -1, messages: slice })),
        );
      }
    } finally {
      await producer.disconnect();
    }
    assert.ok(
      acknowledged.every((m) => m.errorCode === 0),
      JSON.stringify(acknowledged),
    );

    const offsets = await admin.fetchTopicOffsets(topic);
    assert.equal(
      offsets.reduce((sum, o) => sum + Number(o.high), 0),
      RECORDS,
      "high watermarks add up to the records sent",
    );
    assert.ok(offsets.every((o) => o.low === "0"));

    const records = await kcatConsume(broker.bootstrap, topic);
    assert.equal(records.length, RECORDS);
    const got = records
      .sort((a, b) => a.partition - b.partition || a.offset - b.offset)
      .map((r) => ({ key: r.key, value: r.payload, headers: r.headers }));
    // Per key (one partition) the order of sending is kept.
    for (let k = 0; k < 30; k++) {
      const key = `key-${k}`;
      assert.deepEqual(
        got.filter((r) => r.key === key),
        messages
          .filter((m) => m.key === key)
          .map((m) => ({ key, value: m.value, headers: ["source", "kafkajs", "index", m.headers.index] })),
      );
    }
    const codecs = [0, 1, 2].flatMap((p) => batchCodecsOnDisk(broker.dataDir, topic, p));
    assert.ok(
      codecs.length > 0 && codecs.every((c) => c === codec.id),
      `batches on disk use codecs [${codecs}], expected ${codec.id}`,
    );
  });
}

test("acks=1 and acks=0 producers: records land; acks=0 gets no response but its records are there", async () => {
  const topic = "acks";
  await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 1 }] });
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    const [leader] = await producer.send({ topic, acks: 1, messages: [{ value: "acks-1" }] });
    assert.equal(leader?.errorCode, 0);
    assert.equal(leader?.baseOffset, "0");
    await producer.send({ topic, acks: 0, messages: [{ value: "acks-0-a" }, { value: "acks-0-b" }] });
  } finally {
    await producer.disconnect();
  }
  const high = await waitFor("the acks=0 records", async () => {
    const [offsets] = await admin.fetchTopicOffsets(topic);
    return offsets?.high === "3" ? offsets.high : undefined;
  });
  assert.equal(high, "3");
  const stored = await kcatConsume(broker.bootstrap, topic);
  assert.deepEqual(
    stored.map((r) => r.payload),
    ["acks-1", "acks-0-a", "acks-0-b"],
  );
});

test("fetchTopicOffsetsByTimestamp finds the first offset at or after a time in each partition", async () => {
  const topic = "by-time";
  await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 2 }] });
  const t0 = Date.now() - 3_600_000;
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    for (const partition of [0, 1]) {
      await producer.send({
        topic,
        messages: Array.from({ length: 10 }, (_, i) => ({
          partition,
          value: `p${partition}-${i}`,
          timestamp: String(t0 + i * 1000 + partition * 100),
        })),
      });
    }
  } finally {
    await producer.disconnect();
  }
  const at = async (timestamp: number) =>
    (await admin.fetchTopicOffsetsByTimestamp(topic, timestamp))
      .sort((a, b) => a.partition - b.partition)
      .map((o) => o.offset);
  assert.deepEqual(await at(t0 - 1), ["0", "0"]);
  assert.deepEqual(await at(t0 + 4050), ["5", "4"]);
  assert.deepEqual(await at(t0 + 9000), ["9", "9"]);
  // Past the last record: no offset (-1), which kafkajs replaces with the high watermark.
  assert.deepEqual(await at(t0 + 60_000), ["10", "10"]);
});

test("deleteTopics removes the topic and its records; the name can be used again", async () => {
  const topic = "short-lived";
  await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 3 }] });
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    await producer.send({
      topic,
      messages: [
        { key: "a", value: "1" },
        { key: "b", value: "2" },
      ],
    });
  } finally {
    await producer.disconnect();
  }
  await admin.deleteTopics({ topics: [topic], timeout: 5000 });
  assert.ok(!(await admin.listTopics()).includes(topic));

  await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 2 }] });
  const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
  assert.equal(metadata.topics[0]?.partitions.length, 2);
  const offsets = await admin.fetchTopicOffsets(topic);
  assert.ok(
    offsets.every((o) => o.high === "0"),
    `a re-created topic starts empty: ${JSON.stringify(offsets)}`,
  );
  broker.assertAlive();
});
