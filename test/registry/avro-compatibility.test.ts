import assert from "node:assert/strict";
import { describe, test } from "node:test";
import avro from "avsc";
import {
  type AvroSchema,
  avroFormat,
  type CompatibilityLevel,
  checkCompatibility,
  type PriorVersion,
} from "../../src/registry/index.js";

/**
 * Avro resolution rules as a table: can `reader` read data written with `writer`? Each row is
 * checked against our checker, and (unless marked) against avsc's own resolver, so the table
 * also records where avsc agrees with Avro's Java rules.
 */

type Schema = unknown;
const rec = (fields: unknown[], name = "R", extra: Record<string, unknown> = {}) => ({
  type: "record",
  name,
  fields,
  ...extra,
});
const f = (name: string, type: unknown, extra: Record<string, unknown> = {}) => ({ name, type, ...extra });
const enumOf = (symbols: string[], extra: Record<string, unknown> = {}) => ({
  type: "enum",
  name: "E",
  symbols,
  ...extra,
});

interface Row {
  rule: string;
  reader: Schema;
  writer: Schema;
  compatible: boolean;
  errorType?: string;
  /** Where avsc's createResolver decides differently from Avro's Java rules, and why. */
  avscDiffers?: string;
}

const ROWS: Row[] = [
  { rule: "identical primitives", reader: "int", writer: "int", compatible: true },
  { rule: "int promotes to long", reader: "long", writer: "int", compatible: true },
  {
    rule: "long does not narrow to int",
    reader: "int",
    writer: "long",
    compatible: false,
    errorType: "TYPE_MISMATCH",
  },
  { rule: "int promotes to float", reader: "float", writer: "int", compatible: true },
  { rule: "long promotes to float", reader: "float", writer: "long", compatible: true },
  { rule: "int promotes to double", reader: "double", writer: "int", compatible: true },
  { rule: "long promotes to double", reader: "double", writer: "long", compatible: true },
  { rule: "float promotes to double", reader: "double", writer: "float", compatible: true },
  { rule: "double does not narrow to float", reader: "float", writer: "double", compatible: false },
  { rule: "string reads bytes", reader: "string", writer: "bytes", compatible: true },
  { rule: "bytes reads string", reader: "bytes", writer: "string", compatible: true },
  {
    rule: "string does not read int",
    reader: "string",
    writer: "int",
    compatible: false,
    errorType: "TYPE_MISMATCH",
  },
  { rule: "boolean does not read int", reader: "boolean", writer: "int", compatible: false },
  { rule: "null reads null", reader: "null", writer: "null", compatible: true },
  {
    rule: "added field with default",
    reader: rec([f("a", "int"), f("b", "string", { default: "x" })]),
    writer: rec([f("a", "int")]),
    compatible: true,
  },
  {
    rule: "added field without default",
    reader: rec([f("a", "int"), f("b", "string")]),
    writer: rec([f("a", "int")]),
    compatible: false,
    errorType: "READER_FIELD_MISSING_DEFAULT_VALUE",
  },
  {
    rule: "removed field is skipped",
    reader: rec([f("a", "int")]),
    writer: rec([f("a", "int"), f("b", "string")]),
    compatible: true,
  },
  {
    rule: "field type promoted",
    reader: rec([f("a", "long")]),
    writer: rec([f("a", "int")]),
    compatible: true,
  },
  {
    rule: "field type changed incompatibly",
    reader: rec([f("a", "int")]),
    writer: rec([f("a", "string")]),
    compatible: false,
    errorType: "TYPE_MISMATCH",
  },
  {
    rule: "renamed field with reader alias",
    reader: rec([f("b", "int", { aliases: ["a"] })]),
    writer: rec([f("a", "int")]),
    compatible: true,
  },
  {
    rule: "renamed field without alias and without default",
    reader: rec([f("b", "int")]),
    writer: rec([f("a", "int")]),
    compatible: false,
  },
  {
    rule: "record renamed with reader alias",
    reader: rec([f("a", "int")], "New", { aliases: ["Old"] }),
    writer: rec([f("a", "int")], "Old"),
    compatible: true,
  },
  {
    rule: "record renamed without alias",
    reader: rec([f("a", "int")], "New"),
    writer: rec([f("a", "int")], "Old"),
    compatible: false,
    errorType: "NAME_MISMATCH",
  },
  {
    rule: "record namespace changed: names compare without namespace",
    reader: rec([f("a", "int")], "R", { namespace: "b" }),
    writer: rec([f("a", "int")], "R", { namespace: "a" }),
    compatible: true,
    avscDiffers: "avsc compares full names, Java Avro unqualified names",
  },
  {
    rule: "nested record gains a field with default",
    reader: rec([f("n", rec([f("x", "int"), f("y", "int", { default: 1 })], "N"))]),
    writer: rec([f("n", rec([f("x", "int")], "N"))]),
    compatible: true,
  },
  {
    rule: "nested record gains a field without default",
    reader: rec([f("n", rec([f("x", "int"), f("y", "int")], "N"))]),
    writer: rec([f("n", rec([f("x", "int")], "N"))]),
    compatible: false,
    errorType: "READER_FIELD_MISSING_DEFAULT_VALUE",
  },
  {
    rule: "enum gains a symbol",
    reader: enumOf(["A", "B", "C"]),
    writer: enumOf(["A", "B"]),
    compatible: true,
  },
  {
    rule: "enum loses a symbol, no reader default",
    reader: enumOf(["A"]),
    writer: enumOf(["A", "B"]),
    compatible: false,
    errorType: "MISSING_ENUM_SYMBOLS",
  },
  {
    rule: "enum loses a symbol, reader default",
    reader: enumOf(["A", "U"], { default: "U" }),
    writer: enumOf(["A", "B"]),
    compatible: true,
  },
  {
    rule: "enum renamed",
    reader: { type: "enum", name: "F", symbols: ["A"] },
    writer: enumOf(["A"]),
    compatible: false,
    errorType: "NAME_MISMATCH",
  },
  {
    rule: "array items promoted",
    reader: { type: "array", items: "long" },
    writer: { type: "array", items: "int" },
    compatible: true,
  },
  {
    rule: "array items incompatible",
    reader: { type: "array", items: "int" },
    writer: { type: "array", items: "string" },
    compatible: false,
  },
  {
    rule: "map values promoted",
    reader: { type: "map", values: "double" },
    writer: { type: "map", values: "float" },
    compatible: true,
  },
  {
    rule: "map values incompatible",
    reader: { type: "map", values: "int" },
    writer: { type: "map", values: "boolean" },
    compatible: false,
  },
  {
    rule: "array does not read map",
    reader: { type: "array", items: "int" },
    writer: { type: "map", values: "int" },
    compatible: false,
  },
  {
    rule: "fixed same size",
    reader: { type: "fixed", name: "F", size: 4 },
    writer: { type: "fixed", name: "F", size: 4 },
    compatible: true,
  },
  {
    rule: "fixed size changed",
    reader: { type: "fixed", name: "F", size: 8 },
    writer: { type: "fixed", name: "F", size: 4 },
    compatible: false,
    errorType: "FIXED_SIZE_MISMATCH",
  },
  { rule: "union reads a member type", reader: ["null", "string"], writer: "string", compatible: true },
  { rule: "union reads a promotable type", reader: ["null", "long"], writer: "int", compatible: true },
  {
    rule: "union lacks the writer type",
    reader: ["null", "string"],
    writer: "int",
    compatible: false,
    errorType: "MISSING_UNION_BRANCH",
  },
  {
    rule: "wider union reads narrower union",
    reader: ["null", "string", "int"],
    writer: ["null", "string"],
    compatible: true,
  },
  {
    rule: "narrower union does not read wider union",
    reader: ["null", "string"],
    writer: ["null", "string", "int"],
    compatible: false,
    errorType: "MISSING_UNION_BRANCH",
  },
  {
    rule: "non-union reads a union only if every branch is readable",
    reader: "long",
    writer: ["int", "long"],
    compatible: true,
  },
  {
    rule: "non-union does not read a union with a foreign branch",
    reader: "string",
    writer: ["null", "string"],
    compatible: false,
  },
  {
    rule: "field made optional (union with null, default null)",
    reader: rec([f("a", ["null", "int"], { default: null })]),
    writer: rec([f("a", "int")]),
    compatible: true,
  },
  {
    rule: "logical type over the same underlying type (resolution ignores logical types)",
    reader: { type: "long", logicalType: "timestamp-micros" },
    writer: { type: "long", logicalType: "timestamp-millis" },
    compatible: true,
  },
  {
    rule: "decimal bytes vs string",
    reader: { type: "bytes", logicalType: "decimal", precision: 4, scale: 2 },
    writer: "string",
    compatible: true,
  },
  {
    rule: "date (int) read as timestamp (long) by promotion",
    reader: { type: "long", logicalType: "timestamp-millis" },
    writer: { type: "int", logicalType: "date" },
    compatible: true,
  },
  {
    rule: "recursive record",
    reader: rec([f("v", "int"), f("next", ["null", "R"], { default: null }), f("w", "int", { default: 0 })]),
    writer: rec([f("v", "int"), f("next", ["null", "R"], { default: null })]),
    compatible: true,
  },
];

