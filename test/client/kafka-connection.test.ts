import assert from "node:assert/strict";
import { createServer } from "node:net";
import { after, before, describe, test } from "node:test";
import { BrookError } from "../../src/base/index.js";
import {
  ClientError,
  type ClientErrorCode,
  ClientErrorCode as Code,
  KafkaConnection,
  type KafkaConnectionOptions,
} from "../../src/client/index.js";
import { type BrookServer, startBroker } from "../../src/index.js";
import {
  ApiKey,
  type ApiVersionsResponse,
  type CreateTopicsResponse,
  encodeRecordBatch,
  type FetchResponse,
  type MetadataResponse,
  type ProduceResponse,
} from "../../src/protocol/index.js";
import { apiVersionsBody, encodeResponse, FakeBroker } from "./fake-broker.js";

const isClientError = (code: ClientErrorCode) => (e: unknown) => e instanceof ClientError && e.code === code;

function options(port: number, extra: Partial<KafkaConnectionOptions> = {}): KafkaConnectionOptions {
  return { host: "127.0.0.1", port, clientId: "client-test", connectTimeoutMs: 5000, ...extra };
}

const allTopics = { topics: null, allowAutoTopicCreation: false };

/** A Fetch that waits `maxWaitMs` on the empty partition 0 of `topic` (v11: topics by name). */
function longPoll(topic: string, maxWaitMs: number) {
  return {
    replicaId: -1,
    maxWaitMs,
    minBytes: 1,
    maxBytes: 1 << 20,
    topics: [
      {
        topic,
        partitions: [{ partition: 0, fetchOffset: 0n, logStartOffset: -1n, partitionMaxBytes: 1 << 20 }],
      },
    ],
  };
}

describe("against a Brook broker", () => {
  let server: BrookServer;
  before(async () => {
    server = await startBroker();
    const c = await KafkaConnection.connect(options(server.port));
    const created = await c.request<CreateTopicsResponse>(ApiKey.CreateTopics, 7, {
      topics: [
        { name: "polled", numPartitions: 1, replicationFactor: 1 },
        { name: "viewed", numPartitions: 1, replicationFactor: 1 },
      ],
      timeoutMs: 5000,
    });
    assert.deepEqual(
      created.topics.map((t) => t.errorCode),
      [0, 0],
    );
    c.close();
  });
  after(() => server.stop());

  test("connect exchanges ApiVersions; versions are clamped to the broker's range", async () => {
    const c = await KafkaConnection.connect(options(server.port));
    assert.equal(c.negotiatedVersion(ApiKey.Metadata, 12), 12);
    assert.equal(c.negotiatedVersion(ApiKey.Metadata, 50), 12);
    assert.equal(c.negotiatedVersion(ApiKey.Metadata, 7), 7);
    // Brook serves CreateTopics 2-7 and no LeaderAndIsr (a KRaft broker has none).
    assert.throws(() => c.negotiatedVersion(ApiKey.CreateTopics, 1), isClientError(Code.unsupportedVersion));
    assert.throws(() => c.negotiatedVersion(ApiKey.LeaderAndIsr, 7), isClientError(Code.unsupportedVersion));
    const metadata = await c.request<MetadataResponse>(ApiKey.Metadata, 12, allTopics);
    assert.equal(metadata.brokers[0]?.port, server.port);
    assert.ok(metadata.topics.some((t) => t.name === "polled"));
    c.close();
  });

  test("pipelined requests are answered in order: a long poll holds back the requests behind it", async () => {
    const c = await KafkaConnection.connect(options(server.port));
    const done: string[] = [];
    const startMs = performance.now();
    const fetch = c
      .request<FetchResponse>(ApiKey.Fetch, 11, longPoll("polled", 300))
      .then((r) => done.push(`fetch:${r.responses[0]?.topic}`));
    const metadata = c
      .request<MetadataResponse>(ApiKey.Metadata, 9, { topics: [{ name: "polled" }] })
      .then((r) => done.push(`metadata:${r.topics[0]?.name}`));
    const versions = c
      .request<ApiVersionsResponse>(ApiKey.ApiVersions, 2, {})
      .then((r) => done.push(`versions:${r.errorCode}`));
    assert.equal(c.inFlightCount, 3);
    await Promise.all([fetch, metadata, versions]);
    assert.deepEqual(done, ["fetch:polled", "metadata:polled", "versions:0"]);
    assert.ok(performance.now() - startMs >= 250, "the metadata answer waited for the long poll");
    assert.equal(c.inFlightCount, 0);
    c.close();
  });

  test("a request that times out rejects, closes the connection, and fails the requests behind it", async () => {
    const c = await KafkaConnection.connect(options(server.port));
    let closedBy: Error | null | undefined;
    c.onClose((cause) => {
      closedBy = cause;
    });
    const fetch = c.request(ApiKey.Fetch, 11, longPoll("polled", 5000), { timeoutMs: 200 });
    const behind = c.request(ApiKey.Metadata, 12, allTopics);
    await assert.rejects(fetch, isClientError(Code.timeout));
    await assert.rejects(behind, isClientError(Code.disconnected));
    assert.ok(c.isClosed);
    assert.ok(isClientError(Code.timeout)(closedBy));
    await assert.rejects(c.request(ApiKey.Metadata, 12, allTopics), isClientError(Code.disconnected));
  });

  test("fetched records are a view on the response frame, not a copy", async () => {
    const c = await KafkaConnection.connect(options(server.port));
    const value = Buffer.alloc(1024, 7);
    const batch = encodeRecordBatch({ records: Array.from({ length: 100 }, () => ({ key: null, value })) });
    const produced = await c.request<ProduceResponse>(ApiKey.Produce, 9, {
      acks: -1,
      timeoutMs: 5000,
      topicData: [{ name: "viewed", partitionData: [{ index: 0, records: batch }] }],
    });
    assert.equal(produced.responses[0]?.partitionResponses[0]?.errorCode, 0);
    const fetched = await c.request<FetchResponse>(ApiKey.Fetch, 11, longPoll("viewed", 0));
    const records = fetched.responses[0]?.partitions[0]?.records as Buffer;
    assert.equal(records.length, batch.length);
    // A copy would own an ArrayBuffer of its own size; a view shares the frame's (or the socket read's).
    assert.ok(records.buffer.byteLength > records.length, "records share the frame's memory");
    c.close();
  });

  test("close() fails pending requests as disconnected and calls the close listeners", async () => {
    const c = await KafkaConnection.connect(options(server.port));
    const pending = c.request(ApiKey.Fetch, 11, longPoll("polled", 5000));
    const causes: (Error | null)[] = [];
    c.onClose((cause) => causes.push(cause));
    c.close();
    await assert.rejects(pending, isClientError(Code.disconnected));
    assert.deepEqual(causes, [null]);
    // A listener added after the close is called too.
    await new Promise<void>((resolve) => c.onClose(() => resolve()));
  });

  test("a request the version cannot carry is refused before anything is sent", async () => {
    const c = await KafkaConnection.connect(options(server.port));
    // allowAutoTopicCreation=false does not exist before Metadata v4.
    await assert.rejects(
      c.request(ApiKey.Metadata, 3, allTopics),
      (e) => e instanceof BrookError && e.code === "BRK_ERR_PROTOCOL_ENCODE",
    );
    await assert.rejects(
      c.request(ApiKey.Produce, 9, { acks: 0, timeoutMs: 100, topicData: [] }),
      isClientError(Code.noResponse),
    );
    assert.equal(c.inFlightCount, 0);
    const metadata = await c.request<MetadataResponse>(ApiKey.Metadata, 4, allTopics);
    assert.equal(metadata.brokers.length, 1);
    c.close();
  });
});

