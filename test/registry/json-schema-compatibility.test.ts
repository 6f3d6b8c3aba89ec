import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import {
  COMPATIBLE_CHANGES_LENIENT,
  COMPATIBLE_CHANGES_STRICT,
  type DifferenceType,
} from "../../src/registry/formats/json-schema/difference.js";
import { diffSchemas } from "../../src/registry/formats/json-schema/schema-diff.js";
import {
  checkCompatibility,
  type JsonSchema,
  jsonSchemaFormat,
  type PriorVersion,
} from "../../src/registry/index.js";
import { RegistryHarness } from "./registry-harness.js";

/*
 * JSON Schema compatibility: Confluent's structural diff (json-schema-provider, `SchemaDiff`), checked
 * against Confluent's own test cases (test/fixtures/registry/json-schema-diff-cases.json, transcribed from
 * its diff-*.json test resources: 263 cases, every reported difference with its path and order, STRICT
 * and LENIENT verdicts) and against cases Brook derived from reading Confluent's code (BROOK_CASES
 * below: drafts and keywords the resources do not exercise).
 *
 * Coverage of Confluent's `Difference.Type` catalogue (C: in Confluent's cases, B: in Brook's cases):
 *   ID_CHANGED C B, TITLE_CHANGED C, DESCRIPTION_CHANGED C, DEFAULT_CHANGED B, SCHEMA_ADDED C,
 *   SCHEMA_REMOVED C, TYPE_EXTENDED C, TYPE_NARROWED C, TYPE_CHANGED C B;
 *   MAX_LENGTH_* / MIN_LENGTH_* (increased, decreased, removed) C, MAX_LENGTH_ADDED B, PATTERN_REMOVED C,
 *   PATTERN_CHANGED C, PATTERN_ADDED B;
 *   MAXIMUM_* / MINIMUM_* (removed, increased, decreased) C, MAXIMUM_ADDED B, EXCLUSIVE_MAXIMUM_DECREASED B,
 *   EXCLUSIVE_MINIMUM_INCREASED B, MULTIPLE_OF_REMOVED/REDUCED/CHANGED C, MULTIPLE_OF_EXPANDED B;
 *   REQUIRED_ATTRIBUTE_ADDED/REMOVED C, REQUIRED_ATTRIBUTE_WITH_DEFAULT_ADDED B, MAX/MIN_PROPERTIES_* C,
 *   ADDITIONAL_PROPERTIES_ADDED/REMOVED/NARROWED C, DEPENDENCY_ARRAY_ADDED/REMOVED C,
 *   DEPENDENCY_ARRAY_EXTENDED/NARROWED/CHANGED B, DEPENDENCY_SCHEMA_ADDED/REMOVED C (draft 7
 *   `dependencies`, 2020-12 `dependentRequired`/`dependentSchemas`; 2019-09 B);
 *   OPTIONAL_PROPERTY_ADDED_TO_OPEN/UNOPEN_CONTENT_MODEL C, REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL C,
 *   PROPERTY_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL C, PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL C,
 *   PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL B, PROPERTY_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL C,
 *   PROPERTY_ADDED/REMOVED_IS/NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL C (additionalProperties schema,
 *   patternProperties, unevaluatedProperties schema); UNEVALUATED_PROPERTIES_ADDED/REMOVED/NARROWED B;
 *   MAX_ITEMS_DECREASED, MIN_ITEMS_* C, UNIQUE_ITEMS_REMOVED C, ADDITIONAL_ITEMS_ADDED/REMOVED/EXTENDED C,
 *   ITEM_* (all but ITEM_ADDED_TO_OPEN_CONTENT_MODEL and ITEM_REMOVED_FROM_CLOSED_CONTENT_MODEL) C, for
 *   draft 7 `items` lists with `additionalItems` and 2020-12 `prefixItems` with `items`/`unevaluatedItems`;
 *   UNEVALUATED_ITEMS_NARROWED/EXTENDED B; MIN_CONTAINS_INCREASED/DECREASED C, MAX_CONTAINS_ADDED/INCREASED B;
 *   ENUM_ARRAY_EXTENDED/CHANGED C; COMBINED_TYPE_EXTENDED/CHANGED, PRODUCT_TYPE_EXTENDED/NARROWED,
 *   SUM_TYPE_EXTENDED/NARROWED, COMBINED_TYPE_SUBSCHEMAS_CHANGED C B; NOT_TYPE_NARROWED/EXTENDED C B.
 * Implemented but in no case: the *_ADDED limits not listed above, MAX_ITEMS_ADDED/INCREASED/REMOVED,
 *   UNIQUE_ITEMS_ADDED, ADDITIONAL_ITEMS_NARROWED, ADDITIONAL_PROPERTIES_EXTENDED, UNEVALUATED_ITEMS_ADDED/
 *   REMOVED, MAX/MIN_CONTAINS_REMOVED/DECREASED, ENUM_ARRAY_NARROWED, ITEM_ADDED_TO_OPEN_CONTENT_MODEL,
 *   ITEM_REMOVED_FROM_CLOSED_CONTENT_MODEL, REQUIRED_PROPERTY_(WITH_DEFAULT_)ADDED_TO_OPEN_CONTENT_MODEL,
 *   REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_UNOPEN_CONTENT_MODEL (each a branch of a rule tested above).
 * Not covered: RESERVED_PROPERTY_REMOVED / RESERVED_PROPERTY_CONFLICTS_WITH_PROPERTY (Confluent's data
 *   contracts, `confluent:reserved` in schema metadata, which Brook's registry does not store; Confluent's
 *   diff does not report them either), PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL (deprecated, never reported),
 *   Confluent's LOGICAL `compatibilityPolicy` (read as STRICT). LENIENT is checked on the fixtures' verdicts
 *   and over REST (`compatibilityPolicy` in subject or global config).
 * Where Confluent's answer could not be determined, or Brook departs from it, see the `confluent` note
 * of the Brook cases: a lowered exclusiveMaximum without a maximum (Confluent fails with an internal
 * error), and 2019-09's tuple `items`/`additionalItems` (json-sKema's reading not traced; Brook reads them
 * as `prefixItems`/`items`).
 */

