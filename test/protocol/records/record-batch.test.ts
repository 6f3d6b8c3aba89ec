import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import {
  BATCH_HEADER_BYTES,
  BATCH_OFFSET_ATTRIBUTES,
  BATCH_OFFSET_RECORDS_COUNT,
  batchAttributes,
  batchBaseOffset,
  batchBaseSequence,
  batchBaseTimestamp,
  batchCompression,
  batchCrc,
  batchCrcIsValid,
  batchHasLogAppendTime,
  batchIsControl,
  batchIsTransactional,
  batchLastOffset,
  batchLastOffsetDelta,
  batchLength,
  batchMagic,
  batchMaxTimestamp,
  batchPartitionLeaderEpoch,
  batchProducerEpoch,
  batchProducerId,
  batchRecordsCount,
  batchSetBaseOffset,
  batchSetPartitionLeaderEpoch,
  batchSizeBytes,
  batchUpdateCrc,
  CompressionError,
  CompressionType,
  CorruptRecordError,
  decodeRecordBatch,
  decodeRecordBatchHeader,
  ErrorCode,
  encodeRecordBatch,
  iterateRecords,
  type RecordBatch,
  type RecordBatchInput,
  type RecordInput,
} from "../../../src/protocol/index.js";
import { batchInputArbitrary } from "./arbitraries.js";

const CODECS = [
  { name: "none", compression: CompressionType.none, options: {} },
  { name: "gzip", compression: CompressionType.gzip, options: {} },
  {
    name: "snappy (xerial)",
    compression: CompressionType.snappy,
    options: { snappyFraming: "xerial" as const },
  },
  { name: "snappy (raw)", compression: CompressionType.snappy, options: { snappyFraming: "raw" as const } },
  { name: "lz4", compression: CompressionType.lz4, options: {} },
  { name: "zstd", compression: CompressionType.zstd, options: {} },
];

const RUNS = Number(process.env.BROOK_PROPERTY_RUNS ?? 40);

/** The records a decoder must return for an input, computed independently of the encoder. */
function expectedRecords(input: RecordBatchInput): Omit<RecordBatch["records"][number], "timestampDelta">[] {
  const base = input.baseOffset ?? 0n;
  let delta = -1;
  let maxTimestamp: bigint | undefined;
  for (const r of input.records) {
    const t = r.timestamp ?? -1n;
    if (maxTimestamp === undefined || t > maxTimestamp) maxTimestamp = t;
  }
  return input.records.map((r) => {
    delta = r.offsetDelta ?? delta + 1;
    return {
      offset: base + BigInt(delta),
      offsetDelta: delta,
      timestamp:
        input.timestampType === "LogAppendTime"
          ? (input.maxTimestamp ?? maxTimestamp ?? -1n)
          : (r.timestamp ?? -1n),
      attributes: 0,
      key: r.key ?? null,
      value: r.value,
      headers: r.headers ?? [],
    };
  });
}

function assertDecodesTo(buf: Buffer, input: RecordBatchInput): RecordBatch {
  const batch = decodeRecordBatch(buf);
  assert.equal(batch.magic, 2);
  assert.equal(batch.baseOffset, input.baseOffset ?? 0n);
  assert.equal(batch.batchLength + 12, buf.length);
  assert.equal(batch.compression, input.compression ?? 0);
  assert.equal(batch.timestampType, input.timestampType ?? "CreateTime");
  assert.equal(batch.isTransactional, input.isTransactional ?? false);
  assert.equal(batch.producerId, input.producerId ?? -1n);
  assert.equal(batch.producerEpoch, input.producerEpoch ?? -1);
  assert.equal(batch.baseSequence, input.baseSequence ?? -1);
  assert.equal(batch.partitionLeaderEpoch, input.partitionLeaderEpoch ?? -1);
  assert.equal(batch.recordsCount, input.records.length);
  const expected = expectedRecords(input);
  assert.deepEqual(
    batch.records.map(({ timestampDelta: _, ...r }) => r),
    expected,
  );
  const last = expected[expected.length - 1];
  if (last !== undefined) assert.equal(batch.lastOffsetDelta, last.offsetDelta);
  if (input.records.length > 0 && input.timestampType !== "LogAppendTime") {
    const timestamps = input.records.map((r) => r.timestamp ?? -1n);
    const largest = [...timestamps].sort((a, b) => (a < b ? 1 : a > b ? -1 : 0))[0];
    assert.equal(batch.maxTimestamp, largest);
    assert.equal(batch.baseTimestamp, timestamps[0]);
  }
  return batch;
}

