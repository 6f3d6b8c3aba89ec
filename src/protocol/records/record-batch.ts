import { assert } from "../../base/index.js";
import { ErrorCode } from "../error-codes.js";
import { ProtocolDecodeError, ProtocolEncodeError } from "../protocol-error.js";
import { Reader } from "../reader.js";
import { Writer } from "../writer.js";
import {
  ATTRIBUTE_COMPRESSION_MASK,
  ATTRIBUTE_CONTROL,
  ATTRIBUTE_DELETE_HORIZON,
  ATTRIBUTE_TIMESTAMP_TYPE_LOG_APPEND,
  ATTRIBUTE_TRANSACTIONAL,
  BATCH_HEADER_BYTES,
  BATCH_OFFSET_ATTRIBUTES,
  BATCH_OFFSET_CRC,
  BATCH_OFFSET_LENGTH,
  CompressionType,
  LOG_OVERHEAD_BYTES,
  NO_PARTITION_LEADER_EPOCH,
  NO_PRODUCER_EPOCH,
  NO_PRODUCER_ID,
  NO_SEQUENCE,
} from "./batch-header.js";
import {
  type CompressOptions,
  compress,
  DECOMPRESSED_BYTES_MAX_DEFAULT,
  decompress,
  isCompressionType,
} from "./compression.js";
import { crc32c } from "./crc32c.js";
import {
  RECORD_BYTES_MIN,
  type Record,
  type RecordInput,
  readRecord,
  recordBodyBytes,
  writeRecord,
} from "./record.js";
import { CompressionError, CorruptRecordError } from "./record-errors.js";

/**
 * Record batches, magic 2 (Kafka's DefaultRecordBatch). The header layout is in batch-header.ts;
 * the records follow it, compressed as one payload when the attributes name a codec.
 *
 * Decoding checks every length and count against the bytes that remain (the batch, or the
 * decompressed payload, which is itself capped), so malformed input raises CorruptRecordError or
 * CompressionError and never allocates beyond its own size plus the cap. Records of an uncompressed
 * batch are views on the input bytes.
 *
 * Encoding computes lastOffsetDelta, maxTimestamp and the CRC32C (once, natively) unless the caller
 * fixes them, which is how compaction rewrites a batch while keeping its offsets and timestamps.
 */

export type TimestampType = "CreateTime" | "LogAppendTime";

/** Timestamp of a magic-0 message, or of a record produced without one. */
export const NO_TIMESTAMP = -1n;

export interface RecordBatchHeader {
  baseOffset: bigint;
  /** Bytes after the batchLength field; the batch occupies batchLength + 12 bytes. */
  batchLength: number;
  partitionLeaderEpoch: number;
  magic: number;
  crc: number;
  attributes: number;
  compression: number;
  timestampType: TimestampType;
  isTransactional: boolean;
  isControl: boolean;
  lastOffsetDelta: number;
  baseTimestamp: bigint;
  maxTimestamp: bigint;
  producerId: bigint;
  producerEpoch: number;
  baseSequence: number;
  /** As the header says; decodeRecordBatch checks it against the records (the header alone does not). */
  recordsCount: number;
  /** Set by compaction (KIP-534): when tombstones and markers may go. It is then the baseTimestamp. */
  deleteHorizonMs: bigint | null;
}

export interface RecordBatch extends RecordBatchHeader {
  records: Record[];
}

export interface DecodeRecordBatchOptions {
  /** Check the CRC (default true). */
  verifyCrc?: boolean;
  /** Cap on the decompressed records payload (default DECOMPRESSED_BYTES_MAX_DEFAULT). */
  decompressedBytesMax?: number;
  /**
   * decodeRecordBatch only: the most records one batch may decode into (default
   * BATCH_RECORDS_COUNT_MAX_DEFAULT). Each decoded record costs a few hundred bytes of heap, far
   * more than its 7-byte minimum encoding, so this bounds what a small compressed batch can cost.
   */
  recordsCountMax?: number;
}

/**
 * Default limit on the records one batch decodes into at once: above what producers batch (librdkafka
 * sends at most 10,000 per batch by default, Java ~16 KiB), while keeping a decoded batch to a few
 * hundred megabytes of heap. iterateRecords has no such limit.
 */
