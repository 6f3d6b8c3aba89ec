import { isUtf8 } from "node:buffer";
import { decodePayload } from "../registry/index.js";
import type { BrowsedRecord } from "./partition-records.js";
import type { SchemaFound, SchemaInfo, SchemaLookup } from "./schema-lookup.js";

/** A key, value or header value as the browser shows it. */
export interface BytesView {
  /** utf8: `data` is the text (the bytes are valid UTF-8); base64: `data` is the bytes in base64. */
  encoding: "utf8" | "base64";
  data: string;
  /** Bytes of the whole field. */
  size: number;
  /** `data` holds only the first maxValueBytes (cut before a character that does not fit). */
  truncated: boolean;
  /** Confluent's wire format (magic byte 0, a 4-byte schema id): the schema, or why it is unknown. */
  schema?: SchemaView;
  /** The bytes read with that schema, as JSON (bytes fields in base64, 64-bit integers exact). */
  decoded?: unknown;
  /** The decoded value's JSON is longer than maxValueBytes: left out, its length given. */
  decodedSize?: number;
}

export interface SchemaView extends Partial<SchemaInfo> {
  id: number;
  /** Why the bytes could not be read with a schema: unknown id, no registry, not matching it. */
  error?: string;
}

export interface HeaderView {
  key: string;
  value: BytesView | null;
}

export interface RecordView {
  partition: number;
  offset: bigint;
  /** Milliseconds since the epoch; -1 when the record has none (old message formats). */
  timestamp: bigint;
  timestampType: "CreateTime" | "LogAppendTime";
  transactional: boolean;
  /** Present (true) only on records of aborted transactions, which read_uncommitted shows. */
  aborted?: true;
  key: BytesView | null;
  value: BytesView | null;
  headers: HeaderView[];
}

/** Bytes of the wire format's prefix: magic byte 0, then the schema id as a big-endian int32. */
const WIRE_PREFIX_BYTES = 5;
/** Decoded values nest at most this deep in the answer (Avro and Protobuf allow recursion). */
const DECODED_DEPTH_MAX = 64;
/** JSON punctuation and field names of one record, for the answer's size estimate. */
const RECORD_OVERHEAD_BYTES = 200;

/**
 * Builds the views of one answer's records: text or base64, cut to maxValueBytes, Confluent-framed
 * keys and values decoded with their schema (each id looked up once per answer). `bytes` is an
 * estimate of the JSON written so far, which the caller bounds.
 */
export class RecordViews {
  bytes = 0;
  private readonly schemas = new Map<string, SchemaFound>();
  private readonly lookup: SchemaLookup;
  private readonly topic: string;
  private readonly maxValueBytes: number;

  constructor(lookup: SchemaLookup, topic: string, maxValueBytes: number) {
    this.lookup = lookup;
    this.topic = topic;
    this.maxValueBytes = maxValueBytes;
  }

  view(record: BrowsedRecord): RecordView {
    this.bytes += RECORD_OVERHEAD_BYTES;
    const view: RecordView = {
      partition: record.partition,
      offset: record.offset,
      timestamp: record.timestamp,
      timestampType: record.timestampType,
      transactional: record.transactional,
      key: this.bytesView(record.key, `${this.topic}-key`),
      value: this.bytesView(record.value, `${this.topic}-value`),
      headers: record.headers.map((h) => {
        this.bytes += h.key.length;
        return { key: h.key, value: this.bytesView(h.value, null) };
      }),
    };
    if (record.aborted) view.aborted = true;
    return view;
  }

  private bytesView(bytes: Buffer | null, subject: string | null): BytesView | null {
    if (bytes === null) return null;
    const text = isUtf8(bytes);
    const shown = text ? utf8Cut(bytes, this.maxValueBytes) : Math.min(bytes.length, this.maxValueBytes);
    const view: BytesView = {
      encoding: text ? "utf8" : "base64",
      data: bytes.toString(text ? "utf8" : "base64", 0, shown),
      size: bytes.length,
      truncated: shown < bytes.length,
    };
    this.bytes += view.data.length;
    if (subject !== null) this.readFramed(bytes, subject, view);
    return view;
  }

  /** Adds the schema and the decoded value of a Confluent-framed field. */
  private readFramed(bytes: Buffer, subject: string, view: BytesView): void {
    if (bytes.length < WIRE_PREFIX_BYTES || bytes[0] !== 0) return;
    const id = bytes.readInt32BE(1);
    // Registries hand out ids from 1: bytes that start 0 with a lower "id" are no schema's frame.
    if (id < 1) return;
    const key = `${id}\u0000${subject}`;
    let found = this.schemas.get(key);
    if (found === undefined) {
      found = this.lookup.find(id, subject);
      this.schemas.set(key, found);
    }
    if ("error" in found) {
      view.schema = { id, error: found.error };
      return;
    }
    view.schema = { ...found.info };
    let decoded: unknown;
    try {
      decoded = jsonValue(decodePayload(found.parsed, bytes.subarray(WIRE_PREFIX_BYTES)), 0);
    } catch (error) {
      view.schema.error = `not readable with schema ${id}: ${error instanceof Error ? error.message : String(error)}`;
      return;
    }
    const size = Buffer.byteLength(
      JSON.stringify(decoded, (_k, v) => (typeof v === "bigint" ? String(v) : v)),
    );
    if (size > this.maxValueBytes) {
      view.decodedSize = size;
      return;
    }
    view.decoded = decoded;
    this.bytes += size;
  }
}

/** How many of the first `max` bytes can be shown without splitting a UTF-8 character. */
function utf8Cut(bytes: Buffer, max: number): number {
  if (bytes.length <= max) return bytes.length;
  let end = max;
  // Continuation bytes are 10xxxxxx; a character takes at most 4 bytes.
  while (end > 0 && end > max - 3 && ((bytes[end] as number) & 0xc0) === 0x80) end--;
  return end;
}

/**
 * A decoded value as plain JSON data: bytes (Avro bytes and fixed, Protobuf bytes) as base64
 * rather than Node's `{type: "Buffer", data: [...]}`, maps as objects, bigints kept for the
 * answer's writer (exact up to 2^53, decimal strings beyond), non-finite numbers as strings.
 */
function jsonValue(value: unknown, depth: number): unknown {
  if (value === null || value === undefined) return null;
  if (typeof value === "number") return Number.isFinite(value) ? value : String(value);
  if (typeof value === "string" || typeof value === "boolean" || typeof value === "bigint") return value;
  if (depth >= DECODED_DEPTH_MAX) return "…";
  if (value instanceof Uint8Array)
    return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString("base64");
  if (Array.isArray(value)) return value.map((v) => jsonValue(v, depth + 1));
  if (value instanceof Map) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of value) out[String(k)] = jsonValue(v, depth + 1);
    return out;
  }
  if (typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = jsonValue(v, depth + 1);
    return out;
  }
  return String(value);
}
