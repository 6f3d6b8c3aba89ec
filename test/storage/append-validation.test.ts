import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import {
  BATCH_HEADER_BYTES,
  batchCompression,
  batchMaxTimestamp,
  batchUpdateCrc,
  CompressionType,
  decodeRecordBatch,
  ErrorCode,
  encodeRecordBatch,
  errorName,
  KafkaError,
  RecordValidationError,
  recompressRecordBatch,
} from "../../src/protocol/index.js";
import type { LogConfig } from "../../src/storage/index.js";
import { recordArbitrary } from "../protocol/records/arbitraries.js";
import {
  CLOCK_START_MS,
  decodeAll,
  makeBatch,
  newClock,
  openManager,
  batchWithPayload as payloadBatch,
  readAll,
  tempDir,
  recordsOf as valuesPayload,
} from "./helpers.js";

/**
 * The log's validation of a producer's batch as Kafka's LogValidator: records walked (decompressed
 * first), RecordErrors naming the records that broke a rule, nothing appended on any refusal, and
 * no walk for coordinator and follower appends.
 */
const tp = { topic: "validated", partition: 3 };
const RUNS = Number(process.env.BROOK_FUZZ_RUNS ?? 200);

async function withLog(config: Partial<LogConfig>, body: (ctx: Awaited<ReturnType<typeof setup>>) => void) {
  const ctx = await setup(config);
  try {
    body(ctx);
  } finally {
    await ctx.manager.shutdown().catch(() => {});
    ctx.dir.cleanup();
  }
}

async function setup(config: Partial<LogConfig>) {
  const dir = tempDir();
  const clock = newClock();
  const manager = await openManager(dir.path, clock, config);
  return { dir, clock, manager, log: manager.getOrCreateLog(tp) };
}

function refusal(fn: () => unknown): KafkaError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof KafkaError, String(e));
    return e;
  }
  assert.fail("the append was accepted");
}

const recordErrorsOf = (e: KafkaError) =>
  e instanceof RecordValidationError ? e.recordErrors.map((r) => r.batchIndex) : null;

test("keyless records on a compacted topic: INVALID_RECORD naming each, as Kafka words it", async () => {
  await withLog({ cleanupPolicy: ["compact"] }, ({ log }) => {
    const batch = makeBatch({ values: ["a", "b", "c", "d"], keys: ["k", null, "k", null] });
    const e = refusal(() => log.appendAsLeader(batch, 0));
    assert.equal(e.errorCode, ErrorCode.INVALID_RECORD);
    assert.ok(e instanceof RecordValidationError);
    assert.deepEqual(e.recordErrors, [
      {
        batchIndex: 1,
        message: "Compacted topic cannot accept message without key in topic partition validated-3.",
      },
      {
        batchIndex: 3,
        message: "Compacted topic cannot accept message without key in topic partition validated-3.",
      },
    ]);
    assert.match(e.message, /^One or more records have been rejected due to 2 record errors in total/);
    assert.equal(log.logEndOffset, 0n);
    log.appendAsLeader(makeBatch({ values: ["a"], keys: ["k"] }), 0);
    assert.equal(log.logEndOffset, 1n);
  });
});

test("each record's timestamp is checked: INVALID_TIMESTAMP with the records out of range", async () => {
  await withLog({ messageTimestampBeforeMaxMs: 60_000, messageTimestampAfterMaxMs: 1000 }, ({ log }) => {
    const now = BigInt(CLOCK_START_MS);
    const batch = makeBatch({
      values: ["ok", "old", "new", "ok"],
      timestamps: [now, now - 120_000n, now + 5000n, now - 59_000n],
    });
    const e = refusal(() => log.appendAsLeader(batch, 0));
    assert.equal(errorName(e.errorCode), "INVALID_TIMESTAMP");
    assert.equal(e.message, "One or more records have been rejected due to invalid timestamp");
    assert.deepEqual(recordErrorsOf(e), [1, 2]);
    assert.ok(e instanceof RecordValidationError);
    assert.equal(
      e.recordErrors[0]?.message,
      `Timestamp ${now - 120_000n} of message with offset 1 is out of range. The timestamp should be within [${now - 60_000n}, ${now + 1000n}]`,
    );
    assert.equal(log.logEndOffset, 0n);
  });
});