function parse(schema: Schema): AvroSchema {
  return avroFormat.parse(JSON.stringify(schema), []) as AvroSchema;
}

describe("Avro resolution table", () => {
  for (const row of ROWS) {
    test(`${row.compatible ? "compatible" : "incompatible"}: ${row.rule}`, () => {
      const reader = parse(row.reader);
      const writer = parse(row.writer);
      const issues = avroFormat.check(reader, writer, { reader: "new", writer: "old" });
      assert.equal(issues.length === 0, row.compatible, JSON.stringify(issues));
      if (row.errorType) assert.equal(issues[0]?.errorType, row.errorType);
      let avscCompatible = true;
      try {
        reader.type.createResolver(writer.type);
      } catch {
        avscCompatible = false;
      }
      if (row.avscDiffers)
        assert.notEqual(avscCompatible, row.compatible, "avsc was expected to differ here");
      else assert.equal(avscCompatible, row.compatible, "avsc's resolver disagrees");
    });
  }

  test("avsc decodes data across the compatible record rows as the rules say", () => {
    const writer = avro.Type.forSchema(rec([f("a", "int"), f("gone", "string")]) as avro.Schema);
    const reader = avro.Type.forSchema(
      rec([f("a", "long"), f("b", "string", { default: "x" })]) as avro.Schema,
    );
    const bytes = writer.toBuffer({ a: 7, gone: "bye" });
    const decoded = reader.fromBuffer(bytes, reader.createResolver(writer));
    assert.deepEqual({ ...decoded }, { a: 7, b: "x" });
  });
});

