import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { dirname, join, sep } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { ProtobufDeserializer, SchemaRegistryClient, SerdeType } from "@confluentinc/schemaregistry";
import descriptor from "protobufjs/ext/descriptor/index.js";
import { RegistryHarness } from "./registry-harness.js";

/*
 * Protobuf schemas as base64 FileDescriptorProtos: what Confluent's clients register
 * (confluent-kafka-python's ProtobufSerializer, Debian's 1.7.0 with python3-protobuf) and fetch
 * with `format=serialized` (the JavaScript `@confluentinc/schemaregistry` Protobuf serdes), as
 * Confluent's ProtobufSchema reads and renders them. A value Python serializes is decoded by the
 * JavaScript deserializer, which resolves the writer's schema through `format=serialized`.
 * (Producing and consuming through a Brook process: test/interop/protobuf-serdes.test.ts.)
 */

const PYTHON = "/usr/bin/python3";
const PYTHON_CLIENT = join(dirname(fileURLToPath(import.meta.url)), "python", "protobuf_client.py").replace(
  `${sep}dist${sep}test${sep}`,
  `${sep}test${sep}`,
);

// biome-ignore lint/suspicious/noExplicitAny: the Python helper answers arbitrary JSON
async function python(url: string, commands: unknown[]): Promise<any[]> {
  // Asynchronous: the registry answering the Python client runs in this process.
  const child = spawn(PYTHON, [PYTHON_CLIENT, url], { stdio: ["pipe", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk) => {
    stdout += chunk;
  });
  child.stderr.on("data", (chunk) => {
    stderr += chunk;
  });
  child.stdin.end(JSON.stringify(commands));
  const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
  assert.equal(code, 0, `python client failed: ${stderr}`);
  return JSON.parse(stdout);
}

const ORDER_PROTO = `syntax = "proto3";
package acme.orders;
import "google/protobuf/timestamp.proto";
option java_package = "com.acme.orders";
message Order {
  string id = 1;
  repeated int64 quantities = 2;
  map<string, Line> lines = 3;
  optional double price = 4;
  oneof payment {
    string card = 5;
    int32 cash = 6;
  }
  Status status = 7;
  google.protobuf.Timestamp at = 8;
  message Line { string sku = 1; }
  enum Status { NEW = 0; SHIPPED = 1; }
  reserved 10 to 12;
}
`;

// biome-ignore lint/suspicious/noExplicitAny: decoded descriptors are plain objects
function decodeDescriptor(base64: string): any {
  const message = descriptor.FileDescriptorProto.decode(Buffer.from(base64, "base64"));
  return descriptor.FileDescriptorProto.toObject(message);
}

describe("format=serialized and base64 FileDescriptorProto schemas", () => {
  let h: RegistryHarness;
  before(async () => {
    h = await RegistryHarness.start();
  });
  after(() => h.close());

  test("reads in format=serialized give the file as protoc describes it", async () => {
    const registered = await h.register("orders-value", ORDER_PROTO, { schemaType: "PROTOBUF" });
    assert.equal(registered.status, 200);
    const id = registered.json.id;
    const byId = await h.call("GET", `/schemas/ids/${id}?format=serialized`);
    assert.equal(byId.json.schemaType, "PROTOBUF");
    const file = decodeDescriptor(byId.json.schema);
    assert.equal(file.package, "acme.orders");
    assert.equal(file.syntax, "proto3");
    assert.deepEqual(file.dependency, ["google/protobuf/timestamp.proto"]);
    assert.equal(file.options.javaPackage, "com.acme.orders");
    const order = file.messageType[0];
    assert.equal(order.name, "Order");
    const fields = Object.fromEntries(order.field.map((f: { name: string }) => [f.name, f]));
    assert.equal(fields.lines.typeName, ".acme.orders.Order.LinesEntry");
    assert.equal(fields.lines.label, 3);
    assert.equal(fields.status.typeName, ".acme.orders.Order.Status");
    assert.equal(fields.at.typeName, ".google.protobuf.Timestamp");
    assert.equal(fields.price.proto3Optional, true);
    assert.equal(fields.card.oneofIndex, fields.cash.oneofIndex);
    assert.deepEqual(
      order.nestedType.map((n: { name: string }) => n.name),
      ["Line", "LinesEntry"],
    );
    assert.deepEqual(order.reservedRange, [{ start: 10, end: 13 }]);
    // Every read that returns the schema takes the format; without it the text comes back.
    assert.equal((await h.call("GET", `/schemas/ids/${id}/schema?format=serialized`)).text, byId.json.schema);
    assert.equal(
      (await h.call("GET", "/subjects/orders-value/versions/latest?format=serialized")).json.schema,
      byId.json.schema,
    );
    assert.equal(
      (await h.call("GET", "/subjects/orders-value/versions/1/schema?format=serialized")).text,
      byId.json.schema,
    );
    assert.match((await h.call("GET", `/schemas/ids/${id}`)).json.schema, /^syntax = "proto3";/);
    // Avro and JSON Schema ignore it.
    const avro = await h.register("avro-value", '"string"');
    assert.equal(
      (await h.call("GET", `/schemas/ids/${avro.json.id}?format=serialized`)).json.schema,
      '"string"',
    );
  });

  test("a base64 FileDescriptorProto registers as its .proto rendering; the rendering round-trips", async () => {
    const serialized = (await h.call("GET", "/schemas/ids/1?format=serialized")).json.schema;
    const registered = await h.register("orders-binary", serialized, { schemaType: "PROTOBUF" });
    assert.equal(registered.status, 200);
    const stored = (await h.call("GET", "/subjects/orders-binary/versions/1")).json.schema;
    assert.match(stored, /map<string, \.acme\.orders\.Order\.Line> lines = 3;/);
    assert.match(stored, /optional double price = 4;/);
    assert.match(stored, /oneof payment \{\n {4}string card = 5;\n {4}int32 cash = 6;\n {2}\}/);
    // Re-registering and looking up the same bytes find that version.
    const again = await h.register("orders-binary", serialized, { schemaType: "PROTOBUF" });
    assert.equal(again.json.id, registered.json.id);
    const lookup = await h.call("POST", "/subjects/orders-binary", {
      schema: serialized,
      schemaType: "PROTOBUF",
    });
    assert.equal(lookup.json.version, 1);
    // The rendering describes the same file.
    const back = (await h.call("GET", `/schemas/ids/${registered.json.id}?format=serialized`)).json.schema;
    assert.deepEqual(decodeDescriptor(back).messageType, decodeDescriptor(serialized).messageType);
    const garbage = await h.register("orders-bad", "AAAA", { schemaType: "PROTOBUF" });
    assert.equal(garbage.json.error_code, 42201);
  });

  test("confluent-kafka-python's ProtobufSerializer registers; @confluentinc/schemaregistry decodes", async () => {
    const order = { id: "o-1", quantity: "3", status: "SHIPPED", tags: ["a", "b"], counts: { x: 2 } };
    const [encoded] = await python(h.url, [{ op: "encode", topic: "py-orders", order }]);
    const bytes = Buffer.from(encoded.hex, "hex");
    assert.equal(bytes[0], 0);
    const id = bytes.readInt32BE(1);
    const stored = await h.call("GET", "/subjects/py-orders-value/versions/latest");
    assert.equal(stored.json.id, id);
    assert.match(stored.json.schema, /message Order \{/);
    const client = new SchemaRegistryClient({ baseURLs: [h.url] });
    const deserializer = new ProtobufDeserializer(client, SerdeType.VALUE, {});
    const message = await deserializer.deserialize("py-orders", bytes);
    assert.equal(message.id, "o-1");
    assert.equal(message.quantity, 3n);
    assert.equal(message.status, 1);
    assert.deepEqual(message.tags, ["a", "b"]);
    assert.deepEqual(message.counts, { x: 2 });
    const [back] = await python(h.url, [{ op: "decode", topic: "py-orders", hex: encoded.hex }]);
    assert.deepEqual(back.order, order);
  });
});
