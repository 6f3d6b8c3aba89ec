import assert from "node:assert/strict";
import { describe, test } from "node:test";
import protobuf from "protobufjs";
import {
  checkCompatibility,
  type PriorVersion,
  type ProtobufSchema,
  protobufFormat,
} from "../../src/registry/index.js";
import { RegistryHarness } from "./registry-harness.js";

/**
 * Protobuf compatibility rows (original -> update, checked as BACKWARD for the update), drawn
 * from protobuf's rules for updating a message type and Confluent's Protobuf diff. Compatible
 * rows are also verified on the wire: a message encoded with the original decodes with the update.
 */

const file = (body: string, pkg = "acme") => `syntax = "proto3";\npackage ${pkg};\n${body}`;

interface Row {
  rule: string;
  original: string;
  update: string;
  compatible: boolean;
  errorType?: string;
}

const ROWS: Row[] = [
  {
    rule: "identical",
    original: file("message M { string a = 1; }"),
    update: file("message M { string a = 1; }"),
    compatible: true,
  },
  {
    rule: "field added",
    original: file("message M { string a = 1; }"),
    update: file("message M { string a = 1; int32 b = 2; }"),
    compatible: true,
  },
  {
    rule: "field removed",
    original: file("message M { string a = 1; int32 b = 2; }"),
    update: file("message M { string a = 1; }"),
    compatible: true,
  },
  {
    rule: "field renamed, same number",
    original: file("message M { string a = 1; }"),
    update: file("message M { string z = 1; }"),
    compatible: true,
  },
  {
    rule: "int32 -> int64 (same wire group)",
    original: file("message M { int32 a = 1; }"),
    update: file("message M { int64 a = 1; }"),
    compatible: true,
  },
  {
    rule: "uint32 -> bool (same wire group)",
    original: file("message M { uint32 a = 1; }"),
    update: file("message M { bool a = 1; }"),
    compatible: true,
  },
  {
    rule: "sint32 -> sint64",
    original: file("message M { sint32 a = 1; }"),
    update: file("message M { sint64 a = 1; }"),
    compatible: true,
  },
  {
    rule: "fixed32 -> sfixed32",
    original: file("message M { fixed32 a = 1; }"),
    update: file("message M { sfixed32 a = 1; }"),
    compatible: true,
  },
  {
    rule: "string -> bytes",
    original: file("message M { string a = 1; }"),
    update: file("message M { bytes a = 1; }"),
    compatible: true,
  },
  {
    rule: "int32 -> sint32 (zig-zag differs)",
    original: file("message M { int32 a = 1; }"),
    update: file("message M { sint32 a = 1; }"),
    compatible: false,
    errorType: "FIELD_SCALAR_KIND_CHANGED",
  },
  {
    rule: "int32 -> string",
    original: file("message M { int32 a = 1; }"),
    update: file("message M { string a = 1; }"),
    compatible: false,
    errorType: "FIELD_SCALAR_KIND_CHANGED",
  },
  {
    rule: "fixed64 -> double",
    original: file("message M { fixed64 a = 1; }"),
    update: file("message M { double a = 1; }"),
    compatible: false,
  },
  {
    rule: "scalar -> message",
    original: file("message M { string a = 1; } message N { string x = 1; }"),
    update: file("message M { N a = 1; } message N { string x = 1; }"),
    compatible: false,
    errorType: "FIELD_KIND_CHANGED",
  },
  {
    rule: "message type swapped",
    original: file("message M { N a = 1; } message N { string x = 1; } message O { string x = 1; }"),
    update: file("message M { O a = 1; } message N { string x = 1; } message O { string x = 1; }"),
    compatible: false,
    errorType: "FIELD_NAMED_TYPE_CHANGED",
  },
  {
    rule: "message removed",
    original: file("message M { string a = 1; } message N { string x = 1; }"),
    update: file("message M { string a = 1; }"),
    compatible: false,
    errorType: "MESSAGE_REMOVED",
  },
  {
    rule: "message added",
    original: file("message M { string a = 1; }"),
    update: file("message M { string a = 1; } message N { string x = 1; }"),
    compatible: true,
  },
  {
    rule: "nested message removed",
    original: file("message M { message I { int32 x = 1; } I i = 1; }"),
    update: file("message M { int32 j = 2; }"),
    compatible: false,
    errorType: "MESSAGE_REMOVED",
  },
  {
    rule: "package changed",
    original: file("message M { string a = 1; }", "acme"),
    update: file("message M { string a = 1; }", "other"),
    compatible: false,
    errorType: "PACKAGE_CHANGED",
  },
  {
    rule: "enum constant added",
    original: file("enum E { A = 0; B = 1; } message M { E e = 1; }"),
    update: file("enum E { A = 0; B = 1; C = 2; } message M { E e = 1; }"),
    compatible: true,
  },
  {
    rule: "enum constant removed",
    original: file("enum E { A = 0; B = 1; } message M { E e = 1; }"),
    update: file("enum E { A = 0; } message M { E e = 1; }"),
    compatible: false,
    errorType: "ENUM_CONST_REMOVED",
  },
  {
    rule: "enum constant renamed",
    original: file("enum E { A = 0; B = 1; } message M { E e = 1; }"),
    update: file("enum E { A = 0; BEE = 1; } message M { E e = 1; }"),
    compatible: false,
    errorType: "ENUM_CONST_CHANGED",
  },
  {
    rule: "enum removed",
    original: file("enum E { A = 0; } message M { int32 e = 1; }"),
    update: file("message M { int32 e = 1; }"),
    compatible: false,
    errorType: "ENUM_REMOVED",
  },
  {
    rule: "numeric field made repeated",
    original: file("message M { int32 a = 1; }"),
    update: file("message M { repeated int32 a = 1; }"),
    compatible: false,
    errorType: "FIELD_NUMERIC_LABEL_CHANGED",
  },
  {
    rule: "string field made repeated",
    original: file("message M { string a = 1; }"),
    update: file("message M { repeated string a = 1; }"),
    compatible: true,
  },
  {
    rule: "single field moved into a new oneof",
    original: file("message M { string a = 1; int32 b = 2; }"),
    update: file("message M { oneof o { string a = 1; } int32 b = 2; }"),
    compatible: true,
  },
  {
    rule: "several fields moved into a new oneof",
    original: file("message M { string a = 1; int32 b = 2; }"),
    update: file("message M { oneof o { string a = 1; int32 b = 2; } }"),
    compatible: false,
    errorType: "MULTIPLE_FIELDS_MOVED_TO_ONEOF",
  },
  {
    rule: "field moved into an existing oneof",
    original: file("message M { oneof o { string a = 1; } int32 b = 2; }"),
    update: file("message M { oneof o { string a = 1; int32 b = 2; } }"),
    compatible: false,
    errorType: "FIELD_MOVED_TO_EXISTING_ONEOF",
  },
  {
    rule: "oneof field added",
    original: file("message M { oneof o { string a = 1; } }"),
    update: file("message M { oneof o { string a = 1; int32 b = 2; } }"),
    compatible: true,
  },
  {
    rule: "oneof field removed",
    original: file("message M { oneof o { string a = 1; int32 b = 2; } }"),
    update: file("message M { oneof o { string a = 1; } }"),
    compatible: false,
    errorType: "ONEOF_FIELD_REMOVED",
  },
  {
    rule: "proto3 optional added to a field",
    original: file("message M { int32 a = 1; }"),
    update: file("message M { optional int32 a = 1; }"),
    compatible: true,
  },
  {
    rule: "map value type changed",
    original: file("message M { map<string, int32> m = 1; }"),
    update: file("message M { map<string, string> m = 1; }"),
    compatible: false,
  },
  {
    rule: "proto2 required field added",
    original: 'syntax = "proto2"; package acme; message M { optional string a = 1; }',
    update: 'syntax = "proto2"; package acme; message M { optional string a = 1; required int32 b = 2; }',
    compatible: false,
    errorType: "REQUIRED_FIELD_ADDED",
  },
  {
    rule: "proto2 required field removed",
    original: 'syntax = "proto2"; package acme; message M { optional string a = 1; required int32 b = 2; }',
    update: 'syntax = "proto2"; package acme; message M { optional string a = 1; }',
    compatible: false,
    errorType: "REQUIRED_FIELD_REMOVED",
  },
];

