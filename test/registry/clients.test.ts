import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { dirname, join, sep } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import {
  AvroDeserializer,
  AvroSerializer,
  SchemaRegistryClient,
  SerdeType,
} from "@confluentinc/schemaregistry";
import {
  SchemaRegistry as KafkajsRegistry,
  SchemaType as KafkajsSchemaType,
} from "@kafkajs/confluent-schema-registry";
import { RegistryHarness } from "./registry-harness.js";

/**
 * Real clients against a running registry: Confluent's JavaScript client and serdes,
 * @kafkajs/confluent-schema-registry, and confluent-kafka for Python (Debian's package, run with
 * /usr/bin/python3). Each registers, looks up, serializes and deserializes Avro records, and a
 * value encoded by one is decoded by the others.
 */

const PYTHON = "/usr/bin/python3";
// The helper stays in the source tree; compiled tests run from dist/test and look there.
const PYTHON_CLIENT = join(dirname(fileURLToPath(import.meta.url)), "python", "avro_client.py").replace(
  `${sep}dist${sep}test${sep}`,
  `${sep}test${sep}`,
);

const PAYMENT_V1 = {
  type: "record",
  name: "Payment",
  namespace: "com.acme.payments",
  fields: [
    { name: "id", type: "string" },
    { name: "amount", type: "double" },
    { name: "currency", type: { type: "enum", name: "Currency", symbols: ["EUR", "USD"] } },
    { name: "note", type: ["null", "string"], default: null },
    { name: "tags", type: { type: "array", items: "string" } },
  ],
};
const PAYMENT_V2 = {
  ...PAYMENT_V1,
  fields: [...PAYMENT_V1.fields, { name: "fee", type: "long", default: 0 }],
};
const PAYMENT_BAD = {
  ...PAYMENT_V1,
  fields: PAYMENT_V1.fields.map((f) => (f.name === "amount" ? { name: "amount", type: "string" } : f)),
};

const record = { id: "p-1", amount: 12.5, currency: "EUR", note: "lunch", tags: ["food", "team"] };

// biome-ignore lint/suspicious/noExplicitAny: the Python helper answers arbitrary JSON
async function python(url: string, commands: unknown[]): Promise<any[]> {
  // Asynchronous on purpose: the registry answering the Python client runs in this process.
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

/** Python's Avro decoder hands unions' branch values back plainly, like the JS decoders. */
function normalizeRecord(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value));
}

