import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { AvroDeserializer, SchemaRegistryClient, SerdeType } from "@confluentinc/schemaregistry";
import { SchemaRegistry as KafkajsRegistry } from "@kafkajs/confluent-schema-registry";
import fc from "fast-check";
import {
  frame,
  RegistryClient,
  readMessageIndexes,
  recordNameStrategy,
  SchemaDeserializer,
  SchemaSerializer,
  topicRecordNameStrategy,
  unframe,
  WireFormatError,
} from "../../src/registry/index.js";
import { RegistryHarness } from "./registry-harness.js";

const PRICE_V1 = {
  type: "record",
  name: "Price",
  namespace: "com.acme",
  fields: [
    { name: "symbol", type: "string" },
    { name: "cents", type: "long" },
  ],
};
const PRICE_V2 = {
  ...PRICE_V1,
  fields: [...PRICE_V1.fields, { name: "exchange", type: "string", default: "NYSE" }],
};

describe("wire format", () => {
  test("magic byte, big-endian id, payload", () => {
    const bytes = frame(258, Buffer.from([9, 8]));
    assert.deepEqual([...bytes], [0, 0, 0, 1, 2, 9, 8]);
    assert.deepEqual(unframe(bytes), { schemaId: 258, payload: Buffer.from([9, 8]) });
    assert.throws(() => unframe(Buffer.from([1, 0, 0, 0, 1])), WireFormatError);
    assert.throws(() => unframe(Buffer.from([0, 0])), WireFormatError);
  });

  test("message indexes: [0] is one zero byte, others are zig-zag varints with a count", () => {
    assert.deepEqual([...frame(1, Buffer.alloc(0), [0])].slice(5), [0]);
    assert.deepEqual([...frame(1, Buffer.alloc(0), [1])].slice(5), [2, 2]);
    assert.deepEqual([...frame(1, Buffer.alloc(0), [0, 2])].slice(5), [4, 0, 4]);
    assert.deepEqual(readMessageIndexes(Buffer.from([0, 7])), { indexes: [0], message: Buffer.from([7]) });
  });

  test("message indexes round-trip", () => {
    fc.assert(
      fc.property(
        fc.array(fc.nat(1000), { minLength: 1, maxLength: 8 }),
        fc.uint8Array({ maxLength: 8 }),
        (indexes, body) => {
          const { payload } = unframe(frame(7, body, indexes));
          const read = readMessageIndexes(payload);
          assert.deepEqual(read.indexes, indexes);
          assert.deepEqual([...read.message], [...body]);
        },
      ),
    );
  });
});

