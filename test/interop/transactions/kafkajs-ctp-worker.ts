import kafkajs from "kafkajs";

/**
 * A kafkajs consume-transform-produce worker for the transaction interop tests, run as its own
 * process so that the test can SIGKILL it at any point: it reads `input` in group `group`, and
 * for each record runs one transaction that sends `out-<value>` to `output` and commits the
 * consumed offset (sendOffsets). Between the send and the commit it waits `holdMs`, so a kill
 * lands inside a transaction more often than not. It prints `txn <value>` once the send is
 * acknowledged and `done <value>` once committed.
 *
 * argv: bootstrap transactionalId group input output holdMs
 */
const [bootstrap, transactionalId, group, input, output, holdMsText] = process.argv.slice(2);
if (
  bootstrap === undefined ||
  transactionalId === undefined ||
  group === undefined ||
  input === undefined ||
  output === undefined
) {
  console.error("usage: kafkajs-ctp-worker bootstrap transactionalId group input output holdMs");
  process.exit(2);
}
const holdMs = Number(holdMsText ?? 0);
process.env.KAFKAJS_NO_PARTITIONER_WARNING = "1";

const kafka = new kafkajs.Kafka({
  clientId: "ctp-worker",
  brokers: [bootstrap],
  logLevel: kafkajs.logLevel.NOTHING,
  retry: { retries: 20, initialRetryTime: 100, maxRetryTime: 1000 },
});
const producer = kafka.producer({ transactionalId, idempotent: true, maxInFlightRequests: 1 });
const consumer = kafka.consumer({
  groupId: group,
  sessionTimeout: 6000,
  rebalanceTimeout: 10_000,
  heartbeatInterval: 500,
  maxWaitTimeInMs: 100,
  readUncommitted: false,
});
await producer.connect();
await consumer.connect();
await consumer.subscribe({ topic: input, fromBeginning: true });
await consumer.run({
  autoCommit: false,
  eachMessage: async ({ topic, partition, message }) => {
    const value = String(message.value);
    const txn = await producer.transaction();
    try {
      await txn.send({ topic: output, messages: [{ key: message.key, value: `out-${value}` }] });
      console.log(`txn ${value}`);
      if (holdMs > 0) await new Promise((resolve) => setTimeout(resolve, holdMs));
      await txn.sendOffsets({
        consumerGroupId: group,
        topics: [{ topic, partitions: [{ partition, offset: String(BigInt(message.offset) + 1n) }] }],
      });
      await txn.commit();
      console.log(`done ${value}`);
    } catch (error) {
      console.log(`failed ${value} ${String(error)}`);
      await txn.abort().catch(() => {});
      throw error;
    }
  },
});
