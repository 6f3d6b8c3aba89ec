import { compareArraySchemas } from "./array-schema-diff.js";
import { compareCombinedSchemas } from "./combined-schema-diff.js";
import {
  DiffContext,
  incompatiblePairs,
  type PairMap,
  pairCount,
  type SharedDiffState,
} from "./diff-context.js";
import { COMPATIBLE_CHANGES_STRICT, type Difference, type DifferenceType } from "./difference.js";
import { canonicalJson } from "./json-value.js";
import { compareObjectSchemas } from "./object-schema-diff.js";
import {
  compareConstSchemas,
  compareEnumSchemas,
  compareNotSchemas,
  compareNumberSchemas,
  compareStringSchemas,
} from "./scalar-schema-diff.js";
import { dereference } from "./schema-loading.js";
import { isEmptySchema, type SchemaNode, sameSchemaType } from "./schema-node.js";

/**
 * Confluent's JSON Schema diff (`SchemaDiff.compare`): the differences between an original schema
 * and its update, each with the path where it was found. The update is compatible (BACKWARD: it
 * reads what the original wrote) when every difference is in the compatible set.
 *
 * Recursive schemas: a pair met again while it is being compared is assumed compatible. Memoized
 * results may rest on that assumption, so the diff runs again with the pairs found incompatible
 * fed back until that set stops growing (a pass without any assumption is exact at once).
 */
export function diffSchemas(
  original: SchemaNode,
  update: SchemaNode,
  compatible: ReadonlySet<DifferenceType> = COMPATIBLE_CHANGES_STRICT,
): Difference[] {
  let seed: PairMap = new Map();
  for (;;) {
    const shared: SharedDiffState = {
      memo: new Map(),
      inProgress: new Map(),
      incompatibleSeed: seed,
      optimistic: false,
      compareSchemas,
    };
    const context = new DiffContext(compatible, shared);
    compareSchemas(context, original, update);
    const incompatible = incompatiblePairs(shared, compatible);
    if (!shared.optimistic || pairCount(incompatible) === pairCount(seed)) return context.differences;
    seed = incompatible;
  }
}

/** Compares two (possibly absent) schemas at the context's path. */
export function compareSchemas(
  context: DiffContext,
  original: SchemaNode | undefined,
  update: SchemaNode | undefined,
): void {
  if (original === undefined && update === undefined) return;
  if (original === undefined) {
    context.add("SCHEMA_ADDED");
    return;
  }
  if (update === undefined) {
    context.add("SCHEMA_REMOVED");
    return;
  }
  const o = dereference(original);
  const u = dereference(update);
  context.addRebased(context.compareMemoized(o, u, (pair) => compareTypes(pair, o, u)));
}

/** Keeps a trial comparison's findings when it is compatible. */
function tryCompatible(
  context: DiffContext,
  original: SchemaNode,
  update: SchemaNode,
): readonly Difference[] | undefined {
  const trial = context.subcontext();
  compareSchemas(trial, original, update);
  return trial.isCompatible() ? trial.differences : undefined;
}

/** A schema becoming a union that contains it, or an intersection losing all but one part. */
function compareAcrossCombination(context: DiffContext, original: SchemaNode, update: SchemaNode): boolean {
  if (original.kind !== "combined" && update.kind === "combined") {
    const single = update.subschemas.length === 1;
    if (!single && update.criterion === "allOf") return false;
    for (const subschema of update.subschemas) {
      const found = tryCompatible(context, original, subschema);
      if (found) {
        context.addAll(found);
        if (!single) context.add("SUM_TYPE_EXTENDED");
        return true;
      }
      if (single) return false;
    }
  } else if (original.kind === "combined" && update.kind !== "combined") {
    const single = original.subschemas.length === 1;
    if (!single && original.criterion !== "allOf") return false;
    for (const subschema of original.subschemas) {
      const found = tryCompatible(context, subschema, update);
      if (found) {
        context.addAll(found);
        if (!single) context.add("PRODUCT_TYPE_NARROWED");
        return true;
      }
      if (single) return false;
    }
  }
  return false;
}

function compareTypes(context: DiffContext, original: SchemaNode, update: SchemaNode): void {
  if (compareAcrossCombination(context, original, update)) return;
  if (!sameSchemaType(original, update)) {
    if (original.kind === "false" || isEmptySchema(update)) return;
    // Kafka Connect's decimals moved between string and number: both `connect.type: bytes`.
    if (original.connectType === "bytes" && update.connectType === "bytes") return;
    context.add("TYPE_CHANGED");
    return;
  }
  if (original.id !== update.id) context.add("ID_CHANGED");
  if (original.title !== update.title) context.add("TITLE_CHANGED");
  if (original.description !== update.description) context.add("DESCRIPTION_CHANGED");
  if (canonicalJson(original.defaultValue) !== canonicalJson(update.defaultValue))
    context.add("DEFAULT_CHANGED");
  compareSameType(context, original, update);
}

function compareSameType(context: DiffContext, original: SchemaNode, update: SchemaNode): void {
  switch (original.kind) {
    case "string": {
      compareStringSchemas(context, original, update as typeof original);
      return;
    }
    case "number": {
      compareNumberSchemas(context, original, update as typeof original);
      return;
    }
    case "const": {
      compareConstSchemas(context, original, update as typeof original);
      return;
    }
    case "enum": {
      compareEnumSchemas(context, original, update as typeof original);
      return;
    }
    case "combined": {
      compareCombinedSchemas(context, original, update as typeof original);
      return;
    }
    case "not": {
      compareNotSchemas(context, original, update as typeof original);
      return;
    }
    case "object": {
      compareObjectSchemas(context, original, update as typeof original);
      return;
    }
    case "array": {
      compareArraySchemas(context, original, update as typeof original);
      return;
    }
    default:
      return;
  }
}