type Json = unknown;

interface DiffCase {
  source: string;
  description: string;
  original_schema: Json;
  update_schema: Json;
  changes: string[];
  compatible: boolean;
  compatible_lenient?: boolean;
  /** Referenced documents by reference name, for both schemas (Brook cases only). */
  references?: { original: Record<string, Json>; update: Record<string, Json> };
  /** When only some of the differences are asserted (recursive cases). */
  changes_include?: boolean;
  confluent?: string;
}

function fixturePath(name: string): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, "test", "fixtures", "registry", name);
    if (existsSync(candidate)) return candidate;
    dir = dirname(dir);
  }
  throw new Error(`cannot find test/fixtures/registry/${name}`);
}

const CONFLUENT_CASES: DiffCase[] = (
  JSON.parse(readFileSync(fixturePath("json-schema-diff-cases.json"), "utf8")) as { cases: DiffCase[] }
).cases;

const S = { type: "string" };
const N = { type: "number" };
const D4 = "http://json-schema.org/draft-04/schema#";
const D6 = "http://json-schema.org/draft-06/schema#";
const D2019 = "https://json-schema.org/draft/2019-09/schema";
const D2020 = "https://json-schema.org/draft/2020-12/schema";
const closed = (properties: Json, extra: Record<string, Json> = {}) => ({
  type: "object",
  properties,
  additionalProperties: false,
  ...extra,
});