for (const codec of CODECS) {
  test(`batches round-trip with ${codec.name}`, () => {
    fc.assert(
      fc.property(batchInputArbitrary(codec.compression), (input) => {
        const buf = encodeRecordBatch(input, codec.options);
        assert.ok(batchCrcIsValid(buf));
        assertDecodesTo(buf, input);
      }),
      { numRuns: RUNS },
    );
  });
}

test("header accessors agree with the decoder", () => {
  fc.assert(
    fc.property(batchInputArbitrary(CompressionType.lz4), (input) => {
      const buf = encodeRecordBatch(input);
      const h = decodeRecordBatchHeader(buf);
      assert.equal(batchBaseOffset(buf), h.baseOffset);
      assert.equal(batchLength(buf), h.batchLength);
      assert.equal(batchSizeBytes(buf), buf.length);
      assert.equal(batchPartitionLeaderEpoch(buf), h.partitionLeaderEpoch);
      assert.equal(batchMagic(buf), h.magic);
      assert.equal(batchCrc(buf), h.crc);
      assert.equal(batchAttributes(buf), h.attributes);
      assert.equal(batchLastOffsetDelta(buf), h.lastOffsetDelta);
      assert.equal(batchLastOffset(buf), h.baseOffset + BigInt(h.lastOffsetDelta));
      assert.equal(batchBaseTimestamp(buf), h.baseTimestamp);
      assert.equal(batchMaxTimestamp(buf), h.maxTimestamp);
      assert.equal(batchProducerId(buf), h.producerId);
      assert.equal(batchProducerEpoch(buf), h.producerEpoch);
      assert.equal(batchBaseSequence(buf), h.baseSequence);
      assert.equal(batchRecordsCount(buf), h.recordsCount);
      assert.equal(batchCompression(buf), h.compression);
      assert.equal(batchIsTransactional(buf), h.isTransactional);
      assert.equal(batchIsControl(buf), h.isControl);
      assert.equal(batchHasLogAppendTime(buf), h.timestampType === "LogAppendTime");
    }),
    { numRuns: RUNS },
  );
});

test("the CRC catches any single changed byte in the region it covers", () => {
  fc.assert(
    fc.property(
      batchInputArbitrary(CompressionType.none),
      fc.nat(),
      fc.integer({ min: 1, max: 255 }),
      (input, where, xor) => {
        const buf = encodeRecordBatch(input);
        const at = BATCH_OFFSET_ATTRIBUTES + (where % (buf.length - BATCH_OFFSET_ATTRIBUTES));
        buf[at] = (buf[at] as number) ^ xor;
        assert.equal(batchCrcIsValid(buf), false);
        assert.throws(() => decodeRecordBatch(buf), { code: "BRK_ERR_RECORD_CRC_MISMATCH" });
      },
    ),
    { numRuns: RUNS * 5 },
  );
});

test("every byte position of a small batch is covered, including the CRC field itself", () => {
  const original = encodeRecordBatch({
    records: [
      { key: Buffer.from("k"), value: Buffer.from("v"), timestamp: 5n, headers: [{ key: "h", value: null }] },
    ],
  });
  for (let at = 17; at < original.length; at++) {
    const buf = Buffer.from(original);
    buf[at] = (buf[at] as number) ^ 0x01;
    assert.throws(() => decodeRecordBatch(buf), CorruptRecordError, `byte ${at}`);
  }
});

test("fields outside the CRC can be rewritten in place", () => {
  const buf = encodeRecordBatch({ records: [{ value: Buffer.from("x"), timestamp: 1n }] });
  batchSetBaseOffset(buf, 4242n);
  batchSetPartitionLeaderEpoch(buf, 7);
  const batch = decodeRecordBatch(buf);
  assert.equal(batch.baseOffset, 4242n);
  assert.equal(batch.partitionLeaderEpoch, 7);
  assert.equal(batch.records[0]?.offset, 4242n);
});

