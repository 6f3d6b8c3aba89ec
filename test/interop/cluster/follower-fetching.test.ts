import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { Kafka, logLevel } from "kafkajs";
import {
  LEADER_REPLICA_SELECTOR,
  parseBrokerConfig,
  RACK_AWARE_REPLICA_SELECTOR,
  SINGLE_NODE_PROPERTIES,
} from "../../../src/broker/index.js";
import { AdminClient } from "../../../src/client/index.js";
import { ErrorCode } from "../../../src/protocol/index.js";
import { type BrookCluster, startCluster } from "../../../src/server/index.js";
import { pythonClient } from "../broker-process.js";

/**
 * KIP-392, fetching from the closest replica: three nodes in racks r1, r2, r3 with the rack-aware
 * replica selector; a consumer that sets its rack (client.rack in librdkafka, rackId in kafkajs)
 * is sent by the leader to the in-sync follower of its rack and reads everything from it. Without
 * the selector, or without a rack, consumers read from the leader.
 */
const RECORDS = 200;
const SINGLE_NODE_BASE = [...SINGLE_NODE_PROPERTIES];
let cluster: BrookCluster;
let admin: AdminClient;

before(async () => {
  cluster = await startCluster({
    nodes: 3,
    properties: { "replica.selector.class": RACK_AWARE_REPLICA_SELECTOR },
    nodeProperties: { 1: { "broker.rack": "r1" }, 2: { "broker.rack": "r2" }, 3: { "broker.rack": "r3" } },
  });
  admin = new AdminClient({ bootstrap: cluster.bootstrap, timeoutMs: 10_000 });
});

after(async () => {
  await admin.close();
  await cluster.stop();
});

/** A topic of one partition on all three nodes, with RECORDS records; its leader and a follower. */
async function topicWithRecords(topic: string): Promise<{ leader: number; follower: number }> {
  const [created] = await admin.createTopics([{ name: topic, numPartitions: 1, replicationFactor: 3 }]);
  assert.equal(created?.errorCode, ErrorCode.NONE, created?.errorMessage ?? "");
  const kafka = new Kafka({ brokers: cluster.bootstrap.split(","), logLevel: logLevel.NOTHING });
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({
    topic,
    acks: -1,
    messages: Array.from({ length: RECORDS }, (_, i) => ({ value: `v${i}` })),
  });
  await producer.disconnect();
  const p = (await admin.metadata([topic])).topics[0]?.partitions[0];
  assert.ok(p !== undefined && p.isr.length === 3, "every replica in sync");
  const leader = p.leaderId;
  return { leader, follower: p.replicas.find((id) => id !== leader) as number };
}

function fetchesAsFollower(node: number, topic: string): number {
  return cluster.node(node)?.broker.replicaManager.get(topic, 0)?.consumerFetchesAsFollower ?? -1;
}

test("librdkafka with client.rack reads from the in-sync follower of its rack", async () => {
  const topic = "closest-replica-rdkafka";
  const { leader, follower } = await topicWithRecords(topic);
  const result = await pythonClient<{ records: { value: string }[]; errors: string[] }>({
    op: "consume",
    config: {
      "bootstrap.servers": cluster.bootstrap,
      "group.id": "closest-rdkafka",
      "client.rack": `r${follower}`,
      "enable.auto.commit": false,
    },
    assignments: [{ topic, partition: 0, offset: 0 }],
    timeoutS: 30,
  });
  assert.deepEqual(
    result.records.map((r) => r.value),
    Array.from({ length: RECORDS }, (_, i) => `v${i}`),
  );
  assert.ok(fetchesAsFollower(follower, topic) > 0, `follower ${follower} answered the consumer`);
  assert.equal(fetchesAsFollower(leader, topic), 0);
});

test("kafkajs with rackId follows the leader's preferred read replica; without a rack it reads from the leader", async () => {
  const topic = "closest-replica-kafkajs";
  const { leader, follower } = await topicWithRecords(topic);
  const consume = async (groupId: string, rackId: string | undefined) => {
    const kafka = new Kafka({ brokers: cluster.bootstrap.split(","), logLevel: logLevel.NOTHING });
    const consumer = kafka.consumer({ groupId, ...(rackId === undefined ? {} : { rackId }) });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const values: string[] = [];
    await new Promise<void>((resolve) => {
      void consumer.run({
        eachMessage: async ({ message }) => {
          values.push(message.value?.toString() ?? "");
          if (values.length === RECORDS) resolve();
        },
      });
    });
    await consumer.disconnect();
    return values;
  };
  const expected = Array.from({ length: RECORDS }, (_, i) => `v${i}`);
  assert.deepEqual(await consume("closest-no-rack", undefined), expected);
  const others = cluster.nodeIds.filter((id) => id !== leader);
  assert.deepEqual(
    others.map((id) => fetchesAsFollower(id, topic)),
    [0, 0],
    "a consumer without a rack reads from the leader",
  );
  assert.deepEqual(await consume("closest-kafkajs", `r${follower}`), expected);
  assert.ok(fetchesAsFollower(follower, topic) > 0, `follower ${follower} answered the consumer`);
});

test("replica.selector.class takes Kafka's two selectors and refuses anything else", async () => {
  const parse = (value: string) =>
    parseBrokerConfig(new Map([...SINGLE_NODE_BASE, ["replica.selector.class", value]]));
  assert.equal(parse(LEADER_REPLICA_SELECTOR).string("replica.selector.class"), LEADER_REPLICA_SELECTOR);
  assert.throws(() => parse("com.example.Nearest"), /replica\.selector\.class/);
});
