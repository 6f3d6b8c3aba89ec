import {
  batchCompression,
  CompressionType,
  decodeRecordBatch,
  ErrorCode,
  encodeRecordBatch,
  KafkaError,
  ProtocolDecodeError,
} from "../protocol/index.js";
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
 * stored exactly as sent and this returns the same buffer: it is the only place on the produce
 * path that decodes records, and only when the topic asks for it. Offsets, producer fields,
 * sequence numbers, timestamps and headers carry over unchanged.
 */
export function recompressIfNeeded(records: Buffer, config: LogConfig): Buffer {
  if (config.compressionType === "producer") return records;
  const target = TARGET_CODEC[config.compressionType];
  if (batchCompression(records, 0) === target) return records;
  let batch: ReturnType<typeof decodeRecordBatch>;
  try {
    batch = decodeRecordBatch(records, 0, {
      decompressedBytesMax: Math.max(config.maxMessageBytes * 64, 16 * 1024 * 1024),
    });
  } catch (error) {
    if (error instanceof ProtocolDecodeError) throw new KafkaError(ErrorCode.CORRUPT_MESSAGE, error.message);
    throw error;
  }
  return encodeRecordBatch(
    {
      records: batch.records.map((r) => ({
        key: r.key,
        value: r.value,
        headers: r.headers,
        timestamp: r.timestamp,
        offsetDelta: r.offsetDelta,
      })),
      baseOffset: batch.baseOffset,
      partitionLeaderEpoch: batch.partitionLeaderEpoch,
      compression: target,
      timestampType: batch.timestampType,
      isTransactional: batch.isTransactional,
      isControl: batch.isControl,
      producerId: batch.producerId,
      producerEpoch: batch.producerEpoch,
      baseSequence: batch.baseSequence,
      baseTimestamp: batch.baseTimestamp,
      maxTimestamp: batch.maxTimestamp,
      lastOffsetDelta: batch.lastOffsetDelta,
    },
    {
      ...(config.compressionGzipLevel > 0 ? { gzipLevel: config.compressionGzipLevel } : {}),
      zstdLevel: config.compressionZstdLevel,
    },
  );
}