export const BATCH_RECORDS_COUNT_MAX_DEFAULT = 1_000_000;

export interface RecordBatchInput {
  records: RecordInput[];
  baseOffset?: bigint;
  partitionLeaderEpoch?: number;
  compression?: number;
  timestampType?: TimestampType;
  isTransactional?: boolean;
  isControl?: boolean;
  producerId?: bigint;
  producerEpoch?: number;
  baseSequence?: number;
  /** Default: the first record's timestamp. */
  baseTimestamp?: bigint;
  /** Default: the largest record timestamp (set it to the append time for LogAppendTime). */
  maxTimestamp?: bigint;
  /** Default: the last record's offsetDelta. Compaction keeps the original last offset. */
  lastOffsetDelta?: number;
  /** Marks the batch with a delete horizon, which becomes its baseTimestamp (KIP-534); null: none. */
  deleteHorizonMs?: bigint | null;
}

export function decodeRecordBatchHeader(buf: Buffer, at = 0): RecordBatchHeader {
  if (at < 0 || buf.length - at < BATCH_HEADER_BYTES) {
    throw new CorruptRecordError(
      `record batch header needs ${BATCH_HEADER_BYTES} bytes, have ${buf.length - at}`,
      "BRK_ERR_RECORD_TRUNCATED",
    );
  }
  const r = new Reader(buf, at);
  const baseOffset = r.int64();
  const batchLength = r.int32();
  const partitionLeaderEpoch = r.int32();
  const magic = r.int8();
  if (magic !== 2) {
    throw new CorruptRecordError(`record batch magic ${magic} is not 2`, "BRK_ERR_RECORD_MAGIC_UNSUPPORTED");
  }
  if (batchLength < BATCH_HEADER_BYTES - LOG_OVERHEAD_BYTES) {
    throw new CorruptRecordError(`record batch length ${batchLength} is shorter than its header`);
  }
  if (batchLength > buf.length - at - LOG_OVERHEAD_BYTES) {
    throw new CorruptRecordError(
      `record batch of ${batchLength + LOG_OVERHEAD_BYTES} bytes runs past the end of ${buf.length - at} bytes`,
      "BRK_ERR_RECORD_TRUNCATED",
    );
  }
  const crc = r.uint32();
  const attributes = r.int16();
  const lastOffsetDelta = r.int32();
  const baseTimestamp = r.int64();
  const maxTimestamp = r.int64();
  const producerId = r.int64();
  const producerEpoch = r.int16();
  const baseSequence = r.int32();
  const recordsCount = r.int32();
  return {
    baseOffset,
    batchLength,
    partitionLeaderEpoch,
    magic,
    crc,
    attributes,
    compression: attributes & ATTRIBUTE_COMPRESSION_MASK,
    timestampType: (attributes & ATTRIBUTE_TIMESTAMP_TYPE_LOG_APPEND) !== 0 ? "LogAppendTime" : "CreateTime",
    isTransactional: (attributes & ATTRIBUTE_TRANSACTIONAL) !== 0,
    isControl: (attributes & ATTRIBUTE_CONTROL) !== 0,
    lastOffsetDelta,
    baseTimestamp,
    maxTimestamp,
    producerId,
    producerEpoch,
    baseSequence,
    recordsCount,
    deleteHorizonMs: (attributes & ATTRIBUTE_DELETE_HORIZON) !== 0 ? baseTimestamp : null,
  };
}

/** Decodes the batch at `at`, records included. */
export function decodeRecordBatch(buf: Buffer, at = 0, options: DecodeRecordBatchOptions = {}): RecordBatch {
  const countMax = options.recordsCountMax ?? BATCH_RECORDS_COUNT_MAX_DEFAULT;
  const { header, payload } = openRecordBatch(buf, at, options, countMax);
  const records: Record[] = [];
  const cursor = new RecordCursor(payload, header);
  // The count was checked against the payload size and the limit above.
  while (cursor.hasNext()) records.push(cursor.next());
  return { ...header, records };
}

