import assert from "node:assert/strict";
import { test } from "node:test";
import { AssertionError, systemTimers } from "../../src/base/index.js";
import type { BrokerConnections } from "../../src/client/index.js";
import { ApiKey, ErrorCode, encodeRecordBatch, type FetchRequest } from "../../src/protocol/index.js";
import { Partition, ReplicaFetcher } from "../../src/replication/index.js";
import { newClock, openManager, tempDir } from "../storage/helpers.js";

const TOPIC_ID = "AAAAAAAAAAAAAAAAAAAAAQ";
const silent = { debug() {}, info() {}, warn() {}, error() {}, child: () => silent } as never;

test("a follower fetches with Fetch v15, naming its broker epoch and topics by id, and appends what the leader answers", async () => {
  // Found by the replication simulation (seed 720): with Fetch v12 the leader credited a fetch to
  // whatever registration it knew for the follower, so one that an earlier incarnation had left
  // parked in the long poll, at its old log end, counted as the restarted broker's progress (and
  // let it into the ISR without the records its machine crash had lost).
  const dir = tempDir();
  const clock = newClock();
  const manager = await openManager(dir.path, clock);
  try {
    const log = manager.getOrCreateLog({ topic: "fetched", partition: 0 });
    const partition = new Partition({
      topic: "fetched",
      partitionIndex: 0,
      topicId: TOPIC_ID,
      log,
      localBrokerId: 2,
      state: { leader: 1, leaderEpoch: 4, partitionEpoch: 9, replicas: [1, 2], isr: [1, 2] },
      producerState: { producerIdExpirationMs: 86_400_000, clock },
      clock,
    });
    const requests: { apiKey: number; version: number; request: FetchRequest }[] = [];
    const batch = encodeRecordBatch({ records: [{ key: null, value: Buffer.from("v") }] });
    batch.writeInt32BE(4, 12); // the leader epoch the leader stamped
    let answered = false;
    const connections = {
      request: (_endpoint: unknown, apiKey: number, version: number, request: FetchRequest) => {
        requests.push({ apiKey, version, request });
        if (answered) return new Promise(() => {});
        answered = true;
        return Promise.resolve({
          errorCode: ErrorCode.NONE,
          responses: [
            {
              topic: "",
              topicId: TOPIC_ID,
              partitions: [
                {
                  partitionIndex: 0,
                  errorCode: ErrorCode.NONE,
                  highWatermark: 1n,
                  lastStableOffset: 1n,
                  logStartOffset: 0n,
                  divergingEpoch: { epoch: -1, endOffset: -1n },
                  records: batch,
                },
              ],
            },
          ],
        });
      },
    } as unknown as BrokerConnections;
    const fetcher = new ReplicaFetcher({
      sourceBrokerId: 1,
      endpoint: () => ({ host: "leader", port: 9092 }),
      connections,
      localBrokerId: 2,
      brokerEpoch: () => 42n,
      config: {
        waitMaxMs: 500,
        minBytes: 1,
        partitionMaxBytes: 1 << 20,
        responseMaxBytes: 1 << 24,
        backoffMs: 100,
        requestTimeoutMs: 1000,
      },
      log: silent,
      clock,
      timers: systemTimers,
    });
    fetcher.add(partition, 4);
    for (let i = 0; i < 100 && requests.length < 2; i++) await new Promise((r) => setImmediate(r));
    fetcher.stop();
    const first = requests[0];
    assert.equal(first?.apiKey, ApiKey.Fetch);
    assert.equal(first?.version, 15);
    assert.deepEqual(first?.request.replicaState, { replicaId: 2, replicaEpoch: 42n });
    assert.equal(first?.request.topics[0]?.topicId, TOPIC_ID);
    assert.equal(first?.request.topics[0]?.partitions[0]?.currentLeaderEpoch, 4);
    assert.equal(log.logEndOffset, 1n, "the answer, addressed by topic id, was appended");
    assert.equal(partition.highWatermark, 1n);
    assert.equal(
      requests[1]?.request.topics[0]?.partitions[0]?.fetchOffset,
      1n,
      "the next fetch goes on from there",
    );
  } finally {
    await manager.shutdown();
    dir.cleanup();
  }
});

test("a broken invariant while appending what the leader sent stops the fetcher loudly instead of being retried", async () => {
  const dir = tempDir();
  const clock = newClock();
  const manager = await openManager(dir.path, clock);
  try {
    const partition = new Partition({
      topic: "broken",
      partitionIndex: 0,
      topicId: TOPIC_ID,
      log: manager.getOrCreateLog({ topic: "broken", partition: 0 }),
      localBrokerId: 2,
      state: { leader: 1, leaderEpoch: 0, partitionEpoch: 0, replicas: [1, 2], isr: [1, 2] },
      producerState: { producerIdExpirationMs: 86_400_000, clock },
      clock,
    });
    partition.appendAsFollower = () => {
      throw new AssertionError("offsets went back");
    };
    let requests = 0;
    const connections = {
      request: () => {
        requests++;
        return Promise.resolve({
          errorCode: ErrorCode.NONE,
          responses: [
            {
              topic: "",
              topicId: TOPIC_ID,
              partitions: [
                {
                  partitionIndex: 0,
                  errorCode: ErrorCode.NONE,
                  highWatermark: 1n,
                  lastStableOffset: 1n,
                  logStartOffset: 0n,
                  divergingEpoch: { epoch: -1, endOffset: -1n },
                  records: encodeRecordBatch({ records: [{ key: null, value: Buffer.from("v") }] }),
                },
              ],
            },
          ],
        });
      },
    } as unknown as BrokerConnections;
    const fatal: AssertionError[] = [];
    const fetcher = new ReplicaFetcher({
      sourceBrokerId: 1,
      endpoint: () => ({ host: "leader", port: 9092 }),
      connections,
      localBrokerId: 2,
      brokerEpoch: () => 1n,
      config: {
        waitMaxMs: 500,
        minBytes: 1,
        partitionMaxBytes: 1 << 20,
        responseMaxBytes: 1 << 24,
        backoffMs: 1,
        requestTimeoutMs: 1000,
      },
      log: silent,
      clock,
      timers: systemTimers,
      onFatal: (error) => fatal.push(error),
    });
    fetcher.add(partition, 0);
    for (let i = 0; i < 100 && fatal.length === 0; i++) await new Promise((r) => setImmediate(r));
    for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
    fetcher.stop();
    assert.equal(fatal.length, 1);
    assert.match(fatal[0]?.message ?? "", /offsets went back/);
    assert.equal(requests, 1, "no fetch after the broken invariant");
  } finally {
    await manager.shutdown();
    dir.cleanup();
  }
});
