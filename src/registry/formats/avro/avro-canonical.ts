/**
 * Renders an Avro schema (already validated by avsc) the way Apache Avro's Java
 * `Schema.toString()` does, which is the text Confluent's registry stores: compact JSON,
 * attributes in a fixed order (type, name, namespace, doc, then the type's own attributes,
 * custom properties, aliases), a namespace written only where it differs from the enclosing
 * one, named types written in full once and by name afterwards, and a bare string for a
 * primitive without properties. Whitespace and attribute order of the input therefore do not
 * change the result. With `fullNames`, every name is written fully qualified and no namespace
 * attribute appears: the normalized form of `normalize=true`.
 */

const PRIMITIVES = new Set(["null", "boolean", "int", "long", "float", "double", "bytes", "string"]);
const NAMED_KEYS = new Set(["type", "name", "namespace", "doc", "aliases"]);
const OWN_KEYS: Record<string, readonly string[]> = {
  record: ["fields"],
  error: ["fields"],
  enum: ["symbols", "default"],
  fixed: ["size"],
  array: ["items"],
  map: ["values"],
};
const FIELD_KEYS = new Set(["name", "type", "doc", "default", "order", "aliases"]);
/** Named types nest as deep as the schema does; a bound keeps a hostile schema from overflowing. */
const AVRO_NESTING_DEPTH_MAX = 256;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

interface RenderContext {
  space: string;
  defined: Set<string>;
  fullNames: boolean;
  depth: number;
}

export function renderAvroSchema(schema: unknown, knownNames: Iterable<string>, fullNames = false): string {
  const context: RenderContext = { space: "", defined: new Set(knownNames), fullNames, depth: 0 };
  return JSON.stringify(renderType(schema as Json, context));
}

function fullName(name: string, space: string): string {
  return name.includes(".") || space === "" ? name : `${space}.${name}`;
}

function spaceOf(full: string): string {
  const at = full.lastIndexOf(".");
  return at < 0 ? "" : full.slice(0, at);
}

function renderType(schema: Json, context: RenderContext): Json {
  if (context.depth > AVRO_NESTING_DEPTH_MAX) throw new Error("schema nested too deeply");
  if (typeof schema === "string") return renderNameReference(schema, context);
  if (Array.isArray(schema)) return schema.map((branch) => renderType(branch, context));
  if (schema === null || typeof schema !== "object") return schema;
  const type = schema["type"];
  if (typeof type !== "string" || (!(type in OWN_KEYS) && !PRIMITIVES.has(type))) {
    // `{"type": {...}}` or `{"type": "Name"}`: the object only wraps another type.
    return renderType(type as Json, context);
  }
  context.depth++;
  try {
    if (PRIMITIVES.has(type)) return renderPrimitive(type, schema);
    if (type === "array" || type === "map") return renderContainer(type, schema, context);
    return renderNamed(type, schema, context);
  } finally {
    context.depth--;
  }
}

function renderNameReference(name: string, context: RenderContext): Json {
  if (PRIMITIVES.has(name)) return name;
  const candidate = fullName(name, context.space);
  const full = context.defined.has(candidate) ? candidate : name;
  if (context.fullNames) return full;
  return spaceOf(full) === context.space ? full.slice(full.lastIndexOf(".") + 1) : full;
}

function customProps(schema: { [key: string]: Json }, skip: ReadonlySet<string> | readonly string[]) {
  const out: [string, Json][] = [];
  const skipSet = skip instanceof Set ? skip : new Set(skip as readonly string[]);
  for (const [key, value] of Object.entries(schema)) {
    if (!skipSet.has(key) && !NAMED_KEYS.has(key)) out.push([key, value]);
  }
  return out;
}

function renderPrimitive(type: string, schema: { [key: string]: Json }): Json {
  const props = customProps(schema, []);
  if (props.length === 0) return type;
  return Object.fromEntries([["type", type], ...props]);
}

function renderContainer(
  type: "array" | "map",
  schema: { [key: string]: Json },
  context: RenderContext,
): Json {
  const key = type === "array" ? "items" : "values";
  const out: [string, Json][] = [
    ["type", type],
    [key, renderType(schema[key] as Json, context)],
  ];
  out.push(...customProps(schema, [key]));
  return Object.fromEntries(out);
}

function renderNamed(type: string, schema: { [key: string]: Json }, context: RenderContext): Json {
  const declared = String(schema["name"]);
  const namespace = typeof schema["namespace"] === "string" ? schema["namespace"] : undefined;
  const full = declared.includes(".") ? declared : fullName(declared, namespace ?? context.space);
  const space = spaceOf(full);
  const out: [string, Json][] = [["type", type]];
  if (context.fullNames) {
    out.push(["name", full]);
  } else {
    out.push(["name", full.slice(full.lastIndexOf(".") + 1)]);
    if (space !== context.space) out.push(["namespace", space]);
  }
  context.defined.add(full);
  const savedSpace = context.space;
  context.space = space;
  if (typeof schema["doc"] === "string") out.push(["doc", schema["doc"]]);
  const own = OWN_KEYS[type] ?? [];
  for (const key of own) {
    if (!(key in schema)) continue;
    const value = schema[key] as Json;
    if (key === "fields") out.push([key, (value as Json[]).map((f) => renderField(f, context))]);
    else out.push([key, value]);
  }
  out.push(...customProps(schema, own));
  context.space = savedSpace;
  const aliases = renderAliases(schema["aliases"], space, context.fullNames);
  if (aliases) out.push(["aliases", aliases]);
  return Object.fromEntries(out);
}

function renderAliases(aliases: Json | undefined, space: string, fullNames: boolean): Json[] | undefined {
  if (!Array.isArray(aliases) || aliases.length === 0) return undefined;
  return aliases.map((alias) => {
    const full = fullName(String(alias), space);
    return fullNames || spaceOf(full) !== space ? full : full.slice(full.lastIndexOf(".") + 1);
  });
}

function renderField(field: Json, context: RenderContext): Json {
  const source = field as { [key: string]: Json };
  const out: [string, Json][] = [
    ["name", source["name"] as Json],
    ["type", renderType(source["type"] as Json, context)],
  ];
  if (typeof source["doc"] === "string") out.push(["doc", source["doc"]]);
  if ("default" in source) out.push(["default", source["default"] as Json]);
  if (source["order"] !== undefined && source["order"] !== "ascending") out.push(["order", source["order"]]);
  if (Array.isArray(source["aliases"]) && source["aliases"].length > 0)
    out.push(["aliases", source["aliases"]]);
  for (const [key, value] of Object.entries(source)) if (!FIELD_KEYS.has(key)) out.push([key, value]);
  return Object.fromEntries(out);
}
