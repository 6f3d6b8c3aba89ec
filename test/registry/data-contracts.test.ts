import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  JsonDeserializer,
  JsonSerializer,
  SchemaRegistryClient,
  SerdeType,
} from "@confluentinc/schemaregistry";
import { MemorySchemaLog } from "../../src/registry/index.js";
import { RegistryHarness } from "./registry-harness.js";

/*
 * Data contracts and the rest of Confluent's REST API, as Confluent's registry serves them
 * (AbstractSchemaRegistry.maybeSetMetadataRuleSet, getLatestWithMetadata, isCompatibleWithPrevious;
 * client/rest/entities Metadata and RuleSet; Confluent's RestApiTest and docs "Data Contracts"):
 * - `metadata` (tags, properties, sensitive) and `ruleSet` (domainRules, migrationRules) are
 *   stored with the version, returned by register, lookup, GET by id and by version, kept in the
 *   `_schemas` record (so a restart replays them), and are part of a schema's identity (the same
 *   text with another contract is a new version with a new id);
 * - a version registered without a contract inherits the latest version's; the config's
 *   defaultMetadata/defaultRuleSet go under it and overrideMetadata/overrideRuleSet over it;
 *   `confluent:version` is set when the request names a version or the metadata carries one;
 * - a lookup without a contract finds the schema whatever its contract;
 * - `GET /subjects/{s}/metadata?key=k&value=v` answers the latest version whose properties hold
 *   every pair (40401 unknown subject, 40403 no match);
 * - `compatibilityGroup` in config: only versions with the candidate's value of that property are
 *   checked;
 * - `normalize=true` for JSON Schema and Protobuf;
 * - `GET /schemas` with subjectPrefix, deleted, latestOnly, offset/limit; `GET /subjects` with
 *   subjectPrefix, deleted, deletedOnly;
 * - Confluent's JSON Schema serializer and deserializer (@confluentinc/schemaregistry) round-trip.
 * Not covered: rule execution (the registry stores rules; clients run them), `encodingRules` beyond
 * storage, `/schemas/guids`. Contexts: test/registry/contexts.test.ts; Confluent's Protobuf serdes
 * (base64 FileDescriptorProto, `format=serialized`): test/registry/protobuf-serialized.test.ts.
 */

const AVRO_V1 = JSON.stringify({
  type: "record",
  name: "Order",
  fields: [{ name: "id", type: "string" }],
});
const AVRO_V2 = JSON.stringify({
  type: "record",
  name: "Order",
  fields: [
    { name: "id", type: "string" },
    { name: "note", type: "string", default: "" },
  ],
});
const AVRO_BREAKING = JSON.stringify({
  type: "record",
  name: "Order",
  fields: [{ name: "id", type: "long" }],
});

const METADATA = {
  tags: { "Order.id": ["PII"] },
  properties: { owner: "payments", major: "1" },
  sensitive: ["secret"],
};
const RULE_SET = {
  domainRules: [{ name: "checkId", kind: "CONDITION", mode: "WRITE", type: "CEL", expr: "message.id != ''" }],
  migrationRules: [{ name: "upgrade", kind: "TRANSFORM", mode: "UPGRADE", type: "JSONATA", expr: "$" }],
};

