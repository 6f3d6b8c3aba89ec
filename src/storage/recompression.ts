import { batchCompression, CompressionType, recompressRecordBatch } from "../protocol/index.js";
import type { LogConfig, TopicCompressionType } from "./log-config.js";

const TARGET_CODEC: Record<Exclude<TopicCompressionType, "producer">, number> = {
  uncompressed: CompressionType.none,
  gzip: CompressionType.gzip,
  snappy: CompressionType.snappy,
  lz4: CompressionType.lz4,
  zstd: CompressionType.zstd,
};

/**
 * Re-encodes a producer's batch when the topic's `compression.type` names a codec other than the
 * one the producer used, as Kafka's LogValidator does. With `producer` (the default) batches are
 * stored exactly as sent and this returns the same buffer. `payload` is the batch's records as
 * validation walked them (decompressed when the batch is compressed): they are compressed with
 * the topic's codec under the batch's own header, so offsets, producer fields, sequence numbers,
 * timestamps, headers and every record byte carry over unchanged, and nothing is decompressed
 * twice.
 */
export function recompressIfNeeded(records: Buffer, config: LogConfig, payload: Buffer): Buffer {
  if (config.compressionType === "producer") return records;
  const target = TARGET_CODEC[config.compressionType];
  if (batchCompression(records, 0) === target) return records;
  return recompressRecordBatch(records, 0, payload, target, {
    ...(config.compressionGzipLevel > 0 ? { gzipLevel: config.compressionGzipLevel } : {}),
    zstdLevel: config.compressionZstdLevel,
  });
}
