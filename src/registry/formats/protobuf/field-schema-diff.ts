import { type FieldElement, isScalar, type Label, type MessageElement } from "./proto-elements.js";
import type { DiffContext } from "./protobuf-diff-context.js";

/**
 * One field against its counterpart (same tag), after Confluent's `FieldSchemaDiff`: the kind
 * (scalar, where enums count as scalars, map or message) must match; scalars must stay in one
 * wire-compatible group (protobuf's "updating a message type" rules); a numeric field's label may
 * not change between two stated labels (proto3's unlabeled fields have none, as in Confluent);
 * a message field's type must have the same name relative to its package, and, when it comes from
 * a different file or reference version than before, the same content.
 */

type Kind = "SCALAR" | "MAP" | "MESSAGE";

const SCALAR_KINDS: Readonly<Record<string, string>> = {
  int32: "GENERAL_NUMBER",
  int64: "GENERAL_NUMBER",
  uint32: "GENERAL_NUMBER",
  uint64: "GENERAL_NUMBER",
  bool: "GENERAL_NUMBER",
  sint32: "SIGNED_NUMBER",
  sint64: "SIGNED_NUMBER",
  string: "STRING_OR_BYTES",
  bytes: "STRING_OR_BYTES",
  fixed32: "FIXED32",
  sfixed32: "FIXED32",
  fixed64: "FIXED64",
  sfixed64: "FIXED64",
  float: "FLOAT",
  double: "DOUBLE",
};

/** `map<K, V>` split into its key and value types; null for other types. */
function mapTypes(type: string): [string, string] | null {
  const match = /^map\s*<\s*([^,\s]+)\s*,\s*([^>\s]+)\s*>$/.exec(type);
  return match ? [match[1]!, match[2]!] : null;
}

export function compareFields(ctx: DiffContext, original: FieldElement, update: FieldElement): void {
  if (original.name !== update.name) ctx.addDifference("FIELD_NAME_CHANGED");
  compareLabelsAndTypes(ctx, original.label, update.label, original.type, update.type);
}

function compareLabelsAndTypes(
  ctx: DiffContext,
  originalLabel: Label,
  updateLabel: Label,
  originalType: string,
  updateType: string,
): void {
  const originalKind = kindOf(ctx, originalType, true);
  const updateKind = kindOf(ctx, updateType, false);
  if (originalKind !== updateKind) {
    ctx.addDifference("FIELD_KIND_CHANGED");
    return;
  }
  if (originalKind === "SCALAR")
    compareScalarTypes(ctx, originalLabel, updateLabel, originalType, updateType);
  else if (originalKind === "MESSAGE") compareMessageTypes(ctx, originalType, updateType);
  else {
    const [originalKey, originalValue] = mapTypes(originalType)!;
    const [updateKey, updateValue] = mapTypes(updateType)!;
    compareLabelsAndTypes(ctx, null, null, originalKey, updateKey);
    compareLabelsAndTypes(ctx, null, null, originalValue, updateValue);
  }
}

function kindOf(ctx: DiffContext, type: string, isOriginal: boolean): Kind {
  if (isScalar(type)) return "SCALAR";
  if (mapTypes(type)) return "MAP";
  return ctx.getType(type, isOriginal)?.type.kind === "enum" ? "SCALAR" : "MESSAGE";
}

function scalarKindOf(ctx: DiffContext, type: string, isOriginal: boolean): string {
  if (ctx.getType(type, isOriginal)?.type.kind === "enum") return "GENERAL_NUMBER";
  return SCALAR_KINDS[type] ?? "ANY";
}

function compareScalarTypes(
  ctx: DiffContext,
  originalLabel: Label,
  updateLabel: Label,
  originalType: string,
  updateType: string,
): void {
  const originalKind = scalarKindOf(ctx, originalType, true);
  if (originalKind !== scalarKindOf(ctx, updateType, false)) {
    ctx.addDifference("FIELD_SCALAR_KIND_CHANGED");
  } else if (originalLabel !== null && updateLabel !== null && originalLabel !== updateLabel) {
    if (originalKind === "STRING_OR_BYTES") ctx.addDifference("FIELD_STRING_OR_BYTES_LABEL_CHANGED");
    else if (originalKind !== "ANY") ctx.addDifference("FIELD_NUMERIC_LABEL_CHANGED");
  }
}

function localName(fullName: string, packageName: string): string {
  return fullName.startsWith(`${packageName}.`) ? fullName.slice(packageName.length + 1) : fullName;
}

function compareMessageTypes(ctx: DiffContext, originalType: string, updateType: string): void {
  const originalFullName = ctx.resolve(originalType, true);
  const updateFullName = ctx.resolve(updateType, false);
  const originalInfo = originalFullName === null ? null : ctx.typeForFullName(originalFullName, true);
  const updateInfo = updateFullName === null ? null : ctx.typeForFullName(updateFullName, false);
  if (originalFullName === null || updateFullName === null || !originalInfo || !updateInfo) {
    // Names that resolve nowhere are compared as written.
    if (originalType !== updateType) ctx.addDifference("FIELD_NAMED_TYPE_CHANGED");
    return;
  }
  const originalLocal = localName(originalFullName, originalInfo.packageName);
  const updateLocal = localName(updateFullName, updateInfo.packageName);
  if (originalLocal !== updateLocal) {
    ctx.addDifference("FIELD_NAMED_TYPE_CHANGED");
    return;
  }
  const originalRef = originalInfo.reference;
  const updateRef = updateInfo.reference;
  // Both local, or both the same subject-version: already compared where they are declared.
  if (
    originalRef !== null &&
    updateRef !== null &&
    originalRef.subject === updateRef.subject &&
    originalRef.version === updateRef.version
  ) {
    return;
  }
  if (originalInfo.type.kind !== "message" || updateInfo.type.kind !== "message") return;
  const sub = ctx.subcontext();
  sub.setPackageName(originalInfo.packageName, true);
  sub.setPackageName(updateInfo.packageName, false);
  sub.setFullName(originalLocal);
  sub.walker.compareMessages(sub, originalInfo.type as MessageElement, updateInfo.type);
  ctx.addDifferences(sub.differences);
  if (!sub.isCompatible()) ctx.addDifference("FIELD_NAMED_TYPE_CHANGED");
}
