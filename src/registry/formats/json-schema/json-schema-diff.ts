import type { CheckRoles, CompatibilityIssue } from "../schema-format.js";
import type { JsonSchema, JsonValue } from "./json-schema-format.js";

/**
 * JSON Schema compatibility in the manner of Confluent's structural diff: walk the `original`
 * schema (the writer's, whose documents exist) and the `update` (the reader's, which must accept
 * them) side by side and report each change that makes the update reject something the original
 * accepted. Compatible changes (loosened bounds, removed constraints, extended types and enums,
 * properties removed from an open model, properties added to a closed model, ...) are silent.
 *
 * Content models: an object schema is open when `additionalProperties` is absent or true (any
 * undeclared property may appear, with any value), closed when it is false, and partially open
 * when it is a schema or `patternProperties` are present (undeclared properties must match it).
 * So a property added to an open original is only compatible when its schema accepts anything,
 * and a property removed into a closed update is incompatible. Missing subschemas count as `true`.
 */

type Obj = { [key: string]: JsonValue };
type Schema = JsonValue;

interface Side {
  doc: JsonSchema;
  root: JsonValue;
}

interface Walk {
  issues: CompatibilityIssue[];
  roles: CheckRoles;
  /** Pairs being compared up the stack: recursive `$ref`s are assumed compatible there. */
  inProgress: Map<object, Set<object>>;
  depth: number;
}

/** Bounds a hostile or pathological pair of schemas; deeper levels are not compared. */
const JSON_DIFF_DEPTH_MAX = 64;
/** `$ref` chains longer than this are treated as unresolvable. */
const REF_HOPS_MAX = 32;
const ANNOTATIONS = new Set([
  "$schema",
  "$id",
  "id",
  "title",
  "description",
  "default",
  "examples",
  "$comment",
  "definitions",
  "$defs",
]);

export function diffJsonSchemas(
  original: JsonSchema,
  update: JsonSchema,
  roles: CheckRoles,
): CompatibilityIssue[] {
  const walk: Walk = { issues: [], roles, inProgress: new Map(), depth: 0 };
  compare(
    walk,
    "#",
    { doc: original, root: original.root },
    original.root,
    { doc: update, root: update.root },
    update.root,
  );
  return walk.issues;
}

function report(walk: Walk, errorType: string, path: string, detail: string): void {
  const { reader, writer } = walk.roles;
  walk.issues.push({
    errorType,
    description: `Found incompatible change at path '${path}' of the ${reader} schema compared with the ${writer} schema: ${detail}`,
  });
}