/** Cases derived from Confluent's diff code (the `source` names the class whose rule they exercise). */
const BROOK_CASES: DiffCase[] = [
  brook("NumberSchemaDiff", "draft-04: boolean exclusiveMaximum is not compared", {
    original_schema: { $schema: D4, type: "number", maximum: 10, exclusiveMaximum: true },
    update_schema: { $schema: D4, type: "number", maximum: 10 },
    changes: [],
    compatible: true,
  }),
  brook("SchemaDiff", "draft-04: `id` is the id keyword", {
    original_schema: { $schema: D4, id: "a" },
    update_schema: { $schema: D4, id: "b" },
    changes: ["ID_CHANGED #/"],
    compatible: true,
  }),
  brook("Everit SchemaLoader", "draft-04 has no const: a changed const is not seen", {
    original_schema: { $schema: D4, const: "a" },
    update_schema: { $schema: D4, const: "b" },
    changes: [],
    compatible: true,
  }),
  brook("ConstSchemaDiff", "draft-06: changed const", {
    original_schema: { $schema: D6, const: "a" },
    update_schema: { $schema: D6, const: "b" },
    changes: ["ENUM_ARRAY_CHANGED #/const"],
    compatible: false,
  }),
  brook("ObjectSchemaDiff", "draft-07 reads no unevaluatedProperties", {
    original_schema: { type: "object" },
    update_schema: { type: "object", unevaluatedProperties: false },
    changes: [],
    compatible: true,
  }),
  brook("ObjectSchemaDiff", "2020-12: unevaluatedProperties false closes the content model", {
    original_schema: { $schema: D2020, type: "object", properties: { a: S } },
    update_schema: { $schema: D2020, type: "object", properties: { a: S }, unevaluatedProperties: false },
    changes: ["UNEVALUATED_PROPERTIES_REMOVED #/unevaluatedProperties"],
    compatible: false,
    compatible_lenient: true,
  }),
  brook("ObjectSchemaDiff", "2020-12: unevaluatedProperties false to true opens it", {
    original_schema: { $schema: D2020, type: "object", unevaluatedProperties: false },
    update_schema: { $schema: D2020, type: "object", unevaluatedProperties: true },
    changes: ["UNEVALUATED_PROPERTIES_ADDED #/unevaluatedProperties"],
    compatible: true,
  }),
  brook("ObjectSchemaDiff", "2020-12: unevaluatedProperties schema added", {
    original_schema: { $schema: D2020, type: "object" },
    update_schema: { $schema: D2020, type: "object", unevaluatedProperties: N },
    changes: ["UNEVALUATED_PROPERTIES_NARROWED #/unevaluatedProperties"],
    compatible: false,
    compatible_lenient: true,
  }),
  brook("ObjectSchemaDiff", "2020-12: property removed into a closed unevaluated model", {
    original_schema: { $schema: D2020, properties: { a: S, b: N }, unevaluatedProperties: false },
    update_schema: { $schema: D2020, properties: { a: S }, unevaluatedProperties: false },
    changes: ["PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL #/properties/b"],
    compatible: false,
    compatible_lenient: true,
  }),
  brook("ArraySchemaDiff", "2020-12: unevaluatedItems schema added", {
    original_schema: { $schema: D2020, type: "array", prefixItems: [S] },
    update_schema: { $schema: D2020, type: "array", prefixItems: [S], unevaluatedItems: N },
    changes: ["UNEVALUATED_ITEMS_NARROWED #/unevaluatedItems"],
    compatible: false,
  }),
  brook("ArraySchemaDiff", "2020-12: unevaluatedItems schema removed", {
    original_schema: { $schema: D2020, type: "array", prefixItems: [S], unevaluatedItems: N },
    update_schema: { $schema: D2020, type: "array", prefixItems: [S] },
    changes: ["UNEVALUATED_ITEMS_EXTENDED #/unevaluatedItems"],
    compatible: true,
  }),
  brook("ArraySchemaDiff", "2020-12: maxContains added", {
    original_schema: { $schema: D2020, type: "array", contains: N },
    update_schema: { $schema: D2020, type: "array", contains: N, maxContains: 3 },
    changes: ["MAX_CONTAINS_ADDED #/maxContains"],
    compatible: false,
  }),
  brook("ArraySchemaDiff", "2020-12: maxContains increased", {
    original_schema: { $schema: D2020, type: "array", contains: N, maxContains: 3 },
    update_schema: { $schema: D2020, type: "array", contains: N, maxContains: 4 },
    changes: ["MAX_CONTAINS_INCREASED #/maxContains"],
    compatible: true,
  }),
  brook("ArraySchemaDiff", "2020-12: minContains set above its default of 1", {
    original_schema: { $schema: D2020, type: "array", contains: N },
    update_schema: { $schema: D2020, type: "array", contains: N, minContains: 2 },
    changes: ["MIN_CONTAINS_INCREASED #/minContains"],
    compatible: false,
  }),
  brook("ArraySchemaDiff", "draft-07: minContains read from the array schema's other keywords", {
    original_schema: { type: "array", contains: N, minContains: 1 },
    update_schema: { type: "array", contains: N, minContains: 2 },
    changes: ["MIN_CONTAINS_INCREASED #/minContains"],
    compatible: false,
  }),
  brook("ArraySchemaDiff", "draft-07: additionalItems false beside a single items schema is ignored", {
    original_schema: { type: "array", items: S },
    update_schema: { type: "array", items: S, additionalItems: false },
    changes: [],
    compatible: true,
  }),
  brook("ObjectSchemaDiff", "2019-09: dependentRequired extended", {
    original_schema: { $schema: D2019, dependentRequired: { a: ["b"] } },
    update_schema: { $schema: D2019, dependentRequired: { a: ["b", "c"] } },
    changes: ["DEPENDENCY_ARRAY_EXTENDED #/dependencies/a"],
    compatible: false,
  }),
  brook("ObjectSchemaDiff", "draft-07: dependency array narrowed", {
    original_schema: { dependencies: { a: ["b", "c"] } },
    update_schema: { dependencies: { a: ["b"] } },
    changes: ["DEPENDENCY_ARRAY_NARROWED #/dependencies/a"],
    compatible: true,
  }),
  brook("ObjectSchemaDiff", "draft-07: dependency array changed", {
    original_schema: { dependencies: { a: ["b"] } },
    update_schema: { dependencies: { a: ["c"] } },
    changes: ["DEPENDENCY_ARRAY_CHANGED #/dependencies/a"],
    compatible: false,
  }),
  brook("ObjectSchemaDiff", "required property with a default", {
    original_schema: { properties: { a: S } },
    update_schema: { properties: { a: { type: "string", default: "x" } }, required: ["a"] },
    changes: ["REQUIRED_ATTRIBUTE_WITH_DEFAULT_ADDED #/required/a", "DEFAULT_CHANGED #/properties/a"],
    compatible: true,
  }),
  brook("ObjectSchemaDiff", "property removed from a closed content model", {
    original_schema: closed({ a: S, b: N }),
    update_schema: closed({ a: S }),
    changes: ["PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL #/properties/b"],
    compatible: false,
    compatible_lenient: true,
  }),
  brook("NotSchemaDiff", "not: the excluded schema grows", {
    original_schema: { not: S },
    update_schema: { not: { type: ["string", "number"] } },
    changes: ["NOT_TYPE_EXTENDED #/not"],
    compatible: false,
  }),
  brook("NotSchemaDiff", "not: the excluded schema shrinks", {
    original_schema: { not: { type: ["string", "number"] } },
    update_schema: { not: S },
    changes: ["NOT_TYPE_NARROWED #/not"],
    compatible: true,
  }),
  brook("NumberSchemaDiff", "exclusiveMinimum increased", {
    original_schema: { type: "number", exclusiveMinimum: 1 },
    update_schema: { type: "number", exclusiveMinimum: 2 },
    changes: ["EXCLUSIVE_MINIMUM_INCREASED #/exclusiveMinimum"],
    compatible: false,
  }),
  brook("NumberSchemaDiff", "exclusiveMaximum lowered below the update's maximum: Confluent's quirk", {
    original_schema: { type: "number", maximum: 20, exclusiveMaximum: 10 },
    update_schema: { type: "number", maximum: 20, exclusiveMaximum: 5 },
    changes: [],
    compatible: true,
    confluent: "Confluent compares the old exclusiveMaximum with the new maximum, so it reports nothing",
  }),
  brook("NumberSchemaDiff", "exclusiveMaximum lowered without a maximum", {
    original_schema: { type: "number", exclusiveMaximum: 10 },
    update_schema: { type: "number", exclusiveMaximum: 5 },
    changes: ["EXCLUSIVE_MAXIMUM_DECREASED #/exclusiveMaximum"],
    compatible: false,
    confluent:
      "Confluent fails with a NullPointerException (no maximum to compare with); Brook says incompatible",
  }),
  brook("NumberSchemaDiff", "multipleOf expanded (0.5 to 10) and added", {
    original_schema: { properties: { a: { type: "number", multipleOf: 0.5 }, b: N } },
    update_schema: {
      properties: { a: { type: "number", multipleOf: 10 }, b: { type: "number", maximum: 3 } },
    },
    changes: ["MULTIPLE_OF_EXPANDED #/properties/a/multipleOf", "MAXIMUM_ADDED #/properties/b/maximum"],
    compatible: false,
  }),
  brook("StringSchemaDiff", "pattern and maxLength added", {
    original_schema: S,
    update_schema: { type: "string", pattern: "^a", maxLength: 3 },
    changes: ["MAX_LENGTH_ADDED #/maxLength", "PATTERN_ADDED #/pattern"],
    compatible: false,
  }),
  brook("CombinedSchemaDiff", "oneOf to anyOf with the same subschemas", {
    original_schema: { oneOf: [S, N] },
    update_schema: { anyOf: [S, N] },
    changes: ["COMBINED_TYPE_EXTENDED #/"],
    compatible: true,
  }),
  brook("CombinedSchemaDiff", "a subschema of a closed model gains an optional property", {
    original_schema: { oneOf: [closed({ a: S }), N] },
    update_schema: { oneOf: [closed({ a: S, b: S }), N] },
    changes: ["OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL #/oneOf/0/properties/b"],
    compatible: true,
  }),
  brook("CombinedSchemaDiff", "a subschema of an open model gains a property: no subschema matches it", {
    original_schema: { oneOf: [{ type: "object", properties: { a: S } }, N] },
    update_schema: { oneOf: [{ type: "object", properties: { a: S, b: S } }, N] },
    changes: ["COMBINED_TYPE_SUBSCHEMAS_CHANGED #/"],
    compatible: false,
  }),
  brook("CombinedSchemaDiff", "2020-12: a type list absorbs its types' keywords", {
    original_schema: { $schema: D2020, type: ["string", "null"], maxLength: 5 },
    update_schema: { $schema: D2020, type: ["string", "null"], maxLength: 3 },
    changes: ["COMBINED_TYPE_SUBSCHEMAS_CHANGED #/"],
    compatible: false,
  }),
  brook("SchemaDiff", "connect.type bytes on both sides makes string and number equal", {
    original_schema: { type: "string", "connect.type": "bytes" },
    update_schema: { type: "number", "connect.type": "bytes" },
    changes: [],
    compatible: true,
  }),
  brook("SchemaDiff", "true becomes constrained", {
    original_schema: true,
    update_schema: S,
    changes: ["TYPE_CHANGED #/"],
    compatible: false,
  }),
  brook("SchemaDiff", "$ref to a schema reference: the referenced document changed", {
    original_schema: { type: "object", properties: { a: { $ref: "other.json" } } },
    update_schema: { type: "object", properties: { a: { $ref: "other.json" } } },
    references: { original: { "other.json": S }, update: { "other.json": N } },
    changes: ["TYPE_CHANGED #/properties/a"],
    compatible: false,
  }),
  brook("SchemaDiff", "$ref into a reference's definitions", {
    original_schema: { $ref: "defs.json#/definitions/a" },
    update_schema: { $ref: "defs.json#/$defs/a" },
    references: {
      original: { "defs.json": { definitions: { a: { type: "integer" } } } },
      update: { "defs.json": { definitions: { a: N } } },
    },
    changes: ["TYPE_EXTENDED #/"],
    compatible: true,
  }),
  brook("SchemaDiff (fixpoint over recursive pairs)", "recursive $ref: a change behind the cycle is found", {
    original_schema: {
      $ref: "#/$defs/node",
      $defs: { node: { type: "object", properties: { value: S, next: { $ref: "#/$defs/node" } } } },
    },
    update_schema: {
      $ref: "#/$defs/node",
      $defs: { node: { type: "object", properties: { value: N, next: { $ref: "#/$defs/node" } } } },
    },
    changes: ["TYPE_CHANGED #/properties/value", "TYPE_CHANGED #/properties/next/properties/value"],
    changes_include: true,
    compatible: false,
  }),
  brook("SchemaDiffTest.testRecursiveOneOfMemoizationDoesNotMaskIncompatibility", "recursive oneOf cycle", {
    original_schema: memoMasking("integer", "boolean"),
    update_schema: memoMasking("boolean", "number"),
    changes: [],
    changes_include: true,
    compatible: false,
  }),
];

