import { isJsonObject, type JsonObject, type JsonValue } from "./json-value.js";
import {
  integerOf,
  type LoadingContext,
  loadCached,
  numberOf,
  referenceNode,
  stringOf,
} from "./schema-loading.js";
import {
  type ArrayNode,
  type CombinedNode,
  type Criterion,
  type NumberNode,
  newArrayNode,
  newObjectNode,
  type SchemaCommon,
  type SchemaNode,
  type StringNode,
} from "./schema-node.js";

/**
 * Drafts 2019-09 and 2020-12 as Confluent loads them: json-sKema reads one validator per keyword,
 * and Confluent's translation folds them, in the document's keyword order, into Everit's classes:
 * keywords of one type merge into one schema of that type (`type: string` and `maxLength` make one
 * string schema), a `type` list becomes a generated `anyOf` that absorbs its types' keywords, and
 * anything else becomes a generated `allOf`. Keywords that make nothing (`properties: {}`,
 * `items: true` aside, annotations) leave no trace, so `{"properties": {}}` is the empty schema.
 * `$id` is not carried over (Confluent's 2020-12 cases show no ID_CHANGED).
 */

const MERGEABLE = new Set(["array", "number", "object", "string"]);
const COMBINED_KEYWORDS = new Set(["allOf", "anyOf", "oneOf"]);
/** Keywords that make no schema of their own (annotations, or read through a sibling). */
const SILENT_KEYWORDS = new Set([
  "$schema",
  "$id",
  "$anchor",
  "$dynamicAnchor",
  "$recursiveAnchor",
  "$vocabulary",
  "$comment",
  "$defs",
  "title",
  "description",
  "default",
  "examples",
  "deprecated",
  "readOnly",
  "writeOnly",
  "format",
  "contentEncoding",
  "contentMediaType",
  "contentSchema",
  "minContains",
  "maxContains",
  "then",
  "else",
]);

export function modernDraftLoader(external: ReadonlyMap<string, JsonValue>): LoadingContext {
  const context: LoadingContext = {
    external,
    nodes: new Map(),
    load: (json, root) => loadModern(context, json, root),
  };
  return context;
}

function loadModern(context: LoadingContext, json: JsonValue, root: JsonValue): SchemaNode {
  if (json === true) return { kind: "true" };
  if (json === false) return { kind: "false" };
  if (!isJsonObject(json)) return { kind: "empty" };
  return loadCached(context, json, () => loadComposite({ context, json, root }));
}

interface Loading {
  context: LoadingContext;
  json: JsonObject;
  root: JsonValue;
}

type Parent = Criterion | "composite";

function loadComposite(loading: Loading): SchemaNode {
  let folded: SchemaNode | undefined;
  const unknown: string[] = [];
  for (const keyword of Object.keys(loading.json)) {
    const part = keywordSchema(loading, keyword);
    if (part === null) unknown.push(keyword);
    else if (part !== undefined) folded = folded === undefined ? part : join("composite", folded, part);
  }
  let node: SchemaNode = folded ?? { kind: "empty" };
  if (node.kind === "combined" && node.generated && node.criterion === "allOf") {
    if (node.subschemas.length === 0) node = { kind: "empty" };
    else if (node.subschemas.length === 1) node = { ...node.subschemas[0]! };
  }
  return withCommon(loading.json, node, unknown);
}

/** The schema one keyword makes; `undefined` when it makes none, `null` when it is unknown. */
function keywordSchema(loading: Loading, keyword: string): SchemaNode | undefined | null {
  const value = loading.json[keyword] as JsonValue;
  const sub = (json: JsonValue) => loading.context.load(json, loading.root);
  if (SILENT_KEYWORDS.has(keyword)) return undefined;
  if (COMBINED_KEYWORDS.has(keyword) && Array.isArray(value)) {
    const criterion = keyword as Criterion;
    let node: SchemaNode = { kind: "combined", criterion, subschemas: [], generated: false };
    for (const json of value) node = join(criterion, node, sub(json));
    return node;
  }
  switch (keyword) {
    case "$ref":
    case "$dynamicRef":
    case "$recursiveRef":
      return typeof value === "string" ? referenceNode(loading.context, value, loading.root) : undefined;
    case "type":
      return typeSchema(value);
    case "enum":
      return Array.isArray(value) ? { kind: "enum", values: value } : undefined;
    case "const":
      return { kind: "const", value };
    case "not":
      return { kind: "not", mustNotMatch: sub(value) };
    case "if":
      return { kind: "conditional" };
    case "minLength":
    case "maxLength":
    case "pattern":
      return stringKeyword(keyword, value);
    case "minimum":
    case "maximum":
    case "exclusiveMinimum":
    case "exclusiveMaximum":
    case "multipleOf":
      return numberKeyword(keyword, value);
  }
  const object = objectKeyword(keyword, value, sub);
  if (object !== null) return object;
  return arrayKeyword(loading, keyword, value, sub);
}

