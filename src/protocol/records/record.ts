import { ProtocolEncodeError } from "../protocol-error.js";
import type { Reader } from "../reader.js";
import type { Writer } from "../writer.js";
import { CorruptRecordError } from "./record-errors.js";

/**
 * One record inside a magic-2 batch (Kafka's DefaultRecord):
 *   length varint | attributes int8 | timestampDelta varlong | offsetDelta varint |
 *   keyLength varint | key | valueLength varint | value | headerCount varint |
 *   headers: (keyLength varint | key utf8 | valueLength varint | value)*
 * Varints are zigzag. A length of -1 is null (keys, values, header values; header keys cannot be
 * null). `length` counts the bytes after itself and must match what the fields take exactly.
 */
export interface RecordHeader {
  key: string;
  value: Buffer | null;
}

/**
 * A decoded record. `offset` and `timestamp` are absolute (batch base plus delta; under
 * LogAppendTime every record's timestamp is the batch's maxTimestamp). `key`, `value` and header
 * values are views on the batch bytes (uncompressed batches) or on the decompressed payload:
 * copy them to keep them past the life of those buffers.
 * Records of magic 0/1 messages come in the same shape, with attributes of the message and no headers.
 */
export interface Record {
  offset: bigint;
  timestamp: bigint;
  offsetDelta: number;
  timestampDelta: bigint;
  attributes: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: RecordHeader[];
}

/** A record to encode; a decoded Record is one too, so batches can be rewritten keeping offsets. */
export interface RecordInput {
  key?: Buffer | null;
  value: Buffer | null;
  headers?: RecordHeader[];
  /** Absolute timestamp; default the batch's baseTimestamp (or -1 when none is given). */
  timestamp?: bigint;
  /** Default: one more than the previous record's (the first is 0). Must increase strictly. */
  offsetDelta?: number;
}

/** length(1) + attributes(1) + timestampDelta(1) + offsetDelta(1) + key(1) + value(1) + headers(1). */
export const RECORD_BYTES_MIN = 7;
/** Smallest header: key length varint and value length varint. */
const HEADER_BYTES_MIN = 2;

export function sizeOfVarint(v: number): number {
  let raw = v >= 0 ? v * 2 : -v * 2 - 1;
  let bytes = 1;
  while (raw >= 0x80) {
    raw = Math.floor(raw / 128);
    bytes++;
  }
  return bytes;
}

/** Varlongs within int32 range encode exactly like varints, which avoid bigint arithmetic. */
const INT32_MIN_BIG = -0x80000000n;
const INT32_MAX_BIG = 0x7fffffffn;

export function sizeOfVarlong(v: bigint): number {
  if (v >= INT32_MIN_BIG && v <= INT32_MAX_BIG) return sizeOfVarint(Number(v));
  let raw = v >= 0n ? v << 1n : (-v << 1n) - 1n;
  let bytes = 1;
  while (raw >= 0x80n) {
    raw >>= 7n;
    bytes++;
  }
  return bytes;
}

function sizeOfVarintBytes(v: Buffer | null | undefined): number {
  return v == null ? 1 : sizeOfVarint(v.length) + v.length;
}

/** Bytes of a record's body: everything after its length varint. */
export function recordBodyBytes(record: RecordInput, offsetDelta: number, timestampDelta: bigint): number {
  let bytes = 1 + sizeOfVarlong(timestampDelta) + sizeOfVarint(offsetDelta);
  bytes += sizeOfVarintBytes(record.key) + sizeOfVarintBytes(record.value);
  const headers = record.headers;
  bytes += sizeOfVarint(headers === undefined ? 0 : headers.length);
  if (headers !== undefined) {
    for (const header of headers) {
      const keyBytes = Buffer.byteLength(header.key, "utf8");
      bytes += sizeOfVarint(keyBytes) + keyBytes + sizeOfVarintBytes(header.value);
    }
  }
  return bytes;
}

/** Writes one record; `bodyBytes` is recordBodyBytes() of the same arguments. */
export function writeRecord(
  w: Writer,
  record: RecordInput,
  bodyBytes: number,
  offsetDelta: number,
  timestampDelta: bigint,
): void {
  w.varint(bodyBytes).int8(0);
  if (timestampDelta >= INT32_MIN_BIG && timestampDelta <= INT32_MAX_BIG) w.varint(Number(timestampDelta));
  else w.varlong(timestampDelta);
  w.varint(offsetDelta);
  writeVarintBytes(w, record.key);
  writeVarintBytes(w, record.value);
  const headers = record.headers;
  if (headers === undefined) {
    w.varint(0);
    return;
  }
  w.varint(headers.length);
  for (const header of headers) {
    if (typeof header.key !== "string") throw new ProtocolEncodeError("record header keys cannot be null");
    const key = Buffer.from(header.key, "utf8");
    w.varint(key.length).raw(key);
    writeVarintBytes(w, header.value);
  }
}

