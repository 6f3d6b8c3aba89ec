import { crc32 } from "node:zlib";

/**
 * Test-only encoders for magic 0/1 message sets (Brook never writes them), following Kafka's "old
 * message format" documentation: offset int64 | size int32 | crc | magic | attributes |
 * [timestamp] | key bytes | value bytes, CRC32 over magic..end.
 */
export interface LegacyMessageInput {
  offset: bigint;
  magic: 0 | 1;
  attributes?: number;
  timestamp?: bigint;
  key: Buffer | null;
  value: Buffer | null;
}

function bytesField(v: Buffer | null): Buffer {
  const length = Buffer.alloc(4);
  length.writeInt32BE(v === null ? -1 : v.length);
  return v === null ? length : Buffer.concat([length, v]);
}

export function encodeLegacyEntry(m: LegacyMessageInput): Buffer {
  const head = Buffer.alloc(m.magic === 1 ? 10 : 2);
  head.writeInt8(m.magic, 0);
  head.writeInt8(m.attributes ?? 0, 1);
  if (m.magic === 1) head.writeBigInt64BE(m.timestamp ?? -1n, 2);
  const body = Buffer.concat([head, bytesField(m.key), bytesField(m.value)]);
  const prefix = Buffer.alloc(16);
  prefix.writeBigInt64BE(m.offset, 0);
  prefix.writeInt32BE(body.length + 4, 8);
  prefix.writeUInt32BE(crc32(body) >>> 0, 12);
  return Buffer.concat([prefix, body]);
}

export function encodeLegacySet(messages: readonly LegacyMessageInput[]): Buffer {
  return Buffer.concat(messages.map(encodeLegacyEntry));
}
