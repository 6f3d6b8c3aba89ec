import { mediaType, negotiateMediaType, type ProducedType } from "../registry/index.js";

/**
 * The content types of Confluent's REST Proxy: v2 names the API version and the embedded format
 * of the records a body carries (`application/vnd.kafka.binary.v2+json`), v3 is plain
 * `application/json`. Negotiation follows Jersey's, which kafka-rest runs on: a request body in a
 * type the resource does not consume is 415, an Accept header that admits none of the types it
 * produces is 406. Where Confluent's documentation permits less specific types
 * (`application/vnd.kafka+json`, `application/json`, `application/octet-stream`), they are
 * accepted as the generic v2 type.
 */

export const V2_JSON = "application/vnd.kafka.v2+json";
export const JSON_TYPE = "application/json";

/** The embedded formats of API v2 (v3's record types add STRING). */
export const EMBEDDED_FORMATS = ["binary", "json", "avro", "jsonschema", "protobuf"] as const;
export type EmbeddedFormat = (typeof EMBEDDED_FORMATS)[number];

export function isEmbeddedFormat(name: string): name is EmbeddedFormat {
  return (EMBEDDED_FORMATS as readonly string[]).includes(name);
}

/** Formats whose records are Confluent-framed with a schema id from the Schema Registry. */
export function usesSchema(format: EmbeddedFormat): boolean {
  return format === "avro" || format === "jsonschema" || format === "protobuf";
}

export function embeddedType(format: EmbeddedFormat): string {
  return `application/vnd.kafka.${format}.v2+json`;
}

/** Types accepted as a v2 body without an embedded format. */
const GENERIC_REQUEST_TYPES: ReadonlySet<string> = new Set([
  V2_JSON,
  "application/vnd.kafka+json",
  JSON_TYPE,
  "application/octet-stream",
]);

/**
 * The embedded format a v2 request body's Content-Type names; null for the generic types (and no
 * Content-Type at all, which Jersey treats as matching any resource); undefined when the type is
 * not one the proxy consumes (415).
 */
export function requestFormat(contentType: string | undefined): EmbeddedFormat | null | undefined {
  if (contentType === undefined || contentType.trim() === "") return null;
  const type = mediaType(contentType);
  if (GENERIC_REQUEST_TYPES.has(type)) return null;
  const match = /^application\/vnd\.kafka\.([a-z]+)(?:\.v2)?\+json$/.exec(type);
  const name = match?.[1];
  return name !== undefined && isEmbeddedFormat(name) ? name : undefined;
}

/** What v2's metadata, produce and consumer resources answer in (`KAFKA_V2_JSON_WEIGHTED`). */
const V2_PRODUCED: readonly ProducedType[] = [
  { type: V2_JSON, qs: 0.9 },
  { type: JSON_TYPE, qs: 0.5 },
];

/** The Content-Type of a v2 answer for an Accept header; undefined: 406. */
export function v2ResponseType(accept: string | undefined): string | undefined {
  return negotiateMediaType(accept, V2_PRODUCED);
}

/**
 * GET .../records: kafka-rest has one method per format and Jersey picks by Accept. The binary
 * one also produces the generic v2 type and is preferred (the others are weighted `qs=0.1`), so
 * an Accept of `*\/*` or none reads binary, and an instance of another format then answers
 * 40601.
 */
const RECORDS_PRODUCED: readonly ProducedType[] = [
  { type: embeddedType("binary"), qs: 1 },
  { type: V2_JSON, qs: 0.9 },
  { type: JSON_TYPE, qs: 0.5 },
  ...EMBEDDED_FORMATS.filter((f) => f !== "binary").map((f) => ({ type: embeddedType(f), qs: 0.1 })),
];

/** The format and Content-Type a records read answers in, or undefined for 406. */
export function recordsResponse(
  accept: string | undefined,
): { format: EmbeddedFormat; contentType: string } | undefined {
  const type = negotiateMediaType(accept, RECORDS_PRODUCED);
  if (type === undefined) return undefined;
  const format = requestFormat(type) ?? "binary";
  return { format, contentType: embeddedType(format) };
}

const V3_PRODUCED: readonly ProducedType[] = [{ type: JSON_TYPE, qs: 1 }];

export function v3ResponseType(accept: string | undefined): string | undefined {
  return negotiateMediaType(accept, V3_PRODUCED);
}

/** v3 bodies are `application/json` only (a missing Content-Type is taken as it, as Jersey matches it). */
export function isV3RequestType(contentType: string | undefined): boolean {
  return contentType === undefined || contentType.trim() === "" || mediaType(contentType) === JSON_TYPE;
}
