import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import kafkajs, { type Kafka } from "kafkajs";
import { type BrookCluster, startCluster } from "../../src/server/index.js";

/**
 * Transactions in a three-node cluster: the coordinator of a transactional id is the leader of its
 * `__transaction_state` partition, and it writes the markers to partitions led by the other nodes
 * over WriteTxnMarkers; read_committed consumers see the committed records only.
 */
let cluster: BrookCluster;
let kafka: Kafka;

before(async () => {
  cluster = await startCluster({
    nodes: 3,
    properties: {
      "group.initial.rebalance.delay.ms": "0",
      "transaction.state.log.num.partitions": "3",
      "offsets.topic.num.partitions": "3",
    },
  });
  kafka = new kafkajs.Kafka({
    clientId: "txn-cluster-test",
    brokers: cluster.bootstrap.split(","),
    logLevel: kafkajs.logLevel.NOTHING,
    retry: { retries: 10, initialRetryTime: 100, maxRetryTime: 1000 },
  });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    topics: [{ topic: "spread", numPartitions: 6, replicationFactor: 3 }],
    waitForLeaders: true,
  });
  await admin.disconnect();
});

after(async () => {
  await cluster.stop();
});

test("a transaction commits and aborts across partitions led by other nodes", async () => {
  const producer = kafka.producer({
    transactionalId: "cluster-tx",
    idempotent: true,
    maxInFlightRequests: 1,
  });
  await producer.connect();
  const committed = await producer.transaction();
  for (let p = 0; p < 6; p++)
    await committed.send({ topic: "spread", messages: [{ value: `c${p}`, partition: p }] });
  await committed.commit();
  const aborted = await producer.transaction();
  for (let p = 0; p < 6; p++)
    await aborted.send({ topic: "spread", messages: [{ value: `a${p}`, partition: p }] });
  await aborted.abort();
  await producer.disconnect();

  // The coordinator is one node; the partitions are led by all three.
  const coordinators = cluster.nodeIds.filter((id) => {
    const broker = cluster.node(id)?.broker;
    const partition = broker?.transactionCoordinator.partitionFor("cluster-tx") ?? -1;
    return broker?.transactionCoordinator.partitionStatus(partition) === "active";
  });
  assert.equal(coordinators.length, 1);
  const leaders = new Set(
    [0, 1, 2, 3, 4, 5].map((p) => cluster.node(1)?.broker.image.partition("spread", p)?.leader),
  );
  assert.ok(
    [...leaders].some((id) => id !== coordinators[0]),
    `leaders ${[...leaders]} beyond the coordinator`,
  );

  const consumer = kafka.consumer({ groupId: "cluster-reader", maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topic: "spread", fromBeginning: true });
  const values: string[] = [];
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(resolve, 8000);
    consumer
      .run({
        eachMessage: async ({ message }) => {
          values.push(String(message.value));
          if (values.length >= 6) {
            clearTimeout(timer);
            setTimeout(resolve, 500);
          }
        },
      })
      .catch(reject);
  });
  await consumer.disconnect();
  assert.deepEqual(values.sort(), ["c0", "c1", "c2", "c3", "c4", "c5"]);
});