/**
 * The records of the batch at `at`, one at a time: for consumers that want memory bounded by one
 * record rather than by the batch (no record-count limit applies). The whole batch is checked (CRC,
 * decompression cap) before the first record; a malformed record throws when reached.
 */
export function* iterateRecords(
  buf: Buffer,
  at = 0,
  options: DecodeRecordBatchOptions = {},
): Generator<Record, void, undefined> {
  const { header, payload } = openRecordBatch(buf, at, options, Number.POSITIVE_INFINITY);
  const cursor = new RecordCursor(payload, header);
  while (cursor.hasNext()) yield cursor.next();
}

/** Checks the batch and returns its header and its records' bytes, decompressed. */
function openRecordBatch(
  buf: Buffer,
  at: number,
  options: DecodeRecordBatchOptions,
  countMax: number,
): { header: RecordBatchHeader; payload: Buffer } {
  const header = decodeRecordBatchHeader(buf, at);
  const end = at + header.batchLength + LOG_OVERHEAD_BYTES;
  if (options.verifyCrc !== false) {
    const computed = crc32c(buf.subarray(at + BATCH_OFFSET_ATTRIBUTES, end));
    if (computed !== header.crc) {
      throw new CorruptRecordError(
        `record batch at offset ${header.baseOffset} has CRC ${header.crc}, computed ${computed}`,
        "BRK_ERR_RECORD_CRC_MISMATCH",
      );
    }
  }
  if (!isCompressionType(header.compression)) {
    throw new CorruptRecordError(`record batch names unknown compression type id ${header.compression}`);
  }
  let payload = buf.subarray(at + BATCH_HEADER_BYTES, end);
  const compressed = header.compression !== CompressionType.none && payload.length > 0;
  if (!compressed) checkRecordsFit(header.recordsCount, payload);
  if (header.recordsCount > countMax) {
    throw new CorruptRecordError(
      `record batch holds ${header.recordsCount} records, more than the limit of ${countMax}`,
      "BRK_ERR_RECORD_TOO_MANY",
      ErrorCode.MESSAGE_TOO_LARGE,
    );
  }
  if (compressed) {
    payload = decompress(header.compression, payload, {
      decompressedBytesMax: options.decompressedBytesMax ?? DECOMPRESSED_BYTES_MAX_DEFAULT,
    });
    checkRecordsFit(header.recordsCount, payload);
  }
  return { header, payload };
}

function checkRecordsFit(count: number, payload: Buffer): void {
  if (count < 0 || count > payload.length / RECORD_BYTES_MIN) {
    throw new CorruptRecordError(`${count} records cannot fit in ${payload.length} bytes`);
  }
}

/**
 * Reads exactly `recordsCount` records that must fill the payload. Reader errors (a varint that
 * runs past the end) become CorruptRecordErrors, so every failure maps to CORRUPT_MESSAGE.
 */
class RecordCursor {
  private readonly r: Reader;
  private readonly header: RecordBatchHeader;
  private readonly logAppendTimestamp: bigint | null;
  private read = 0;

  constructor(payload: Buffer, header: RecordBatchHeader) {
    this.r = new Reader(payload);
    this.header = header;
    this.logAppendTimestamp = header.timestampType === "LogAppendTime" ? header.maxTimestamp : null;
  }

  hasNext(): boolean {
    if (this.read < this.header.recordsCount) return true;
    if (this.r.remaining !== 0) {
      throw new CorruptRecordError(`${this.r.remaining} bytes follow the last of ${this.read} records`);
    }
    return false;
  }

  next(): Record {
    const { baseOffset, baseTimestamp } = this.header;
    try {
      const record = readRecord(this.r, baseOffset, baseTimestamp, this.logAppendTimestamp);
      this.read++;
      return record;
    } catch (error) {
      if (error instanceof CorruptRecordError || !(error instanceof ProtocolDecodeError)) throw error;
      throw new CorruptRecordError(`record ${this.read}: ${error.message}`);
    }
  }
}

