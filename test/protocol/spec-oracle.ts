/**
 * An independent reading of Kafka's JSON specs for tests: it loads every spec file and builds
 * fast-check arbitraries of values for a given version, each paired with the value a decoder must
 * return (fields absent from the version at their default). It shares no code with the generator,
 * so a spec feature the generator mishandles shows up as a mismatch, and no spec can be forgotten.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import fc from "fast-check";

export interface OracleField {
  name: string;
  type: string;
  versions?: string;
  nullableVersions?: string;
  taggedVersions?: string;
  tag?: number;
  default?: string | number | boolean;
  ignorable?: boolean;
  flexibleVersions?: string;
  fields?: OracleField[];
}

export interface OracleSpec {
  path: string;
  name: string;
  type: string;
  apiKey?: number;
  validVersions: string;
  flexibleVersions: string;
  fields: OracleField[];
  commonStructs?: { name: string; versions: string; fields: OracleField[] }[];
}

/** The repository root, found from this file whether it runs from test/ or dist/test/. */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, "specs", "kafka-protocol"))) return dir;
    dir = dirname(dir);
  }
  throw new Error("cannot find the repository root (specs/kafka-protocol)");
}

function withoutComments(text: string): string {
  return text
    .split("\n")
    .map((line) => {
      let inString = false;
      for (let i = 0; i < line.length; i++) {
        const c = line[i];
        if (c === "\\") i++;
        else if (c === '"') inString = !inString;
        else if (!inString && c === "/" && line[i + 1] === "/") return line.slice(0, i);
      }
      return line;
    })
    .join("\n");
}

export function loadOracleSpecs(): OracleSpec[] {
  const root = join(repoRoot(), "specs", "kafka-protocol");
  const out: OracleSpec[] = [];
  for (const folder of readdirSync(root).sort()) {
    if (folder.includes(".")) continue;
    for (const file of readdirSync(join(root, folder)).sort()) {
      if (!file.endsWith(".json")) continue;
      const spec = JSON.parse(withoutComments(readFileSync(join(root, folder, file), "utf8"))) as OracleSpec;
      out.push({ ...spec, path: `${folder}/${file}` });
    }
  }
  return out;
}

/** Whether `version` is inside a Kafka version range ("3+", "0-2", "5", "none"). */
export function inRange(range: string | undefined, version: number): boolean {
  if (range === undefined || range === "" || range === "none") return false;
  if (range.endsWith("+")) return version >= Number(range.slice(0, -1));
  const [lo, hi] = range.split("-");
  return version >= Number(lo) && version <= Number(hi ?? lo);
}

export function validVersions(spec: OracleSpec): number[] {
  const [lo, hi] = spec.validVersions.split("-");
  const out: number[] = [];
  for (let v = Number(lo); v <= Number(hi ?? lo); v++) out.push(v);
  return out;
}

const camel = (name: string) => name[0]?.toLowerCase() + name.slice(1);

const ZERO_UUID = "AAAAAAAAAAAAAAAAAAAAAA";

/** The value a decoder gives a field that is not on the wire. */
export function fieldDefault(spec: OracleSpec, f: OracleField): unknown {
  const d = f.default === undefined ? "" : String(f.default);
  if (f.type.startsWith("[]")) return d === "null" ? null : [];
  const integer = (text: string) =>
    text.startsWith("-0x")
      ? -Number.parseInt(text.slice(3), 16)
      : text.startsWith("0x")
        ? Number.parseInt(text.slice(2), 16)
        : Number(text);
  switch (f.type) {
    case "bool":
      return d === "true";
    case "int8":
    case "int16":
    case "uint16":
    case "int32":
    case "uint32":
      return d === "" ? 0 : integer(d);
    case "int64":
      return d === "" ? 0n : BigInt(integer(d));
    case "float64":
      return d === "" ? 0 : Number(d);
    case "uuid":
      return d === "" ? ZERO_UUID : d;
    case "string":
      return d === "null" ? null : d;
    case "bytes":
      return d === "null" ? null : Buffer.alloc(0);
    case "records":
      return null;
    default:
      // A struct: null or every field at its default.
      return d === "null" ? null : structDefault(spec, resolveStruct(spec, f), Number.NaN);
  }
}

function structDefault(spec: OracleSpec, fields: OracleField[], _version: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of fields) out[camel(f.name)] = fieldDefault(spec, f);
  return out;
}

export function resolveStruct(spec: OracleSpec, f: OracleField): OracleField[] {
  if (f.fields !== undefined) return f.fields;
  const name = f.type.replace(/^\[\]/, "");
  const common = spec.commonStructs?.find((c) => c.name === name);
  if (common === undefined) throw new Error(`${spec.path}: no struct ${name}`);
  return common.fields;
}

const isTagged = (f: OracleField, v: number) => f.tag !== undefined && inRange(f.taggedVersions, v);
const isPresent = (f: OracleField, v: number) => inRange(f.versions ?? f.taggedVersions, v);

/** A pair: what to give the encoder (undefined = leave the field out) and what the decoder returns. */
export interface Pair {
  input: unknown;
  expected: unknown;
}

const pairOf = (arb: fc.Arbitrary<unknown>): fc.Arbitrary<Pair> =>
  arb.map((x) => ({ input: x, expected: x }));

