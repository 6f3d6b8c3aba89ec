import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { checkCompatibility, jsonSchemaFormat, type PriorVersion } from "../../src/registry/index.js";
import { RegistryHarness } from "./registry-harness.js";

/**
 * JSON Schema compatibility, as rows of (original, update): BACKWARD for the update means every
 * document valid under the original is valid under the update. Rows follow Confluent's
 * documented rules for content models, properties, types, enums, required and bounds.
 */

const obj = (properties: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  type: "object",
  properties,
  ...extra,
});
const closed = (properties: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
  obj(properties, { additionalProperties: false, ...extra });

interface Row {
  rule: string;
  original: unknown;
  update: unknown;
  backward: boolean;
  errorType?: string;
}

const S = { type: "string" };
const N = { type: "number" };
const I = { type: "integer" };

const ROWS: Row[] = [
  { rule: "identical", original: obj({ a: S }), update: obj({ a: S }), backward: true },
  {
    rule: "annotations changed",
    original: obj({ a: S }, { title: "x" }),
    update: obj({ a: { ...S, description: "d" } }, { title: "y" }),
    backward: true,
  },
  {
    rule: "property added to an open content model",
    original: obj({ a: S }),
    update: obj({ a: S, b: N }),
    backward: false,
    errorType: "PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL",
  },
  {
    rule: "property with empty schema added to an open model",
    original: obj({ a: S }),
    update: obj({ a: S, b: {} }),
    backward: true,
  },
  {
    rule: "optional property added to a closed content model",
    original: closed({ a: S }),
    update: closed({ a: S, b: N }),
    backward: true,
  },
  {
    rule: "required property added to a closed content model",
    original: closed({ a: S }),
    update: closed({ a: S, b: N }, { required: ["b"] }),
    backward: false,
    errorType: "REQUIRED_ATTRIBUTE_ADDED",
  },
  {
    rule: "required property with default added to a closed model",
    original: closed({ a: S }),
    update: closed({ a: S, b: { ...N, default: 0 } }, { required: ["b"] }),
    backward: true,
  },
  {
    rule: "property removed from an open content model",
    original: obj({ a: S, b: N }),
    update: obj({ a: S }),
    backward: true,
  },
  {
    rule: "property removed from a closed content model",
    original: closed({ a: S, b: N }),
    update: closed({ a: S }),
    backward: false,
    errorType: "PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL",
  },
  {
    rule: "property with false schema removed from a closed model",
    original: closed({ a: S, b: false }),
    update: closed({ a: S }),
    backward: true,
  },
  {
    rule: "property added covered by a partially open model",
    original: obj({ a: S }, { additionalProperties: N }),
    update: obj({ a: S, b: N }, { additionalProperties: N }),
    backward: true,
  },
  {
    rule: "property added not covered by a partially open model",
    original: obj({ a: S }, { additionalProperties: N }),
    update: obj({ a: S, b: S }, { additionalProperties: N }),
    backward: false,
    errorType: "PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
  },
  {
    rule: "property removed covered by a partially open model",
    original: obj({ a: S, b: I }, { additionalProperties: N }),
    update: obj({ a: S }, { additionalProperties: N }),
    backward: true,
  },
  {
    rule: "property covered by patternProperties",
    original: obj({ a: S }, { patternProperties: { "^n_": N } }),
    update: obj({ a: S, n_x: N }, { patternProperties: { "^n_": N } }),
    backward: true,
  },
  { rule: "content model opened", original: closed({ a: S }), update: obj({ a: S }), backward: true },
  {
    rule: "content model closed",
    original: obj({ a: S }),
    update: closed({ a: S }),
    backward: false,
    errorType: "ADDITIONAL_PROPERTIES_REMOVED",
  },
  {
    rule: "required removed",
    original: obj({ a: S }, { required: ["a"] }),
    update: obj({ a: S }),
    backward: true,
  },
  {
    rule: "required added",
    original: obj({ a: S }),
    update: obj({ a: S }, { required: ["a"] }),
    backward: false,
    errorType: "REQUIRED_ATTRIBUTE_ADDED",
  },
  { rule: "type widened to a union", original: S, update: { type: ["string", "null"] }, backward: true },
  {
    rule: "type narrowed",
    original: { type: ["string", "null"] },
    update: S,
    backward: false,
    errorType: "TYPE_NARROWED",
  },
  { rule: "type changed", original: S, update: N, backward: false, errorType: "TYPE_CHANGED" },
  { rule: "integer widened to number", original: I, update: N, backward: true },
  { rule: "number narrowed to integer", original: N, update: I, backward: false },
  {
    rule: "enum extended",
    original: { enum: ["A", "B"] },
    update: { enum: ["A", "B", "C"] },
    backward: true,
  },
  {
    rule: "enum narrowed",
    original: { enum: ["A", "B"] },
    update: { enum: ["A"] },
    backward: false,
    errorType: "ENUM_ARRAY_NARROWED",
  },
  { rule: "enum added", original: S, update: { ...S, enum: ["A"] }, backward: false },
  { rule: "enum removed", original: { ...S, enum: ["A"] }, update: S, backward: true },
  {
    rule: "maxLength increased",
    original: { ...S, maxLength: 5 },
    update: { ...S, maxLength: 10 },
    backward: true,
  },
  {
    rule: "maxLength decreased",
    original: { ...S, maxLength: 10 },
    update: { ...S, maxLength: 5 },
    backward: false,
    errorType: "MAX_LENGTH_DECREASED",
  },
  {
    rule: "maxLength added",
    original: S,
    update: { ...S, maxLength: 5 },
    backward: false,
    errorType: "MAX_LENGTH_ADDED",
  },
  { rule: "minLength removed", original: { ...S, minLength: 2 }, update: S, backward: true },
  { rule: "minimum decreased", original: { ...N, minimum: 5 }, update: { ...N, minimum: 0 }, backward: true },
  {
    rule: "minimum increased",
    original: { ...N, minimum: 0 },
    update: { ...N, minimum: 5 },
    backward: false,
    errorType: "MINIMUM_INCREASED",
  },
  { rule: "maximum removed", original: { ...N, maximum: 5 }, update: N, backward: true },
  {
    rule: "pattern added",
    original: S,
    update: { ...S, pattern: "^a" },
    backward: false,
    errorType: "PATTERN_ADDED",
  },
  { rule: "pattern removed", original: { ...S, pattern: "^a" }, update: S, backward: true },
  {
    rule: "multipleOf reduced",
    original: { ...N, multipleOf: 10 },
    update: { ...N, multipleOf: 5 },
    backward: true,
  },
  {
    rule: "multipleOf changed",
    original: { ...N, multipleOf: 5 },
    update: { ...N, multipleOf: 10 },
    backward: false,
  },
  {
    rule: "nested object property type changed",
    original: obj({ n: obj({ x: S }) }),
    update: obj({ n: obj({ x: N }) }),
    backward: false,
  },
  {
    rule: "nested closed object gains optional property",
    original: obj({ n: closed({ x: S }) }),
    update: obj({ n: closed({ x: S, y: N }) }),
    backward: true,
  },
  {
    rule: "array items widened",
    original: { type: "array", items: I },
    update: { type: "array", items: N },
    backward: true,
  },
  {
    rule: "array items narrowed",
    original: { type: "array", items: N },
    update: { type: "array", items: I },
    backward: false,
  },
  {
    rule: "array items constrained from anything",
    original: { type: "array" },
    update: { type: "array", items: S },
    backward: false,
  },
  {
    rule: "maxItems added",
    original: { type: "array" },
    update: { type: "array", maxItems: 3 },
    backward: false,
    errorType: "MAX_ITEMS_ADDED",
  },
  {
    rule: "uniqueItems added",
    original: { type: "array" },
    update: { type: "array", uniqueItems: true },
    backward: false,
  },
  {
    rule: "oneOf extended",
    original: { oneOf: [S, N] },
    update: { oneOf: [S, N, { type: "boolean" }] },
    backward: true,
  },
  {
    rule: "oneOf narrowed",
    original: { oneOf: [S, N] },
    update: { oneOf: [S] },
    backward: false,
    errorType: "SUM_TYPE_NARROWED",
  },
  { rule: "type becomes a oneOf containing it", original: S, update: { oneOf: [S, N] }, backward: true },
  {
    rule: "allOf loses a constraint",
    original: { allOf: [S, { maxLength: 3 }] },
    update: { allOf: [S] },
    backward: true,
  },
  {
    rule: "allOf gains a constraint",
    original: { allOf: [S] },
    update: { allOf: [S, { maxLength: 3 }] },
    backward: false,
  },
  { rule: "anything becomes constrained", original: {}, update: S, backward: false },
  { rule: "constrained becomes anything", original: S, update: {}, backward: true },
  {
    rule: "local $ref definitions compared by what they point at",
    original: { definitions: { A: S }, type: "object", properties: { a: { $ref: "#/definitions/A" } } },
    update: { definitions: { A: N }, type: "object", properties: { a: { $ref: "#/definitions/A" } } },
    backward: false,
  },
  {
    rule: "recursive $ref terminates",
    original: { $defs: { node: obj({ next: { $ref: "#/$defs/node" } }) }, $ref: "#/$defs/node" },
    update: { $defs: { node: obj({ next: { $ref: "#/$defs/node" } }) }, $ref: "#/$defs/node" },
    backward: true,
  },
];

const parse = (schema: unknown) => jsonSchemaFormat.parse(JSON.stringify(schema), []);

describe("JSON Schema compatibility table", () => {
  for (const row of ROWS) {
    test(`${row.backward ? "compatible" : "incompatible"}: ${row.rule}`, () => {
      const issues = jsonSchemaFormat.check(parse(row.update), parse(row.original), {
        reader: "new",
        writer: "old",
      });
      assert.equal(issues.length === 0, row.backward, JSON.stringify(issues));
      if (row.errorType) assert.equal(issues[0]?.errorType, row.errorType);
    });
  }
});

describe("JSON Schema levels", () => {
  const v1 = closed({ a: S });
  const v2 = closed({ a: S, b: N });
  const priors = (schemas: unknown[]): PriorVersion[] =>
    schemas.map((schema, i) => ({ version: i + 1, schema: JSON.stringify(schema), parsed: parse(schema) }));

  test("closed model: adding an optional property is backward but not forward compatible", () => {
    assert.equal(checkCompatibility(jsonSchemaFormat, "BACKWARD", parse(v2), priors([v1])).compatible, true);
    assert.equal(checkCompatibility(jsonSchemaFormat, "FORWARD", parse(v2), priors([v1])).compatible, false);
    assert.equal(checkCompatibility(jsonSchemaFormat, "FULL", parse(v2), priors([v1])).compatible, false);
  });

  test("open model: removing a property is backward compatible, adding one is forward compatible", () => {
    const open1 = obj({ a: S, b: N });
    const open2 = obj({ a: S });
    assert.equal(
      checkCompatibility(jsonSchemaFormat, "BACKWARD", parse(open2), priors([open1])).compatible,
      true,
    );
    assert.equal(
      checkCompatibility(jsonSchemaFormat, "FORWARD", parse(open1), priors([open2])).compatible,
      true,
    );
    assert.equal(
      checkCompatibility(jsonSchemaFormat, "FULL_TRANSITIVE", parse(open2), priors([open1])).compatible,
      false,
    );
  });

  test("transitive levels look at every version", () => {
    const v3 = closed({ a: S, b: N, c: S });
    assert.equal(
      checkCompatibility(jsonSchemaFormat, "FORWARD", parse(v3), priors([v1, v3])).compatible,
      true,
    );
    assert.equal(
      checkCompatibility(jsonSchemaFormat, "FORWARD_TRANSITIVE", parse(v3), priors([v1, v3])).compatible,
      false,
    );
  });
});

describe("JSON Schema parsing and the registry", () => {
  test("invalid documents are refused", () => {
    for (const bad of [
      "{",
      "42",
      '{"type":"strin"}',
      '{"properties":[]}',
      '{"required":"a"}',
      '{"$ref":"other.json"}',
    ]) {
      assert.throws(
        () => jsonSchemaFormat.parse(bad, []),
        (e: { errorCode?: number }) => e.errorCode === 42201,
        bad,
      );
    }
  });

  test("canonical text keeps key order without whitespace; normalized sorts keys", () => {
    const parsed = parse({ type: "object", properties: { b: S, a: S } });
    assert.equal(
      parsed.canonical,
      '{"type":"object","properties":{"b":{"type":"string"},"a":{"type":"string"}}}',
    );
    assert.equal(
      parsed.normalized(),
      '{"properties":{"a":{"type":"string"},"b":{"type":"string"}},"type":"object"}',
    );
  });

  test("JSON subjects register, check, and resolve references over HTTP", async () => {
    const h = await RegistryHarness.start();
    try {
      const register = (subject: string, schema: unknown, extra: Record<string, unknown> = {}) =>
        h.register(subject, schema, { schemaType: "JSON", ...extra });
      const first = await register("j", closed({ a: S }));
      assert.equal(first.status, 200);
      const byId = await h.call("GET", `/schemas/ids/${first.json.id}`);
      assert.equal(byId.json.schemaType, "JSON");
      assert.equal((await register("j", closed({ a: S, b: N }))).status, 200);
      // Re-registering v1 answers v1 itself: no check runs for a schema already in the subject.
      assert.equal((await register("j", closed({ a: S }))).json.version, 1);
      const refused = await register("j", closed({ a: N }));
      assert.equal(refused.status, 409);
      assert.match(refused.json.message, /PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL/);
      await register("address", obj({ street: S }));
      const refs = [{ name: "address.json", subject: "address", version: 1 }];
      const withRef = await register("customer", obj({ address: { $ref: "address.json" } }), {
        references: refs,
      });
      assert.equal(withRef.status, 200);
      const missing = await register("customer2", obj({ address: { $ref: "nowhere.json" } }));
      assert.equal(missing.json.error_code, 42201);
      // An Avro schema never matches a JSON one: a different type is incompatible.
      const avroAfterJson = await h.register("j", '"string"');
      assert.equal(avroAfterJson.status, 409);
    } finally {
      await h.close();
    }
  });
});
