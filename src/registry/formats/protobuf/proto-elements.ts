import type protobuf from "protobufjs";
import { parseProto } from "./proto-parse.js";
import { syntaxOf, tokenizeProto } from "./protobuf-text.js";
import { protobufjs } from "./protobufjs.js";

/**
 * A .proto file as written, the way Confluent's Protobuf diff sees it (Square Wire's
 * `ProtoFileElement`): types in declaration order, field types as spelled (not resolved), oneof
 * members inside their oneof, and a field's label only when the file states one (proto3's
 * unlabeled singular fields have none, proto2's `optional` and proto3's explicit `optional` have
 * OPTIONAL). Built from protobufjs' parse of the file alone, without its imports.
 */

export type Label = "optional" | "required" | "repeated" | null;

export interface FieldElement {
  readonly name: string;
  readonly tag: number;
  readonly label: Label;
  /** As written: `int32`, `Status`, `.foo.Bar`, or `map<string, Bar>` for map fields. */
  readonly type: string;
}

export interface OneOfElement {
  readonly name: string;
  readonly fields: readonly FieldElement[];
}

export interface MessageElement {
  readonly kind: "message";
  readonly name: string;
  /** Fields outside any oneof. */
  readonly fields: readonly FieldElement[];
  readonly oneOfs: readonly OneOfElement[];
  readonly nestedTypes: readonly TypeElement[];
}

export interface EnumConstantElement {
  readonly name: string;
  readonly tag: number;
}

export interface EnumElement {
  readonly kind: "enum";
  readonly name: string;
  readonly constants: readonly EnumConstantElement[];
  readonly nestedTypes: readonly TypeElement[];
}

export type TypeElement = MessageElement | EnumElement;

export interface ProtoFileElement {
  readonly packageName: string;
  readonly types: readonly TypeElement[];
}

interface FieldShape {
  rule?: string;
  keyType?: string;
}

function isProto3Optional(field: protobuf.Field): boolean {
  return field.options?.["proto3_optional"] === true;
}

/** The oneof a field belongs to in the file; proto3 `optional`'s synthetic oneof is none. */
function declaredOneof(field: protobuf.Field): protobuf.OneOf | null {
  return field.partOf && !isProto3Optional(field) ? field.partOf : null;
}

function fieldElement(field: protobuf.Field, proto2: boolean): FieldElement {
  const shape = field as protobuf.Field & FieldShape;
  let label: Label = null;
  if (shape.rule === "repeated" || shape.rule === "required") label = shape.rule;
  else if (isProto3Optional(field)) label = "optional";
  else if (proto2 && !field.map && declaredOneof(field) === null) label = "optional";
  const type = field.map ? `map<${shape.keyType}, ${field.type}>` : field.type;
  return { name: field.name, tag: field.id, label, type };
}

function typeElements(nested: readonly protobuf.ReflectionObject[], proto2: boolean): TypeElement[] {
  const out: TypeElement[] = [];
  for (const item of nested) {
    if (item instanceof protobufjs().Type) out.push(messageElement(item, proto2));
    else if (item instanceof protobufjs().Enum) {
      const constants = Object.entries(item.values).map(([name, tag]) => ({ name, tag }));
      out.push({ kind: "enum", name: item.name, constants, nestedTypes: [] });
    }
  }
  return out;
}

function messageElement(type: protobuf.Type, proto2: boolean): MessageElement {
  const fields = type.fieldsArray
    .filter((field) => declaredOneof(field) === null)
    .map((field) => fieldElement(field, proto2));
  const oneOfs = type.oneofsArray
    .filter((oneof) => !oneof.fieldsArray.some(isProto3Optional))
    .map((oneof) => ({ name: oneof.name, fields: oneof.fieldsArray.map((f) => fieldElement(f, proto2)) }));
  return {
    kind: "message",
    name: type.name,
    fields,
    oneOfs,
    nestedTypes: typeElements(type.nestedArray, proto2),
  };
}

/** The file's element tree; `text` must already be known to parse. */
export function protoFileElement(text: string): ProtoFileElement {
  const parsed = parseProto(text, new (protobufjs().Root)());
  const packageName = parsed.package ?? "";
  const scope = packageName === "" ? parsed.root : parsed.root.lookup(packageName);
  const nested = scope instanceof protobufjs().Namespace ? scope.nestedArray : [];
  return { packageName, types: typeElements(nested, syntaxOf(tokenizeProto(text)) === "proto2") };
}

export const SCALAR_TYPES = new Set([
  "double",
  "float",
  "int32",
  "int64",
  "uint32",
  "uint64",
  "sint32",
  "sint64",
  "fixed32",
  "fixed64",
  "sfixed32",
  "sfixed64",
  "bool",
  "string",
  "bytes",
]);

export function isScalar(type: string): boolean {
  return SCALAR_TYPES.has(type);
}
