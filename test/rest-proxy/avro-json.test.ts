import assert from "node:assert/strict";
import { test } from "node:test";
import { AvroSchema, avroFormat } from "../../src/registry/index.js";
import { avroFromJson, avroToJson } from "../../src/rest-proxy/avro-json.js";
import { RestProxyError } from "../../src/rest-proxy/rest-error.js";

/** Avro's JSON encoding, as kafka-rest reads produce bodies and writes consumer records in it. */

function typeOf(schema: unknown) {
  const parsed = avroFormat.parse(JSON.stringify(schema), []);
  assert.ok(parsed instanceof AvroSchema);
  return parsed.type;
}

const USER = {
  type: "record",
  name: "User",
  namespace: "io.example",
  fields: [
    { name: "name", type: "string" },
    { name: "age", type: ["null", "int"], default: null },
    { name: "tags", type: { type: "array", items: "string" } },
    { name: "scores", type: { type: "map", values: "double" } },
    { name: "avatar", type: "bytes" },
    { name: "level", type: { type: "enum", name: "Level", symbols: ["LOW", "HIGH"] } },
    {
      name: "either",
      type: ["string", "long", { type: "record", name: "Point", fields: [{ name: "x", type: "int" }] }],
    },
  ],
};

test("a record in Avro's JSON encoding round-trips through avsc's binary", () => {
  const type = typeOf(USER);
  const json = {
    name: "ann",
    age: { int: 42 },
    tags: ["a", "b"],
    scores: { math: 1.5 },
    avatar: "\u0000\u00ff\u0041",
    level: "HIGH",
    either: { "io.example.Point": { x: 3 } },
  };
  const value = avroFromJson(type, json);
  const bytes = type.toBuffer(value);
  assert.deepEqual(avroToJson(type, type.fromBuffer(bytes)), json);
  assert.deepEqual((value as { avatar: Buffer }).avatar, Buffer.from([0, 255, 65]));
});

test("null unions, defaults of missing fields and primitive schemas", () => {
  const type = typeOf(USER);
  const value = avroFromJson(type, {
    name: "bo",
    tags: [],
    scores: {},
    avatar: "",
    level: "LOW",
    either: { string: "s" },
  }) as Record<string, unknown>;
  assert.equal(value["age"], null);
  const back = avroToJson(type, type.fromBuffer(type.toBuffer(value))) as Record<string, unknown>;
  assert.equal(back["age"], null);
  assert.deepEqual(back["either"], { string: "s" });
  assert.equal(avroFromJson(typeOf("long"), 12), 12);
  assert.equal(avroToJson(typeOf("string"), "x"), "x");
});

test("values that do not fit are 400 with Avro's decoder message", () => {
  const type = typeOf(USER);
  const refused = (json: unknown, message: RegExp) =>
    assert.throws(
      () => avroFromJson(type, json),
      (e) => e instanceof RestProxyError && e.status === 400 && message.test(e.message),
    );
  refused({ name: 1 }, /Expected string\. Got VALUE_NUMBER_INT/);
  refused({ name: "a", age: 3 }, /Expected start-union\. Got VALUE_NUMBER_INT/);
  refused({ name: "a", age: null }, /Expected field name not found: tags/);
  refused("text", /Expected start-object\. Got VALUE_STRING/);
});
