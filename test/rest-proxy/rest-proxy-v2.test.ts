import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { AdminClient, Consumer, Producer } from "../../src/client/index.js";
import { type BrookServer, startBroker } from "../../src/server/index.js";
import { assertError, post, type RestAnswer, rest, V2, V2_AVRO, V2_BINARY, V2_JSON } from "./rest-http.js";

/**
 * API v2 over HTTP against an in-process broker with the Schema Registry and the REST Proxy:
 * every resource with the bodies, status codes and error codes of Confluent's documentation and
 * kafka-rest's Errors.java. Topics are not auto-created here, so that a missing one is an error.
 */

let server: BrookServer;
let base: string;
let admin: AdminClient;

before(async () => {
  server = await startBroker({
    registry: true,
    restProxy: true,
    properties: { "auto.create.topics.enable": "false", "rest.proxy.consumer.instances.max": "6" },
  });
  base = server.restProxyUrl as string;
  admin = new AdminClient({ bootstrap: server.bootstrap });
  const created = await admin.createTopics([
    { name: "orders", numPartitions: 2, replicationFactor: 1, configs: { "cleanup.policy": "delete" } },
    { name: "avro-users", numPartitions: 1, replicationFactor: 1 },
    { name: "events", numPartitions: 1, replicationFactor: 1 },
    { name: "shared", numPartitions: 2, replicationFactor: 1 },
    { name: "proto-orders", numPartitions: 1, replicationFactor: 1 },
    { name: "json-things", numPartitions: 1, replicationFactor: 1 },
  ]);
  assert.ok(created.every((c) => c.errorCode === 0));
});

after(async () => {
  admin.close();
  await server.stop();
});

const b64 = (text: string) => Buffer.from(text).toString("base64");

describe("metadata", () => {
  test("GET /topics lists the topics (internal ones left out); GET / answers {}", async () => {
    const answer = await rest(base, "/topics");
    assert.equal(answer.status, 200);
    assert.equal(answer.headers["content-type"], V2);
    const topics = answer.json as string[];
    for (const t of ["avro-users", "events", "orders", "shared"]) assert.ok(topics.includes(t), t);
    assert.ok(!topics.some((t) => t.startsWith("__")));
    assert.deepEqual((await rest(base, "/")).json, {});
  });

  test("GET /topics/{topic}: name, every config, partitions with leader and replicas", async () => {
    const answer = await rest(base, "/topics/orders", { headers: { accept: V2 } });
    assert.equal(answer.status, 200);
    const topic = answer.json as {
      name: string;
      configs: Record<string, string>;
      partitions: {
        partition: number;
        leader: number;
        replicas: { broker: number; leader: boolean; in_sync: boolean }[];
      }[];
    };
    assert.equal(topic.name, "orders");
    assert.equal(topic.configs["cleanup.policy"], "delete");
    assert.equal(topic.configs["retention.ms"], "604800000");
    assert.deepEqual(topic.partitions, [
      { partition: 0, leader: 1, replicas: [{ broker: 1, leader: true, in_sync: true }] },
      { partition: 1, leader: 1, replicas: [{ broker: 1, leader: true, in_sync: true }] },
    ]);
    assertError(await rest(base, "/topics/nope"), 404, 40401, "Topic not found.");
  });

  test("partitions: list, one, its offsets; a partition that does not exist is 40402", async () => {
    const list = await rest(base, "/topics/orders/partitions");
    assert.equal((list.json as unknown[]).length, 2);
    const one = await rest(base, "/topics/orders/partitions/1");
    assert.deepEqual(one.json, {
      partition: 1,
      leader: 1,
      replicas: [{ broker: 1, leader: true, in_sync: true }],
    });
    assertError(await rest(base, "/topics/orders/partitions/7"), 404, 40402, "Partition not found.");
    assertError(await rest(base, "/topics/orders/partitions/x"), 404, 404, "HTTP 404 Not Found");
    assertError(await rest(base, "/topics/nope/partitions"), 404, 40401);
    const producer = new Producer({ bootstrap: server.bootstrap });
    for (let i = 0; i < 3; i++) await producer.send({ topic: "events", value: `e${i}` });
    await producer.close();
    const offsets = await rest(base, "/topics/events/partitions/0/offsets");
    assert.deepEqual(offsets.json, { beginning_offset: 0, end_offset: 3 });
  });

  test("GET /brokers", async () => {
    assert.deepEqual((await rest(base, "/brokers")).json, { brokers: [1] });
  });

  test("unknown paths 404, unknown methods 405, Accept that admits nothing 406", async () => {
    assertError(await rest(base, "/nothing/here"), 404, 404, "HTTP 404 Not Found");
    assertError(await rest(base, "/topics", { method: "DELETE" }), 405, 405, "HTTP 405 Method Not Allowed");
    assertError(
      await rest(base, "/topics", { headers: { accept: "text/html" } }),
      406,
      406,
      "HTTP 406 Not Acceptable",
    );
  });
});