function writeVarintBytes(w: Writer, v: Buffer | null | undefined): void {
  if (v == null) w.varint(-1);
  else w.varint(v.length).raw(v);
}

/**
 * Reads one record at the reader's position. `logAppendTimestamp` is the batch's maxTimestamp when
 * the batch uses LogAppendTime, else null.
 */
export function readRecord(
  r: Reader,
  baseOffset: bigint,
  baseTimestamp: bigint,
  logAppendTimestamp: bigint | null,
): Record {
  const length = readVarint(r);
  if (length < RECORD_BYTES_MIN - 1 || length > r.end - r.pos) {
    throw new CorruptRecordError(`invalid record length ${length} at ${r.pos}`);
  }
  const end = r.pos + length;
  const attributes = r.int8();
  const timestampDelta = readVarlong(r);
  const offsetDelta = readVarint(r);
  const key = readVarintBytes(r, end);
  const value = readVarintBytes(r, end);
  const headerCount = readVarint(r);
  if (headerCount < 0 || headerCount > (end - r.pos) / HEADER_BYTES_MIN) {
    throw new CorruptRecordError(`invalid record header count ${headerCount}`);
  }
  const headers: RecordHeader[] = [];
  for (let i = 0; i < headerCount; i++) {
    const keyBytes = readVarint(r);
    if (keyBytes < 0 || keyBytes > end - r.pos) {
      throw new CorruptRecordError(`invalid record header key length ${keyBytes}`);
    }
    const headerKey = r.buf.toString("utf8", r.pos, r.pos + keyBytes);
    r.pos += keyBytes;
    headers.push({ key: headerKey, value: readVarintBytes(r, end) });
  }
  if (r.pos !== end) {
    throw new CorruptRecordError(
      `record declares ${length} bytes but its fields take ${r.pos - end + length}`,
    );
  }
  return {
    offset: baseOffset + BigInt(offsetDelta),
    timestamp: logAppendTimestamp ?? baseTimestamp + timestampDelta,
    offsetDelta,
    timestampDelta,
    attributes,
    key,
    value,
    headers,
  };
}

/**
 * A zigzag varint. Up to four bytes (28 bits: every length and delta that fits a batch) are read
 * straight from the buffer; a fifth byte, or the end of the input, goes to the general reader,
 * which range-checks and raises the typed error.
 */
function readVarint(r: Reader): number {
  const buf = r.buf;
  const limit = Math.min(r.end, r.pos + VARINT_FAST_BYTES_MAX);
  let raw = 0;
  for (let pos = r.pos, shift = 0; pos < limit; pos++, shift += 7) {
    const b = buf[pos] as number;
    raw |= (b & 0x7f) << shift;
    if (b < 0x80) {
      r.pos = pos + 1;
      return (raw >>> 1) ^ -(raw & 1);
    }
  }
  return r.varint();
}

const VARINT_FAST_BYTES_MAX = 4;

/** Bytes of a varlong whose 7-bit groups still fit a double exactly (49 bits). */
const VARLONG_NUMBER_BYTES_MAX = 7;

/**
 * A zigzag varlong. Timestamp deltas are small, so they are accumulated as a number and turned
 * into a bigint once; longer encodings go to the general (bigint per byte) reader.
 */
function readVarlong(r: Reader): bigint {
  const buf = r.buf;
  const limit = Math.min(r.end, r.pos + VARLONG_NUMBER_BYTES_MAX);
  let raw = 0;
  let scale = 1;
  for (let pos = r.pos; pos < limit; pos++) {
    const b = buf[pos] as number;
    raw += (b & 0x7f) * scale;
    if (b < 0x80) {
      r.pos = pos + 1;
      return BigInt(raw % 2 === 0 ? raw / 2 : -(raw + 1) / 2);
    }
    scale *= 128;
  }
  return r.varlong();
}

function readVarintBytes(r: Reader, end: number): Buffer | null {
  const length = readVarint(r);
  if (length === -1) return null;
  if (length < -1 || length > end - r.pos)
    throw new CorruptRecordError(`invalid record field length ${length}`);
  const v = r.buf.subarray(r.pos, r.pos + length);
  r.pos += length;
  return v;
}
