import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { Kafka } from "kafkajs";
import { AdminClient, Consumer, type ConsumerRecord } from "../../src/client/index.js";
import { BrokerProcess, TEST_TIMEOUT_MS } from "./broker-process.js";
import { kafkajsClient } from "./kafkajs-client.js";

/**
 * Brook's consumer over transactions written by kafkajs (a real transactional producer) on a
 * broker process: read_committed skips an aborted transaction and waits for an open one, whose
 * records come once it commits; "latest" under read_committed is the last stable offset (where
 * the open transaction starts), under read_uncommitted the high watermark; read_uncommitted sees
 * everything.
 */

let broker: BrokerProcess;
let kafka: Kafka;
const TOPIC = "txn-read";

before(async () => {
  broker = await BrokerProcess.start({ overrides: { "num.partitions": "1" } });
  const admin = new AdminClient({ bootstrap: broker.bootstrap });
  try {
    const [created] = await admin.createTopics([{ name: TOPIC, numPartitions: 1, replicationFactor: 1 }]);
    assert.equal(created?.errorCode, 0);
  } finally {
    admin.close();
  }
  kafka = kafkajsClient(broker.bootstrap, "brook-consumer-txn");
});

after(async () => {
  await broker?.dispose();
});

async function pollUntil(consumer: Consumer, count: number, timeoutMs = 15_000): Promise<ConsumerRecord[]> {
  const got: ConsumerRecord[] = [];
  const end = performance.now() + timeoutMs;
  while (got.length < count && performance.now() < end) got.push(...(await consumer.poll(200)));
  return got;
}

const values = (records: ConsumerRecord[]) => records.map((r) => String(r.value));

test("read_committed: aborted records skipped, an open transaction waited for, latest is the last stable offset", {
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  const producer = kafka.producer({
    transactionalId: "brook-consumer-txn",
    idempotent: true,
    maxInFlightRequests: 1,
  });
  await producer.connect();
  const plain = kafka.producer();
  await plain.connect();
  try {
    const committed = await producer.transaction();
    await committed.send({ topic: TOPIC, messages: [{ value: "a1" }, { value: "a2" }] });
    await committed.commit();
    const aborted = await producer.transaction();
    await aborted.send({ topic: TOPIC, messages: [{ value: "c1" }] });
    await aborted.abort();
    await plain.send({ topic: TOPIC, messages: [{ value: "d1" }] });
    // a1 a2 (0-1), commit marker (2), c1 (3), abort marker (4), d1 (5); then b1 (6) stays open.
    const open = await producer.transaction();
    await open.send({ topic: TOPIC, messages: [{ value: "b1" }] });

    const committedReader = new Consumer({ bootstrap: broker.bootstrap, isolationLevel: "read_committed" });
    const latestCommitted = new Consumer({ bootstrap: broker.bootstrap, isolationLevel: "read_committed" });
    const latestUncommitted = new Consumer({ bootstrap: broker.bootstrap });
    try {
      committedReader.assign([{ topic: TOPIC, partition: 0, offset: "earliest" }]);
      latestCommitted.assign([{ topic: TOPIC, partition: 0, offset: "latest" }]);
      latestUncommitted.assign([{ topic: TOPIC, partition: 0, offset: "latest" }]);
      assert.deepEqual(values(await pollUntil(committedReader, 3)), ["a1", "a2", "d1"]);
      assert.deepEqual(await committedReader.poll(500), [], "nothing of the open transaction yet");
      await latestCommitted.poll(300);
      await latestUncommitted.poll(300);
      const tp = { topic: TOPIC, partition: 0 };
      assert.equal(latestCommitted.position(tp), 6n, "read_committed's latest: the last stable offset");
      assert.equal(latestUncommitted.position(tp), 7n, "read_uncommitted's latest: the high watermark");

      await open.commit();
      assert.deepEqual(values(await pollUntil(committedReader, 1)), ["b1"]);
      assert.deepEqual(values(await pollUntil(latestCommitted, 1)), ["b1"]);

      const everything = new Consumer({ bootstrap: broker.bootstrap });
      try {
        everything.assign([{ topic: TOPIC, partition: 0, offset: "earliest" }]);
        assert.deepEqual(values(await pollUntil(everything, 5)), ["a1", "a2", "c1", "d1", "b1"]);
      } finally {
        await everything.close();
      }
    } finally {
      await committedReader.close();
      await latestCommitted.close();
      await latestUncommitted.close();
    }
  } finally {
    await producer.disconnect();
    await plain.disconnect();
  }
});