test("LogAppendTime gives every record the batch's maxTimestamp", () => {
  const buf = encodeRecordBatch({
    timestampType: "LogAppendTime",
    maxTimestamp: 9_000n,
    records: [
      { value: null, timestamp: 10n },
      { value: null, timestamp: 20n },
    ],
  });
  const batch = decodeRecordBatch(buf);
  assert.deepEqual(
    batch.records.map((r) => [r.timestamp, r.timestampDelta]),
    [
      [9_000n, 0n],
      [9_000n, 10n],
    ],
  );
});

test("explicit offset deltas and lastOffsetDelta survive a rewrite (compaction)", () => {
  const original = encodeRecordBatch({
    baseOffset: 1000n,
    compression: CompressionType.zstd,
    records: Array.from({ length: 10 }, (_, i) => ({
      key: Buffer.from(`k${i % 3}`),
      value: Buffer.from(`v${i}`),
      timestamp: BigInt(i),
    })),
    producerId: 77n,
    producerEpoch: 3,
    baseSequence: 50,
  });
  const batch = decodeRecordBatch(original);
  const kept = batch.records.filter((r) => r.offsetDelta >= 7);
  const rewritten = decodeRecordBatch(
    encodeRecordBatch({
      ...batch,
      records: kept,
      baseTimestamp: batch.baseTimestamp,
      maxTimestamp: batch.maxTimestamp,
      lastOffsetDelta: batch.lastOffsetDelta,
    }),
  );
  assert.deepEqual(
    rewritten.records.map((r) => [r.offset, r.timestamp, r.key?.toString(), r.value?.toString()]),
    kept.map((r) => [r.offset, r.timestamp, r.key?.toString(), r.value?.toString()]),
  );
  assert.equal(rewritten.lastOffsetDelta, 9);
  assert.equal(rewritten.baseSequence, 50);
  assert.equal(rewritten.producerId, 77n);
});

test("an empty batch keeps producer state and the last offset, uncompressed", () => {
  const buf = encodeRecordBatch({
    records: [],
    baseOffset: 500n,
    lastOffsetDelta: 41,
    compression: CompressionType.gzip,
    producerId: 9n,
    producerEpoch: 2,
    baseSequence: 100,
    isTransactional: true,
    baseTimestamp: 1234n,
    maxTimestamp: 1234n,
  });
  assert.equal(buf.length, BATCH_HEADER_BYTES);
  const batch = decodeRecordBatch(buf);
  assert.deepEqual(batch.records, []);
  assert.equal(batch.compression, CompressionType.none);
  assert.equal(batchLastOffset(buf), 541n);
  assert.equal(batch.producerId, 9n);
  assert.equal(batch.baseSequence, 100);
  assert.equal(batch.isTransactional, true);
  assert.equal(batch.maxTimestamp, 1234n);
});

test("a delete horizon sets the attribute and becomes the base timestamp", () => {
  const buf = encodeRecordBatch({
    deleteHorizonMs: 50_000n,
    records: [
      { key: Buffer.from("a"), value: null, timestamp: 1_000n },
      { key: Buffer.from("b"), value: Buffer.from("x"), timestamp: 2_000n },
    ],
  });
  const batch = decodeRecordBatch(buf);
  assert.equal(batch.deleteHorizonMs, 50_000n);
  assert.equal(batch.baseTimestamp, 50_000n);
  assert.equal(batch.attributes & 0x40, 0x40);
  assert.deepEqual(
    batch.records.map((r) => r.timestamp),
    [1_000n, 2_000n],
  );
  assert.equal(batch.maxTimestamp, 2_000n);
  assert.equal(decodeRecordBatch(encodeRecordBatch({ records: [{ value: null }] })).deleteHorizonMs, null);
});

test("encoding rejects offset deltas that do not increase and out-of-range fields", () => {
  const value = Buffer.from("v");
  assert.throws(
    () =>
      encodeRecordBatch({
        records: [
          { value, offsetDelta: 3 },
          { value, offsetDelta: 3 },
        ],
      }),
    {
      code: "BRK_ERR_PROTOCOL_ENCODE",
    },
  );
  assert.throws(() => encodeRecordBatch({ records: [{ value, offsetDelta: 5 }], lastOffsetDelta: 4 }), {
    code: "BRK_ERR_PROTOCOL_ENCODE",
  });
  assert.throws(() => encodeRecordBatch({ records: [{ value }], producerEpoch: 40_000 }), {
    code: "BRK_ERR_PROTOCOL_ENCODE",
  });
  assert.throws(() => encodeRecordBatch({ records: [{ value }], compression: 6 }), {
    code: "BRK_ERR_COMPRESSION_UNSUPPORTED",
  });
});

