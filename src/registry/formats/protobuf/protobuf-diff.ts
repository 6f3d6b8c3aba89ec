import protobuf from "protobufjs";
import type { CheckRoles, CompatibilityIssue } from "../schema-format.js";
import { isScalar, type ProtobufSchema } from "./protobuf-format.js";

/**
 * Protobuf compatibility as wire compatibility, in the manner of Confluent's Protobuf diff:
 * compare the `original` file (the writer's) with the `update` (the reader's), messages and
 * enums by full name, fields by number. Incompatible: a package change, a message or enum
 * removed, an enum constant removed or renamed, a field's kind changed (scalar/message/enum/map)
 * or its scalar type changed outside a wire-compatible group, a message/enum type swapped, a
 * numeric field switched between singular and repeated (packed encoding differs), required
 * fields added or removed, several existing fields moved into a new oneof, a field moved into an
 * existing oneof, a field removed from a oneof. Compatible: messages, enums, constants, fields
 * and oneofs added; fields removed; fields renamed; wire-compatible scalar changes; a single
 * field moved into a new oneof; string/bytes/message fields made repeated or singular.
 */

/** Scalar types that read each other's encoding (protobuf's "updating a message type" rules). */
const WIRE_GROUPS: readonly (readonly string[])[] = [
  ["int32", "uint32", "int64", "uint64", "bool"],
  ["sint32", "sint64"],
  ["fixed32", "sfixed32"],
  ["fixed64", "sfixed64"],
  ["string", "bytes"],
];

type Issue = CompatibilityIssue;

interface Walk {
  issues: Issue[];
  roles: CheckRoles;
}

export function diffProtobufSchemas(
  original: ProtobufSchema,
  update: ProtobufSchema,
  roles: CheckRoles,
): Issue[] {
  const walk: Walk = { issues: [], roles };
  if (original.packageName !== update.packageName) {
    report(walk, "PACKAGE_CHANGED", "#/package", `package ${original.packageName} -> ${update.packageName}`);
  }
  compareScopes(walk, "#", original.messages, original.enums, update.messages, update.enums);
  return walk.issues;
}

function report(walk: Walk, errorType: string, path: string, detail: string): void {
  walk.issues.push({
    errorType,
    description: `Found incompatible change at '${path}' of the ${walk.roles.reader} schema compared with the ${walk.roles.writer} schema: ${detail}`,
  });
}

function nestedOf<T>(type: protobuf.Type, kind: new (...args: never[]) => T): T[] {
  return type.nestedArray.filter((n): n is T & protobuf.ReflectionObject => n instanceof kind);
}

function compareScopes(
  walk: Walk,
  path: string,
  oMessages: protobuf.Type[],
  oEnums: protobuf.Enum[],
  uMessages: protobuf.Type[],
  uEnums: protobuf.Enum[],
): void {
  for (const message of oMessages) {
    const at = `${path}/${message.name}`;
    const match = uMessages.find((m) => m.name === message.name);
    if (!match) report(walk, "MESSAGE_REMOVED", at, `message ${message.name} was removed`);
    else compareMessages(walk, at, message, match);
  }
  for (const item of oEnums) {
    const at = `${path}/${item.name}`;
    const match = uEnums.find((e) => e.name === item.name);
    if (!match) report(walk, "ENUM_REMOVED", at, `enum ${item.name} was removed`);
    else compareEnums(walk, at, item, match);
  }
}

function compareEnums(walk: Walk, path: string, original: protobuf.Enum, update: protobuf.Enum): void {
  const updateNames = new Map<number, string[]>();
  for (const [name, number] of Object.entries(update.values)) {
    updateNames.set(number, [...(updateNames.get(number) ?? []), name]);
  }
  for (const [name, number] of Object.entries(original.values)) {
    const names = updateNames.get(number);
    if (!names)
      report(walk, "ENUM_CONST_REMOVED", `${path}/${name}`, `enum constant ${name} = ${number} was removed`);
    else if (!names.includes(name)) {
      report(
        walk,
        "ENUM_CONST_CHANGED",
        `${path}/${name}`,
        `enum constant ${number} was renamed ${name} -> ${names[0]}`,
      );
    }
  }
}

/** `rule` rather than protobufjs' `required`, which is only right once features are resolved. */
function isRequired(field: protobuf.Field): boolean {
  return (field as protobuf.Field & { rule?: string }).rule === "required";
}

/** The oneof a field really belongs to; proto3 `optional` makes a synthetic one, which does not count. */
function realOneof(field: protobuf.Field): protobuf.OneOf | null {
  const oneof = field.partOf;
  if (!oneof) return null;
  return field.options?.["proto3_optional"] === true ? null : oneof;
}