test("a LogAppendTime topic does not check record timestamps", async () => {
  await withLog({ messageTimestampType: "LogAppendTime", messageTimestampBeforeMaxMs: 1 }, ({ log }) => {
    log.appendAsLeader(makeBatch({ timestamp: 5n }), 0);
    assert.equal(log.logEndOffset, 1n);
  });
});

test("a header maxTimestamp that is not the records' largest is set to it, CRC included (Kafka's setMaxTimestamp)", async () => {
  await withLog({}, ({ log }) => {
    const batch = makeBatch({ values: ["a", "b"], timestamps: [1000n, 3000n] });
    batch.writeBigInt64BE(1000n, 35);
    batchUpdateCrc(batch);
    const info = log.appendAsLeader(batch, 0);
    assert.equal(info.maxTimestamp, 3000n);
    const stored = readAll(log)[0] as Buffer;
    assert.equal(batchMaxTimestamp(stored), 3000n);
    assert.equal(decodeRecordBatch(stored).maxTimestamp, 3000n, "the CRC still holds");
  });
});

test("offset deltas other than 0..n-1 are refused with the records named", async () => {
  await withLog({}, ({ log }) => {
    const batch = makeBatch({ values: ["a", "b", "c"] });
    // Record 1's offset delta (after its length, attributes and timestamp delta): 1 becomes 2.
    const second = BATCH_HEADER_BYTES + 1 + (batch.readUInt8(BATCH_HEADER_BYTES) >> 1);
    assert.equal(batch[second + 3], 2, "zigzag offset delta 1");
    batch[second + 3] = 4;
    batchUpdateCrc(batch);
    const e = refusal(() => log.appendAsLeader(batch, 0));
    assert.equal(e.errorCode, ErrorCode.INVALID_RECORD);
    assert.deepEqual(recordErrorsOf(e), [1]);
    assert.ok(e instanceof RecordValidationError);
    assert.match(
      e.recordErrors[0]?.message ?? "",
      /does not have incremental offsets: its offset delta is 2, expected 1/,
    );
    assert.equal(log.logEndOffset, 0n);
  });
});

const batchWithPayload = (payload: Buffer, count: number, codec: number): Buffer =>
  payloadBatch(payload, count, codec, BigInt(CLOCK_START_MS));
const recordsOf = (values: string[]): Buffer => valuesPayload(values, BigInt(CLOCK_START_MS));

const CODECS = [
  ["none", CompressionType.none],
  ["gzip", CompressionType.gzip],
  ["snappy", CompressionType.snappy],
  ["lz4", CompressionType.lz4],
  ["zstd", CompressionType.zstd],
] as const;

for (const [name, codec] of CODECS) {
  test(`${name}: record counts that disagree with the records are INVALID_RECORD naming the record`, async () => {
    await withLog({}, ({ log }) => {
      const three = recordsOf(["a", "b", "c"]);
      const more = refusal(() => log.appendAsLeader(batchWithPayload(three, 4, codec), 0));
      assert.equal(errorName(more.errorCode), "INVALID_RECORD");
      assert.deepEqual(recordErrorsOf(more), [3]);
      assert.match(more.message, /premature EOF.*in topic partition validated-3/);
      const fewer = refusal(() => log.appendAsLeader(batchWithPayload(three, 2, codec), 0));
      assert.equal(errorName(fewer.errorCode), "INVALID_RECORD");
      assert.deepEqual(recordErrorsOf(fewer), [1]);
      assert.match(fewer.message, /records still remaining/);
      assert.equal(log.logEndOffset, 0n);
      log.appendAsLeader(batchWithPayload(three, 3, codec), 0);
      assert.equal(log.logEndOffset, 3n);
    });
  });

  test(`${name}: a varint longer than 5 bytes in record 1 is INVALID_RECORD naming it`, async () => {
    await withLog({}, ({ log }) => {
      const two = recordsOf(["first", "second"]);
      // Record 1's key length (after its length, attributes, timestampDelta and offsetDelta) is
      // made a 6-byte varint by overwriting its key bytes, so the record's size is unchanged.
      const second = 1 + two.readUInt8(0) / 2;
      const keyLengthAt = second + 4;
      assert.equal(two[keyLengthAt], 2 * "second".length, "the zigzag key length of record 1");
      two.fill(0xff, keyLengthAt, keyLengthAt + 6);
      const e = refusal(() => log.appendAsLeader(batchWithPayload(two, 2, codec), 0));
      assert.equal(errorName(e.errorCode), "INVALID_RECORD");
      assert.deepEqual(recordErrorsOf(e), [1]);
      assert.equal(log.logEndOffset, 0n);
    });
  });

  test(`${name}: keyless records on a compacted topic are named`, async () => {
    await withLog({ cleanupPolicy: ["compact", "delete"] }, ({ log }) => {
      const batch = makeBatch({ values: ["a", "b", "c"], keys: [null, "k", null], compression: codec });
      const e = refusal(() => log.appendAsLeader(batch, 0));
      assert.equal(errorName(e.errorCode), "INVALID_RECORD");
      assert.deepEqual(recordErrorsOf(e), [0, 2]);
      assert.equal(log.logEndOffset, 0n);
    });
  });
}

