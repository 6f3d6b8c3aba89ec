import assert from "node:assert/strict";
import { after, test } from "node:test";
import { ClientError, ClientErrorCode, Producer, type TransactionOffset } from "../../src/client/index.js";
import {
  type AddPartitionsToTxnRequest,
  ApiKey,
  decodeRecordBatchHeader,
  type EndTxnRequest,
  ErrorCode,
  type FindCoordinatorRequest,
  type InitProducerIdRequest,
  KafkaError,
  type ProduceRequest,
  type TxnOffsetCommitRequest,
} from "../../src/protocol/index.js";
import { FakeBroker, type FakeRequest, oneBrokerMetadata } from "./fake-broker.js";

/**
 * Brook's transactional producer against a scripted broker that is also every coordinator: the
 * requests a transaction makes, in order, on the wire, and what each kind of error answer does
 * (retried, coordinator looked up again, abortable, fatal), as Kafka's TransactionManager does.
 */

const brokers: FakeBroker[] = [];
after(async () => {
  for (const b of brokers) await b.stop();
});

/** Per API key: the error code of the n-th request of that kind (0 when the script has no entry). */
type Script = Partial<Record<number, (n: number, request: FakeRequest) => number>>;

interface FakeCluster {
  broker: FakeBroker;
  bootstrap: string;
  /** The requests of the transactional APIs and Produce, in arrival order, as "Name" strings. */
  flow: () => string[];
  of: <T>(apiKey: number) => T[];
}

const NAMES: Record<number, string> = {
  [ApiKey.FindCoordinator]: "FindCoordinator",
  [ApiKey.InitProducerId]: "InitProducerId",
  [ApiKey.AddPartitionsToTxn]: "AddPartitionsToTxn",
  [ApiKey.Produce]: "Produce",
  [ApiKey.AddOffsetsToTxn]: "AddOffsetsToTxn",
  [ApiKey.TxnOffsetCommit]: "TxnOffsetCommit",
  [ApiKey.EndTxn]: "EndTxn",
};

async function cluster(script: Script = {}): Promise<FakeCluster> {
  let port = 0;
  const counts = new Map<number, number>();
  let epoch = 3;
  let offset = 0n;
  const broker = await FakeBroker.start((request) => {
    const n = counts.get(request.apiKey) ?? 0;
    counts.set(request.apiKey, n + 1);
    const errorCode = script[request.apiKey]?.(n, request) ?? 0;
    switch (request.apiKey) {
      case ApiKey.Metadata:
        return { body: oneBrokerMetadata(port, { t: 1 }) };
      case ApiKey.FindCoordinator: {
        const key = (request.body as FindCoordinatorRequest).coordinatorKeys[0] ?? "";
        return {
          body: {
            coordinators: [{ key, nodeId: 1, host: "127.0.0.1", port, errorCode, errorMessage: null }],
            errorCode,
            nodeId: 1,
            host: "127.0.0.1",
            port,
          },
        };
      }
      case ApiKey.InitProducerId: {
        const body = request.body as InitProducerIdRequest;
        if (errorCode === 0 && body.producerId >= 0n) epoch = body.producerEpoch + 1;
        return { body: { errorCode, producerId: 42n, producerEpoch: epoch } };
      }
      case ApiKey.AddPartitionsToTxn: {
        const body = request.body as AddPartitionsToTxnRequest;
        return {
          body: {
            errorCode: 0,
            resultsByTopicV3AndBelow: body.v3AndBelowTopics.map((t) => ({
              name: t.name,
              resultsByPartition: t.partitions.map((p) => ({
                partitionIndex: p,
                partitionErrorCode: errorCode,
              })),
            })),
          },
        };
      }
      case ApiKey.Produce: {
        const baseOffset = offset;
        if (errorCode === 0) offset += 1n;
        return {
          body: {
            responses: [
              {
                name: "t",
                partitionResponses: [
                  {
                    index: 0,
                    errorCode,
                    baseOffset: errorCode === 0 ? baseOffset : -1n,
                    logAppendTimeMs: -1n,
                    logStartOffset: 0n,
                    recordErrors: [],
                    errorMessage: null,
                  },
                ],
              },
            ],
          },
        };
      }
      case ApiKey.AddOffsetsToTxn:
      case ApiKey.EndTxn:
        return { body: { errorCode } };
      case ApiKey.TxnOffsetCommit: {
        const body = request.body as TxnOffsetCommitRequest;
        return {
          body: {
            topics: body.topics.map((t) => ({
              name: t.name,
              partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode })),
            })),
          },
        };
      }
      default:
        return undefined;
    }
  });
  port = broker.port;
  brokers.push(broker);
  return {
    broker,
    bootstrap: `127.0.0.1:${port}`,
    flow: () =>
      broker.requests.flatMap((r) => (NAMES[r.apiKey] === undefined ? [] : [NAMES[r.apiKey] as string])),
    of: <T>(apiKey: number) => broker.requests.filter((r) => r.apiKey === apiKey).map((r) => r.body as T),
  };
}

