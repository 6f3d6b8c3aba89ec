import type { DiffContext } from "./diff-context.js";
import { hashMapOrder, hashSetUnionOrder } from "./java-hash-order.js";
import { compareLimit } from "./scalar-schema-diff.js";
import { isEmptySchema, type ObjectNode, type SchemaNode } from "./schema-node.js";

/**
 * Confluent's object rules (`ObjectSchemaDiff`). Content models decide what adding or removing a
 * property means. An object is open when it lets any undeclared property through (no
 * `additionalProperties`, or `true`; no `patternProperties`; `unevaluatedProperties` absent or
 * `true`), partially open when undeclared properties must match a schema (a matching
 * `patternProperties` entry, an `additionalProperties` schema, or an `unevaluatedProperties`
 * schema), and closed otherwise. Removing a property is only safe when the update still lets it
 * through; adding one is only safe when the original already kept it out (or constrained it to
 * what the update accepts). Property names are visited in Java's hash order, as Confluent does.
 */
export function compareObjectSchemas(context: DiffContext, original: ObjectNode, update: ObjectNode): void {
  compareRequired(context, original, update);
  context.at("properties", () => compareProperties(context, original, update));
  context.at("dependencies", () => compareDependencies(context, original, update));
  compareAdditionalProperties(context, original, update);
  compareUnevaluated(
    context,
    "unevaluatedProperties",
    "UNEVALUATED_PROPERTIES",
    original.unevaluatedProperties,
    update.unevaluatedProperties,
  );
  compareLimit(context, "maxProperties", "MAX_PROPERTIES", original.maxProperties, update.maxProperties);
  compareLimit(context, "minProperties", "MIN_PROPERTIES", original.minProperties, update.minProperties);
}

function propertyNames(node: ObjectNode): string[] {
  return hashMapOrder([...node.properties.keys()]);
}

function compareRequired(context: DiffContext, original: ObjectNode, update: ObjectNode): void {
  context.at("required", () => {
    for (const name of propertyNames(original)) {
      const updateSchema = update.properties.get(name);
      if (updateSchema === undefined) continue;
      const before = original.required.includes(name);
      const after = update.required.includes(name);
      if (before && !after) context.add("REQUIRED_ATTRIBUTE_REMOVED", name);
      else if (!before && after) {
        context.add(
          hasDefault(updateSchema) ? "REQUIRED_ATTRIBUTE_WITH_DEFAULT_ADDED" : "REQUIRED_ATTRIBUTE_ADDED",
          name,
        );
      }
    }
  });
}

function hasDefault(node: SchemaNode): boolean {
  return node.defaultValue !== undefined;
}

function compareProperties(context: DiffContext, original: ObjectNode, update: ObjectNode): void {
  for (const name of hashSetUnionOrder(propertyNames(original), propertyNames(update))) {
    const before = original.properties.get(name);
    const after = update.properties.get(name);
    context.at(name, () => {
      if (after === undefined) propertyRemoved(context, before!, update, name);
      else if (before === undefined) propertyAdded(context, after, original, update, name);
      else context.compare(before, after);
    });
  }
}

/** Only the update's content model matters: it must still accept the property. */
function propertyRemoved(context: DiffContext, before: SchemaNode, update: ObjectNode, name: string): void {
  if (isOpenContentModel(update)) {
    context.add("PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL");
    return;
  }
  const partial = partialContentModelSchema(update, name);
  if (partial !== undefined) {
    const trial = context.subcontext();
    trial.compare(before, partial);
    context.addAll(trial.differences);
    context.add(
      trial.isCompatible()
        ? "PROPERTY_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL"
        : "PROPERTY_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
    );
    return;
  }
  context.add(
    before.kind === "false"
      ? "PROPERTY_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL"
      : "PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL",
  );
}

/** Only the original's content model matters: what did it let through under that name? */
function propertyAdded(
  context: DiffContext,
  after: SchemaNode,
  original: ObjectNode,
  update: ObjectNode,
  name: string,
): void {
  const required = update.required.includes(name);
  if (isOpenContentModel(original)) {
    if (isEmptySchema(after)) {
      context.add("PROPERTY_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL");
      return;
    }
    if (!required) {
      context.add("OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL");
      return;
    }
    context.add(
      hasDefault(after)
        ? "REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_OPEN_CONTENT_MODEL"
        : "REQUIRED_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL",
    );
    return;
  }
  const partial = partialContentModelSchema(original, name);
  if (partial !== undefined) {
    const trial = context.subcontext();
    trial.compare(partial, after);
    context.addAll(trial.differences);
    context.add(
      trial.isCompatible()
        ? "PROPERTY_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL"
        : "PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
    );
  }
  if (!required) {
    context.add("OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL");
    return;
  }
  context.add(
    hasDefault(after)
      ? "REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_UNOPEN_CONTENT_MODEL"
      : "REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL",
  );
}

