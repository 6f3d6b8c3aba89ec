import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import {
  ApiKey,
  type ApiVersionsResponse,
  type CreateTopicsResponse,
  decodeRecordBatch,
  type EndTxnResponse,
  ErrorCode,
  encodeRecordBatch,
  type FetchResponse,
  type InitProducerIdResponse,
  type ProduceResponse,
} from "../../../src/protocol/index.js";
import { type BrookServer, startBroker } from "../../../src/server/index.js";
import { WireClient } from "../../helpers/kafka-wire.js";

/**
 * KIP-890 over the wire, against an in-process broker. Part 1: a transactional produce to a
 * partition that is not in the producer's transaction is refused (INVALID_TXN_STATE, or
 * TRANSACTION_ABORTABLE from Produce v11) and nothing is appended. Part 2: ApiVersions finalizes
 * `transaction.version` 2, and a TV2 producer runs a transaction with Produce v12 and no
 * AddPartitionsToTxn; EndTxn v5 answers a bumped epoch; read_committed readers see the records.
 */

const TOPIC = "tv2";
let server: BrookServer;
let client: WireClient;

before(async () => {
  server = await startBroker({ properties: { "transaction.state.log.num.partitions": "2" } });
  client = await WireClient.connect(server.port);
  const created = await client.request<CreateTopicsResponse>(ApiKey.CreateTopics, 5, {
    topics: [{ name: TOPIC, numPartitions: 3, replicationFactor: 1 }],
    timeoutMs: 5000,
  });
  assert.equal(created.topics[0]?.errorCode, ErrorCode.NONE);
});

after(async () => {
  client.close();
  await server.stop();
});

