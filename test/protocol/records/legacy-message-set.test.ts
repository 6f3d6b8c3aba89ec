import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { test } from "node:test";
import fc from "fast-check";
import {
  CompressionError,
  CompressionType,
  CorruptRecordError,
  compress,
  decodeLegacyEntry,
  decodeLegacyMessageSet,
  decodeRecordSet,
  ErrorCode,
  encodeRecordBatch,
  ProtocolDecodeError,
} from "../../../src/protocol/index.js";
import { xxhash32 } from "../../../src/protocol/records/xxhash32.js";
import { encodeLegacyEntry, encodeLegacySet, type LegacyMessageInput } from "./legacy-fixtures.js";

const b = (s: string): Buffer => Buffer.from(s);
const RUNS = Number(process.env.BROOK_PROPERTY_RUNS ?? 40);

test("plain magic 0 and magic 1 messages decode to one-record batches", () => {
  const set = encodeLegacySet([
    { offset: 10n, magic: 0, key: b("k0"), value: b("v0") },
    { offset: 11n, magic: 1, timestamp: 1_500_000_000_000n, key: null, value: b("v1") },
    { offset: 12n, magic: 1, timestamp: 7n, attributes: 0x08, key: b("k2"), value: null },
  ]);
  const batches = decodeLegacyMessageSet(set);
  assert.deepEqual(
    batches.map((batch) => [
      batch.magic,
      batch.baseOffset,
      batch.lastOffsetDelta,
      batch.timestampType,
      batch.compression,
    ]),
    [
      [0, 10n, 0, "CreateTime", 0],
      [1, 11n, 0, "CreateTime", 0],
      [1, 12n, 0, "LogAppendTime", 0],
    ],
  );
  assert.deepEqual(
    batches
      .flatMap((batch) => batch.records)
      .map((r) => [r.offset, r.timestamp, r.key?.toString() ?? null, r.value?.toString() ?? null, r.headers]),
    [
      [10n, -1n, "k0", "v0", []],
      [11n, 1_500_000_000_000n, null, "v1", []],
      [12n, 7n, "k2", null, []],
    ],
  );
  const first = batches[0];
  assert.equal(first?.producerId, -1n);
  assert.equal(first?.baseSequence, -1);
  assert.equal(first?.isTransactional, false);
});

/** A compressed wrapper around `inner`, as a magic 0/1 producer or broker would write it. */
function wrapper(
  magic: 0 | 1,
  codec: number,
  offset: bigint,
  inner: LegacyMessageInput[],
  options: { timestamp?: bigint; logAppendTime?: boolean; snappyFraming?: "xerial" | "raw" } = {},
): Buffer {
  let value = compress(
    codec,
    encodeLegacySet(inner),
    options.snappyFraming ? { snappyFraming: options.snappyFraming } : {},
  );
  if (codec === CompressionType.lz4 && magic === 0) value = withBrokenLz4HeaderChecksum(value);
  return encodeLegacyEntry({
    offset,
    magic,
    attributes: codec | (options.logAppendTime ? 0x08 : 0),
    ...(options.timestamp === undefined ? {} : { timestamp: options.timestamp }),
    key: null,
    value,
  });
}

/** Kafka's magic-0 LZ4 framing hashed the magic number into the header checksum (KIP-57). */
function withBrokenLz4HeaderChecksum(frame: Buffer): Buffer {
  const broken = Buffer.from(frame);
  const hcAt = (frame[4] as number) & 0x08 ? 14 : 6;
  broken[hcAt] = (xxhash32(frame.subarray(0, hcAt)) >>> 8) & 0xff;
  return broken;
}

const WRAPPER_CODECS: [string, number, "xerial" | "raw" | undefined][] = [
  ["gzip", CompressionType.gzip, undefined],
  ["snappy xerial", CompressionType.snappy, "xerial"],
  ["snappy raw", CompressionType.snappy, "raw"],
  ["lz4", CompressionType.lz4, undefined],
];

