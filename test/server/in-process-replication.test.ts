import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { Kafka, logLevel } from "kafkajs";
import { AdminClient, KafkaConnection } from "../../src/client/index.js";
import {
  type AlterPartitionReassignmentsResponse,
  ApiKey,
  type DeleteRecordsResponse,
  type ElectLeadersResponse,
  ErrorCode,
  encodeRecordBatch,
  type InitProducerIdResponse,
  type ListPartitionReassignmentsResponse,
  type ProduceResponse,
} from "../../src/protocol/index.js";
import { type BrookCluster, startCluster } from "../../src/server/index.js";
import { waitFor } from "../helpers/wait-for.js";

/**
 * Replication in a three-node in-process cluster: a replication-factor-3 topic with
 * min.insync.replicas=2 takes acks=all writes from an idempotent producer while its leader is
 * killed; leadership moves to an in-sync replica, the producer carries on, the killed node comes
 * back, catches up and rejoins every ISR, and a consumer reads every acknowledged record exactly
 * once and in order per partition. A batch retried after its leader died is deduplicated by the
 * new leader, which had it as a follower (the failover test on real processes hits this only when a
 * kill falls between a follower's fetch and the leader's answer).
 */
const SESSION_TIMEOUT_MS = 1500;
const LAG_MAX_MS = 2000;
let cluster: BrookCluster;
let admin: AdminClient;

before(async () => {
  cluster = await startCluster({
    nodes: 3,
    properties: {
      "etcd.session.timeout.ms": String(SESSION_TIMEOUT_MS),
      "replica.lag.time.max.ms": String(LAG_MAX_MS),
    },
  });
  admin = new AdminClient({ bootstrap: cluster.bootstrap, timeoutMs: 10_000 });
});

after(async () => {
  await admin.close();
  await cluster.stop();
});

test("acks=all survives the leader's death; the killed replica catches up and rejoins the ISR", async () => {
  const [created] = await admin.createTopics([
    { name: "replicated", numPartitions: 3, replicationFactor: 3, configs: { "min.insync.replicas": "2" } },
  ]);
  assert.equal(created?.errorCode, ErrorCode.NONE, created?.errorMessage ?? "");
  const kafka = new Kafka({
    brokers: cluster.bootstrap.split(","),
    logLevel: logLevel.NOTHING,
    retry: { retries: 20 },
  });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const acknowledged: string[] = [];
  const send = async (i: number) => {
    const value = `v${i}`;
    await producer.send({ topic: "replicated", acks: -1, messages: [{ key: `k${i % 7}`, value }] });
    acknowledged.push(value);
  };
  for (let i = 0; i < 100; i++) await send(i);
  const before = await admin.metadata(["replicated"]);
  for (const p of before.topics[0]?.partitions ?? [])
    assert.equal(p.isr.length, 3, `partition ${p.partitionIndex} fully in sync`);
  const victim = before.topics[0]?.partitions[0]?.leaderId as number;

  await cluster.killNode(victim);
  for (let i = 100; i < 200; i++) await send(i);
  const during = await admin.metadata(["replicated"]);
  for (const p of during.topics[0]?.partitions ?? []) {
    assert.notEqual(p.leaderId, victim, "leadership moved off the killed node");
    assert.ok(!p.isr.includes(victim), "the killed node left the ISR");
  }

  await cluster.startNode(victim);
  await waitFor(
    "the restarted node back in every ISR",
    async () => {
      const md = await admin.metadata(["replicated"]);
      return md.topics[0]?.partitions.every((p) => p.isr.includes(victim)) ? true : undefined;
    },
    LAG_MAX_MS + 10_000,
  );
  for (let i = 200; i < 250; i++) await send(i);
  await producer.disconnect();

  const consumer = kafka.consumer({ groupId: "replicated-readers" });
  await consumer.connect();
  await consumer.subscribe({ topic: "replicated", fromBeginning: true });
  const received: { partition: number; offset: bigint; value: string }[] = [];
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`only ${received.length} of ${acknowledged.length} consumed`)),
      30_000,
    );
    void consumer.run({
      eachMessage: async ({ partition, message }) => {
        received.push({ partition, offset: BigInt(message.offset), value: message.value?.toString() ?? "" });
        if (received.length >= acknowledged.length) {
          clearTimeout(timer);
          resolve();
        }
      },
    });
  });
  await new Promise((r) => setTimeout(r, 500));
  await consumer.disconnect();
  const values = received.map((r) => r.value);
  assert.equal(new Set(values).size, values.length, "no record twice");
  assert.deepEqual([...values].sort(), [...acknowledged].sort(), "every acknowledged record, once");
  for (const p of [0, 1, 2]) {
    const offsets = received.filter((r) => r.partition === p).map((r) => r.offset);
    assert.deepEqual(
      offsets,
      [...offsets].sort((a, b) => (a < b ? -1 : 1)),
      `partition ${p} in order`,
    );
  }
});