describe("levels over version sequences", () => {
  const v1 = rec([f("f1", "string")]);
  const v2 = rec([f("f1", "string"), f("f2", "string", { default: "foo" })]);
  const v3NoDefault = rec([f("f1", "string"), f("f2", "string")]);
  const dropF1 = rec([f("f2", "string", { default: "foo" })]);
  const addRequired = rec([f("f1", "string"), f("f3", "int")]);

  const priors = (schemas: Schema[]): PriorVersion[] =>
    schemas.map((schema, i) => ({ version: i + 1, schema: JSON.stringify(schema), parsed: parse(schema) }));

  const cases: { level: CompatibilityLevel; history: Schema[]; candidate: Schema; compatible: boolean }[] = [
    { level: "NONE", history: [v1], candidate: "int", compatible: true },
    { level: "BACKWARD", history: [v1], candidate: v2, compatible: true },
    { level: "BACKWARD", history: [v1], candidate: addRequired, compatible: false },
    { level: "BACKWARD", history: [v1, v2], candidate: v3NoDefault, compatible: true },
    { level: "BACKWARD_TRANSITIVE", history: [v1, v2], candidate: v3NoDefault, compatible: false },
    { level: "FORWARD", history: [v1], candidate: addRequired, compatible: true },
    { level: "FORWARD", history: [v2], candidate: v1, compatible: true },
    { level: "FORWARD", history: [v3NoDefault], candidate: v1, compatible: false },
    { level: "FORWARD", history: [v1], candidate: dropF1, compatible: false },
    { level: "FORWARD_TRANSITIVE", history: [v3NoDefault, v2], candidate: v1, compatible: false },
    { level: "FORWARD", history: [v3NoDefault, v2], candidate: v1, compatible: true },
    { level: "FULL", history: [v1], candidate: v2, compatible: true },
    { level: "FULL", history: [v1], candidate: addRequired, compatible: false },
    { level: "FULL", history: [v2], candidate: v1, compatible: true },
    { level: "FULL_TRANSITIVE", history: [v1, v2], candidate: v3NoDefault, compatible: false },
    { level: "FULL_TRANSITIVE", history: [v1, v2], candidate: v2, compatible: true },
    { level: "BACKWARD", history: [], candidate: v3NoDefault, compatible: true },
  ];

  for (const c of cases) {
    test(`${c.level}: ${JSON.stringify(c.candidate).slice(0, 60)} after ${c.history.length} versions -> ${c.compatible}`, () => {
      const result = checkCompatibility(avroFormat, c.level, parse(c.candidate), priors(c.history));
      assert.equal(result.compatible, c.compatible, result.messages.join("\n"));
      if (!c.compatible) {
        assert.ok(result.messages.some((m) => m.startsWith("{oldSchemaVersion:")));
        assert.equal(result.messages.at(-1), `{compatibility: '${c.level}'}`);
      }
    });
  }

  test("forward messages name the old schema as the reader", () => {
    const result = checkCompatibility(avroFormat, "FORWARD", parse(dropF1), priors([v1]));
    assert.match(
      result.messages[0]!,
      /The field 'f1' at path '\/fields\/0' in the old schema has no default value and is missing in the new schema/,
    );
  });
});

