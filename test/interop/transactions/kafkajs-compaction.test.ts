import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { Kafka } from "kafkajs";
import { BrokerProcess, TEST_TIMEOUT_MS, waitFor } from "../broker-process.js";
import { kafkajsClient } from "../kafkajs-client.js";

/**
 * kafkajs 2.2.4's transactional producer on a compacted topic with small segments, cleaned by the
 * broker's cleaner: afterwards a read_committed consumer sees the same latest value per key as
 * before, and a read_uncommitted one no longer sees the aborted records (Kafka's cleaner removes
 * them), while the committed latest values are all there.
 */

const TOPIC = "txn-compacted";
let broker: BrokerProcess;
let kafka: Kafka;

before(async () => {
  broker = await BrokerProcess.start({
    overrides: { "transaction.state.log.num.partitions": "3", "log.cleaner.backoff.ms": "200" },
  });
  kafka = kafkajsClient(broker.bootstrap, "txn-compaction");
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    waitForLeaders: true,
    topics: [
      {
        topic: TOPIC,
        numPartitions: 1,
        configEntries: [
          { name: "cleanup.policy", value: "compact" },
          { name: "internal.segment.bytes", value: "2048" },
          { name: "min.cleanable.dirty.ratio", value: "0.01" },
        ],
      },
    ],
  });
  await admin.disconnect();
});

after(async () => {
  await broker?.dispose();
});

/** key -> values in offset order, read from the start until 1.5 s pass without a new record. */
async function read(readUncommitted: boolean): Promise<Map<string, string[]>> {
  const consumer = kafka.consumer({
    groupId: `reader-${Math.random()}`,
    readUncommitted,
    maxWaitTimeInMs: 100,
  });
  await consumer.connect();
  await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
  const byKey = new Map<string, string[]>();
  let last = Date.now();
  await consumer.run({
    eachMessage: async ({ message }) => {
      const key = String(message.key);
      byKey.set(key, [...(byKey.get(key) ?? []), String(message.value)]);
      last = Date.now();
    },
  });
  await waitFor("the reader to go idle", async () => (Date.now() - last > 1500 ? true : undefined), 20_000);
  await consumer.disconnect();
  return byKey;
}

const latest = (byKey: Map<string, string[]>) =>
  [...byKey]
    .map(([k, vs]) => [k, vs[vs.length - 1]])
    .sort((a, b) => String(a[0]).localeCompare(String(b[0])));

test("a compacted transactional topic: aborted records go, read_committed reads the same", {
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  const producer = kafka.producer({
    transactionalId: "compaction-tx",
    idempotent: true,
    maxInFlightRequests: 1,
  });
  await producer.connect();
  const pad = "x".repeat(200);
  for (let round = 0; round < 6; round++) {
    const txn = await producer.transaction();
    for (let k = 0; k < 3; k++)
      await txn.send({ topic: TOPIC, messages: [{ key: `k${k}`, value: `r${round}-k${k}-${pad}` }] });
    if (round % 2 === 0) await txn.commit();
    else await txn.abort();
  }
  // committed filler pushes the rounds out of the active segment, so the cleaner may take them
  for (let i = 0; i < 12; i++) {
    const txn = await producer.transaction();
    await txn.send({ topic: TOPIC, messages: [{ key: `filler${i % 2}`, value: `f${i}-${pad}` }] });
    await txn.commit();
  }
  await producer.disconnect();
  const expected = [
    ["filler0", `f10-${pad}`],
    ["filler1", `f11-${pad}`],
    ["k0", `r4-k0-${pad}`],
    ["k1", `r4-k1-${pad}`],
    ["k2", `r4-k2-${pad}`],
  ];
  assert.deepEqual(latest(await read(false)), expected, "read_committed before cleaning");
  const aborted = (v: string) => /^r[135]-/.test(v);
  await waitFor(
    "the cleaner to remove the aborted and the shadowed records",
    async () => {
      const all = [...(await read(true)).values()].flat();
      return !all.some(aborted) && !all.includes(`r0-k0-${pad}`) ? true : undefined;
    },
    60_000,
    500,
  );
  assert.deepEqual(latest(await read(false)), expected, "read_committed after cleaning");
  const uncommitted = await read(true);
  assert.deepEqual(
    latest(uncommitted),
    expected,
    "read_uncommitted after cleaning: the committed latest values",
  );
  assert.ok(![...uncommitted.values()].flat().some(aborted), "no aborted record is left");
});