test("preferred leader election: ElectLeaders gives a partition back to its first replica once it is in sync", async () => {
  const [created] = await admin.createTopics([{ name: "preferred", numPartitions: 1, replicationFactor: 3 }]);
  assert.equal(created?.errorCode, ErrorCode.NONE);
  const md = await admin.metadata(["preferred"]);
  const p0 = md.topics[0]?.partitions[0];
  assert.ok(p0);
  const preferred = p0.replicas[0] as number;
  assert.equal(p0.leaderId, preferred, "a new partition is led by its preferred replica");
  await cluster.stopNode(preferred);
  const moved = (await admin.metadata(["preferred"])).topics[0]?.partitions[0];
  assert.notEqual(moved?.leaderId, preferred);
  await cluster.startNode(preferred);
  await waitFor(
    "the preferred replica back in the ISR",
    async () =>
      (await admin.metadata(["preferred"])).topics[0]?.partitions[0]?.isr.includes(preferred)
        ? true
        : undefined,
    LAG_MAX_MS + 10_000,
  );
  const node = cluster.node(cluster.nodeIds.find((id) => id !== preferred) as number);
  assert.ok(node);
  const [host, port] = node.bootstrap.split(":");
  const connection = await KafkaConnection.connect({
    host: host as string,
    port: Number(port),
    clientId: "elect",
    connectTimeoutMs: 5000,
  });
  try {
    const request = {
      electionType: 0,
      topicPartitions: [{ topic: "preferred", partitions: [0] }],
      timeoutMs: 10_000,
    };
    const first = await connection.request<ElectLeadersResponse>(ApiKey.ElectLeaders, 2, request);
    assert.equal(first.replicaElectionResults[0]?.partitionResult[0]?.errorCode, ErrorCode.NONE);
    const again = await connection.request<ElectLeadersResponse>(ApiKey.ElectLeaders, 2, request);
    assert.equal(
      again.replicaElectionResults[0]?.partitionResult[0]?.errorCode,
      ErrorCode.ELECTION_NOT_NEEDED,
    );
  } finally {
    connection.close();
  }
  const back = (await admin.metadata(["preferred"])).topics[0]?.partitions[0];
  assert.equal(back?.leaderId, preferred, "leadership returned to the preferred replica");
});

