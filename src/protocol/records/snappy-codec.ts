import { createRequire } from "node:module";
import { CompressionError } from "./record-errors.js";

/**
 * Snappy as Kafka clients write it, in two framings:
 * - raw: one Snappy block, whose preamble is the uncompressed length as an unsigned LEB128 varint
 *   (librdkafka, sarama and kafkajs codecs write this);
 * - xerial (snappy-java's SnappyOutputStream, which the Java producer and Apache Kafka's broker
 *   write): magic 0x82 'S' 'N' 'A' 'P' 'P' 'Y' 0x00, int32 BE version (1), int32 BE compatible
 *   version (1), then blocks each prefixed by its int32 BE compressed length, each block holding at
 *   most 32 KiB of input. snappy-java also accepts a second header in place of a block length
 *   (concatenated streams), so the reader here does too.
 *
 * Decoding detects xerial by its magic. Every block's preamble is checked against what the
 * caller's cap has left before the native decoder allocates it.
 */
const require = createRequire(import.meta.url);
interface Snappy {
  compressSync(data: Uint8Array): Buffer;
  uncompressSync(data: Uint8Array, options: { asBuffer: true }): Buffer;
}
let snappyModule: Snappy | undefined;
// Loaded on first use: a broker whose clients never use snappy never maps the library.
const snappy = (): Snappy => (snappyModule ??= require("snappy") as Snappy);

export const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
const XERIAL_HEADER_BYTES = 16;
const XERIAL_VERSION = 1;
const XERIAL_COMPATIBLE_VERSION = 1;
/** snappy-java's default block size, which Kafka's broker uses. */
export const XERIAL_BLOCK_BYTES = 32 * 1024;
/** The first four magic bytes, as the int32 a block length would be read as. */
const XERIAL_MAGIC_HEAD = XERIAL_MAGIC.readInt32BE(0);

export type SnappyFraming = "xerial" | "raw";

export function snappyCompress(data: Buffer, framing: SnappyFraming): Buffer {
  if (framing === "raw") return snappy().compressSync(data);
  const parts: Buffer[] = [];
  const header = Buffer.allocUnsafe(XERIAL_HEADER_BYTES);
  XERIAL_MAGIC.copy(header, 0);
  header.writeInt32BE(XERIAL_VERSION, 8);
  header.writeInt32BE(XERIAL_COMPATIBLE_VERSION, 12);
  parts.push(header);
  let bytes = XERIAL_HEADER_BYTES;
  for (let at = 0; at < data.length; at += XERIAL_BLOCK_BYTES) {
    const block = snappy().compressSync(data.subarray(at, at + XERIAL_BLOCK_BYTES));
    const length = Buffer.allocUnsafe(4);
    length.writeInt32BE(block.length, 0);
    parts.push(length, block);
    bytes += 4 + block.length;
  }
  return Buffer.concat(parts, bytes);
}

export function isXerialFramed(data: Buffer): boolean {
  return data.length >= XERIAL_HEADER_BYTES && data.compare(XERIAL_MAGIC, 0, 8, 0, 8) === 0;
}

export function snappyDecompress(data: Buffer, decompressedBytesMax: number): Buffer {
  if (!isXerialFramed(data)) return decodeRawBlock(data, decompressedBytesMax);
  const chunks: Buffer[] = [];
  let produced = 0;
  let at = XERIAL_HEADER_BYTES;
  // Each iteration consumes at least four bytes, so the loop ends with the input.
  while (at < data.length) {
    if (data.length - at < 4) throw corrupt("truncated xerial block length");
    const blockBytes = data.readInt32BE(at);
    if (blockBytes === XERIAL_MAGIC_HEAD && isXerialFramed(data.subarray(at))) {
      at += XERIAL_HEADER_BYTES;
      continue;
    }
    at += 4;
    if (blockBytes < 0 || blockBytes > data.length - at) throw corrupt("xerial block runs past the end");
    if (blockBytes === 0) continue;
    const block = decodeRawBlock(data.subarray(at, at + blockBytes), decompressedBytesMax - produced);
    at += blockBytes;
    chunks.push(block);
    produced += block.length;
  }
  if (chunks.length === 1) return chunks[0] as Buffer;
  return Buffer.concat(chunks, produced);
}

function decodeRawBlock(block: Buffer, decompressedBytesMax: number): Buffer {
  const length = rawPreambleLength(block);
  if (length > decompressedBytesMax) {
    throw new CompressionError(
      `snappy: decompressed size ${length} exceeds the limit`,
      "BRK_ERR_COMPRESSION_TOO_LARGE",
    );
  }
  let output: Buffer;
  try {
    output = snappy().uncompressSync(block, { asBuffer: true });
  } catch {
    throw corrupt("invalid block");
  }
  if (output.length !== length) throw corrupt("block length does not match its preamble");
  return output;
}

/** The uncompressed length a raw Snappy block declares: a varint of at most 32 bits. */
function rawPreambleLength(block: Buffer): number {
  let value = 0;
  for (let i = 0; i < 5; i++) {
    if (i >= block.length) throw corrupt("truncated block preamble");
    const b = block[i] as number;
    value += (b & 0x7f) * 2 ** (7 * i);
    if ((b & 0x80) === 0) {
      if (value > 0xffffffff) throw corrupt("block preamble exceeds 32 bits");
      return value;
    }
  }
  throw corrupt("block preamble longer than 5 bytes");
}

function corrupt(message: string): CompressionError {
  return new CompressionError(`snappy: ${message}`, "BRK_ERR_COMPRESSION_CORRUPT");
}
