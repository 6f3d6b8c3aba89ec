import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import kafkajs, { type Kafka } from "kafkajs";
import {
  ApiKey,
  type DescribeProducersResponse,
  type DescribeTransactionsResponse,
  ErrorCode,
  encodeRecordBatch,
  type ListOffsetsResponse,
  type ListTransactionsResponse,
  type ProduceResponse,
  type TxnOffsetCommitResponse,
} from "../../../src/protocol/index.js";
import { type BrookServer, startBroker } from "../../../src/server/index.js";
import { WireClient } from "../../helpers/kafka-wire.js";

/**
 * Transactions end to end against an in-process broker, with kafkajs: a transactional producer
 * commits and aborts across partitions, read_committed consumers see only what was committed,
 * read_uncommitted ones everything; offsets sent in a transaction count only once it commits; a
 * second producer with the same transactional.id fences the first.
 */

let server: BrookServer;
let kafka: Kafka;

before(async () => {
  server = await startBroker({
    properties: {
      "group.initial.rebalance.delay.ms": "0",
      "transaction.state.log.num.partitions": "4",
      "offsets.topic.num.partitions": "4",
    },
  });
  kafka = new kafkajs.Kafka({
    clientId: "txn-test",
    brokers: [server.bootstrap],
    logLevel: kafkajs.logLevel.NOTHING,
    retry: { retries: 8, initialRetryTime: 50, maxRetryTime: 500 },
  });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    topics: [
      { topic: "out", numPartitions: 3 },
      { topic: "in", numPartitions: 1 },
    ],
  });
  await admin.disconnect();
});

after(async () => {
  await server.stop();
});

async function readAll(topic: string, readUncommitted: boolean, expected: number): Promise<string[]> {
  const consumer = kafka.consumer({
    groupId: `reader-${Math.random()}`,
    readUncommitted,
    maxWaitTimeInMs: 100,
  });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const values: string[] = [];
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(resolve, 4000);
    consumer
      .run({
        eachMessage: async ({ message }) => {
          values.push(String(message.value));
          if (values.length >= expected) {
            clearTimeout(timer);
            // Give stray extra records a moment to show up.
            setTimeout(resolve, 300);
          }
        },
      })
      .catch(reject);
  });
  await consumer.disconnect();
  return values.sort();
}