for (const [name, codec] of CODECS.slice(1)) {
  test(`${name}: a compressed payload that does not decompress (CRC valid) is CORRUPT_MESSAGE`, async () => {
    await withLog({}, ({ log }) => {
      const good = makeBatch({ values: ["one", "two", "three"], compression: codec });
      const damaged = Buffer.from(good);
      damaged.fill(0x5a, BATCH_HEADER_BYTES, Math.min(damaged.length, BATCH_HEADER_BYTES + 8));
      batchUpdateCrc(damaged);
      const e = refusal(() => log.appendAsLeader(damaged, 0));
      assert.equal(errorName(e.errorCode), "CORRUPT_MESSAGE", e.message);
      assert.match(e.message, /in topic partition validated-3/);
      // Cut short: the codec's stream ends early.
      const cut = recompressRecordBatch(good, 0, Buffer.alloc(0), CompressionType.none);
      const truncated = Buffer.concat([cut, good.subarray(BATCH_HEADER_BYTES, good.length - 4)]);
      truncated.writeInt32BE(truncated.length - 12, 8);
      truncated.writeInt16BE(codec, 21);
      batchUpdateCrc(truncated);
      const t = refusal(() => log.appendAsLeader(truncated, 0));
      assert.ok(["CORRUPT_MESSAGE", "INVALID_RECORD"].includes(errorName(t.errorCode)), t.message);
      assert.equal(log.logEndOffset, 0n);
      log.appendAsLeader(good, 0);
      assert.equal(log.logEndOffset, 3n);
    });
  });
}

test("a batch that decompresses past 64 x max.message.bytes (at least 16 MiB) is MESSAGE_TOO_LARGE", async () => {
  await withLog({ maxMessageBytes: 4096 }, ({ log }) => {
    const big = Buffer.alloc(17 * 1024 * 1024, 0x41);
    const bomb = batchWithPayload(big, 1, CompressionType.zstd);
    assert.ok(bomb.length < 4096, `the bomb is ${bomb.length} bytes`);
    assert.equal(errorName(refusal(() => log.appendAsLeader(bomb, 0)).errorCode), "MESSAGE_TOO_LARGE");
    assert.equal(log.logEndOffset, 0n);
  });
});

test("recompression (compression.type) keeps working from the walked payload, and its result must fit max.message.bytes", async () => {
  await withLog({ compressionType: "uncompressed", maxMessageBytes: 2000 }, ({ log }) => {
    const small = makeBatch({ values: ["x", "y"], keys: ["a", "b"], compression: CompressionType.lz4 });
    log.appendAsLeader(small, 0);
    const stored = readAll(log)[0] as Buffer;
    assert.equal(batchCompression(stored), CompressionType.none);
    assert.deepEqual(
      decodeAll([stored]).map((r) => [r.key, r.value]),
      [
        ["a", "x"],
        ["b", "y"],
      ],
    );
    const compressible = makeBatch({ values: ["z".repeat(5000)], compression: CompressionType.gzip });
    assert.ok(compressible.length < 2000);
    const e = refusal(() => log.appendAsLeader(compressible, 0));
    assert.equal(errorName(e.errorCode), "MESSAGE_TOO_LARGE");
    assert.equal(log.logEndOffset, 2n);
  });
});

