import assert from "node:assert/strict";
import { test } from "node:test";
import { CompressionTypes, Kafka, logLevel } from "kafkajs";
import { decodeRecordBatch } from "../../../src/protocol/index.js";
import { type BrookServer, startBroker } from "../../../src/server/index.js";
import { LossyProxy } from "./lossy-proxy.js";

/**
 * kafkajs 2.2.4 with `idempotent: true` (InitProducerId v1, Produce v7 with sequences) against an
 * in-process broker, directly and through a proxy that loses Produce responses: each message is
 * acknowledged and stored exactly once. The stored records are read from the broker's logs
 * (kafkajs consumption needs consumer groups, tested elsewhere).
 */
const TOPIC = "idem-kafkajs";
const SENDS = 12;
const PER_SEND = 25;

function client(bootstrap: string): Kafka {
  return new Kafka({
    clientId: "brook-idempotence",
    brokers: [bootstrap],
    logLevel: logLevel.NOTHING,
    retry: { retries: 8, initialRetryTime: 50, maxRetryTime: 1000 },
  });
}

/** Values stored in the topic's logs, in offset order per partition, with their partitions. */
function storedValues(server: BrookServer): string[] {
  const values: string[] = [];
  for (const p of server.broker.replicaManager.all()) {
    if (p.topic !== TOPIC) continue;
    let offset = p.log.logStartOffset;
    for (let reads = 0; offset < p.log.logEndOffset && reads < 10_000; reads++) {
      const r = p.log.read({ fetchOffset: offset, maxBytes: 1 << 20 });
      for (const buf of r.records) {
        for (let at = 0; at < buf.length; ) {
          const batch = decodeRecordBatch(buf, at);
          assert.ok(batch.producerId >= 0n, "kafkajs wrote an idempotent batch");
          for (const record of batch.records) values.push(record.value?.toString() ?? "");
          at += batch.batchLength + 12;
        }
      }
      offset = r.nextOffset;
    }
  }
  return values;
}

async function produceAll(bootstrap: string, compression: CompressionTypes): Promise<number> {
  const kafka = client(bootstrap);
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 2, replicationFactor: 1 }] });
  await admin.disconnect();
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  let acknowledged = 0;
  try {
    for (let s = 0; s < SENDS; s++) {
      const metadata = await producer.send({
        topic: TOPIC,
        compression,
        messages: Array.from({ length: PER_SEND }, (_, i) => ({
          key: `k-${i % 5}`,
          value: `m-${s * PER_SEND + i}`,
        })),
      });
      for (const m of metadata) assert.equal(m.errorCode, 0);
      acknowledged += PER_SEND;
    }
  } finally {
    await producer.disconnect();
  }
  return acknowledged;
}

const expected = Array.from({ length: SENDS * PER_SEND }, (_, i) => `m-${i}`).sort();

test("kafkajs idempotent producer: every message stored once (none and gzip)", async () => {
  for (const compression of [CompressionTypes.None, CompressionTypes.GZIP]) {
    const server = await startBroker();
    try {
      assert.equal(await produceAll(server.bootstrap, compression), SENDS * PER_SEND);
      assert.deepEqual(storedValues(server).sort(), expected);
      const producers = [...server.broker.replicaManager.all()]
        .filter((p) => p.topic === TOPIC)
        .flatMap((p) => p.producerState.activeProducers());
      assert.ok(producers.length >= 1);
      assert.ok(producers.every((p) => p.producerEpoch === 0 && p.lastSeq >= 0));
    } finally {
      await server.stop();
    }
  }
});

test("kafkajs retries after lost Produce responses are answered as duplicates", async () => {
  const proxy = await LossyProxy.start(3);
  const server = await startBroker({
    properties: { "advertised.listeners": `PLAINTEXT://127.0.0.1:${proxy.port}` },
  });
  try {
    proxy.forwardTo(server.broker.listeners[0]?.boundPort ?? 0);
    assert.equal(await produceAll(`127.0.0.1:${proxy.port}`, CompressionTypes.GZIP), SENDS * PER_SEND);
    assert.equal(proxy.dropped, 3);
    assert.deepEqual(storedValues(server).sort(), expected, "no retried batch was stored twice");
  } finally {
    await server.stop();
    await proxy.stop();
  }
});