for (const [name, codec, snappyFraming] of WRAPPER_CODECS) {
  test(`magic 1 ${name} wrappers hold relative inner offsets (KIP-31)`, () => {
    const inner: LegacyMessageInput[] = [0, 1, 2].map((i) => ({
      offset: BigInt(i),
      magic: 1,
      timestamp: 1000n + BigInt(i),
      key: b(`k${i}`),
      value: b(`v${i}`),
    }));
    const set = Buffer.concat([
      wrapper(1, codec, 102n, inner, { timestamp: 1002n, ...(snappyFraming ? { snappyFraming } : {}) }),
      wrapper(1, codec, 105n, inner, {
        timestamp: 9999n,
        logAppendTime: true,
        ...(snappyFraming ? { snappyFraming } : {}),
      }),
    ]);
    const [create, logAppend] = decodeLegacyMessageSet(set);
    assert.deepEqual(
      create?.records.map((r) => [r.offset, r.offsetDelta, r.timestamp, r.key?.toString()]),
      [
        [100n, 0, 1000n, "k0"],
        [101n, 1, 1001n, "k1"],
        [102n, 2, 1002n, "k2"],
      ],
    );
    assert.equal(create?.baseOffset, 100n);
    assert.equal(create?.lastOffsetDelta, 2);
    assert.equal(create?.maxTimestamp, 1002n);
    assert.equal(create?.compression, codec);
    assert.deepEqual(
      logAppend?.records.map((r) => [r.offset, r.timestamp]),
      [
        [103n, 9999n],
        [104n, 9999n],
        [105n, 9999n],
      ],
    );
    assert.equal(logAppend?.timestampType, "LogAppendTime");
  });

  test(`magic 0 ${name} wrappers hold absolute inner offsets`, () => {
    const inner: LegacyMessageInput[] = [50n, 51n].map((offset) => ({
      offset,
      magic: 0,
      key: null,
      value: b(`at ${offset}`),
    }));
    const [batch] = decodeLegacyMessageSet(
      wrapper(0, codec, 51n, inner, snappyFraming ? { snappyFraming } : {}),
    );
    assert.deepEqual(
      batch?.records.map((r) => [r.offset, r.timestamp, r.value?.toString()]),
      [
        [50n, -1n, "at 50"],
        [51n, -1n, "at 51"],
      ],
    );
  });
}

test("magic-1 LZ4 wrappers must carry the correct header checksum", () => {
  const inner: LegacyMessageInput[] = [{ offset: 0n, magic: 1, timestamp: 1n, key: null, value: b("x") }];
  const good = encodeLegacySet([
    {
      offset: 0n,
      magic: 1,
      attributes: 3,
      timestamp: 1n,
      key: null,
      value: compress(3, encodeLegacySet(inner)),
    },
  ]);
  assert.equal(decodeLegacyEntry(good).records.length, 1);
  const broken = encodeLegacySet([
    {
      offset: 0n,
      magic: 1,
      attributes: 3,
      timestamp: 1n,
      key: null,
      value: withBrokenLz4HeaderChecksum(compress(3, encodeLegacySet(inner))),
    },
  ]);
  assert.throws(() => decodeLegacyEntry(broken), { code: "BRK_ERR_COMPRESSION_CORRUPT" });
});

test("invalid legacy entries raise typed errors", () => {
  const plain = encodeLegacyEntry({ offset: 0n, magic: 1, timestamp: 1n, key: b("k"), value: b("v") });
  const badCrc = Buffer.from(plain);
  badCrc[plain.length - 1] = 0;
  assert.throws(() => decodeLegacyEntry(badCrc), { code: "BRK_ERR_RECORD_CRC_MISMATCH" });
  assert.equal(decodeLegacyEntry(badCrc, 0, { verifyCrc: false }).records[0]?.value?.toString(), "\u0000");
  assert.throws(() => decodeLegacyEntry(plain.subarray(0, plain.length - 1)), {
    code: "BRK_ERR_RECORD_TRUNCATED",
  });
  const zstd = encodeLegacyEntry({
    offset: 0n,
    magic: 1,
    attributes: 4,
    timestamp: 1n,
    key: null,
    value: compress(4, plain),
  });
  assert.throws(
    () => decodeLegacyEntry(zstd),
    (error: unknown) =>
      error instanceof CompressionError && error.errorCode === ErrorCode.UNSUPPORTED_COMPRESSION_TYPE,
  );
  const nested = encodeLegacyEntry({
    offset: 0n,
    magic: 1,
    attributes: 1,
    timestamp: 1n,
    key: null,
    value: compress(1, wrapper(1, 1, 0n, [])),
  });
  assert.throws(() => decodeLegacyEntry(nested), CorruptRecordError);
  const empty = encodeLegacyEntry({
    offset: 0n,
    magic: 1,
    attributes: 1,
    timestamp: 1n,
    key: null,
    value: compress(1, Buffer.alloc(0)),
  });
  assert.throws(() => decodeLegacyEntry(empty), /no messages/);
  const nullValue = encodeLegacyEntry({ offset: 0n, magic: 0, attributes: 2, key: null, value: null });
  assert.throws(() => decodeLegacyEntry(nullValue), /null value/);
});