function isObject(value: JsonValue | undefined): value is Obj {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Follows `$ref`s (local pointers, or `name#pointer` into a reference) to the schema they name. */
function resolve(side: Side, schema: Schema): { side: Side; schema: Schema } {
  let current = { side, schema };
  for (let hops = 0; hops < REF_HOPS_MAX; hops++) {
    if (!isObject(current.schema) || typeof current.schema["$ref"] !== "string") return current;
    const [base = "", pointer = ""] = current.schema["$ref"].split("#");
    let root = current.side.root;
    if (base !== "") {
      const external = current.side.doc.external.get(base);
      if (external === undefined) return { side: current.side, schema: true };
      root = external;
    }
    current = { side: { doc: current.side.doc, root }, schema: followPointer(root, pointer) };
  }
  return { side, schema: true };
}

function followPointer(root: JsonValue, pointer: string): JsonValue {
  let node: JsonValue | undefined = root;
  for (const raw of pointer.split("/").filter((p) => p !== "")) {
    const key = decodeURIComponent(raw).replace(/~1/g, "/").replace(/~0/g, "~");
    node = Array.isArray(node) ? node[Number(key)] : isObject(node) ? node[key] : undefined;
  }
  return node ?? true;
}

/** True for schemas that accept every document: `true`, or only annotations. */
function acceptsAll(schema: Schema): boolean {
  if (schema === true) return true;
  return isObject(schema) && Object.keys(schema).every((key) => ANNOTATIONS.has(key));
}

function compare(
  walk: Walk,
  path: string,
  originalSide: Side,
  originalSchema: Schema,
  updateSide: Side,
  updateSchema: Schema,
): void {
  const o = resolve(originalSide, originalSchema);
  const u = resolve(updateSide, updateSchema);
  if (acceptsAll(u.schema) || o.schema === false) return;
  if (acceptsAll(o.schema)) {
    report(walk, "SCHEMA_NARROWED", path, "a schema accepting anything became constrained");
    return;
  }
  if (u.schema === false || !isObject(o.schema) || !isObject(u.schema)) {
    report(walk, "SCHEMA_NARROWED", path, "the schema no longer accepts documents it accepted");
    return;
  }
  if (walk.depth >= JSON_DIFF_DEPTH_MAX) return;
  let seen = walk.inProgress.get(o.schema);
  if (seen?.has(u.schema)) return;
  if (!seen) {
    seen = new Set();
    walk.inProgress.set(o.schema, seen);
  }
  seen.add(u.schema);
  walk.depth++;
  try {
    compareObjects(walk, path, o.side, o.schema, u.side, u.schema);
  } finally {
    walk.depth--;
    seen.delete(u.schema);
  }
}

/** Runs a comparison on the side and answers whether it found nothing incompatible. */
function isCompatible(walk: Walk, path: string, o: Side, os: Schema, u: Side, us: Schema): boolean {
  const probe: Walk = { ...walk, issues: [] };
  compare(probe, path, o, os, u, us);
  return probe.issues.length === 0;
}

function compareObjects(walk: Walk, path: string, oSide: Side, o: Obj, uSide: Side, u: Obj): void {
  if (compareCombined(walk, path, oSide, o, uSide, u)) return;
  compareTypes(walk, path, o, u);
  compareEnum(walk, path, o, u);
  compareBounds(walk, path, o, u);
  compareProperties(walk, path, oSide, o, uSide, u);
  compareItems(walk, path, oSide, o, uSide, u);
  if (o["not"] === undefined && u["not"] !== undefined)
    report(walk, "NOT_TYPE_ADDED", `${path}/not`, "a 'not' was added");
}

const SUM_KEYWORDS = ["anyOf", "oneOf"] as const;

/** anyOf/oneOf/allOf; answers true when the combination decided the comparison. */
function compareCombined(walk: Walk, path: string, oSide: Side, o: Obj, uSide: Side, u: Obj): boolean {
  const oSum = SUM_KEYWORDS.find((k) => Array.isArray(o[k]));
  const uSum = SUM_KEYWORDS.find((k) => Array.isArray(u[k]));
  const oAll = Array.isArray(o["allOf"]) ? (o["allOf"] as Schema[]) : undefined;
  const uAll = Array.isArray(u["allOf"]) ? (u["allOf"] as Schema[]) : undefined;
  if (!oSum && !uSum && !oAll && !uAll) return false;
  if (uSum) {
    const branches = u[uSum] as Schema[];
    if (oSum === "anyOf" && uSum === "oneOf") {
      report(walk, "COMBINED_TYPE_CHANGED", path, "anyOf became oneOf");
      return true;
    }
    const originals = oSum ? (o[oSum] as Schema[]) : [withoutCombination(o)];
    originals.forEach((branch, i) => {
      const covered = branches.some((b, j) =>
        isCompatible(walk, `${path}/${uSum}/${j}`, oSide, branch, uSide, b),
      );
      if (!covered)
        report(
          walk,
          "SUM_TYPE_NARROWED",
          `${path}/${oSum ?? uSum}/${i}`,
          "an alternative is no longer accepted",
        );
    });
    return true;
  }
  if (oSum) {
    (o[oSum] as Schema[]).forEach((branch, i) => {
      compare(walk, `${path}/${oSum}/${i}`, oSide, branch, uSide, withoutCombination(u));
    });
    return true;
  }
  // allOf: every constraint the update imposes must already be implied by the original's.
  const oParts = oAll ?? [withoutCombination(o)];
  (uAll ?? [withoutCombination(u)]).forEach((part, i) => {
    const implied = oParts.some((op) => isCompatible(walk, `${path}/allOf/${i}`, oSide, op, uSide, part));
    if (!implied)
      report(walk, "PRODUCT_TYPE_EXTENDED", `${path}/allOf/${i}`, "a new constraint was added to allOf");
  });
  return true;
}

function withoutCombination(schema: Obj): Obj {
  const { anyOf: _a, oneOf: _o, allOf: _l, ...rest } = schema;
  return rest;
}

function typesOf(schema: Obj): Set<string> | undefined {
  const type = schema["type"];
  if (type === undefined) return undefined;
  return new Set((Array.isArray(type) ? type : [type]) as string[]);
}

function compareTypes(walk: Walk, path: string, o: Obj, u: Obj): void {
  const oTypes = typesOf(o);
  const uTypes = typesOf(u);
  if (!uTypes) return;
  if (!oTypes) {
    report(walk, "TYPE_NARROWED", `${path}/type`, `a type was set: ${[...uTypes].join(",")}`);
    return;
  }
  const lost = [...oTypes].filter((t) => !uTypes.has(t) && !(t === "integer" && uTypes.has("number")));
  if (lost.length === 0) return;
  const narrowed = [...uTypes].every((t) => oTypes.has(t));
  report(
    walk,
    narrowed ? "TYPE_NARROWED" : "TYPE_CHANGED",
    `${path}/type`,
    `type ${lost.join(",")} no longer accepted`,
  );
}

function compareEnum(walk: Walk, path: string, o: Obj, u: Obj): void {
  const key = (value: JsonValue) => JSON.stringify(value);
  for (const keyword of ["enum", "const"] as const) {
    if (u[keyword] === undefined) continue;
    const allowed = new Set(keyword === "enum" ? (u[keyword] as JsonValue[]).map(key) : [key(u[keyword])]);
    if (o[keyword] === undefined) {
      report(
        walk,
        keyword === "enum" ? "ENUM_ARRAY_NARROWED" : "CONST_ADDED",
        `${path}/${keyword}`,
        `an ${keyword} was added`,
      );
      continue;
    }
    const before = keyword === "enum" ? (o[keyword] as JsonValue[]) : [o[keyword]];
    const missing = before.filter((v) => !allowed.has(key(v)));
    if (missing.length > 0) {
      const type =
        keyword === "const"
          ? "CONST_CHANGED"
          : missing.length === before.length
            ? "ENUM_ARRAY_CHANGED"
            : "ENUM_ARRAY_NARROWED";
      report(walk, type, `${path}/${keyword}`, `values ${missing.map(key).join(",")} no longer accepted`);
    }
  }
}

/** Numeric keywords: `higher` ones are looser when larger (maximum), `lower` ones when smaller. */
const BOUNDS: readonly [string, "higher" | "lower", string][] = [
  ["maxLength", "higher", "MAX_LENGTH"],
  ["minLength", "lower", "MIN_LENGTH"],
  ["maximum", "higher", "MAXIMUM"],
  ["minimum", "lower", "MINIMUM"],
  ["exclusiveMaximum", "higher", "EXCLUSIVE_MAXIMUM"],
  ["exclusiveMinimum", "lower", "EXCLUSIVE_MINIMUM"],
  ["maxItems", "higher", "MAX_ITEMS"],
  ["minItems", "lower", "MIN_ITEMS"],
  ["maxProperties", "higher", "MAX_PROPERTIES"],
  ["minProperties", "lower", "MIN_PROPERTIES"],
];

function compareBounds(walk: Walk, path: string, o: Obj, u: Obj): void {
  for (const [keyword, looser, code] of BOUNDS) {
    const before = o[keyword];
    const after = u[keyword];
    if (typeof after !== "number") continue;
    if (typeof before !== "number") {
      report(walk, `${code}_ADDED`, `${path}/${keyword}`, `${keyword} ${after} was added`);
    } else if (looser === "higher" ? after < before : after > before) {
      report(
        walk,
        `${code}_${looser === "higher" ? "DECREASED" : "INCREASED"}`,
        `${path}/${keyword}`,
        `${keyword} ${before} -> ${after}`,
      );
    }
  }
  if (typeof u["pattern"] === "string" && u["pattern"] !== o["pattern"]) {
    report(
      walk,
      o["pattern"] === undefined ? "PATTERN_ADDED" : "PATTERN_CHANGED",
      `${path}/pattern`,
      `pattern ${u["pattern"]}`,
    );
  }
  const multipleOf = u["multipleOf"];
  if (typeof multipleOf === "number") {
    const before = o["multipleOf"];
    if (typeof before !== "number")
      report(walk, "MULTIPLE_OF_ADDED", `${path}/multipleOf`, `multipleOf ${multipleOf} was added`);
    else if (before % multipleOf !== 0)
      report(walk, "MULTIPLE_OF_CHANGED", `${path}/multipleOf`, `${before} -> ${multipleOf}`);
  }
  if (u["uniqueItems"] === true && o["uniqueItems"] !== true) {
    report(walk, "UNIQUE_ITEMS_ADDED", `${path}/uniqueItems`, "uniqueItems was added");
  }
}

type ContentModel = { kind: "open" } | { kind: "closed" } | { kind: "partial"; schema: Obj };

function contentModel(schema: Obj): ContentModel {
  const additional = schema["additionalProperties"];
  if (additional === false) return { kind: "closed" };
  if (isObject(additional) && !acceptsAll(additional)) return { kind: "partial", schema };
  if (isObject(schema["patternProperties"])) return { kind: "partial", schema };
  return { kind: "open" };
}

/** The schema an undeclared property named `name` must satisfy in this object schema. */
function undeclaredSchema(schema: Obj, name: string): Schema {
  const patterns = schema["patternProperties"];
  if (isObject(patterns)) {
    for (const [pattern, sub] of Object.entries(patterns)) {
      try {
        if (new RegExp(pattern, "u").test(name)) return sub;
      } catch {
        // An invalid pattern matches nothing.
      }
    }
  }
  const additional = schema["additionalProperties"];
  return additional === undefined ? true : additional;
}

function compareProperties(walk: Walk, path: string, oSide: Side, o: Obj, uSide: Side, u: Obj): void {
  const oProps = isObject(o["properties"]) ? o["properties"] : {};
  const uProps = isObject(u["properties"]) ? u["properties"] : {};
  const oModel = contentModel(o);
  const uModel = contentModel(u);
  for (const [name, uProp] of Object.entries(uProps)) {
    const at = `${path}/properties/${name}`;
    const oProp = oProps[name];
    if (oProp !== undefined) {
      compare(walk, at, oSide, oProp, uSide, uProp);
    } else if (oModel.kind === "open" && !acceptsAll(uProp)) {
      report(
        walk,
        "PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL",
        at,
        "a property was added to an open content model",
      );
    } else if (
      oModel.kind === "partial" &&
      !isCompatible(walk, at, oSide, undeclaredSchema(o, name), uSide, uProp)
    ) {
      report(
        walk,
        "PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
        at,
        "a property was added that the old model does not cover",
      );
    }
  }
  for (const [name, oProp] of Object.entries(oProps)) {
    if (uProps[name] !== undefined) continue;
    const at = `${path}/properties/${name}`;
    if (uModel.kind === "closed" && oProp !== false) {
      report(
        walk,
        "PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL",
        at,
        "a property was removed from a closed content model",
      );
    } else if (
      uModel.kind === "partial" &&
      !isCompatible(walk, at, oSide, oProp, uSide, undeclaredSchema(u, name))
    ) {
      report(
        walk,
        "PROPERTY_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
        at,
        "a property was removed that the new model does not cover",
      );
    }
  }
  compareAdditional(walk, path, oSide, o, uSide, u);
  compareRequired(walk, path, o, u, uProps);
}

function compareAdditional(walk: Walk, path: string, oSide: Side, o: Obj, uSide: Side, u: Obj): void {
  const before = o["additionalProperties"];
  const after = u["additionalProperties"];
  if (after === undefined || after === true || before === false) return;
  if (after === false) {
    report(
      walk,
      "ADDITIONAL_PROPERTIES_REMOVED",
      `${path}/additionalProperties`,
      "the content model was closed",
    );
    return;
  }
  compare(walk, `${path}/additionalProperties`, oSide, before ?? true, uSide, after);
}

function compareRequired(walk: Walk, path: string, o: Obj, u: Obj, uProps: Obj): void {
  const before = new Set(Array.isArray(o["required"]) ? (o["required"] as string[]) : []);
  const after = Array.isArray(u["required"]) ? (u["required"] as string[]) : [];
  for (const name of after) {
    if (before.has(name)) continue;
    const prop = uProps[name];
    if (isObject(prop) && prop["default"] !== undefined) continue;
    report(walk, "REQUIRED_ATTRIBUTE_ADDED", `${path}/required/${name}`, `property ${name} became required`);
  }
}

function compareItems(walk: Walk, path: string, oSide: Side, o: Obj, uSide: Side, u: Obj): void {
  const oItems = o["items"] ?? o["prefixItems"];
  const uItems = u["items"] ?? u["prefixItems"];
  if (uItems === undefined) return;
  if (!Array.isArray(oItems) && !Array.isArray(uItems)) {
    compare(walk, `${path}/items`, oSide, oItems ?? true, uSide, uItems);
    return;
  }
  const oList = Array.isArray(oItems) ? oItems : [];
  const uList = Array.isArray(uItems) ? uItems : [];
  const oRest = Array.isArray(oItems) ? (o["additionalItems"] ?? true) : (oItems ?? true);
  const uRest = Array.isArray(uItems) ? (u["additionalItems"] ?? true) : uItems;
  const length = Math.max(oList.length, uList.length);
  for (let i = 0; i < length; i++) {
    compare(walk, `${path}/items/${i}`, oSide, oList[i] ?? oRest, uSide, uList[i] ?? uRest);
  }
  compare(walk, `${path}/additionalItems`, oSide, oRest, uSide, uRest);
}
