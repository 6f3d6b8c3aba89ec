import assert from "node:assert/strict";
import { connect, type Socket } from "node:net";
import { after, before, test } from "node:test";
import {
  type AlterClientQuotasResponse,
  ApiKey,
  type ApiVersionsResponse,
  type DescribeClientQuotasResponse,
  ErrorCode,
  encodeRecordBatch,
  type FetchResponse,
  type ProduceResponse,
} from "../../../src/protocol/index.js";
import type { BrookServer } from "../../../src/server/index.js";
import { startBroker } from "../../../src/server/index.js";
import { parsePrometheusText, sampleValue } from "../../console/prometheus-parse.js";
import { WireClient } from "../../helpers/kafka-wire.js";
import { createTopic } from "./broker-harness.js";

/**
 * DescribeClientQuotas and AlterClientQuotas on the wire (v0 and v1), and what the quotas do to
 * clients of an in-process broker: throttle_time_ms in Produce and Fetch answers, the connection
 * muted for it, a request_percentage throttle capped at one window, an IP's connection rate, and
 * max.connections.per.ip, with their /metrics series. Two quota windows of 1 s keep it short.
 */

let server: BrookServer;
let admin: WireClient;

before(async () => {
  server = await startBroker({
    properties: {
      "quota.window.num": "2",
      "console.listeners": "http://127.0.0.1:0",
      "max.connections.per.ip.overrides": "127.0.0.2:2",
    },
  });
  admin = await WireClient.connect(server.port);
});

after(async () => {
  admin?.close();
  await server?.stop();
});

type Entity = { entityType: string; entityName: string | null }[];

async function alterQuotas(
  entries: { entity: Entity; ops: { key: string; value: number; remove: boolean }[] }[],
  options: { validateOnly?: boolean; version?: number } = {},
): Promise<AlterClientQuotasResponse> {
  return admin.request<AlterClientQuotasResponse>(ApiKey.AlterClientQuotas, options.version ?? 1, {
    entries,
    validateOnly: options.validateOnly ?? false,
  });
}

async function describeQuotas(
  components: { entityType: string; matchType: number; match: string | null }[],
  strict = false,
  version = 1,
): Promise<DescribeClientQuotasResponse> {
  return admin.request<DescribeClientQuotasResponse>(ApiKey.DescribeClientQuotas, version, {
    components,
    strict,
  });
}

const set = (key: string, value: number) => ({ key, value, remove: false });
const remove = (key: string) => ({ key, value: 0, remove: true });
const clientEntity = (name: string | null): Entity => [{ entityType: "client-id", entityName: name }];

/** Sends a request with a given client id and returns its decoded response. */
async function requestAs<T>(
  client: WireClient,
  clientId: string,
  apiKey: number,
  version: number,
  body: unknown,
) {
  client.send(apiKey, version, body, clientId);
  return (await client.receive<T>(apiKey, version)).body;
}

test("ApiVersions advertises DescribeClientQuotas and AlterClientQuotas v0-1, as Kafka", async () => {
  const response = await admin.request<ApiVersionsResponse>(ApiKey.ApiVersions, 3, {
    clientSoftwareName: "test",
    clientSoftwareVersion: "1",
  });
  for (const apiKey of [ApiKey.DescribeClientQuotas, ApiKey.AlterClientQuotas]) {
    const range = response.apiKeys.find((k) => k.apiKey === apiKey);
    assert.deepEqual([range?.minVersion, range?.maxVersion], [0, 1]);
  }
});