/** Encodes a magic-2 batch. An empty batch (producer state kept by compaction) is never compressed. */
export function encodeRecordBatch(input: RecordBatchInput, options: CompressOptions = {}): Buffer {
  const plan = planBatch(input);
  const records = input.records;
  const compression =
    records.length === 0 ? CompressionType.none : (input.compression ?? CompressionType.none);
  if (!isCompressionType(compression)) {
    throw new CompressionError(
      `unsupported compression type id ${compression}`,
      "BRK_ERR_COMPRESSION_UNSUPPORTED",
    );
  }
  let out: Buffer;
  if (compression === CompressionType.none) {
    const w = new Writer(BATCH_HEADER_BYTES + plan.recordsBytes);
    w.raw(EMPTY_HEADER);
    writeRecords(w, records, plan);
    out = w.toBuffer();
    assert(out.length === BATCH_HEADER_BYTES + plan.recordsBytes, "record sizes were computed wrong");
  } else {
    const w = new Writer(plan.recordsBytes);
    writeRecords(w, records, plan);
    const payload = compress(compression, w.toBuffer(), options);
    out = Buffer.allocUnsafe(BATCH_HEADER_BYTES + payload.length);
    payload.copy(out, BATCH_HEADER_BYTES);
  }
  writeBatchHeader(out, input, plan, compression);
  return out;
}

const EMPTY_HEADER = Buffer.alloc(BATCH_HEADER_BYTES);

/**
 * The batch at `at` under another codec, from its records payload (`payload`: the records area as
 * the batch holds it when uncompressed, else decompressed). Every header field is kept but the
 * codec bits, batchLength and CRC; the records' bytes are the same, so nothing about a record
 * changes (what a decode and re-encode would normalize, such as an overlong varint, stays). An
 * empty payload is stored uncompressed, as encodeRecordBatch stores an empty batch.
 */
export function recompressRecordBatch(
  buf: Buffer,
  at: number,
  payload: Buffer,
  compression: number,
  options: CompressOptions = {},
): Buffer {
  const codec = payload.length === 0 ? CompressionType.none : compression;
  const body = codec === CompressionType.none ? payload : compress(codec, payload, options);
  const out = Buffer.allocUnsafe(BATCH_HEADER_BYTES + body.length);
  buf.copy(out, 0, at, at + BATCH_HEADER_BYTES);
  body.copy(out, BATCH_HEADER_BYTES);
  out.writeInt32BE(out.length - LOG_OVERHEAD_BYTES, BATCH_OFFSET_LENGTH);
  const attributes = out.readInt16BE(BATCH_OFFSET_ATTRIBUTES);
  out.writeInt16BE((attributes & ~ATTRIBUTE_COMPRESSION_MASK) | codec, BATCH_OFFSET_ATTRIBUTES);
  out.writeUInt32BE(crc32c(out.subarray(BATCH_OFFSET_ATTRIBUTES)), BATCH_OFFSET_CRC);
  return out;
}

/** What encoding derives from the input before writing anything. */
interface BatchPlan {
  baseTimestamp: bigint;
  maxTimestamp: bigint;
  lastOffsetDelta: number;
  offsetDeltas: number[];
  timestampDeltas: bigint[];
  bodyBytes: number[];
  recordsBytes: number;
}