function transactional(c: FakeCluster): Producer {
  return new Producer({ bootstrap: c.bootstrap, transactionalId: "tx-1", lingerMs: 0, retryBackoffMs: 10 });
}

const batchHeader = (p: ProduceRequest) =>
  decodeRecordBatchHeader(p.topicData[0]?.partitionData[0]?.records as Buffer);

test("a committed transaction on the wire: the partition is added before its batch, EndTxn after the answer", async () => {
  // CONCURRENT_TRANSACTIONS (the previous transaction still completing) is waited out.
  const c = await cluster({
    [ApiKey.AddPartitionsToTxn]: (n) => (n === 0 ? ErrorCode.CONCURRENT_TRANSACTIONS : 0),
  });
  const producer = transactional(c);
  try {
    await producer.initTransactions();
    const find = c.of<FindCoordinatorRequest>(ApiKey.FindCoordinator)[0];
    assert.equal(find?.keyType, 1, "the transaction coordinator is looked up with key type 1");
    assert.deepEqual(find?.coordinatorKeys, ["tx-1"]);
    const init = c.of<InitProducerIdRequest>(ApiKey.InitProducerId)[0];
    assert.deepEqual([init?.transactionalId, init?.producerId], ["tx-1", -1n]);

    producer.beginTransaction();
    const acks = await Promise.all([
      producer.send({ topic: "t", value: "a" }),
      producer.send({ topic: "t", value: "b" }),
    ]);
    assert.deepEqual(
      acks.map((m) => m.offset),
      [0n, 1n],
    );
    await producer.commitTransaction();
    assert.deepEqual(c.flow(), [
      "FindCoordinator",
      "InitProducerId",
      "AddPartitionsToTxn",
      "AddPartitionsToTxn",
      "Produce",
      "EndTxn",
    ]);
    const add = c.of<AddPartitionsToTxnRequest>(ApiKey.AddPartitionsToTxn)[1];
    assert.deepEqual(
      [add?.v3AndBelowTransactionalId, add?.v3AndBelowProducerId, add?.v3AndBelowProducerEpoch],
      ["tx-1", 42n, 3],
    );
    assert.deepEqual(
      add?.v3AndBelowTopics.map((t) => [t.name, t.partitions]),
      [["t", [0]]],
    );
    const produce = c.of<ProduceRequest>(ApiKey.Produce)[0] as ProduceRequest;
    assert.equal(produce.transactionalId, "tx-1");
    const header = batchHeader(produce);
    assert.deepEqual(
      [header.isTransactional, header.producerId, header.producerEpoch, header.baseSequence],
      [true, 42n, 3, 0],
    );
    const end = c.of<EndTxnRequest>(ApiKey.EndTxn)[0];
    assert.deepEqual([end?.committed, end?.producerId, end?.producerEpoch], [true, 42n, 3]);

    // A second transaction adds its partition again; sequences go on under the same epoch.
    producer.beginTransaction();
    await producer.send({ topic: "t", value: "c" });
    await producer.commitTransaction();
    assert.deepEqual(c.flow().slice(6), ["AddPartitionsToTxn", "Produce", "EndTxn"]);
    assert.equal(batchHeader(c.of<ProduceRequest>(ApiKey.Produce)[1] as ProduceRequest).baseSequence, 2);
  } finally {
    await producer.close();
  }
});

