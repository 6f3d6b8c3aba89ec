import { createRequire } from "node:module";
import { CompressionError } from "./record-errors.js";
import { xxhash32 } from "./xxhash32.js";

/**
 * LZ4 frames (the LZ4 Frame Format, v1.6), as Kafka compresses batches with codec 3.
 *
 * Layout: magic 0x184D2204 (LE) | FLG | BD | [content size u64 LE] | HC | blocks | EndMark 0 |
 * [content checksum]. FLG: version (bits 7-6, must be 01), block independence (5), block checksum
 * (4), content size (3), content checksum (2), dictionary id (0). BD bits 6-4 give the block
 * maximum size (4 = 64 KiB .. 7 = 4 MiB). Each block is a u32 LE size (high bit set = stored
 * uncompressed), its bytes, and an XXH32 of those bytes when FLG asks for block checksums. HC is
 * the second byte of XXH32 over FLG..content size.
 *
 * Why frames are walked here rather than handed to `decompressFrameSync`: that call cannot bound
 * its output (a 10 KB frame can expand to gigabytes before it returns), and it rejects the frames
 * of Kafka's magic-0 messages, whose HC was computed over the magic number too (KIP-57). Walking
 * block by block lets every block decode into at most min(block maximum, what the cap has left),
 * and lets the legacy path skip HC as Kafka does for magic 0. Blocks go to lz4-napi's block
 * decoder; linked blocks (block independence unset) get the previous 64 KiB as their dictionary.
 * Content checksums are skipped, as Kafka skips them: the batch CRC already covers these bytes.
 */
const require = createRequire(import.meta.url);
interface Lz4 {
  compressFrameSync(data: Buffer): Buffer;
  uncompressSync(data: Uint8Array, dict?: Uint8Array): Buffer;
}
let lz4Module: Lz4 | undefined;
// Loaded on first use: a broker whose clients never use lz4 never maps the library (nor its threads).
const lz4 = (): Lz4 => (lz4Module ??= require("lz4-napi") as Lz4);

const LZ4_FRAME_MAGIC = 0x184d2204;
const FLG_VERSION_MASK = 0xc0;
const FLG_VERSION_01 = 0x40;
const FLG_BLOCK_INDEPENDENT = 0x20;
const FLG_BLOCK_CHECKSUM = 0x10;
const FLG_CONTENT_SIZE = 0x08;
const FLG_CONTENT_CHECKSUM = 0x04;
const FLG_RESERVED = 0x02;
const FLG_DICTIONARY_ID = 0x01;
const BD_RESERVED = 0x8f;
const BLOCK_UNCOMPRESSED = 0x80000000;
/** Linked blocks may refer back this far into earlier output. */
const LINKED_WINDOW_BYTES = 64 * 1024;
/**
 * An LZ4 block expands at most ~255:1 (each 0xFF match-length byte adds 255 bytes); sizing the
 * output of a block by this bound keeps a small block from reserving a whole 4 MiB.
 */
const BLOCK_EXPANSION_MAX = 256;
const BLOCK_EXPANSION_SLACK_BYTES = 64;

export function lz4CompressFrame(data: Buffer): Buffer {
  return lz4().compressFrameSync(data);
}

export interface Lz4DecompressOptions {
  decompressedBytesMax: number;
  /** Accept any header checksum: Kafka's magic-0 messages carry a wrong one (KIP-57). */
  ignoreHeaderChecksum?: boolean;
}

/** Decodes one or more concatenated LZ4 frames. */
export function lz4DecompressFrame(data: Buffer, options: Lz4DecompressOptions): Buffer {
  const state: FrameState = { chunks: [], produced: 0, cap: options.decompressedBytesMax };
  let at = 0;
  do {
    at = decodeFrame(data, at, state, options.ignoreHeaderChecksum === true);
  } while (at < data.length);
  if (state.chunks.length === 1) return state.chunks[0] as Buffer;
  return Buffer.concat(state.chunks, state.produced);
}

interface FrameState {
  chunks: Buffer[];
  produced: number;
  cap: number;
}

interface FrameHeader {
  flags: number;
  blockBytesMax: number;
  contentBytes: number | null;
  /** Where the first block starts. */
  end: number;
}

function corrupt(message: string): CompressionError {
  return new CompressionError(`lz4: ${message}`, "BRK_ERR_COMPRESSION_CORRUPT");
}

function tooLarge(cap: number): CompressionError {
  return new CompressionError(
    `lz4: decompressed size exceeds the limit of ${cap} bytes`,
    "BRK_ERR_COMPRESSION_TOO_LARGE",
  );
}

