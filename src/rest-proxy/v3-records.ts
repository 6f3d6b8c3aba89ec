import {
  arrayField,
  integerField,
  isJsonObject,
  type JsonObject,
  objectItems,
  stringField,
} from "./body-fields.js";
import { JsonValueSplitter } from "./json-stream.js";
import { JSON_TYPE } from "./media-types.js";
import { type ProxyRecord, recordBytes } from "./proxy-producer.js";
import type { HttpExchange, ProxyRequest, ProxyRoute, ProxyServices } from "./proxy-route.js";
import { type PlainFormat, serializePlain, serializeWithSchema } from "./record-serde.js";
import { clusterFailure, RestProxyError, restErrors } from "./rest-error.js";
import type { ResolvedSchema, SchemaFormat, SchemaQuery } from "./schema-manager.js";
import { instantText } from "./v3-resources.js";

/**
 * API v3's produce (POST /v3/clusters/{c}/topics/{t}/records, kafka-rest's ProduceAction): the
 * body is one JSON object per record, any number of them concatenated (streaming mode), and the
 * answer is one JSON object per record in the same order, each followed by CRLF as kafka-rest's
 * chunked output writes them: `{"error_code": 200, "partition_id", "offset", ...}` or an error
 * (`{"error_code": 404, "message"}`); the HTTP status is 200 once the first answer is written.
 * Records are read as they arrive and sent without waiting for earlier answers; while the
 * producer's buffer is full the request is not read (TCP backpressure on the client).
 */

const V3_TYPES: Readonly<Record<string, PlainFormat | SchemaFormat>> = {
  BINARY: "binary",
  JSON: "json",
  STRING: "string",
  AVRO: "avro",
  JSONSCHEMA: "jsonschema",
  PROTOBUF: "protobuf",
};

/** A key or value of a v3 record: its type, how its schema is found, its data. */
interface RecordData {
  type: PlainFormat | SchemaFormat | null;
  data: unknown;
  query: Omit<SchemaQuery, "topic" | "isKey">;
}

function recordData(json: unknown, what: string): RecordData | null {
  if (json === undefined || json === null) return null;
  if (!isJsonObject(json))
    throw restErrors.malformedJson(`Cannot deserialize value of type \`ProduceRequestData\` from ${what}`);
  const typeName = stringField(json, "type");
  const type = typeName === undefined ? null : V3_TYPES[typeName.toUpperCase()];
  if (type === undefined)
    throw restErrors.malformedJson(
      `Cannot deserialize value of type \`EmbeddedFormat\` from String ${JSON.stringify(typeName)}`,
    );
  const text = (name: string) => stringField(json, name);
  const schemaId = integerField(json, "schema_id");
  const schemaVersion = integerField(json, "schema_version");
  const query: RecordData["query"] = {
    ...(text("subject") === undefined ? {} : { subject: text("subject") as string }),
    ...(text("subject_name_strategy") === undefined
      ? {}
      : { subjectNameStrategy: (text("subject_name_strategy") as string).toUpperCase() }),
    ...(schemaId === undefined ? {} : { schemaId }),
    ...(schemaVersion === undefined ? {} : { schemaVersion }),
    ...(text("schema") === undefined ? {} : { rawSchema: text("schema") as string }),
  };
  return { type, data: json["data"] ?? null, query };
}

/** A serialized key or value and what the answer says of it (kafka-rest's ProduceResponseData). */
interface Serialized {
  bytes: Buffer | null;
  described: Record<string, unknown> | null;
}

async function serialize(
  services: ProxyServices,
  topic: string,
  part: RecordData | null,
  isKey: boolean,
): Promise<Serialized> {
  if (part === null) return { bytes: null, described: null };
  const { type } = part;
  if (type === "binary" || type === "json" || type === "string") {
    const bytes = serializePlain(type, part.data);
    return { bytes, described: { type: type.toUpperCase(), size: bytes?.length ?? -1 } };
  }
  const schema: ResolvedSchema = await services.schemas.resolve({
    topic,
    isKey,
    ...part.query,
    ...(type === null ? {} : { format: type }),
  });
  const bytes = part.data === null ? null : serializeWithSchema(schema, part.data);
  return {
    bytes,
    described: {
      type: schema.format.toUpperCase(),
      subject: schema.subject,
      schema_id: schema.id,
      schema_version: schema.version,
      size: bytes?.length ?? -1,
    },
  };
}

function headersOf(record: JsonObject): NonNullable<ProxyRecord["headers"]> {
  return objectItems(arrayField(record, "headers") ?? []).map((h) => {
    const value = stringField(h, "value");
    return {
      key: stringField(h, "name") ?? "",
      value: value === undefined ? null : (serializePlain("binary", value) ?? null),
    };
  });
}

/** One record of the stream: produced, and answered with its place in the log (or the error). */
async function produceOne(
  request: ProxyRequest,
  services: ProxyServices,
  text: string,
  admitted: () => void,
): Promise<Record<string, unknown>> {
  try {
    return await produceAdmitted(request, services, text, admitted);
  } finally {
    admitted();
  }
}

