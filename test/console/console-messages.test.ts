import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { Kafka, logLevel } from "kafkajs";
import { AdminClient, Producer, type ProducerOptions } from "../../src/client/index.js";
import { BROWSE_READ_BYTES_MAX, MESSAGES_LIMIT_MAX } from "../../src/console/index.js";
import { CompressionType, decodeRecordBatchHeader, iterateBatches } from "../../src/protocol/index.js";
import { frame, RegistryClient, SchemaSerializer } from "../../src/registry/index.js";
import { type BrookServer, startBroker, startCluster } from "../../src/server/index.js";
import { rawRequest } from "./console-http.js";
import { type FakeElement, runPage } from "./fake-page.js";

/**
 * The console's message browser through HTTP, against an in-process broker with the Schema
 * Registry: records produced with Brook's producer are read back as a user of the API sees them.
 */

interface BytesJson {
  encoding: "utf8" | "base64";
  data: string;
  size: number;
  truncated: boolean;
  schema?: { id: number; type?: string; subject?: string | null; version?: number | null; error?: string };
  decoded?: unknown;
  decodedSize?: number;
}

interface RecordJson {
  partition: number;
  offset: number;
  timestamp: number;
  timestampType: string;
  transactional: boolean;
  aborted?: boolean;
  key: BytesJson | null;
  value: BytesJson | null;
  headers: { key: string; value: BytesJson | null }[];
}

interface PageJson {
  topic: string;
  partition: number | null;
  isolation: string;
  limit: number;
  records: RecordJson[];
  partitions: {
    partition: number;
    logStartOffset: number;
    highWatermark: number;
    lastStableOffset: number;
    startOffset: number;
    nextOffset: number;
    records: number;
    clamped: string | null;
  }[];
  unavailable: { partition: number; leader: number; message: string }[];
  bytesRead: number;
  truncated: boolean;
  notes: string[];
}

/** Every record of ORDERS' partition 0 is one second after the one before it, from T0. */
const T0 = 1_700_000_000_000;
const ORDERS = "orders";
const ORDERS_P0 = 30;

let server: BrookServer;
let url: string;
let admin: AdminClient;

before(async () => {
  server = await startBroker({ console: true, registry: true });
  url = server.consoleUrl as string;
  admin = new AdminClient({ bootstrap: server.bootstrap, timeoutMs: 10_000 });
  await admin.createTopics([
    { name: ORDERS, numPartitions: 3 },
    { name: "binary", numPartitions: 1 },
    { name: "trimmed", numPartitions: 1 },
    { name: "zipped", numPartitions: 1 },
    { name: "txn", numPartitions: 1 },
    { name: "payments", numPartitions: 1 },
    { name: "big", numPartitions: 1 },
  ]);
  await produce({}, async (p) => {
    for (let i = 0; i < ORDERS_P0; i++)
      await p.send({
        topic: ORDERS,
        partition: 0,
        key: `k${i}`,
        value: `order ${i}`,
        timestamp: T0 + i * 1000,
      });
    // Partition 1's records fall between partition 0's: at T0 + 500, + 10500, + 20500, + 29500.
    for (const [i, at] of [500, 10_500, 20_500, 29_500].entries())
      await p.send({ topic: ORDERS, partition: 1, key: `p1-${i}`, value: `late ${i}`, timestamp: T0 + at });
  });
});

after(async () => {
  admin?.close();
  await server?.stop();
});

/** Runs `body` with a producer of these options, then closes it. */
async function produce(
  options: Partial<ProducerOptions>,
  body: (p: Producer) => Promise<void>,
): Promise<void> {
  const producer = new Producer({ bootstrap: server.bootstrap, lingerMs: 0, ...options });
  try {
    await body(producer);
    await producer.flush();
  } finally {
    await producer.close();
  }
}

async function browse(topic: string, query: string): Promise<PageJson> {
  const res = await rawRequest(url, `/api/topics/${encodeURIComponent(topic)}/messages?${query}`);
  assert.equal(res.status, 200, `${topic}?${query}: ${res.body}`);
  return JSON.parse(res.body) as PageJson;
}