/** T0 -> T2 -> T0 is a cycle behind a oneOf; the root is oneOf[T0, T1] (Confluent's regression test). */
function memoMasking(t0Id: string, t1Id: string): Json {
  const node = (id: string, next: string) => ({
    type: "object",
    additionalProperties: true,
    properties: { id: { type: id }, ref: { oneOf: [{ $ref: `#/definitions/${next}` }] } },
  });
  return {
    $schema: "http://json-schema.org/draft-07/schema#",
    type: "object",
    additionalProperties: true,
    definitions: { T0: node(t0Id, "T2"), T1: node(t1Id, "T2"), T2: node("integer", "T0") },
    properties: { root: { oneOf: [{ $ref: "#/definitions/T0" }, { $ref: "#/definitions/T1" }] } },
  };
}

function brook(basis: string, description: string, rest: Omit<DiffCase, "source" | "description">): DiffCase {
  return { source: `Brook, from Confluent's ${basis}`, description, ...rest };
}

function parseSide(schema: Json, references: Record<string, Json> = {}): JsonSchema {
  const resolved = Object.entries(references).map(([name, doc]) => ({
    name,
    subject: name,
    version: 1,
    schemaType: "JSON" as const,
    schema: JSON.stringify(doc),
    references: [],
  }));
  return jsonSchemaFormat.parse(JSON.stringify(schema), resolved) as JsonSchema;
}