export function isOpenContentModel(node: ObjectNode): boolean {
  if (!node.permitsAdditionalProperties || node.schemaOfAdditionalProperties !== undefined) return false;
  if (node.patternProperties.length > 0) return false;
  return node.unevaluatedProperties === undefined || isEmptySchema(node.unevaluatedProperties);
}

/** The schema an undeclared property `name` must match, when the model is partially open. */
function partialContentModelSchema(node: ObjectNode, name: string): SchemaNode | undefined {
  for (const [pattern, schema] of node.patternProperties) {
    if (patternFinds(pattern, name)) return schema;
  }
  if (node.schemaOfAdditionalProperties !== undefined) return node.schemaOfAdditionalProperties;
  const uneval = node.unevaluatedProperties;
  if (
    node.permitsAdditionalProperties &&
    uneval !== undefined &&
    uneval.kind !== "false" &&
    !isEmptySchema(uneval)
  ) {
    return uneval;
  }
  return undefined;
}

/** Java's `Matcher.find`: the pattern anywhere in the name. An invalid pattern finds nothing. */
function patternFinds(pattern: string, name: string): boolean {
  try {
    return new RegExp(pattern, "u").test(name);
  } catch {
    return false;
  }
}

function compareDependencies(context: DiffContext, original: ObjectNode, update: ObjectNode): void {
  const arrays = hashSetUnionOrder(
    hashMapOrder([...original.propertyDependencies.keys()]),
    hashMapOrder([...update.propertyDependencies.keys()]),
  );
  for (const name of arrays) {
    const before = original.propertyDependencies.get(name);
    const after = update.propertyDependencies.get(name);
    if (after === undefined) context.add("DEPENDENCY_ARRAY_REMOVED", name);
    else if (before === undefined) context.add("DEPENDENCY_ARRAY_ADDED", name);
    else {
      const grew = [...before].every((p) => after.has(p));
      const shrank = [...after].every((p) => before.has(p));
      if (grew && shrank) continue;
      context.add(
        grew
          ? "DEPENDENCY_ARRAY_EXTENDED"
          : shrank
            ? "DEPENDENCY_ARRAY_NARROWED"
            : "DEPENDENCY_ARRAY_CHANGED",
        name,
      );
    }
  }
  const schemas = hashSetUnionOrder(
    hashMapOrder([...original.schemaDependencies.keys()]),
    hashMapOrder([...update.schemaDependencies.keys()]),
  );
  for (const name of schemas) {
    const before = original.schemaDependencies.get(name);
    const after = update.schemaDependencies.get(name);
    if (after === undefined) context.add("DEPENDENCY_SCHEMA_REMOVED", name);
    else if (before === undefined) context.add("DEPENDENCY_SCHEMA_ADDED", name);
    else context.at(name, () => context.compare(before, after));
  }
}

function compareAdditionalProperties(context: DiffContext, original: ObjectNode, update: ObjectNode): void {
  context.at("additionalProperties", () => {
    const before = original.schemaOfAdditionalProperties;
    const after = update.schemaOfAdditionalProperties;
    if (original.permitsAdditionalProperties !== update.permitsAdditionalProperties) {
      context.add(
        update.permitsAdditionalProperties ? "ADDITIONAL_PROPERTIES_ADDED" : "ADDITIONAL_PROPERTIES_REMOVED",
      );
    } else if (before === undefined && after !== undefined) context.add("ADDITIONAL_PROPERTIES_NARROWED");
    else if (before !== undefined && after === undefined) context.add("ADDITIONAL_PROPERTIES_EXTENDED");
    else context.compare(before, after);
  });
}

/**
 * `unevaluatedProperties`/`unevaluatedItems` (2019-09 and 2020-12): `false` closes, `true` or
 * absence leaves open, a schema constrains. ADDED means the keyword got looser, REMOVED that it
 * closed, NARROWED/EXTENDED that a schema appeared or went.
 */
export function compareUnevaluated(
  context: DiffContext,
  keyword: string,
  prefix: "UNEVALUATED_PROPERTIES" | "UNEVALUATED_ITEMS",
  before: SchemaNode | undefined,
  after: SchemaNode | undefined,
): void {
  if (before === undefined && after === undefined) return;
  context.at(keyword, () => {
    const closedBefore = before?.kind === "false";
    const closedAfter = after?.kind === "false";
    if (before === undefined) context.add(closedAfter ? `${prefix}_REMOVED` : `${prefix}_NARROWED`);
    else if (after === undefined) context.add(closedBefore ? `${prefix}_ADDED` : `${prefix}_EXTENDED`);
    else if (closedBefore && !closedAfter) context.add(`${prefix}_ADDED`);
    else if (!closedBefore && closedAfter) context.add(`${prefix}_REMOVED`);
    else if (isEmptySchema(before) && !isEmptySchema(after)) context.add(`${prefix}_NARROWED`);
    else if (!isEmptySchema(before) && isEmptySchema(after)) context.add(`${prefix}_EXTENDED`);
    else context.compare(before, after);
  });
}