const parse = (text: string) => protobufFormat.parse(text, []) as ProtobufSchema;

/** Encodes a sample of the original's first message and decodes it with the update's. */
function wireRoundTrip(original: ProtobufSchema, update: ProtobufSchema): void {
  const writer = original.messages[0]!;
  const reader = update.messages[0]!;
  writer.root.resolveAll();
  reader.root.resolveAll();
  const sample: Record<string, unknown> = {};
  for (const field of writer.fieldsArray) {
    if (field.resolvedType || field.map) continue;
    const value =
      field.type === "string"
        ? "hi"
        : field.type === "bytes"
          ? Buffer.from("hi")
          : field.type === "bool"
            ? true
            : 7;
    sample[field.name] = field.repeated ? [value] : value;
  }
  const bytes = writer.encode(writer.fromObject(sample)).finish();
  assert.doesNotThrow(() => reader.decode(bytes));
}

describe("Protobuf compatibility table", () => {
  for (const row of ROWS) {
    test(`${row.compatible ? "compatible" : "incompatible"}: ${row.rule}`, () => {
      const original = parse(row.original);
      const update = parse(row.update);
      const issues = protobufFormat.check(update, original, { reader: "new", writer: "old" });
      assert.equal(issues.length === 0, row.compatible, JSON.stringify(issues));
      if (row.errorType) assert.equal(issues[0]?.errorType, row.errorType);
      if (row.compatible) wireRoundTrip(original, update);
    });
  }

  test("FORWARD treats an added message as a removal from the reader's point of view", () => {
    const v1 = file("message M { string a = 1; }");
    const v2 = file("message M { string a = 1; } message N { string x = 1; }");
    const priors: PriorVersion[] = [{ version: 1, schema: v1, parsed: parse(v1) }];
    assert.equal(checkCompatibility(protobufFormat, "BACKWARD", parse(v2), priors).compatible, true);
    assert.equal(checkCompatibility(protobufFormat, "FORWARD", parse(v2), priors).compatible, false);
  });
});