test("reassignment: replicas move to another broker, which catches up before the old one leaves", async () => {
  const [created] = await admin.createTopics([{ name: "moving", assignments: [[1, 2]] }]);
  assert.equal(created?.errorCode, ErrorCode.NONE, created?.errorMessage ?? "");
  const kafka = new Kafka({ brokers: cluster.bootstrap.split(","), logLevel: logLevel.NOTHING });
  const producer = kafka.producer();
  await producer.connect();
  for (let i = 0; i < 50; i++)
    await producer.send({ topic: "moving", acks: -1, messages: [{ value: `m${i}` }] });
  const node = cluster.node(1);
  assert.ok(node);
  const [host, port] = node.bootstrap.split(":");
  const connection = await KafkaConnection.connect({
    host: host as string,
    port: Number(port),
    clientId: "reassign",
    connectTimeoutMs: 5000,
  });
  try {
    const altered = await connection.request<AlterPartitionReassignmentsResponse>(
      ApiKey.AlterPartitionReassignments,
      0,
      {
        timeoutMs: 10_000,
        topics: [{ name: "moving", partitions: [{ partitionIndex: 0, replicas: [2, 3] }] }],
      },
    );
    assert.equal(altered.errorCode, ErrorCode.NONE);
    assert.equal(altered.responses[0]?.partitions[0]?.errorCode, ErrorCode.NONE);
    const done = await waitFor(
      "the reassignment to complete",
      async () => {
        const listed = await connection.request<ListPartitionReassignmentsResponse>(
          ApiKey.ListPartitionReassignments,
          0,
          {
            timeoutMs: 5000,
            topics: null,
          },
        );
        const md = await admin.metadata(["moving"]);
        const p = md.topics[0]?.partitions[0];
        return listed.topics.length === 0 && p?.replicas.join(",") === "2,3" ? p : undefined;
      },
      15_000,
    );
    assert.ok(done.isr.includes(3), "the new replica is in sync");
    assert.ok(!done.isr.includes(1) && done.leaderId !== 1, "the old replica left");
    const cancel = await connection.request<AlterPartitionReassignmentsResponse>(
      ApiKey.AlterPartitionReassignments,
      0,
      {
        timeoutMs: 10_000,
        topics: [{ name: "moving", partitions: [{ partitionIndex: 0, replicas: null }] }],
      },
    );
    assert.equal(cancel.responses[0]?.partitions[0]?.errorCode, ErrorCode.NO_REASSIGNMENT_IN_PROGRESS);
  } finally {
    connection.close();
  }
  // Everything produced before the move is on the new replicas: stop the one that led before.
  const leader = (await admin.metadata(["moving"])).topics[0]?.partitions[0]?.leaderId as number;
  await cluster.stopNode(leader);
  const consumer = kafka.consumer({ groupId: "moving-readers" });
  await consumer.connect();
  await consumer.subscribe({ topic: "moving", fromBeginning: true });
  const seen = new Set<string>();
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`only ${seen.size} of 50 read from the new replica`)),
      20_000,
    );
    void consumer.run({
      eachMessage: async ({ message }) => {
        seen.add(message.value?.toString() ?? "");
        if (seen.size >= 50) {
          clearTimeout(timer);
          resolve();
        }
      },
    });
  });
  await consumer.disconnect();
  await producer.disconnect();
  await cluster.startNode(leader);
});

test("a retried idempotent batch is answered by the new leader with its original offsets and stored once: followers keep the producers' sequences", async () => {
  const topic = "dedupe-after-failover";
  const [created] = await admin.createTopics([
    { name: topic, numPartitions: 1, replicationFactor: 3, configs: { "min.insync.replicas": "2" } },
  ]);
  assert.equal(created?.errorCode, ErrorCode.NONE, created?.errorMessage ?? "");
  const connect = async (id: number) => {
    const [host, port] = (cluster.node(id)?.bootstrap ?? "").split(":");
    return KafkaConnection.connect({
      host: host as string,
      port: Number(port),
      clientId: "dedupe",
      connectTimeoutMs: 5000,
    });
  };
  const produce = async (connection: KafkaConnection, records: Buffer) => {
    const response = await connection.request<ProduceResponse>(ApiKey.Produce, 9, {
      transactionalId: null,
      acks: -1,
      timeoutMs: 5000,
      topicData: [{ name: topic, partitionData: [{ index: 0, records }] }],
    });
    const p = response.responses[0]?.partitionResponses[0];
    return { errorCode: p?.errorCode, baseOffset: p?.baseOffset };
  };
  const leader = (await admin.metadata([topic])).topics[0]?.partitions[0]?.leaderId as number;
  const first = await connect(leader);
  const init = await first.request<InitProducerIdResponse>(ApiKey.InitProducerId, 4, {
    transactionalId: null,
    transactionTimeoutMs: 60_000,
    producerId: -1n,
    producerEpoch: -1,
  });
  assert.equal(init.errorCode, ErrorCode.NONE);
  const batch = (baseSequence: number, values: string[]) =>
    encodeRecordBatch({
      producerId: init.producerId,
      producerEpoch: init.producerEpoch,
      baseSequence,
      records: values.map((v) => ({ key: null, value: Buffer.from(v), timestamp: BigInt(Date.now()) })),
    });
  const a = batch(0, ["a0", "a1"]);
  const b = batch(2, ["b0"]);
  // acks=all: both batches are in every ISR member's log before they are acknowledged.
  assert.deepEqual(await produce(first, a), { errorCode: ErrorCode.NONE, baseOffset: 0n });
  assert.deepEqual(await produce(first, b), { errorCode: ErrorCode.NONE, baseOffset: 2n });
  first.close();

  await cluster.killNode(leader);
  const next = await waitFor(
    "a new leader",
    async () => {
      const p = (await admin.metadata([topic])).topics[0]?.partitions[0];
      return p !== undefined && p.leaderId >= 0 && p.leaderId !== leader ? p.leaderId : undefined;
    },
    SESSION_TIMEOUT_MS + 10_000,
  );
  const second = await connect(next);
  try {
    // The producer did not get the answers (as when the leader dies before sending them) and retries.
    assert.deepEqual(await produce(second, b), { errorCode: ErrorCode.NONE, baseOffset: 2n }, "retry of b");
    assert.deepEqual(await produce(second, a), { errorCode: ErrorCode.NONE, baseOffset: 0n }, "retry of a");
    assert.deepEqual(await produce(second, batch(3, ["c0"])), { errorCode: ErrorCode.NONE, baseOffset: 3n });
    const out = await produce(second, batch(5, ["gap"]));
    assert.equal(out.errorCode, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, "a sequence gap is still refused");
  } finally {
    second.close();
  }
  const partition = cluster.node(next)?.broker.replicaManager.get(topic, 0);
  assert.equal(partition?.log.logEndOffset, 4n, "a0 a1 b0 c0, each once");
  await cluster.startNode(leader);
});