const offsets = (page: PageJson) => page.records.map((r) => r.offset);
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

test("a partition reads from an offset, a page at a time, with keys, values and CreateTime", async () => {
  const first = await browse(ORDERS, "partition=0&offset=0&limit=10");
  assert.deepEqual(offsets(first), range(0, 10));
  const r3 = first.records[3] as RecordJson;
  assert.deepEqual(
    { key: r3.key?.data, value: r3.value?.data, encoding: r3.value?.encoding, size: r3.value?.size },
    { key: "k3", value: "order 3", encoding: "utf8", size: 7 },
  );
  assert.equal(r3.timestamp, T0 + 3000);
  assert.equal(r3.timestampType, "CreateTime");
  assert.equal(r3.partition, 0);
  assert.deepEqual(r3.headers, []);
  assert.equal(first.partitions[0]?.nextOffset, 10);
  assert.equal(first.partitions[0]?.highWatermark, ORDERS_P0);

  const second = await browse(ORDERS, `partition=0&offset=${first.partitions[0]?.nextOffset}&limit=10`);
  assert.deepEqual(offsets(second), range(10, 20));
  const last = await browse(ORDERS, "partition=0&offset=25&limit=10");
  assert.deepEqual(offsets(last), range(25, 30), "the last page holds what is left");
  assert.equal(last.partitions[0]?.nextOffset, ORDERS_P0);
  assert.equal(last.truncated, false);
});

test("earliest, latest and timestamp starts; the default is the latest 50", async () => {
  assert.deepEqual(offsets(await browse(ORDERS, "partition=0&offset=earliest&limit=4")), range(0, 4));
  assert.deepEqual(offsets(await browse(ORDERS, "partition=0&offset=latest&limit=4")), range(26, 30));
  const byDefault = await browse(ORDERS, "partition=0");
  assert.equal(byDefault.limit, 50);
  assert.deepEqual(offsets(byDefault), range(0, 30));
  // The first record at or after T0 + 12.5 s is offset 13 (T0 + 13 s).
  const fromTime = await browse(ORDERS, `partition=0&timestamp=${T0 + 12_500}&limit=3`);
  assert.deepEqual(offsets(fromTime), [13, 14, 15]);
  assert.equal(fromTime.partitions[0]?.startOffset, 13);
  const exact = await browse(ORDERS, `partition=0&timestamp=${T0 + 20_000}&limit=1`);
  assert.deepEqual(offsets(exact), [20]);
  const future = await browse(ORDERS, `partition=0&timestamp=${T0 + 3_600_000}`);
  assert.deepEqual(future.records, []);
  assert.match(future.notes.join("\n"), /no record at or after timestamp/);
});

test("without a partition: the latest of every partition merged by timestamp", async () => {
  const latest = await browse(ORDERS, "limit=6");
  assert.equal(latest.partition, null);
  assert.deepEqual(
    latest.records.map((r) => `${r.partition}:${r.offset}`),
    ["0:25", "0:26", "0:27", "0:28", "0:29", "1:3"].sort((a, b) => ts(a) - ts(b)),
  );
  const times = latest.records.map((r) => r.timestamp);
  assert.deepEqual(
    times,
    [...times].sort((a, b) => a - b),
    "ordered by timestamp",
  );
  assert.deepEqual(
    latest.partitions.map((p) => [p.partition, p.records]),
    [
      [0, 5],
      [1, 1],
      [2, 0],
    ],
  );
  const fromTime = await browse(ORDERS, `timestamp=${T0 + 10_000}&limit=4`);
  assert.deepEqual(
    fromTime.records.map((r) => `${r.partition}:${r.offset}`),
    ["0:10", "1:1", "0:11", "0:12"],
  );
  const future = await browse(ORDERS, `timestamp=${T0 + 3_600_000}`);
  assert.deepEqual(future.records, []);
  assert.deepEqual(future.notes, [`no partition read has a record at or after timestamp ${T0 + 3_600_000}`]);
  const earliest = await browse(ORDERS, "offset=earliest&limit=3");
  assert.deepEqual(
    earliest.records.map((r) => `${r.partition}:${r.offset}`),
    ["0:0", "1:0", "0:1"],
  );
});

