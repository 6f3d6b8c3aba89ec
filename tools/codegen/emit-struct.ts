/**
 * Emits, for one struct of a message: the decoded interface, the `...Input` interface, and the
 * straight-line `encode...`/`decode...` functions with version conditions computed at generation
 * time (no spec interpretation at run time).
 */
import { ALWAYS, branch, guarded, indent, NEVER, not, parenthesize, versionCondition } from "./conditions.js";
import {
  type DefaultValue,
  type FieldModel,
  type FieldType,
  mandatoryVersions,
  type PrimitiveName,
  presentVersions,
  type StructModel,
  structFlexibleVersions,
  taggedVersions,
} from "./model.js";
import { intersect, subtract, type VersionSet } from "./spec.js";

/** What a generated module needs from the hand-written runtime, collected while emitting. */
export interface EmitContext {
  runtime: Set<string>;
  writerValue: boolean;
  uuid: boolean;
  /** Module-level constants (min element size tables), keyed by name. */
  constants: Map<string, string>;
  /** Structs that need `isDefault...` / `default...` helpers. */
  helpers: Set<StructModel>;
}

const FIXED_BYTES: Partial<Record<PrimitiveName, number>> = {
  bool: 1,
  int8: 1,
  int16: 2,
  uint16: 2,
  int32: 4,
  uint32: 4,
  int64: 8,
  float64: 8,
  uuid: 16,
};

export function label(s: StructModel, f?: FieldModel): string {
  const base = s.isTop ? s.message.name : `${s.message.name}.${s.specName}`;
  return f === undefined ? base : `${base}.${f.prop}`;
}

export function tsNullable(s: StructModel, f: FieldModel): boolean {
  if (f.type.kind === "primitive" && f.type.name === "records") return true;
  return intersect(f.nullable, presentVersions(s, f)).length > 0 || f.defaultValue.kind === "null";
}

export function inputOptional(s: StructModel, f: FieldModel): boolean {
  return (
    f.hasExplicitDefault ||
    tsNullable(s, f) ||
    taggedVersions(s, f).length > 0 ||
    f.type.kind === "array" ||
    presentVersions(s, f).length !== s.versions.length
  );
}

function elementTs(type: FieldType, input: boolean): string {
  if (type.kind === "struct") return input ? `${type.struct.typeName}Input` : type.struct.typeName;
  if (type.kind === "array") throw new Error("nested array");
  switch (type.name) {
    case "bool":
      return "boolean";
    case "int64":
      return "bigint";
    case "uuid":
      return "Uuid";
    case "string":
      return "string";
    case "bytes":
      return input ? "Uint8Array" : "Buffer";
    case "records":
      return input ? "Buffer | readonly Buffer[]" : "Buffer";
    default:
      return "number";
  }
}

export function fieldTs(s: StructModel, f: FieldModel, input: boolean): string {
  const base =
    f.type.kind === "array"
      ? input
        ? `readonly ${elementTs(f.type.element, true)}[]`
        : `${elementTs(f.type.element, false)}[]`
      : elementTs(f.type, input);
  return tsNullable(s, f) ? `${base} | null` : base;
}

function usesUuid(ctx: EmitContext, type: FieldType): void {
  const t = type.kind === "array" ? type.element : type;
  if (t.kind === "primitive" && t.name === "uuid") ctx.uuid = true;
}

function versionsText(v: VersionSet): string {
  if (v.length === 0) return "none";
  const lo = v[0] as number;
  const hi = v[v.length - 1] as number;
  if (hi - lo + 1 !== v.length) return v.join(",");
  return lo === hi ? `${lo}` : `${lo}-${hi}`;
}

