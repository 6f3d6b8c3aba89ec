import assert from "node:assert/strict";
import { tracingChannel } from "node:diagnostics_channel";
import { after, before, test } from "node:test";
import { ApiKey } from "../../../src/protocol/index.js";
import { BrokerProcess, TEST_TIMEOUT_MS } from "../broker-process.js";
import { kafkajsClient } from "../kafkajs-client.js";

/**
 * @platformatic/kafka's transactions (flexible versions only: InitProducerId 5, AddPartitionsToTxn
 * in its batched v4+ shape, EndTxn 4) against a Brook broker process: a committed transaction is
 * visible to read_committed consumers, an aborted one is not. Node 20 lacks Promise.withResolvers,
 * which the client needs: polyfilled as in ../platformatic-kafka.test.ts.
 */
type Resolvers<T> = { promise: Promise<T>; resolve: (v: T) => void; reject: (e: unknown) => void };
const promiseStatics = Promise as unknown as { withResolvers?: <T>() => Resolvers<T> };
promiseStatics.withResolvers ??= <T>(): Resolvers<T> => {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((a, b) => {
    resolve = a;
    reject = b;
  });
  return { promise, resolve, reject };
};
const { Producer, stringSerializers } = await import("@platformatic/kafka");

const versionsSent = new Map<number, number>();
tracingChannel("plt:kafka:connections:api").subscribe({
  start(message) {
    const { apiKey, apiVersion } = message as { apiKey: number; apiVersion: number };
    versionsSent.set(apiKey, Math.max(apiVersion, versionsSent.get(apiKey) ?? -1));
  },
  end() {},
  asyncStart() {},
  asyncEnd() {},
  error() {},
});

let broker: BrokerProcess;

before(async () => {
  broker = await BrokerProcess.start({ overrides: { "transaction.state.log.num.partitions": "5" } });
  const admin = kafkajsClient(broker.bootstrap, "plt-txn-admin").admin();
  await admin.connect();
  await admin.createTopics({ waitForLeaders: true, topics: [{ topic: "plt-txn", numPartitions: 2 }] });
  await admin.disconnect();
});

after(async () => {
  await broker?.dispose();
});

test("@platformatic/kafka commits and aborts transactions", { timeout: TEST_TIMEOUT_MS }, async () => {
  const producer = new Producer({
    clientId: "plt-txn",
    bootstrapBrokers: [broker.bootstrap],
    transactionalId: "plt-tx",
    idempotent: true,
    serializers: stringSerializers,
  });
  try {
    const committed = await producer.beginTransaction();
    await committed.send({
      messages: [
        { topic: "plt-txn", value: "kept-0", partition: 0 },
        { topic: "plt-txn", value: "kept-1", partition: 1 },
      ],
    });
    await committed.commit();
    const aborted = await producer.beginTransaction();
    await aborted.send({ messages: [{ topic: "plt-txn", value: "dropped", partition: 1 }] });
    await aborted.abort();
  } finally {
    await producer.close();
  }
  assert.ok((versionsSent.get(ApiKey.InitProducerId) ?? -1) >= 3, "InitProducerId with a transactional id");
  // It takes the batched broker shape (v4+) when it is advertised, as it is.
  assert.ok(
    (versionsSent.get(ApiKey.AddPartitionsToTxn) ?? -1) >= 4,
    `AddPartitionsToTxn v${versionsSent.get(ApiKey.AddPartitionsToTxn)}`,
  );
  assert.ok((versionsSent.get(ApiKey.EndTxn) ?? -1) >= 3);

  const kafka = kafkajsClient(broker.bootstrap, "plt-txn-reader");
  const read = async (readUncommitted: boolean, expected: number) => {
    const consumer = kafka.consumer({
      groupId: `plt-reader-${readUncommitted}`,
      readUncommitted,
      maxWaitTimeInMs: 100,
    });
    await consumer.connect();
    await consumer.subscribe({ topic: "plt-txn", fromBeginning: true });
    const values: string[] = [];
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(resolve, 10_000);
      consumer
        .run({
          eachMessage: async ({ message }) => {
            values.push(String(message.value));
            if (values.length === expected) {
              clearTimeout(timer);
              setTimeout(resolve, 500);
            }
          },
        })
        .catch(reject);
    });
    await consumer.disconnect();
    return values.sort();
  };
  assert.deepEqual(await read(false, 2), ["kept-0", "kept-1"]);
  assert.deepEqual(await read(true, 3), ["dropped", "kept-0", "kept-1"]);
});
