import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { BrokerProcess, pythonClient } from "./broker-process.js";
import { kafkajsClient } from "./kafkajs-client.js";

/**
 * The course's partitioning promise, end to end: records with the same non-empty key land in one
 * partition, and two clients with Java-compatible partitioners (kafkajs's default murmur2 and
 * librdkafka's `partitioner=murmur2_random`) pick the same partition for it. Checked by reading
 * every partition back from the broker, not by recomputing a hash here.
 */

const PARTITIONS = 8;
const KEYS = [
  ...Array.from({ length: 150 }, (_, i) => `customer-${i}`),
  "a",
  "Z",
  "0",
  "order:2024-01-01:42",
  "ключ",
  "键-🔑",
  "x".repeat(300),
];
const TOPIC = "keyed";

let broker: BrokerProcess;

before(async () => {
  broker = await BrokerProcess.start({ overrides: { "num.partitions": String(PARTITIONS) } });
});

after(async () => {
  await broker?.dispose();
});

interface Consumed {
  records: { partition: number; key: string | null; value: string | null }[];
  eof: boolean;
  errors: string[];
}

test("kafkajs and librdkafka (murmur2_random) put every record of a key in the same single partition", async () => {
  const kafka = kafkajsClient(broker.bootstrap);
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic: TOPIC, numPartitions: PARTITIONS }] });
  } finally {
    await admin.disconnect();
  }

  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    // Two sends, so that each key is placed twice by kafkajs.
    for (const round of [0, 1]) {
      const sent = await producer.send({
        topic: TOPIC,
        acks: -1,
        messages: KEYS.map((key) => ({ key, value: `kafkajs-${round}` })),
      });
      assert.ok(sent.every((m) => m.errorCode === 0));
    }
  } finally {
    await producer.disconnect();
  }

  const produced = await pythonClient<{
    reports: { error: string | null }[];
    undelivered: number;
    errors: string[];
  }>({
    op: "produce",
    config: {
      "bootstrap.servers": broker.bootstrap,
      partitioner: "murmur2_random",
      acks: "all",
      "linger.ms": 5,
    },
    messages: [0, 1].flatMap((round) =>
      KEYS.map((key) => ({ topic: TOPIC, key, value: `librdkafka-${round}` })),
    ),
  });
  assert.equal(produced.undelivered, 0, produced.errors.join("\n"));
  assert.ok(produced.reports.every((r) => r.error === null));

  const consumed = await pythonClient<Consumed>({
    op: "consume",
    config: { "bootstrap.servers": broker.bootstrap },
    assignments: Array.from({ length: PARTITIONS }, (_, partition) => ({
      topic: TOPIC,
      partition,
      offset: 0,
    })),
  });
  assert.ok(consumed.eof, `not every partition was read to its end: ${consumed.errors.join("\n")}`);
  assert.equal(consumed.records.length, KEYS.length * 4, "every record sent is read back");

  const partitionsOfKey = new Map<string, Set<number>>();
  const sendersOfKey = new Map<string, string[]>();
  for (const r of consumed.records) {
    assert.ok(r.key !== null && r.value !== null);
    partitionsOfKey.set(r.key, (partitionsOfKey.get(r.key) ?? new Set()).add(r.partition));
    sendersOfKey.set(r.key, [...(sendersOfKey.get(r.key) ?? []), r.value]);
  }
  assert.equal(partitionsOfKey.size, KEYS.length);
  const split = [...partitionsOfKey].filter(([, ps]) => ps.size !== 1).map(([k, ps]) => `${k}: ${[...ps]}`);
  assert.deepEqual(split, [], "keys found in more than one partition (kafkajs and librdkafka disagree)");
  for (const [key, values] of sendersOfKey) {
    assert.deepEqual(
      values.sort(),
      ["kafkajs-0", "kafkajs-1", "librdkafka-0", "librdkafka-1"],
      `records of key ${key.slice(0, 40)}`,
    );
  }
  // Not trivially true: the keys spread over every partition.
  const used = new Set(consumed.records.map((r) => r.partition));
  assert.equal(used.size, PARTITIONS, `partitions used: ${[...used].sort()}`);
});