describe("real clients against the registry served by a broker (schemas in _schemas)", () => {
  let h: RegistryHarness;
  before(async () => {
    h = await RegistryHarness.onBroker();
  });
  after(() => h.close());

  test("@confluentinc/schemaregistry: register, look up, serialize and deserialize", async () => {
    const client = new SchemaRegistryClient({ baseURLs: [h.url] });
    const subject = "confluent-payments-value";
    const info = { schemaType: "AVRO", schema: JSON.stringify(PAYMENT_V1) };
    const id = await client.register(subject, info);
    assert.equal(typeof id, "number");
    assert.equal(await client.getId(subject, info), id);
    const latest = await client.getLatestSchemaMetadata(subject);
    assert.equal(latest.id, id);
    assert.equal(latest.version, 1);
    assert.deepEqual(await client.getAllVersions(subject), [1]);
    assert.ok(
      await client.testSubjectCompatibility(subject, {
        schemaType: "AVRO",
        schema: JSON.stringify(PAYMENT_V2),
      }),
    );
    assert.equal(
      await client.testCompatibility(subject, 1, { schemaType: "AVRO", schema: JSON.stringify(PAYMENT_BAD) }),
      false,
    );
    await assert.rejects(
      client.register(subject, { schemaType: "AVRO", schema: JSON.stringify(PAYMENT_BAD) }),
      (e) => {
        const error = e as { status?: number; errorCode?: number };
        return error.status === 409;
      },
    );
    const serializer = new AvroSerializer(client, SerdeType.VALUE, { useLatestVersion: true });
    const bytes = await serializer.serialize("confluent-payments", record);
    assert.equal(bytes[0], 0);
    assert.equal(bytes.readInt32BE(1), id);
    const deserializer = new AvroDeserializer(client, SerdeType.VALUE, {});
    assert.deepEqual(normalizeRecord(await deserializer.deserialize("confluent-payments", bytes)), record);
  });

  test("@confluentinc/schemaregistry's serializer auto-registers the schema it derives", async () => {
    const client = new SchemaRegistryClient({ baseURLs: [h.url] });
    const serializer = new AvroSerializer(client, SerdeType.VALUE, { autoRegisterSchemas: true });
    const bytes = await serializer.serialize("auto", { a: 1, b: "x" });
    const latest = await client.getLatestSchemaMetadata("auto-value");
    assert.equal(bytes.readInt32BE(1), latest.id);
    const deserializer = new AvroDeserializer(client, SerdeType.VALUE, {});
    assert.deepEqual(normalizeRecord(await deserializer.deserialize("auto", bytes)), { a: 1, b: "x" });
  });

  test("@kafkajs/confluent-schema-registry: register, getLatestSchemaId, encode, decode", async () => {
    const registry = new KafkajsRegistry({ host: h.url });
    const subject = "kafkajs-payments-value";
    const { id } = await registry.register(
      { type: KafkajsSchemaType.AVRO, schema: JSON.stringify(PAYMENT_V1) },
      { subject },
    );
    assert.equal(await registry.getLatestSchemaId(subject), id);
    assert.equal(await registry.getRegistryId(subject, 1), id);
    assert.equal(
      await registry.getRegistryIdBySchema(subject, {
        type: KafkajsSchemaType.AVRO,
        schema: JSON.stringify(PAYMENT_V1),
      }),
      id,
    );
    // kafkajs set BACKWARD on the subject at first registration (after a 404 on GET /config/{s}).
    assert.deepEqual((await h.call("GET", `/config/${subject}`)).json, { compatibilityLevel: "BACKWARD" });
    const second = await registry.register(
      { type: KafkajsSchemaType.AVRO, schema: JSON.stringify(PAYMENT_V2) },
      { subject },
    );
    assert.notEqual(second.id, id);
    await assert.rejects(
      registry.register({ type: KafkajsSchemaType.AVRO, schema: JSON.stringify(PAYMENT_BAD) }, { subject }),
      /incompatible/,
    );
    const bytes = await registry.encode(id, record);
    assert.deepEqual(normalizeRecord(await registry.decode(bytes)), record);
  });

  test("confluent-kafka for Python: register, latest, lookup, compatibility, encode and decode", async () => {
    const subject = "python-payments-value";
    const [registered, latest, lookup, byId, compatible, incompatible, refused, encoded] = await python(
      h.url,
      [
        { op: "register", subject, schema: JSON.stringify(PAYMENT_V1) },
        { op: "latest", subject },
        { op: "lookup", subject, schema: JSON.stringify(PAYMENT_V1) },
        { op: "by_id", id: 1 },
        { op: "compatible", subject, schema: JSON.stringify(PAYMENT_V2) },
        { op: "compatible", subject, schema: JSON.stringify(PAYMENT_BAD) },
        { op: "register_error", subject, schema: JSON.stringify(PAYMENT_BAD) },
        { op: "encode", id: 1, record },
      ],
    );
    assert.equal(latest.id, registered.id);
    assert.equal(latest.version, 1);
    assert.equal(lookup.id, registered.id);
    assert.equal(typeof byId.schema, "string");
    assert.equal(compatible.compatible, true);
    assert.equal(incompatible.compatible, false);
    assert.equal(refused.status, 409);
    const bytes = Buffer.from(encoded.hex, "hex");
    assert.equal(bytes.readInt32BE(1), registered.id);
    const [decoded] = await python(h.url, [{ op: "decode", hex: encoded.hex }]);
    assert.deepEqual(decoded.record, record);
  });

  test("a value encoded by each client is decoded by the other two", async () => {
    const subject = "cross-value";
    const confluent = new SchemaRegistryClient({ baseURLs: [h.url] });
    const kafkajs = new KafkajsRegistry({ host: h.url });
    const id = await confluent.register(subject, { schemaType: "AVRO", schema: JSON.stringify(PAYMENT_V1) });
    const serializer = new AvroSerializer(confluent, SerdeType.VALUE, { useLatestVersion: true });
    const deserializer = new AvroDeserializer(confluent, SerdeType.VALUE, {});

    const fromConfluent = await serializer.serialize("cross", record);
    const fromKafkajs = await kafkajs.encode(id, record);
    const [fromPython] = await python(h.url, [{ op: "encode", id, record }]);
    const pythonBytes = Buffer.from(fromPython.hex, "hex");
    // The three encoders agree byte for byte on the same record and schema.
    assert.deepEqual(fromKafkajs, fromConfluent);
    assert.deepEqual(pythonBytes, fromConfluent);

    assert.deepEqual(normalizeRecord(await kafkajs.decode(fromConfluent)), record);
    assert.deepEqual(normalizeRecord(await kafkajs.decode(pythonBytes)), record);
    assert.deepEqual(normalizeRecord(await deserializer.deserialize("cross", fromKafkajs)), record);
    assert.deepEqual(normalizeRecord(await deserializer.deserialize("cross", pythonBytes)), record);
    const decoded = await python(h.url, [
      { op: "decode", hex: fromConfluent.toString("hex") },
      { op: "decode", hex: fromKafkajs.toString("hex") },
    ]);
    assert.deepEqual(decoded[0].record, record);
    assert.deepEqual(decoded[1].record, record);
  });
});