function planBatch(input: RecordBatchInput): BatchPlan {
  const records = input.records;
  const defaultTimestamp = input.baseTimestamp ?? NO_TIMESTAMP;
  const baseTimestamp =
    input.deleteHorizonMs ?? input.baseTimestamp ?? records[0]?.timestamp ?? defaultTimestamp;
  const plan: BatchPlan = {
    baseTimestamp,
    maxTimestamp: baseTimestamp,
    lastOffsetDelta: 0,
    offsetDeltas: [],
    timestampDeltas: [],
    bodyBytes: [],
    recordsBytes: 0,
  };
  let previousDelta = -1;
  let maxTimestamp: bigint | undefined;
  for (const record of records) {
    const offsetDelta = record.offsetDelta ?? previousDelta + 1;
    if (!Number.isInteger(offsetDelta) || offsetDelta <= previousDelta || offsetDelta > INT32_MAX) {
      throw new ProtocolEncodeError(`offsetDelta ${offsetDelta} does not follow ${previousDelta}`);
    }
    previousDelta = offsetDelta;
    const timestamp = record.timestamp ?? defaultTimestamp;
    if (maxTimestamp === undefined || timestamp > maxTimestamp) maxTimestamp = timestamp;
    const timestampDelta = timestamp - baseTimestamp;
    const bodyBytes = recordBodyBytes(record, offsetDelta, timestampDelta);
    plan.offsetDeltas.push(offsetDelta);
    plan.timestampDeltas.push(timestampDelta);
    plan.bodyBytes.push(bodyBytes);
    plan.recordsBytes += bodyBytes + sizeOfLength(bodyBytes);
  }
  plan.maxTimestamp = input.maxTimestamp ?? maxTimestamp ?? baseTimestamp;
  plan.lastOffsetDelta = input.lastOffsetDelta ?? Math.max(previousDelta, 0);
  if (!Number.isInteger(plan.lastOffsetDelta) || plan.lastOffsetDelta < previousDelta) {
    throw new ProtocolEncodeError(`lastOffsetDelta ${plan.lastOffsetDelta} is before the last record`);
  }
  return plan;
}

const INT32_MAX = 0x7fffffff;

function sizeOfLength(bodyBytes: number): number {
  let raw = bodyBytes * 2;
  let bytes = 1;
  while (raw >= 0x80) {
    raw = Math.floor(raw / 128);
    bytes++;
  }
  return bytes;
}

function writeRecords(w: Writer, records: readonly RecordInput[], plan: BatchPlan): void {
  for (let i = 0; i < records.length; i++) {
    writeRecord(
      w,
      records[i] as RecordInput,
      plan.bodyBytes[i] as number,
      plan.offsetDeltas[i] as number,
      plan.timestampDeltas[i] as bigint,
    );
  }
}

function writeBatchHeader(out: Buffer, input: RecordBatchInput, plan: BatchPlan, compression: number): void {
  let attributes = compression;
  if (input.timestampType === "LogAppendTime") attributes |= ATTRIBUTE_TIMESTAMP_TYPE_LOG_APPEND;
  if (input.isTransactional === true) attributes |= ATTRIBUTE_TRANSACTIONAL;
  if (input.isControl === true) attributes |= ATTRIBUTE_CONTROL;
  if (input.deleteHorizonMs != null) attributes |= ATTRIBUTE_DELETE_HORIZON;
  const w = new Writer(BATCH_HEADER_BYTES);
  w.int64(checkInt64("baseOffset", input.baseOffset ?? 0n))
    .int32(out.length - LOG_OVERHEAD_BYTES)
    .int32(checkInt("partitionLeaderEpoch", input.partitionLeaderEpoch ?? NO_PARTITION_LEADER_EPOCH, 32))
    .int8(2)
    .uint32(0)
    .int16(attributes)
    .int32(checkInt("lastOffsetDelta", plan.lastOffsetDelta, 32))
    .int64(checkInt64("baseTimestamp", plan.baseTimestamp))
    .int64(checkInt64("maxTimestamp", plan.maxTimestamp))
    .int64(checkInt64("producerId", input.producerId ?? NO_PRODUCER_ID))
    .int16(checkInt("producerEpoch", input.producerEpoch ?? NO_PRODUCER_EPOCH, 16))
    .int32(checkInt("baseSequence", input.baseSequence ?? NO_SEQUENCE, 32))
    .int32(input.records.length);
  w.toBuffer().copy(out, 0);
  out.writeUInt32BE(crc32c(out.subarray(BATCH_OFFSET_ATTRIBUTES)), BATCH_OFFSET_CRC);
}

function checkInt(name: string, v: number, bits: 16 | 32): number {
  const max = 2 ** (bits - 1);
  if (!Number.isInteger(v) || v < -max || v >= max)
    throw new ProtocolEncodeError(`${name} ${v} is not an int${bits}`);
  return v;
}

function checkInt64(name: string, v: bigint): bigint {
  if (v < -(2n ** 63n) || v >= 2n ** 63n) throw new ProtocolEncodeError(`${name} ${v} is not an int64`);
  return v;
}