describe("Data contracts: metadata and rule sets", () => {
  test("stored and returned by register, lookup, GET by id and by version; part of identity; replayed", async () => {
    const store = new MemorySchemaLog();
    const h = await RegistryHarness.start(store);
    try {
      const registered = await h.register("orders", AVRO_V1, { metadata: METADATA, ruleSet: RULE_SET });
      assert.equal(registered.status, 200, registered.text);
      const expectedMetadata = {
        tags: { "Order.id": ["PII"] },
        properties: { major: "1", owner: "payments" },
        sensitive: ["secret"],
      };
      assert.deepEqual(registered.json.metadata, expectedMetadata);
      const byId = await h.call("GET", `/schemas/ids/${registered.json.id}`);
      assert.deepEqual(byId.json.metadata, expectedMetadata);
      assert.deepEqual(byId.json.ruleSet, RULE_SET);
      const byVersion = await h.call("GET", "/subjects/orders/versions/1");
      assert.deepEqual(byVersion.json.metadata, expectedMetadata);
      assert.deepEqual(byVersion.json.ruleSet, RULE_SET);
      const lookup = await h.call("POST", "/subjects/orders", { schema: AVRO_V1 });
      assert.equal(lookup.json.version, 1);
      assert.deepEqual(lookup.json.ruleSet, RULE_SET);
      const otherContract = await h.call("POST", "/subjects/orders", {
        schema: AVRO_V1,
        metadata: { properties: { owner: "someone-else" } },
      });
      assert.equal(otherContract.json.error_code, 40403);
      // The same text with another contract: a new version and a new id.
      const again = await h.register("orders", AVRO_V1, { metadata: { properties: { owner: "billing" } } });
      assert.equal(again.json.version, 2);
      assert.notEqual(again.json.id, registered.json.id);
      // The same text and contract elsewhere: the same id.
      const elsewhere = await h.register("orders-copy", AVRO_V1, { metadata: METADATA, ruleSet: RULE_SET });
      assert.equal(elsewhere.json.id, registered.json.id);
      await h.restart();
      const replayed = await h.call("GET", "/subjects/orders/versions/1");
      assert.deepEqual(replayed.json.metadata, expectedMetadata);
      assert.deepEqual(replayed.json.ruleSet, RULE_SET);
    } finally {
      await h.close();
    }
  });

  test("a version without a contract inherits the latest one's; config defaults and overrides merge", async () => {
    const h = await RegistryHarness.start();
    try {
      await h.register("orders", AVRO_V1, { metadata: METADATA, ruleSet: RULE_SET });
      const v2 = await h.register("orders", AVRO_V2);
      assert.equal(v2.json.version, 2);
      assert.deepEqual(v2.json.metadata.properties, { major: "1", owner: "payments" });
      assert.deepEqual(v2.json.ruleSet, RULE_SET);
      await h.call("PUT", "/config/orders", {
        compatibility: "NONE",
        defaultMetadata: { properties: { team: "core", owner: "default-owner" } },
        overrideMetadata: { properties: { env: "prod" } },
        overrideRuleSet: { domainRules: [{ name: "checkId", kind: "CONDITION", type: "CEL", expr: "true" }] },
      });
      const v3 = await h.register("orders", AVRO_BREAKING, {
        metadata: { properties: { owner: "billing" } },
      });
      assert.equal(v3.status, 200, v3.text);
      assert.deepEqual(v3.json.metadata.properties, { env: "prod", owner: "billing", team: "core" });
      assert.deepEqual(
        v3.json.ruleSet.domainRules.map((r: { name: string; expr: string }) => [r.name, r.expr]),
        [["checkId", "true"]],
      );
      assert.deepEqual(v3.json.ruleSet.migrationRules, RULE_SET.migrationRules);
      // A named version sets confluent:version, and later versions keep it current.
      const v4 = await h.register("orders", AVRO_V1, {
        version: 4,
        metadata: { properties: { owner: "x" } },
      });
      assert.equal(v4.json.metadata.properties["confluent:version"], "4");
      const v5 = await h.register("orders", AVRO_V2);
      assert.equal(v5.json.metadata.properties["confluent:version"], "5");
    } finally {
      await h.close();
    }
  });

  test("GET /subjects/{s}/metadata: the latest version with every key/value pair", async () => {
    const h = await RegistryHarness.start();
    try {
      await h.register("orders", AVRO_V1, { metadata: { properties: { owner: "a", major: "1" } } });
      await h.register("orders", AVRO_V2, { metadata: { properties: { owner: "b", major: "1" } } });
      const latestMajor1 = await h.call("GET", "/subjects/orders/metadata?key=major&value=1");
      assert.equal(latestMajor1.json.version, 2);
      const ownerA = await h.call("GET", "/subjects/orders/metadata?key=major&value=1&key=owner&value=a");
      assert.equal(ownerA.json.version, 1);
      assert.equal(ownerA.json.subject, "orders");
      assert.equal(
        (await h.call("GET", "/subjects/orders/metadata?key=major&value=9")).json.error_code,
        40403,
      );
      assert.equal((await h.call("GET", "/subjects/nothing/metadata?key=a&value=b")).json.error_code, 40401);
      await h.call("DELETE", "/subjects/orders/versions/1");
      assert.equal(
        (await h.call("GET", "/subjects/orders/metadata?key=owner&value=a")).json.error_code,
        40403,
      );
      const deleted = await h.call("GET", "/subjects/orders/metadata?key=owner&value=a&deleted=true");
      assert.equal(deleted.json.version, 1);
    } finally {
      await h.close();
    }
  });

  test("compatibilityGroup: only versions in the candidate's group are checked", async () => {
    const h = await RegistryHarness.start();
    try {
      await h.call("PUT", "/config/orders", { compatibility: "BACKWARD", compatibilityGroup: "major" });
      assert.equal((await h.call("GET", "/config/orders")).json.compatibilityGroup, "major");
      await h.register("orders", AVRO_V1, { metadata: { properties: { major: "1" } } });
      // A breaking change in a new group registers.
      const major2 = await h.register("orders", AVRO_BREAKING, { metadata: { properties: { major: "2" } } });
      assert.equal(major2.status, 200, major2.text);
      // Within group 1 it is checked against v1 and refused.
      const breaking1 = await h.register("orders", AVRO_BREAKING.replace('"long"', '"int"'), {
        metadata: { properties: { major: "1" } },
      });
      assert.equal(breaking1.status, 409);
      // Without the group config the same registration is checked against the latest (v2, long -> int).
      await h.call("PUT", "/config/orders", { compatibility: "NONE" });
      await h.call("PUT", "/config/orders", { compatibility: "BACKWARD", compatibilityGroup: "none-such" });
      const compatible = await h.call("POST", "/compatibility/subjects/orders/versions/latest", {
        schema: AVRO_V2,
        metadata: { properties: { major: "1" } },
      });
      assert.equal(compatible.json.is_compatible, false);
    } finally {
      await h.close();
    }
  });
});

