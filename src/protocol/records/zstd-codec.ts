import { createRequire } from "node:module";
import { CompressionError } from "./record-errors.js";

/**
 * Zstandard through zstd-napi's low-level binding, because its convenience `decompress` sizes the
 * output from the frame header without any bound.
 *
 * Decoding sums the content sizes the frames declare; when every frame declares one, the sum is
 * checked against the cap and the data decodes in one call into an exact buffer (zstd verifies the
 * declared size). Frames without a declared size (streaming compressors such as zstd-jni, which
 * the Java producer uses) decode by streaming into chunks, stopping once the cap is passed. The
 * window the decoder may allocate is capped too (`windowLogMax`), since a frame without a content
 * size can otherwise ask for a 128 MiB window (or 2 GiB with long-distance matching).
 */
const require = createRequire(import.meta.url);

interface StreamResult {
  0: number;
  1: number;
  2: number;
}
interface DCtx {
  decompress(target: Uint8Array, source: Uint8Array): number;
  decompressStream(target: Uint8Array, source: Uint8Array): StreamResult;
  setParameter(parameter: number, value: number): void;
  reset(directive: number): void;
}
interface CCtx {
  compress(target: Uint8Array, source: Uint8Array, level: number): number;
}
interface ZstdBinding {
  DCtx: new () => DCtx;
  CCtx: new () => CCtx;
  DParameter: { windowLogMax: number };
  ResetDirective: { sessionOnly: number; sessionAndParameters: number };
  getFrameContentSize(frame: Uint8Array): number | null;
  findFrameCompressedSize(frame: Uint8Array): number;
  compressBound(sourceBytes: number): number;
  dStreamOutSize(): number;
}
let zstdModule: ZstdBinding | undefined;
// Loaded on first use: a broker whose clients never use zstd never maps the library.
const binding = (): ZstdBinding => (zstdModule ??= require("zstd-napi/binding") as ZstdBinding);

/** Kafka's default zstd level (compression.zstd.level). */
export const ZSTD_LEVEL_DEFAULT = 3;
/** Window logs the decoder accepts at least: zstd's levels 1-19 use at most 2^23 (8 MiB). */
const WINDOW_LOG_FLOOR = 23;
/** zstd's own default limit on the window a decoder accepts without long-distance mode. */
const WINDOW_LOG_CEILING = 27;

let decoder: DCtx | undefined;
let encoder: CCtx | undefined;

export function zstdCompress(data: Buffer, level = ZSTD_LEVEL_DEFAULT): Buffer {
  encoder ??= new (binding().CCtx)();
  const target = Buffer.allocUnsafe(binding().compressBound(data.length));
  const written = encoder.compress(target, data, level);
  return target.subarray(0, written);
}

export function zstdDecompress(data: Buffer, decompressedBytesMax: number): Buffer {
  decoder ??= new (binding().DCtx)();
  decoder.reset(binding().ResetDirective.sessionAndParameters);
  decoder.setParameter(binding().DParameter.windowLogMax, windowLogMax(decompressedBytesMax));
  const declared = declaredContentBytes(data, decompressedBytesMax);
  try {
    if (declared === null) return decodeStreaming(decoder, data, decompressedBytesMax);
    const target = Buffer.allocUnsafe(declared);
    const written = decoder.decompress(target, data);
    if (written !== declared) throw corrupt("content size does not match the frame header");
    return target;
  } catch (error) {
    if (error instanceof CompressionError) throw error;
    throw corrupt((error as Error).message);
  }
}

/** The cap rounded up to a power of two, within [2^23, 2^27]. */
function windowLogMax(decompressedBytesMax: number): number {
  const log = Math.ceil(Math.log2(Math.max(decompressedBytesMax, 1)));
  return Math.min(WINDOW_LOG_CEILING, Math.max(WINDOW_LOG_FLOOR, log));
}

/** The sum of the frames' declared content sizes, or null when a frame declares none. */
function declaredContentBytes(data: Buffer, decompressedBytesMax: number): number | null {
  let total = 0;
  let at = 0;
  // Each frame is at least a few bytes long (findFrameCompressedSize never returns 0).
  while (at < data.length) {
    const frame = data.subarray(at);
    let contentBytes: number | null;
    let frameBytes: number;
    try {
      contentBytes = binding().getFrameContentSize(frame);
      if (contentBytes === null) return null;
      frameBytes = binding().findFrameCompressedSize(frame);
    } catch (error) {
      throw corrupt((error as Error).message);
    }
    if (frameBytes <= 0) throw corrupt("empty frame");
    total += contentBytes;
    if (total > decompressedBytesMax) throw tooLarge(decompressedBytesMax);
    at += frameBytes;
  }
  if (data.length === 0) throw corrupt("no frame");
  return total;
}

function decodeStreaming(dctx: DCtx, data: Buffer, decompressedBytesMax: number): Buffer {
  const chunks: Buffer[] = [];
  let produced = 0;
  let input = data;
  // Every iteration consumes input or produces output (else it throws), and output is capped.
  for (;;) {
    const room = Math.min(
      Math.max(binding().dStreamOutSize(), input.length),
      decompressedBytesMax - produced + 1,
    );
    const chunk = Buffer.allocUnsafe(room);
    const [pending, written, consumed] = dctx.decompressStream(chunk, input) as [number, number, number];
    produced += written;
    if (produced > decompressedBytesMax) throw tooLarge(decompressedBytesMax);
    if (written > 0) chunks.push(chunk.subarray(0, written));
    input = input.subarray(consumed);
    if (input.length === 0 && written < room) {
      if (pending !== 0) throw corrupt("truncated frame");
      break;
    }
    if (written === 0 && consumed === 0) throw corrupt("decoder made no progress");
  }
  return chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, produced);
}

function corrupt(message: string): CompressionError {
  return new CompressionError(`zstd: ${message}`, "BRK_ERR_COMPRESSION_CORRUPT");
}

function tooLarge(cap: number): CompressionError {
  return new CompressionError(
    `zstd: decompressed size exceeds the limit of ${cap} bytes`,
    "BRK_ERR_COMPRESSION_TOO_LARGE",
  );
}
