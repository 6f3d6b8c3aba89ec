import { hashMapOrder, hashSetUnionOrder } from "../json-schema/java-hash-order.js";
import { compareMessages } from "./message-schema-diff.js";
import type { EnumElement, MessageElement, TypeElement } from "./proto-elements.js";
import { DiffContext, type DiffSchema } from "./protobuf-diff-context.js";
import { COMPATIBLE_CHANGES, type Difference } from "./protobuf-difference.js";

/**
 * Protobuf compatibility as Confluent's `SchemaDiff` decides it (protobuf-provider, diff/): the
 * original (writer's) file is walked against the update (reader's), types by name, fields and
 * enum constants by number, and every difference is reported with its path, in Confluent's order
 * (which follows Java's hash iteration where Confluent's walk does). The check fails on any
 * difference outside `COMPATIBLE_CHANGES`. Types that come from imports (references resolved
 * through the registry, or the built-in google/protobuf, google/type and confluent files) are
 * compared by content: a field whose message moved to another package or file is unchanged if
 * the message is, and an imported message's changes count as the field's.
 */
export function diffProtobufSchemas(original: DiffSchema, update: DiffSchema): Difference[] {
  const ctx = new DiffContext(COMPATIBLE_CHANGES, { compareMessages, compareTypeElements });
  ctx.collectTypeInfo(original, true);
  ctx.collectTypeInfo(update, false);
  if (original.file.packageName !== update.file.packageName) ctx.addDifference("PACKAGE_CHANGED");
  compareTypeElements(ctx, original.file.types, update.file.types);
  return ctx.differences;
}

interface Scope {
  messages: Map<string, MessageElement>;
  messageIndexes: Map<string, number>;
  enums: Map<string, EnumElement>;
}

function scopeOf(types: readonly TypeElement[]): Scope {
  const scope: Scope = { messages: new Map(), messageIndexes: new Map(), enums: new Map() };
  for (const type of types) {
    if (type.kind === "message") {
      scope.messages.set(type.name, type);
      scope.messageIndexes.set(type.name, scope.messageIndexes.size);
    } else scope.enums.set(type.name, type);
  }
  return scope;
}

export function compareTypeElements(
  ctx: DiffContext,
  original: readonly TypeElement[],
  update: readonly TypeElement[],
): void {
  const before = scopeOf(original);
  const after = scopeOf(update);
  const messageNames = hashSetUnionOrder(
    hashMapOrder([...before.messages.keys()]),
    hashMapOrder([...after.messages.keys()]),
  );
  for (const name of messageNames) {
    ctx.within(name, () => compareMessageNamed(ctx, name, before, after), true);
  }
  const enumNames = hashSetUnionOrder(
    hashMapOrder([...before.enums.keys()]),
    hashMapOrder([...after.enums.keys()]),
  );
  for (const name of enumNames) {
    ctx.within(
      name,
      () => {
        const originalEnum = before.enums.get(name);
        const updateEnum = after.enums.get(name);
        if (!updateEnum) ctx.addDifference("ENUM_REMOVED");
        else if (!originalEnum) ctx.addDifference("ENUM_ADDED");
        else compareEnums(ctx, originalEnum, updateEnum);
      },
      true,
    );
  }
}

function compareMessageNamed(ctx: DiffContext, name: string, before: Scope, after: Scope): void {
  const originalMessage = before.messages.get(name);
  const updateMessage = after.messages.get(name);
  if (!updateMessage) {
    if (ctx.getType(name, true)) ctx.addDifference("MESSAGE_REMOVED");
  } else if (!originalMessage) {
    if (ctx.getType(name, false)) ctx.addDifference("MESSAGE_ADDED");
  } else {
    compareMessages(ctx, originalMessage, updateMessage);
    // Moving a message is compatible: a value's message indexes refer to its own schema id.
    if (before.messageIndexes.get(name) !== after.messageIndexes.get(name))
      ctx.addDifference("MESSAGE_MOVED");
  }
}

function compareEnums(ctx: DiffContext, original: EnumElement, update: EnumElement): void {
  const originalByTag = new Map(original.constants.map((c) => [c.tag, c]));
  const updateByTag = new Map(update.constants.map((c) => [c.tag, c]));
  for (const tag of hashSetUnionOrder(
    hashMapOrder([...originalByTag.keys()]),
    hashMapOrder([...updateByTag.keys()]),
  )) {
    const originalConstant = originalByTag.get(tag);
    const updateConstant = updateByTag.get(tag);
    if (!updateConstant) ctx.addDifference("ENUM_CONST_REMOVED", String(tag));
    else if (!originalConstant) ctx.addDifference("ENUM_CONST_ADDED", String(tag));
    else if (originalConstant.name !== updateConstant.name)
      ctx.addDifference("ENUM_CONST_CHANGED", String(tag));
  }
}