function compatibleUnder(changes: readonly string[], compatible: ReadonlySet<DifferenceType>): boolean {
  return changes.every((change) => compatible.has(change.split(" ")[0] as DifferenceType));
}

function diffCase(c: DiffCase): string[] {
  const original = parseSide(c.original_schema, c.references?.original);
  const update = parseSide(c.update_schema, c.references?.update);
  return diffSchemas(original.tree(), update.tree()).map((d) => `${d.type} ${d.jsonPath}`);
}

describe("JSON Schema diff: Confluent's test cases and Brook's", () => {
  for (const c of [...CONFLUENT_CASES, ...BROOK_CASES]) {
    const file = c.source.split("/").pop();
    test(`${file}: ${c.description}`, () => {
      const changes = diffCase(c);
      if (c.changes_include) for (const change of c.changes) assert.ok(changes.includes(change), change);
      else assert.deepEqual(changes, c.changes);
      assert.equal(compatibleUnder(changes, COMPATIBLE_CHANGES_STRICT), c.compatible, "STRICT");
      const lenient = c.compatible_lenient ?? c.compatible;
      assert.equal(compatibleUnder(changes, COMPATIBLE_CHANGES_LENIENT), lenient, "LENIENT");
    });
  }
});

const parse = (schema: Json) => parseSide(schema);
const priors = (schemas: Json[]): PriorVersion[] =>
  schemas.map((schema, i) => ({ version: i + 1, schema: JSON.stringify(schema), parsed: parse(schema) }));

