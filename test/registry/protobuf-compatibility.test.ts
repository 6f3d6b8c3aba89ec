import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import protobuf from "protobufjs";
import { BUILTIN_PROTOS } from "../../src/registry/formats/protobuf/builtin-protos.js";
import { protoFileElement } from "../../src/registry/formats/protobuf/proto-elements.js";
import { diffProtobufSchemas } from "../../src/registry/formats/protobuf/protobuf-diff.js";
import {
  COMPATIBLE_CHANGES,
  type DifferenceType,
} from "../../src/registry/formats/protobuf/protobuf-difference.js";
import type { ResolvedReference } from "../../src/registry/formats/schema-format.js";
import {
  checkCompatibility,
  type PriorVersion,
  type ProtobufSchema,
  protobufFormat,
} from "../../src/registry/index.js";
import { RegistryHarness } from "./registry-harness.js";

/*
 * Protobuf compatibility: Confluent's `SchemaDiff` (protobuf-provider, diff/), checked against
 * Confluent's own test cases (test/fixtures/registry/protobuf-diff-cases.json, transcribed from its
 * diff-schema-examples.json and diff-schema-examples-with-meta.json: 55 cases, every reported
 * difference with its path and order, and the verdict), Confluent's other SchemaDiffTest cases
 * (TestProto/TestProto2, an unresolvable type), and Brook's rows below (protobuf's "updating a
 * message type" rules, checked on the wire for the compatible ones). Through the REST API: every
 * Confluent case at BACKWARD, FORWARD, FULL and the three transitive levels, references registered
 * as subjects and versions.
 *
 * Coverage of Confluent's `Difference.Type` catalogue (C: in Confluent's cases, B: in Brook's rows):
 *   PACKAGE_CHANGED C B, MESSAGE_ADDED C B, MESSAGE_REMOVED C B, MESSAGE_MOVED C, ENUM_ADDED C,
 *   ENUM_REMOVED C B, ENUM_CONST_CHANGED C B, ENUM_CONST_REMOVED B, FIELD_ADDED C B, FIELD_REMOVED C B,
 *   FIELD_NAME_CHANGED C B, FIELD_KIND_CHANGED C B, FIELD_SCALAR_KIND_CHANGED C B,
 *   FIELD_NAMED_TYPE_CHANGED C B (local, imported under another package, nested in an import, a
 *   reference's other version, well-known types), FIELD_NUMERIC_LABEL_CHANGED C B,
 *   FIELD_STRING_OR_BYTES_LABEL_CHANGED C, REQUIRED_FIELD_ADDED/REMOVED C B, ONEOF_ADDED/REMOVED C B
 *   (rename with identical fields), ONEOF_FIELD_ADDED C B, ONEOF_FIELD_REMOVED C B,
 *   ONEOF_FIELD_MOVED_TO_TOP_LEVEL C, MULTIPLE_FIELDS_MOVED_TO_ONEOF C B, FIELD_MOVED_TO_EXISTING_ONEOF C B.
 *   Imports: moving a message into an import (MESSAGE_REMOVED) or out of one (compatible), the same
 *   message under another package, changing an imported message (its differences, then
 *   FIELD_NAMED_TYPE_CHANGED at the field). Built-ins resolved without registration:
 *   google/protobuf/* (any, api, descriptor, duration, empty, field_mask, source_context, struct,
 *   timestamp, type, wrappers), google/type/*, confluent/meta.proto, confluent/type/{decimal,variant}.
 *   ENUM_CONST_ADDED: implemented, in no case (Confluent's neither).
 * Not covered: `extend` declarations (Confluent collects extension fields but its diff never compares
 *   them; Brook ignores them), services (not compared by Confluent either), Protobuf editions beyond
 *   parsing (Confluent's Wire parser support differs), data-contract `confluent:reserved` fields in
 *   metadata (a case carries them; Confluent's Protobuf diff does not read them). Binary (base64
 *   FileDescriptorProto) schemas and `format=serialized`: test/registry/protobuf-serialized.test.ts.
 * Departure: protobufjs cannot read some aggregate option values protoc accepts (lists of messages in
 *   `[(confluent.field_meta) = {...}]`); Brook reads such a file again without those options.
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
  // Confluent's COMPATIBLE_CHANGES include ENUM_CONST_REMOVED, ENUM_CONST_CHANGED and ENUM_REMOVED.
  {
    rule: "enum constant removed (Confluent: ENUM_CONST_REMOVED is compatible)",
    original: file("enum E { A = 0; B = 1; } message M { E e = 1; }"),
    update: file("enum E { A = 0; } message M { E e = 1; }"),
    compatible: true,
  },
  {
    rule: "enum constant renamed (Confluent: ENUM_CONST_CHANGED is compatible)",
    original: file("enum E { A = 0; B = 1; } message M { E e = 1; }"),
    update: file("enum E { A = 0; BEE = 1; } message M { E e = 1; }"),
    compatible: true,
  },
  {
    rule: "enum removed (Confluent: ENUM_REMOVED is compatible)",
    original: file("enum E { A = 0; } message M { int32 e = 1; }"),
    update: file("message M { int32 e = 1; }"),
    compatible: true,
  },
  {
    rule: "numeric field: explicit optional made repeated",
    original: file("message M { optional int32 a = 1; }"),
    update: file("message M { repeated int32 a = 1; }"),
    compatible: false,
    errorType: "FIELD_NUMERIC_LABEL_CHANGED",
  },
  {
    rule: "numeric field: unlabeled proto3 field made repeated (Confluent compares stated labels only)",
    original: file("message M { int32 a = 1; }"),
    update: file("message M { repeated int32 a = 1; }"),
    compatible: true,
  },
  {
    rule: "enum field -> int32 (an enum is a GENERAL_NUMBER scalar)",
    original: file("enum E { A = 0; } message M { E e = 1; }"),
    update: file("enum E { A = 0; } message M { int64 e = 1; }"),
    compatible: true,
  },
  {
    rule: "oneof renamed, same members",
    original: file("message M { oneof a { string x = 1; int32 y = 2; } }"),
    update: file("message M { oneof b { string x = 1; int32 y = 2; } }"),
    compatible: true,
  },
  {
    rule: "oneof deleted with all its members",
    original: file("message M { oneof a { string x = 1; int32 y = 2; } string z = 3; }"),
    update: file("message M { string z = 3; }"),
    compatible: true,
  },
  {
    rule: "well-known type swapped (Timestamp -> Duration)",
    original:
      'syntax = "proto3"; import "google/protobuf/timestamp.proto"; message M { google.protobuf.Timestamp t = 1; }',
    update:
      'syntax = "proto3"; import "google/protobuf/duration.proto"; message M { google.protobuf.Duration t = 1; }',
    compatible: false,
    errorType: "FIELD_NAMED_TYPE_CHANGED",
  },
  {
    rule: "google.type enum field -> int32 (DayOfWeek resolves as an enum without a reference)",
    original:
      'syntax = "proto3"; import "google/type/dayofweek.proto"; message M { google.type.DayOfWeek d = 1; }',
    update: 'syntax = "proto3"; message M { int32 d = 1; }',
    compatible: true,
  },
  {
    rule: "google.type message field -> int32",
    original: 'syntax = "proto3"; import "google/type/date.proto"; message M { google.type.Date d = 1; }',
    update: 'syntax = "proto3"; message M { int32 d = 1; }',
    compatible: false,
    errorType: "FIELD_KIND_CHANGED",
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

interface ConfluentReference {
  name: string;
  subject: string;
  version: number;
}

interface ConfluentCase {
  description: string;
  original_schema: string;
  update_schema: string;
  original_references?: ConfluentReference[];
  update_references?: ConfluentReference[];
  original_dependencies?: { name: string; dependency?: string; builtin?: boolean }[];
  update_dependencies?: { name: string; dependency?: string; builtin?: boolean }[];
  changes: string[];
  compatible: boolean;
}

function fixture(name: string): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, "test", "fixtures", "registry", name);
    if (existsSync(candidate)) return readFileSync(candidate, "utf8");
    dir = dirname(dir);
  }
  throw new Error(`cannot find test/fixtures/registry/${name}`);
}

const CONFLUENT_CASES: ConfluentCase[] = JSON.parse(fixture("protobuf-diff-cases.json")).cases;

type Side = "original" | "update";

function dependencyText(c: ConfluentCase, side: Side, name: string): string {
  const dependency = c[`${side}_dependencies`]?.find((d) => d.name === name);
  const text = dependency?.dependency ?? BUILTIN_PROTOS.get(name);
  assert.ok(text !== undefined, `${c.description}: no text for ${name}`);
  return text;
}

function parseSide(c: ConfluentCase, side: Side): ProtobufSchema {
  const references: ResolvedReference[] = (c[`${side}_references`] ?? []).map((r) => ({
    ...r,
    schemaType: "PROTOBUF",
    schema: dependencyText(c, side, r.name),
    references: [],
  }));
  return protobufFormat.parse(c[`${side}_schema`], references) as ProtobufSchema;
}

function diffCase(c: ConfluentCase, swapped = false): string[] {
  const [o, u]: [Side, Side] = swapped ? ["update", "original"] : ["original", "update"];
  return diffProtobufSchemas(parseSide(c, o).diffSchema(), parseSide(c, u).diffSchema()).map(
    (d) => `${d.type} ${d.fullPath}`,
  );
}

const compatibleChanges = (changes: string[]) =>
  changes.every((change) => COMPATIBLE_CHANGES.has(change.split(" ")[0] as DifferenceType));

describe("Protobuf diff: Confluent's test cases", () => {
  for (const [i, c] of CONFLUENT_CASES.entries()) {
    test(`${i}: ${c.description}`, () => {
      const changes = diffCase(c);
      assert.deepEqual(changes, c.changes);
      assert.equal(compatibleChanges(changes), c.compatible);
    });
  }

  test("SchemaDiffTest.checkCompatibilityUsingProtoFiles: TestProto -> TestProto2", () => {
    const original =
      'syntax = "proto3";\npackage test1;\nmessage TestMessage {\n    string test_string = 1;\n    int32 test_int = 2;\n}\n';
    const update =
      'syntax = "proto3";\npackage test2;\nmessage TestMessage {\n    string test_string = 1;\n    string test_string2 = 2;\n}\n';
    const changes = diffProtobufSchemas(
      (protobufFormat.parse(original, []) as ProtobufSchema).diffSchema(),
      (protobufFormat.parse(update, []) as ProtobufSchema).diffSchema(),
    ).map((d) => `${d.type} ${d.fullPath}`);
    assert.ok(changes.includes("FIELD_NAME_CHANGED #/TestMessage/2"));
    assert.ok(changes.includes("FIELD_SCALAR_KIND_CHANGED #/TestMessage/2"));
  });

  test("SchemaDiffTest.checkCompatibilityUsingBadMessage: an unresolvable type compares by name", () => {
    // Confluent diffs a file whose field type resolves nowhere without failing; Brook refuses such a
    // file at registration (42201), so the diff is driven on the file's elements directly.
    const bad = protoFileElement(
      'syntax = "proto3";\nmessage TestBadMessage {\n    bad.Message test_bad_message = 1;\n}\n',
    );
    const schema = { file: bad, references: [], dependencies: new Map() };
    assert.deepEqual(diffProtobufSchemas(schema, schema), []);
  });
});

describe("Protobuf compatibility over the REST API", () => {
  const LEVELS = [
    "BACKWARD",
    "FORWARD",
    "FULL",
    "BACKWARD_TRANSITIVE",
    "FORWARD_TRANSITIVE",
    "FULL_TRANSITIVE",
  ] as const;

  /** Registers each referenced file as its subject, at the version the reference names. */
  async function registerReferences(h: RegistryHarness, c: ConfluentCase, side: Side): Promise<void> {
    for (const reference of c[`${side}_references`] ?? []) {
      await h.call("PUT", `/config/${encodeURIComponent(reference.subject)}`, { compatibility: "NONE" });
      for (let version = 1; version <= reference.version; version++) {
        const existing = await h.call(
          "GET",
          `/subjects/${encodeURIComponent(reference.subject)}/versions/${version}`,
        );
        if (existing.status === 200) continue;
        const text =
          version === reference.version
            ? dependencyText(c, side, reference.name)
            : `syntax = "proto3";\npackage filler${version};\nmessage Filler${version} {}\n`;
        const answer = await h.register(reference.subject, text, { schemaType: "PROTOBUF" });
        assert.equal(answer.status, 200, `${c.description}: ${reference.subject} v${version} ${answer.text}`);
      }
    }
  }

  test("every Confluent case at every level (POST /compatibility/subjects/{s}/versions/latest)", async () => {
    for (const [i, c] of CONFLUENT_CASES.entries()) {
      const h = await RegistryHarness.start();
      try {
        await registerReferences(h, c, "original");
        await registerReferences(h, c, "update");
        const subject = `case-${i}`;
        const registered = await h.register(subject, c.original_schema, {
          schemaType: "PROTOBUF",
          references: c.original_references ?? [],
        });
        assert.equal(registered.status, 200, `${c.description}: ${registered.text}`);
        const forward = compatibleChanges(diffCase(c, true));
        for (const level of LEVELS) {
          await h.call("PUT", `/config/${subject}`, { compatibility: level });
          const expected = level.startsWith("BACKWARD")
            ? c.compatible
            : level.startsWith("FORWARD")
              ? forward
              : c.compatible && forward;
          const answer = await h.call(
            "POST",
            `/compatibility/subjects/${subject}/versions/latest?verbose=true`,
            {
              schema: c.update_schema,
              schemaType: "PROTOBUF",
              references: c.update_references ?? [],
            },
          );
          assert.equal(
            answer.json.is_compatible,
            expected,
            `${i} ${c.description} at ${level}: ${answer.text}`,
          );
        }
      } finally {
        await h.close();
      }
    }
  });

  test("transitive levels: an imported message changed two versions back", async () => {
    const h = await RegistryHarness.start();
    try {
      await h.call("PUT", "/config/home.proto", { compatibility: "NONE" });
      const home = (type: string) =>
        `syntax = "proto3";\npackage acme.home;\nmessage Home {\n  ${type} id = 1;\n}\n`;
      await h.register("home.proto", home("int32"), { schemaType: "PROTOBUF" });
      await h.register("home.proto", home("int64"), { schemaType: "PROTOBUF" });
      await h.register("home.proto", home("string"), { schemaType: "PROTOBUF" });
      const order =
        'syntax = "proto3";\nimport "home.proto";\nmessage Order {\n  acme.home.Home home = 1;\n}\n';
      const at = (version: number) => ({
        schemaType: "PROTOBUF",
        references: [{ name: "home.proto", subject: "home.proto", version }],
      });
      await h.call("PUT", "/config/orders", { compatibility: "NONE" });
      assert.equal((await h.register("orders", order, at(1))).status, 200);
      assert.equal((await h.register("orders", order, at(2))).status, 200);
      // int64 -> string: incompatible with v2 at every level.
      await h.call("PUT", "/config/orders", { compatibility: "BACKWARD" });
      const refused = await h.register("orders", order, at(3));
      assert.equal(refused.status, 409);
      assert.match(refused.json.message, /FIELD_SCALAR_KIND_CHANGED.*#\/Home\/1/);
      assert.match(refused.json.message, /FIELD_NAMED_TYPE_CHANGED.*#\/Order\/1/);
      // Home v1 (int32) -> v2 (int64) is wire-compatible; a transitive check sees v1 too.
      const candidate = { schema: order, ...at(2) };
      await h.call("PUT", "/config/orders", { compatibility: "FULL_TRANSITIVE" });
      const all = await h.call("POST", "/compatibility/subjects/orders/versions", candidate);
      assert.equal(all.json.is_compatible, true);
    } finally {
      await h.close();
    }
  });

  test("well-known types and confluent/meta.proto resolve without being registered", async () => {
    const h = await RegistryHarness.start();
    try {
      const schema = `syntax = "proto3";
import "confluent/meta.proto";
import "confluent/type/decimal.proto";
import "google/protobuf/timestamp.proto";
import "google/type/date.proto";
message Payment {
  option (confluent.message_meta).doc = "payment";
  confluent.type.Decimal amount = 1 [(confluent.field_meta) = { params: [ { key: "precision", value: "8" } ] }];
  google.protobuf.Timestamp at = 2;
  google.type.Date day = 3;
}`;
      const registered = await h.register("payments", schema, { schemaType: "PROTOBUF" });
      assert.equal(registered.status, 200, registered.text);
      const changed = schema.replace("google.type.Date day = 3", "google.protobuf.Timestamp day = 3");
      const answer = await h.call("POST", "/compatibility/subjects/payments/versions/latest?verbose=true", {
        schema: changed,
        schemaType: "PROTOBUF",
      });
      assert.equal(answer.json.is_compatible, false);
      assert.match(answer.json.messages[0], /FIELD_NAMED_TYPE_CHANGED/);
    } finally {
      await h.close();
    }
  });
});
