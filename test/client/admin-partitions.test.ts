import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { AdminClient, ElectionType, Producer } from "../../src/client/index.js";
import { type BrookServer, startBroker } from "../../src/index.js";
import {
  ApiKey,
  type DeleteRecordsRequest,
  type ElectLeadersRequest,
  ErrorCode,
} from "../../src/protocol/index.js";
import { FakeBroker, type FakeRequest } from "./fake-broker.js";

/**
 * The admin client's electLeaders, deleteRecords and describeLogDirs: against a Brook broker
 * (what each answers), and against a scripted broker (where requests go, which answers are sent
 * again and which are final).
 */

describe("against a Brook broker", () => {
  let server: BrookServer;
  let admin: AdminClient;
  before(async () => {
    server = await startBroker({ properties: { "num.partitions": "2" } });
    admin = new AdminClient({ bootstrap: server.bootstrap, timeoutMs: 5000 });
    await admin.createTopics([{ name: "ledger", numPartitions: 2 }]);
    const producer = new Producer({ bootstrap: server.bootstrap, lingerMs: 0 });
    for (let i = 0; i < 6; i++) await producer.send({ topic: "ledger", partition: 0, value: `v${i}` });
    await producer.close();
  });
  after(async () => {
    admin?.close();
    await server?.stop();
  });

  test("deleteRecords moves the low watermark; unknown topics and offsets past the end are errors", async () => {
    const results = await admin.deleteRecords([
      { topic: "ledger", partition: 0, offset: 4n },
      { topic: "ledger", partition: 1, offset: 1n },
      { topic: "nosuch", partition: 0, offset: 1n },
    ]);
    assert.deepEqual(
      results.map((r) => [r.topic, r.partition, r.errorCode, r.lowWatermark]),
      [
        ["ledger", 0, ErrorCode.NONE, 4n],
        ["ledger", 1, ErrorCode.OFFSET_OUT_OF_RANGE, -1n],
        ["nosuch", 0, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, -1n],
      ],
    );
    assert.equal(
      results[2]?.errorMessage,
      "Failed to fetch metadata for partition nosuch-0 because metadata for topic `nosuch` could not be found",
    );
    const [earliest] = await admin.listOffsets([{ topic: "ledger", partition: 0 }], "earliest");
    assert.equal(earliest?.offset, 4n);
  });

  test("describeLogDirs: the broker's dir with its replicas and their sizes", async () => {
    const [broker] = await admin.describeLogDirs([1]);
    assert.equal(broker?.broker, 1);
    assert.equal(broker?.errorCode, ErrorCode.NONE);
    const [dir] = broker?.logDirs ?? [];
    assert.equal(dir?.errorCode, ErrorCode.NONE);
    const ledger = dir?.replicas
      .filter((r) => r.topic === "ledger")
      .sort((a, b) => a.partition - b.partition);
    assert.deepEqual(
      ledger?.map((r) => [r.partition, r.size > 0n, r.offsetLag, r.isFuture]),
      [
        [0, true, 0n, false],
        [1, false, 0n, false],
      ],
    );
    assert.ok((dir?.totalBytes ?? 0n) > 0n, "v4 answers the volume's size");
    const [unknown] = await admin.describeLogDirs([7], { timeoutMs: 1000 });
    assert.equal(unknown?.errorCode, ErrorCode.BROKER_NOT_AVAILABLE);
  });

  test("electLeaders: a single replica is always the preferred leader", async () => {
    assert.deepEqual(await admin.electLeaders(ElectionType.preferred, null), []);
    const [one] = await admin.electLeaders(ElectionType.unclean, [{ topic: "ledger", partition: 1 }]);
    assert.deepEqual(
      [one?.topic, one?.partition, one?.errorCode],
      ["ledger", 1, ErrorCode.ELECTION_NOT_NEEDED],
    );
  });
});