describe("The rest of the API", () => {
  test("normalize=true for JSON Schema and Protobuf", async () => {
    const h = await RegistryHarness.start();
    try {
      const json = await h.register(
        "json",
        '{"type":"object","properties":{"b":{"type":"string"},"a":{"type":"integer"}}}',
        { schemaType: "JSON" },
        "?normalize=true",
      );
      const reordered = await h.call("POST", "/subjects/json?normalize=true", {
        schema: '{"properties":{"a":{"type":"integer"},"b":{"type":"string"}},"type":"object"}',
        schemaType: "JSON",
      });
      assert.equal(reordered.json.id, json.json.id);
      const proto = await h.register(
        "proto",
        'syntax = "proto3";\nimport "google/protobuf/timestamp.proto";\nimport "google/protobuf/duration.proto";\nmessage M { google.protobuf.Timestamp t = 1; google.protobuf.Duration d = 2; }',
        { schemaType: "PROTOBUF" },
        "?normalize=true",
      );
      const importsSwapped = await h.call("POST", "/subjects/proto?normalize=true", {
        schema:
          'syntax = "proto3";\nimport "google/protobuf/duration.proto";\nimport "google/protobuf/timestamp.proto";\nmessage M { google.protobuf.Timestamp t = 1; google.protobuf.Duration d = 2; }',
        schemaType: "PROTOBUF",
      });
      assert.equal(importsSwapped.json.id, proto.json.id);
    } finally {
      await h.close();
    }
  });

  test("GET /schemas and GET /subjects filters", async () => {
    const h = await RegistryHarness.start();
    try {
      await h.call("PUT", "/config", { compatibility: "NONE" });
      await h.register("a-one", AVRO_V1);
      await h.register("a-one", AVRO_V2);
      await h.register("a-two", AVRO_V1);
      await h.register("b-one", AVRO_BREAKING);
      await h.call("DELETE", "/subjects/a-two");
      const prefixed = await h.call("GET", "/schemas?subjectPrefix=a-");
      assert.deepEqual(
        prefixed.json.map((s: { subject: string; version: number }) => [s.subject, s.version]),
        [
          ["a-one", 1],
          ["a-one", 2],
        ],
      );
      const withDeleted = await h.call("GET", "/schemas?subjectPrefix=a-&deleted=true&latestOnly=true");
      assert.deepEqual(
        withDeleted.json.map((s: { subject: string; version: number }) => [s.subject, s.version]),
        [
          ["a-one", 2],
          ["a-two", 1],
        ],
      );
      const page = await h.call("GET", "/schemas?offset=1&limit=1");
      assert.deepEqual([page.json[0].subject, page.json[0].version], ["a-one", 2]);
      assert.deepEqual((await h.call("GET", "/subjects?subjectPrefix=a-")).json, ["a-one"]);
      assert.deepEqual((await h.call("GET", "/subjects?subjectPrefix=a-&deleted=true")).json, [
        "a-one",
        "a-two",
      ]);
      assert.deepEqual((await h.call("GET", "/subjects?deletedOnly=true")).json, ["a-two"]);
    } finally {
      await h.close();
    }
  });

  test("Confluent's JSON Schema serializer and deserializer round-trip through Brook", async () => {
    const h = await RegistryHarness.start();
    try {
      const client = new SchemaRegistryClient({ baseURLs: [h.url] });
      const schema = {
        type: "object",
        properties: { id: { type: "string" }, amount: { type: "number" } },
        required: ["id"],
      };
      await client.register("payments-value", { schemaType: "JSON", schema: JSON.stringify(schema) });
      const serializer = new JsonSerializer(client, SerdeType.VALUE, {
        useLatestVersion: true,
        validate: true,
      });
      const value = { id: "p-1", amount: 12.5 };
      const bytes = await serializer.serialize("payments", value);
      assert.equal(bytes[0], 0);
      const latest = await client.getLatestSchemaMetadata("payments-value");
      assert.equal(bytes.readInt32BE(1), latest.id);
      const deserializer = new JsonDeserializer(client, SerdeType.VALUE, {});
      assert.deepEqual(await deserializer.deserialize("payments", bytes), value);
      await assert.rejects(serializer.serialize("payments", { amount: 1 }));
    } finally {
      await h.close();
    }
  });
});
