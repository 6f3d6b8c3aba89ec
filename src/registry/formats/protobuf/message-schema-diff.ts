import { compareFields } from "./field-schema-diff.js";
import type { FieldElement, MessageElement } from "./proto-elements.js";
import type { DiffContext } from "./protobuf-diff-context.js";

/**
 * One message against its counterpart, after Confluent's `MessageSchemaDiff`: every field by tag
 * across the whole message (top-level and oneof members alike), so that oneof renames, moves and
 * merges cannot hide a field's own change. A oneof rename with the same members is compatible;
 * members from more than one original group (a oneof, or a top-level field) joined in one oneof
 * are not (MULTIPLE_FIELDS_MOVED_TO_ONEOF when two or more were top-level, else
 * FIELD_MOVED_TO_EXISTING_ONEOF); a member dropped while others survive is ONEOF_FIELD_REMOVED;
 * a oneof deleted with all its members is compatible.
 */

interface Members {
  byTag: Map<number, FieldElement>;
  tagToOneOf: Map<number, string>;
  oneOfs: Map<string, readonly FieldElement[]>;
}

function membersOf(message: MessageElement): Members {
  const members: Members = { byTag: new Map(), tagToOneOf: new Map(), oneOfs: new Map() };
  for (const field of message.fields) members.byTag.set(field.tag, field);
  for (const oneOf of message.oneOfs) {
    members.oneOfs.set(oneOf.name, oneOf.fields);
    for (const field of oneOf.fields) {
      members.byTag.set(field.tag, field);
      members.tagToOneOf.set(field.tag, oneOf.name);
    }
  }
  return members;
}

export function compareMessages(ctx: DiffContext, original: MessageElement, update: MessageElement): void {
  ctx.enterSchema(original, () => {
    const before = membersOf(original);
    const after = membersOf(update);
    const deletedOneOfs = new Set<string>();
    for (const [name, fields] of before.oneOfs) {
      if (!after.oneOfs.has(name) && !fields.some((f) => after.byTag.has(f.tag))) deletedOneOfs.add(name);
    }
    compareOneOfMembership(ctx, update, before);
    const oneOfNames = [...new Set([...before.oneOfs.keys(), ...after.oneOfs.keys()])].sort();
    for (const name of oneOfNames) {
      if (!after.oneOfs.has(name)) ctx.addDifference("ONEOF_REMOVED", name);
      else if (!before.oneOfs.has(name)) ctx.addDifference("ONEOF_ADDED", name);
    }
    const tags = [...new Set([...before.byTag.keys(), ...after.byTag.keys()])].sort((a, b) => a - b);
    for (const tag of tags) compareTag(ctx, tag, before, after, deletedOneOfs);
  });
  ctx.walker.compareTypeElements(ctx, original.nestedTypes, update.nestedTypes);
}

/** Fields newly made mutually exclusive: an update oneof drawing on several original groups. */
function compareOneOfMembership(ctx: DiffContext, update: MessageElement, before: Members): void {
  for (const oneOf of update.oneOfs) {
    const groups = new Set<string>();
    let topLevelMovedIn = 0;
    for (const field of oneOf.fields) {
      const originalOneOf = before.tagToOneOf.get(field.tag);
      if (originalOneOf !== undefined) groups.add(`oneof:${originalOneOf}`);
      else if (before.byTag.has(field.tag)) {
        groups.add(`field:${field.tag}`);
        topLevelMovedIn++;
      }
    }
    if (groups.size > 1) {
      ctx.addDifference(
        topLevelMovedIn > 1 ? "MULTIPLE_FIELDS_MOVED_TO_ONEOF" : "FIELD_MOVED_TO_EXISTING_ONEOF",
        oneOf.name,
      );
    }
  }
}

function compareTag(
  ctx: DiffContext,
  tag: number,
  before: Members,
  after: Members,
  deletedOneOfs: ReadonlySet<string>,
): void {
  const originalField = before.byTag.get(tag);
  const updateField = after.byTag.get(tag);
  const originalOneOf = before.tagToOneOf.get(tag);
  const updateOneOf = after.tagToOneOf.get(tag);
  const at = String(tag);
  if (!updateField) {
    if (originalOneOf !== undefined) {
      if (!deletedOneOfs.has(originalOneOf)) {
        ctx.within(originalOneOf, () => ctx.addDifference("ONEOF_FIELD_REMOVED", at));
      }
    } else {
      ctx.addDifference(originalField?.label === "required" ? "REQUIRED_FIELD_REMOVED" : "FIELD_REMOVED", at);
    }
  } else if (!originalField) {
    if (updateOneOf !== undefined) ctx.within(updateOneOf, () => ctx.addDifference("ONEOF_FIELD_ADDED", at));
    else ctx.addDifference(updateField.label === "required" ? "REQUIRED_FIELD_ADDED" : "FIELD_ADDED", at);
  } else {
    if (originalOneOf !== undefined && updateOneOf === undefined) {
      ctx.addDifference("ONEOF_FIELD_MOVED_TO_TOP_LEVEL", at);
    }
    const compare = () => ctx.within(at, () => compareFields(ctx, originalField, updateField));
    if (updateOneOf !== undefined) ctx.within(updateOneOf, compare);
    else compare();
  }
}