function readFrameHeader(data: Buffer, at: number, ignoreHeaderChecksum: boolean): FrameHeader {
  if (data.length - at < 7) throw corrupt("truncated frame header");
  if (data.readUInt32LE(at) !== LZ4_FRAME_MAGIC) throw corrupt("bad frame magic");
  const flags = data[at + 4] as number;
  const bd = data[at + 5] as number;
  if ((flags & FLG_VERSION_MASK) !== FLG_VERSION_01) throw corrupt("unsupported frame version");
  if ((flags & FLG_RESERVED) !== 0 || (bd & BD_RESERVED) !== 0) throw corrupt("reserved bits set");
  if ((flags & FLG_DICTIONARY_ID) !== 0) throw corrupt("frames that need a dictionary are not supported");
  const sizeId = (bd >> 4) & 0x07;
  if (sizeId < 4) throw corrupt(`invalid block maximum size id ${sizeId}`);
  const blockBytesMax = 1 << (8 + 2 * sizeId);
  let end = at + 6;
  let contentBytes: number | null = null;
  if ((flags & FLG_CONTENT_SIZE) !== 0) {
    if (data.length - end < 9) throw corrupt("truncated frame header");
    const declared = data.readBigUInt64LE(end);
    contentBytes = declared > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(declared);
    end += 8;
  }
  const hc = data[end] as number;
  if (!ignoreHeaderChecksum && hc !== ((xxhash32(data.subarray(at + 4, end)) >>> 8) & 0xff)) {
    throw corrupt("frame header checksum mismatch");
  }
  return { flags, blockBytesMax, contentBytes, end: end + 1 };
}

function decodeFrame(data: Buffer, at: number, state: FrameState, ignoreHeaderChecksum: boolean): number {
  const header = readFrameHeader(data, at, ignoreHeaderChecksum);
  if (header.contentBytes !== null && state.produced + header.contentBytes > state.cap) {
    throw tooLarge(state.cap);
  }
  const frameStart = state.produced;
  const linked = (header.flags & FLG_BLOCK_INDEPENDENT) === 0;
  const blockChecksum = (header.flags & FLG_BLOCK_CHECKSUM) !== 0;
  // Scratch for "u32 LE size + block": lz4-napi's block decoder wants the output size up front.
  const scratch = Buffer.allocUnsafe(4 + Math.min(header.blockBytesMax, data.length));
  at = header.end;
  // Each iteration consumes at least the 4-byte block size, so the loop ends with the input.
  for (;;) {
    if (data.length - at < 4) throw corrupt("truncated block size");
    const word = data.readUInt32LE(at);
    at += 4;
    if (word === 0) break;
    const blockBytes = word & ~BLOCK_UNCOMPRESSED;
    if (blockBytes > header.blockBytesMax) throw corrupt(`block of ${blockBytes} bytes exceeds the maximum`);
    if (data.length - at < blockBytes + (blockChecksum ? 4 : 0)) throw corrupt("truncated block");
    const block = data.subarray(at, at + blockBytes);
    at += blockBytes;
    if (blockChecksum) {
      if (xxhash32(block) !== data.readUInt32LE(at)) throw corrupt("block checksum mismatch");
      at += 4;
    }
    const output =
      (word & BLOCK_UNCOMPRESSED) !== 0
        ? block
        : decodeBlock(block, header.blockBytesMax, scratch, state, linked);
    if (state.produced + output.length > state.cap) throw tooLarge(state.cap);
    state.chunks.push(output);
    state.produced += output.length;
  }
  if ((header.flags & FLG_CONTENT_CHECKSUM) !== 0) {
    if (data.length - at < 4) throw corrupt("truncated content checksum");
    at += 4;
  }
  if (header.contentBytes !== null && state.produced - frameStart !== header.contentBytes) {
    throw corrupt("content size does not match the frame header");
  }
  return at;
}

function decodeBlock(
  block: Buffer,
  blockBytesMax: number,
  scratch: Buffer,
  state: FrameState,
  linked: boolean,
): Buffer {
  const capLeft = state.cap - state.produced;
  const bound = Math.min(blockBytesMax, block.length * BLOCK_EXPANSION_MAX + BLOCK_EXPANSION_SLACK_BYTES);
  const outputBytesMax = Math.min(bound, capLeft);
  scratch.writeUInt32LE(outputBytesMax, 0);
  block.copy(scratch, 4);
  const input = scratch.subarray(0, 4 + block.length);
  try {
    return linked && state.produced > 0
      ? lz4().uncompressSync(input, linkedDictionary(state.chunks))
      : lz4().uncompressSync(input);
  } catch {
    // With room reduced to what the cap allows, "output too small" means the cap was reached.
    if (outputBytesMax < bound) throw tooLarge(state.cap);
    throw corrupt("invalid block");
  }
}

/** The last 64 KiB of output, which a linked block may copy from. */
function linkedDictionary(chunks: readonly Buffer[]): Buffer {
  const parts: Buffer[] = [];
  let bytes = 0;
  for (let i = chunks.length - 1; i >= 0 && bytes < LINKED_WINDOW_BYTES; i--) {
    const chunk = chunks[i] as Buffer;
    const take = Math.min(chunk.length, LINKED_WINDOW_BYTES - bytes);
    parts.push(chunk.subarray(chunk.length - take));
    bytes += take;
  }
  if (parts.length === 1) return parts[0] as Buffer;
  return Buffer.concat(parts.reverse(), bytes);
}