test("kafkajs's magic 0/1 message encoders produce bytes Brook reads (independent CRC32 and layout)", () => {
  const require = createRequire(import.meta.url);
  const MessageSet = require("kafkajs/src/protocol/messageSet/index.js") as (args: {
    messageVersion: number;
    entries: { key: string | null; value: string; timestamp?: number }[];
  }) => { buffer: Buffer };
  for (const messageVersion of [0, 1]) {
    const set = MessageSet({
      messageVersion,
      entries: [
        { key: "a", value: "1", timestamp: 1234 },
        { key: null, value: "2", timestamp: 5678 },
      ],
    }).buffer;
    const records = decodeLegacyMessageSet(set).flatMap((batch) => batch.records);
    assert.deepEqual(
      records.map((r) => [r.offset, r.key?.toString() ?? null, r.value?.toString(), r.timestamp]),
      [
        [0n, "a", "1", messageVersion === 1 ? 1234n : -1n],
        [1n, null, "2", messageVersion === 1 ? 5678n : -1n],
      ],
    );
  }
});

test("a record set mixing magic 0, 1 and 2 decodes batch by batch, dropping a cut-off tail", () => {
  const v2 = encodeRecordBatch({
    baseOffset: 3n,
    records: [{ key: b("k3"), value: b("v3"), timestamp: 30n }],
  });
  const set = Buffer.concat([
    encodeLegacyEntry({ offset: 0n, magic: 0, key: null, value: b("v0") }),
    wrapper(1, CompressionType.gzip, 2n, [
      { offset: 0n, magic: 1, timestamp: 10n, key: null, value: b("v1") },
      { offset: 1n, magic: 1, timestamp: 20n, key: null, value: b("v2") },
    ]),
    v2,
    v2.subarray(0, 40),
  ]);
  const batches = decodeRecordSet(set);
  assert.deepEqual(
    batches.map((batch) => batch.magic),
    [0, 1, 2],
  );
  assert.deepEqual(
    batches.flatMap((batch) => batch.records.map((r) => [r.offset, r.value?.toString()])),
    [
      [0n, "v0"],
      [1n, "v1"],
      [2n, "v2"],
      [3n, "v3"],
    ],
  );
});

test("random and mutated bytes into the legacy decoder raise only typed errors", () => {
  const valid = Buffer.concat([
    wrapper(
      1,
      CompressionType.gzip,
      5n,
      [0, 1, 2].map((i) => ({
        offset: BigInt(i),
        magic: 1 as const,
        timestamp: 1n,
        key: null,
        value: b(`v${i}`),
      })),
    ),
    encodeLegacyEntry({ offset: 6n, magic: 0, key: b("k"), value: b("v") }),
  ]);
  const typedOnly = (buf: Buffer, verifyCrc: boolean) => {
    try {
      decodeLegacyMessageSet(buf, { verifyCrc });
    } catch (error) {
      if (!(error instanceof ProtocolDecodeError)) throw error;
    }
  };
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), fc.boolean(), (bytes, verifyCrc) =>
      typedOnly(Buffer.from(bytes), verifyCrc),
    ),
    { numRuns: RUNS * 10 },
  );
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 3 }),
      (changes) => {
        const mutated = Buffer.from(valid);
        for (const [where, value] of changes) mutated[where % mutated.length] = value;
        typedOnly(mutated, false);
        typedOnly(mutated, true);
      },
    ),
    { numRuns: RUNS * 10 },
  );
});
