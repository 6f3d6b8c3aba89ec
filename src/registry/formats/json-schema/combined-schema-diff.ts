import type { DiffContext } from "./diff-context.js";
import type { Difference } from "./difference.js";
import { maximumMatching } from "./maximum-matching.js";
import { type CombinedNode, type SchemaNode, schemaKey } from "./schema-node.js";

/**
 * Confluent's rules for two combined schemas (`CombinedSchemaDiff`). The criterion may change
 * towards looser ones (to `anyOf` from anything; between singletons; a singleton to `oneOf`; to a
 * singleton from `allOf`): COMBINED_TYPE_EXTENDED; any other change is COMBINED_TYPE_CHANGED and
 * ends the comparison. Then subschemas (duplicates collapsed) are matched one to one, a pair
 * matching when the original subschema's documents are compatible with the update's: a maximum
 * matching must cover the smaller side, or COMBINED_TYPE_SUBSCHEMAS_CHANGED. More subschemas is
 * SUM_TYPE_EXTENDED (PRODUCT_TYPE_EXTENDED for `allOf`), fewer SUM_TYPE_NARROWED (PRODUCT_TYPE_NARROWED
 * for `allOf`). Paths name the original subschema's position.
 */
export function compareCombinedSchemas(
  context: DiffContext,
  original: CombinedNode,
  update: CombinedNode,
): void {
  if (!compareCriteria(context, original, update)) return;
  const originals = distinct(original.subschemas);
  const updates = distinct(update.subschemas);
  if (originals.length < updates.length) {
    context.add(update.criterion === "allOf" ? "PRODUCT_TYPE_EXTENDED" : "SUM_TYPE_EXTENDED");
  } else if (originals.length > updates.length) {
    context.add(original.criterion === "allOf" ? "PRODUCT_TYPE_NARROWED" : "SUM_TYPE_NARROWED");
  }
  const edges = new Map<string, readonly Difference[]>();
  originals.forEach((o, i) => {
    context.at(`${original.criterion}/${i}`, () => {
      updates.forEach((u, j) => {
        const trial = context.subcontext();
        trial.compare(o, u);
        if (trial.isCompatible()) edges.set(`${i}:${j}`, trial.differences);
      });
    });
  });
  const matching = maximumMatching(originals.length, updates.length, (i, j) => edges.has(`${i}:${j}`));
  for (const [i, j] of matching) context.addAll(edges.get(`${i}:${j}`)!);
  if (matching.length < Math.min(originals.length, updates.length))
    context.add("COMBINED_TYPE_SUBSCHEMAS_CHANGED");
}

/** Answers false when the criterion changed incompatibly (and nothing more is compared). */
function compareCriteria(context: DiffContext, original: CombinedNode, update: CombinedNode): boolean {
  if (original.criterion === update.criterion) return true;
  const singleOriginal = original.subschemas.length === 1;
  const singleUpdate = update.subschemas.length === 1;
  const extended =
    update.criterion === "anyOf" ||
    (singleOriginal && singleUpdate) ||
    (singleOriginal && update.criterion === "oneOf") ||
    (singleUpdate && original.criterion === "allOf");
  context.add(extended ? "COMBINED_TYPE_EXTENDED" : "COMBINED_TYPE_CHANGED");
  return extended;
}

/** Subschemas with structural duplicates removed, first occurrence kept. */
function distinct(subschemas: readonly SchemaNode[]): SchemaNode[] {
  const seen = new Set<string>();
  return subschemas.filter((node) => {
    const key = schemaKey(node);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
