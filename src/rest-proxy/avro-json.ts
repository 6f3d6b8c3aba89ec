import type avro from "avsc";
import { restErrors } from "./rest-error.js";

/**
 * Avro's JSON encoding (the one kafka-rest reads and writes with Avro's JsonDecoder and
 * JsonEncoder) against avsc's values: a union is `null` or `{"<branch name>": value}` (the full
 * name of a named branch), bytes and fixed are strings of ISO-8859-1 characters, one per byte.
 * avsc keeps the unions it can tell apart unwrapped (the plain value), others wrapped as in the
 * JSON encoding; both are handled. Values nest at most AVRO_DEPTH_MAX deep (schemas may recurse).
 */

const AVRO_DEPTH_MAX = 64;

/** avsc's wrapped and unwrapped union types (its typings name them apart). */
type Union = avro.types.WrappedUnionType | avro.types.UnwrappedUnionType;

/** A JSON value in Avro's JSON encoding as the avsc value of `type`; 400 (Avro's message) when it is not one. */
export function avroFromJson(type: avro.Type, json: unknown, depth = 0): unknown {
  if (depth > AVRO_DEPTH_MAX) throw restErrors.badRequest("Avro value nested too deeply");
  const name = type.typeName;
  switch (name) {
    case "bytes":
    case "fixed":
      if (typeof json !== "string") throw expected(name, json);
      return Buffer.from(json, "latin1");
    case "record":
      return recordFromJson(type as avro.types.RecordType, json, depth);
    case "array": {
      if (!Array.isArray(json)) throw expected("start-array", json);
      const items = (type as avro.types.ArrayType).itemsType;
      return json.map((item) => avroFromJson(items, item, depth + 1));
    }
    case "map": {
      if (!isObject(json)) throw expected("start-object", json);
      const values = (type as avro.types.MapType).valuesType;
      return Object.fromEntries(
        Object.entries(json).map(([k, v]) => [k, avroFromJson(values, v, depth + 1)]),
      );
    }
    case "union:unwrapped":
    case "union:wrapped":
      return unionFromJson(type as Union, json, name === "union:wrapped", depth);
    default:
      if (!type.isValid(json)) throw expected(name, json);
      return json;
  }
}

function recordFromJson(type: avro.types.RecordType, json: unknown, depth: number): unknown {
  if (!isObject(json)) throw expected("start-object", json);
  const out: Record<string, unknown> = {};
  for (const field of type.fields) {
    if (field.name in json) out[field.name] = avroFromJson(field.type, json[field.name], depth + 1);
    else if (field.defaultValue() !== undefined) out[field.name] = field.defaultValue();
    else throw restErrors.badRequest(`Expected field name not found: ${field.name}`);
  }
  return out;
}

function unionFromJson(type: Union, json: unknown, wrapped: boolean, depth: number): unknown {
  if (json === null) {
    if (type.types.some((t) => t.typeName === "null")) return null;
    throw expected("start-union", json);
  }
  const keys = isObject(json) ? Object.keys(json) : [];
  const branch = keys.length === 1 ? type.types.find((t) => t.branchName === keys[0]) : undefined;
  if (branch === undefined || !isObject(json)) throw expected("start-union", json);
  const value = avroFromJson(branch, json[keys[0] as string], depth + 1);
  return wrapped ? { [branch.branchName as string]: value } : value;
}

/** An avsc value of `type` in Avro's JSON encoding. */
export function avroToJson(type: avro.Type, value: unknown, depth = 0): unknown {
  if (depth > AVRO_DEPTH_MAX) throw new Error("Avro value nested too deeply");
  switch (type.typeName) {
    case "bytes":
    case "fixed":
      return (value as Buffer).toString("latin1");
    case "record": {
      const out: Record<string, unknown> = {};
      const record = value as Record<string, unknown>;
      for (const field of (type as avro.types.RecordType).fields)
        out[field.name] = avroToJson(field.type, record[field.name], depth + 1);
      return out;
    }
    case "array":
      return (value as unknown[]).map((item) =>
        avroToJson((type as avro.types.ArrayType).itemsType, item, depth + 1),
      );
    case "map": {
      const values = (type as avro.types.MapType).valuesType;
      return Object.fromEntries(
        Object.entries(value as Record<string, unknown>).map(([k, v]) => [
          k,
          avroToJson(values, v, depth + 1),
        ]),
      );
    }
    case "union:wrapped": {
      if (value === null) return null;
      const [name, inner] = Object.entries(value as Record<string, unknown>)[0] as [string, unknown];
      const branch = (type as Union).types.find((t) => t.branchName === name) as avro.Type;
      return { [name]: avroToJson(branch, inner, depth + 1) };
    }
    case "union:unwrapped": {
      if (value === null) return null;
      // avsc unwraps only unions whose branches a value tells apart, so the first that takes it is its own.
      const branch = (type as Union).types.find((t) => t.typeName !== "null" && t.isValid(value));
      if (branch === undefined) throw new Error("value matches no branch of its union");
      return { [branch.branchName as string]: avroToJson(branch, value, depth + 1) };
    }
    default:
      return value;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Avro's JsonDecoder message: `Expected int. Got VALUE_STRING`. */
function expected(what: string, json: unknown): Error {
  return restErrors.badRequest(`Expected ${what}. Got ${jsonToken(json)}`);
}

function jsonToken(json: unknown): string {
  if (json === null) return "VALUE_NULL";
  if (Array.isArray(json)) return "START_ARRAY";
  switch (typeof json) {
    case "string":
      return "VALUE_STRING";
    case "boolean":
      return json ? "VALUE_TRUE" : "VALUE_FALSE";
    case "number":
      return Number.isInteger(json) ? "VALUE_NUMBER_INT" : "VALUE_NUMBER_FLOAT";
    case "object":
      return "START_OBJECT";
    default:
      return "VALUE_EMBEDDED_OBJECT";
  }
}
