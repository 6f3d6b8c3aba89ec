import { registryErrors } from "../registry-error.js";
import type { SchemaType } from "../schema-types.js";
import { isSchemaType } from "../schema-types.js";
import { avroFormat } from "./avro/avro-format.js";
import { jsonSchemaFormat } from "./json-schema/json-schema-format.js";
import { protobufFormat } from "./protobuf/protobuf-format.js";
import type { SchemaFormat } from "./schema-format.js";

/** The formats the registry serves, by `schemaType`. */
export const SCHEMA_FORMATS: ReadonlyMap<SchemaType, SchemaFormat> = new Map<SchemaType, SchemaFormat>([
  ["AVRO", avroFormat],
  ["JSON", jsonSchemaFormat],
  ["PROTOBUF", protobufFormat],
]);

export function formatOf(schemaType: string): SchemaFormat {
  const format = isSchemaType(schemaType) ? SCHEMA_FORMATS.get(schemaType) : undefined;
  if (!format) throw registryErrors.invalidSchema(`Invalid schema type ${schemaType}`);
  return format;
}
