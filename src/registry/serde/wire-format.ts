import { ProtocolDecodeError, Reader, Writer } from "../../protocol/index.js";

/**
 * Confluent's framing of a serialized key or value: magic byte 0, the schema id as a signed
 * 32-bit big-endian integer, then the payload. Protobuf payloads start with the message-index
 * path: a count and the indexes, each a zig-zag varint (Kafka's `writeVarint`), where the common
 * path `[0]` is written as the single byte 0 (count 0).
 */

export const WIRE_MAGIC_BYTE = 0;
/** Message indexes nest as deep as messages do; a frame claiming more is corrupt. */
export const MESSAGE_INDEXES_MAX = 256;

export class WireFormatError extends ProtocolDecodeError {
  constructor(message: string) {
    super(message, "BRK_ERR_REGISTRY_WIRE_FORMAT");
    this.name = "WireFormatError";
  }
}

export interface Framed {
  schemaId: number;
  payload: Buffer;
}

export function frame(schemaId: number, payload: Uint8Array, messageIndexes?: readonly number[]): Buffer {
  const writer = new Writer(payload.length + 16).int8(WIRE_MAGIC_BYTE).int32(schemaId);
  if (messageIndexes) writeMessageIndexes(writer, messageIndexes);
  return Buffer.concat([writer.toBuffer(), payload]);
}

export function unframe(bytes: Buffer): Framed {
  if (bytes.length < 5) throw new WireFormatError(`framed value too short: ${bytes.length} bytes`);
  if (bytes[0] !== WIRE_MAGIC_BYTE) throw new WireFormatError(`unknown magic byte ${bytes[0]}`);
  return { schemaId: bytes.readInt32BE(1), payload: bytes.subarray(5) };
}

function writeMessageIndexes(writer: Writer, indexes: readonly number[]): void {
  if (indexes.length === 1 && indexes[0] === 0) {
    writer.varint(0);
    return;
  }
  writer.varint(indexes.length);
  for (const index of indexes) writer.varint(index);
}

/** Reads the message-index path at the start of a Protobuf payload; answers it and the rest. */
export function readMessageIndexes(payload: Buffer): { indexes: number[]; message: Buffer } {
  const reader = new Reader(payload);
  const count = reader.varint();
  if (count < 0 || count > MESSAGE_INDEXES_MAX) throw new WireFormatError(`bad message index count ${count}`);
  const indexes: number[] = [];
  for (let i = 0; i < count; i++) indexes.push(reader.varint());
  return { indexes: count === 0 ? [0] : indexes, message: payload.subarray(reader.pos) };
}
