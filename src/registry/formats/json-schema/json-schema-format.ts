import { registryErrors } from "../../registry-error.js";
import type {
  CheckRoles,
  CompatibilityIssue,
  CompatibilityPolicy,
  ParsedSchema,
  ResolvedReference,
  SchemaFormat,
} from "../schema-format.js";
import { COMPATIBLE_CHANGES_LENIENT, COMPATIBLE_CHANGES_STRICT, differenceIssue } from "./difference.js";
import type { JsonValue } from "./json-value.js";
import { diffSchemas } from "./schema-diff.js";
import type { SchemaNode } from "./schema-node.js";
import { loadSchemaTree } from "./schema-tree.js";

export type { JsonValue } from "./json-value.js";

const TYPE_NAMES = new Set(["null", "boolean", "object", "array", "number", "integer", "string"]);
const SCHEMA_MAP_KEYWORDS = ["properties", "patternProperties", "definitions", "$defs", "dependentSchemas"];
const SCHEMA_KEYWORDS = [
  "additionalProperties",
  "additionalItems",
  "items",
  "contains",
  "propertyNames",
  "not",
  "if",
  "then",
  "else",
  "unevaluatedProperties",
  "unevaluatedItems",
];
const SCHEMA_ARRAY_KEYWORDS = ["allOf", "anyOf", "oneOf", "prefixItems"];
/** Schemas nest; a hostile document is refused past this depth instead of overflowing the stack. */
const JSON_SCHEMA_DEPTH_MAX = 128;

/**
 * A JSON Schema document. Confluent stores the document as compact JSON with its key order kept
 * (so whitespace does not matter), and sorts keys only when normalizing. External `$ref`s are
 * resolved through the schema's references, keyed by the reference name (the `$ref` URL).
 */
export class JsonSchema implements ParsedSchema {
  readonly schemaType = "JSON" as const;
  readonly canonical: string;
  readonly root: JsonValue;
  readonly external: ReadonlyMap<string, JsonValue>;
  private loadedTree: SchemaNode | undefined;

  constructor(root: JsonValue, external: ReadonlyMap<string, JsonValue>) {
    this.root = root;
    this.external = external;
    this.canonical = JSON.stringify(root);
  }

  /** The typed schema tree Confluent's diff compares (loaded on first use). */
  tree(): SchemaNode {
    this.loadedTree ??= loadSchemaTree(this.root, this.external);
    return this.loadedTree;
  }

  normalized(): string {
    return JSON.stringify(sortKeys(this.root));
  }
}

function sortKeys(value: JsonValue): JsonValue {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== "object") return value;
  const keys = Object.keys(value).sort();
  return Object.fromEntries(keys.map((key) => [key, sortKeys(value[key] as JsonValue)]));
}

function invalid(message: string): never {
  throw registryErrors.invalidSchema(`Invalid schema: ${message}`);
}

