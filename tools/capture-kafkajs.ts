/**
 * Drives kafkajs through one workload against a broker (normally tools/capture-proxy.ts in front of
 * librdkafka's mock cluster) so that its protocol frames can be captured as golden fixtures.
 *   tsx tools/capture-kafkajs.ts BROKER produce|consume|admin
 * The records sent are listed in test/fixtures/records/README.md; keep the two in step.
 */
import { CompressionTypes, Kafka, logLevel } from "kafkajs";

const broker = process.argv[2];
const workload = process.argv[3];
if (broker === undefined || workload === undefined) {
  throw new Error("usage: capture-kafkajs BROKER produce|consume|admin");
}

const kafka = new Kafka({
  clientId: "brook-golden",
  brokers: [broker],
  logLevel: logLevel.NOTHING,
  retry: { retries: 1 },
});

export const GOLDEN_MESSAGES = [
  { key: "key-1", value: "value-1", headers: { trace: "abc", source: "kafkajs" } },
  { key: "key-2", value: "value-2", headers: { trace: "def" } },
  { key: null, value: "value-3-no-key" },
];

async function produce(): Promise<void> {
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  await producer.send({ topic: "golden-kafkajs-none", acks: -1, messages: GOLDEN_MESSAGES });
  await producer.send({
    topic: "golden-kafkajs-gzip",
    acks: -1,
    compression: CompressionTypes.GZIP,
    messages: GOLDEN_MESSAGES,
  });
  await producer.disconnect();
}

async function consume(): Promise<void> {
  const consumer = kafka.consumer({ groupId: "golden-kafkajs-group", heartbeatInterval: 500 });
  await consumer.connect();
  await consumer.subscribe({ topic: "golden-kafkajs-none", fromBeginning: true });
  let seen = 0;
  const done = new Promise<void>((resolve) => {
    void consumer.run({
      autoCommit: true,
      eachMessage: async () => {
        seen++;
        if (seen >= GOLDEN_MESSAGES.length) resolve();
      },
    });
  });
  await done;
  // Stay long enough for a heartbeat and the commit of the consumed offsets.
  await new Promise((resolve) => setTimeout(resolve, 1500));
  await consumer.disconnect();
}

async function admin(): Promise<void> {
  const client = kafka.admin();
  await client.connect();
  await client.fetchTopicMetadata({ topics: ["golden-kafkajs-none"] });
  try {
    await client.createTopics({
      topics: [
        {
          topic: "golden-created",
          numPartitions: 3,
          replicationFactor: 1,
          configEntries: [{ name: "cleanup.policy", value: "compact" }],
        },
      ],
      timeout: 2000,
    });
  } catch {
    // The mock cluster lacks CreateTopics; the request frame is what the capture wants.
  }
  await client.disconnect();
}

const workloads: Record<string, () => Promise<void>> = { produce, consume, admin };
const run = workloads[workload];
if (run === undefined) throw new Error(`unknown workload ${workload}`);
await run();
process.exit(0);