describe("against a scripted broker", () => {
  test("a broker that closes mid-request fails every pending request as disconnected", async () => {
    const fake = await FakeBroker.start((r) => (r.apiKey === ApiKey.Metadata ? { close: true } : undefined));
    const c = await KafkaConnection.connect(options(fake.port));
    const closed = new Promise<Error | null>((resolve) => c.onClose(resolve));
    const first = c.request(ApiKey.Metadata, 12, allTopics);
    const second = c.request(ApiKey.Metadata, 12, allTopics);
    await assert.rejects(first, isClientError(Code.disconnected));
    await assert.rejects(second, isClientError(Code.disconnected));
    assert.ok(isClientError(Code.disconnected)(await closed));
    await fake.stop();
  });

  test("a response above the size limit closes the connection before it is buffered", async () => {
    const huge = Buffer.alloc(8);
    huge.writeInt32BE(200 * 1024 * 1024);
    const fake = await FakeBroker.start((r) => (r.apiKey === ApiKey.Metadata ? { raw: huge } : undefined));
    const c = await KafkaConnection.connect(options(fake.port));
    const first = c.request(ApiKey.Metadata, 12, allTopics);
    const second = c.request(ApiKey.Metadata, 12, allTopics);
    await assert.rejects(first, isClientError(Code.frameSize));
    await assert.rejects(second, isClientError(Code.disconnected));
    assert.ok(c.isClosed);
    await fake.stop();
  });

  test("the size limit is the connection's option", async () => {
    const brokers = Array.from({ length: 100 }, (_, i) => ({
      nodeId: i,
      host: "a-long-broker-host-name",
      port: 9092,
    }));
    const fake = await FakeBroker.start((r) =>
      r.apiKey === ApiKey.Metadata ? { body: { brokers, topics: [] } } : undefined,
    );
    const c = await KafkaConnection.connect(options(fake.port, { responseBytesMax: 1000 }));
    await assert.rejects(c.request(ApiKey.Metadata, 12, allTopics), isClientError(Code.frameSize));
    const roomy = await KafkaConnection.connect(options(fake.port));
    const metadata = await roomy.request<MetadataResponse>(ApiKey.Metadata, 12, allTopics);
    assert.equal(metadata.brokers.length, 100);
    roomy.close();
    await fake.stop();
  });

  test("a response for another correlation id closes the connection", async () => {
    const fake = await FakeBroker.start((r) =>
      r.apiKey === ApiKey.Metadata ? { body: { topics: [] }, correlationId: r.correlationId + 7 } : undefined,
    );
    const c = await KafkaConnection.connect(options(fake.port));
    await assert.rejects(c.request(ApiKey.Metadata, 12, allTopics), isClientError(Code.unexpectedResponse));
    assert.ok(c.isClosed);
    await fake.stop();
  });

  test("a response written a byte at a time decodes as one", async () => {
    const fake = await FakeBroker.start(async (r) => {
      if (r.apiKey !== ApiKey.Metadata) return undefined;
      const bytes = encodeResponse(r.apiKey, r.apiVersion, r.correlationId, {
        clusterId: "byte-by-byte",
        brokers: [{ nodeId: 3, host: "h", port: 1 }],
        topics: [],
      });
      for (const byte of bytes) {
        r.socket.write(Buffer.of(byte));
        await new Promise((resolve) => setImmediate(resolve));
      }
      return { silent: true };
    });
    const c = await KafkaConnection.connect(options(fake.port));
    const metadata = await c.request<MetadataResponse>(ApiKey.Metadata, 12, allTopics);
    assert.equal(metadata.clusterId, "byte-by-byte");
    assert.equal(metadata.brokers[0]?.nodeId, 3);
    c.close();
    await fake.stop();
  });

  test("a body that does not decode fails only its request; the connection goes on", async () => {
    const fake = await FakeBroker.start((r) => {
      if (r.apiKey !== ApiKey.Metadata) return undefined;
      const frame = Buffer.alloc(4 + 4 + 1 + 2);
      frame.writeInt32BE(7, 0);
      frame.writeInt32BE(r.correlationId, 4); // header v1: correlation id, no tagged fields
      frame.writeUInt8(0, 8);
      frame.writeInt16BE(0x7fff, 9); // a throttle time cut short
      return { raw: frame };
    });
    const c = await KafkaConnection.connect(options(fake.port));
    await assert.rejects(
      c.request(ApiKey.Metadata, 12, allTopics),
      (e) => e instanceof BrookError && e.code.startsWith("BRK_ERR_PROTOCOL_"),
    );
    const versions = await c.request<ApiVersionsResponse>(ApiKey.ApiVersions, 3, {
      clientSoftwareName: "x",
      clientSoftwareVersion: "1",
    });
    assert.equal(versions.errorCode, 0);
    assert.ok(!c.isClosed);
    c.close();
    await fake.stop();
  });

  test("a broker that does not know ApiVersions v4 is asked again at its own highest version", async () => {
    const ranges = [
      { apiKey: ApiKey.ApiVersions, minVersion: 0, maxVersion: 2 },
      { apiKey: ApiKey.Metadata, minVersion: 1, maxVersion: 9 },
    ];
    const fake = await FakeBroker.start((r) => {
      if (r.apiKey !== ApiKey.ApiVersions) return undefined;
      if (r.apiVersion > 2)
        return { raw: encodeResponse(r.apiKey, 0, r.correlationId, apiVersionsBody(ranges, 35)) };
      return { body: apiVersionsBody(ranges) };
    });
    const c = await KafkaConnection.connect(options(fake.port));
    assert.deepEqual(
      fake.requests.map((r) => r.apiVersion),
      [4, 2],
    );
    assert.equal(c.negotiatedVersion(ApiKey.Metadata, 12), 9);
    c.close();
    await fake.stop();
  });

  test("connecting fails with BRK_ERR_CLIENT_CONNECT_FAILED: refused, or no ApiVersions answer in time", async () => {
    const closedPort = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, "127.0.0.1", () => {
        const port = (s.address() as { port: number }).port;
        s.close(() => resolve(port));
      });
    });
    await assert.rejects(KafkaConnection.connect(options(closedPort)), isClientError(Code.connectFailed));

    const silent = await FakeBroker.start(() => ({ silent: true }));
    const startMs = performance.now();
    await assert.rejects(KafkaConnection.connect(options(silent.port, { connectTimeoutMs: 200 })), (e) => {
      return isClientError(Code.connectFailed)(e) && isClientError(Code.timeout)((e as Error).cause);
    });
    assert.ok(performance.now() - startMs < 2000);
    await silent.stop();
  });

  test("requests past the in-flight limit are refused", async () => {
    const fake = await FakeBroker.start();
    const c = await KafkaConnection.connect(options(fake.port, { inFlightRequestsMax: 2 }));
    const pending = [c.request(ApiKey.Metadata, 12, allTopics), c.request(ApiKey.Metadata, 12, allTopics)];
    await assert.rejects(c.request(ApiKey.Metadata, 12, allTopics), isClientError(Code.tooManyInFlight));
    c.close();
    for (const p of pending) await assert.rejects(p, isClientError(Code.disconnected));
    await fake.stop();
  });
});
