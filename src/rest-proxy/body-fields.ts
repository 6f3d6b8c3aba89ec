import { restErrors } from "./rest-error.js";

/**
 * Typed reads of a JSON request body's fields, refusing a wrong type as Jackson does when
 * kafka-rest binds a body to its entity (400, "Cannot deserialize value of type ... from ...").
 * A field that is absent or null reads as undefined.
 */

export type JsonObject = Record<string, unknown>;

const JAVA_TYPES = {
  string: "java.lang.String",
  integer: "java.lang.Integer",
  long: "java.lang.Long",
  boolean: "java.lang.Boolean",
  array: "java.util.ArrayList",
  object: "java.util.LinkedHashMap",
} as const;

function wrongType(javaType: keyof typeof JAVA_TYPES, value: unknown): Error {
  const shape = Array.isArray(value)
    ? "Array value (token `JsonToken.START_ARRAY`)"
    : typeof value === "object"
      ? "Object value (token `JsonToken.START_OBJECT`)"
      : `${typeof value === "string" ? "String" : typeof value === "number" ? "Number" : "Boolean"} ${JSON.stringify(value)}`;
  return restErrors.malformedJson(
    `Cannot deserialize value of type \`${JAVA_TYPES[javaType]}\` from ${shape}`,
  );
}

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The body as an object; undefined for no body (kafka-rest's null entity); 400 for another JSON value. */
export function bodyObject(body: unknown): JsonObject | undefined {
  if (body === undefined || body === null) return undefined;
  if (!isJsonObject(body)) throw wrongType("object", body);
  return body;
}

export function stringField(object: JsonObject, name: string): string | undefined {
  const value = object[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string") throw wrongType("string", value);
  return value;
}

export function integerField(
  object: JsonObject,
  name: string,
  kind: "integer" | "long" = "integer",
): number | undefined {
  const value = object[name];
  if (value === undefined || value === null) return undefined;
  // Jackson reads "12" as 12 for a number field.
  const number = typeof value === "string" && /^-?\d+$/.test(value) ? Number(value) : value;
  if (typeof number !== "number" || !Number.isInteger(number)) throw wrongType(kind, value);
  if (kind === "integer" && (number < -(2 ** 31) || number >= 2 ** 31)) throw wrongType(kind, value);
  return number;
}

export function booleanField(object: JsonObject, name: string): boolean | undefined {
  const value = object[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "boolean") throw wrongType("boolean", value);
  return value;
}

export function arrayField(object: JsonObject, name: string): unknown[] | undefined {
  const value = object[name];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) throw wrongType("array", value);
  return value;
}

export function objectItems(items: readonly unknown[]): JsonObject[] {
  return items.map((item) => {
    if (!isJsonObject(item)) throw wrongType("object", item);
    return item;
  });
}

/** `{"topic", "partition"}` entries (v2's TopicPartition); both are required. */
export function topicPartitions(items: readonly unknown[]): { topic: string; partition: number }[] {
  return objectItems(items).map((item) => {
    const topic = stringField(item, "topic");
    const partition = integerField(item, "partition");
    if (topic === undefined || partition === undefined)
      throw restErrors.constraintViolation("topic and partition must not be null");
    return { topic, partition };
  });
}
