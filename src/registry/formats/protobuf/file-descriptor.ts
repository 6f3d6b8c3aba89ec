import type protobuf from "protobufjs";
import { registryErrors } from "../../registry-error.js";
import { protobufDescriptors, protobufjs } from "./protobufjs.js";

/**
 * Protobuf schemas as serialized `google.protobuf.FileDescriptorProto`s in base64, the form
 * Confluent's clients register (confluent-kafka-python's ProtobufSerializer, the JavaScript
 * `@confluentinc/schemaregistry` serdes) and fetch with `format=serialized`. Confluent's
 * ProtobufSchema reads such a schema when its text does not parse as a .proto file, and stores
 * the .proto rendering; so does Brook: `protoTextOfDescriptor` renders the descriptor as .proto
 * text, `serializedDescriptor` encodes a parsed file back.
 */

/** A base64 text: no `;`, `{` or quotes, which every .proto file has. */
const BASE64 = /^[A-Za-z0-9+/\s]+={0,2}\s*$/;

export function looksSerialized(text: string): boolean {
  return BASE64.test(text);
}

// FieldDescriptorProto.Type numbers, 1..18, as .proto spells them (10 is a group: refused).
const SCALAR_NAMES: Record<number, string> = {
  1: "double",
  2: "float",
  3: "int64",
  4: "uint64",
  5: "int32",
  6: "fixed64",
  7: "fixed32",
  8: "bool",
  9: "string",
  12: "bytes",
  13: "uint32",
  15: "sfixed32",
  16: "sfixed64",
  17: "sint32",
  18: "sint64",
};
const TYPE_MESSAGE = 11;
const TYPE_ENUM = 14;
const LABEL_REQUIRED = 2;
const LABEL_REPEATED = 3;

// Decoded descriptor messages, as protobufjs's reflection gives them (camelCase fields).
interface FieldProto {
  name: string;
  number: number;
  label?: number;
  type?: number;
  typeName?: string;
  defaultValue?: string;
  oneofIndex?: number;
  proto3Optional?: boolean;
  options?: { packed?: boolean; deprecated?: boolean };
}
interface EnumProto {
  name: string;
  value?: { name: string; number: number }[];
  options?: { allowAlias?: boolean };
}
interface MessageProto {
  name: string;
  field?: FieldProto[];
  nestedType?: MessageProto[];
  enumType?: EnumProto[];
  oneofDecl?: { name: string }[];
  options?: { mapEntry?: boolean };
  reservedRange?: { start: number; end: number }[];
  reservedName?: string[];
}
interface ServiceProto {
  name: string;
  method?: {
    name: string;
    inputType: string;
    outputType: string;
    clientStreaming?: boolean;
    serverStreaming?: boolean;
  }[];
}
interface FileProto {
  name?: string;
  package?: string;
  dependency?: string[];
  messageType?: MessageProto[];
  enumType?: EnumProto[];
  service?: ServiceProto[];
  syntax?: string;
  options?: Record<string, unknown>;
}

function invalid(message: string): never {
  throw registryErrors.invalidSchema(`Invalid schema: ${message}`);
}

/** Base64 FileDescriptorProto → .proto text; 42201 when it is not one. */
export function protoTextOfDescriptor(base64: string): string {
  let file: FileProto;
  try {
    const message = protobufDescriptors().FileDescriptorProto.decode(
      Buffer.from(base64.replace(/\s/g, ""), "base64"),
    );
    file = protobufDescriptors().FileDescriptorProto.toObject(message, { defaults: false }) as FileProto;
  } catch (error) {
    return invalid(`not a .proto file nor a serialized FileDescriptorProto: ${(error as Error).message}`);
  }
  const syntax = file.syntax === "proto3" ? "proto3" : "proto2";
  const lines = [`syntax = "${syntax}";`];
  if (file.package) lines.push(`package ${file.package};`);
  for (const dependency of file.dependency ?? []) lines.push(`import "${dependency}";`);
  for (const [name, value] of Object.entries(file.options ?? {})) {
    if (typeof value === "string") lines.push(`option ${snakeCase(name)} = ${JSON.stringify(value)};`);
    else if (typeof value === "boolean") lines.push(`option ${snakeCase(name)} = ${value};`);
  }
  for (const message of file.messageType ?? []) lines.push(...renderMessage(message, syntax));
  for (const enumProto of file.enumType ?? []) lines.push(...renderEnum(enumProto));
  for (const service of file.service ?? []) lines.push(...renderService(service));
  return `${lines.join("\n")}\n`;
}

