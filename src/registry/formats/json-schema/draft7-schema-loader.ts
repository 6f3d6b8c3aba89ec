import { hashSetUnionOrder } from "./java-hash-order.js";
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
  type Criterion,
  type NumberNode,
  newArrayNode,
  newObjectNode,
  type ObjectNode,
  type SchemaCommon,
  type SchemaNode,
  type StringNode,
} from "./schema-node.js";

/**
 * Drafts 4, 6 and 7 as Confluent loads them (Everit's `SchemaLoader`): a schema object becomes
 * one typed schema per family of keywords it uses, in Everit's extraction order (enum, combined
 * keywords, not, const, type, then keywords of a type not named by `type`), and several of them
 * become a synthetic `allOf`. `$ref` wins over everything beside it. A schema without
 * `$schema` is read as draft 7, as Confluent does.
 */
export type LegacyDraft = 4 | 6 | 7;

const OBJECT_KEYWORDS_V4 = [
  "properties",
  "required",
  "minProperties",
  "maxProperties",
  "dependencies",
  "patternProperties",
  "additionalProperties",
];
const OBJECT_KEYWORDS_V6 = [...OBJECT_KEYWORDS_V4, "propertyNames"];
const ARRAY_KEYWORDS_V4 = ["items", "additionalItems", "minItems", "maxItems", "uniqueItems"];
const ARRAY_KEYWORDS_V6 = [...ARRAY_KEYWORDS_V4, "contains"];
const NUMBER_KEYWORDS = ["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"];
const STRING_KEYWORDS = ["minLength", "maxLength", "pattern", "format"];
const CONDITIONAL_KEYWORDS = ["if", "then", "else"];
const COMBINED_KEYWORDS: readonly Criterion[] = ["allOf", "anyOf", "oneOf"];

export function legacyDraftLoader(draft: LegacyDraft, external: ReadonlyMap<string, JsonValue>) {
  const context: LoadingContext = {
    external,
    nodes: new Map(),
    load: (json, root) => loadLegacy(context, draft, json, root),
  };
  return context;
}

function loadLegacy(
  context: LoadingContext,
  draft: LegacyDraft,
  json: JsonValue,
  root: JsonValue,
): SchemaNode {
  if (json === true) return { kind: "true" };
  if (json === false) return { kind: "false" };
  if (!isJsonObject(json)) return { kind: "empty" };
  return loadCached(context, json, () => loadObject({ context, draft, json, root }));
}

interface Loading {
  context: LoadingContext;
  draft: LegacyDraft;
  json: JsonObject;
  root: JsonValue;
}

function child(loading: Loading, json: JsonValue): SchemaNode {
  return loading.context.load(json, loading.root);
}

function loadObject(loading: Loading): SchemaNode {
  const { json } = loading;
  const consumed = new Set<string>();
  let node: SchemaNode;
  if (typeof json["$ref"] === "string") {
    node = referenceNode(loading.context, json["$ref"], loading.root);
    consumed.add("$ref");
  } else {
    const parts = extractSchemas(loading, consumed);
    node =
      parts.length === 0
        ? { kind: "empty" }
        : parts.length === 1
          ? parts[0]!
          : { kind: "combined", criterion: "allOf", subschemas: parts, generated: false };
  }
  return withCommon(loading, node, consumed);
}