describe("JSON Schema levels: FORWARD is the diff with the schemas swapped, FULL both", () => {
  const v1 = closed({ a: S });
  const v2 = closed({ a: S, b: N });
  const level = (name: Parameters<typeof checkCompatibility>[1], candidate: Json, earlier: Json[]) =>
    checkCompatibility(jsonSchemaFormat, name, parse(candidate), priors(earlier));

  test("closed model gains an optional property: BACKWARD only", () => {
    assert.equal(level("BACKWARD", v2, [v1]).compatible, true);
    const forward = level("FORWARD", v2, [v1]);
    assert.equal(forward.compatible, false);
    assert.match(forward.messages[0]!, /PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL/);
    assert.match(forward.messages[0]!, /The old has a closed content model/);
    assert.equal(level("FULL", v2, [v1]).compatible, false);
  });

  test("transitive levels check every version", () => {
    const v3 = closed({ a: S, c: S });
    // v3 against v2 alone: c added to a closed model (compatible), b removed from it (not).
    assert.equal(level("BACKWARD", v3, [v2, v1]).compatible, true);
    assert.equal(level("BACKWARD_TRANSITIVE", v3, [v2, v1]).compatible, false);
    assert.equal(level("FORWARD_TRANSITIVE", v1, [v1, v2]).compatible, true);
    assert.equal(level("FULL_TRANSITIVE", v1, [v1, v2]).compatible, false);
  });
});