/** Builds a batch from a raw records payload with a correct CRC, for malformed-record tests. */
function batchWithPayload(payload: Buffer, recordsCount: number, compression = 0): Buffer {
  const buf = encodeRecordBatch({ records: [] });
  const out = Buffer.concat([buf, payload]);
  out.writeInt32BE(out.length - 12, 8);
  out.writeInt16BE(compression, BATCH_OFFSET_ATTRIBUTES);
  out.writeInt32BE(recordsCount, BATCH_OFFSET_RECORDS_COUNT);
  batchUpdateCrc(out);
  return out;
}

test("malformed batches raise typed errors that map to CORRUPT_MESSAGE", () => {
  const good = encodeRecordBatch({
    records: [{ key: Buffer.from("k"), value: Buffer.from("v"), timestamp: 1n }],
  });
  const payload = good.subarray(BATCH_HEADER_BYTES);
  const cases: [string, Buffer, string][] = [
    ["truncated", good.subarray(0, good.length - 1), "BRK_ERR_RECORD_TRUNCATED"],
    ["header cut", good.subarray(0, 30), "BRK_ERR_RECORD_TRUNCATED"],
    ["count too large", batchWithPayload(payload, 2), "BRK_ERR_RECORD_CORRUPT"],
    ["count absurd", batchWithPayload(payload, 0x7fffffff), "BRK_ERR_RECORD_CORRUPT"],
    ["negative count", batchWithPayload(payload, -1), "BRK_ERR_RECORD_CORRUPT"],
    [
      "trailing bytes",
      batchWithPayload(Buffer.concat([payload, Buffer.from([0])]), 1),
      "BRK_ERR_RECORD_CORRUPT",
    ],
    ["unknown codec", batchWithPayload(payload, 1, 5), "BRK_ERR_RECORD_CORRUPT"],
    [
      "record length lies",
      batchWithPayload(Buffer.from([0x02, ...payload.subarray(1)]), 1),
      "BRK_ERR_RECORD_CORRUPT",
    ],
    ["garbage gzip", batchWithPayload(Buffer.from("not gzip at all"), 1, 1), "BRK_ERR_COMPRESSION_CORRUPT"],
  ];
  const badMagic = Buffer.from(good);
  badMagic[16] = 3;
  cases.push(["magic 3", badMagic, "BRK_ERR_RECORD_MAGIC_UNSUPPORTED"]);
  for (const [name, buf, code] of cases) {
    assert.throws(
      () => decodeRecordBatch(buf),
      (error: unknown) => {
        assert.ok(error instanceof CorruptRecordError || error instanceof CompressionError, name);
        assert.equal((error as CorruptRecordError).code, code, name);
        assert.equal((error as CorruptRecordError).errorCode, ErrorCode.CORRUPT_MESSAGE, name);
        return true;
      },
    );
  }
});

test("the decompression cap applies to batches", () => {
  const records: RecordInput[] = [{ value: Buffer.alloc(2 * 1024 * 1024) }];
  const buf = encodeRecordBatch({ records, compression: CompressionType.zstd });
  assert.ok(buf.length < 4096);
  assert.throws(() => decodeRecordBatch(buf, 0, { decompressedBytesMax: 1024 * 1024 }), {
    code: "BRK_ERR_COMPRESSION_TOO_LARGE",
  });
  assert.equal(decodeRecordBatch(buf).records[0]?.value?.length, 2 * 1024 * 1024);
});