async function initProducer(transactionalId: string): Promise<InitProducerIdResponse> {
  await client.request(ApiKey.FindCoordinator, 2, { key: transactionalId, keyType: 1 });
  let answer: InitProducerIdResponse | undefined;
  // The first use creates and loads __transaction_state: retriable until it is.
  for (let i = 0; i < 200; i++) {
    answer = await client.request<InitProducerIdResponse>(ApiKey.InitProducerId, 5, {
      transactionalId,
      transactionTimeoutMs: 60_000,
      producerId: -1n,
      producerEpoch: -1,
    });
    if (answer.errorCode === ErrorCode.NONE) return answer;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  assert.fail(`InitProducerId: ${answer?.errorCode}`);
}

async function produce(
  version: number,
  transactionalId: string,
  producer: { producerId: bigint; producerEpoch: number },
  partition: number,
  firstSeq: number,
  values: string[],
): Promise<number> {
  const records = encodeRecordBatch({
    producerId: producer.producerId,
    producerEpoch: producer.producerEpoch,
    baseSequence: firstSeq,
    isTransactional: true,
    records: values.map((v) => ({ key: null, value: Buffer.from(v), timestamp: BigInt(Date.now()) })),
  });
  const response = await client.request<ProduceResponse>(ApiKey.Produce, version, {
    transactionalId,
    acks: -1,
    timeoutMs: 5000,
    topicData: [{ name: TOPIC, partitionData: [{ index: partition, records }] }],
  });
  const code = response.responses[0]?.partitionResponses[0]?.errorCode;
  assert.ok(code !== undefined);
  return code;
}

async function fetchValues(partition: number, readCommitted: boolean): Promise<string[]> {
  const response = await client.request<FetchResponse>(ApiKey.Fetch, 11, {
    replicaId: -1,
    maxWaitMs: 0,
    minBytes: 0,
    maxBytes: 1 << 20,
    isolationLevel: readCommitted ? 1 : 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [
      {
        topic: TOPIC,
        partitions: [
          {
            partition,
            currentLeaderEpoch: -1,
            fetchOffset: 0n,
            logStartOffset: -1n,
            partitionMaxBytes: 1 << 20,
          },
        ],
      },
    ],
    forgottenTopicsData: [],
    rackId: "",
  });
  const records = response.responses[0]?.partitions[0]?.records;
  const values: string[] = [];
  for (let at = 0; records !== null && records !== undefined && at < records.length; ) {
    const batch = decodeRecordBatch(records, at);
    if (!batch.isControl) for (const r of batch.records) values.push(r.value?.toString() ?? "");
    at += batch.batchLength + 12;
  }
  return values;
}

async function eventually(check: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  assert.fail(what);
}

describe("KIP-890 part 1: transactional produce is verified with the coordinator", () => {
  test("a partition not added to the transaction is refused and nothing is appended", async () => {
    const producer = await initProducer("unadded");
    assert.equal(await produce(9, "unadded", producer, 0, 0, ["x"]), ErrorCode.INVALID_TXN_STATE);
    assert.equal(await produce(11, "unadded", producer, 0, 0, ["x"]), ErrorCode.TRANSACTION_ABORTABLE);
    assert.deepEqual(await fetchValues(0, false), []);
    // A stale epoch is what Produce answers a fenced producer with.
    const stale = { producerId: producer.producerId, producerEpoch: producer.producerEpoch - 1 };
    assert.equal(await produce(11, "unadded", stale, 0, 0, ["x"]), ErrorCode.INVALID_PRODUCER_EPOCH);
    assert.deepEqual(await fetchValues(0, false), []);
  });

  test("a partition added with AddPartitionsToTxn is accepted", async () => {
    const producer = await initProducer("added");
    const added = await client.request<{
      resultsByTopicV3AndBelow: { resultsByPartition: { partitionErrorCode: number }[] }[];
    }>(ApiKey.AddPartitionsToTxn, 3, {
      v3AndBelowTransactionalId: "added",
      v3AndBelowProducerId: producer.producerId,
      v3AndBelowProducerEpoch: producer.producerEpoch,
      v3AndBelowTopics: [{ name: TOPIC, partitions: [1] }],
    });
    assert.equal(
      added.resultsByTopicV3AndBelow[0]?.resultsByPartition[0]?.partitionErrorCode,
      ErrorCode.NONE,
    );
    assert.equal(await produce(11, "added", producer, 1, 0, ["a"]), ErrorCode.NONE);
    assert.deepEqual(await fetchValues(1, false), ["a"]);
    const ended = await client.request<EndTxnResponse>(ApiKey.EndTxn, 4, {
      transactionalId: "added",
      producerId: producer.producerId,
      producerEpoch: producer.producerEpoch,
      committed: false,
    });
    assert.equal(ended.errorCode, ErrorCode.NONE);
  });
});

describe("KIP-890 part 2: transactions version 2", () => {
  test("ApiVersions v4 lists transaction.version, finalized at 2", async () => {
    const response = await client.request<ApiVersionsResponse>(ApiKey.ApiVersions, 4, {
      clientSoftwareName: "wire-test",
      clientSoftwareVersion: "1",
    });
    assert.deepEqual(
      response.supportedFeatures.map((f) => [f.name, f.minVersion, f.maxVersion]),
      [["transaction.version", 0, 2]],
    );
    assert.deepEqual(
      response.finalizedFeatures.map((f) => [f.name, f.minVersionLevel, f.maxVersionLevel]),
      [["transaction.version", 2, 2]],
    );
    const produce = response.apiKeys.find((k) => k.apiKey === ApiKey.Produce);
    const endTxn = response.apiKeys.find((k) => k.apiKey === ApiKey.EndTxn);
    assert.equal(produce?.maxVersion, 12);
    assert.equal(endTxn?.maxVersion, 5);
  });

  test("Produce v12 without AddPartitionsToTxn, EndTxn v5 bumps the epoch, read_committed sees the commit", async () => {
    const producer = await initProducer("tv2-producer");
    assert.equal(await produce(12, "tv2-producer", producer, 2, 0, ["one", "two"]), ErrorCode.NONE);
    assert.equal(await produce(12, "tv2-producer", producer, 2, 2, ["three"]), ErrorCode.NONE);
    assert.deepEqual(await fetchValues(2, true), [], "invisible to read_committed before the commit");
    const ended = await client.request<EndTxnResponse>(ApiKey.EndTxn, 5, {
      transactionalId: "tv2-producer",
      producerId: producer.producerId,
      producerEpoch: producer.producerEpoch,
      committed: true,
    });
    assert.equal(ended.errorCode, ErrorCode.NONE);
    assert.equal(ended.producerId, producer.producerId);
    assert.equal(ended.producerEpoch, producer.producerEpoch + 1);
    await eventually(
      async () => (await fetchValues(2, true)).length === 3,
      "read_committed sees the committed records",
    );
    assert.deepEqual(await fetchValues(2, true), ["one", "two", "three"]);
    // The markers carry the bumped epoch: a late write of the old epoch is fenced.
    assert.equal(
      await produce(12, "tv2-producer", producer, 2, 3, ["late"]),
      ErrorCode.INVALID_PRODUCER_EPOCH,
    );
    // The next transaction runs at the new epoch, from sequence 0, and its abort bumps again.
    const next = { producerId: ended.producerId, producerEpoch: ended.producerEpoch };
    assert.equal(await produce(12, "tv2-producer", next, 2, 0, ["aborted"]), ErrorCode.NONE);
    const aborted = await client.request<EndTxnResponse>(ApiKey.EndTxn, 5, {
      transactionalId: "tv2-producer",
      producerId: next.producerId,
      producerEpoch: next.producerEpoch,
      committed: false,
    });
    assert.equal(aborted.errorCode, ErrorCode.NONE);
    assert.equal(aborted.producerEpoch, next.producerEpoch + 1);
    assert.deepEqual(await fetchValues(2, false), ["one", "two", "three", "aborted"]);
  });
});