test("a coordinator that moved is looked up again; a transaction with nothing in it ends without EndTxn", async () => {
  const c = await cluster({ [ApiKey.EndTxn]: (n) => (n === 0 ? ErrorCode.NOT_COORDINATOR : 0) });
  const producer = transactional(c);
  try {
    await producer.initTransactions();
    producer.beginTransaction();
    await producer.commitTransaction();
    assert.deepEqual(c.flow(), ["FindCoordinator", "InitProducerId"], "an empty transaction is local");
    producer.beginTransaction();
    await producer.send({ topic: "t", value: "a" });
    await producer.commitTransaction();
    assert.deepEqual(c.flow().slice(2), [
      "AddPartitionsToTxn",
      "Produce",
      "EndTxn",
      "FindCoordinator",
      "EndTxn",
    ]);
  } finally {
    await producer.close();
  }
});

test("a failed record makes the transaction abortable; the abort bumps the epoch and sequences start over", async () => {
  const c = await cluster({ [ApiKey.Produce]: (n) => (n === 0 ? ErrorCode.INVALID_RECORD : 0) });
  const producer = transactional(c);
  try {
    await producer.initTransactions();
    producer.beginTransaction();
    await assert.rejects(
      producer.send({ topic: "t", value: "bad" }),
      (e: unknown) => e instanceof KafkaError && e.errorCode === ErrorCode.INVALID_RECORD,
    );
    await assert.rejects(
      producer.send({ topic: "t", value: "next" }),
      (e: unknown) => e instanceof KafkaError && /error state/.test(e.message),
      "nothing more is sent in a failed transaction",
    );
    await assert.rejects(
      producer.commitTransaction(),
      (e: unknown) => e instanceof KafkaError && e.errorCode === ErrorCode.INVALID_RECORD,
    );
    assert.equal(c.of(ApiKey.EndTxn).length, 0, "a failed transaction is never committed");
    await producer.abortTransaction();
    const end = c.of<EndTxnRequest>(ApiKey.EndTxn)[0];
    assert.equal(end?.committed, false);
    // KIP-360: the sent batch may be half-written, so the same producer id gets a new epoch.
    const bump = c.of<InitProducerIdRequest>(ApiKey.InitProducerId)[1];
    assert.deepEqual([bump?.producerId, bump?.producerEpoch], [42n, 3]);
    const bumpVersion =
      c.broker.requests.filter((r) => r.apiKey === ApiKey.InitProducerId)[1]?.apiVersion ?? 0;
    assert.ok(bumpVersion >= 3, "an epoch bump needs InitProducerId v3 or later");

    producer.beginTransaction();
    await producer.send({ topic: "t", value: "good" });
    await producer.commitTransaction();
    const header = batchHeader(c.of<ProduceRequest>(ApiKey.Produce).at(-1) as ProduceRequest);
    assert.deepEqual([header.producerEpoch, header.baseSequence], [4, 0]);
  } finally {
    await producer.close();
  }
});

test("records not yet sent when the transaction is aborted fail; an abort without errors keeps the epoch", async () => {
  const c = await cluster();
  const producer = new Producer({ bootstrap: c.bootstrap, transactionalId: "tx-1", lingerMs: 60_000 });
  try {
    await producer.initTransactions();
    producer.beginTransaction();
    const pending = producer.send({ topic: "t", value: "lingering" });
    await producer.abortTransaction();
    await assert.rejects(
      pending,
      (e: unknown) => e instanceof ClientError && e.code === ClientErrorCode.transactionAborted,
    );
    assert.deepEqual(
      c.flow(),
      ["FindCoordinator", "InitProducerId"],
      "nothing reached the coordinator or the log",
    );
  } finally {
    await producer.close();
  }
});

test("fenced by a newer producer: fatal, every later call says so", async () => {
  const c = await cluster({ [ApiKey.EndTxn]: () => ErrorCode.PRODUCER_FENCED });
  const producer = transactional(c);
  try {
    await producer.initTransactions();
    producer.beginTransaction();
    await producer.send({ topic: "t", value: "a" });
    await assert.rejects(
      producer.commitTransaction(),
      (e: unknown) => e instanceof KafkaError && e.errorCode === ErrorCode.PRODUCER_FENCED,
    );
    await assert.rejects(producer.abortTransaction(), /has been fenced by another producer/);
    assert.throws(() => producer.beginTransaction(), /has been fenced by another producer/);
    await assert.rejects(producer.send({ topic: "t", value: "b" }), /has been fenced/);
  } finally {
    await producer.close();
  }
});