function primitiveArb(type: string, flexible: boolean): fc.Arbitrary<unknown> {
  switch (type) {
    case "bool":
      return fc.boolean();
    case "int8":
      return fc.integer({ min: -128, max: 127 });
    case "int16":
      return fc.integer({ min: -32768, max: 32767 });
    case "uint16":
      return fc.integer({ min: 0, max: 65535 });
    case "int32":
      return fc.integer({ min: -0x80000000, max: 0x7fffffff });
    case "uint32":
      return fc.integer({ min: 0, max: 0xffffffff });
    case "int64":
      return fc.bigInt(-(2n ** 63n), 2n ** 63n - 1n);
    case "float64":
      return fc.double();
    case "uuid":
      return fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => Buffer.from(b).toString("base64url"));
    case "string":
      return fc.string({ unit: "grapheme", maxLength: flexible ? 6 : 5 });
    case "bytes":
    case "records":
      return fc.uint8Array({ maxLength: 24 }).map((b) => Buffer.from(b));
    default:
      throw new Error(`not a primitive: ${type}`);
  }
}

function fieldValueArb(
  spec: OracleSpec,
  f: OracleField,
  v: number,
  flexible: boolean,
  depth: number,
): fc.Arbitrary<Pair> {
  const nullable = inRange(f.nullableVersions, v);
  let arb: fc.Arbitrary<Pair>;
  if (f.type.startsWith("[]")) {
    const element = f.type.slice(2);
    const elementArb = PRIMITIVE_TYPES.has(element)
      ? pairOf(primitiveArb(element, flexible))
      : structArb(spec, resolveStruct(spec, f), v, flexible, depth + 1);
    arb = fc.array(elementArb, { maxLength: depth > 2 ? 1 : 3 }).map((items) => ({
      input: items.map((p) => p.input),
      expected: items.map((p) => p.expected),
    }));
  } else if (PRIMITIVE_TYPES.has(f.type)) {
    arb = pairOf(primitiveArb(f.type, flexible));
  } else {
    arb = structArb(spec, resolveStruct(spec, f), v, flexible, depth + 1);
  }
  return nullable
    ? fc.oneof(
        { weight: 1, arbitrary: fc.constant({ input: null, expected: null }) },
        { weight: 3, arbitrary: arb },
      )
    : arb;
}

const PRIMITIVE_TYPES = new Set([
  "bool",
  "int8",
  "int16",
  "uint16",
  "int32",
  "uint32",
  "int64",
  "float64",
  "uuid",
  "string",
  "bytes",
  "records",
]);

/** Random tagged fields the struct does not define: tags above every known one, ascending. */
function unknownTagsArb(fields: OracleField[]): fc.Arbitrary<{ tag: number; data: Buffer }[]> {
  const known = fields.map((f) => f.tag ?? -1);
  const first = Math.max(-1, ...known) + 1;
  return fc
    .uniqueArray(fc.integer({ min: first, max: first + 300 }), { maxLength: 2 })
    .chain((tags) =>
      fc.tuple(
        ...tags
          .sort((a, b) => a - b)
          .map((tag) => fc.uint8Array({ maxLength: 5 }).map((d) => ({ tag, data: Buffer.from(d) }))),
      ),
    );
}

export function structArb(
  spec: OracleSpec,
  fields: OracleField[],
  v: number,
  flexible: boolean,
  depth = 0,
): fc.Arbitrary<Pair> {
  const parts: Record<string, fc.Arbitrary<Pair | undefined>> = {};
  for (const f of fields) {
    if (!isPresent(f, v)) continue;
    const fieldFlexible = f.flexibleVersions !== undefined ? inRange(f.flexibleVersions, v) : flexible;
    const value = fieldValueArb(spec, f, v, fieldFlexible, depth);
    parts[camel(f.name)] = isTagged(f, v) ? fc.oneof(fc.constant(undefined), value) : value;
  }
  const unknown = flexible
    ? fc.oneof({ weight: 3, arbitrary: fc.constant([]) }, { weight: 1, arbitrary: unknownTagsArb(fields) })
    : fc.constant([]);
  return fc.tuple(fc.record(parts), unknown).map(([values, tags]) => {
    const input: Record<string, unknown> = {};
    const expected: Record<string, unknown> = {};
    for (const f of fields) {
      const key = camel(f.name);
      const pair = values[key];
      if (pair === undefined) {
        expected[key] = fieldDefault(spec, f);
      } else {
        input[key] = pair.input;
        expected[key] = pair.expected;
      }
    }
    if (tags.length > 0) {
      input.unknownTaggedFields = tags;
      expected.unknownTaggedFields = tags;
    }
    return { input, expected };
  });
}

/** Arbitrary values of a whole spec (message, header, data or record) at one version. */
export function messageArb(spec: OracleSpec, version: number): fc.Arbitrary<Pair> {
  return structArb(spec, spec.fields, version, inRange(spec.flexibleVersions, version));
}

/** The generated codec function names of a spec (`encodeProduceRequest`, `decodeProduceRequest`). */
export function codecNames(spec: OracleSpec): { encode: string; decode: string } {
  return { encode: `encode${spec.name}`, decode: `decode${spec.name}` };
}