describe("produce", () => {
  test("binary: base64 keys and values; the answer has each record's partition and offset", async () => {
    const answer = await post(base, "/topics/orders", V2_BINARY, {
      records: [
        { key: b64("k1"), value: b64("v1") },
        { value: b64("v2"), partition: 1 },
        { key: b64("k3"), value: null },
      ],
    });
    assert.equal(answer.status, 200, answer.text);
    assert.equal(answer.headers["content-type"], V2);
    const body = answer.json as {
      offsets: { partition: number; offset: number; error_code: null; error: null }[];
      key_schema_id: null;
      value_schema_id: null;
    };
    assert.deepEqual(Object.keys(body), ["offsets", "key_schema_id", "value_schema_id"]);
    assert.equal(body.key_schema_id, null);
    assert.equal(body.offsets[1]?.partition, 1);
    for (const o of body.offsets) {
      assert.deepEqual(Object.keys(o), ["partition", "offset", "error_code", "error"]);
      assert.equal(o.error_code, null);
    }
    const consumer = new Consumer({ bootstrap: server.bootstrap });
    consumer.assign([
      { topic: "orders", partition: 0, offset: 0n },
      { topic: "orders", partition: 1, offset: 0n },
    ]);
    const records = [];
    while (records.length < 3) records.push(...(await consumer.poll(1000)));
    await consumer.close();
    const byValue = new Map(records.map((r) => [r.value?.toString() ?? "null", r]));
    assert.equal(byValue.get("v1")?.key?.toString(), "k1");
    assert.equal(byValue.get("v2")?.partition, 1);
    assert.equal(byValue.get("null")?.key?.toString(), "k3");
  });

  test("no Content-Type is binary; application/json too (Confluent's documented leniency)", async () => {
    const plain = await rest(base, "/topics/events", {
      method: "POST",
      body: { records: [{ value: b64("x") }] },
    });
    assert.equal(plain.status, 200, plain.text);
    const json = await post(base, "/topics/events", "application/json", { records: [{ value: b64("y") }] });
    assert.equal(json.status, 200, json.text);
  });

  test("json: any JSON value, serialized as JSON text", async () => {
    const answer = await post(base, "/topics/events", V2_JSON, {
      records: [{ key: "somekey", value: { foo: "bar", n: [1, 2] } }, { value: 53.5 }],
    });
    assert.equal(answer.status, 200, answer.text);
    const [first] = (answer.json as { offsets: { offset: number }[] }).offsets;
    const consumer = new Consumer({ bootstrap: server.bootstrap });
    consumer.assign([{ topic: "events", partition: 0, offset: BigInt(first?.offset ?? 0) }]);
    const records = [];
    while (records.length < 2) records.push(...(await consumer.poll(1000)));
    await consumer.close();
    assert.equal(records[0]?.key?.toString(), '"somekey"');
    assert.equal(records[0]?.value?.toString(), '{"foo":"bar","n":[1,2]}');
    assert.equal(records[1]?.value?.toString(), "53.5");
  });

  test("to a partition: /topics/{t}/partitions/{p}; one that does not exist is 40402", async () => {
    const answer = await post(base, "/topics/orders/partitions/1", V2_BINARY, {
      records: [{ value: b64("p1") }],
    });
    assert.equal((answer.json as { offsets: { partition: number }[] }).offsets[0]?.partition, 1);
    assertError(
      await post(base, "/topics/orders/partitions/5", V2_BINARY, { records: [{ value: b64("p") }] }),
      404,
      40402,
    );
  });

  test("errors: unknown topic 40401, bad base64 400, no records 422, wrong Content-Type 415, bad JSON 400", async () => {
    assertError(
      await post(base, "/topics/nope", V2_BINARY, { records: [{ value: b64("x") }] }),
      404,
      40401,
      "Topic not found.",
    );
    assertError(
      await post(base, "/topics/orders", V2_BINARY, { records: [{ value: "!!not base64" }] }),
      400,
      400,
      'Bad Request: data="!!not base64" is not a valid base64 string.',
    );
    assertError(
      await post(base, "/topics/orders", V2_BINARY, { records: [{ value: 12 }] }),
      400,
      400,
      "Bad Request: data=12 is not a base64 string.",
    );
    assertError(await post(base, "/topics/orders", V2_BINARY, { records: [] }), 422, 422);
    assertError(
      await post(base, "/topics/orders", "text/plain", "hello"),
      415,
      415,
      "HTTP 415 Unsupported Media Type",
    );
    assertError(await post(base, "/topics/orders", V2_BINARY, "{not json"), 400, 400);
  });

  test("avro: a value schema is registered under <topic>-value and its id answered; the id works after", async () => {
    const schema = JSON.stringify({
      type: "record",
      name: "User",
      fields: [
        { name: "name", type: "string" },
        { name: "age", type: ["null", "int"], default: null },
      ],
    });
    const first = await post(base, "/topics/avro-users", V2_AVRO, {
      value_schema: schema,
      records: [{ value: { name: "ann", age: { int: 30 } } }, { value: { name: "bo", age: null } }],
    });
    assert.equal(first.status, 200, first.text);
    const body = first.json as {
      value_schema_id: number;
      key_schema_id: null;
      offsets: { offset: number }[];
    };
    assert.ok(body.value_schema_id > 0);
    assert.equal(body.key_schema_id, null);
    const registered = await fetch(`${server.registryUrl}/subjects/avro-users-value/versions/latest`);
    assert.equal(((await registered.json()) as { id: number }).id, body.value_schema_id);
    const byId = await post(base, "/topics/avro-users", V2_AVRO, {
      value_schema_id: body.value_schema_id,
      records: [{ value: { name: "cy", age: null } }],
    });
    assert.equal((byId.json as { value_schema_id: number }).value_schema_id, body.value_schema_id);
    // The record bytes are Confluent's framing: magic 0, the schema id, then Avro binary.
    const consumer = new Consumer({ bootstrap: server.bootstrap });
    consumer.assign([{ topic: "avro-users", partition: 0, offset: 0n }]);
    const records = await consumer.poll(2000);
    await consumer.close();
    const value = records[0]?.value as Buffer;
    assert.equal(value[0], 0);
    assert.equal(value.readInt32BE(1), body.value_schema_id);
    assert.deepEqual([...value.subarray(5)], [6, ...Buffer.from("ann"), 2, 60]);
  });

  test("avro errors: key without key schema 42201, value without schema 42202, bad schema 42205, bad data 400", async () => {
    const schema = JSON.stringify({ type: "string" });
    assertError(
      await post(base, "/topics/events", V2_AVRO, {
        value_schema: schema,
        records: [{ key: "k", value: "v" }],
      }),
      422,
      42201,
      "Request includes keys but does not include key schema",
    );
    assertError(
      await post(base, "/topics/events", V2_AVRO, { records: [{ value: "v" }] }),
      422,
      42202,
      "Request includes values but does not include value schema",
    );
    assertError(
      await post(base, "/topics/events", V2_AVRO, {
        value_schema: '{"type":"nonsense"}',
        records: [{ value: 1 }],
      }),
      422,
      42205,
      /^Invalid schema: Error when parsing raw schema\. format = AVRO/,
    );
    assertError(
      await post(base, "/topics/events", V2_AVRO, { value_schema: schema, records: [{ value: 12 }] }),
      400,
      400,
      "Bad Request: Expected string. Got VALUE_NUMBER_INT",
    );
    assertError(
      await post(base, "/topics/events", V2_AVRO, { value_schema_id: 999999, records: [{ value: "v" }] }),
      422,
      42207,
      /^Error serializing message\. Error when fetching schema by id\. schemaId = 999999/,
    );
  });
});

