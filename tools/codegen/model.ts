/**
 * The generator's model of one spec file: its structs (the message itself, nested structs and
 * common structs) with every field's versions resolved to explicit version sets, the TypeScript
 * names, and the defaults. Everything the emitter needs is decided here.
 */
import {
  type FieldSpecJson,
  intersect,
  type MessageSpecJson,
  parseVersions,
  type SpecFile,
  subtract,
  union,
  type VersionSet,
} from "./spec.js";

export type PrimitiveName =
  | "bool"
  | "int8"
  | "int16"
  | "uint16"
  | "int32"
  | "uint32"
  | "int64"
  | "float64"
  | "uuid"
  | "string"
  | "bytes"
  | "records";

export type FieldType =
  | { kind: "primitive"; name: PrimitiveName }
  | { kind: "struct"; struct: StructModel }
  | {
      kind: "array";
      element: { kind: "primitive"; name: PrimitiveName } | { kind: "struct"; struct: StructModel };
    };

/** A field's default as a value; `"struct"` is the struct with every field at its default. */
export type DefaultValue =
  | { kind: "number"; value: number }
  | { kind: "bigint"; value: bigint }
  | { kind: "bool"; value: boolean }
  | { kind: "string"; value: string }
  | { kind: "null" }
  | { kind: "emptyBytes" }
  | { kind: "emptyArray" }
  | { kind: "struct" };

export interface FieldModel {
  specName: string;
  prop: string;
  type: FieldType;
  /** Versions (within the enclosing struct's versions) in which the field is on the wire. */
  versions: VersionSet;
  nullable: VersionSet;
  tagged: VersionSet;
  tag: number | undefined;
  /** Versions in which the field uses compact (flexible) encodings. */
  flexible: VersionSet;
  ignorable: boolean;
  hasExplicitDefault: boolean;
  defaultValue: DefaultValue;
  about: string;
  entityType: string | undefined;
}

export interface StructModel {
  specName: string;
  typeName: string;
  isTop: boolean;
  declaredVersions: VersionSet;
  /** Versions in which this struct is ever encoded (union over every place that uses it). */
  versions: VersionSet;
  fields: FieldModel[];
  rawFields: FieldSpecJson[];
  message: MessageModel;
}

export interface MessageModel {
  file: SpecFile;
  spec: MessageSpecJson;
  name: string;
  valid: VersionSet;
  flexible: VersionSet;
  top: StructModel;
  /** Every struct of the message, the top one first, in spec order. */
  structs: StructModel[];
}