function compareMessages(walk: Walk, path: string, original: protobuf.Type, update: protobuf.Type): void {
  const updateFields = new Map(update.fieldsArray.map((f) => [f.id, f]));
  const originalFields = new Map(original.fieldsArray.map((f) => [f.id, f]));
  for (const field of original.fieldsArray) {
    const at = `${path}/${field.id}`;
    const match = updateFields.get(field.id);
    if (!match) {
      if (isRequired(field))
        report(walk, "REQUIRED_FIELD_REMOVED", at, `required field ${field.name} was removed`);
      else if (realOneof(field))
        report(walk, "ONEOF_FIELD_REMOVED", at, `oneof field ${field.name} was removed`);
      continue;
    }
    compareFields(walk, at, field, match);
  }
  for (const field of update.fieldsArray) {
    if (!originalFields.has(field.id) && isRequired(field)) {
      report(walk, "REQUIRED_FIELD_ADDED", `${path}/${field.id}`, `required field ${field.name} was added`);
    }
  }
  compareOneofs(walk, path, original, update, originalFields);
  compareScopes(
    walk,
    path,
    nestedOf(original, protobuf.Type),
    nestedOf(original, protobuf.Enum),
    nestedOf(update, protobuf.Type),
    nestedOf(update, protobuf.Enum),
  );
}

function keyTypeOf(field: protobuf.Field): string | undefined {
  return (field as protobuf.Field & { keyType?: string }).keyType;
}

type Kind = { kind: "scalar" | "message" | "enum"; name: string };

function kindOf(field: protobuf.Field): Kind {
  if (isScalar(field.type)) return { kind: "scalar", name: field.type };
  const found = field.parent?.lookup(field.type, [protobuf.Type, protobuf.Enum]);
  const name = found ? found.fullName.replace(/^\./, "") : field.type.replace(/^\./, "");
  return { kind: found instanceof protobuf.Enum ? "enum" : "message", name };
}

function describeKind(field: protobuf.Field): string {
  const kind = kindOf(field);
  return field.map ? `map<${keyTypeOf(field)}, ${kind.name}>` : `${kind.kind} ${kind.name}`;
}

function compareFields(walk: Walk, path: string, original: protobuf.Field, update: protobuf.Field): void {
  const oKind = kindOf(original);
  const uKind = kindOf(update);
  if (
    original.map !== update.map ||
    oKind.kind !== uKind.kind ||
    (original.map && keyTypeOf(original) !== keyTypeOf(update))
  ) {
    report(walk, "FIELD_KIND_CHANGED", path, `${describeKind(original)} -> ${describeKind(update)}`);
    return;
  }
  if (oKind.kind === "scalar" && oKind.name !== uKind.name) {
    const group = WIRE_GROUPS.find((g) => g.includes(oKind.name));
    if (!group?.includes(uKind.name)) {
      report(walk, "FIELD_SCALAR_KIND_CHANGED", path, `${oKind.name} -> ${uKind.name}`);
    }
  } else if (oKind.kind !== "scalar" && oKind.name !== uKind.name) {
    report(walk, "FIELD_NAMED_TYPE_CHANGED", path, `${oKind.name} -> ${uKind.name}`);
  }
  if (original.repeated !== update.repeated && !original.map) {
    const numeric =
      oKind.kind === "enum" || (oKind.kind === "scalar" && oKind.name !== "string" && oKind.name !== "bytes");
    if (numeric)
      report(
        walk,
        "FIELD_NUMERIC_LABEL_CHANGED",
        path,
        `${original.name} changed between singular and repeated`,
      );
  }
  if (isRequired(original) !== isRequired(update)) {
    report(
      walk,
      isRequired(update) ? "REQUIRED_FIELD_ADDED" : "REQUIRED_FIELD_REMOVED",
      path,
      `${original.name} required changed`,
    );
  }
}

function compareOneofs(
  walk: Walk,
  path: string,
  original: protobuf.Type,
  update: protobuf.Type,
  originalFields: Map<number, protobuf.Field>,
): void {
  for (const oneof of update.oneofsArray) {
    if (oneof.fieldsArray.some((f) => f.options?.["proto3_optional"] === true)) continue;
    const existing = original.oneofsArray.find((o) => o.name === oneof.name);
    const movedIn = oneof.fieldsArray.filter((f) => {
      const before = originalFields.get(f.id);
      return before !== undefined && realOneof(before)?.name !== oneof.name;
    });
    if (movedIn.length === 0) continue;
    const at = `${path}/oneof ${oneof.name}`;
    if (existing) {
      report(
        walk,
        "FIELD_MOVED_TO_EXISTING_ONEOF",
        at,
        `fields ${movedIn.map((f) => f.name).join(", ")} moved into oneof ${oneof.name}`,
      );
    } else if (movedIn.length > 1) {
      report(
        walk,
        "MULTIPLE_FIELDS_MOVED_TO_ONEOF",
        at,
        `fields ${movedIn.map((f) => f.name).join(", ")} moved into new oneof ${oneof.name}`,
      );
    }
  }
}
