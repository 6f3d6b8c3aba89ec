import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { Kafka, logLevel } from "kafkajs";
import { AdminClient } from "../../src/client/index.js";
import { ErrorCode } from "../../src/protocol/index.js";
import { type BrookCluster, startCluster } from "../../src/server/index.js";

/**
 * Fetch responses reference the log's memory (tail-cache slabs, pooled segment-read buffers) and
 * give it back once the socket has written them. Here every buffer given back is overwritten at
 * once (poisoning mode) and the tail cache is two slabs, so memory is reused constantly: a buffer
 * given back before its response left would reach a follower (which checks each batch's CRC) or
 * the consumer (which checks every value) as garbage.
 */
const TOPIC = "leased";
const BATCHES = 120;
const RECORDS_PER_BATCH = 50;
const VALUE_BYTES = 2000;
let cluster: BrookCluster;
let admin: AdminClient;
const poisonBefore = process.env.BROOK_DEBUG_POISON_BUFFERS;

before(async () => {
  process.env.BROOK_DEBUG_POISON_BUFFERS = "1";
  cluster = await startCluster({
    nodes: 3,
    properties: { "log.tail.cache.bytes": String(8 * 1024 * 1024) },
  });
  admin = new AdminClient({ bootstrap: cluster.bootstrap, timeoutMs: 10_000 });
});

after(async () => {
  await admin.close();
  await cluster.stop();
  if (poisonBefore === undefined) delete process.env.BROOK_DEBUG_POISON_BUFFERS;
  else process.env.BROOK_DEBUG_POISON_BUFFERS = poisonBefore;
});

function value(i: number): Buffer {
  const v = Buffer.alloc(VALUE_BYTES, i % 251);
  v.writeUInt32BE(i, 0);
  return v;
}

async function consumeAll(kafka: Kafka, groupId: string, total: number): Promise<void> {
  const consumer = kafka.consumer({ groupId, maxBytesPerPartition: 1024 * 1024 });
  await consumer.connect();
  await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
  let seen = 0;
  try {
    await new Promise<void>((resolve, reject) => {
      void consumer.run({
        eachMessage: async ({ message }) => {
          if (message.value === null || !message.value.equals(value(seen))) {
            reject(new Error(`${groupId}: record ${seen} differs from what was produced`));
            return;
          }
          if (++seen === total) resolve();
        },
      });
    });
  } finally {
    await consumer.disconnect();
  }
}

test("memory lent to fetch responses is reused only after they are written", {
  timeout: 60_000,
}, async () => {
  const [created] = await admin.createTopics([
    { name: TOPIC, numPartitions: 1, replicationFactor: 3, configs: { "min.insync.replicas": "3" } },
  ]);
  assert.equal(created?.errorCode, ErrorCode.NONE, created?.errorMessage ?? "");
  const kafka = new Kafka({ brokers: cluster.bootstrap.split(","), logLevel: logLevel.NOTHING });
  const producer = kafka.producer();
  await producer.connect();
  const total = BATCHES * RECORDS_PER_BATCH;
  // A consumer at the tail while the records arrive (tail-cache slabs on lease) ...
  const atTail = consumeAll(kafka, "at-tail", total);
  // ... acks=all with min.insync.replicas=3: every batch went through both followers' fetches.
  for (let b = 0; b < BATCHES; b++) {
    const messages = Array.from({ length: RECORDS_PER_BATCH }, (_, r) => ({
      value: value(b * RECORDS_PER_BATCH + r),
    }));
    await producer.send({ topic: TOPIC, acks: -1, messages });
  }
  await atTail;
  await producer.disconnect();
  // ... and one from the start, older than the tail cache (pooled segment reads on lease).
  await consumeAll(kafka, "from-start", total);
  const leader = (await admin.metadata([TOPIC])).topics[0]?.partitions[0]?.leaderId as number;
  const env = cluster.node(leader)?.broker.logManager.env;
  assert.ok(env !== undefined);
  assert.ok(env.tailArena.slabsRecycled > 0, "the leader reused tail-cache slabs");
  assert.ok(env.readPool.reused > 0, "the leader reused pooled read buffers");
});
