import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { test } from "node:test";
import fc from "fast-check";
import {
  CompressionType,
  compress,
  decodeRecordBatch,
  decompress,
  encodeRecordBatch,
  type RecordBatchInput,
} from "../../../src/protocol/index.js";

/**
 * kafkajs as an independent oracle: its own record batch encoder (gzip through node:zlib) must
 * produce batches Brook decodes to the exact records, and its own decoder must read Brook's
 * batches. kafkajs ships only gzip; for the other codecs its codec table is given Brook's
 * compressors, so those cases check the batch container rather than the codec.
 */
const require = createRequire(import.meta.url);
const { RecordBatch } = require("kafkajs/src/protocol/recordBatch/v0/index.js") as {
  RecordBatch: (args: object) => Promise<{ buffer: Buffer }>;
};
const KafkaJsRecord = require("kafkajs/src/protocol/recordBatch/record/v0/index.js") as (
  args: object,
) => unknown;
const decodeKafkaJsBatch = require("kafkajs/src/protocol/recordBatch/v0/decoder.js") as (
  decoder: unknown,
) => Promise<KafkaJsBatch>;
const KafkaJsDecoder = require("kafkajs/src/protocol/decoder.js") as new (buf: Buffer) => unknown;
const Long = require("kafkajs/src/utils/long.js") as { fromValue(v: bigint | number | string): unknown };
const { Codecs } = require("kafkajs/src/protocol/message/compression/index.js") as {
  Codecs: { [id: number]: () => unknown };
};

interface KafkaJsBatch {
  firstOffset: string;
  lastOffsetDelta: number;
  producerId: string;
  inTransaction: boolean;
  records: {
    offset: string;
    timestamp: string;
    key: Buffer | null;
    value: Buffer | null;
    headers: { [key: string]: Buffer | Buffer[] };
  }[];
}

for (const id of [CompressionType.snappy, CompressionType.lz4, CompressionType.zstd]) {
  Codecs[id] = () => ({
    compress: async (encoder: { buffer: Buffer }) => compress(id, encoder.buffer),
    decompress: async (buf: Buffer) => decompress(id, buf),
  });
}

const RUNS = Number(process.env.BROOK_PROPERTY_RUNS ?? 25);

const recordsArbitrary = fc.array(
  fc.record({
    key: fc.option(fc.string({ maxLength: 30 }), { nil: null }),
    value: fc.option(fc.string({ maxLength: 200 }), { nil: null }),
    timestampDelta: fc.integer({ min: -100_000, max: 100_000 }),
    headers: fc.dictionary(
      fc.string({ minLength: 1, maxLength: 10 }).filter((k) => !(k in {})),
      fc.string({ maxLength: 20 }),
      { maxKeys: 3 },
    ),
  }),
  { minLength: 1, maxLength: 30 },
);

test("Brook decodes batches encoded by kafkajs (gzip) to the exact records", async () => {
  await fc.assert(
    fc.asyncProperty(recordsArbitrary, fc.bigInt(0n, 2n ** 40n), async (records, firstOffset) => {
      const firstTimestamp = 1_700_000_000_000;
      const buf = (
        await RecordBatch({
          compression: CompressionType.gzip,
          firstOffset: Long.fromValue(firstOffset),
          firstTimestamp,
          maxTimestamp: firstTimestamp,
          lastOffsetDelta: records.length - 1,
          producerId: Long.fromValue(-1n),
          records: records.map((r, i) =>
            KafkaJsRecord({
              offsetDelta: i,
              timestampDelta: r.timestampDelta,
              key: r.key,
              value: r.value,
              headers: r.headers,
            }),
          ),
        })
      ).buffer;
      const batch = decodeRecordBatch(buf);
      assert.equal(batch.compression, CompressionType.gzip);
      assert.equal(batch.baseOffset, firstOffset);
      assert.deepEqual(
        batch.records.map((r) => ({
          offset: r.offset,
          timestamp: r.timestamp,
          key: r.key?.toString() ?? null,
          value: r.value?.toString() ?? null,
          headers: r.headers.map((h) => [h.key, h.value?.toString()]),
        })),
        records.map((r, i) => ({
          offset: firstOffset + BigInt(i),
          timestamp: BigInt(firstTimestamp + r.timestampDelta),
          key: r.key,
          value: r.value,
          headers: Object.entries(r.headers),
        })),
      );
    }),
    { numRuns: RUNS },
  );
});

for (const compression of [0, 1, 2, 3, 4]) {
  test(`kafkajs decodes batches Brook encodes (codec ${compression})`, async () => {
    await fc.assert(
      fc.asyncProperty(recordsArbitrary, async (records) => {
        const input: RecordBatchInput = {
          compression,
          baseOffset: 42n,
          producerId: 7n,
          producerEpoch: 1,
          baseSequence: 3,
          isTransactional: true,
          records: records.map((r) => ({
            key: r.key === null ? null : Buffer.from(r.key),
            value: r.value === null ? null : Buffer.from(r.value),
            timestamp: 1_000_000n + BigInt(r.timestampDelta),
            headers: Object.entries(r.headers).map(([key, value]) => ({ key, value: Buffer.from(value) })),
          })),
        };
        const decoded = await decodeKafkaJsBatch(new KafkaJsDecoder(encodeRecordBatch(input)));
        assert.equal(decoded.firstOffset, "42");
        assert.equal(decoded.lastOffsetDelta, records.length - 1);
        assert.equal(decoded.producerId, "7");
        assert.equal(decoded.inTransaction, true);
        assert.deepEqual(
          decoded.records.map((r) => [
            r.offset,
            r.timestamp,
            r.key?.toString() ?? null,
            r.value?.toString() ?? null,
          ]),
          records.map((r, i) => [String(42 + i), String(1_000_000 + r.timestampDelta), r.key, r.value]),
        );
        decoded.records.forEach((r, i) => {
          const expected = records[i]?.headers ?? {};
          assert.deepEqual(
            Object.entries(r.headers).map(([k, v]) => [k, v.toString()]),
            Object.entries(expected),
          );
        });
      }),
      { numRuns: RUNS },
    );
  });
}