/** Structural validation of the keywords the diff relies on (the rest is kept as written). */
function validate(schema: JsonValue, path: string, depth: number): void {
  if (depth > JSON_SCHEMA_DEPTH_MAX) invalid("schema nested too deeply");
  if (typeof schema === "boolean") return;
  if (schema === null || typeof schema !== "object" || Array.isArray(schema)) {
    invalid(`${path} is not a schema (an object or a boolean)`);
  }
  const type = schema["type"];
  if (type !== undefined) {
    const types = Array.isArray(type) ? type : [type];
    if (types.length === 0 || types.some((t) => typeof t !== "string" || !TYPE_NAMES.has(t))) {
      invalid(`${path}/type has an unknown type ${JSON.stringify(type)}`);
    }
  }
  const required = schema["required"];
  if (required !== undefined && (!Array.isArray(required) || required.some((r) => typeof r !== "string"))) {
    invalid(`${path}/required must be an array of strings`);
  }
  if (schema["enum"] !== undefined && !Array.isArray(schema["enum"]))
    invalid(`${path}/enum must be an array`);
  for (const key of SCHEMA_MAP_KEYWORDS) {
    const map = schema[key];
    if (map === undefined) continue;
    if (map === null || typeof map !== "object" || Array.isArray(map))
      invalid(`${path}/${key} must be an object`);
    for (const [name, sub] of Object.entries(map)) validate(sub, `${path}/${key}/${name}`, depth + 1);
  }
  for (const key of SCHEMA_KEYWORDS) {
    const sub = schema[key];
    if (sub === undefined) continue;
    if (key === "items" && Array.isArray(sub))
      sub.forEach((s, i) => {
        validate(s, `${path}/items/${i}`, depth + 1);
      });
    else validate(sub, `${path}/${key}`, depth + 1);
  }
  for (const key of SCHEMA_ARRAY_KEYWORDS) {
    const list = schema[key];
    if (list === undefined) continue;
    if (!Array.isArray(list) || list.length === 0) invalid(`${path}/${key} must be a non-empty array`);
    list.forEach((s, i) => {
      validate(s, `${path}/${key}/${i}`, depth + 1);
    });
  }
}

function parseDocument(text: string): JsonValue {
  let root: JsonValue;
  try {
    root = JSON.parse(text) as JsonValue;
  } catch (error) {
    return invalid(`not valid JSON: ${(error as Error).message}`);
  }
  validate(root, "#", 0);
  return root;
}

function collectExternal(
  references: readonly ResolvedReference[],
  into: Map<string, JsonValue>,
  depth = 0,
): void {
  if (depth > JSON_SCHEMA_DEPTH_MAX) invalid("references nested too deeply");
  for (const reference of references) {
    if (reference.schemaType !== "JSON") invalid(`reference ${reference.name} is not a JSON schema`);
    if (into.has(reference.name)) continue;
    into.set(reference.name, parseDocument(reference.schema));
    collectExternal(reference.references, into, depth + 1);
  }
}

/** Every `$ref` must point inside the document or at a reference. */
function checkRefs(value: JsonValue, external: ReadonlyMap<string, JsonValue>, depth = 0): void {
  if (depth > JSON_SCHEMA_DEPTH_MAX || value === null || typeof value !== "object") return;
  if (Array.isArray(value)) {
    for (const item of value) checkRefs(item, external, depth + 1);
    return;
  }
  const ref = value["$ref"];
  if (typeof ref === "string" && !ref.startsWith("#")) {
    const target = ref.split("#")[0] ?? "";
    if (!external.has(target)) invalid(`$ref ${ref} is neither local nor a schema reference`);
  }
  for (const sub of Object.values(value)) checkRefs(sub, external, depth + 1);
}

export const jsonSchemaFormat: SchemaFormat = {
  schemaType: "JSON",

  parse(text: string, references: readonly ResolvedReference[]): JsonSchema {
    const root = parseDocument(text);
    const external = new Map<string, JsonValue>();
    collectExternal(references, external);
    checkRefs(root, external);
    return new JsonSchema(root, external);
  },

  check(
    reader: ParsedSchema,
    writer: ParsedSchema,
    roles: CheckRoles,
    policy: CompatibilityPolicy = "STRICT",
  ): CompatibilityIssue[] {
    if (!(reader instanceof JsonSchema) || !(writer instanceof JsonSchema)) {
      return [{ errorType: "TYPE_CHANGED", description: "Incompatible because of different schema type" }];
    }
    const compatibleChanges = policy === "LENIENT" ? COMPATIBLE_CHANGES_LENIENT : COMPATIBLE_CHANGES_STRICT;
    // The writer's schema is the original, the reader's the update (Confluent's isBackwardCompatible).
    return diffSchemas(writer.tree(), reader.tree())
      .filter((difference) => !compatibleChanges.has(difference.type))
      .map((difference) => differenceIssue(difference, roles));
  },
};
