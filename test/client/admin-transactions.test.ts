import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { AdminClient, Producer } from "../../src/client/index.js";
import {
  ApiKey,
  type DescribeProducersRequest,
  type DescribeTransactionsRequest,
  ErrorCode,
  type FindCoordinatorRequest,
  KafkaError,
} from "../../src/protocol/index.js";
import { type BrookServer, startBroker } from "../../src/server/index.js";
import { FakeBroker, oneBrokerMetadata } from "./fake-broker.js";

/*
 * The admin client's transaction calls (Kafka's listTransactions, describeTransactions,
 * describeProducers, abortTransaction): against a Brook broker with Brook's transactional
 * producer, and against a scripted broker for how answers that say "ask again" are followed.
 */

describe("against a Brook broker", () => {
  let server: BrookServer;
  let admin: AdminClient;
  let open: Producer;

  before(async () => {
    server = await startBroker({ properties: { "transaction.state.log.num.partitions": "2" } });
    admin = new AdminClient({ bootstrap: server.bootstrap, timeoutMs: 5000, retryBackoffMs: 20 });
    const [created] = await admin.createTopics([
      { name: "payments", numPartitions: 2, replicationFactor: 1 },
    ]);
    assert.equal(created?.errorCode, ErrorCode.NONE);
    const done = new Producer({ bootstrap: server.bootstrap, transactionalId: "t-done" });
    await done.initTransactions();
    done.beginTransaction();
    await done.send({ topic: "payments", partition: 0, value: Buffer.from("committed") });
    await done.commitTransaction();
    await done.close();
    open = new Producer({
      bootstrap: server.bootstrap,
      transactionalId: "t-open",
      transactionTimeoutMs: 300_000,
    });
    await open.initTransactions();
    open.beginTransaction();
    await open.send({ topic: "payments", partition: 1, value: Buffer.from("open") });
  });

  after(async () => {
    await open?.close();
    admin?.close();
    await server?.stop();
  });

  test("listTransactions: every id by its coordinator, filtered by state, producer id and duration", async () => {
    const all = await admin.listTransactions();
    assert.deepEqual([...all.keys()], [1]);
    const states = Object.fromEntries((all.get(1) ?? []).map((l) => [l.transactionalId, l.state]));
    assert.deepEqual(states, { "t-done": "CompleteCommit", "t-open": "Ongoing" });
    const ongoing = await admin.listTransactions({ filterStates: ["Ongoing"] });
    assert.deepEqual(
      ongoing.get(1)?.map((l) => l.transactionalId),
      ["t-open"],
    );
    const openId = all.get(1)?.find((l) => l.transactionalId === "t-open")?.producerId as bigint;
    const byProducer = await admin.listTransactions({ filterProducerIds: [openId] });
    assert.deepEqual(
      byProducer.get(1)?.map((l) => l.transactionalId),
      ["t-open"],
    );
    const longRunning = await admin.listTransactions({ filterOnDuration: 3_600_000n });
    assert.deepEqual(longRunning.get(1), []);
  });

  test("describeTransactions: the open transaction's partitions at its coordinator; an unknown id is not found", async () => {
    const [described, unknown] = await admin.describeTransactions(["t-open", "nobody"]);
    assert.equal(described?.errorCode, ErrorCode.NONE);
    assert.equal(described?.coordinatorId, 1);
    assert.equal(described?.state, "Ongoing");
    assert.equal(described?.transactionTimeoutMs, 300_000);
    assert.ok((described?.transactionStartTimeMs ?? 0n) > 0n);
    assert.deepEqual(described?.topicPartitions, [{ topic: "payments", partition: 1 }]);
    assert.equal(unknown?.errorCode, ErrorCode.TRANSACTIONAL_ID_NOT_FOUND);
    assert.equal(
      unknown?.errorMessage,
      "DescribeTransactions request for transactionalId `nobody` failed because the ID could not be found",
    );
  });

  test("describeProducers and abortTransaction: the open transaction's start, then an abort marker ends it", async () => {
    const [p0, p1] = await admin.describeProducers([
      { topic: "payments", partition: 0 },
      { topic: "payments", partition: 1 },
    ]);
    assert.equal(p0?.errorCode, ErrorCode.NONE);
    assert.equal(p0?.activeProducers[0]?.currentTransactionStartOffset, null);
    assert.equal(p0?.activeProducers[0]?.coordinatorEpoch, 0);
    const producer = p1?.activeProducers[0];
    assert.equal(producer?.currentTransactionStartOffset, 0n);
    assert.equal(producer?.coordinatorEpoch, null);
    const lso = async () =>
      (
        await admin.listOffsets([{ topic: "payments", partition: 1 }], "latest", {
          isolationLevel: "read_committed",
        })
      )[0]?.offset;
    assert.equal(await lso(), 0n);
    const spec = {
      topic: "payments",
      partition: 1,
      producerId: producer?.producerId as bigint,
      producerEpoch: producer?.producerEpoch as number,
      coordinatorEpoch: 0,
    };
    await admin.abortTransaction(spec);
    assert.equal(await lso(), 2n);
    const [after] = await admin.describeProducers([{ topic: "payments", partition: 1 }]);
    assert.equal(after?.activeProducers[0]?.currentTransactionStartOffset, null);
    // A marker from an older coordinator epoch than the last one is refused, with Kafka's words.
    await assert.rejects(
      admin.abortTransaction({ ...spec, coordinatorEpoch: -1 }),
      (e) =>
        e instanceof KafkaError &&
        e.errorCode === ErrorCode.TRANSACTION_COORDINATOR_FENCED &&
        e.message ===
          `WriteTxnMarkers request with AbortTransactionSpec(topicPartition=payments-1, producerId=${spec.producerId}, producerEpoch=${spec.producerEpoch}, coordinatorEpoch=-1) failed since the provided coordinator epoch -1 has been fenced by the active coordinator`,
    );
  });

  test("a topic the cluster does not have is answered at once, not retried until the timeout", async () => {
    const startMs = performance.now();
    const [state] = await admin.describeProducers([{ topic: "nope", partition: 0 }]);
    assert.equal(state?.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    assert.equal(state?.errorMessage, "This server does not host this topic-partition.");
    await assert.rejects(
      admin.abortTransaction({
        topic: "nope",
        partition: 0,
        producerId: 1n,
        producerEpoch: 0,
        coordinatorEpoch: 0,
      }),
      (e) => e instanceof KafkaError && e.errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
    );
    assert.ok(performance.now() - startMs < 2000);
  });
});

describe("against a scripted broker", () => {
  let fake: FakeBroker;
  let admin: AdminClient;
  /** Per API, the error codes to answer in turn before answering NONE. */
  let script: Map<number, number[]>;

  const next = (apiKey: number) => script.get(apiKey)?.shift() ?? ErrorCode.NONE;

  before(async () => {
    fake = await FakeBroker.start((r) => {
      const self = { nodeId: 1, host: "127.0.0.1", port: fake.port };
      switch (r.apiKey) {
        case ApiKey.Metadata:
          return { body: oneBrokerMetadata(self.port, { t: 1 }) };
        case ApiKey.FindCoordinator: {
          const key = (r.body as FindCoordinatorRequest).coordinatorKeys[0] ?? "";
          return { body: { coordinators: [{ key, ...self, errorCode: 0 }] } };
        }
        case ApiKey.ListTransactions:
          return { body: { errorCode: next(ApiKey.ListTransactions), transactionStates: [] } };
        case ApiKey.DescribeTransactions: {
          const [id] = (r.body as DescribeTransactionsRequest).transactionalIds as [string];
          return {
            body: {
              transactionStates: [
                {
                  errorCode: next(ApiKey.DescribeTransactions),
                  transactionalId: id,
                  transactionState: "Ongoing",
                  transactionTimeoutMs: 60_000,
                  transactionStartTimeMs: 5n,
                  producerId: 9n,
                  producerEpoch: 1,
                  topics: [],
                },
              ],
            },
          };
        }
        case ApiKey.DescribeProducers: {
          const topic = (r.body as DescribeProducersRequest).topics[0];
          return {
            body: {
              topics: [
                {
                  name: topic?.name,
                  partitions: topic?.partitionIndexes.map((p) => ({
                    partitionIndex: p,
                    errorCode: next(ApiKey.DescribeProducers),
                    activeProducers: [],
                  })),
                },
              ],
            },
          };
        }
        default:
          return undefined;
      }
    });
    admin = new AdminClient({ bootstrap: `127.0.0.1:${fake.port}`, retryBackoffMs: 10, timeoutMs: 3000 });
  });

  after(async () => {
    admin?.close();
    await fake?.stop();
  });

  const sent = (apiKey: number) => fake.requests.filter((r) => r.apiKey === apiKey).length;

  test("a transaction coordinator that moved is found again with FindCoordinator for a transactional id", async () => {
    script = new Map([
      [ApiKey.DescribeTransactions, [ErrorCode.NOT_COORDINATOR, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS]],
    ]);
    const finds = sent(ApiKey.FindCoordinator);
    const [d] = await admin.describeTransactions(["t1"]);
    assert.equal(d?.errorCode, ErrorCode.NONE);
    assert.equal(d?.producerId, 9n);
    const lookups = fake.requests.filter((r) => r.apiKey === ApiKey.FindCoordinator).slice(finds);
    assert.equal(lookups.length, 3);
    assert.ok(lookups.every((r) => (r.body as FindCoordinatorRequest).keyType === 1));
  });

  test("ListTransactions while the coordinator loads is asked again", async () => {
    script = new Map([[ApiKey.ListTransactions, [ErrorCode.COORDINATOR_LOAD_IN_PROGRESS]]]);
    const before = sent(ApiKey.ListTransactions);
    assert.deepEqual([...(await admin.listTransactions())], [[1, []]]);
    assert.equal(sent(ApiKey.ListTransactions) - before, 2);
  });

  test("NOT_LEADER_OR_FOLLOWER: the leader looked up again, but final from a broker named by id", async () => {
    script = new Map([[ApiKey.DescribeProducers, [ErrorCode.NOT_LEADER_OR_FOLLOWER]]]);
    const [leader] = await admin.describeProducers([{ topic: "t", partition: 0 }]);
    assert.equal(leader?.errorCode, ErrorCode.NONE);
    script = new Map([[ApiKey.DescribeProducers, [ErrorCode.NOT_LEADER_OR_FOLLOWER]]]);
    const before = sent(ApiKey.DescribeProducers);
    const [named] = await admin.describeProducers([{ topic: "t", partition: 0 }], { brokerId: 1 });
    assert.equal(named?.errorCode, ErrorCode.NOT_LEADER_OR_FOLLOWER);
    assert.equal(named?.errorMessage, "Failed to describe active producers for partition t-0 on brokerId 1");
    assert.equal(sent(ApiKey.DescribeProducers) - before, 1);
  });
});
