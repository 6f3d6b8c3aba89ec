import type { JsonValue } from "./json-value.js";

/**
 * The typed schema tree Confluent's JSON Schema diff walks. Confluent does not diff the JSON text:
 * it loads each document into the Everit library's schema classes (drafts 4, 6 and 7 through
 * Everit's loader, 2019-09 and 2020-12 through json-sKema and a translation into the same
 * classes) and compares those. A `SchemaNode` is one such object: its `kind` is the Everit class,
 * and only the attributes the diff reads are kept. Two nodes are "of the same type" when their
 * kinds are equal, or when both are combined (`allOf`/`anyOf`/`oneOf`).
 *
 * Nodes are built once per document and never mutated after loading; the diff keys its memo on
 * node identity, so a `$ref` to one definition always yields the same node.
 */
export type SchemaNode =
  | EmptyNode
  | TrueNode
  | FalseNode
  | StringNode
  | NumberNode
  | BooleanNode
  | NullNode
  | ObjectNode
  | ArrayNode
  | CombinedNode
  | NotNode
  | ConstNode
  | EnumNode
  | ReferenceNode
  | ConditionalNode;

/** Attributes every schema carries, plus the unprocessed keywords the diff looks at. */
export interface SchemaCommon {
  id?: string;
  title?: string;
  description?: string;
  /** Present when the schema has a `default` (even `null`). */
  defaultValue?: JsonValue;
  /** `connect.type` (Kafka Connect's JSON converter): two `bytes` schemas of any kinds are equal. */
  connectType?: string;
  /** `minContains`/`maxContains`: read from the array schema they sit on. */
  minContains?: number;
  maxContains?: number;
}

/** `{}` (no keyword that constrains). `true` is a `TrueNode`, a distinct class with the same meaning. */
export interface EmptyNode extends SchemaCommon {
  kind: "empty";
}
export interface TrueNode extends SchemaCommon {
  kind: "true";
}
export interface FalseNode extends SchemaCommon {
  kind: "false";
}
export interface BooleanNode extends SchemaCommon {
  kind: "boolean";
}
export interface NullNode extends SchemaCommon {
  kind: "null";
}

export interface StringNode extends SchemaCommon {
  kind: "string";
  minLength?: number;
  maxLength?: number;
  pattern?: string;
}

export interface NumberNode extends SchemaCommon {
  kind: "number";
  /** `type: integer`. */
  requiresInteger: boolean;
  minimum?: number;
  maximum?: number;
  /** Draft 6+ numeric limits; draft 4's boolean flags are not compared by Confluent. */
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  /** Kept as written (decimal text), for exact divisibility. */
  multipleOf?: string;
}

export interface ObjectNode extends SchemaCommon {
  kind: "object";
  /** In insertion order; the diff visits keys in Java's hash order (see `java-hash-order.ts`). */
  properties: Map<string, SchemaNode>;
  required: string[];
  /** False only for `additionalProperties: false`. */
  permitsAdditionalProperties: boolean;
  schemaOfAdditionalProperties?: SchemaNode;
  patternProperties: [string, SchemaNode][];
  minProperties?: number;
  maxProperties?: number;
  propertyDependencies: Map<string, Set<string>>;
  schemaDependencies: Map<string, SchemaNode>;
  /** 2019-09 and 2020-12 only: Confluent's draft 7 loader leaves it unread. */
  unevaluatedProperties?: SchemaNode;
}

export interface ArrayNode extends SchemaCommon {
  kind: "array";
  /** `items` as one schema (list validation). */
  allItemSchema?: SchemaNode;
  /** `items` as a list (draft 7) or `prefixItems` (2020-12): tuple validation. */
  itemSchemas?: SchemaNode[];
  /** Everit's rule: false only for `additionalItems: false` without a single `items` schema. */
  permitsAdditionalItems: boolean;
  schemaOfAdditionalItems?: SchemaNode;
  minItems?: number;
  maxItems?: number;
  uniqueItems: boolean;
  /** 2019-09 and 2020-12 only. */
  unevaluatedItems?: SchemaNode;
}

export type Criterion = "allOf" | "anyOf" | "oneOf";

export interface CombinedNode extends SchemaCommon {
  kind: "combined";
  criterion: Criterion;
  subschemas: SchemaNode[];
  /** Made by the 2020-12 translation (several keywords, or a `type` list), not written by the user. */
  generated: boolean;
}

export interface NotNode extends SchemaCommon {
  kind: "not";
  mustNotMatch: SchemaNode;
}

export interface ConstNode extends SchemaCommon {
  kind: "const";
  value: JsonValue;
}

export interface EnumNode extends SchemaCommon {
  kind: "enum";
  values: JsonValue[];
}

/** A `$ref`; `target()` loads (once) the schema it names. The diff compares that schema. */
export interface ReferenceNode extends SchemaCommon {
  kind: "reference";
  ref: string;
  target: () => SchemaNode;
}

/** `if`/`then`/`else`: Confluent's diff never looks inside. */
export interface ConditionalNode extends SchemaCommon {
  kind: "conditional";
}

export function isEmptySchema(node: SchemaNode): boolean {
  return node.kind === "empty" || node.kind === "true";
}

/** Everit's class comparison: same class, or both combined. */
export function sameSchemaType(a: SchemaNode, b: SchemaNode): boolean {
  return a.kind === b.kind;
}

export function newObjectNode(): ObjectNode {
  return {
    kind: "object",
    properties: new Map(),
    required: [],
    permitsAdditionalProperties: true,
    patternProperties: [],
    propertyDependencies: new Map(),
    schemaDependencies: new Map(),
  };
}

export function newArrayNode(): ArrayNode {
  return { kind: "array", permitsAdditionalItems: true, uniqueItems: false };
}

/**
 * A structural key: equal for schemas Confluent treats as duplicates in a combined schema
 * (it collapses subschemas whose rendered JSON is equal). References are keyed by their `$ref`.
 */
export function schemaKey(node: SchemaNode): string {
  return JSON.stringify(node, (_key, value: unknown) => {
    if (value instanceof Map) return [...value.entries()];
    if (value instanceof Set) return [...value];
    if (typeof value === "function") return undefined;
    return value;
  });
}
