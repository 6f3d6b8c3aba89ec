import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { Consumer, Kafka } from "kafkajs";
import { BrokerProcess, TEST_TIMEOUT_MS } from "./broker-process.js";
import { KAFKAJS_CODECS, kafkajsClient, kafkajsErrors } from "./kafkajs-client.js";

/**
 * kafkajs 2.2.4 consuming from a Brook broker process. kafkajs's consumer always joins a group
 * (FindCoordinator, JoinGroup, SyncGroup, Heartbeat, OffsetFetch/OffsetCommit, LeaveGroup), so
 * this exercises the group coordinator end to end: every record produced with every codec comes
 * back with its key, value and headers, in order per partition, and a second consumer of the same
 * group resumes from the committed offsets.
 */

const TOPIC = "consumed";
const PARTITIONS = 3;
const PER_CODEC = 40;
const CONSUME_TIMEOUT_MS = 30_000;

let broker: BrokerProcess;
let kafka: Kafka;

before(async () => {
  broker = await BrokerProcess.start({ overrides: { "num.partitions": String(PARTITIONS) } });
  kafka = kafkajsClient(broker.bootstrap);
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic: TOPIC, numPartitions: PARTITIONS }] });
  } finally {
    await admin.disconnect();
  }
});

after(async () => {
  await broker?.dispose();
});

interface Received {
  partition: number;
  offset: string;
  key: string | undefined;
  value: string | undefined;
  headers: Record<string, string>;
}

interface Sent {
  key: string;
  value: string;
  headers: Record<string, string>;
}

async function produce(tag: string): Promise<Sent[]> {
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const sent: Sent[] = [];
  try {
    for (const codec of KAFKAJS_CODECS) {
      const messages = Array.from({ length: PER_CODEC }, (_, i) => ({
        key: `${tag}-key-${i % 12}`,
        value: `${tag}-${codec.name}-${i} ${"body ".repeat(i % 6)}`,
        headers: { codec: codec.name, index: String(i), tag },
      }));
      const result = await producer.send({ topic: TOPIC, compression: codec.type, acks: -1, messages });
      assert.ok(result.every((r) => r.errorCode === 0));
      sent.push(...messages);
    }
  } finally {
    await producer.disconnect();
  }
  return sent;
}

/** Runs a consumer of `groupId` until it has `count` records (or the time limit), then stops it. */
async function consume(groupId: string, count: number): Promise<Received[]> {
  const consumer: Consumer = kafka.consumer({
    groupId,
    sessionTimeout: 10_000,
    heartbeatInterval: 500,
    rebalanceTimeout: 10_000,
    maxWaitTimeInMs: 200,
    retry: { retries: 3 },
  });
  const received: Received[] = [];
  let crashed: unknown;
  let done: () => void = () => {};
  const all = new Promise<void>((resolve) => {
    done = resolve;
  });
  consumer.on(consumer.events.CRASH, (event) => {
    // kafkajs would restart and retry; a crash already means the broker answered wrongly.
    crashed = event.payload.error;
    done();
  });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(message.headers ?? {})) headers[k] = String(v);
        received.push({
          partition,
          offset: message.offset,
          key: message.key?.toString(),
          value: message.value?.toString(),
          headers,
        });
        if (received.length >= count) done();
      },
    });
    const timedOut = await Promise.race([
      all.then(() => false),
      new Promise<boolean>((resolve) => setTimeout(() => resolve(true), CONSUME_TIMEOUT_MS).unref()),
    ]);
    assert.ok(
      !timedOut && crashed === undefined,
      `consumer of ${groupId} got ${received.length} of ${count} records${timedOut ? ` within ${CONSUME_TIMEOUT_MS} ms` : ""}` +
        `${crashed === undefined ? "" : `; crashed: ${String(crashed)}`}\nkafkajs errors:\n${kafkajsErrors.slice(-20).join("\n")}\nbroker stderr:\n${broker.stderr.slice(-4000)}`,
    );
  } finally {
    await consumer.disconnect();
  }
  return received;
}

function assertSame(received: Received[], sent: Sent[]): void {
  const key = (r: { key: string | undefined; value: string | undefined; headers: Record<string, string> }) =>
    JSON.stringify([r.key, r.value, Object.entries(r.headers).sort()]);
  assert.deepEqual(received.map(key).sort(), sent.map(key).sort());
  // Per partition, offsets are delivered in increasing order without gaps or repeats.
  for (let p = 0; p < PARTITIONS; p++) {
    const offsets = received.filter((r) => r.partition === p).map((r) => Number(r.offset));
    for (let i = 1; i < offsets.length; i++) {
      assert.equal(
        offsets[i],
        (offsets[i - 1] as number) + 1,
        `partition ${p} offsets ${offsets.slice(0, 20)}`,
      );
    }
  }
}

test("a kafkajs consumer group reads every record of every codec with its key, value and headers", {
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  const sent = await produce("first");
  const received = await consume("readers", sent.length);
  assert.equal(received.length, sent.length, "no record delivered twice");
  assertSame(received, sent);
  assert.equal(
    new Set(received.map((r) => r.partition)).size,
    PARTITIONS,
    "records came from every partition",
  );
});

test("a new consumer in the same group resumes after the offsets the first one committed", {
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  const sent = await produce("second");
  const received = await consume("readers", sent.length);
  assert.equal(received.length, sent.length, "only the records produced since the last consumer stopped");
  assertSame(received, sent);
});
