import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import {
  ApiKey,
  decodeRecordBatch,
  ErrorCode,
  encodeRecordBatch,
  type FetchResponse,
  type MetadataResponse,
  type ProduceResponse,
} from "../../../src/protocol/index.js";
import { type BrookServer, startBroker } from "../../../src/server/index.js";
import { WireClient } from "../../helpers/kafka-wire.js";

let server: BrookServer;
let client: WireClient;
let topicId = "";

before(async () => {
  server = await startBroker();
  client = await WireClient.connect(server.port);
  const metadata = await client.request<MetadataResponse>(ApiKey.Metadata, 12, {
    topics: [{ name: "fetch-test", topicId: "AAAAAAAAAAAAAAAAAAAAAA" }],
    allowAutoTopicCreation: true,
  });
  topicId = metadata.topics[0]?.topicId ?? "";
});
after(async () => {
  client.close();
  await server.stop();
});

async function produce(values: string[]): Promise<bigint> {
  const batch = encodeRecordBatch({ records: values.map((v) => ({ key: null, value: Buffer.from(v) })) });
  const response = await client.request<ProduceResponse>(ApiKey.Produce, 9, {
    acks: -1,
    timeoutMs: 1000,
    topicData: [{ name: "fetch-test", partitionData: [{ index: 0, records: batch }] }],
  });
  const p = response.responses[0]?.partitionResponses[0];
  assert.equal(p?.errorCode, ErrorCode.NONE);
  return p?.baseOffset ?? -1n;
}

function fetchRequest(fetchOffset: bigint, extra: Record<string, unknown> = {}) {
  return {
    replicaId: -1,
    maxWaitMs: 0,
    minBytes: 1,
    maxBytes: 1 << 20,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [
      {
        topic: "fetch-test",
        topicId,
        partitions: [
          {
            partition: 0,
            fetchOffset,
            partitionMaxBytes: 1 << 20,
            currentLeaderEpoch: -1,
            logStartOffset: -1n,
          },
        ],
      },
    ],
    forgottenTopicsData: [],
    rackId: "",
    ...extra,
  };
}

function values(response: FetchResponse): string[] {
  const records = response.responses[0]?.partitions[0]?.records;
  if (records === null || records === undefined) return [];
  const out: string[] = [];
  let at = 0;
  while (at < records.length) {
    const batch = decodeRecordBatch(records, at);
    for (const r of batch.records) out.push(r.value?.toString() ?? "");
    at += batch.batchLength + 12;
  }
  return out;
}

test("fetch by name (v4-12) and by topic id (v13+) returns the batches from the offset asked", async () => {
  const base = await produce(["a", "b", "c"]);
  for (const version of [4, 11, 12, 13, 17]) {
    const response = await client.request<FetchResponse>(ApiKey.Fetch, version, fetchRequest(base + 1n));
    const partition = response.responses[0]?.partitions[0];
    assert.equal(partition?.errorCode, ErrorCode.NONE, `v${version}`);
    assert.ok((partition?.highWatermark ?? 0n) >= base + 3n);
    assert.ok(values(response).includes("b"), `v${version} returns the batch holding the offset`);
  }
});

test("a long-poll fetch waits for data and is woken by an append", async () => {
  const end = (await produce(["x"])) + 1n;
  const waiter = await WireClient.connect(server.port);
  const started = Date.now();
  const id = waiter.send(ApiKey.Fetch, 11, fetchRequest(end, { maxWaitMs: 10_000, minBytes: 1 }));
  await new Promise((r) => setTimeout(r, 200));
  await produce(["late"]);
  const response = await waiter.receive<FetchResponse>(ApiKey.Fetch, 11);
  assert.equal(response.correlationId, id);
  assert.deepEqual(values(response.body), ["late"]);
  assert.ok(Date.now() - started < 5000, "woken by the append, not the 10 s timeout");
  waiter.close();
});

test("a follower whose log diverged is answered at once with the diverging epoch, not after the long poll", async () => {
  // Seen in the replication simulation: every divergence cost the follower replica.fetch.wait.max.ms.
  const end = (await produce(["y"])) + 1n;
  const metadata = await client.request<MetadataResponse>(ApiKey.Metadata, 12, {
    topics: [{ name: "fetch-test", topicId: "AAAAAAAAAAAAAAAAAAAAAA" }],
    allowAutoTopicCreation: false,
  });
  const nodeId = metadata.brokers[0]?.nodeId ?? -1;
  const leaderEpoch = metadata.topics[0]?.partitions[0]?.leaderEpoch ?? -1;
  const follower = await WireClient.connect(server.port);
  const started = Date.now();
  const response = await follower.request<FetchResponse>(
    ApiKey.Fetch,
    12,
    fetchRequest(end + 5n, {
      replicaId: nodeId,
      maxWaitMs: 10_000,
      minBytes: 1,
      topics: [
        {
          topic: "fetch-test",
          partitions: [
            {
              partition: 0,
              fetchOffset: end + 5n,
              lastFetchedEpoch: leaderEpoch,
              partitionMaxBytes: 1 << 20,
              currentLeaderEpoch: leaderEpoch,
              logStartOffset: -1n,
            },
          ],
        },
      ],
    }),
  );
  const partition = response.responses[0]?.partitions[0];
  assert.equal(partition?.errorCode, ErrorCode.NONE);
  assert.equal(partition?.divergingEpoch.epoch, leaderEpoch, "the logs diverged");
  assert.equal(partition?.divergingEpoch.endOffset, end);
  assert.ok(Date.now() - started < 5000, "answered at once, not after the 10 s wait");
  follower.close();
});