const PRIMITIVES = new Set<string>([
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

/** Kafka's camelCaseName: the spec name with its first letter lower-cased. */
export function camelCase(name: string): string {
  return name.charAt(0).toLowerCase() + name.slice(1);
}

export function buildMessage(file: SpecFile): MessageModel {
  const spec = file.spec;
  const valid = parseVersions(spec.validVersions, null, 0x7fff);
  const max = valid.length === 0 ? 0 : (valid[valid.length - 1] as number);
  const flexible = parseVersions(spec.flexibleVersions, null, max);
  const message = { file, spec, name: spec.name, valid, flexible, structs: [] } as unknown as MessageModel;
  const byName = new Map<string, StructModel>();

  const newStruct = (specName: string, isTop: boolean, declared: VersionSet, raw: FieldSpecJson[]) => {
    const typeName = isTop ? spec.name : spec.name + specName;
    const existing = byName.get(specName);
    if (existing !== undefined) {
      if (existing.rawFields !== raw) throw new Error(`${file.path}: struct ${specName} is defined twice`);
      return existing;
    }
    const s: StructModel = {
      specName,
      typeName,
      isTop,
      declaredVersions: declared,
      versions: [],
      fields: [],
      rawFields: raw,
      message,
    };
    byName.set(specName, s);
    message.structs.push(s);
    return s;
  };

  message.top = newStruct(spec.name, true, valid, spec.fields);
  for (const common of spec.commonStructs ?? []) {
    newStruct(common.name, false, parseVersions(common.versions, null, max), common.fields);
  }
  // Inline structs are declared by the fields that carry `fields`; resolve them depth-first so the
  // order of structs in the output follows the spec.
  const declareInline = (raw: FieldSpecJson[]) => {
    for (const f of raw) {
      if (f.fields === undefined) continue;
      const structName = f.type.startsWith("[]") ? f.type.slice(2) : f.type;
      newStruct(structName, false, parseVersions(f.versions ?? f.taggedVersions, null, max), f.fields);
      declareInline(f.fields);
    }
  };
  declareInline(spec.fields);
  for (const common of spec.commonStructs ?? []) declareInline(common.fields);

  for (const s of message.structs) {
    s.fields = s.rawFields.map((f) => buildField(f, message, byName, max));
  }
  computeStructVersions(message);
  return message;
}

function buildField(
  f: FieldSpecJson,
  message: MessageModel,
  byName: Map<string, StructModel>,
  max: number,
): FieldModel {
  const tagged = parseVersions(f.taggedVersions, [], max);
  const versions = parseVersions(f.versions, tagged.length > 0 ? tagged : null, max);
  const type = parseType(f.type, byName, message.file.path);
  const nullable = parseVersions(f.nullableVersions, [], max);
  const flexible =
    f.flexibleVersions !== undefined ? parseVersions(f.flexibleVersions, null, max) : message.flexible;
  if (f.tag !== undefined && tagged.length === 0 && versions.length > 0) {
    throw new Error(`${message.file.path}: field ${f.name} has a tag but no tagged versions`);
  }
  return {
    specName: f.name,
    prop: camelCase(f.name),
    type,
    versions,
    nullable,
    tagged,
    tag: f.tag,
    flexible,
    ignorable: f.ignorable === true,
    hasExplicitDefault: f.default !== undefined,
    defaultValue: parseDefault(f, type, message.file.path),
    about: f.about ?? "",
    entityType: f.entityType,
  };
}

function parseType(text: string, byName: Map<string, StructModel>, path: string): FieldType {
  const elementOf = (name: string): FieldType => {
    if (PRIMITIVES.has(name)) return { kind: "primitive", name: name as PrimitiveName };
    const struct = byName.get(name);
    if (struct === undefined) throw new Error(`${path}: unknown type ${name}`);
    return { kind: "struct", struct };
  };
  if (text.startsWith("[]")) {
    const element = elementOf(text.slice(2));
    if (element.kind === "array") throw new Error(`${path}: nested arrays are not supported`);
    return { kind: "array", element };
  }
  return elementOf(text);
}

function parseDefault(f: FieldSpecJson, type: FieldType, path: string): DefaultValue {
  const raw = f.default === undefined ? "" : String(f.default);
  if (type.kind === "array") return raw === "null" ? { kind: "null" } : { kind: "emptyArray" };
  if (type.kind === "struct") return raw === "null" ? { kind: "null" } : { kind: "struct" };
  switch (type.name) {
    case "bool":
      return { kind: "bool", value: raw.toLowerCase() === "true" };
    case "int8":
    case "int16":
    case "uint16":
    case "int32":
    case "uint32":
      return { kind: "number", value: raw === "" ? 0 : parseInteger(raw, path) };
    case "int64":
      return { kind: "bigint", value: raw === "" ? 0n : BigInt(parseInteger(raw, path)) };
    case "float64":
      return { kind: "number", value: raw === "" ? 0 : Number(raw) };
    case "uuid":
      return { kind: "string", value: raw === "" ? "AAAAAAAAAAAAAAAAAAAAAA" : raw };
    case "string":
      return raw === "null" ? { kind: "null" } : { kind: "string", value: raw };
    case "bytes":
      return raw === "null" ? { kind: "null" } : { kind: "emptyBytes" };
    case "records":
      return { kind: "null" };
  }
}

function parseInteger(raw: string, path: string): number {
  const negative = raw.startsWith("-");
  const body = negative ? raw.slice(1) : raw;
  const value = body.startsWith("0x") ? Number.parseInt(body.slice(2), 16) : Number.parseInt(body, 10);
  if (!Number.isSafeInteger(value)) throw new Error(`${path}: invalid integer default ${raw}`);
  return negative ? -value : value;
}

/**
 * A struct's versions are where it can be encoded: the message's valid versions for the top
 * struct, and for the others the union, over every field that holds them, of the versions in
 * which that field is present. Common structs can be used from several places, hence the fixpoint.
 */
function computeStructVersions(message: MessageModel): void {
  message.top.versions = message.valid;
  for (let changed = true; changed; ) {
    changed = false;
    for (const s of message.structs) {
      for (const f of s.fields) {
        const inner = f.type.kind === "array" ? f.type.element : f.type;
        if (inner.kind !== "struct") continue;
        const child = inner.struct;
        const next = union(
          child.versions,
          intersect(intersect(f.versions, s.versions), child.declaredVersions),
        );
        if (next.length !== child.versions.length) {
          child.versions = next;
          changed = true;
        }
      }
    }
  }
  for (const s of message.structs) {
    if (s.versions.length === 0) s.versions = intersect(s.declaredVersions, message.valid);
  }
}

/** Versions of `s` in which field `f` is on the wire and not tagged. */
export function mandatoryVersions(s: StructModel, f: FieldModel): VersionSet {
  return subtract(intersect(f.versions, s.versions), f.tagged);
}

export function taggedVersions(s: StructModel, f: FieldModel): VersionSet {
  return intersect(intersect(f.tagged, f.versions), s.versions);
}

export function presentVersions(s: StructModel, f: FieldModel): VersionSet {
  return intersect(f.versions, s.versions);
}

export function structFlexibleVersions(s: StructModel): VersionSet {
  return intersect(s.message.flexible, s.versions);
}