describe("serializer and deserializer against the registry", () => {
  let h: RegistryHarness;
  before(async () => {
    h = await RegistryHarness.start();
  });
  after(() => h.close());

  test("Avro values round-trip, and other clients read them", async () => {
    const client = new RegistryClient({ url: h.url });
    const serializer = new SchemaSerializer({ client, schema: { schema: JSON.stringify(PRICE_V1) } });
    const value = { symbol: "ACME", cents: 12345 };
    const bytes = await serializer.serialize("prices", value);
    const { schemaId, payload } = unframe(bytes);
    assert.equal(payload.length > 0, true);
    assert.deepEqual((await h.call("GET", "/subjects/prices-value/versions/1")).json.id, schemaId);
    const deserializer = new SchemaDeserializer({ client });
    assert.deepEqual({ ...((await deserializer.deserialize(bytes)) as object) }, value);
    const kafkajs = new KafkajsRegistry({ host: h.url });
    assert.deepEqual({ ...(await kafkajs.decode(bytes)) }, value);
    const confluent = new AvroDeserializer(
      new SchemaRegistryClient({ baseURLs: [h.url] }),
      SerdeType.VALUE,
      {},
    );
    assert.deepEqual({ ...(await confluent.deserialize("prices", bytes)) }, value);
    // And what kafkajs encodes, ours decodes.
    assert.deepEqual(
      { ...((await deserializer.deserialize(await kafkajs.encode(schemaId, value))) as object) },
      value,
    );
  });

  test("a reader schema resolves older data with defaults", async () => {
    const client = new RegistryClient({ url: h.url });
    const old = await new SchemaSerializer({
      client,
      schema: { schema: JSON.stringify(PRICE_V1) },
    }).serialize("evolve", {
      symbol: "X",
      cents: 1,
    });
    const reader = new SchemaDeserializer({ client, readerSchema: { schema: JSON.stringify(PRICE_V2) } });
    assert.deepEqual(
      { ...((await reader.deserialize(old)) as object) },
      { symbol: "X", cents: 1, exchange: "NYSE" },
    );
  });

  test("ids are cached: serializing keeps working once the id is known", async () => {
    const other = await RegistryHarness.start();
    const client = new RegistryClient({ url: other.url });
    const serializer = new SchemaSerializer({ client, schema: { schema: JSON.stringify(PRICE_V1) } });
    const deserializer = new SchemaDeserializer({ client });
    const first = await serializer.serialize("cached", { symbol: "A", cents: 1 });
    await deserializer.deserialize(first);
    await other.close();
    const second = await serializer.serialize("cached", { symbol: "B", cents: 2 });
    assert.equal(unframe(second).schemaId, unframe(first).schemaId);
    assert.deepEqual({ ...((await deserializer.deserialize(second)) as object) }, { symbol: "B", cents: 2 });
  });

  test("subject name strategies pick the subject", async () => {
    const client = new RegistryClient({ url: h.url });
    const schema = { schema: JSON.stringify(PRICE_V1) };
    await new SchemaSerializer({ client, schema, subjectNameStrategy: recordNameStrategy }).serialize("t1", {
      symbol: "A",
      cents: 1,
    });
    await new SchemaSerializer({ client, schema, subjectNameStrategy: topicRecordNameStrategy }).serialize(
      "t2",
      {
        symbol: "A",
        cents: 1,
      },
    );
    await new SchemaSerializer({ client, schema, isKey: true }).serialize("t3", { symbol: "A", cents: 1 });
    const subjects = (await h.call("GET", "/subjects")).json;
    for (const expected of ["com.acme.Price", "t2-com.acme.Price", "t3-key"])
      assert.ok(subjects.includes(expected), expected);
  });

  test("without a schema the serializer uses the latest version; autoRegister=false looks up", async () => {
    const client = new RegistryClient({ url: h.url });
    await h.register("latest-value", PRICE_V1);
    const bytes = await new SchemaSerializer({ client }).serialize("latest", { symbol: "L", cents: 5 });
    assert.equal(
      unframe(bytes).schemaId,
      (await h.call("GET", "/subjects/latest-value/versions/latest")).json.id,
    );
    const strict = new SchemaSerializer({
      client,
      schema: { schema: JSON.stringify(PRICE_V2) },
      autoRegister: false,
    });
    await assert.rejects(
      strict.serialize("latest", { symbol: "L", cents: 5 }),
      (e: { errorCode?: number }) => e.errorCode === 40403,
    );
  });

  test("invalid Avro values are refused before anything is sent", async () => {
    const client = new RegistryClient({ url: h.url });
    const serializer = new SchemaSerializer({ client, schema: { schema: JSON.stringify(PRICE_V1) } });
    await assert.rejects(serializer.serialize("bad", { symbol: 3 }));
  });

  test("Protobuf values carry message indexes and round-trip", async () => {
    const client = new RegistryClient({ url: h.url });
    const schema = {
      schemaType: "PROTOBUF" as const,
      schema:
        'syntax = "proto3"; package acme; message Other { int32 x = 1; } message Quote { string symbol = 1; int64 cents = 2; message Leg { string venue = 1; } }',
    };
    const quote = new SchemaSerializer({ client, schema, messageName: "acme.Quote" });
    const bytes = await quote.serialize("quotes", { symbol: "Q", cents: 99 });
    const { payload } = unframe(bytes);
    assert.deepEqual([...payload.subarray(0, 2)], [2, 2]);
    const deserializer = new SchemaDeserializer({ client });
    assert.deepEqual(await deserializer.deserialize(bytes), { symbol: "Q", cents: "99" });
    const leg = new SchemaSerializer({ client, schema, messageName: "acme.Quote.Leg" });
    const legBytes = await leg.serialize("quotes", { venue: "XNYS" });
    assert.deepEqual([...unframe(legBytes).payload.subarray(0, 3)], [4, 2, 0]);
    assert.deepEqual(await deserializer.deserialize(legBytes), { venue: "XNYS" });
    const first = new SchemaSerializer({ client, schema });
    assert.equal(unframe(await first.serialize("quotes", { x: 1 })).payload[0], 0);
  });

  test("JSON Schema values are UTF-8 JSON after the frame", async () => {
    const client = new RegistryClient({ url: h.url });
    const schema = {
      schemaType: "JSON" as const,
      schema: JSON.stringify({ type: "object", properties: { a: { type: "integer" } } }),
    };
    const bytes = await new SchemaSerializer({ client, schema }).serialize("json-topic", { a: 1 });
    assert.equal(unframe(bytes).payload.toString("utf8"), '{"a":1}');
    assert.deepEqual(await new SchemaDeserializer({ client }).deserialize(bytes), { a: 1 });
  });
});
