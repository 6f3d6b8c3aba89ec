import { gunzipSync, gzipSync } from "node:zlib";
import { assert } from "../../base/index.js";
import { CompressionType } from "./batch-header.js";
import { lz4CompressFrame, lz4DecompressFrame } from "./lz4-frame.js";
import { CompressionError } from "./record-errors.js";
import { type SnappyFraming, snappyCompress, snappyDecompress } from "./snappy-codec.js";
import { zstdCompress, zstdDecompress } from "./zstd-codec.js";

/**
 * Compression of record payloads by Kafka's compression type id (the low three bits of a batch's
 * attributes): 0 none, 1 gzip, 2 snappy, 3 lz4, 4 zstd.
 *
 * What Brook writes:
 * - gzip: a single gzip member at zlib's default level 6, Kafka's default (compression.gzip.level).
 * - snappy: xerial framing by default, byte-compatible with what snappy-java (Apache Kafka's broker
 *   and the Java producer) writes, so whatever a client reads from Kafka it reads from Brook; every
 *   client that talks to Kafka must therefore already accept it (librdkafka, sarama, franz-go and
 *   kafkajs-snappy read both framings). `snappyFraming: "raw"` writes the single raw block that
 *   librdkafka writes.
 * - lz4: the LZ4 frame format with independent blocks and no checksums (lz4-napi), which Kafka's
 *   KafkaLZ4BlockInputStream reads.
 * - zstd: one frame with its content size, level 3 (Kafka's default).
 *
 * Decompression is bounded: `decompressedBytesMax` (default DECOMPRESSED_BYTES_MAX_DEFAULT) caps
 * the output, and each codec is driven so that nothing much larger is ever allocated (zlib's
 * maxOutputLength; Snappy's declared length checked before decoding; LZ4 block by block; zstd's
 * declared content size or a bounded stream). Passing the cap raises CompressionError
 * BRK_ERR_COMPRESSION_TOO_LARGE.
 */

/**
 * Default cap on the decompressed size of one batch's records. Kafka's default max.message.bytes is
 * 1 MiB of compressed bytes; 64 MiB leaves room for a 60:1 ratio while keeping a bomb from taking
 * the process's memory.
 */
export const DECOMPRESSED_BYTES_MAX_DEFAULT = 64 * 1024 * 1024;

export interface CompressOptions {
  /** Snappy framing to write; "xerial" (the default) matches Apache Kafka. */
  snappyFraming?: SnappyFraming;
  /** gzip level 1-9 (default 6, Kafka's default). */
  gzipLevel?: number;
  /** zstd level (default 3, Kafka's default). */
  zstdLevel?: number;
}

export interface DecompressOptions {
  /** The largest output accepted; more raises BRK_ERR_COMPRESSION_TOO_LARGE. */
  decompressedBytesMax?: number;
  /** LZ4 only: skip the frame header checksum, which Kafka's magic-0 messages got wrong (KIP-57). */
  lz4IgnoreHeaderChecksum?: boolean;
}

const compressionNames = ["none", "gzip", "snappy", "lz4", "zstd"] as const;

export function isCompressionType(id: number): id is CompressionType {
  return Number.isInteger(id) && id >= 0 && id < compressionNames.length;
}

/** Kafka's name for a compression type id ("none", "gzip", ...), as topic configs spell it. */
export function compressionName(id: number): string {
  return isCompressionType(id) ? compressionNames[id] : `unknown(${id})`;
}

function unsupported(id: number): CompressionError {
  return new CompressionError(`unsupported compression type id ${id}`, "BRK_ERR_COMPRESSION_UNSUPPORTED");
}

export function compress(compression: number, data: Buffer, options: CompressOptions = {}): Buffer {
  switch (compression) {
    case CompressionType.none:
      return data;
    case CompressionType.gzip:
      return gzipSync(data, options.gzipLevel === undefined ? {} : { level: options.gzipLevel });
    case CompressionType.snappy:
      return snappyCompress(data, options.snappyFraming ?? "xerial");
    case CompressionType.lz4:
      return lz4CompressFrame(data);
    case CompressionType.zstd:
      return zstdCompress(data, options.zstdLevel);
    default:
      throw unsupported(compression);
  }
}

export function decompress(compression: number, data: Buffer, options: DecompressOptions = {}): Buffer {
  const cap = options.decompressedBytesMax ?? DECOMPRESSED_BYTES_MAX_DEFAULT;
  assert(Number.isSafeInteger(cap) && cap >= 0, () => `decompressedBytesMax must be a byte count: ${cap}`);
  switch (compression) {
    case CompressionType.none:
      if (data.length > cap) throw tooLarge("none", cap);
      return data;
    case CompressionType.gzip:
      return gzipDecompress(data, cap);
    case CompressionType.snappy:
      return snappyDecompress(data, cap);
    case CompressionType.lz4:
      return lz4DecompressFrame(data, {
        decompressedBytesMax: cap,
        ignoreHeaderChecksum: options.lz4IgnoreHeaderChecksum === true,
      });
    case CompressionType.zstd:
      return zstdDecompress(data, cap);
    default:
      throw unsupported(compression);
  }
}

function gzipDecompress(data: Buffer, cap: number): Buffer {
  let output: Buffer;
  try {
    // zlib refuses maxOutputLength 0; an empty result still fits a cap of 1.
    output = gunzipSync(data, { maxOutputLength: Math.max(cap, 1) });
  } catch (error) {
    if ((error as { code?: unknown }).code === "ERR_BUFFER_TOO_LARGE") throw tooLarge("gzip", cap);
    throw new CompressionError(`gzip: ${(error as Error).message}`, "BRK_ERR_COMPRESSION_CORRUPT");
  }
  if (output.length > cap) throw tooLarge("gzip", cap);
  return output;
}

function tooLarge(codec: string, cap: number): CompressionError {
  return new CompressionError(
    `${codec}: decompressed size exceeds the limit of ${cap} bytes`,
    "BRK_ERR_COMPRESSION_TOO_LARGE",
  );
}