/** protobufjs camelCases option names; .proto spells file options in snake case. */
function snakeCase(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

function renderMessage(message: MessageProto, syntax: string): string[] {
  const maps = new Map<string, MessageProto>();
  for (const nested of message.nestedType ?? []) if (nested.options?.mapEntry) maps.set(nested.name, nested);
  const fields = message.field ?? [];
  // proto3 `optional` fields sit in synthetic oneofs, which .proto does not spell.
  const synthetic = new Set(
    fields.filter((f) => f.proto3Optional && f.oneofIndex !== undefined).map((f) => f.oneofIndex),
  );
  // A oneof is written where its first field is, so that declaration order survives.
  const parts: (string | string[])[] = [];
  const oneofs = new Map<number, string[]>();
  for (const field of fields) {
    const index = field.oneofIndex;
    const inOneof = index !== undefined && !synthetic.has(index);
    const line = renderField(field, syntax, maps, message.name, inOneof);
    if (!inOneof) {
      parts.push(line);
      continue;
    }
    let members = oneofs.get(index);
    if (members === undefined) {
      members = [];
      oneofs.set(index, members);
      parts.push(members);
    }
    members.push(line);
  }
  const body = parts.flatMap((part) => {
    if (typeof part === "string") return [part];
    const index = [...oneofs].find(([, members]) => members === part)![0];
    return [`oneof ${message.oneofDecl![index]!.name} {`, ...part.map((l) => `  ${l}`), "}"];
  });
  for (const nested of message.nestedType ?? []) {
    if (!nested.options?.mapEntry) body.push(...renderMessage(nested, syntax));
  }
  for (const enumProto of message.enumType ?? []) body.push(...renderEnum(enumProto));
  for (const range of message.reservedRange ?? []) {
    body.push(
      `reserved ${range.end - 1 === range.start ? range.start : `${range.start} to ${range.end - 1}`};`,
    );
  }
  if ((message.reservedName ?? []).length > 0) {
    body.push(`reserved ${message.reservedName!.map((n) => JSON.stringify(n)).join(", ")};`);
  }
  return [`message ${message.name} {`, ...body.map((l) => `  ${l}`), "}"];
}

function renderField(
  field: FieldProto,
  syntax: string,
  maps: ReadonlyMap<string, MessageProto>,
  parent: string,
  inOneof: boolean,
): string {
  const entryName = field.typeName?.split(".").at(-1);
  const entry = field.type === TYPE_MESSAGE && entryName !== undefined ? maps.get(entryName) : undefined;
  const options: string[] = [];
  if (field.defaultValue !== undefined) {
    const quoted = field.type === 9 || field.type === 12;
    options.push(`default = ${quoted ? JSON.stringify(field.defaultValue) : field.defaultValue}`);
  }
  if (field.options?.packed !== undefined) options.push(`packed = ${field.options.packed}`);
  if (field.options?.deprecated) options.push("deprecated = true");
  const suffix = `${field.name} = ${field.number}${options.length > 0 ? ` [${options.join(", ")}]` : ""};`;
  if (entry && field.typeName?.endsWith(`.${parent}.${entryName}`)) {
    const key = entry.field?.find((f) => f.number === 1);
    const value = entry.field?.find((f) => f.number === 2);
    if (!key || !value) return invalid(`map entry ${entryName} lacks its key or value`);
    return `map<${typeOf(key)}, ${typeOf(value)}> ${suffix}`;
  }
  let label = "";
  if (field.label === LABEL_REPEATED) label = "repeated ";
  else if (field.label === LABEL_REQUIRED) label = "required ";
  else if (!inOneof && (syntax === "proto2" || field.proto3Optional)) label = "optional ";
  return `${label}${typeOf(field)} ${suffix}`;
}

function typeOf(field: FieldProto): string {
  if (field.type === TYPE_MESSAGE || field.type === TYPE_ENUM) {
    if (!field.typeName) return invalid(`field ${field.name} names no type`);
    return field.typeName;
  }
  const scalar = field.type === undefined ? undefined : SCALAR_NAMES[field.type];
  if (scalar === undefined) return invalid(`field ${field.name} has an unsupported type ${field.type}`);
  return scalar;
}

function renderEnum(enumProto: EnumProto): string[] {
  const body = (enumProto.value ?? []).map((v) => `  ${v.name} = ${v.number};`);
  if (enumProto.options?.allowAlias) body.unshift("  option allow_alias = true;");
  return [`enum ${enumProto.name} {`, ...body, "}"];
}

function renderService(service: ServiceProto): string[] {
  const body = (service.method ?? []).map(
    (m) =>
      `  rpc ${m.name} (${m.clientStreaming ? "stream " : ""}${m.inputType}) returns (${m.serverStreaming ? "stream " : ""}${m.outputType});`,
  );
  return [`service ${service.name} {`, ...body, "}"];
}

/**
 * A parsed file as a base64 FileDescriptorProto (Confluent's `format=serialized`): its own
 * messages, enums and services with type names fully qualified, map fields as `*Entry` types,
 * proto3 `optional` fields in their synthetic oneofs, as protoc describes them. (protobufjs's own
 * `toDescriptor` loses map entries' names, qualified type names and packing defaults.)
 */
export function serializedDescriptor(file: {
  packageName: string;
  syntax: string;
  imports: readonly string[];
  nested: readonly protobuf.ReflectionObject[];
  options: Readonly<Record<string, unknown>> | undefined;
}): string {
  const proto: Record<string, unknown> = { name: "default", dependency: [...file.imports] };
  if (file.packageName !== "") proto["package"] = file.packageName;
  if (file.syntax === "proto3") proto["syntax"] = "proto3";
  const options: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(file.options ?? {})) {
    options[name.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase())] = value;
  }
  if (Object.keys(options).length > 0) proto["options"] = options;
  proto["messageType"] = file.nested.filter((n) => n instanceof protobufjs().Type).map(describeType);
  proto["enumType"] = file.nested.filter((n) => n instanceof protobufjs().Enum).map(describeEnum);
  proto["service"] = file.nested.filter((n) => n instanceof protobufjs().Service).map(describeService);
  const message = protobufDescriptors().FileDescriptorProto.fromObject(proto);
  return Buffer.from(protobufDescriptors().FileDescriptorProto.encode(message).finish()).toString("base64");
}

