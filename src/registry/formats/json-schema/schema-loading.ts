import { isJsonObject, type JsonObject, type JsonValue } from "./json-value.js";
import type { ReferenceNode, SchemaNode } from "./schema-node.js";

/**
 * What the loaders of every draft share: the documents a `$ref` can reach, the cache that gives
 * one node per schema object (so `$ref`s to one definition meet the same node), and `$ref`
 * resolution. Refs are lazy: a recursive schema loads without recursing forever.
 */
export interface LoadingContext {
  readonly external: ReadonlyMap<string, JsonValue>;
  readonly nodes: Map<JsonObject, SchemaNode>;
  /** Loads one subschema of the document `root`. */
  load(json: JsonValue, root: JsonValue): SchemaNode;
}

/** `$ref`s that chain to `$ref`s longer than this resolve to an empty schema. */
const REF_HOPS_MAX = 32;

export function loadCached(context: LoadingContext, json: JsonObject, build: () => SchemaNode): SchemaNode {
  const cached = context.nodes.get(json);
  if (cached) return cached;
  const node = build();
  context.nodes.set(json, node);
  return node;
}

export function referenceNode(context: LoadingContext, ref: string, root: JsonValue): ReferenceNode {
  let target: SchemaNode | undefined;
  return {
    kind: "reference",
    ref,
    target: () => {
      if (target === undefined) {
        const found = resolveRef(context, ref, root);
        target = found === undefined ? { kind: "empty" } : context.load(found.json, found.root);
      }
      return target;
    },
  };
}

function resolveRef(
  context: LoadingContext,
  ref: string,
  root: JsonValue,
): { json: JsonValue; root: JsonValue } | undefined {
  const hash = ref.indexOf("#");
  const base = hash < 0 ? ref : ref.slice(0, hash);
  const pointer = hash < 0 ? "" : ref.slice(hash + 1);
  let document = root;
  if (base !== "") {
    const external = context.external.get(base);
    if (external === undefined) return undefined;
    document = external;
  }
  const json = followPointer(document, pointer);
  return json === undefined ? undefined : { json, root: document };
}

/**
 * A JSON pointer into a document. Confluent copies top-level `definitions` into `$defs` before
 * loading, so `#/$defs/x` also finds `definitions/x`.
 */
function followPointer(document: JsonValue, pointer: string): JsonValue | undefined {
  const parts = pointer
    .split("/")
    .filter((part) => part !== "")
    .map((raw) => decodeURIComponent(raw).replace(/~1/g, "/").replace(/~0/g, "~"));
  let node: JsonValue | undefined = document;
  parts.forEach((key, i) => {
    if (Array.isArray(node)) node = node[Number(key)];
    else if (!isJsonObject(node)) node = undefined;
    else if (i === 0 && key === "$defs") node = mergedDefinitions(node);
    else node = node[key];
  });
  return node;
}

function mergedDefinitions(document: JsonObject): JsonObject {
  const definitions = isJsonObject(document["definitions"]) ? document["definitions"] : {};
  const defs = isJsonObject(document["$defs"]) ? document["$defs"] : {};
  return { ...definitions, ...defs };
}

/** Follows a reference (and references to references) to the schema the diff compares. */
export function dereference(node: SchemaNode): SchemaNode {
  let current = node;
  for (let hops = 0; current.kind === "reference" && hops < REF_HOPS_MAX; hops++) current = current.target();
  return current.kind === "reference" ? { kind: "empty" } : current;
}

/** Integer keyword values (sizes and counts) as Everit reads them. */
export function integerOf(value: JsonValue | undefined): number | undefined {
  return typeof value === "number" ? Math.trunc(value) : undefined;
}

export function numberOf(value: JsonValue | undefined): number | undefined {
  return typeof value === "number" ? value : undefined;
}

export function stringOf(value: JsonValue | undefined): string | undefined {
  return typeof value === "string" ? value : undefined;
}