function docComment(s: StructModel, f: FieldModel): string {
  const parts = [f.about.replace(/\*\//g, "* /").trim()];
  const facts = [`versions ${versionsText(presentVersions(s, f))}`];
  const nullable = intersect(f.nullable, presentVersions(s, f));
  if (nullable.length > 0) facts.push(`nullable ${versionsText(nullable)}`);
  const tagged = taggedVersions(s, f);
  if (tagged.length > 0) facts.push(`tag ${f.tag} in ${versionsText(tagged)}`);
  if (f.hasExplicitDefault) facts.push(`default ${describeDefault(f.defaultValue)}`);
  if (f.ignorable) facts.push("ignorable");
  if (f.entityType !== undefined) facts.push(`entity ${f.entityType}`);
  const text = [...parts.filter((p) => p !== ""), `(${facts.join("; ")})`].join(" ");
  return `/** ${text} */`;
}

function describeDefault(d: DefaultValue): string {
  switch (d.kind) {
    case "number":
    case "bool":
      return String(d.value);
    case "bigint":
      return `${d.value}n`;
    case "string":
      return JSON.stringify(d.value);
    case "null":
      return "null";
    case "emptyBytes":
      return "empty";
    case "emptyArray":
      return "[]";
    case "struct":
      return "{}";
  }
}

export function emitInterfaces(s: StructModel, ctx: EmitContext): string[] {
  const out: string[] = [];
  const m = s.message;
  const summary = s.isTop
    ? `${m.name}${m.spec.apiKey !== undefined ? ` (api key ${m.spec.apiKey})` : ""}: versions ${versionsText(m.valid)}, flexible ${versionsText(m.flexible)}.`
    : `${s.specName} of ${m.name}: versions ${versionsText(s.versions)}.`;
  out.push(`/** ${summary} */`);
  out.push(`export interface ${s.typeName} {`);
  for (const f of s.fields) {
    usesUuid(ctx, f.type);
    out.push(`  ${docComment(s, f)}`);
    out.push(`  ${f.prop}: ${fieldTs(s, f, false)};`);
  }
  out.push("  /** Tagged fields this codec does not know, kept so that they are re-emitted on encode. */");
  out.push("  unknownTaggedFields?: TaggedField[];");
  out.push("}");
  out.push("");
  out.push(
    `/** ${s.typeName} to encode: fields with a default, nullable, tagged or not in every version may be left out. */`,
  );
  out.push(`export interface ${s.typeName}Input {`);
  for (const f of s.fields) {
    out.push(`  ${f.prop}${inputOptional(s, f) ? "?" : ""}: ${fieldTs(s, f, true)};`);
  }
  out.push("  unknownTaggedFields?: readonly TaggedField[];");
  out.push("}");
  ctx.runtime.add("type TaggedField");
  return out;
}

// ---------------------------------------------------------------------------------------------
// Defaults and default checks

function bigintLiteral(v: bigint): string {
  return `${v}n`;
}

/** The default as a fresh decoded value. */
export function decodedDefault(f: FieldModel, ctx: EmitContext): string {
  const d = f.defaultValue;
  switch (d.kind) {
    case "number":
      return Object.is(d.value, -0) ? "0" : String(d.value);
    case "bigint":
      return bigintLiteral(d.value);
    case "bool":
      return String(d.value);
    case "string":
      return JSON.stringify(d.value);
    case "null":
      return "null";
    case "emptyBytes":
      ctx.runtime.add("EMPTY_BYTES");
      return "EMPTY_BYTES";
    case "emptyArray":
      return "[]";
    case "struct": {
      if (f.type.kind !== "struct") throw new Error("struct default on a non-struct");
      ctx.helpers.add(f.type.struct);
      return `default${f.type.struct.typeName}()`;
    }
  }
}

/** The default as an input value (shared constants where the decoded default would allocate). */
function inputDefault(f: FieldModel, ctx: EmitContext): string {
  if (f.defaultValue.kind === "emptyArray") {
    ctx.runtime.add("EMPTY_ARRAY");
    return "EMPTY_ARRAY";
  }
  return decodedDefault(f, ctx);
}

/** An expression that is true when `x` (not undefined) equals the field's default. */
function isDefaultExpr(s: StructModel, f: FieldModel, x: string, ctx: EmitContext): string {
  const d = f.defaultValue;
  const nullable = tsNullable(s, f);
  const t = f.type;
  if (t.kind === "array" || (t.kind === "primitive" && (t.name === "bytes" || t.name === "records"))) {
    if (d.kind === "null") return `${x} === null`;
    return nullable ? `(${x} !== null && ${x}.length === 0)` : `${x}.length === 0`;
  }
  if (t.kind === "struct") {
    ctx.helpers.add(t.struct);
    if (d.kind === "null") return `${x} === null`;
    return nullable
      ? `(${x} !== null && isDefault${t.struct.typeName}(${x}))`
      : `isDefault${t.struct.typeName}(${x})`;
  }
  return `${x} === ${decodedDefault(f, ctx)}`;
}

function negate(expr: string): string {
  const simple = /^(.+) === (.+)$/.exec(expr);
  if (simple && !expr.includes("&&") && !expr.includes("(")) return `${simple[1]} !== ${simple[2]}`;
  if (expr.startsWith("isDefault")) return `!${expr}`;
  return `!(${expr})`;
}

export function emitDefaultHelpers(s: StructModel, ctx: EmitContext): string[] {
  const out: string[] = [];
  out.push(`function default${s.typeName}(): ${s.typeName} {`);
  out.push("  return {");
  for (const f of s.fields) out.push(`    ${f.prop}: ${decodedDefault(f, ctx)},`);
  out.push("  };");
  out.push("}");
  out.push("");
  out.push(`function isDefault${s.typeName}(m: ${s.typeName}Input): boolean {`);
  out.push("  return (");
  const terms: string[] = [];
  for (const f of s.fields) {
    const x = `m.${f.prop}`;
    const eq = isDefaultExpr(s, f, x, ctx);
    terms.push(inputOptional(s, f) ? `(${x} === undefined || ${eq})` : eq);
  }
  terms.push("(m.unknownTaggedFields === undefined || m.unknownTaggedFields.length === 0)");
  out.push(...terms.map((t, i) => `    ${t}${i < terms.length - 1 ? " &&" : ""}`));
  out.push("  );");
  out.push("}");
  return out;
}

// ---------------------------------------------------------------------------------------------
// Minimum encoded sizes, for the array length checks made before allocating

const minBytesMemo = new Map<StructModel, Map<number, number>>();

export function structMinBytes(s: StructModel, version: number): number {
  let memo = minBytesMemo.get(s);
  if (memo === undefined) {
    memo = new Map();
    minBytesMemo.set(s, memo);
  }
  const known = memo.get(version);
  if (known !== undefined) return known;
  let total = s.message.flexible.includes(version) ? 1 : 0;
  for (const f of s.fields) {
    if (!mandatoryVersions(s, f).includes(version)) continue;
    const flexible = f.flexible.includes(version);
    if (f.type.kind === "array") total += flexible ? 1 : 4;
    else if (f.type.kind === "struct") {
      total += f.nullable.includes(version) ? 1 : structMinBytes(f.type.struct, version);
    } else total += primitiveMinBytes(f.type.name, flexible);
  }
  memo.set(version, total);
  return total;
}

function primitiveMinBytes(name: PrimitiveName, flexible: boolean): number {
  const fixed = FIXED_BYTES[name];
  if (fixed !== undefined) return fixed;
  if (name === "string") return flexible ? 1 : 2;
  return flexible ? 1 : 4;
}

function elementMinBytesExpr(
  f: FieldModel,
  versions: VersionSet,
  flexible: boolean,
  ctx: EmitContext,
): string {
  if (f.type.kind !== "array") throw new Error("not an array");
  const element = f.type.element;
  if (element.kind === "primitive") return String(primitiveMinBytes(element.name, flexible));
  const struct = element.struct;
  const sizes = versions.map((v) => structMinBytes(struct, v));
  if (sizes.every((x) => x === sizes[0])) return String(sizes[0] ?? 0);
  const name = `minBytes${struct.typeName}`;
  if (!ctx.constants.has(name)) {
    const max = struct.versions[struct.versions.length - 1] ?? 0;
    const table: number[] = [];
    for (let v = 0; v <= max; v++) table.push(struct.versions.includes(v) ? structMinBytes(struct, v) : 0);
    ctx.constants.set(
      name,
      `/** Smallest encoding of one ${struct.typeName}, by version. */\nconst ${name}: readonly number[] = [${table.join(", ")}];`,
    );
  }
  return `${name}[version] ?? 0`;
}

// ---------------------------------------------------------------------------------------------
// Encoding

function writeScalar(
  name: PrimitiveName,
  x: string,
  flexible: boolean,
  nullable: boolean,
  w: string,
): string {
  switch (name) {
    case "string":
      return flexible
        ? `${w}.${nullable ? "compactNullableString" : "compactString"}(${x});`
        : `${w}.${nullable ? "nullableString" : "string"}(${x});`;
    case "bytes":
    case "records":
      return flexible
        ? `${w}.${nullable ? "compactNullableBytes" : "compactBytes"}(${x});`
        : `${w}.${nullable ? "nullableBytes" : "bytes"}(${x});`;
    default:
      return `${w}.${name}(${x});`;
  }
}

/** Statements writing value `x` of field `f` (already null-checked) for versions `versions`. */
function writeValue(
  s: StructModel,
  f: FieldModel,
  x: string,
  versions: VersionSet,
  tagged: boolean,
  w: string,
): string[] {
  const flexibleSet = intersect(f.flexible, versions);
  const flexCond = versionCondition(versions, flexibleSet);
  const nullable = tsNullable(s, f);
  const nullableHere = intersect(f.nullable, versions);
  const t = f.type;
  if (t.kind === "primitive") {
    if (FIXED_BYTES[t.name] !== undefined) return [writeScalar(t.name, x, false, false, w)];
    return branch(
      flexCond,
      [writeScalar(t.name, x, true, nullable, w)],
      [writeScalar(t.name, x, false, nullable, w)],
    );
  }
  if (t.kind === "struct") {
    const call = `encode${t.struct.typeName}(${w}, ${x}, version, lenient);`;
    if (!nullable) return [call];
    const nullCond = versionCondition(versions, nullableHere);
    if (nullCond === NEVER) return [call];
    const marker = tagged ? `${w}.unsignedVarint(1);` : `${w}.int8(1);`;
    const nullMarker = tagged ? `${w}.unsignedVarint(0);` : `${w}.int8(-1);`;
    // Null was already rejected outside the nullable versions, so a null here is allowed; the
    // presence marker exists only in the nullable versions.
    return [
      `if (${x} === null) {`,
      `  ${nullMarker}`,
      "} else {",
      ...indent([...guarded(nullCond, [marker]), call]),
      "}",
    ];
  }
  const element = t.element;
  const loop = (flexible: boolean): string[] => {
    const lines: string[] = [];
    lines.push(flexible ? `${w}.unsignedVarint(${x}.length + 1);` : `${w}.int32(${x}.length);`);
    let body: string;
    if (element.kind === "struct") body = `encode${element.struct.typeName}(${w}, e, version, lenient);`;
    else body = writeScalar(element.name, "e", flexible, false, w);
    lines.push(`for (const e of ${x}) ${body}`);
    return lines;
  };
  const both = (flexible: boolean): string[] => {
    if (!nullable || versionCondition(versions, nullableHere) === NEVER) return loop(flexible);
    return [
      `if (${x} === null) {`,
      `  ${flexible ? `${w}.unsignedVarint(0);` : `${w}.int32(-1);`}`,
      "} else {",
      ...indent(loop(flexible)),
      "}",
    ];
  };
  return branch(flexCond, both(true), both(false));
}

/** A null check for versions where the field is not nullable; empty when null is always fine. */
function nullCheck(
  s: StructModel,
  f: FieldModel,
  x: string,
  versions: VersionSet,
  ctx: EmitContext,
): string[] {
  if (!tsNullable(s, f)) return [];
  const allowed = versionCondition(versions, intersect(f.nullable, versions));
  if (allowed === ALWAYS) return [];
  ctx.runtime.add("nullFieldEncodeError");
  const throwLine = `throw nullFieldEncodeError(${JSON.stringify(label(s, f))}, version);`;
  if (allowed === NEVER) return [`if (${x} === null) ${throwLine}`];
  return [`if (${x} === null && ${not(allowed)}) ${throwLine}`];
}

function valueExpr(s: StructModel, f: FieldModel, ctx: EmitContext): string {
  if (!inputOptional(s, f)) return `m.${f.prop}`;
  // `??` would also replace an explicit null, which is a value of its own for nullable fields.
  if (tsNullable(s, f)) return `(m.${f.prop} === undefined ? ${inputDefault(f, ctx)} : m.${f.prop})`;
  return `(m.${f.prop} ?? ${inputDefault(f, ctx)})`;
}

function encodeMandatory(s: StructModel, f: FieldModel, ctx: EmitContext): string[] {
  const mandatory = mandatoryVersions(s, f);
  if (mandatory.length === 0) return [];
  const fixed = f.type.kind === "primitive" && FIXED_BYTES[f.type.name] !== undefined;
  let body: string[];
  if (fixed) {
    body = writeValue(s, f, valueExpr(s, f, ctx).replace(/^\((.*)\)$/, "$1"), mandatory, false, "w");
  } else {
    const x = `f_${f.prop}`;
    body = [
      `const ${x} = ${valueExpr(s, f, ctx).replace(/^\((.*)\)$/, "$1")};`,
      ...nullCheck(s, f, x, mandatory, ctx),
      ...writeValue(s, f, x, mandatory, false, "w"),
    ];
    if (versionCondition(s.versions, mandatory) === ALWAYS) body = ["{", ...indent(body), "}"];
  }
  return guarded(versionCondition(s.versions, mandatory), body);
}

function encodeAbsentCheck(s: StructModel, f: FieldModel, ctx: EmitContext): string[] {
  if (f.ignorable) return [];
  const absent = subtract(s.versions, presentVersions(s, f));
  const cond = versionCondition(s.versions, absent);
  if (cond === NEVER) return [];
  ctx.runtime.add("absentFieldEncodeError");
  const x = `m.${f.prop}`;
  const nonDefault = negate(isDefaultExpr(s, f, x, ctx));
  const test = inputOptional(s, f) ? `${x} !== undefined && ${nonDefault}` : nonDefault;
  const full = cond === ALWAYS ? test : `${parenthesize(cond)} && ${test}`;
  return [`if (!lenient && ${full}) throw absentFieldEncodeError(${JSON.stringify(label(s, f))}, version);`];
}

function encodeTaggedSection(s: StructModel, ctx: EmitContext): string[] {
  const flexible = structFlexibleVersions(s);
  const flexCond = versionCondition(s.versions, flexible);
  const tagged = s.fields
    .filter((f) => taggedVersions(s, f).length > 0)
    .sort((a, b) => (a.tag ?? 0) - (b.tag ?? 0));
  const lines: string[] = [];
  ctx.runtime.add("writeTaggedFields");
  if (tagged.length === 0) {
    lines.push(
      `writeTaggedFields(w, undefined, m.unknownTaggedFields, ${JSON.stringify(label(s))}, version);`,
    );
  } else {
    ctx.writerValue = true;
    lines.push("let tagged: TaggedField[] | undefined;");
    for (const f of tagged) {
      const versions = taggedVersions(s, f);
      const x = `t_${f.prop}`;
      const nonDefault = negate(isDefaultExpr(s, f, x, ctx));
      const body = [
        `const ${x} = m.${f.prop};`,
        `if (${x} !== undefined && ${nonDefault}) {`,
        ...indent([
          ...nullCheck(s, f, x, versions, ctx),
          `const tw = new Writer(${f.type.kind === "primitive" && FIXED_BYTES[f.type.name] !== undefined ? 16 : 64});`,
          ...writeValue(s, f, x, versions, true, "tw"),
          `(tagged ??= []).push({ tag: ${f.tag}, data: tw.toBuffer() });`,
        ]),
        "}",
      ];
      lines.push(...guarded(versionCondition(flexible, versions), ["{", ...indent(body), "}"]));
    }
    lines.push(`writeTaggedFields(w, tagged, m.unknownTaggedFields, ${JSON.stringify(label(s))}, version);`);
  }
  if (flexCond === ALWAYS) return lines;
  ctx.runtime.add("taggedFieldsEncodeError");
  const reject = [
    "if (m.unknownTaggedFields !== undefined && m.unknownTaggedFields.length !== 0) {",
    `  throw taggedFieldsEncodeError(${JSON.stringify(label(s))}, version);`,
    "}",
  ];
  if (flexCond === NEVER) return reject;
  return branch(flexCond, lines, reject);
}

export function emitEncode(s: StructModel, ctx: EmitContext): string[] {
  const out: string[] = [];
  const body: string[] = [];
  if (s.isTop) {
    ctx.runtime.add("unsupportedVersionEncodeError");
    const lo = s.message.valid[0] ?? 0;
    const hi = s.message.valid[s.message.valid.length - 1] ?? 0;
    body.push(
      `if (!(version >= ${lo} && version <= ${hi})) throw unsupportedVersionEncodeError(${JSON.stringify(s.message.name)}, version);`,
    );
  }
  for (const f of s.fields) {
    body.push(...encodeMandatory(s, f, ctx));
    body.push(...encodeAbsentCheck(s, f, ctx));
  }
  body.push(...encodeTaggedSection(s, ctx));
  const doc = s.isTop
    ? `/** Writes a ${s.typeName} at \`version\`; throws ProtocolEncodeError for a value that version cannot carry, unless \`lenient\` (then such values are left out: a broker builds one response for every version). */`
    : `/** Writes one ${s.typeName} at \`version\` (the version of the enclosing message). */`;
  out.push(doc);
  out.push(
    `export function encode${s.typeName}(w: Writer, m: ${s.typeName}Input, version: number, lenient = false): void {`,
  );
  out.push(...indent(body));
  out.push("}");
  return out;
}

// ---------------------------------------------------------------------------------------------
// Decoding

function readScalar(name: PrimitiveName, rd: string, flexible: boolean, nullable: boolean): string {
  switch (name) {
    case "bool":
      return `${rd}.uint8() !== 0`;
    case "string":
      return flexible
        ? `${rd}.${nullable ? "compactNullableString" : "compactString"}()`
        : `${rd}.${nullable ? "nullableString" : "string"}()`;
    case "bytes":
    case "records":
      return flexible
        ? `${rd}.${nullable ? "compactNullableBytes" : "compactBytes"}()`
        : `${rd}.${nullable ? "nullableBytes" : "bytes"}()`;
    default:
      return `${rd}.${name}()`;
  }
}

/** Statements reading field `f` into `target` from reader `rd`, for versions `versions`. */
function readValue(
  s: StructModel,
  f: FieldModel,
  target: string,
  rd: string,
  versions: VersionSet,
  tagged: boolean,
  ctx: EmitContext,
): string[] {
  const flexCond = versionCondition(versions, intersect(f.flexible, versions));
  const nullableHere = intersect(f.nullable, versions);
  const nullCond = versionCondition(versions, nullableHere);
  const t = f.type;
  const nullThrow = (): string => {
    ctx.runtime.add("nullFieldDecodeError");
    return `throw nullFieldDecodeError(${JSON.stringify(label(s, f))}, version);`;
  };
  if (t.kind === "primitive") {
    if (FIXED_BYTES[t.name] !== undefined) return [`${target} = ${readScalar(t.name, rd, false, false)};`];
    const one = (flexible: boolean): string[] => {
      if (nullCond === NEVER) return [`${target} = ${readScalar(t.name, rd, flexible, false)};`];
      const lines = [`${target} = ${readScalar(t.name, rd, flexible, true)};`];
      if (nullCond !== ALWAYS) lines.push(`if (${target} === null && ${not(nullCond)}) ${nullThrow()}`);
      return lines;
    };
    return branch(flexCond, one(true), one(false));
  }
  if (t.kind === "struct") {
    const call = `decode${t.struct.typeName}(${rd}, version)`;
    if (nullCond === NEVER) return [`${target} = ${call};`];
    const isNull = tagged ? `${rd}.unsignedVarint() === 0` : `${rd}.int8() < 0`;
    if (nullCond === ALWAYS) return [`${target} = ${isNull} ? null : ${call};`];
    return [`if (${parenthesize(nullCond)} && ${isNull}) ${target} = null;`, `else ${target} = ${call};`];
  }
  const element = t.element;
  const elementTsName = elementTs(element, false);
  const one = (flexible: boolean): string[] => {
    const min = elementMinBytesExpr(f, versions, flexible, ctx);
    const lines = [`const n = ${rd}.${flexible ? "compactArrayLength" : "arrayLength"}(${min});`];
    const read =
      element.kind === "struct"
        ? `decode${element.struct.typeName}(${rd}, version)`
        : readScalar(element.name, rd, flexible, false);
    const fill = [
      `const a: ${elementTsName}[] = [];`,
      `for (let i = 0; i < n; i++) a.push(${read});`,
      `${target} = a;`,
    ];
    if (nullCond === ALWAYS) {
      lines.push("if (n < 0) {", `  ${target} = null;`, "} else {", ...indent(fill), "}");
    } else if (nullCond === NEVER) {
      lines.push(`if (n < 0) ${nullThrow()}`, ...fill);
    } else {
      lines.push(
        "if (n < 0) {",
        `  if (${not(nullCond)}) ${nullThrow()}`,
        `  ${target} = null;`,
        "} else {",
        ...indent(fill),
        "}",
      );
    }
    return lines;
  };
  const lines = branch(flexCond, one(true), one(false));
  // `const n` needs a block of its own when no branch provides one.
  return flexCond === ALWAYS || flexCond === NEVER ? ["{", ...indent(lines), "}"] : lines;
}

function decodeTaggedSection(s: StructModel, ctx: EmitContext): string[] {
  const flexible = structFlexibleVersions(s);
  const flexCond = versionCondition(s.versions, flexible);
  if (flexCond === NEVER) return [];
  const tagged = s.fields
    .filter((f) => f.tag !== undefined && taggedVersions(s, f).length > 0)
    .sort((a, b) => (a.tag ?? 0) - (b.tag ?? 0));
  const lines: string[] = [];
  if (tagged.length === 0) {
    ctx.runtime.add("readUnknownTaggedFields");
    lines.push("unknown = readUnknownTaggedFields(r);");
  } else {
    ctx.runtime.add("taggedFieldReader");
    ctx.runtime.add("taggedFieldEnd");
    ctx.runtime.add("checkTaggedFieldCount");
    const cases: string[] = [];
    for (const f of tagged) {
      const versions = taggedVersions(s, f);
      const valid = versionCondition(flexible, versions);
      const body: string[] = [];
      if (valid !== ALWAYS) {
        ctx.runtime.add("invalidTagDecodeError");
        body.push(
          `if (${not(valid)}) throw invalidTagDecodeError(${JSON.stringify(label(s))}, tag, version);`,
        );
      }
      body.push("const tr = taggedFieldReader(r, size);");
      body.push(...readValue(s, f, `f_${f.prop}`, "tr", versions, true, ctx));
      body.push(`taggedFieldEnd(tr, ${JSON.stringify(label(s, f))});`);
      body.push("break;");
      cases.push(`case ${f.tag}: {`, ...indent(body), "}");
    }
    lines.push(
      "const count = r.unsignedVarint();",
      "checkTaggedFieldCount(r, count);",
      "for (let i = 0; i < count; i++) {",
      "  const tag = r.unsignedVarint();",
      "  const size = r.unsignedVarint();",
      "  switch (tag) {",
      ...indent(cases, "    "),
      "    default:",
      "      (unknown ??= []).push({ tag, data: r.slice(size) });",
      "  }",
      "}",
    );
  }
  return guarded(flexCond, lines);
}

export function emitDecode(s: StructModel, ctx: EmitContext): string[] {
  const body: string[] = [];
  if (s.isTop) {
    ctx.runtime.add("unsupportedVersionDecodeError");
    const lo = s.message.valid[0] ?? 0;
    const hi = s.message.valid[s.message.valid.length - 1] ?? 0;
    body.push(
      `if (!(version >= ${lo} && version <= ${hi})) throw unsupportedVersionDecodeError(${JSON.stringify(s.message.name)}, version);`,
    );
  }
  for (const f of s.fields) {
    const mandatory = mandatoryVersions(s, f);
    const cond = versionCondition(s.versions, mandatory);
    const target = `f_${f.prop}`;
    const type = fieldTs(s, f, false);
    const hasTag = taggedVersions(s, f).length > 0;
    if (cond === ALWAYS && !hasTag) {
      const lines = readValue(s, f, target, "r", mandatory, false, ctx);
      if (lines.length === 1 && (lines[0] as string).startsWith(`${target} = `)) {
        body.push(`const ${(lines[0] as string).replace(`${target} = `, `${target}: ${type} = `)}`);
        continue;
      }
      body.push(`let ${target}: ${type};`, ...lines);
      continue;
    }
    body.push(`let ${target}: ${type} = ${decodedDefault(f, ctx)};`);
    if (cond !== NEVER) body.push(...guarded(cond, readValue(s, f, target, "r", mandatory, false, ctx)));
  }
  const flexCond = versionCondition(s.versions, structFlexibleVersions(s));
  if (flexCond !== NEVER) body.push("let unknown: TaggedField[] | undefined;");
  body.push(...decodeTaggedSection(s, ctx));
  const fields = s.fields.map((f) => `${f.prop}: f_${f.prop},`);
  if (flexCond === NEVER) {
    body.push("return {", ...indent(fields), "};");
  } else {
    body.push(`const out: ${s.typeName} = {`, ...indent(fields), "};");
    body.push("if (unknown !== undefined) out.unknownTaggedFields = unknown;", "return out;");
  }
  const doc = s.isTop
    ? `/** Reads a ${s.typeName} at \`version\`; malformed input throws ProtocolDecodeError. */`
    : `/** Reads one ${s.typeName} at \`version\` (the version of the enclosing message). */`;
  return [
    doc,
    `export function decode${s.typeName}(r: Reader, version: number): ${s.typeName} {`,
    ...indent(body),
    "}",
  ];
}