describe("transactions with kafkajs", () => {
  test("committed records are visible to read_committed consumers, aborted ones never", async () => {
    const producer = kafka.producer({ transactionalId: "tx-1", idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const committed = await producer.transaction();
    for (let i = 0; i < 6; i++)
      await committed.send({ topic: "out", messages: [{ value: `c${i}`, partition: i % 3 }] });
    await committed.commit();
    const aborted = await producer.transaction();
    for (let i = 0; i < 6; i++)
      await aborted.send({ topic: "out", messages: [{ value: `a${i}`, partition: i % 3 }] });
    await aborted.abort();
    const last = await producer.transaction();
    await last.send({ topic: "out", messages: [{ value: "c6", partition: 1 }] });
    await last.commit();
    await producer.disconnect();

    assert.deepEqual(await readAll("out", false, 7), ["c0", "c1", "c2", "c3", "c4", "c5", "c6"]);
    const everything = await readAll("out", true, 13);
    assert.equal(everything.length, 13);
  });

  test("offsets sent in a transaction are committed with it", async () => {
    const producer = kafka.producer({
      transactionalId: "tx-offsets",
      idempotent: true,
      maxInFlightRequests: 1,
    });
    await producer.connect();
    const admin = kafka.admin();
    await admin.connect();
    const txn = await producer.transaction();
    await txn.send({ topic: "out", messages: [{ value: "x" }] });
    await txn.sendOffsets({
      consumerGroupId: "cg",
      topics: [{ topic: "in", partitions: [{ partition: 0, offset: "5" }] }],
    });
    const before = await admin.fetchOffsets({ groupId: "cg", topics: ["in"] });
    assert.equal(before[0]?.partitions[0]?.offset, "-1", "invisible before the commit");
    await txn.commit();
    let offset = "-1";
    for (let i = 0; i < 50 && offset === "-1"; i++) {
      offset =
        (await admin.fetchOffsets({ groupId: "cg", topics: ["in"] }))[0]?.partitions[0]?.offset ?? "-1";
      if (offset === "-1") await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(offset, "5");
    const aborted = await producer.transaction();
    await aborted.sendOffsets({
      consumerGroupId: "cg",
      topics: [{ topic: "in", partitions: [{ partition: 0, offset: "9" }] }],
    });
    await aborted.abort();
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(
      (await admin.fetchOffsets({ groupId: "cg", topics: ["in"] }))[0]?.partitions[0]?.offset,
      "5",
    );
    await admin.disconnect();
    await producer.disconnect();
  });

  test("a second producer with the same transactional.id fences the first", async () => {
    const zombie = kafka.producer({ transactionalId: "tx-zombie", idempotent: true, maxInFlightRequests: 1 });
    await zombie.connect();
    const zombieTxn = await zombie.transaction();
    await zombieTxn.send({ topic: "in", messages: [{ value: "zombie-1" }] });
    const successor = kafka.producer({
      transactionalId: "tx-zombie",
      idempotent: true,
      maxInFlightRequests: 1,
    });
    await successor.connect();
    // kafkajs sends InitProducerId at its first transaction(): that fences the zombie and aborts
    // the zombie's open transaction.
    const txn = await successor.transaction();
    await assert.rejects(
      async () => {
        await zombieTxn.send({ topic: "in", messages: [{ value: "zombie-2" }] });
        await zombieTxn.commit();
      },
      (e: Error & { type?: string }) =>
        /INVALID_PRODUCER_EPOCH|PRODUCER_FENCED/.test(String(e.type ?? e.message)),
    );
    await txn.send({ topic: "in", messages: [{ value: "successor" }] });
    await txn.commit();
    await successor.disconnect();
    await zombie.disconnect().catch(() => {});
    assert.deepEqual(await readAll("in", false, 1), ["successor"]);
  });

  test("DescribeTransactions, ListTransactions and DescribeProducers show an open transaction", async () => {
    const producer = kafka.producer({ transactionalId: "tx-open", idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const txn = await producer.transaction();
    await txn.send({ topic: "out", messages: [{ value: "open", partition: 2 }] });
    const client = await WireClient.connect(server.port);
    try {
      const described = await client.request<DescribeTransactionsResponse>(ApiKey.DescribeTransactions, 0, {
        transactionalIds: ["tx-open", "nobody"],
      });
      const [open, nobody] = described.transactionStates;
      assert.equal(open?.errorCode, ErrorCode.NONE);
      assert.equal(open?.transactionState, "Ongoing");
      assert.deepEqual(
        open?.topics.map((t) => [t.topic, t.partitions]),
        [["out", [2]]],
      );
      assert.equal(nobody?.errorCode, ErrorCode.TRANSACTIONAL_ID_NOT_FOUND);
      const listed = await client.request<ListTransactionsResponse>(ApiKey.ListTransactions, 1, {
        stateFilters: ["Ongoing", "Bogus"],
        producerIdFilters: [],
        durationFilter: -1n,
      });
      assert.equal(listed.errorCode, ErrorCode.NONE);
      assert.deepEqual(listed.unknownStateFilters, ["Bogus"]);
      assert.deepEqual(
        listed.transactionStates.map((t) => t.transactionalId),
        ["tx-open"],
      );
      const producers = await client.request<DescribeProducersResponse>(ApiKey.DescribeProducers, 0, {
        topics: [{ name: "out", partitionIndexes: [2] }],
      });
      const active = producers.topics[0]?.partitions[0]?.activeProducers.find(
        (p) => p.producerId === open?.producerId,
      );
      assert.ok(
        active !== undefined && active.currentTxnStartOffset >= 0n,
        "the open transaction's first offset",
      );
    } finally {
      client.close();
    }
    await txn.abort();
    await producer.disconnect();
  });

  test("a transactional batch without a transactional id is refused whole, as KafkaApis refuses it", async () => {
    const client = await WireClient.connect(server.port);
    try {
      const records = encodeRecordBatch({
        records: [{ key: null, value: Buffer.from("orphan"), timestamp: 0n }],
        isTransactional: true,
        producerId: 4242n,
        producerEpoch: 0,
        baseSequence: 0,
      });
      const answer = await client.request<ProduceResponse>(ApiKey.Produce, 9, {
        transactionalId: null,
        acks: -1,
        timeoutMs: 5000,
        topicData: [{ name: "in", partitionData: [{ index: 0, records }] }],
      });
      assert.equal(
        answer.responses[0]?.partitionResponses[0]?.errorCode,
        ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
      );
      const end = await client.request<ListOffsetsResponse>(ApiKey.ListOffsets, 7, {
        replicaId: -1,
        isolationLevel: 0,
        topics: [{ name: "in", partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1n }] }],
      });
      const before = end.topics[0]?.partitions[0]?.offset ?? -1n;
      assert.ok(before >= 0n);
      const after = await client.request<ListOffsetsResponse>(ApiKey.ListOffsets, 7, {
        replicaId: -1,
        isolationLevel: 1,
        topics: [{ name: "in", partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1n }] }],
      });
      assert.equal(after.topics[0]?.partitions[0]?.offset, before, "no transaction was opened: LSO = HW");
    } finally {
      client.close();
    }
  });

  test("TxnOffsetCommit: partitions that do not exist are UNKNOWN_TOPIC_OR_PARTITION, never the coordinator's", async () => {
    const client = await WireClient.connect(server.port);
    try {
      const answer = await client.request<TxnOffsetCommitResponse>(ApiKey.TxnOffsetCommit, 3, {
        transactionalId: "nobody",
        groupId: "g",
        producerId: 4242n,
        producerEpoch: 0,
        generationId: -1,
        memberId: "",
        groupInstanceId: null,
        topics: [
          {
            name: "no-such-topic",
            partitions: [
              { partitionIndex: 0, committedOffset: 1n, committedLeaderEpoch: -1, committedMetadata: null },
            ],
          },
          {
            name: "in",
            partitions: [
              { partitionIndex: 7, committedOffset: 1n, committedLeaderEpoch: -1, committedMetadata: null },
            ],
          },
        ],
      });
      assert.deepEqual(
        answer.topics.map((t) => `${t.name}:${t.partitions.map((p) => p.errorCode).join(",")}`),
        [
          `no-such-topic:${ErrorCode.UNKNOWN_TOPIC_OR_PARTITION}`,
          `in:${ErrorCode.UNKNOWN_TOPIC_OR_PARTITION}`,
        ],
      );
    } finally {
      client.close();
    }
  });
});