/** Everit's extractors, in their order; each consumes the keywords it reads. */
function extractSchemas(loading: Loading, consumed: Set<string>): SchemaNode[] {
  const { json, draft } = loading;
  const parts: SchemaNode[] = [];
  if (Array.isArray(json["enum"])) {
    consumed.add("enum");
    parts.push({ kind: "enum", values: json["enum"] });
  }
  const combined = COMBINED_KEYWORDS.filter((key) => Array.isArray(json[key]));
  for (const key of hashSetUnionOrder(combined) as Criterion[]) {
    consumed.add(key);
    const subschemas = (json[key] as JsonValue[]).map((sub) => child(loading, sub));
    parts.push({ kind: "combined", criterion: key, subschemas, generated: false });
  }
  if (json["not"] !== undefined) {
    consumed.add("not");
    parts.push({ kind: "not", mustNotMatch: child(loading, json["not"]) });
  }
  if (draft !== 4 && json["const"] !== undefined) {
    consumed.add("const");
    parts.push({ kind: "const", value: json["const"] });
  }
  const type = json["type"];
  if (typeof type === "string") {
    consumed.add("type");
    parts.push(schemaForType(loading, type, consumed));
  } else if (Array.isArray(type)) {
    consumed.add("type");
    const subschemas = type.map((t) => schemaForType(loading, String(t), consumed));
    parts.push({ kind: "combined", criterion: "anyOf", subschemas, generated: false });
  }
  parts.push(...sniffSchemas(loading, consumed));
  return parts;
}

function objectKeywords(draft: LegacyDraft): string[] {
  return draft === 4 ? OBJECT_KEYWORDS_V4 : OBJECT_KEYWORDS_V6;
}

function arrayKeywords(draft: LegacyDraft): string[] {
  return draft === 4 ? ARRAY_KEYWORDS_V4 : ARRAY_KEYWORDS_V6;
}

function schemaForType(loading: Loading, type: string, consumed: Set<string>): SchemaNode {
  const consume = (keys: string[]) => {
    for (const key of keys) if (key in loading.json) consumed.add(key);
  };
  switch (type) {
    case "string":
      consume(STRING_KEYWORDS);
      return stringSchema(loading.json);
    case "integer":
    case "number":
      consume(NUMBER_KEYWORDS);
      return numberSchema(loading, type === "integer");
    case "object":
      consume(objectKeywords(loading.draft));
      return objectSchema(loading);
    case "array":
      consume(arrayKeywords(loading.draft));
      return arraySchema(loading);
    case "boolean":
      return { kind: "boolean" };
    default:
      return { kind: "null" };
  }
}

/** Keywords of a type that `type` did not name still make a schema of that type. */
function sniffSchemas(loading: Loading, consumed: Set<string>): SchemaNode[] {
  const unconsumed = (keys: string[]) => keys.filter((key) => key in loading.json && !consumed.has(key));
  const parts: SchemaNode[] = [];
  const families: [string[], () => SchemaNode][] = [
    [arrayKeywords(loading.draft), () => arraySchema(loading)],
    [objectKeywords(loading.draft), () => objectSchema(loading)],
    [NUMBER_KEYWORDS, () => numberSchema(loading, false)],
    [STRING_KEYWORDS, () => stringSchema(loading.json)],
    [loading.draft === 7 ? CONDITIONAL_KEYWORDS : [], () => ({ kind: "conditional" })],
  ];
  for (const [keys, build] of families) {
    const found = unconsumed(keys);
    if (found.length === 0) continue;
    for (const key of found) consumed.add(key);
    parts.push(build());
  }
  return parts;
}

function stringSchema(json: JsonObject): StringNode {
  const node: StringNode = { kind: "string" };
  const minLength = integerOf(json["minLength"]);
  const maxLength = integerOf(json["maxLength"]);
  const pattern = stringOf(json["pattern"]);
  if (minLength !== undefined) node.minLength = minLength;
  if (maxLength !== undefined) node.maxLength = maxLength;
  if (pattern !== undefined) node.pattern = pattern;
  return node;
}

function numberSchema(loading: Loading, requiresInteger: boolean): NumberNode {
  const { json } = loading;
  const node: NumberNode = { kind: "number", requiresInteger };
  const minimum = numberOf(json["minimum"]);
  const maximum = numberOf(json["maximum"]);
  if (minimum !== undefined) node.minimum = minimum;
  if (maximum !== undefined) node.maximum = maximum;
  // Draft 4's exclusiveMinimum/Maximum are boolean flags, which Confluent's diff does not compare.
  const exclusiveMinimum = numberOf(json["exclusiveMinimum"]);
  const exclusiveMaximum = numberOf(json["exclusiveMaximum"]);
  if (exclusiveMinimum !== undefined) node.exclusiveMinimum = exclusiveMinimum;
  if (exclusiveMaximum !== undefined) node.exclusiveMaximum = exclusiveMaximum;
  if (typeof json["multipleOf"] === "number") node.multipleOf = String(json["multipleOf"]);
  return node;
}