test("an offset past the log end is OFFSET_OUT_OF_RANGE", async () => {
  const response = await client.request<FetchResponse>(ApiKey.Fetch, 11, fetchRequest(1_000_000n));
  assert.equal(response.responses[0]?.partitions[0]?.errorCode, ErrorCode.OFFSET_OUT_OF_RANGE);
});

test("fetch sessions: epoch 0 opens one; incremental fetches answer only partitions with news", async () => {
  const end = (await produce(["s1"])) + 1n;
  const opened = await client.request<FetchResponse>(
    ApiKey.Fetch,
    12,
    fetchRequest(end - 1n, { sessionEpoch: 0 }),
  );
  assert.ok(opened.sessionId > 0);
  assert.deepEqual(values(opened), ["s1"]);
  const quiet = await client.request<FetchResponse>(
    ApiKey.Fetch,
    12,
    fetchRequest(end, { sessionId: opened.sessionId, sessionEpoch: 1 }),
  );
  assert.equal(quiet.sessionId, opened.sessionId);
  assert.equal(quiet.responses.length, 0, "nothing new: the partition is left out");
  await produce(["s2"]);
  const news = await client.request<FetchResponse>(
    ApiKey.Fetch,
    12,
    fetchRequest(end, { sessionId: opened.sessionId, sessionEpoch: 2, topics: [] }),
  );
  assert.deepEqual(values(news), ["s2"], "the session remembers the partition and its position");
  const stale = await client.request<FetchResponse>(
    ApiKey.Fetch,
    12,
    fetchRequest(end, { sessionId: opened.sessionId, sessionEpoch: 9 }),
  );
  assert.equal(stale.errorCode, ErrorCode.INVALID_FETCH_SESSION_EPOCH);
});

test("Fetch v3, which Kafka 4 removed, gets UNSUPPORTED_VERSION on every partition asked", async () => {
  const response = await client.request<FetchResponse>(ApiKey.Fetch, 3, fetchRequest(0n));
  const partition = response.responses[0]?.partitions[0];
  assert.equal(partition?.errorCode, ErrorCode.UNSUPPORTED_VERSION);
  assertEmptyRecordSet(partition?.records, "v3 error response");
});

/**
 * The record set as it was on the wire: the decoder gives null for a size of -1 (what librdkafka
 * rejects with "invalid MessageSetSize -1") and a zero-length buffer for a size of 0.
 */
function assertEmptyRecordSet(records: Buffer | null | undefined, what: string): void {
  assert.notEqual(records, null, `${what}: record set size -1 (null) on the wire`);
  assert.equal(records?.length, 0, `${what}: an empty record set`);
}

test("a partition answered with an error carries an empty record set, never null, at v4-v17", async () => {
  const end = (await produce(["e"])) + 1n;
  for (let version = 4; version <= 17; version++) {
    const outOfRange = await client.request<FetchResponse>(ApiKey.Fetch, version, fetchRequest(end + 1000n));
    const p = outOfRange.responses[0]?.partitions[0];
    assert.equal(p?.errorCode, ErrorCode.OFFSET_OUT_OF_RANGE, `v${version}`);
    assertEmptyRecordSet(p?.records, `v${version} OFFSET_OUT_OF_RANGE`);

    const request = fetchRequest(0n);
    const [topic] = request.topics;
    assert.ok(topic !== undefined);
    const missingPartition = { ...topic, partitions: topic.partitions.map((q) => ({ ...q, partition: 7 })) };
    const unknownTopic = { ...topic, topic: "fetch-no-such-topic", topicId: "AAAAAAAAAAAAAAAAAAAAAQ" };
    const errors = await client.request<FetchResponse>(ApiKey.Fetch, version, {
      ...request,
      topics: [missingPartition, unknownTopic],
    });
    const answered = errors.responses.flatMap((t) => t.partitions);
    assert.deepEqual(
      answered.map((q) => q.errorCode),
      [
        ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
        version >= 13 ? ErrorCode.UNKNOWN_TOPIC_ID : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
      ],
      `v${version}`,
    );
    for (const q of answered) assertEmptyRecordSet(q.records, `v${version} error ${q.errorCode}`);
  }
});

test("a partition with nothing new carries an empty record set, not null", async () => {
  const end = (await produce(["n"])) + 1n;
  for (const version of [4, 11, 12, 16]) {
    const response = await client.request<FetchResponse>(ApiKey.Fetch, version, fetchRequest(end));
    const p = response.responses[0]?.partitions[0];
    assert.equal(p?.errorCode, ErrorCode.NONE, `v${version}`);
    assertEmptyRecordSet(p?.records, `v${version} at the log end`);
  }
});
