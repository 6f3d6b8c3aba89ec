import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import {
  ApiKey,
  type CreateTopicsResponse,
  type DescribeProducersResponse,
  decodeRecordBatch,
  ErrorCode,
  encodeRecordBatch,
  type FetchResponse,
  type InitProducerIdResponse,
  type ProduceResponse,
} from "../../../src/protocol/index.js";
import { type BrookServer, startBroker } from "../../../src/server/index.js";
import { WireClient } from "../../helpers/kafka-wire.js";

/**
 * Idempotent producers over the wire, against an in-process broker: InitProducerId hands out ids
 * from controller blocks that survive restarts, a retried batch is answered with its original
 * offsets and stored once, out-of-order and fenced batches are refused, DescribeProducers shows the
 * state, and all of it survives a clean restart.
 */

const TOPIC = "idem";

async function connect(server: BrookServer): Promise<WireClient> {
  const client = await WireClient.connect(server.port);
  const created = await client.request<CreateTopicsResponse>(ApiKey.CreateTopics, 5, {
    topics: [{ name: TOPIC, numPartitions: 2, replicationFactor: 1 }],
    timeoutMs: 5000,
  });
  const code = created.topics[0]?.errorCode;
  assert.ok(code === ErrorCode.NONE || code === ErrorCode.TOPIC_ALREADY_EXISTS, `create: ${code}`);
  return client;
}

async function initProducerId(
  client: WireClient,
  version: number,
  body: Record<string, unknown> = {},
): Promise<InitProducerIdResponse> {
  return client.request<InitProducerIdResponse>(ApiKey.InitProducerId, version, {
    transactionalId: null,
    transactionTimeoutMs: 60_000,
    ...body,
  });
}

function idempotentBatch(producerId: bigint, epoch: number, firstSeq: number, values: string[]): Buffer {
  return encodeRecordBatch({
    producerId,
    producerEpoch: epoch,
    baseSequence: firstSeq,
    records: values.map((v) => ({ key: null, value: Buffer.from(v), timestamp: BigInt(Date.now()) })),
  });
}

async function produce(
  client: WireClient,
  records: Buffer,
  partition = 0,
  version = 9,
): Promise<{ errorCode: number; baseOffset: bigint }> {
  const response = await client.request<ProduceResponse>(ApiKey.Produce, version, {
    transactionalId: null,
    acks: -1,
    timeoutMs: 5000,
    topicData: [{ name: TOPIC, partitionData: [{ index: partition, records }] }],
  });
  const p = response.responses[0]?.partitionResponses[0];
  assert.ok(p);
  return { errorCode: p.errorCode, baseOffset: p.baseOffset };
}