test("sendOffsetsToTransaction: AddOffsetsToTxn, then TxnOffsetCommit with the member's generation", async () => {
  const c = await cluster({ [ApiKey.TxnOffsetCommit]: (n) => (n === 1 ? ErrorCode.ILLEGAL_GENERATION : 0) });
  const producer = transactional(c);
  const offsets: TransactionOffset[] = [{ topic: "in", partition: 2, offset: 17n }];
  try {
    await producer.initTransactions();
    producer.beginTransaction();
    await producer.sendOffsetsToTransaction(offsets, { groupId: "g", generationId: 5, memberId: "m-1" });
    await producer.commitTransaction();
    assert.deepEqual(c.flow().slice(2), ["AddOffsetsToTxn", "FindCoordinator", "TxnOffsetCommit", "EndTxn"]);
    const commit = c.of<TxnOffsetCommitRequest>(ApiKey.TxnOffsetCommit)[0];
    assert.deepEqual(
      [commit?.transactionalId, commit?.groupId, commit?.generationId, commit?.memberId, commit?.producerId],
      ["tx-1", "g", 5, "m-1", 42n],
    );
    assert.deepEqual(
      commit?.topics.map((t) => [t.name, t.partitions.map((p) => [p.partitionIndex, p.committedOffset])]),
      [["in", [[2, 17n]]]],
    );
    // A member of an older generation: the offsets are refused and the transaction must be aborted.
    producer.beginTransaction();
    await assert.rejects(
      producer.sendOffsetsToTransaction(offsets, { groupId: "g", generationId: 4, memberId: "m-1" }),
      (e: unknown) =>
        e instanceof KafkaError &&
        e.errorCode === ErrorCode.ILLEGAL_GENERATION &&
        /group metadata mismatch/.test(e.message),
    );
    await assert.rejects(producer.commitTransaction(), /error state/);
    await producer.abortTransaction();
    assert.equal(c.of<EndTxnRequest>(ApiKey.EndTxn).at(-1)?.committed, false);
  } finally {
    await producer.close();
  }
});

test("calls out of order are refused with Kafka's messages", async () => {
  const c = await cluster();
  const producer = transactional(c);
  try {
    assert.throws(
      () => producer.beginTransaction(),
      /TransactionalId tx-1: Invalid transition attempted from state UNINITIALIZED to state IN_TRANSACTION/,
    );
    await producer.initTransactions();
    await assert.rejects(producer.initTransactions(), /from state READY to state INITIALIZING/);
    await assert.rejects(
      producer.send({ topic: "t", value: "a" }),
      /Cannot add partition t to transaction while in state READY/,
    );
    await assert.rejects(producer.commitTransaction(), /from state READY to state COMMITTING_TRANSACTION/);
    await assert.rejects(
      producer.sendOffsetsToTransaction([], "g"),
      /Cannot send offsets if a transaction is not in progress \(currentState= READY\)/,
    );
    producer.beginTransaction();
    assert.throws(() => producer.beginTransaction(), /from state IN_TRANSACTION to state IN_TRANSACTION/);
    await producer.abortTransaction();
  } finally {
    await producer.close();
  }
  const plain = new Producer({ bootstrap: c.bootstrap });
  await assert.rejects(
    plain.initTransactions(),
    /Transactional method invoked on a non-transactional producer/,
  );
  await plain.close();
  assert.throws(
    () => new Producer({ bootstrap: c.bootstrap, transactionalId: "x", idempotence: false }),
    /Cannot set a transactional.id without also enabling idempotence/,
  );
  assert.throws(
    () => new Producer({ bootstrap: c.bootstrap, transactionalId: "x", acks: 1 }),
    /Must set acks to all/,
  );
});

test("close() aborts a transaction left open, as Kafka's producer does", async () => {
  const c = await cluster();
  const producer = transactional(c);
  await producer.initTransactions();
  producer.beginTransaction();
  await producer.send({ topic: "t", value: "a" });
  await producer.close();
  assert.equal(c.of<EndTxnRequest>(ApiKey.EndTxn).at(-1)?.committed, false);
});