test("alter then describe, v0 and v1; validateOnly writes nothing; removal clears", async () => {
  for (const version of [0, 1]) {
    const entity: Entity = [
      { entityType: "user", entityName: "ANONYMOUS" },
      { entityType: "client-id", entityName: `app-v${version}` },
    ];
    const checked = await alterQuotas([{ entity, ops: [set("producer_byte_rate", 1024)] }], {
      validateOnly: true,
      version,
    });
    assert.equal(checked.entries[0]?.errorCode, ErrorCode.NONE);
    const match = [{ entityType: "client-id", matchType: 0, match: `app-v${version}` }];
    assert.deepEqual((await describeQuotas(match, false, version)).entries, []);
    const altered = await alterQuotas(
      [{ entity, ops: [set("producer_byte_rate", 1024), set("request_percentage", 50.5)] }],
      { version },
    );
    assert.deepEqual(
      altered.entries.map((e) => [e.errorCode, e.errorMessage]),
      [[ErrorCode.NONE, null]],
    );
    const described = await describeQuotas(match, false, version);
    assert.equal(described.errorCode, ErrorCode.NONE);
    assert.equal(described.entries?.length, 1);
    assert.deepEqual(
      new Map(described.entries?.[0]?.values.map((v) => [v.key, v.value])),
      new Map([
        ["producer_byte_rate", 1024],
        ["request_percentage", 50.5],
      ]),
    );
    // Strict: only entities with exactly the filter's types.
    assert.deepEqual((await describeQuotas(match, true, version)).entries, []);
    await alterQuotas([{ entity, ops: [remove("producer_byte_rate"), remove("request_percentage")] }], {
      version,
    });
    assert.deepEqual((await describeQuotas(match, false, version)).entries, []);
  }
});

test("invalid alterations and filters get INVALID_REQUEST with Kafka's messages, entity by entity", async () => {
  const response = await alterQuotas([
    { entity: clientEntity("ok"), ops: [set("consumer_byte_rate", 10)] },
    { entity: clientEntity("bad"), ops: [set("no_such_quota", 10)] },
    { entity: clientEntity("zero"), ops: [set("producer_byte_rate", 0)] },
  ]);
  assert.deepEqual(
    response.entries.map((e) => [e.entity[0]?.entityName, e.errorCode, e.errorMessage]),
    [
      ["ok", ErrorCode.NONE, null],
      ["bad", ErrorCode.INVALID_REQUEST, "Invalid configuration key no_such_quota"],
      ["zero", ErrorCode.INVALID_REQUEST, "Quota producer_byte_rate must be greater than 0"],
    ],
  );
  const described = await describeQuotas([{ entityType: "client-id", matchType: 0, match: null }]);
  assert.equal(described.errorCode, ErrorCode.INVALID_REQUEST);
  assert.equal(described.errorMessage, "Request specified MATCH_TYPE_EXACT, but set match string to null.");
  assert.equal(described.entries, null);
  await alterQuotas([{ entity: clientEntity("ok"), ops: [remove("consumer_byte_rate")] }]);
});

function batchOf(bytes: number): Buffer {
  return encodeRecordBatch({
    records: [{ key: null, value: Buffer.alloc(bytes, 7) }],
    baseTimestamp: BigInt(Date.now()),
  });
}

async function produceAs(client: WireClient, clientId: string, topic: string, bytes: number) {
  const response = await requestAs<ProduceResponse>(client, clientId, ApiKey.Produce, 9, {
    transactionalId: null,
    acks: 1,
    timeoutMs: 5000,
    topicData: [{ name: topic, partitionData: [{ index: 0, records: batchOf(bytes) }] }],
  });
  assert.equal(response.responses[0]?.partitionResponses[0]?.errorCode, ErrorCode.NONE);
  return response.throttleTimeMs;
}