test("DeleteRecords reaches the followers and answers once they have it: records deleted on the leader stay deleted after a failover", async () => {
  const topic = "deleted-before-failover";
  const [created] = await admin.createTopics([
    { name: topic, numPartitions: 1, replicationFactor: 3, configs: { "min.insync.replicas": "2" } },
  ]);
  assert.equal(created?.errorCode, ErrorCode.NONE, created?.errorMessage ?? "");
  const kafka = new Kafka({ brokers: cluster.bootstrap.split(","), logLevel: logLevel.NOTHING });
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({
    topic,
    acks: -1,
    messages: Array.from({ length: 100 }, (_, i) => ({ value: `v${i}` })),
  });
  await producer.disconnect();
  const leader = (await admin.metadata([topic])).topics[0]?.partitions[0]?.leaderId as number;
  const [host, port] = (cluster.node(leader)?.bootstrap ?? "").split(":");
  const connection = await KafkaConnection.connect({
    host: host as string,
    port: Number(port),
    clientId: "delete-records",
    connectTimeoutMs: 5000,
  });
  try {
    const deleted = await connection.request<DeleteRecordsResponse>(ApiKey.DeleteRecords, 2, {
      topics: [{ name: topic, partitions: [{ partitionIndex: 0, offset: 60n }] }],
      timeoutMs: 5000,
    });
    const result = deleted.topics[0]?.partitions[0];
    assert.equal(result?.errorCode, ErrorCode.NONE);
    assert.equal(result?.lowWatermark, 60n);
  } finally {
    connection.close();
  }
  // DeleteRecords answers once every in-sync replica moved its log start (Kafka's DelayedDeleteRecords).
  const followers = cluster.nodeIds.filter((id) => id !== leader);
  assert.deepEqual(
    followers.map(
      (id) => cluster.node(id)?.broker.logManager.getLog({ topic, partition: 0 })?.logStartOffset,
    ),
    [60n, 60n],
  );
  await cluster.killNode(leader);
  try {
    await waitFor(
      "a new leader",
      async () => {
        const p = (await admin.metadata([topic])).topics[0]?.partitions[0];
        return p !== undefined && p.leaderId >= 0 && p.leaderId !== leader ? true : undefined;
      },
      SESSION_TIMEOUT_MS + 10_000,
    );
    const offsets = await kafka.admin();
    await offsets.connect();
    try {
      const [partition] = await offsets.fetchTopicOffsets(topic);
      assert.equal(partition?.low, "60", "the new leader's log starts where the old one was cut");
      assert.equal(partition?.high, "100");
    } finally {
      await offsets.disconnect();
    }
  } finally {
    await cluster.startNode(leader);
  }
});