/** The timestamp of "partition:offset" in ORDERS, for the expected merge order. */
function ts(id: string): number {
  const [p, o] = id.split(":").map(Number) as [number, number];
  return p === 0 ? T0 + o * 1000 : T0 + ([500, 10_500, 20_500, 29_500][o] as number);
}

test("a LogAppendTime topic's records carry the broker's time, and say so", async () => {
  await admin.createTopics([
    { name: "appended", numPartitions: 1, configs: { "message.timestamp.type": "LogAppendTime" } },
  ]);
  const before = Date.now();
  await produce({}, (p) =>
    p.send({ topic: "appended", partition: 0, value: "x", timestamp: T0 }).then(() => {}),
  );
  const [record] = (await browse("appended", "partition=0&offset=earliest")).records;
  assert.equal(record?.timestampType, "LogAppendTime");
  assert.ok(
    (record?.timestamp ?? 0) >= before,
    `${record?.timestamp} is the broker's time, not the producer's`,
  );
});

test("offsets outside the log are clamped to its start and end, and the answer says so", async () => {
  const kafka = new Kafka({ brokers: [server.bootstrap], logLevel: logLevel.NOTHING });
  const kadmin = kafka.admin();
  await kadmin.connect();
  try {
    await produce({}, async (p) => {
      for (let i = 0; i < 10; i++) await p.send({ topic: "trimmed", partition: 0, value: `filler ${i}` });
    });
    await kadmin.fetchTopicMetadata({ topics: ["trimmed"] });
    await kadmin.deleteTopicRecords({ topic: "trimmed", partitions: [{ partition: 0, offset: "4" }] });
  } finally {
    await kadmin.disconnect();
  }
  const before = await browse("trimmed", "partition=0&offset=1&limit=2");
  assert.deepEqual(offsets(before), [4, 5]);
  assert.equal(before.partitions[0]?.clamped, "logStart");
  assert.equal(before.partitions[0]?.logStartOffset, 4);
  assert.match(before.notes.join("\n"), /offset 1 is before partition 0's log start: reading from 4/);

  const past = await browse("trimmed", "partition=0&offset=900");
  assert.deepEqual(past.records, []);
  assert.equal(past.partitions[0]?.clamped, "end");
  assert.equal(past.partitions[0]?.startOffset, 10);
  assert.match(past.notes.join("\n"), /offset 900 is past partition 0's end \(its high watermark, 10\)/);
});

test("binary bytes come as base64, text as UTF-8, headers with both, long values cut", async () => {
  const long = "é".repeat(3000); // 6000 bytes of two-byte characters
  await produce({}, async (p) => {
    await p.send({
      topic: "binary",
      partition: 0,
      key: Buffer.from([0xff, 0x00, 0xfe]),
      value: Buffer.from([0xc3, 0x28, 0x01, 0x02]),
      headers: [
        { key: "trace-id", value: "abc-123" },
        { key: "raw", value: Buffer.from([0x80, 0x81]) },
        { key: "empty", value: null },
      ],
    });
    await p.send({ topic: "binary", partition: 0, key: null, value: long });
  });
  const page = await browse("binary", "partition=0&offset=earliest&maxValueBytes=1001");
  const [bin, text] = page.records as [RecordJson, RecordJson];
  assert.deepEqual(bin.key, { encoding: "base64", data: "/wD+", size: 3, truncated: false });
  assert.deepEqual(bin.value, { encoding: "base64", data: "wygBAg==", size: 4, truncated: false });
  assert.deepEqual(bin.headers, [
    { key: "trace-id", value: { encoding: "utf8", data: "abc-123", size: 7, truncated: false } },
    { key: "raw", value: { encoding: "base64", data: "gIE=", size: 2, truncated: false } },
    { key: "empty", value: null },
  ]);
  assert.equal(text.key, null);
  assert.equal(text.value?.encoding, "utf8");
  assert.equal(text.value?.size, 6000);
  assert.equal(text.value?.truncated, true);
  // 1001 bytes would split the 501st character: 500 whole ones are shown.
  assert.equal(text.value?.data, "é".repeat(500));
  const whole = await browse("binary", "partition=0&offset=1&maxValueBytes=6000");
  assert.equal(whole.records[0]?.value?.data, long);
  assert.equal(whole.records[0]?.value?.truncated, false);
});

test("a gzip batch is read record by record", async () => {
  await produce({ compression: "gzip", lingerMs: 50 }, async (p) => {
    await Promise.all(
      range(0, 20).map((i) =>
        p.send({ topic: "zipped", partition: 0, key: `z${i}`, value: `zipped value ${i}` }),
      ),
    );
  });
  const log = server.broker.replicaManager.get("zipped", 0)?.log;
  assert.ok(log !== undefined);
  const stored = log.read({ fetchOffset: 0n, maxBytes: 1 << 20 }).records[0] as Buffer;
  const compressions = [...iterateBatches(stored)].map(
    (b) => decodeRecordBatchHeader(stored, b.at).compression,
  );
  assert.ok(compressions.length < 20, `the producer batched the records (${compressions.length} batches)`);
  assert.ok(compressions.every((c) => c === CompressionType.gzip));
  const page = await browse("zipped", "partition=0&offset=earliest&limit=100");
  assert.deepEqual(offsets(page), range(0, 20));
  assert.deepEqual(
    page.records.map((r) => r.value?.data),
    range(0, 20).map((i) => `zipped value ${i}`),
  );
  const middle = await browse("zipped", "partition=0&offset=7&limit=3");
  assert.deepEqual(
    middle.records.map((r) => r.key?.data),
    ["z7", "z8", "z9"],
    "a start inside a batch skips its records before the offset",
  );
});

test("read_committed hides an aborted transaction and stops at an open one; markers never show", async () => {
  const producer = new Producer({ bootstrap: server.bootstrap, transactionalId: "browser-txn", lingerMs: 0 });
  try {
    await producer.initTransactions();
    producer.beginTransaction();
    await Promise.all(
      [1, 2, 3].map((i) => producer.send({ topic: "txn", partition: 0, value: `aborted ${i}` })),
    );
    await producer.abortTransaction();
    producer.beginTransaction();
    await Promise.all(
      [1, 2].map((i) => producer.send({ topic: "txn", partition: 0, value: `committed ${i}` })),
    );
    await producer.commitTransaction();
    // Offsets: 0-2 aborted, 3 the abort marker, 4-5 committed, 6 the commit marker.
    const uncommitted = await browse("txn", "partition=0&offset=earliest&isolation=read_uncommitted");
    assert.deepEqual(offsets(uncommitted), [0, 1, 2, 4, 5]);
    assert.deepEqual(
      uncommitted.records.map((r) => [r.value?.data, r.transactional, r.aborted ?? false]),
      [
        ["aborted 1", true, true],
        ["aborted 2", true, true],
        ["aborted 3", true, true],
        ["committed 1", true, false],
        ["committed 2", true, false],
      ],
    );
    const committed = await browse("txn", "partition=0&offset=earliest&isolation=read_committed");
    assert.equal(committed.isolation, "read_committed");
    assert.deepEqual(
      committed.records.map((r) => r.value?.data),
      ["committed 1", "committed 2"],
    );
    assert.equal(committed.partitions[0]?.nextOffset, 7, "the next page starts past the commit marker");

    producer.beginTransaction();
    await producer.send({ topic: "txn", partition: 0, value: "open" });
    const open = await browse("txn", "partition=0&offset=4&isolation=read_committed");
    assert.deepEqual(
      open.records.map((r) => r.value?.data),
      ["committed 1", "committed 2"],
    );
    assert.equal(open.partitions[0]?.lastStableOffset, 7);
    assert.equal(open.partitions[0]?.highWatermark, 8);
    const dirty = await browse("txn", "partition=0&offset=4");
    assert.deepEqual(
      dirty.records.map((r) => r.value?.data),
      ["committed 1", "committed 2", "open"],
    );
    await producer.abortTransaction();
  } finally {
    await producer.close();
  }
});

test("an Avro value registered through the registry is decoded to JSON with its subject", async () => {
  const registry = new RegistryClient({ url: server.registryUrl as string });
  const schema = {
    type: "record",
    name: "Payment",
    namespace: "com.acme",
    fields: [
      { name: "id", type: "string" },
      { name: "cents", type: "long" },
      { name: "tags", type: { type: "array", items: "string" } },
      { name: "note", type: ["null", "string"], default: null },
      { name: "raw", type: "bytes" },
    ],
  };
  const serializer = new SchemaSerializer({
    client: registry,
    schema: { schema: JSON.stringify(schema), schemaType: "AVRO" },
  });
  const value = await serializer.serialize("payments", {
    id: "p-1",
    cents: 4200,
    tags: ["card", "eu"],
    note: null,
    raw: Buffer.from([1, 2, 3]),
  });
  const id = value.readInt32BE(1);
  await produce({}, async (p) => {
    await p.send({ topic: "payments", partition: 0, key: "p-1", value });
    // Framed with an id the registry never gave out.
    await p.send({ topic: "payments", partition: 0, key: "p-2", value: frame(987_654, Buffer.from([2, 0])) });
  });
  const page = await browse("payments", "partition=0&offset=earliest");
  const [avro, unknown] = page.records as [RecordJson, RecordJson];
  assert.deepEqual(avro.value?.schema, { id, type: "AVRO", subject: "payments-value", version: 1 });
  assert.deepEqual(avro.value?.decoded, {
    id: "p-1",
    cents: 4200,
    tags: ["card", "eu"],
    note: null,
    raw: Buffer.from([1, 2, 3]).toString("base64"),
  });
  assert.equal(avro.value?.size, value.length);
  assert.equal(avro.key?.schema, undefined, "a text key is no wire format");
  assert.deepEqual(unknown.value?.schema, {
    id: 987_654,
    error: "schema id 987654 is not in the Schema Registry",
  });
  assert.equal(unknown.value?.decoded, undefined);

  const small = await browse("payments", "partition=0&offset=0&maxValueBytes=10");
  assert.equal(
    small.records[0]?.value?.decoded,
    undefined,
    "a decoded value longer than maxValueBytes is left out",
  );
  assert.ok((small.records[0]?.value?.decodedSize ?? 0) > 10);
});

test("Protobuf and JSON Schema values are decoded too", async () => {
  const registry = new RegistryClient({ url: server.registryUrl as string });
  const serializer = new SchemaSerializer({
    client: registry,
    schema: {
      schemaType: "PROTOBUF",
      schema: 'syntax = "proto3"; package acme; message Reading { string sensor = 1; int64 micros = 2; }',
    },
  });
  const value = await serializer.serialize("readings", { sensor: "t-1", micros: "9007199254740993" });
  await admin.createTopics([{ name: "readings", numPartitions: 1 }]);
  await produce({}, (p) => p.send({ topic: "readings", partition: 0, value }).then(() => {}));
  const page = await browse("readings", "partition=0&offset=earliest");
  assert.equal(page.records[0]?.value?.schema?.type, "PROTOBUF");
  assert.equal(page.records[0]?.value?.schema?.subject, "readings-value");
  assert.deepEqual(page.records[0]?.value?.decoded, { sensor: "t-1", micros: "9007199254740993" });

  const json = new SchemaSerializer({
    client: registry,
    schema: {
      schemaType: "JSON",
      schema: JSON.stringify({ type: "object", properties: { sensor: { type: "string" } } }),
    },
  });
  await admin.createTopics([{ name: "readings-json", numPartitions: 1 }]);
  const framedJson = await json.serialize("readings-json", { sensor: "t-2" });
  await produce({}, (p) =>
    p.send({ topic: "readings-json", partition: 0, value: framedJson }).then(() => {}),
  );
  const [fromJson] = (await browse("readings-json", "partition=0&offset=earliest")).records;
  assert.equal(fromJson?.value?.schema?.type, "JSON");
  assert.equal(fromJson?.value?.schema?.subject, "readings-json-value");
  assert.deepEqual(fromJson?.value?.decoded, { sensor: "t-2" });
});

test("a read stops at the request's byte budget and says where to go on", async () => {
  const record = 900 * 1024;
  const count = Math.ceil((2 * BROWSE_READ_BYTES_MAX) / record);
  await produce({}, async (p) => {
    for (let i = 0; i < count; i++)
      await p.send({ topic: "big", partition: 0, value: Buffer.alloc(record, 0x61 + (i % 26)) });
  });
  const page = await browse("big", "partition=0&offset=earliest&limit=100&maxValueBytes=16");
  assert.equal(page.truncated, true);
  assert.ok(page.records.length >= 4 && page.records.length < count, `${page.records.length} records`);
  assert.ok(page.bytesRead <= BROWSE_READ_BYTES_MAX + record + 1024, `${page.bytesRead} bytes read`);
  assert.equal(page.partitions[0]?.nextOffset, page.records.length);
  assert.match(page.notes.join("\n"), /byte budget/);
  assert.equal(page.records[0]?.value?.data, "a".repeat(16));
  assert.equal(page.records[0]?.value?.size, record);
  // The latest records are found from the end, however large they are.
  const latest = await browse("big", "partition=0&limit=100&maxValueBytes=16");
  assert.equal(latest.records.at(-1)?.offset, count - 1);
  assert.equal(latest.partitions[0]?.nextOffset, count);
  assert.equal(latest.truncated, false, "a read that reached the end is whole");
});

test("limits are capped; bad parameters get 400, unknown topics and partitions 404", async () => {
  const capped = await browse(ORDERS, "partition=0&limit=100000");
  assert.equal(capped.limit, MESSAGES_LIMIT_MAX);
  assert.match(capped.notes.join("\n"), /limit 100000 is above the most one answer holds: 500 given/);

  const expect = async (path: string, status: number, message: RegExp) => {
    const res = await rawRequest(url, path);
    assert.equal(res.status, status, `${path}: ${res.body}`);
    const body = JSON.parse(res.body) as { error_code: number; message: string };
    assert.equal(body.error_code, status);
    assert.match(body.message, message);
  };
  const base = `/api/topics/${ORDERS}/messages`;
  await expect(`${base}?limit=0`, 400, /'limit' must be at least 1/);
  await expect(
    `${base}?partition=0&offset=abc`,
    400,
    /'offset' must be 'earliest', 'latest' or a non-negative integer, not 'abc'/,
  );
  await expect(`${base}?partition=-1`, 400, /'partition' must be a non-negative integer/);
  await expect(`${base}?offset=5`, 400, /an 'offset' needs a 'partition'/);
  await expect(`${base}?partition=0&offset=1&timestamp=5`, 400, /either 'offset' or 'timestamp'/);
  await expect(
    `${base}?isolation=serializable`,
    400,
    /'isolation' must be read_committed or read_uncommitted/,
  );
  await expect(`${base}?partiton=0`, 400, /unknown parameter 'partiton'/);
  await expect(`${base}?limit=1&limit=2`, 400, /'limit' is given more than once/);
  await expect(`${base}?maxValueBytes=99999999`, 400, /'maxValueBytes' must be at most 1048576/);
  await expect(`${base}?offset=99999999999999999999`, 400, /non-negative integer/);
  await expect(`${base}?partition=3`, 404, /Partition 3 of topic 'orders' not found: it has 3/);
  await expect("/api/topics/nope/messages", 404, /Topic 'nope' not found/);
  const api = JSON.parse((await rawRequest(url, "/api")).body) as { endpoints: string[] };
  assert.ok(api.endpoints.includes("/api/topics/{name}/messages"));
});

test("in a cluster, a node browses the partitions it leads and names the leader of the others", async () => {
  const cluster = await startCluster({ nodes: 2, console: true });
  const clusterAdmin = new AdminClient({ bootstrap: cluster.bootstrap, timeoutMs: 10_000 });
  try {
    // Partition 0 led by node 1, partition 1 by node 2, each followed by the other node.
    const [created] = await clusterAdmin.createTopics([
      {
        name: "spread",
        assignments: [
          [1, 2],
          [2, 1],
        ],
      },
    ]);
    assert.equal(created?.errorCode, 0, created?.errorMessage ?? "");
    const node1 = cluster.node(1)?.consoleUrl as string;
    const node2 = cluster.node(2)?.consoleUrl as string;
    // Each node learns of the topic when its metadata image catches up.
    for (const node of [node1, node2]) {
      for (let tries = 0; ; tries++) {
        const res = await rawRequest(node, "/api/topics/spread");
        if (res.status === 200 && (JSON.parse(res.body) as { partitionCount: number }).partitionCount === 2)
          break;
        assert.ok(tries < 100, `node at ${node} never saw the topic`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
    const producer = new Producer({ bootstrap: cluster.bootstrap, lingerMs: 0 });
    try {
      await producer.send({ topic: "spread", partition: 0, value: "on one" });
      await producer.send({ topic: "spread", partition: 1, value: "on two" });
    } finally {
      await producer.close();
    }
    const onLeader = await rawRequest(node2, "/api/topics/spread/messages?partition=1&offset=earliest");
    assert.equal(onLeader.status, 200);
    assert.deepEqual(
      (JSON.parse(onLeader.body) as PageJson).records.map((r) => r.value?.data),
      ["on two"],
    );
    const onFollower = await rawRequest(node1, "/api/topics/spread/messages?partition=1&offset=earliest");
    assert.equal(onFollower.status, 409, onFollower.body);
    const refusal = JSON.parse(onFollower.body) as { error_code: number; message: string; leader: number };
    assert.equal(refusal.leader, 2);
    assert.match(
      refusal.message,
      /partition 1 of topic 'spread' is led by broker 2 \(127\.0\.0\.1:\d+\), not this node \(1\)/,
    );
    const merged = await rawRequest(node1, "/api/topics/spread/messages?offset=earliest");
    assert.equal(merged.status, 200);
    const page = JSON.parse(merged.body) as PageJson;
    assert.deepEqual(
      page.records.map((r) => r.value?.data),
      ["on one"],
    );
    assert.deepEqual(
      page.unavailable.map((u) => [u.partition, u.leader]),
      [[1, 2]],
    );
  } finally {
    clusterAdmin.close();
    await cluster.stop();
  }
});

/** The text of each cell of the records table's record rows. */
function tableRows(main: FakeElement): string[][] {
  return main.querySelectorAll("tr.record").map((row) => row.children.map((cell) => cell.textContent));
}

test("the topic's Messages tab: a page of records, a click shows one whole, the form and pager move", async () => {
  const registry = new RegistryClient({ url: server.registryUrl as string });
  await admin.createTopics([{ name: "page-avro", numPartitions: 1 }]);
  const serializer = new SchemaSerializer({
    client: registry,
    schema: {
      schemaType: "AVRO",
      schema: JSON.stringify({
        type: "record",
        name: "Shipment",
        fields: [
          { name: "id", type: "string" },
          { name: "kilos", type: "int" },
        ],
      }),
    },
  });
  const avro = await serializer.serialize("page-avro", { id: "s-9", kilos: 12 });
  await produce({}, async (p) => {
    await p.send({
      topic: "page-avro",
      partition: 0,
      key: "s-9",
      value: avro,
      headers: [{ key: "origin", value: "dock 4" }],
    });
    await p.send({
      topic: "page-avro",
      partition: 0,
      key: "plain",
      value: '{"note":"not framed","n":[1,2]}',
    });
  });
  const script = await (await fetch(`${url}/app.js`)).text();
  const page = runPage(script, url, "#/topics/orders/messages?partition=0&offset=earliest&limit=5");
  try {
    let renders = await page.rendered(0);
    const { main } = page;
    assert.equal(main.querySelector("nav.tabs a.active")?.textContent, "Messages");
    assert.equal(main.querySelector("select")?.value, "0", "the partition chosen in the link");
    const rows = tableRows(main);
    assert.deepEqual(
      rows.map((r) => [r[0], r[1], r[3], r[4], r[5]]),
      range(0, 5).map((i) => [String(i), "0", `k${i}`, `order ${i}`, "0"]),
    );
    assert.equal(rows[0]?.[2], new Date(T0).toLocaleString());
    assert.equal(page.pendingTimers(), 0, "the browser is not refreshed under the reader");

    main.querySelectorAll("tr.record")[1]?.dispatch("click");
    const detail = main.querySelector("tr.record-detail");
    assert.ok(detail !== null, "a click opens the record");
    assert.match(detail.textContent, /Partition 0, offset 1 · 2023-11-14T22:13:21\.000Z \(CreateTime\)/);
    assert.deepEqual(
      detail.querySelectorAll("pre").map((e) => e.textContent),
      ["k1", "order 1"],
    );
    main.querySelectorAll("tr.record")[1]?.dispatch("click");
    assert.equal(main.querySelector("tr.record-detail"), null, "a second click closes it");

    const form = main.querySelector("form.browse") as FakeElement;
    const [, start] = form.querySelectorAll("select");
    (start as FakeElement).value = "offset";
    (start as FakeElement).dispatch("change");
    const offset = form.querySelector("input.offset") as FakeElement;
    assert.equal(offset.hidden, false, "choosing Offset shows its field");
    offset.value = "27";
    form.dispatch("submit");
    renders = await page.rendered(renders);
    assert.equal(page.hash, "#/topics/orders/messages?partition=0&offset=27&limit=5");
    assert.deepEqual(
      tableRows(main).map((r) => r[0]),
      ["27", "28", "29"],
    );
    const pager = main.querySelector("p.pager") as FakeElement;
    assert.deepEqual(
      pager.querySelectorAll("a").map((a) => [a.textContent, a.getAttribute("href")]),
      [["← Older", "#/topics/orders/messages?partition=0&offset=22&limit=5"]],
      "no newer page at the end",
    );

    page.setHash("#/topics/page-avro/messages?partition=0&offset=earliest");
    renders = await page.rendered(renders);
    const [framed, plain] = tableRows(main) as [string[], string[]];
    assert.equal(framed[4], 'AVRO {"id":"s-9","kilos":12}');
    assert.equal(framed[5], "1");
    main.querySelectorAll("tr.record")[0]?.dispatch("click");
    const avroDetail = main.querySelector("tr.record-detail") as FakeElement;
    const id = avro.readInt32BE(1);
    assert.match(
      avroDetail.textContent,
      new RegExp(`Schema id ${id}, AVRO, subject page-avro-value version 1`),
    );
    assert.equal(avroDetail.querySelectorAll("pre")[1]?.textContent, '{\n  "id": "s-9",\n  "kilos": 12\n}');
    assert.deepEqual(
      avroDetail.querySelectorAll("code").map((c) => c.textContent),
      ["origin", "dock 4"],
    );
    assert.equal(plain[4], '{"note":"not framed","n":[1,2]}');
    main.querySelectorAll("tr.record")[1]?.dispatch("click");
    const textDetail = main.querySelectorAll("tr.record-detail").at(-1) as FakeElement;
    assert.equal(
      textDetail.querySelectorAll("pre")[1]?.textContent,
      '{\n  "note": "not framed",\n  "n": [\n    1,\n    2\n  ]\n}',
    );

    page.setHash("#/topics/orders/messages?offset=5");
    await page.rendered(renders);
    assert.match(main.querySelector("p.error-box")?.textContent ?? "", /an 'offset' needs a 'partition'/);
    assert.ok(main.querySelector("form.browse") !== null, "the form stays to correct the query");
  } finally {
    page.close();
  }
});