test("coordinator and follower appends are not walked (Kafka validates neither's records this way)", async () => {
  await withLog({ cleanupPolicy: ["compact"] }, ({ log }) => {
    // Keyless, with a header count one above its records: a client's append of it is refused.
    const batch = batchWithPayload(recordsOf(["a"]), 2, CompressionType.none);
    assert.equal(
      errorName(refusal(() => log.appendAsLeader(Buffer.from(batch), 0)).errorCode),
      "INVALID_RECORD",
    );
    const info = log.appendAsLeader(Buffer.from(batch), 0, { origin: "coordinator" });
    assert.deepEqual([info.firstOffset, info.lastOffset], [0n, 1n]);
    const follower = Buffer.from(batch);
    follower.writeBigInt64BE(2n, 0);
    log.appendAsFollower(follower);
    assert.equal(log.logEndOffset, 4n);
  });
});

test("property: random valid batches of every codec are accepted with their records", async () => {
  await withLog({ messageTimestampBeforeMaxMs: 2 ** 63 }, ({ log }) => {
    fc.assert(
      fc.property(
        fc.array(recordArbitrary, { minLength: 1, maxLength: 30 }),
        fc.constantFrom(0, 1, 2, 3, 4),
        (records, compression) => {
          const before = log.logEndOffset;
          const batch = encodeRecordBatch({
            records: records.map((r) => ({ ...r, timestamp: BigInt(CLOCK_START_MS) })),
            compression,
          });
          const info = log.appendAsLeader(batch, 0);
          assert.equal(info.firstOffset, before);
          assert.equal(log.logEndOffset, before + BigInt(records.length));
        },
      ),
      { numRuns: RUNS },
    );
  });
});

test("property: single-byte corruptions of the records area (CRC recomputed) never crash and are never stored when refused", async () => {
  await withLog({ cleanupPolicy: ["compact"], messageTimestampBeforeMaxMs: 2 ** 63 }, ({ log }) => {
    const codes = new Map<string, number>();
    fc.assert(
      fc.property(
        fc.array(recordArbitrary, { minLength: 1, maxLength: 20 }),
        fc.constantFrom(0, 1, 2, 3, 4),
        fc.nat(),
        fc.integer({ min: 0, max: 255 }),
        (records, compression, where, value) => {
          const batch = encodeRecordBatch({
            records: records.map((r) => ({ ...r, key: r.key ?? Buffer.from("k") })),
            baseTimestamp: BigInt(CLOCK_START_MS),
            compression,
          });
          const span = batch.length - BATCH_HEADER_BYTES;
          batch[BATCH_HEADER_BYTES + (where % span)] = value;
          batchUpdateCrc(batch);
          const before = log.logEndOffset;
          let outcome = "NONE";
          try {
            log.appendAsLeader(batch, 0);
          } catch (e) {
            assert.ok(e instanceof KafkaError, `a typed Kafka error: ${String(e)}`);
            outcome = errorName(e.errorCode);
            assert.ok(
              ["CORRUPT_MESSAGE", "INVALID_RECORD", "MESSAGE_TOO_LARGE"].includes(outcome),
              `${outcome}: ${e.message}`,
            );
            assert.equal(log.logEndOffset, before, "a refused batch is not stored");
          }
          if (outcome === "NONE") {
            // Accepted: what is stored decodes, with the count the header gave.
            const stored = log.read({ fetchOffset: before, maxBytes: 1 << 22 }).records;
            const decoded = decodeAll(stored);
            assert.equal(BigInt(decoded.length), log.logEndOffset - before);
          }
          codes.set(outcome, (codes.get(outcome) ?? 0) + 1);
        },
      ),
      { numRuns: RUNS },
    );
    assert.ok((codes.get("INVALID_RECORD") ?? 0) > 0, `refusals seen: ${JSON.stringify([...codes])}`);
  });
});

test("idempotent and transactional batches are walked like any other and accepted", async () => {
  await withLog({ cleanupPolicy: ["compact"] }, ({ log }) => {
    for (const [i, compression] of [CompressionType.none, CompressionType.zstd].entries()) {
      const batch = encodeRecordBatch({
        records: [
          { key: Buffer.from("a"), value: Buffer.from("1") },
          { key: Buffer.from("b"), value: null },
        ],
        baseTimestamp: BigInt(CLOCK_START_MS),
        producerId: 77n,
        producerEpoch: 0,
        baseSequence: 2 * i,
        isTransactional: true,
        compression,
      });
      log.appendAsLeader(batch, 0);
    }
    assert.equal(log.logEndOffset, 4n);
  });
});
