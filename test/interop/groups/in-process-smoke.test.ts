import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { after, before, test } from "node:test";
import kafkajs from "kafkajs";
import { type BrookServer, startBroker } from "../../../src/server/index.js";

/**
 * Smoke tests of the group APIs with real clients on the in-process broker (`startBroker`): a
 * kafkajs consumer group reads a 3-partition topic and commits, then a kcat (librdkafka) balanced
 * consumer (`-G`) of the same group resumes from those commits. The other files here run the
 * clients against a broker process (failover, cooperative rebalancing, restarts).
 */

const TOPIC = "smoke";
const RECORDS = 30;
const CONSUME_TIMEOUT_MS = 20_000;

let server: BrookServer;
let kafka: kafkajs.Kafka;

before(async () => {
  server = await startBroker({ properties: { "offsets.topic.num.partitions": "5" } });
  kafka = new kafkajs.Kafka({
    clientId: "group-smoke",
    brokers: [server.bootstrap],
    logLevel: kafkajs.logLevel.NOTHING,
    retry: { retries: 5, initialRetryTime: 100, maxRetryTime: 1000 },
  });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 3 }] });
  await admin.disconnect();
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({
    topic: TOPIC,
    messages: Array.from({ length: RECORDS }, (_, i) => ({ key: `k${i}`, value: `v${i}` })),
  });
  await producer.disconnect();
});

after(async () => {
  await server.stop();
});

function kcat(args: string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile("kcat", args, { timeout: CONSUME_TIMEOUT_MS }, (error, stdout, stderr) => {
      if (error) reject(new Error(`kcat ${args.join(" ")}: ${error.message}\n${stderr}`));
      else resolve(stdout);
    });
    if (input !== undefined) child.stdin?.end(input);
  });
}

test("a kafkajs consumer group reads every record of a 3-partition topic and commits its position", async () => {
  const consumer = kafka.consumer({ groupId: "smoke-group", sessionTimeout: 10_000, heartbeatInterval: 500 });
  const seen: string[] = [];
  try {
    await consumer.connect();
    await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`only ${seen.length} records arrived`)),
        CONSUME_TIMEOUT_MS,
      );
      void consumer.run({
        eachMessage: async ({ message }) => {
          seen.push(String(message.value));
          if (seen.length === RECORDS) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
  } finally {
    await consumer.disconnect();
  }
  assert.deepEqual(seen.sort(), Array.from({ length: RECORDS }, (_, i) => `v${i}`).sort());
  const admin = kafka.admin();
  await admin.connect();
  try {
    const [committed] = await admin.fetchOffsets({ groupId: "smoke-group", topics: [TOPIC] });
    const total = committed?.partitions.reduce((sum, p) => sum + Number(p.offset), 0);
    assert.equal(total, RECORDS, "the committed offsets add up to every record");
  } finally {
    await admin.disconnect();
  }
});

test("a kcat balanced consumer (-G) of the same group resumes after kafkajs's commits", async () => {
  await kcat(["-b", server.bootstrap, "-P", "-t", TOPIC, "-K:"], "late-key:late-value\n");
  const out = await kcat(["-b", server.bootstrap, "-G", "smoke-group", "-e", "-q", "-f", "%s\\n", TOPIC]);
  assert.deepEqual(out.trim().split("\n"), ["late-value"]);
});