async function fetchValues(client: WireClient, partition = 0): Promise<string[]> {
  const response = await client.request<FetchResponse>(ApiKey.Fetch, 11, {
    replicaId: -1,
    maxWaitMs: 0,
    minBytes: 0,
    maxBytes: 1 << 20,
    isolationLevel: 0,
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
  if (records === null || records === undefined) return [];
  const values: string[] = [];
  for (let at = 0; at < records.length; ) {
    const batch = decodeRecordBatch(records, at);
    for (const r of batch.records) values.push(r.value?.toString() ?? "");
    at += batch.batchLength + 12;
  }
  return values;
}

test("InitProducerId hands out fresh ids with epoch 0; transactional ids go to the transaction coordinator", async () => {
  const server = await startBroker();
  try {
    const client = await WireClient.connect(server.port);
    const ids = new Set<bigint>();
    for (let version = 0; version <= 5; version++) {
      const r = await initProducerId(client, version);
      assert.equal(r.errorCode, ErrorCode.NONE);
      assert.equal(r.producerEpoch, 0);
      assert.ok(r.producerId >= 0n);
      ids.add(r.producerId);
    }
    assert.equal(ids.size, 6);
    // KIP-360 bump request without a transactional id: Kafka answers with a new id, epoch 0
    const first = await initProducerId(client, 4);
    const bumped = await initProducerId(client, 4, { producerId: first.producerId, producerEpoch: 0 });
    assert.equal(bumped.errorCode, ErrorCode.NONE);
    assert.notEqual(bumped.producerId, first.producerId);
    assert.equal(bumped.producerEpoch, 0);

    // Before any FindCoordinator there is no __transaction_state: this broker coordinates nothing.
    const early = await initProducerId(client, 4, { transactionalId: "tx-1" });
    assert.equal(early.errorCode, ErrorCode.NOT_COORDINATOR);
    await client.request(ApiKey.FindCoordinator, 2, { key: "tx-1", keyType: 1 });
    let txn = await initProducerId(client, 4, { transactionalId: "tx-1" });
    // The first use loads the new __transaction_state partitions: retriable until they are.
    for (let i = 0; i < 100 && txn.errorCode !== ErrorCode.NONE; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      txn = await initProducerId(client, 4, { transactionalId: "tx-1" });
    }
    assert.equal(txn.errorCode, ErrorCode.NONE);
    assert.equal(txn.producerEpoch, 0);
    const again = await initProducerId(client, 4, { transactionalId: "tx-1" });
    assert.deepEqual(
      [again.producerId, again.producerEpoch],
      [txn.producerId, 1],
      "a new session bumps the epoch",
    );
    const tooLong = await initProducerId(client, 4, {
      transactionalId: "tx-1",
      transactionTimeoutMs: 900_001,
    });
    assert.equal(tooLong.errorCode, ErrorCode.INVALID_TRANSACTION_TIMEOUT);
    const empty = await initProducerId(client, 1, { transactionalId: "" });
    assert.equal(empty.errorCode, ErrorCode.INVALID_REQUEST);
    client.close();
  } finally {
    await server.stop();
  }
});

test("producer ids are never reused across restarts, even past a block of 1000", async () => {
  const dataDir = mkdtempSync(join(tmpdir(), "brook-pid-"));
  try {
    let server = await startBroker({ dataDir });
    let client = await WireClient.connect(server.port);
    const seen = new Set<bigint>();
    for (let i = 0; i < 1005; i++) seen.add((await initProducerId(client, 4)).producerId);
    assert.equal(seen.size, 1005);
    client.close();
    await server.stop();
    server = await startBroker({ dataDir });
    client = await WireClient.connect(server.port);
    const after = (await initProducerId(client, 4)).producerId;
    for (const id of seen) assert.ok(after > id, `id ${after} handed out again or below ${id}`);
    client.close();
    await server.stop();
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test("a retried idempotent batch gets its original offsets and is stored once; gaps and old epochs are refused", async () => {
  const dataDir = mkdtempSync(join(tmpdir(), "brook-idem-"));
  try {
    let server = await startBroker({ dataDir });
    let client = await connect(server);
    const { producerId } = await initProducerId(client, 4);

    // a plain batch first, so that the idempotent ones do not start at offset 0
    const plain = encodeRecordBatch({
      records: [{ key: null, value: Buffer.from("plain"), timestamp: BigInt(Date.now()) }],
    });
    assert.deepEqual(await produce(client, plain), { errorCode: ErrorCode.NONE, baseOffset: 0n });

    const first = idempotentBatch(producerId, 0, 0, ["a", "b"]);
    const retry = Buffer.from(first);
    assert.deepEqual(await produce(client, first), { errorCode: ErrorCode.NONE, baseOffset: 1n });
    assert.deepEqual(await produce(client, retry), { errorCode: ErrorCode.NONE, baseOffset: 1n });
    assert.deepEqual(await produce(client, idempotentBatch(producerId, 0, 2, ["c"]), 0, 3), {
      errorCode: ErrorCode.NONE,
      baseOffset: 3n,
    });
    assert.deepEqual(await produce(client, idempotentBatch(producerId, 0, 0, ["a", "b"]), 0, 7), {
      errorCode: ErrorCode.NONE,
      baseOffset: 1n,
    });
    assert.equal(
      (await produce(client, idempotentBatch(producerId, 0, 5, ["gap"]))).errorCode,
      ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
    );
    // a second partition has its own state: the producer may start there at 0
    assert.deepEqual(await produce(client, idempotentBatch(producerId, 0, 0, ["p1"]), 1), {
      errorCode: ErrorCode.NONE,
      baseOffset: 0n,
    });
    assert.deepEqual(await fetchValues(client), ["plain", "a", "b", "c"]);

    const described = await client.request<DescribeProducersResponse>(ApiKey.DescribeProducers, 0, {
      topics: [
        { name: TOPIC, partitionIndexes: [0, 1, 7] },
        { name: "missing", partitionIndexes: [0] },
      ],
    });
    const partitions = described.topics[0]?.partitions ?? [];
    assert.equal(partitions[0]?.errorCode, ErrorCode.NONE);
    assert.deepEqual(
      partitions[0]?.activeProducers.map((p) => [
        p.producerId,
        p.producerEpoch,
        p.lastSequence,
        p.currentTxnStartOffset,
      ]),
      [[producerId, 0, 2, -1n]],
    );
    assert.ok((partitions[0]?.activeProducers[0]?.lastTimestamp ?? 0n) > 0n);
    assert.equal(partitions[1]?.activeProducers[0]?.lastSequence, 0);
    // partition 7 of a 2-partition topic does not exist: Kafka's UNKNOWN_TOPIC_OR_PARTITION
    assert.equal(partitions[2]?.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    assert.equal(described.topics[1]?.partitions[0]?.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);

    // a clean restart keeps the state: the retry is still recognised, the sequence continues
    client.close();
    await server.stop();
    server = await startBroker({ dataDir });
    client = await WireClient.connect(server.port);
    assert.deepEqual(await produce(client, idempotentBatch(producerId, 0, 2, ["c"])), {
      errorCode: ErrorCode.NONE,
      baseOffset: 3n,
    });
    assert.deepEqual(await produce(client, idempotentBatch(producerId, 0, 0, ["a", "b"])), {
      errorCode: ErrorCode.NONE,
      baseOffset: 1n,
    });
    // a newer epoch fences the old one
    assert.deepEqual(await produce(client, idempotentBatch(producerId, 1, 0, ["d"])), {
      errorCode: ErrorCode.NONE,
      baseOffset: 4n,
    });
    assert.equal(
      (await produce(client, idempotentBatch(producerId, 0, 3, ["zombie"]))).errorCode,
      ErrorCode.INVALID_PRODUCER_EPOCH,
    );
    assert.deepEqual(await fetchValues(client), ["plain", "a", "b", "c", "d"]);
    client.close();
    await server.stop();
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