async function produceAdmitted(
  request: ProxyRequest,
  services: ProxyServices,
  text: string,
  admitted: () => void,
): Promise<Record<string, unknown>> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw restErrors.malformedJson((error as Error).message);
  }
  if (!isJsonObject(json))
    throw restErrors.malformedJson(
      "Cannot deserialize value of type `ProduceRequest` from Array value (token `JsonToken.START_ARRAY`)",
    );
  const topic = request.params["topic"] as string;
  const partition = integerField(json, "partition_id");
  if (partition !== undefined && partition < 0) throw restErrors.partitionNotFound();
  const timestampText = stringField(json, "timestamp");
  const timestamp = timestampText === undefined ? Date.now() : Date.parse(timestampText);
  if (Number.isNaN(timestamp))
    throw restErrors.malformedJson(
      `Cannot deserialize value of type \`java.time.Instant\` from String ${JSON.stringify(timestampText)}`,
    );
  const key = await serialize(services, topic, recordData(json["key"], "key"), true);
  const value = await serialize(services, topic, recordData(json["value"], "value"), false);
  const partitions = await services.producer.partitionCount(topic).catch((error: unknown) => {
    // Kafka's producer says so after max.block.ms (kafka-rest answers it with 40401); Brook knows at once.
    if (error instanceof RestProxyError && error.errorCode === 40401)
      throw new RestProxyError(404, 40401, `Topic ${topic} not present in metadata.`);
    throw error;
  });
  if (partition !== undefined && partitions > 0 && partition >= partitions)
    throw restErrors.partitionNotFound();
  const record: ProxyRecord = {
    topic,
    ...(partition === undefined ? {} : { partition }),
    key: key.bytes,
    value: value.bytes,
    headers: headersOf(json),
    timestamp,
  };
  const taken = await services.producer.admit(recordBytes(record));
  admitted();
  try {
    const metadata = await services.producer.send(record);
    return {
      error_code: 200,
      cluster_id: request.params["cluster"],
      topic_name: topic,
      partition_id: metadata.partition,
      offset: Number(metadata.offset),
      timestamp: instantText(Number(metadata.timestamp)),
      ...(key.described === null ? {} : { key: key.described }),
      ...(value.described === null ? {} : { value: value.described }),
    };
  } finally {
    services.producer.release(taken);
  }
}

/** A record's failure as its line of the answer. */
function failureLine(error: unknown): Record<string, unknown> {
  const answer = error instanceof RestProxyError ? error : clusterFailure(error);
  return answer.body("v3");
}

/** The streamed produce: reads values as they come, answers each in order. */
async function produceStream(
  request: ProxyRequest,
  services: ProxyServices,
  exchange: HttpExchange,
): Promise<void> {
  const { request: req, response: res } = exchange;
  const splitter = new JsonValueSplitter(services.settings.requestBytesMax);
  let answered = 0;
  let written: Promise<void> = Promise.resolve();
  // The request is read only while every parsed record holds its place in the producer's buffer
  // and the client takes its answers: a stream holds at most a chunk's records besides the buffer.
  let unadmitted = 0;
  let answersBlocked = false;
  const readOn = () => {
    if (unadmitted === 0 && !answersBlocked) req.resume();
  };
  // Answers ready together go out in one write (one chunk, one system call), not one each.
  let ready: string[] = [];
  let flushing = false;
  const flush = () => {
    flushing = false;
    if (ready.length === 0) return;
    if (!res.headersSent) res.writeHead(200, { "content-type": JSON_TYPE });
    const sent = res.write(ready.join(""));
    ready = [];
    if (sent || answersBlocked) return;
    answersBlocked = true;
    res.once("drain", () => {
      answersBlocked = false;
      readOn();
    });
  };
  const write = (line: Record<string, unknown>) => {
    ready.push(`${JSON.stringify(line)}\r\n`);
    if (flushing) return;
    flushing = true;
    setImmediate(flush);
  };
  const answer = (outcome: Promise<Record<string, unknown>>) => {
    answered++;
    // Settled into a line at once: a failure waiting for earlier answers is not an unhandled rejection.
    const line = outcome.catch(failureLine);
    written = written.then(() => line.then(write));
  };
  let allAdmitted: (() => void) | null = null;
  const accept = (text: string) => {
    unadmitted++;
    let counted = true;
    const admitted = () => {
      if (!counted) return;
      counted = false;
      if (--unadmitted === 0) {
        readOn();
        allAdmitted?.();
      }
    };
    answer(produceOne(request, services, text, admitted));
  };
  await new Promise<void>((resolve) => {
    req.on("data", (chunk: Buffer) => {
      for (const text of splitter.push(chunk)) accept(text);
      if (splitter.failure !== null) {
        req.removeAllListeners("data");
        req.resume();
        resolve();
      } else if (unadmitted > 0 || answersBlocked) req.pause();
    });
    req.once("end", () => resolve());
    req.once("error", () => resolve());
  });
  if (unadmitted > 0) await new Promise<void>((resolve) => (allAdmitted = resolve));
  splitter.end();
  if (splitter.failure !== null) answer(Promise.reject(restErrors.badRequest(splitter.failure)));
  if (answered === 0) {
    const empty = restErrors.invalidPayload("Request body is empty. Data is required.");
    res.writeHead(empty.status, { "content-type": JSON_TYPE });
    res.end(JSON.stringify(empty.body("v3")));
    return;
  }
  await written;
  flush();
  res.end();
}

export const v3RecordRoutes: readonly ProxyRoute[] = [
  { method: "POST", path: "/v3/clusters/:cluster/topics/:topic/records", api: "v3", stream: produceStream },
];