describe("Protobuf parsing, canonical text and the registry", () => {
  test("whitespace and comments do not change the canonical text, which parses to the same file", () => {
    const a = parse(
      'syntax="proto3";package acme;// hello\nmessage M{string a=1;/* c */map<string,int32> m=2 [deprecated=true];}',
    );
    const b = parse(
      'syntax = "proto3";\n\npackage acme;\n\nmessage M {\n  string a = 1;\n  map<string, int32> m = 2 [deprecated = true];\n}\n',
    );
    assert.equal(a.canonical, b.canonical);
    assert.equal(
      a.canonical,
      'syntax = "proto3";\npackage acme;\nmessage M {\n  string a = 1;\n  map<string, int32> m = 2 [deprecated = true];\n}',
    );
    const reparsed = protobuf.parse(a.canonical, { keepCase: true }).root.lookupType("acme.M");
    assert.deepEqual(
      reparsed.fieldsArray.map((f) => [f.name, f.id]),
      [
        ["a", 1],
        ["m", 2],
      ],
    );
  });

  test("invalid files and unknown imports or types are refused", () => {
    for (const bad of [
      "",
      "message {",
      'syntax = "proto3"; message M { Unknown a = 1; }',
      'import "nowhere.proto"; message M {}',
    ]) {
      assert.throws(
        () => parse(bad),
        (e: { errorCode?: number }) => e.errorCode === 42201,
        bad,
      );
    }
    // Well-known imports need no reference.
    const withTimestamp = parse(
      'syntax = "proto3"; import "google/protobuf/timestamp.proto"; message M { google.protobuf.Timestamp t = 1; }',
    );
    assert.equal(withTimestamp.messages.length, 1);
  });

  test("message indexes locate top-level and nested messages", () => {
    const schema = parse(file("message A { message B {} message C {} } message D {}"));
    assert.equal(schema.messageAt([0])?.name, "A");
    assert.equal(schema.messageAt([1])?.name, "D");
    assert.equal(schema.messageAt([0, 1])?.name, "C");
  });

  test("Protobuf subjects register with references, check compatibility, and refuse incompatible changes", async () => {
    const h = await RegistryHarness.start();
    try {
      const register = (subject: string, schema: string, extra: Record<string, unknown> = {}) =>
        h.register(subject, schema, { schemaType: "PROTOBUF", ...extra });
      const money =
        'syntax = "proto3"; package acme.money; message Money { string currency = 1; int64 units = 2; }';
      assert.equal((await register("money.proto", money)).status, 200);
      const order =
        'syntax = "proto3"; package acme; import "money.proto"; message Order { acme.money.Money total = 1; }';
      assert.equal((await register("orders-value", order)).json.error_code, 42201);
      const references = [{ name: "money.proto", subject: "money.proto", version: 1 }];
      const registered = await register("orders-value", order, { references });
      assert.equal(registered.status, 200);
      const byId = await h.call("GET", `/schemas/ids/${registered.json.id}`);
      assert.equal(byId.json.schemaType, "PROTOBUF");
      assert.deepEqual(byId.json.references, references);
      const spaced = order.replace(/;/g, " ;\n");
      assert.equal((await register("other-value", spaced, { references })).json.id, registered.json.id);
      const broken =
        'syntax = "proto3"; package acme; import "money.proto"; message Order { string total = 1; }';
      const refused = await register("orders-value", broken, { references });
      assert.equal(refused.status, 409);
      assert.match(refused.json.message, /FIELD_KIND_CHANGED/);
    } finally {
      await h.close();
    }
  });
});
