import kafkajs, { CompressionTypes, Kafka, logLevel } from "kafkajs";
import { CompressionType, compress, decompress } from "../../src/protocol/index.js";

/**
 * kafkajs set up for the interop tests: a client with bounded retries and timeouts, quiet unless
 * something fails, and codecs for snappy, lz4 and zstd (kafkajs ships only gzip) implemented with
 * Brook's own compressors, so no extra npm packages are needed.
 */

// kafkajs 2 warns once per process that its default partitioner changed (to the Java-compatible one).
process.env.KAFKAJS_NO_PARTITIONER_WARNING = "1";

const CODECS: [CompressionTypes.Snappy | CompressionTypes.LZ4 | CompressionTypes.ZSTD, number][] = [
  [CompressionTypes.Snappy, CompressionType.snappy],
  [CompressionTypes.LZ4, CompressionType.lz4],
  [CompressionTypes.ZSTD, CompressionType.zstd],
];
// kafkajs's index.js assigns CompressionCodecs in a way Node's CommonJS export detection misses.
const { CompressionCodecs } = kafkajs;
for (const [kafkajsType, brookType] of CODECS) {
  CompressionCodecs[kafkajsType] = () => ({
    compress: async (encoder: { buffer: Buffer }) => compress(brookType, encoder.buffer),
    decompress: async (buffer: Buffer) => decompress(brookType, buffer),
  });
}

/** Every codec kafkajs can produce with, by the name the other clients use for it. */
export const KAFKAJS_CODECS: { name: string; type: CompressionTypes; id: number }[] = [
  { name: "none", type: CompressionTypes.None, id: CompressionType.none },
  { name: "gzip", type: CompressionTypes.GZIP, id: CompressionType.gzip },
  { name: "snappy", type: CompressionTypes.Snappy, id: CompressionType.snappy },
  { name: "lz4", type: CompressionTypes.LZ4, id: CompressionType.lz4 },
  { name: "zstd", type: CompressionTypes.ZSTD, id: CompressionType.zstd },
];

/** Lines kafkajs logged at ERROR, for failure messages. */
export const kafkajsErrors: string[] = [];

export function kafkajsClient(bootstrap: string, clientId = "brook-interop"): Kafka {
  return new Kafka({
    clientId,
    brokers: [bootstrap],
    connectionTimeout: 3000,
    requestTimeout: 10_000,
    retry: { retries: 4, initialRetryTime: 100, maxRetryTime: 1000 },
    logLevel: logLevel.ERROR,
    logCreator:
      () =>
      ({ namespace, log }) => {
        if (kafkajsErrors.length < 200) kafkajsErrors.push(`${namespace}: ${log.message}`);
      },
  });
}