function typeSchema(value: JsonValue): SchemaNode | undefined {
  if (typeof value === "string") return schemaForType(value);
  if (!Array.isArray(value)) return undefined;
  return {
    kind: "combined",
    criterion: "anyOf",
    subschemas: value.map(String).map(schemaForType),
    generated: true,
  };
}

function schemaForType(type: string): SchemaNode {
  switch (type) {
    case "string":
      return { kind: "string" };
    case "integer":
    case "number":
      return { kind: "number", requiresInteger: type === "integer" };
    case "object":
      return newObjectNode();
    case "array":
      return newArrayNode();
    case "boolean":
      return { kind: "boolean" };
    default:
      return { kind: "null" };
  }
}

function stringKeyword(keyword: string, value: JsonValue): StringNode {
  const node: StringNode = { kind: "string" };
  if (keyword === "pattern" && typeof value === "string") node.pattern = value;
  const size = integerOf(value);
  if (keyword === "minLength" && size !== undefined) node.minLength = size;
  if (keyword === "maxLength" && size !== undefined) node.maxLength = size;
  return node;
}

function numberKeyword(keyword: string, value: JsonValue): NumberNode {
  const node: NumberNode = { kind: "number", requiresInteger: false };
  const limit = numberOf(value);
  if (limit === undefined) return node;
  if (keyword === "multipleOf") node.multipleOf = String(limit);
  else node[keyword as "minimum" | "maximum" | "exclusiveMinimum" | "exclusiveMaximum"] = limit;
  return node;
}

/** Object keywords; `null` when `keyword` is not one. */
function objectKeyword(
  keyword: string,
  value: JsonValue,
  sub: (json: JsonValue) => SchemaNode,
): SchemaNode | undefined | null {
  const node = newObjectNode();
  const entries = isJsonObject(value) ? Object.entries(value) : [];
  switch (keyword) {
    case "properties":
      if (entries.length === 0) return undefined;
      for (const [name, json] of entries) node.properties.set(name, sub(json));
      return node;
    case "patternProperties":
      if (entries.length === 0) return undefined;
      for (const [pattern, json] of entries) node.patternProperties.push([pattern, sub(json)]);
      return node;
    case "additionalProperties":
      if (value === false) node.permitsAdditionalProperties = false;
      else if (value !== true) {
        const schema = sub(value);
        if (schema.kind === "false") node.permitsAdditionalProperties = false;
        else if (schema.kind !== "true") node.schemaOfAdditionalProperties = schema;
      }
      return node;
    case "required":
      node.required = Array.isArray(value) ? value.map(String) : [];
      return node;
    case "minProperties":
    case "maxProperties": {
      const size = integerOf(value);
      if (size !== undefined) node[keyword] = size;
      return node;
    }
    case "dependentRequired":
      for (const [name, list] of entries) {
        if (Array.isArray(list) && list.length > 0)
          node.propertyDependencies.set(name, new Set(list.map(String)));
      }
      return node;
    case "dependentSchemas":
      for (const [name, json] of entries) node.schemaDependencies.set(name, sub(json));
      return node;
    case "propertyNames":
      return node;
    case "unevaluatedProperties":
      node.unevaluatedProperties = sub(value);
      return node;
    default:
      return null;
  }
}

/** Array keywords; `null` when `keyword` is not one (an unknown keyword). */
function arrayKeyword(
  loading: Loading,
  keyword: string,
  value: JsonValue,
  sub: (json: JsonValue) => SchemaNode,
): SchemaNode | undefined | null {
  const node = newArrayNode();
  const tuple = Array.isArray(loading.json["prefixItems"]) || Array.isArray(loading.json["items"]);
  switch (keyword) {
    case "prefixItems":
      node.itemSchemas = Array.isArray(value) ? value.map(sub) : [];
      return node;
    case "items":
      if (Array.isArray(value)) {
        // 2019-09's tuple form: read as prefixItems (json-sKema's exact handling not traced).
        node.itemSchemas = value.map(sub);
        return node;
      }
      return itemsSchema(node, sub(value), tuple);
    case "additionalItems":
      return Array.isArray(loading.json["items"]) ? itemsSchema(node, sub(value), true) : undefined;
    case "contains":
      node.minContains = numberOf(loading.json["minContains"]) ?? 1;
      if (typeof loading.json["maxContains"] === "number") node.maxContains = loading.json["maxContains"];
      return node;
    case "minItems":
    case "maxItems": {
      const size = integerOf(value);
      if (size !== undefined) node[keyword] = size;
      return node;
    }
    case "uniqueItems":
      node.uniqueItems = value === true;
      return node;
    case "unevaluatedItems":
      node.unevaluatedItems = sub(value);
      return node;
    default:
      return null;
  }
}

