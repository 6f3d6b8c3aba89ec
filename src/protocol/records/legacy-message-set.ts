import { crc32 } from "node:zlib";
import {
  ATTRIBUTE_COMPRESSION_MASK,
  ATTRIBUTE_TIMESTAMP_TYPE_LOG_APPEND,
  CompressionType,
  LOG_OVERHEAD_BYTES,
  NO_PARTITION_LEADER_EPOCH,
  NO_PRODUCER_EPOCH,
  NO_PRODUCER_ID,
  NO_SEQUENCE,
} from "./batch-header.js";
import { DECOMPRESSED_BYTES_MAX_DEFAULT, decompress } from "./compression.js";
import type { Record } from "./record.js";
import { type DecodeRecordBatchOptions, NO_TIMESTAMP, type RecordBatch } from "./record-batch.js";
import { CompressionError, CorruptRecordError } from "./record-errors.js";

/**
 * Message sets of magic 0 and 1 (Kafka before 0.11), read so that consumers and tools handle logs
 * and fetches of every age. Brook never writes them.
 *
 * An entry is offset int64 | messageSize int32 | message, and a message is
 *   crc uint32 | magic int8 | attributes int8 | [timestamp int64, magic 1] | key bytes | value bytes
 * where bytes are an int32 length (-1 = null) and the data. The CRC is CRC32 (not C) over magic to
 * the end. Attributes: codec in bits 0-2 (none, gzip, snappy, lz4; zstd needs magic 2), timestamp
 * type in bit 3 (magic 1).
 *
 * A compressed "wrapper" message holds a whole inner message set in its value. Its own offset is
 * that of the last inner message. Inner offsets are absolute for magic 0, and relative (0..n-1)
 * for magic 1 (KIP-31), where absolute = wrapperOffset - lastInnerOffset + innerOffset. Under
 * LogAppendTime the wrapper's timestamp is every inner message's timestamp (KIP-32). LZ4 wrappers
 * of magic 0 carry a wrong frame header checksum (KIP-57), so it is not checked for them.
 *
 * Each entry decodes to a RecordBatch (as Kafka's legacy batches present themselves): one record
 * for a plain message, the inner records for a wrapper; producer fields are "none", magic-0
 * timestamps are -1 (NO_TIMESTAMP) with timestampType "CreateTime".
 */

const MESSAGE_BYTES_MIN = [14, 22] as const;
const MESSAGE_OFFSET_CRC = 0;
const MESSAGE_OFFSET_MAGIC = 4;

interface LegacyMessage {
  offset: bigint;
  /** messageSize + 12. */
  size: number;
  crc: number;
  magic: number;
  attributes: number;
  timestamp: bigint;
  key: Buffer | null;
  value: Buffer | null;
}

function readBytes(buf: Buffer, at: number, end: number): { bytes: Buffer | null; end: number } {
  if (end - at < 4) throw new CorruptRecordError(`message field length at ${at} runs past the message`);
  const length = buf.readInt32BE(at);
  if (length === -1) return { bytes: null, end: at + 4 };
  if (length < -1 || length > end - at - 4) {
    throw new CorruptRecordError(`invalid message field length ${length} at ${at}`);
  }
  return { bytes: buf.subarray(at + 4, at + 4 + length), end: at + 4 + length };
}

/** Reads the entry at `at`: its offset, size prefix and message, checking lengths and the CRC. */
function readMessage(buf: Buffer, at: number, verifyCrc: boolean): LegacyMessage {
  if (buf.length - at < LOG_OVERHEAD_BYTES + MESSAGE_BYTES_MIN[0]) {
    throw new CorruptRecordError(`message set entry at ${at} is cut short`, "BRK_ERR_RECORD_TRUNCATED");
  }
  const offset = buf.readBigInt64BE(at);
  const messageBytes = buf.readInt32BE(at + 8);
  const start = at + LOG_OVERHEAD_BYTES;
  const magic = buf.readInt8(start + MESSAGE_OFFSET_MAGIC);
  if (magic !== 0 && magic !== 1) {
    throw new CorruptRecordError(`message magic ${magic} is not 0 or 1`, "BRK_ERR_RECORD_MAGIC_UNSUPPORTED");
  }
  if (messageBytes < MESSAGE_BYTES_MIN[magic])
    throw new CorruptRecordError(`invalid message size ${messageBytes}`);
  if (messageBytes > buf.length - start) {
    throw new CorruptRecordError(
      `message of ${messageBytes} bytes runs past the end`,
      "BRK_ERR_RECORD_TRUNCATED",
    );
  }
  const end = start + messageBytes;
  const crc = buf.readUInt32BE(start + MESSAGE_OFFSET_CRC);
  if (verifyCrc) {
    const computed = crc32(buf.subarray(start + MESSAGE_OFFSET_MAGIC, end)) >>> 0;
    if (computed !== crc) {
      throw new CorruptRecordError(
        `message at offset ${offset} has CRC ${crc}, computed ${computed}`,
        "BRK_ERR_RECORD_CRC_MISMATCH",
      );
    }
  }
  const attributes = buf.readInt8(start + 5);
  let cursor = start + 6;
  let timestamp = NO_TIMESTAMP;
  if (magic === 1) {
    timestamp = buf.readBigInt64BE(cursor);
    cursor += 8;
  }
  const key = readBytes(buf, cursor, end);
  const value = readBytes(buf, key.end, end);
  if (value.end !== end) throw new CorruptRecordError(`message at offset ${offset} has trailing bytes`);
  return {
    offset,
    size: messageBytes + LOG_OVERHEAD_BYTES,
    crc,
    magic,
    attributes,
    timestamp,
    key: key.bytes,
    value: value.bytes,
  };
}