type Level =
  | "BACKWARD"
  | "FORWARD"
  | "FULL"
  | "BACKWARD_TRANSITIVE"
  | "FORWARD_TRANSITIVE"
  | "FULL_TRANSITIVE";
const LEVELS: Level[] = [
  "BACKWARD",
  "FORWARD",
  "FULL",
  "BACKWARD_TRANSITIVE",
  "FORWARD_TRANSITIVE",
  "FULL_TRANSITIVE",
];

describe("JSON Schema compatibility over the REST API", () => {
  test("a sample of Confluent's cases at every level (POST /compatibility/subjects/{s}/versions/latest)", async () => {
    const sample = CONFLUENT_CASES.filter((_, i) => i % 9 === 0);
    const h = await RegistryHarness.start();
    try {
      for (const [i, c] of sample.entries()) {
        const subject = `case-${i}`;
        const registered = await h.register(subject, c.original_schema, { schemaType: "JSON" });
        assert.equal(registered.status, 200, c.description);
        // FORWARD: the registered schema reads the candidate's documents, the diff with the schemas swapped.
        const forward = compatibleUnder(
          diffCase({ ...c, original_schema: c.update_schema, update_schema: c.original_schema }),
          COMPATIBLE_CHANGES_STRICT,
        );
        for (const level of LEVELS) {
          await h.call("PUT", `/config/${subject}`, { compatibility: level });
          const expected = level.startsWith("BACKWARD")
            ? c.compatible
            : level.startsWith("FORWARD")
              ? forward
              : c.compatible && forward;
          const answer = await h.call("POST", `/compatibility/subjects/${subject}/versions/latest`, {
            schema: JSON.stringify(c.update_schema),
            schemaType: "JSON",
          });
          assert.equal(answer.json.is_compatible, expected, `${c.description} at ${level}`);
        }
      }
    } finally {
      await h.close();
    }
  });

  test("transitive levels over REST: latest alone, or every version", async () => {
    const h = await RegistryHarness.start();
    try {
      await h.call("PUT", "/config/t", { compatibility: "NONE" });
      await h.register("t", closed({ a: S, b: N }), { schemaType: "JSON" });
      await h.register("t", closed({ a: S }), { schemaType: "JSON" });
      await h.call("PUT", "/config/t", { compatibility: "BACKWARD_TRANSITIVE" });
      const candidate = { schema: JSON.stringify(closed({ a: S, c: S })), schemaType: "JSON" };
      const latest = await h.call("POST", "/compatibility/subjects/t/versions/latest", candidate);
      assert.equal(latest.json.is_compatible, true);
      const all = await h.call("POST", "/compatibility/subjects/t/versions?verbose=true", candidate);
      assert.equal(all.json.is_compatible, false);
      assert.match(all.json.messages[0], /PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL/);
      assert.equal((await h.register("t", closed({ a: S, c: S }), { schemaType: "JSON" })).status, 409);
    } finally {
      await h.close();
    }
  });

  test("compatibilityPolicy LENIENT in config (subject over global) applies Confluent's lenient set", async () => {
    const h = await RegistryHarness.start();
    try {
      const open = (properties: Record<string, unknown>) => ({ type: "object", properties });
      const candidate = { schema: JSON.stringify(open({ a: S, b: N })), schemaType: "JSON" };
      const check = async (subject: string) =>
        (await h.call("POST", `/compatibility/subjects/${subject}/versions?verbose=true`, candidate)).json;
      for (const subject of ["strict", "lenient"]) {
        assert.equal((await h.register(subject, open({ a: S }), { schemaType: "JSON" })).status, 200);
      }
      // STRICT (the default): an optional property added to an open content model breaks readers.
      const strict = await check("strict");
      assert.equal(strict.is_compatible, false);
      assert.match(strict.messages[0], /OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL/);
      const put = await h.call("PUT", "/config/lenient", { compatibilityPolicy: "LENIENT" });
      assert.deepEqual(put.json, { compatibilityPolicy: "LENIENT" });
      assert.equal((await h.call("GET", "/config/lenient")).json.compatibilityPolicy, "LENIENT");
      assert.equal((await check("lenient")).is_compatible, true);
      assert.equal((await check("strict")).is_compatible, false);
      assert.equal((await h.call("POST", "/subjects/lenient/versions", candidate)).status, 200);
      // Global policy reaches subjects without their own; a subject's STRICT overrides it.
      await h.call("PUT", "/config", { compatibilityPolicy: "lenient" });
      assert.equal((await check("strict")).is_compatible, true);
      await h.call("PUT", "/config/strict", { compatibilityPolicy: "STRICT" });
      assert.equal((await check("strict")).is_compatible, false);
    } finally {
      await h.close();
    }
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
      const register = (subject: string, schema: Json, extra: Record<string, unknown> = {}) =>
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
      await register("address", { type: "object", properties: { street: S } });
      const refs = [{ name: "address.json", subject: "address", version: 1 }];
      const withRef = await register(
        "customer",
        { type: "object", properties: { address: { $ref: "address.json" } } },
        {
          references: refs,
        },
      );
      assert.equal(withRef.status, 200);
      const missing = await register("customer2", {
        type: "object",
        properties: { address: { $ref: "nowhere.json" } },
      });
      assert.equal(missing.json.error_code, 42201);
      // An Avro schema never matches a JSON one: a different type is incompatible.
      const avroAfterJson = await h.register("j", '"string"');
      assert.equal(avroAfterJson.status, 409);
    } finally {
      await h.close();
    }
  });
});