/** `items` after `prefixItems` is the additional-items schema; `items` alone is every item's. */
function itemsSchema(node: ArrayNode, schema: SchemaNode, afterPrefix: boolean): ArrayNode {
  if (schema.kind === "false") node.permitsAdditionalItems = false;
  else if (schema.kind !== "true") {
    if (afterPrefix) node.schemaOfAdditionalItems = schema;
    else node.allItemSchema = schema;
  }
  return node;
}

/** Folds the schema of one more keyword (or subschema) into what the earlier ones made. */
function join(parent: Parent, folded: SchemaNode, current: SchemaNode): SchemaNode {
  if (folded.kind === current.kind && MERGEABLE.has(folded.kind)) return merge(folded, current);
  if (isGeneratedAnyOf(folded) && folded.subschemas.some((s) => s.kind === current.kind)) {
    return { ...folded, subschemas: accumulate([...folded.subschemas], current) };
  }
  if (isGeneratedAnyOf(current) && current.subschemas.some((s) => s.kind === folded.kind)) {
    return { ...current, subschemas: accumulate([...current.subschemas], folded) };
  }
  if (parent !== "composite" && folded.kind === "combined") {
    return {
      kind: "combined",
      criterion: parent,
      subschemas: [...folded.subschemas, ...flatten(current)],
      generated: false,
    };
  }
  let subschemas: SchemaNode[] = [];
  for (const node of [...flatten(folded), ...flatten(current)]) subschemas = accumulate(subschemas, node);
  return { kind: "combined", criterion: "allOf", subschemas, generated: true };
}

function isGeneratedAnyOf(node: SchemaNode): node is CombinedNode {
  return node.kind === "combined" && node.generated && node.criterion === "anyOf";
}

function flatten(node: SchemaNode): SchemaNode[] {
  return node.kind === "combined" && node.generated && node.criterion === "allOf" ? node.subschemas : [node];
}

/** Merges `current` into the first schema of its type in `list`, or appends it. */
function accumulate(list: SchemaNode[], current: SchemaNode): SchemaNode[] {
  const index = list.findIndex((node) => node.kind === current.kind && MERGEABLE.has(node.kind));
  if (index < 0) list.push(current);
  else list[index] = merge(list[index]!, current);
  return list;
}

/** Two schemas of one mergeable type: `current`'s keywords are added to (or replace) `folded`'s. */
function merge(folded: SchemaNode, current: SchemaNode): SchemaNode {
  if (folded.kind === "object" && current.kind === "object") {
    return {
      ...folded,
      ...current,
      properties: new Map([...folded.properties, ...current.properties]),
      required: [...folded.required, ...current.required],
      permitsAdditionalProperties: folded.permitsAdditionalProperties && current.permitsAdditionalProperties,
      patternProperties: [...folded.patternProperties, ...current.patternProperties],
      propertyDependencies: new Map([...folded.propertyDependencies, ...current.propertyDependencies]),
      schemaDependencies: new Map([...folded.schemaDependencies, ...current.schemaDependencies]),
    };
  }
  if (folded.kind === "array" && current.kind === "array") {
    const merged: ArrayNode = {
      ...folded,
      ...current,
      permitsAdditionalItems: folded.permitsAdditionalItems && current.permitsAdditionalItems,
      uniqueItems: folded.uniqueItems || current.uniqueItems,
    };
    if (folded.itemSchemas || current.itemSchemas) {
      merged.itemSchemas = [...(folded.itemSchemas ?? []), ...(current.itemSchemas ?? [])];
    }
    return merged;
  }
  if (folded.kind === "number" && current.kind === "number") {
    return { ...folded, ...current, requiresInteger: folded.requiresInteger || current.requiresInteger };
  }
  return { ...folded, ...current };
}

function withCommon(json: JsonObject, node: SchemaNode, unknown: readonly string[]): SchemaNode {
  const common: SchemaCommon = {};
  const title = stringOf(json["title"]);
  const description = stringOf(json["description"]);
  if (title !== undefined) common.title = title;
  if (description !== undefined) common.description = description;
  if (json["default"] !== undefined) common.defaultValue = json["default"];
  if (unknown.includes("connect.type") && typeof json["connect.type"] === "string") {
    common.connectType = json["connect.type"];
  }
  return Object.keys(common).length === 0 ? node : { ...node, ...common };
}
