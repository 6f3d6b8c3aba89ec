import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { ProtobufDeserializer, SchemaRegistryClient, SerdeType } from "@confluentinc/schemaregistry";
import { REPO_ROOT, TEST_TIMEOUT_MS } from "./broker-process.js";
import { assertPythonRoundTrip, latestSchema, pythonHelper, withRegistryBroker } from "./python-serdes.js";

/**
 * confluent-kafka for Python (Debian's, with python3-protobuf) produces Protobuf values through a
 * Brook process with its ProtobufSerializer, which registers the file with Brook's registry as a
 * base64 FileDescriptorProto, and consumes them back with its ProtobufDeserializer; Confluent's
 * JavaScript ProtobufDeserializer decodes the same records, resolving the writer's schema with
 * `format=serialized`. Registry-level cases: test/registry/protobuf-serialized.test.ts.
 */
const CLIENT = join(REPO_ROOT, "test", "registry", "python", "protobuf_client.py");

test("Protobuf serdes: Python produces and consumes through Brook; Confluent's JS deserializer reads it", {
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  await withRegistryBroker(async (broker, registry) => {
    const topic = "orders";
    const orders = [
      { id: "o-1", quantity: "3", status: "SHIPPED", tags: ["a"], counts: { x: 2 } },
      { id: "o-2", quantity: "7", tags: ["b", "c"] },
    ];
    const python = pythonHelper(CLIENT, [registry, broker.bootstrap, topic]);
    await assertPythonRoundTrip(python, orders);
    const stored = await latestSchema(registry, `${topic}-value`);
    assert.equal(stored.schemaType, "PROTOBUF");
    assert.match(stored.schema, /^syntax = "proto3";\npackage acme\.orders;/);
    // Confluent's JavaScript deserializer reads Python's framing with the schema Brook serves.
    const [encoded] = await python([{ op: "encode", topic, order: orders[0] }]);
    const client = new SchemaRegistryClient({ baseURLs: [registry] });
    const message = await new ProtobufDeserializer(client, SerdeType.VALUE, {}).deserialize(
      topic,
      Buffer.from(encoded.hex, "hex"),
    );
    assert.equal(message.id, "o-1");
    assert.equal(message.quantity, 3n);
  });
});