const SCALAR_NUMBERS = new Map(Object.entries(SCALAR_NAMES).map(([number, name]) => [name, Number(number)]));

function describeType(type: protobuf.Type): Record<string, unknown> {
  const entries: Record<string, unknown>[] = [];
  const oneofs = type.oneofsArray;
  const field = type.fieldsArray.map((f) => {
    const out = describeField(f, type);
    if (f instanceof protobufjs().MapField) {
      const entryName = `${f.name.replace(/(^|_)([a-z])/g, (_, __, c: string) => c.toUpperCase())}Entry`;
      const key = describeField(new (protobufjs().Field)("key", 1, f.keyType), type);
      const value = describeField(new (protobufjs().Field)("value", 2, f.type), type);
      entries.push({ name: entryName, field: [key, value], options: { mapEntry: true } });
      out["label"] = LABEL_REPEATED;
      out["type"] = TYPE_MESSAGE;
      out["typeName"] = `${type.fullName}.${entryName}`;
    }
    if (f.partOf) {
      out["oneofIndex"] = oneofs.indexOf(f.partOf);
      if (f.options?.["proto3_optional"] === true) out["proto3Optional"] = true;
    }
    return out;
  });
  const nested = type.nestedArray;
  const out: Record<string, unknown> = {
    name: type.name,
    field,
    nestedType: [...nested.filter((n) => n instanceof protobufjs().Type).map(describeType), ...entries],
    enumType: nested.filter((n) => n instanceof protobufjs().Enum).map(describeEnum),
    oneofDecl: oneofs.map((o) => ({ name: o.name })),
  };
  const ranges = (type.reserved ?? []).filter((r): r is number[] => Array.isArray(r));
  // protobufjs keeps inclusive ends; descriptors have exclusive ones.
  out["reservedRange"] = ranges.map(([start, end]) => ({ start, end: end! + 1 }));
  out["reservedName"] = (type.reserved ?? []).filter((r): r is string => typeof r === "string");
  return out;
}

/** A field; its type looked up from `scope` (the message declaring it), as protoc resolves it. */
function describeField(field: protobuf.Field, scope: protobuf.Type): Record<string, unknown> {
  const out: Record<string, unknown> = {
    name: field.name,
    number: field.id,
    label: field.repeated ? LABEL_REPEATED : field.required ? LABEL_REQUIRED : 1,
  };
  const scalar = SCALAR_NUMBERS.get(field.type);
  if (scalar !== undefined) out["type"] = scalar;
  else {
    const resolved = field.resolvedType ?? scope.lookup(field.type, [protobufjs().Type, protobufjs().Enum]);
    out["type"] = resolved instanceof protobufjs().Enum ? TYPE_ENUM : TYPE_MESSAGE;
    out["typeName"] = resolved ? resolved.fullName : `.${field.type.replace(/^\./, "")}`;
  }
  const options: Record<string, unknown> = {};
  if (field.options?.["packed"] !== undefined) options["packed"] = field.options["packed"];
  if (field.options?.["deprecated"] === true) options["deprecated"] = true;
  if (Object.keys(options).length > 0) out["options"] = options;
  if (field.options?.["default"] !== undefined) out["defaultValue"] = String(field.options["default"]);
  return out;
}

function describeEnum(enumType: protobuf.Enum): Record<string, unknown> {
  const out: Record<string, unknown> = {
    name: enumType.name,
    value: Object.entries(enumType.values).map(([name, number]) => ({ name, number })),
  };
  if (enumType.options?.["allow_alias"] === true) out["options"] = { allowAlias: true };
  return out;
}

function describeService(service: protobuf.Service): Record<string, unknown> {
  return {
    name: service.name,
    method: service.methodsArray.map((m) => ({
      name: m.name,
      inputType: service.lookup(m.requestType, [protobufjs().Type])?.fullName ?? m.requestType,
      outputType: service.lookup(m.responseType, [protobufjs().Type])?.fullName ?? m.responseType,
      clientStreaming: m.requestStream === true,
      serverStreaming: m.responseStream === true,
    })),
  };
}