function toRecord(message: LegacyMessage, offset: bigint, timestamp: bigint): Record {
  return {
    offset,
    timestamp,
    offsetDelta: 0,
    timestampDelta: 0n,
    attributes: message.attributes,
    key: message.key,
    value: message.value,
    headers: [],
  };
}

/** Decodes the magic 0/1 entry at `at`; a compressed wrapper yields its inner records. */
export function decodeLegacyEntry(buf: Buffer, at = 0, options: DecodeRecordBatchOptions = {}): RecordBatch {
  const verifyCrc = options.verifyCrc !== false;
  const wrapper = readMessage(buf, at, verifyCrc);
  const compression = wrapper.attributes & ATTRIBUTE_COMPRESSION_MASK;
  const logAppendTime =
    wrapper.magic === 1 && (wrapper.attributes & ATTRIBUTE_TIMESTAMP_TYPE_LOG_APPEND) !== 0;
  const records =
    compression === CompressionType.none
      ? [toRecord(wrapper, wrapper.offset, wrapper.timestamp)]
      : innerRecords(wrapper, compression, logAppendTime, options);
  const first = records[0] as Record;
  const last = records[records.length - 1] as Record;
  for (const record of records) {
    record.offsetDelta = Number(record.offset - first.offset);
    record.timestampDelta = record.timestamp - first.timestamp;
  }
  return {
    baseOffset: first.offset,
    batchLength: wrapper.size - LOG_OVERHEAD_BYTES,
    partitionLeaderEpoch: NO_PARTITION_LEADER_EPOCH,
    magic: wrapper.magic,
    crc: wrapper.crc,
    attributes: wrapper.attributes,
    compression,
    timestampType: logAppendTime ? "LogAppendTime" : "CreateTime",
    isTransactional: false,
    isControl: false,
    lastOffsetDelta: Number(last.offset - first.offset),
    baseTimestamp: first.timestamp,
    maxTimestamp: compression === CompressionType.none ? first.timestamp : wrapper.timestamp,
    producerId: NO_PRODUCER_ID,
    producerEpoch: NO_PRODUCER_EPOCH,
    baseSequence: NO_SEQUENCE,
    recordsCount: records.length,
    deleteHorizonMs: null,
    records,
  };
}

function innerRecords(
  wrapper: LegacyMessage,
  compression: number,
  logAppendTime: boolean,
  options: DecodeRecordBatchOptions,
): Record[] {
  if (compression === CompressionType.zstd) {
    throw new CompressionError("zstd needs magic 2", "BRK_ERR_COMPRESSION_UNSUPPORTED");
  }
  if (compression > CompressionType.zstd) {
    throw new CorruptRecordError(`message names unknown compression type id ${compression}`);
  }
  if (wrapper.value === null) throw new CorruptRecordError("compressed message has a null value");
  const inner = decompress(compression, wrapper.value, {
    decompressedBytesMax: options.decompressedBytesMax ?? DECOMPRESSED_BYTES_MAX_DEFAULT,
    lz4IgnoreHeaderChecksum: wrapper.magic === 0,
  });
  const messages: LegacyMessage[] = [];
  // Every entry takes at least 26 bytes, so the loop ends with the decompressed bytes.
  for (let at = 0; at < inner.length; ) {
    const message = readMessage(inner, at, options.verifyCrc !== false);
    if ((message.attributes & ATTRIBUTE_COMPRESSION_MASK) !== CompressionType.none) {
      throw new CorruptRecordError("a compressed message holds another compressed message");
    }
    messages.push(message);
    at += message.size;
  }
  const last = messages[messages.length - 1];
  if (last === undefined) throw new CorruptRecordError("compressed message holds no messages");
  const relative = wrapper.magic === 1;
  const offsetBase = relative ? wrapper.offset - last.offset : 0n;
  const records: Record[] = [];
  for (const message of messages) {
    const timestamp = logAppendTime
      ? wrapper.timestamp
      : message.magic === 1
        ? message.timestamp
        : NO_TIMESTAMP;
    records.push(toRecord(message, offsetBase + message.offset, timestamp));
  }
  return records;
}

/**
 * Decodes a whole magic 0/1 message set (every complete entry; a cut-off entry at the end, as a
 * fetch may return, is left out).
 */
export function decodeLegacyMessageSet(buf: Buffer, options: DecodeRecordBatchOptions = {}): RecordBatch[] {
  const batches: RecordBatch[] = [];
  let at = 0;
  // Each entry takes at least 26 bytes, so the loop ends with the buffer.
  while (buf.length - at >= LOG_OVERHEAD_BYTES) {
    const size = buf.readInt32BE(at + 8) + LOG_OVERHEAD_BYTES;
    if (size > buf.length - at) break;
    batches.push(decodeLegacyEntry(buf, at, options));
    at += size;
  }
  return batches;
}