describe("Avro canonical text", () => {
  test("renders like Java's Schema.toString: fixed attribute order, namespaces only where they change", () => {
    const input = {
      fields: [
        { type: { symbols: ["A"], name: "E", type: "enum" }, name: "e", doc: "an enum" },
        {
          name: "inner",
          type: { type: "record", name: "other.Inner", fields: [{ name: "x", type: "com.acme.R" }] },
        },
        { name: "again", type: "E", default: "A", order: "descending" },
      ],
      namespace: "com.acme",
      name: "R",
      type: "record",
      custom: 1,
    };
    assert.equal(
      parse(input).canonical,
      '{"type":"record","name":"R","namespace":"com.acme","fields":[{"name":"e","type":{"type":"enum","name":"E","symbols":["A"]},"doc":"an enum"},{"name":"inner","type":{"type":"record","name":"Inner","namespace":"other","fields":[{"name":"x","type":"com.acme.R"}]}},{"name":"again","type":"E","default":"A","order":"descending"}],"custom":1}',
    );
    assert.equal(
      parse(input).normalized(),
      '{"type":"record","name":"com.acme.R","fields":[{"name":"e","type":{"type":"enum","name":"com.acme.E","symbols":["A"]},"doc":"an enum"},{"name":"inner","type":{"type":"record","name":"other.Inner","fields":[{"name":"x","type":"com.acme.R"}]}},{"name":"again","type":"com.acme.E","default":"A","order":"descending"}],"custom":1}',
    );
  });

  test("primitives with and without properties", () => {
    assert.equal(parse({ type: "string" }).canonical, '"string"');
    assert.equal(
      parse({ type: "string", logicalType: "uuid" }).canonical,
      '{"type":"string","logicalType":"uuid"}',
    );
    assert.equal(parse(["null", { type: "int" }]).canonical, '["null","int"]');
  });
});