describe("against a scripted broker", () => {
  /** Metadata naming the fake broker as node 1, leader of t-0 and t-1; other answers from `answer`. */
  async function fakeCluster(answer: (request: FakeRequest) => object | undefined): Promise<FakeBroker> {
    const fake: FakeBroker = await FakeBroker.start((request) => {
      if (request.apiKey === ApiKey.Metadata) {
        return {
          body: {
            brokers: [{ nodeId: 1, host: "127.0.0.1", port: fake.port }],
            clusterId: "fake",
            controllerId: 1,
            topics: [
              {
                errorCode: 0,
                name: "t",
                partitions: [0, 1].map((partitionIndex) => ({
                  errorCode: 0,
                  partitionIndex,
                  leaderId: 1,
                  replicaNodes: [1],
                  isrNodes: [1],
                })),
              },
            ],
          },
        };
      }
      const body = answer(request);
      return body === undefined ? undefined : { body };
    });
    return fake;
  }
  const sent = (fake: FakeBroker, apiKey: number) => fake.requests.filter((r) => r.apiKey === apiKey);

  test("deleteRecords sends a partition whose leader moved again, after fresh metadata", async () => {
    let attempt = 0;
    const fake = await fakeCluster((r) => {
      if (r.apiKey !== ApiKey.DeleteRecords) return undefined;
      const first = attempt++ === 0;
      const topics = (r.body as DeleteRecordsRequest).topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => ({
          partitionIndex: p.partitionIndex,
          lowWatermark: first && p.partitionIndex === 1 ? -1n : p.offset,
          errorCode: first && p.partitionIndex === 1 ? ErrorCode.NOT_LEADER_OR_FOLLOWER : 0,
        })),
      }));
      return { throttleTimeMs: 0, topics };
    });
    const admin = new AdminClient({ bootstrap: `127.0.0.1:${fake.port}`, retryBackoffMs: 10 });
    try {
      const results = await admin.deleteRecords([
        { topic: "t", partition: 0, offset: 3n },
        { topic: "t", partition: 1, offset: 7n },
      ]);
      assert.deepEqual(
        results.map((r) => [r.partition, r.errorCode, r.lowWatermark]),
        [
          [0, 0, 3n],
          [1, 0, 7n],
        ],
      );
      assert.deepEqual(
        sent(fake, ApiKey.DeleteRecords).map((r) =>
          (r.body as DeleteRecordsRequest).topics.flatMap((t) => t.partitions.map((p) => p.partitionIndex)),
        ),
        [[0, 1], [1]],
      );
      assert.equal(sent(fake, ApiKey.Metadata).length, 2, "the leader looked up again");
    } finally {
      admin.close();
      await fake.stop();
    }
  });

  test("electLeaders: a partition's answer is final, the whole request's retriable error is retried", async () => {
    let attempt = 0;
    const fake = await fakeCluster((r) => {
      if (r.apiKey !== ApiKey.ElectLeaders) return undefined;
      if (attempt++ === 0)
        return { throttleTimeMs: 0, errorCode: ErrorCode.NOT_CONTROLLER, replicaElectionResults: [] };
      const request = r.body as ElectLeadersRequest;
      return {
        throttleTimeMs: 0,
        errorCode: 0,
        replicaElectionResults: (request.topicPartitions ?? []).map((t) => ({
          topic: t.topic,
          partitionResult: t.partitions.map((partitionId) => ({
            partitionId,
            errorCode:
              partitionId === 0 ? ErrorCode.ELECTION_NOT_NEEDED : ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE,
            errorMessage: null,
          })),
        })),
      };
    });
    const admin = new AdminClient({ bootstrap: `127.0.0.1:${fake.port}`, retryBackoffMs: 10 });
    try {
      const results = await admin.electLeaders(ElectionType.preferred, [
        { topic: "t", partition: 0 },
        { topic: "t", partition: 1 },
      ]);
      assert.deepEqual(
        results.map((r) => [r.partition, r.errorCode, r.errorMessage]),
        [
          [0, ErrorCode.ELECTION_NOT_NEEDED, "Leader election not needed for topic partition."],
          [1, ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE, "The preferred leader was not available."],
        ],
      );
      const requests = sent(fake, ApiKey.ElectLeaders);
      assert.equal(requests.length, 2, "NOT_CONTROLLER once, then the answer");
      assert.deepEqual((requests[1]?.body as ElectLeadersRequest | undefined)?.topicPartitions, [
        { topic: "t", partitions: [0, 1] },
      ]);
    } finally {
      admin.close();
      await fake.stop();
    }
  });

  test("describeLogDirs: an answer without dirs is a refusal, as in Kafka's client", async () => {
    const fake = await fakeCluster((r) =>
      r.apiKey === ApiKey.DescribeLogDirs ? { throttleTimeMs: 0, errorCode: 0, results: [] } : undefined,
    );
    const admin = new AdminClient({ bootstrap: `127.0.0.1:${fake.port}`, retryBackoffMs: 10 });
    try {
      const [answer] = await admin.describeLogDirs([1]);
      assert.equal(answer?.errorCode, ErrorCode.CLUSTER_AUTHORIZATION_FAILED);
      assert.deepEqual(answer?.logDirs, []);
    } finally {
      admin.close();
      await fake.stop();
    }
  });
});
