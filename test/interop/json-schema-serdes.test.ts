import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { JsonDeserializer, SchemaRegistryClient, SerdeType } from "@confluentinc/schemaregistry";
import { REPO_ROOT, TEST_TIMEOUT_MS } from "./broker-process.js";
import { assertPythonRoundTrip, latestSchema, pythonHelper, withRegistryBroker } from "./python-serdes.js";

/**
 * confluent-kafka for Python (Debian's 1.7.0, with python3-jsonschema) produces JSON Schema values
 * through a Brook process with its JSONSerializer, which registers the schema with Brook's registry
 * and validates each value, and consumes them back with its JSONDeserializer; Confluent's
 * JavaScript JsonDeserializer decodes the same framing with the schema Brook serves.
 */
const CLIENT = join(REPO_ROOT, "test", "registry", "python", "json_schema_client.py");

test("JSON Schema serdes: Python produces and consumes through Brook; Confluent's JS deserializer reads it", {
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  await withRegistryBroker(async (broker, registry) => {
    const topic = "json-orders";
    const orders = [
      { id: "o-1", quantity: 3, tags: ["a"] },
      { id: "o-2", quantity: 7 },
    ];
    const python = pythonHelper(CLIENT, [registry, broker.bootstrap, topic]);
    await assertPythonRoundTrip(python, orders);
    const stored = await latestSchema(registry, `${topic}-value`);
    assert.equal(stored.schemaType, "JSON");
    assert.equal(JSON.parse(stored.schema).title, "Order");
    // The serializer validates against the schema before anything is sent.
    const [refused] = await python([{ op: "invalid", order: { id: "o-3", quantity: 0 } }]);
    assert.match(String(refused.error), /minimum|less than/i);
    // Confluent's JavaScript deserializer reads Python's framing (magic byte, schema id, JSON).
    const [encoded] = await python([{ op: "encode", order: orders[0] }]);
    const bytes = Buffer.from(encoded.hex, "hex");
    assert.equal(bytes.readUInt8(0), 0);
    assert.equal(bytes.readInt32BE(1), stored.id);
    const client = new SchemaRegistryClient({ baseURLs: [registry] });
    const value = await new JsonDeserializer(client, SerdeType.VALUE, {}).deserialize(topic, bytes);
    assert.deepEqual(value, orders[0]);
  });
});