test("producer_byte_rate: the client over it gets throttle_time_ms and a muted connection; another client id does not", async () => {
  await createTopic(admin, "quota-produce", 1);
  await alterQuotas([{ entity: clientEntity("slow-producer"), ops: [set("producer_byte_rate", 10_000)] }]);
  const slow = await WireClient.connect(server.port);
  const fast = await WireClient.connect(server.port);
  try {
    // 30 KB against 10 KB/s over one window (2 windows of 1 s: the rate divides by at least 1 s).
    const throttleMs = await produceAs(slow, "slow-producer", "quota-produce", 30_000);
    const answeredAt = performance.now();
    assert.ok(throttleMs >= 1500 && throttleMs <= 2200, `throttle ${throttleMs} ms`);
    // The rate as measured now, over the windows.
    const metrics = parsePrometheusText(await (await fetch(`${server.consoleUrl}/metrics`)).text());
    const labels = { resource: "Produce", user: "", clientId: "slow-producer" };
    assert.ok((sampleValue(metrics, "kafka_server_quota_byte_rate", labels) ?? 0) > 10_000);
    assert.ok((sampleValue(metrics, "kafka_server_quota_throttle_time", labels) ?? 0) > 0);
    assert.ok(
      (sampleValue(metrics, "brook_quota_throttled_responses_total", { resource: "Produce" }) ?? 0) >= 1,
    );
    // The answer came at once; the next request is read only after the throttle time.
    await requestAs<ApiVersionsResponse>(slow, "slow-producer", ApiKey.ApiVersions, 0, {});
    const waitedMs = performance.now() - answeredAt;
    assert.ok(waitedMs >= throttleMs - 100, `the muted connection answered after ${waitedMs} ms`);
    for (let i = 0; i < 3; i++)
      assert.equal(await produceAs(fast, "fast-producer", "quota-produce", 30_000), 0);
    // Removed: throttling stops at once.
    await alterQuotas([{ entity: clientEntity("slow-producer"), ops: [remove("producer_byte_rate")] }]);
    assert.equal(await produceAs(slow, "slow-producer", "quota-produce", 30_000), 0);
  } finally {
    slow.close();
    fast.close();
  }
});

