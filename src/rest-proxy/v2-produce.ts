import {
  arrayField,
  bodyObject,
  integerField,
  type JsonObject,
  objectItems,
  stringField,
} from "./body-fields.js";
import { type EmbeddedFormat, requestFormat, usesSchema } from "./media-types.js";
import { type ProxyRecord, recordBytes } from "./proxy-producer.js";
import {
  intParam,
  type ProxyReply,
  type ProxyRequest,
  type ProxyRoute,
  type ProxyServices,
} from "./proxy-route.js";
import { type PlainFormat, serializePlain, serializeWithSchema } from "./record-serde.js";
import { produceErrorCode, RestProxyError, restErrors } from "./rest-error.js";
import type { ResolvedSchema, SchemaFormat } from "./schema-manager.js";

/**
 * API v2's produce (POST /topics/{topic} and /topics/{topic}/partitions/{partition}, kafka-rest's
 * ProduceToTopicAction and ProduceToPartitionAction): the embedded format comes from the
 * Content-Type (binary when none is named), the records' keys and values are serialized in it
 * (avro, jsonschema and protobuf with the request's key_schema/value_schema, registered, or
 * key_schema_id/value_schema_id), and every record goes to the shared producer at once. The
 * answer lists each record's partition and offset, or its error_code and error, in request order,
 * with the schema ids used; 200 unless a record met an authentication or authorization error.
 */

interface SerializedRecords {
  records: ProxyRecord[];
  keySchema: ResolvedSchema | null;
  valueSchema: ResolvedSchema | null;
}

/** One record's outcome, as kafka-rest's PartitionOffset. */
interface PartitionOffset {
  partition: number | null;
  offset: number | null;
  error_code: number | null;
  error: string | null;
}

async function produce(
  request: ProxyRequest,
  services: ProxyServices,
  urlPartition: number | null,
): Promise<ProxyReply> {
  const format = requestFormat(request.headers["content-type"]) ?? "binary";
  const body = bodyObject(request.body);
  const items = body === undefined ? undefined : arrayField(body, "records");
  if (body === undefined || items === undefined || items.length === 0)
    throw restErrors.constraintViolation("records must not be empty");
  const topic = request.params["topic"] as string;
  const partitions = await services.producer.partitionCount(topic);
  if (urlPartition !== null && partitions > 0 && urlPartition >= partitions)
    throw restErrors.partitionNotFound();
  const serialized = await serializeRecords(services, topic, format, body, objectItems(items), urlPartition);
  const bytes = serialized.records.reduce((sum, r) => sum + recordBytes(r), 0);
  const taken = services.producer.admitNow(bytes);
  const offsets = await sendAll(services, serialized.records, partitions, taken);
  const denied = offsets.find((o) => o.error_code === 40101 || o.error_code === 40301);
  return {
    status: denied === undefined ? 200 : denied.error_code === 40101 ? 401 : 403,
    body: {
      offsets,
      key_schema_id: serialized.keySchema?.id ?? null,
      value_schema_id: serialized.valueSchema?.id ?? null,
    },
  };
}

async function serializeRecords(
  services: ProxyServices,
  topic: string,
  format: EmbeddedFormat,
  body: JsonObject,
  items: JsonObject[],
  urlPartition: number | null,
): Promise<SerializedRecords> {
  const keySchema = usesSchema(format)
    ? await schemaOf(services, topic, format as SchemaFormat, body, true)
    : null;
  const valueSchema = usesSchema(format)
    ? await schemaOf(services, topic, format as SchemaFormat, body, false)
    : null;
  const records = items.map((item): ProxyRecord => {
    const partition = integerField(item, "partition") ?? urlPartition;
    return {
      topic,
      ...(partition === null ? {} : { partition }),
      key: serializeField(format, keySchema, item["key"], true),
      value: serializeField(format, valueSchema, item["value"], false),
    };
  });
  return { records, keySchema, valueSchema };
}

/** The key or value schema a request names (by id or as text, registered), or null when it names none. */
async function schemaOf(
  services: ProxyServices,
  topic: string,
  format: SchemaFormat,
  body: JsonObject,
  isKey: boolean,
): Promise<ResolvedSchema | null> {
  const prefix = isKey ? "key" : "value";
  const schemaId = integerField(body, `${prefix}_schema_id`);
  const rawSchema = stringField(body, `${prefix}_schema`);
  if (schemaId === undefined && rawSchema === undefined) return null;
  return services.schemas.resolve({
    topic,
    isKey,
    ...(schemaId === undefined ? {} : { schemaId }),
    ...(rawSchema === undefined ? {} : { rawSchema, format }),
  });
}

function serializeField(
  format: EmbeddedFormat,
  schema: ResolvedSchema | null,
  data: unknown,
  isKey: boolean,
): Buffer | null {
  if (!usesSchema(format)) return serializePlain(format as PlainFormat, data);
  if (data === null || data === undefined) return null;
  if (schema === null) throw isKey ? restErrors.keySchemaMissing() : restErrors.valueSchemaMissing();
  return serializeWithSchema(schema, data);
}

/** Sends every record (in order, so a partition keeps it) and answers each one's outcome; the buffer gets the request's bytes back once all are answered. */
async function sendAll(
  services: ProxyServices,
  records: readonly ProxyRecord[],
  partitions: number,
  taken: number,
): Promise<PartitionOffset[]> {
  const results = records.map(async (record): Promise<PartitionOffset> => {
    try {
      if (
        record.partition !== undefined &&
        (record.partition < 0 || (partitions > 0 && record.partition >= partitions))
      )
        throw restErrors.partitionNotFound();
      const metadata = await services.producer.send(record);
      return {
        partition: metadata.partition,
        offset: Number(metadata.offset),
        error_code: null,
        error: null,
      };
    } catch (error) {
      if (!(error instanceof RestProxyError)) throw error;
      return { partition: null, offset: null, error_code: produceErrorCode(error), error: error.message };
    }
  });
  const settled = await Promise.allSettled(results);
  services.producer.release(taken);
  return settled.map((outcome) => {
    if (outcome.status === "rejected") throw outcome.reason;
    return outcome.value;
  });
}

export const v2ProduceRoutes: readonly ProxyRoute[] = [
  {
    method: "POST",
    path: "/topics/:topic",
    api: "v2",
    handle: (request, services) => produce(request, services, null),
  },
  {
    method: "POST",
    path: "/topics/:topic/partitions/:partition",
    api: "v2",
    handle: (request, services) => produce(request, services, intParam(request, "partition")),
  },
];