test("a batch decodes in place at an offset inside a larger buffer, with views on its bytes", () => {
  const batch = encodeRecordBatch({ records: [{ key: Buffer.from("key"), value: Buffer.from("value") }] });
  const buf = Buffer.concat([Buffer.alloc(7, 0xee), batch, Buffer.alloc(5, 0xee)]);
  const decoded = decodeRecordBatch(buf, 7);
  const value = decoded.records[0]?.value as Buffer;
  assert.equal(value.toString(), "value");
  assert.equal(value.buffer, buf.buffer, "uncompressed values are views, not copies");
  assert.equal(decodeRecordBatch(buf, 7, { verifyCrc: false }).records.length, 1);
});

test("timestamp deltas at the int32 and int64 edges round-trip", () => {
  const base = 0n;
  const deltas = [
    0n,
    -1n,
    63n,
    -64n,
    64n,
    2n ** 31n - 1n,
    -(2n ** 31n),
    2n ** 31n,
    -(2n ** 31n) - 1n,
    2n ** 48n,
    -(2n ** 48n) - 1n,
    2n ** 62n,
    2n ** 63n - 1n,
  ];
  const buf = encodeRecordBatch({
    baseTimestamp: base,
    records: deltas.map((d) => ({ value: null, timestamp: base + d })),
  });
  const batch = decodeRecordBatch(buf);
  assert.deepEqual(
    batch.records.map((r) => r.timestampDelta),
    deltas,
  );
  const negative = encodeRecordBatch({
    baseTimestamp: 2n ** 62n,
    records: [{ value: null, timestamp: -(2n ** 62n) }],
  });
  assert.equal(decodeRecordBatch(negative).records[0]?.timestamp, -(2n ** 62n));
});

test("a record count limit bounds what one decoded batch costs; iterateRecords streams instead", () => {
  const records = Array.from({ length: 5000 }, () => ({ value: null }));
  const buf = encodeRecordBatch({ records, compression: CompressionType.zstd });
  assert.throws(
    () => decodeRecordBatch(buf, 0, { recordsCountMax: 4999 }),
    (error: unknown) =>
      error instanceof CorruptRecordError &&
      error.code === "BRK_ERR_RECORD_TOO_MANY" &&
      error.errorCode === ErrorCode.MESSAGE_TOO_LARGE,
  );
  assert.equal(decodeRecordBatch(buf, 0, { recordsCountMax: 5000 }).records.length, 5000);
  let count = 0;
  let last = -1n;
  for (const record of iterateRecords(buf)) {
    assert.equal(record.offset, last + 1n);
    last = record.offset;
    count++;
  }
  assert.equal(count, 5000);
});

test("iterateRecords checks the batch before the first record and trailing bytes after the last", () => {
  const buf = encodeRecordBatch({ records: [{ value: Buffer.from("a") }, { value: Buffer.from("b") }] });
  const damaged = Buffer.from(buf);
  damaged[buf.length - 1] = 0x55;
  assert.throws(() => iterateRecords(damaged).next(), { code: "BRK_ERR_RECORD_CRC_MISMATCH" });
  const extra = Buffer.concat([buf, Buffer.from([0])]);
  extra.writeInt32BE(extra.length - 12, 8);
  batchUpdateCrc(extra);
  const iterator = iterateRecords(extra);
  assert.equal(iterator.next().value?.value?.toString(), "a");
  assert.equal(iterator.next().value?.value?.toString(), "b");
  assert.throws(() => iterator.next(), { code: "BRK_ERR_RECORD_CORRUPT" });
});

test("offset deltas and lengths across every varint width round-trip", () => {
  const deltas = [0, 31, 32, 63, 64, 8191, 8192, 2 ** 20, 2 ** 27 - 1, 2 ** 27, 2 ** 30, 2 ** 31 - 1];
  const sizes = [0, 63, 64, 8191, 8192, 70_000];
  const buf = encodeRecordBatch({
    records: deltas.map((offsetDelta, i) => ({
      offsetDelta,
      key: Buffer.alloc(sizes[i % sizes.length] as number, 1),
      value: Buffer.alloc(sizes[(i + 3) % sizes.length] as number, 2),
    })),
  });
  const batch = decodeRecordBatch(buf);
  assert.deepEqual(
    batch.records.map((r) => [r.offsetDelta, r.key?.length, r.value?.length]),
    deltas.map((d, i) => [d, sizes[i % sizes.length], sizes[(i + 3) % sizes.length]]),
  );
  assert.equal(batch.lastOffsetDelta, 2 ** 31 - 1);
});