function fetchBody(topic: string) {
  return {
    replicaId: -1,
    maxWaitMs: 0,
    minBytes: 0,
    maxBytes: 1 << 20,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [
      {
        topic,
        partitions: [
          {
            partition: 0,
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
  };
}

test("consumer_byte_rate: a fetch over it is answered without records and with throttle_time_ms", async () => {
  await createTopic(admin, "quota-fetch", 1);
  const producer = await WireClient.connect(server.port);
  for (let i = 0; i < 4; i++) await produceAs(producer, "filler", "quota-fetch", 20_000);
  producer.close();
  await alterQuotas([{ entity: clientEntity(null), ops: [set("consumer_byte_rate", 50_000)] }]);
  const consumer = await WireClient.connect(server.port);
  try {
    // The cap: one window of 50 KB/s at most per fetch; the first fetch gets data.
    const first = await requestAs<FetchResponse>(
      consumer,
      "consumer",
      ApiKey.Fetch,
      11,
      fetchBody("quota-fetch"),
    );
    const firstBytes = recordsBytes(first);
    assert.ok(firstBytes > 0 && firstBytes <= 60_000, `first fetch: ${firstBytes} bytes`);
    let throttled: FetchResponse | null = null;
    for (let i = 0; i < 5 && throttled === null; i++) {
      const next = await requestAs<FetchResponse>(
        consumer,
        "consumer",
        ApiKey.Fetch,
        11,
        fetchBody("quota-fetch"),
      );
      if (next.throttleTimeMs > 0) throttled = next;
    }
    assert.ok(throttled !== null, "a fetch was throttled");
    assert.equal(recordsBytes(throttled), 0, "a throttled fetch carries no records");
    assert.deepEqual(throttled.responses, []);
  } finally {
    consumer.close();
    await alterQuotas([{ entity: clientEntity(null), ops: [remove("consumer_byte_rate")] }]);
  }
});

function recordsBytes(response: FetchResponse): number {
  let bytes = 0;
  for (const t of response.responses) for (const p of t.partitions) bytes += p.records?.length ?? 0;
  return bytes;
}

test("request_percentage: a client over it is throttled for at most one window", async () => {
  const entity: Entity = [
    { entityType: "user", entityName: "ANONYMOUS" },
    { entityType: "client-id", entityName: "busy" },
  ];
  await alterQuotas([{ entity, ops: [set("request_percentage", 1e-9)] }]);
  const busy = await WireClient.connect(server.port);
  try {
    const throttles: number[] = [];
    for (let i = 0; i < 2; i++) {
      const r = await requestAs<ApiVersionsResponse>(busy, "busy", ApiKey.ApiVersions, 3, {
        clientSoftwareName: "busy",
        clientSoftwareVersion: "1",
      });
      throttles.push(r.throttleTimeMs);
    }
    assert.ok(
      throttles.some((t) => t > 0),
      `throttles ${throttles}`,
    );
    assert.ok(
      throttles.every((t) => t <= 1000),
      "capped at one window (quota.window.size.seconds)",
    );
  } finally {
    busy.close();
    await alterQuotas([{ entity, ops: [remove("request_percentage")] }]);
  }
});

function openSocket(port: number, localAddress?: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({
      port,
      host: "127.0.0.1",
      ...(localAddress === undefined ? {} : { localAddress }),
    });
    socket.once("connect", () => resolve(socket));
    socket.once("error", reject);
  });
}

function closedWithin(socket: Socket, timeoutMs: number): Promise<number | null> {
  const started = performance.now();
  return new Promise((resolve) => {
    if (socket.destroyed) resolve(0);
    const timer = setTimeout(() => resolve(null), timeoutMs);
    socket.once("close", () => {
      clearTimeout(timer);
      resolve(performance.now() - started);
    });
  });
}

test("max.connections.per.ip.overrides: the excess from the address is closed and counted in /metrics", async () => {
  const sockets: Socket[] = [];
  try {
    for (let i = 0; i < 4; i++) {
      const s = await openSocket(server.port, "127.0.0.2");
      s.on("error", () => {});
      sockets.push(s);
    }
    const closed = await Promise.all(sockets.map((s) => closedWithin(s, 500)));
    assert.deepEqual(
      closed.map((c) => c !== null),
      [false, false, true, true],
    );
    const metrics = parsePrometheusText(await (await fetch(`${server.consoleUrl}/metrics`)).text());
    assert.equal(
      sampleValue(metrics, "brook_network_connections_refused_total", { reason: "max.connections.per.ip" }),
      2,
    );
  } finally {
    for (const s of sockets) s.destroy();
  }
});

test("connection_creation_rate on an IP entity: connections past the rate are closed after the throttle time", async () => {
  const entity: Entity = [{ entityType: "ip", entityName: "127.0.0.3" }];
  const altered = await alterQuotas([{ entity, ops: [set("connection_creation_rate", 2)] }]);
  assert.equal(altered.entries[0]?.errorCode, ErrorCode.NONE);
  const sockets: Socket[] = [];
  try {
    // 2/s over at least one window: the first 2 are accepted, the third is closed after a delay.
    for (let i = 0; i < 3; i++) {
      const s = await openSocket(server.port, "127.0.0.3");
      s.on("error", () => {});
      sockets.push(s);
    }
    const closed = await Promise.all(sockets.map((s) => closedWithin(s, 1500)));
    assert.equal(closed[0], null);
    assert.equal(closed[1], null);
    assert.ok(
      closed[2] !== null && closed[2] !== undefined && closed[2] >= 200,
      `closed after ${closed[2]} ms`,
    );
    const metrics = parsePrometheusText(await (await fetch(`${server.consoleUrl}/metrics`)).text());
    assert.equal(
      sampleValue(metrics, "brook_network_connections_refused_total", { reason: "connection_creation_rate" }),
      1,
    );
  } finally {
    for (const s of sockets) s.destroy();
    await alterQuotas([{ entity, ops: [remove("connection_creation_rate")] }]);
  }
});
