import type { DiffContext } from "./diff-context.js";
import { compareUnevaluated } from "./object-schema-diff.js";
import { compareLimit } from "./scalar-schema-diff.js";
import { type ArrayNode, isEmptySchema, type SchemaNode } from "./schema-node.js";

/**
 * Confluent's array rules (`ArraySchemaDiff`). A tuple (`items` list, or `prefixItems`) has a
 * content model like an object's: open when items past the tuple may be anything
 * (`additionalItems`/`items` absent or `true`, `unevaluatedItems` absent or `true`), partially
 * open when they must match a schema, closed when they are refused. Positions present in both
 * schemas are compared pairwise; a position added or removed is judged by the content model.
 * `contains` itself is not compared, only `minContains`/`maxContains`.
 */
export function compareArraySchemas(context: DiffContext, original: ArrayNode, update: ArrayNode): void {
  context.at("items", () => context.compare(original.allItemSchema, update.allItemSchema));
  compareTuples(context, original, update);
  compareAdditionalItems(context, original, update);
  compareUnevaluated(
    context,
    "unevaluatedItems",
    "UNEVALUATED_ITEMS",
    original.unevaluatedItems,
    update.unevaluatedItems,
  );
  compareLimit(context, "maxItems", "MAX_ITEMS", original.maxItems, update.maxItems);
  compareLimit(context, "minItems", "MIN_ITEMS", original.minItems, update.minItems);
  if (original.uniqueItems !== update.uniqueItems) {
    context.add(original.uniqueItems ? "UNIQUE_ITEMS_REMOVED" : "UNIQUE_ITEMS_ADDED", "uniqueItems");
  }
  compareLimit(context, "maxContains", "MAX_CONTAINS", original.maxContains, update.maxContains);
  compareLimit(context, "minContains", "MIN_CONTAINS", original.minContains, update.minContains);
}

function compareTuples(context: DiffContext, original: ArrayNode, update: ArrayNode): void {
  const before = original.itemSchemas ?? [];
  const after = update.itemSchemas ?? [];
  const length = Math.max(before.length, after.length);
  for (let index = 0; index < length; index++) {
    const o = before[index];
    const u = after[index];
    context.at(`items/${index}`, () => {
      if (o !== undefined && u !== undefined) context.compare(o, u);
      else if (o !== undefined) itemRemoved(context, o, update);
      else if (u !== undefined) itemAdded(context, u, original);
    });
  }
}

function itemRemoved(context: DiffContext, before: SchemaNode, update: ArrayNode): void {
  if (isOpenContentModel(update)) {
    context.add("ITEM_REMOVED_FROM_OPEN_CONTENT_MODEL");
    return;
  }
  const partial = partialContentModelSchema(update);
  if (partial !== undefined) {
    const trial = context.subcontext();
    trial.compare(before, partial);
    context.addAll(trial.differences);
    context.add(
      trial.isCompatible()
        ? "ITEM_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL"
        : "ITEM_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
    );
    return;
  }
  context.add(
    before.kind === "false"
      ? "ITEM_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL"
      : "ITEM_REMOVED_FROM_CLOSED_CONTENT_MODEL",
  );
}

function itemAdded(context: DiffContext, after: SchemaNode, original: ArrayNode): void {
  if (isOpenContentModel(original)) {
    context.add(
      isEmptySchema(after)
        ? "ITEM_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL"
        : "ITEM_ADDED_TO_OPEN_CONTENT_MODEL",
    );
    return;
  }
  const partial = partialContentModelSchema(original);
  if (partial === undefined) {
    context.add("ITEM_ADDED_TO_CLOSED_CONTENT_MODEL");
    return;
  }
  const trial = context.subcontext();
  trial.compare(partial, after);
  context.addAll(trial.differences);
  context.add(
    trial.isCompatible()
      ? "ITEM_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL"
      : "ITEM_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
  );
}

function compareAdditionalItems(context: DiffContext, original: ArrayNode, update: ArrayNode): void {
  context.at("additionalItems", () => {
    const before = original.schemaOfAdditionalItems;
    const after = update.schemaOfAdditionalItems;
    if (original.permitsAdditionalItems !== update.permitsAdditionalItems) {
      context.add(original.permitsAdditionalItems ? "ADDITIONAL_ITEMS_REMOVED" : "ADDITIONAL_ITEMS_ADDED");
    } else if (before === undefined && after !== undefined) context.add("ADDITIONAL_ITEMS_NARROWED");
    else if (before !== undefined && after === undefined) context.add("ADDITIONAL_ITEMS_EXTENDED");
    else context.compare(before, after);
  });
}

function isOpenContentModel(node: ArrayNode): boolean {
  if (!node.permitsAdditionalItems || node.schemaOfAdditionalItems !== undefined) return false;
  return node.unevaluatedItems === undefined || isEmptySchema(node.unevaluatedItems);
}

function partialContentModelSchema(node: ArrayNode): SchemaNode | undefined {
  if (node.schemaOfAdditionalItems !== undefined) return node.schemaOfAdditionalItems;
  const uneval = node.unevaluatedItems;
  if (
    node.permitsAdditionalItems &&
    uneval !== undefined &&
    uneval.kind !== "false" &&
    !isEmptySchema(uneval)
  ) {
    return uneval;
  }
  return undefined;
}
