import {
  AvroSchema,
  frame,
  JsonSchema,
  type ParsedSchema,
  ProtobufSchema,
  readMessageIndexes,
  unframe,
} from "../registry/index.js";
import { avroFromJson, avroToJson } from "./avro-json.js";
import type { EmbeddedFormat } from "./media-types.js";
import { protobufFromJson, protobufToJson } from "./protobuf-json.js";
import { RestProxyError, restErrors } from "./rest-error.js";
import type { ResolvedSchema } from "./schema-manager.js";

/**
 * Keys and values between the JSON of the HTTP API and the bytes of Kafka records, per embedded
 * format, as kafka-rest's record serializers and its consumer states convert them: binary is
 * base64, json is JSON text, string (v3) is UTF-8, and avro, jsonschema and protobuf are
 * Confluent-framed (magic byte, schema id) in their own encodings, from and to their JSON forms.
 */

/** Formats that need no schema; `string` exists in v3 only. */
export type PlainFormat = "binary" | "json" | "string";

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** A key or value without a schema as bytes; null data is no key (or value) at all. */
export function serializePlain(format: PlainFormat, data: unknown): Buffer | null {
  if (data === null || data === undefined) return null;
  switch (format) {
    case "binary":
      // Guava's BaseEncoding, which kafka-rest decodes with, takes only padded, canonical base64.
      if (typeof data !== "string")
        throw restErrors.badRequest(`data=${JSON.stringify(data)} is not a base64 string.`);
      if (!BASE64.test(data))
        throw restErrors.badRequest(`data=${JSON.stringify(data)} is not a valid base64 string.`);
      return Buffer.from(data, "base64");
    case "json":
      return Buffer.from(JSON.stringify(data), "utf8");
    case "string":
      if (typeof data !== "string")
        throw restErrors.badRequest(`data=${JSON.stringify(data)} is not a string.`);
      return Buffer.from(data, "utf8");
  }
}

/** A key or value written with `schema`: its JSON form checked and encoded, then framed with the schema id. */
export function serializeWithSchema(schema: ResolvedSchema, data: unknown): Buffer {
  const parsed = schema.parsed;
  try {
    if (parsed instanceof AvroSchema)
      return frame(schema.id, parsed.type.toBuffer(avroFromJson(parsed.type, data)));
    if (parsed instanceof ProtobufSchema) {
      parsed.root.resolveAll();
      const type = parsed.messageAt([0]);
      if (type === undefined) throw restErrors.badRequest("the schema defines no message");
      return frame(schema.id, type.encode(protobufFromJson(type, data)).finish(), [0]);
    }
    return frame(schema.id, Buffer.from(JSON.stringify(data), "utf8"));
  } catch (error) {
    if (error instanceof RestProxyError) throw error;
    throw restErrors.badRequest(error instanceof Error ? error.message : String(error));
  }
}

/** How a consumer instance reads framed values: the writer's schema by id, from the registry. */
export type SchemaById = (id: number) => Promise<ParsedSchema>;

/**
 * A record's key or value as the JSON a consumer of `format` answers with, and the bytes it
 * counts against the read's limits: the record's own size (kafka-rest counts the JSON of schema
 * formats, which would cost a serialization per record only to be counted). A value the format
 * cannot read is Kafka's SerializationException: 408/40801.
 */
export async function deserialize(
  format: EmbeddedFormat,
  bytes: Buffer | null,
  schemaById: SchemaById,
): Promise<{ json: unknown; size: number }> {
  if (bytes === null) return { json: null, size: 0 };
  if (format === "binary") return { json: bytes.toString("base64"), size: bytes.length };
  if (format === "json") {
    try {
      return { json: JSON.parse(bytes.toString("utf8")), size: bytes.length };
    } catch (error) {
      throw restErrors.deserialization(`Error deserializing JSON message: ${(error as Error).message}`);
    }
  }
  return { json: await deserializeFramed(bytes, schemaById), size: bytes.length };
}

async function deserializeFramed(bytes: Buffer, schemaById: SchemaById): Promise<unknown> {
  let framed: { schemaId: number; payload: Buffer };
  try {
    framed = unframe(bytes);
  } catch {
    throw restErrors.deserialization("Unknown magic byte!");
  }
  let writer: ParsedSchema;
  try {
    writer = await schemaById(framed.schemaId);
  } catch (error) {
    if (error instanceof RestProxyError) throw error;
    throw restErrors.deserialization(
      `Error retrieving schema for id ${framed.schemaId}: ${(error as Error).message}`,
    );
  }
  try {
    if (writer instanceof AvroSchema) return avroToJson(writer.type, writer.type.fromBuffer(framed.payload));
    if (writer instanceof ProtobufSchema) {
      const { indexes, message } = readMessageIndexes(framed.payload);
      writer.root.resolveAll();
      const type = writer.messageAt(indexes);
      if (type === undefined) throw new Error(`no message at index path [${indexes.join(", ")}]`);
      return protobufToJson(type, type.decode(message));
    }
    if (writer instanceof JsonSchema) return JSON.parse(framed.payload.toString("utf8"));
    throw new Error(`schema ${framed.schemaId} is not a schema this proxy reads`);
  } catch (error) {
    throw restErrors.deserialization(
      `Error deserializing message for schema id ${framed.schemaId}: ${(error as Error).message}`,
    );
  }
}