function objectSchema(loading: Loading): ObjectNode {
  const { json } = loading;
  const node = newObjectNode();
  const minProperties = integerOf(json["minProperties"]);
  const maxProperties = integerOf(json["maxProperties"]);
  if (minProperties !== undefined) node.minProperties = minProperties;
  if (maxProperties !== undefined) node.maxProperties = maxProperties;
  const idKeyword = loading.draft === 4 ? "id" : "$id";
  for (const [name, sub] of Object.entries(isJsonObject(json["properties"]) ? json["properties"] : {})) {
    if (name !== idKeyword || isJsonObject(sub)) node.properties.set(name, child(loading, sub));
  }
  const additional = json["additionalProperties"];
  if (additional === false) node.permitsAdditionalProperties = false;
  else if (isJsonObject(additional)) node.schemaOfAdditionalProperties = child(loading, additional);
  if (Array.isArray(json["required"])) node.required = json["required"].map(String);
  for (const [pattern, sub] of Object.entries(
    isJsonObject(json["patternProperties"]) ? json["patternProperties"] : {},
  )) {
    node.patternProperties.push([pattern, child(loading, sub)]);
  }
  for (const [name, dependency] of Object.entries(
    isJsonObject(json["dependencies"]) ? json["dependencies"] : {},
  )) {
    if (Array.isArray(dependency)) node.propertyDependencies.set(name, new Set(dependency.map(String)));
    else node.schemaDependencies.set(name, child(loading, dependency));
  }
  return node;
}

function arraySchema(loading: Loading): ArrayNode {
  const { json } = loading;
  const node = newArrayNode();
  const minItems = integerOf(json["minItems"]);
  const maxItems = integerOf(json["maxItems"]);
  if (minItems !== undefined) node.minItems = minItems;
  if (maxItems !== undefined) node.maxItems = maxItems;
  node.uniqueItems = json["uniqueItems"] === true;
  const items = json["items"];
  if (Array.isArray(items)) node.itemSchemas = items.map((sub) => child(loading, sub));
  else if (items !== undefined) node.allItemSchema = child(loading, items);
  const additional = json["additionalItems"];
  if (isJsonObject(additional)) node.schemaOfAdditionalItems = child(loading, additional);
  // Everit ignores `additionalItems: false` next to a single `items` schema.
  else if (additional === false && node.allItemSchema === undefined) node.permitsAdditionalItems = false;
  return node;
}

/** id, title, description, default, and the unprocessed keywords the diff reads. */
function withCommon(loading: Loading, node: SchemaNode, consumed: ReadonlySet<string>): SchemaNode {
  const { json } = loading;
  const common: SchemaCommon = {};
  const id = stringOf(json[loading.draft === 4 ? "id" : "$id"]);
  if (id !== undefined && node.kind !== "reference") common.id = id;
  const title = stringOf(json["title"]);
  const description = stringOf(json["description"]);
  if (title !== undefined) common.title = title;
  if (description !== undefined) common.description = description;
  if (json["default"] !== undefined) common.defaultValue = json["default"];
  const unprocessed = (key: string) => (consumed.has(key) ? undefined : json[key]);
  const connectType = stringOf(unprocessed("connect.type"));
  const minContains = numberOf(unprocessed("minContains"));
  const maxContains = numberOf(unprocessed("maxContains"));
  if (connectType !== undefined) common.connectType = connectType;
  if (minContains !== undefined) common.minContains = minContains;
  if (maxContains !== undefined) common.maxContains = maxContains;
  return Object.keys(common).length === 0 ? node : Object.assign(node, common);
}