interface Instance {
  instance_id: string;
  base_uri: string;
}

async function createInstance(group: string, body: unknown): Promise<Instance> {
  const answer = await post(base, `/consumers/${group}`, V2, body);
  assert.equal(answer.status, 200, answer.text);
  return answer.json as Instance;
}

/** Reads until `count` records came (a new member first joins its group). */
async function readRecords(path: string, accept: string, count: number): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  for (let i = 0; i < 40 && out.length < count; i++) {
    const answer = await rest(base, `${path}/records?timeout=500`, { headers: { accept } });
    assert.equal(answer.status, 200, answer.text);
    out.push(...(answer.json as Record<string, unknown>[]));
  }
  return out;
}

describe("consumer instances", () => {
  test("create, subscribe, read binary, commit, committed, delete", async () => {
    const producer = new Producer({ bootstrap: server.bootstrap });
    for (let i = 0; i < 4; i++)
      await producer.send({ topic: "shared", partition: i % 2, key: `k${i}`, value: `v${i}` });
    await producer.close();
    const created = await createInstance("binary-group", {
      name: "c1",
      format: "binary",
      "auto.offset.reset": "earliest",
    });
    assert.deepEqual(created, { instance_id: "c1", base_uri: `${base}/consumers/binary-group/instances/c1` });
    const path = "/consumers/binary-group/instances/c1";
    assert.equal((await post(base, `${path}/subscription`, V2, { topics: ["shared"] })).status, 204);
    assert.deepEqual((await rest(base, `${path}/subscription`)).json, { topics: ["shared"] });
    const records = await readRecords(path, V2_BINARY, 4);
    assert.equal(records.length, 4);
    for (const r of records) {
      assert.deepEqual(Object.keys(r), ["topic", "key", "value", "partition", "offset"]);
      assert.equal(r["topic"], "shared");
      assert.equal(
        Buffer.from(r["value"] as string, "base64")
          .toString()
          .slice(0, 1),
        "v",
      );
    }
    const assigned = (await rest(base, `${path}/assignments`)).json as { partitions: unknown[] };
    assert.equal(assigned.partitions.length, 2);
    const committed = await post(base, `${path}/offsets`, V2);
    assert.equal(committed.status, 200, committed.text);
    const offsets = await rest(base, `${path}/offsets`, {
      headers: { "content-type": V2 },
      body: {
        partitions: [
          { topic: "shared", partition: 0 },
          { topic: "shared", partition: 1 },
        ],
      },
    });
    assert.deepEqual(
      (offsets.json as { offsets: { offset: number }[] }).offsets.map((o) => o.offset),
      [2, 2],
    );
    assert.equal((await rest(base, path, { method: "DELETE" })).status, 204);
    assertError(await rest(base, `${path}/subscription`), 404, 40403, "Consumer instance not found.");
  });

  test("commit of given offsets commits the next one (offset + 1), as kafka-rest does", async () => {
    await createInstance("commit-group", { name: "c", "auto.commit.enable": "false" });
    const path = "/consumers/commit-group/instances/c";
    await post(base, `${path}/assignments`, V2, { partitions: [{ topic: "shared", partition: 0 }] });
    const answer = await post(base, `${path}/offsets`, V2, {
      offsets: [{ topic: "shared", partition: 0, offset: 5, metadata: "m" }],
    });
    assert.deepEqual(answer.json, []);
    const offsets = await rest(base, `${path}/offsets`, {
      headers: { "content-type": V2 },
      body: { partitions: [{ topic: "shared", partition: 0 }] },
    });
    assert.deepEqual(offsets.json, {
      offsets: [{ topic: "shared", partition: 0, offset: 6, metadata: "m" }],
    });
    assertError(await rest(base, `${path}/offsets`), 404, 40402);
    await rest(base, path, { method: "DELETE" });
  });

  test("json format, assignments and positions (offset, beginning, end)", async () => {
    const producer = new Producer({ bootstrap: server.bootstrap });
    for (let i = 0; i < 3; i++)
      await producer.send({ topic: "events", key: JSON.stringify({ i }), value: JSON.stringify({ n: i }) });
    await producer.close();
    await createInstance("json-group", { name: "j", format: "json" });
    const path = "/consumers/json-group/instances/j";
    assert.equal(
      (await post(base, `${path}/assignments`, V2, { partitions: [{ topic: "events", partition: 0 }] }))
        .status,
      204,
    );
    assert.deepEqual((await rest(base, `${path}/assignments`)).json, {
      partitions: [{ topic: "events", partition: 0 }],
    });
    const end = (await rest(base, "/topics/events/partitions/0/offsets")).json as { end_offset: number };
    assert.equal(
      (
        await post(base, `${path}/positions`, V2, {
          offsets: [{ topic: "events", partition: 0, offset: end.end_offset - 3 }],
        })
      ).status,
      204,
    );
    const read = await readRecords(path, V2_JSON, 3);
    assert.deepEqual(
      read.map((r) => [r["key"], r["value"]]),
      [
        [{ i: 0 }, { n: 0 }],
        [{ i: 1 }, { n: 1 }],
        [{ i: 2 }, { n: 2 }],
      ],
    );
    assert.equal(
      (await post(base, `${path}/positions/end`, V2, { partitions: [{ topic: "events", partition: 0 }] }))
        .status,
      204,
    );
    const none = await rest(base, `${path}/records?timeout=200`, { headers: { accept: V2_JSON } });
    assert.deepEqual(none.json, []);
    assert.equal(
      (
        await post(base, `${path}/positions/beginning`, V2, {
          partitions: [{ topic: "events", partition: 0 }],
        })
      ).status,
      204,
    );
    // The topic's first records are binary ("e0"): the json instance cannot read them (Kafka's SerializationException).
    assertError(
      await rest(base, `${path}/records?timeout=500`, { headers: { accept: V2_JSON } }),
      408,
      40801,
    );
    // An Accept of another format is 40601, one of no format reads binary: also 40601 here.
    assertError(await rest(base, `${path}/records`, { headers: { accept: V2_BINARY } }), 406, 40601);
    assertError(await rest(base, `${path}/records`), 406, 40601);
    assertError(
      await post(base, `${path}/subscription`, V2, { topics: ["events"] }),
      409,
      40903,
      /^Illegal state: /,
    );
    assertError(
      await post(base, `${path}/positions/end`, V2, { partitions: [{ topic: "orders", partition: 0 }] }),
      409,
      40903,
      "Illegal state: No current assignment for partition orders-0",
    );
    await rest(base, path, { method: "DELETE" });
  });

  test("avro format reads records as Avro's JSON encoding", async () => {
    await createInstance("avro-group", { name: "a", format: "avro", "auto.offset.reset": "earliest" });
    const path = "/consumers/avro-group/instances/a";
    await post(base, `${path}/subscription`, V2, { topics: ["avro-users"] });
    const read = await readRecords(path, V2_AVRO, 2);
    assert.deepEqual(read[0], {
      topic: "avro-users",
      key: null,
      value: { name: "ann", age: { int: 30 } },
      partition: 0,
      offset: 0,
    });
    assert.deepEqual(read[1]?.["value"], { name: "bo", age: null });
    await rest(base, path, { method: "DELETE" });
  });

  test("protobuf and jsonschema: produced with a schema, read back in Protobuf's JSON mapping and as JSON", async () => {
    const proto =
      'syntax = "proto3";\nmessage Order {\n  string order_id = 1;\n  int64 total_cents = 2;\n  repeated string items = 3;\n}\n';
    const produced = await post(base, "/topics/proto-orders", "application/vnd.kafka.protobuf.v2+json", {
      value_schema: proto,
      records: [
        { value: { orderId: "o1", totalCents: "1250", items: ["pen"] } },
        { value: { order_id: "o2" } },
      ],
    });
    assert.equal(produced.status, 200, produced.text);
    assert.ok((produced.json as { value_schema_id: number }).value_schema_id > 0);
    assertError(
      await post(base, "/topics/proto-orders", "application/vnd.kafka.protobuf.v2+json", {
        value_schema: proto,
        records: [{ value: { nope: 1 } }],
      }),
      400,
      400,
      "Bad Request: Cannot find field: nope in message Order",
    );
    const json = await post(base, "/topics/json-things", "application/vnd.kafka.jsonschema.v2+json", {
      value_schema: JSON.stringify({ type: "object", properties: { a: { type: "integer" } } }),
      records: [{ value: { a: 1 } }],
    });
    assert.equal(json.status, 200, json.text);
    await createInstance("proto-group", { name: "p", format: "protobuf", "auto.offset.reset": "earliest" });
    await post(base, "/consumers/proto-group/instances/p/subscription", V2, { topics: ["proto-orders"] });
    const orders = await readRecords(
      "/consumers/proto-group/instances/p",
      "application/vnd.kafka.protobuf.v2+json",
      2,
    );
    assert.deepEqual(
      orders.map((r) => r["value"]),
      [
        { orderId: "o1", totalCents: "1250", items: ["pen"] },
        { orderId: "o2", totalCents: "0", items: [] },
      ],
    );
    await createInstance("json-group", { name: "j2", format: "jsonschema", "auto.offset.reset": "earliest" });
    await post(base, "/consumers/json-group/instances/j2/subscription", V2, { topics: ["json-things"] });
    const things = await readRecords(
      "/consumers/json-group/instances/j2",
      "application/vnd.kafka.jsonschema.v2+json",
      1,
    );
    assert.deepEqual(things[0]?.["value"], { a: 1 });
    await rest(base, "/consumers/proto-group/instances/p", { method: "DELETE" });
    await rest(base, "/consumers/json-group/instances/j2", { method: "DELETE" });
  });

  test("a read's limits: max_bytes, the instance's consumer.request.timeout.ms and fetch.min.bytes", async () => {
    const producer = new Producer({ bootstrap: server.bootstrap });
    for (let i = 0; i < 5; i++)
      await producer.send({ topic: "json-things", partition: 0, value: `0123456789` });
    await producer.close();
    const end = (
      (await rest(base, "/topics/json-things/partitions/0/offsets")).json as { end_offset: number }
    ).end_offset;
    const start = async (name: string, config: Record<string, unknown>) => {
      await createInstance("limits", { name, "consumer.request.timeout.ms": 300, ...config });
      const path = `/consumers/limits/instances/${name}`;
      await post(base, `${path}/assignments`, V2, { partitions: [{ topic: "json-things", partition: 0 }] });
      await post(base, `${path}/positions`, V2, {
        offsets: [{ topic: "json-things", partition: 0, offset: end - 5 }],
      });
      return path;
    };
    const read = async (path: string, query = "") =>
      (await rest(base, `${path}/records${query}`, { headers: { accept: V2_BINARY } })).json as unknown[];
    // Up to, not reaching, max_bytes: two values of 10 bytes under 25; the third waits for the next read.
    const capped = await start("capped", {});
    let first: unknown[] = [];
    for (let i = 0; i < 20 && first.length === 0; i++) first = await read(capped, "?max_bytes=25");
    assert.equal(first.length, 2);
    assert.equal((await read(capped)).length, 3);
    // More than fetch.min.bytes (15) gathered: the read answers at once with two records.
    const eager = await start("eager", { "fetch.min.bytes": 15 });
    let some: unknown[] = [];
    for (let i = 0; i < 20 && some.length === 0; i++) some = await read(eager);
    assert.equal(some.length, 2);
    // Nothing left to read: the read lasts the instance's consumer.request.timeout.ms, not the proxy's 1000 ms.
    await post(base, `${eager}/positions/end`, V2, { partitions: [{ topic: "json-things", partition: 0 }] });
    const idle = performance.now();
    assert.deepEqual(await read(eager), []);
    const waited = performance.now() - idle;
    assert.ok(waited >= 250 && waited < 900, `waited ${waited} ms`);
    await rest(base, capped, { method: "DELETE" });
    await rest(base, eager, { method: "DELETE" });
  });

  test("create errors: a name taken 40902, a bad format 422, bad configs 42204; unknown instance 40403", async () => {
    await createInstance("errors-group", { name: "taken" });
    assertError(await post(base, "/consumers/errors-group", V2, { name: "taken" }), 409, 40902);
    assertError(
      await post(base, "/consumers/errors-group", V2, { format: "xml" }),
      422,
      422,
      "Invalid format type.",
    );
    assertError(
      await post(base, "/consumers/errors-group", V2, { "auto.offset.reset": "middle" }),
      422,
      42204,
      "Invalid consumer configuration: Invalid value middle for configuration auto.offset.reset: String must be one of: latest, earliest, none",
    );
    assertError(
      await rest(base, "/consumers/errors-group/instances/nobody", { method: "DELETE" }),
      404,
      40403,
    );
    const generated = await createInstance("errors-group", undefined);
    assert.match(generated.instance_id, /^rest-consumer-[0-9a-f-]{36}$/);
    await rest(base, "/consumers/errors-group/instances/taken", { method: "DELETE" });
    await rest(base, `/consumers/errors-group/instances/${generated.instance_id}`, { method: "DELETE" });
  });

  test("no more than rest.proxy.consumer.instances.max instances: 429", async () => {
    const made: string[] = [];
    let refused: RestAnswer | null = null;
    for (let i = 0; i < 10 && refused === null; i++) {
      const answer = await post(base, "/consumers/many", V2, { name: `m${i}` });
      if (answer.status === 200) made.push(`m${i}`);
      else refused = answer;
    }
    assert.ok(refused !== null && made.length <= 6);
    assertError(refused, 429, 429, /consumer instances/);
    for (const name of made) await rest(base, `/consumers/many/instances/${name}`, { method: "DELETE" });
    assert.equal((await post(base, "/consumers/many", V2, { name: "again" })).status, 200);
    await rest(base, "/consumers/many/instances/again", { method: "DELETE" });
  });
});
