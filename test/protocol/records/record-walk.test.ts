import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import {
  BATCH_HEADER_BYTES,
  CorruptRecordError,
  decodeRecordBatch,
  encodeRecordBatch,
  InvalidRecordError,
  type RecordInput,
  type RecordWalkRules,
  Writer,
  walkRecords,
} from "../../../src/protocol/index.js";
import { recordArbitrary } from "./arbitraries.js";

/**
 * walkRecords: the produce path's record walk. What it accepts, the full decoder accepts with the
 * same records; it names the first record whose structure is wrong and every record that breaks
 * a rule.
 */
const RUNS = Number(process.env.BROOK_FUZZ_RUNS ?? 300);
const BASE_TS = 1_700_000_000_000;

const NO_RULES: RecordWalkRules = {
  keyRequired: false,
  checkTimestamps: false,
  timestampMinMs: Number.NEGATIVE_INFINITY,
  timestampMaxMs: Number.POSITIVE_INFINITY,
  violationsMax: 10_000,
};

/** Walks the records area of an uncompressed batch, in place. */
function walk(batch: Buffer, rules: Partial<RecordWalkRules> = {}) {
  const count = batch.readInt32BE(57);
  const base = Number(batch.readBigInt64BE(27));
  return walkRecords(batch, BATCH_HEADER_BYTES, batch.length, count, base, { ...NO_RULES, ...rules });
}

const plain = (values: string[], keys: (string | null)[] = values): Buffer =>
  encodeRecordBatch({
    records: values.map((v, i) => ({
      key: keys[i] == null ? null : Buffer.from(keys[i] as string),
      value: Buffer.from(v),
      timestamp: BigInt(BASE_TS + i),
    })),
  });

function invalidAt(fn: () => unknown, index: number, pattern: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof InvalidRecordError, String(e));
    assert.equal(e.recordIndex, index, e.message);
    assert.match(e.message, pattern);
    assert.equal(e.errorCode, 87, "INVALID_RECORD");
    return true;
  });
}

test("a valid batch walks clean and gives its largest record timestamp", () => {
  const batch = encodeRecordBatch({
    records: [
      { key: Buffer.from("a"), value: Buffer.from("x"), timestamp: BigInt(BASE_TS + 5) },
      { key: null, value: null, timestamp: BigInt(BASE_TS + 50) },
      {
        key: Buffer.from("c"),
        value: Buffer.alloc(10_000, 1),
        headers: [{ key: "h", value: null }],
        timestamp: BigInt(BASE_TS - 7),
      },
    ],
  });
  const result = walk(batch);
  assert.deepEqual(result, {
    maxTimestampMs: BASE_TS + 50,
    maxTimestampExact: true,
    violations: null,
    violationCount: 0,
  });
});

test("keyless records are all named when a key is required", () => {
  const batch = plain(["a", "b", "c", "d", "e"], ["k", null, "k", null, null]);
  const result = walk(batch, { keyRequired: true });
  assert.deepEqual(
    result.violations?.map((v) => [v.index, v.kind]),
    [
      [1, "keyless"],
      [3, "keyless"],
      [4, "keyless"],
    ],
  );
  assert.equal(result.violationCount, 3);
  assert.equal(walk(batch).violations, null, "no rule, no violation");
});

test("timestamps outside the bounds are named with their value; -1 is no timestamp", () => {
  const records: RecordInput[] = [
    { value: Buffer.from("ok"), timestamp: BigInt(BASE_TS) },
    { value: Buffer.from("old"), timestamp: BigInt(BASE_TS - 10_000) },
    { value: Buffer.from("new"), timestamp: BigInt(BASE_TS + 10_000) },
    { value: Buffer.from("edge"), timestamp: BigInt(BASE_TS + 1000) },
  ];
  const rules = { checkTimestamps: true, timestampMinMs: BASE_TS - 1000, timestampMaxMs: BASE_TS + 1000 };
  const result = walk(encodeRecordBatch({ records }), rules);
  assert.deepEqual(result.violations, [
    { index: 1, kind: "timestamp", value: BASE_TS - 10_000 },
    { index: 2, kind: "timestamp", value: BASE_TS + 10_000 },
  ]);
  const none = encodeRecordBatch({ records: [{ value: Buffer.from("x") }], baseTimestamp: -1n });
  assert.equal(walk(none, rules).violations, null);
  assert.equal(walk(none, rules).maxTimestampMs, -1);
});

test("offset deltas must run 0..n-1; a key or timestamp violation takes precedence on its record", () => {
  const batch = encodeRecordBatch({
    records: [
      { key: Buffer.from("k"), value: Buffer.from("a"), offsetDelta: 0 },
      { key: null, value: Buffer.from("b"), offsetDelta: 2 },
      { key: Buffer.from("k"), value: Buffer.from("c"), offsetDelta: 3 },
    ],
    baseTimestamp: BigInt(BASE_TS),
  });
  assert.deepEqual(walk(batch).violations, [
    { index: 1, kind: "offsetDelta", value: 2 },
    { index: 2, kind: "offsetDelta", value: 3 },
  ]);
  assert.deepEqual(
    walk(batch, { keyRequired: true }).violations?.map((v) => v.kind),
    ["keyless", "offsetDelta"],
  );
});

test("violations past violationsMax are counted, not listed", () => {
  const batch = plain(
    Array.from({ length: 50 }, (_, i) => `v${i}`),
    Array.from({ length: 50 }, () => null),
  );
  const result = walk(batch, { keyRequired: true, violationsMax: 7 });
  assert.equal(result.violations?.length, 7);
  assert.equal(result.violationCount, 50);
});

test("a count above the records is a premature EOF, below them leaves bytes remaining", () => {
  const batch = plain(["a", "b", "c"]);
  const base = Number(batch.readBigInt64BE(27));
  invalidAt(
    () => walkRecords(batch, BATCH_HEADER_BYTES, batch.length, 4, base, NO_RULES),
    3,
    /premature EOF/,
  );
  invalidAt(
    () => walkRecords(batch, BATCH_HEADER_BYTES, batch.length, 2, base, NO_RULES),
    1,
    /records still remaining/,
  );
});

test("a record length that runs past the batch, or below the smallest record, names the record", () => {
  const batch = plain(["aaaa", "bbbb", "cccc"]);
  const second = BATCH_HEADER_BYTES + 1 + batch.readUInt8(BATCH_HEADER_BYTES) / 2;
  const long = Buffer.from(batch);
  long[second] = 0x7e; // 63 bytes
  invalidAt(() => walk(long), 1, /Invalid record size/);
  const short = Buffer.from(batch);
  short[second] = 4; // 2 bytes
  invalidAt(() => walk(short), 1, /Invalid record size/);
});

test("varints longer than 5 bytes or above 32 bits are refused", () => {
  for (const bytes of [
    [0xff, 0xff, 0xff, 0xff, 0xff, 0x01],
    [0x80, 0x80, 0x80, 0x80, 0x7f],
  ]) {
    // A one-record batch whose key length varint is `bytes`.
    const body = new Writer().int8(0).varint(0).varint(0).raw(Buffer.from(bytes)).toBuffer();
    const records = new Writer().varint(body.length).raw(body).toBuffer();
    invalidAt(() => walkRecords(records, 0, records.length, 1, BASE_TS, NO_RULES), 0, /varint|size/);
  }
});

test("null-length -1 is the only negative length; header keys cannot be null", () => {
  const record = (fields: (w: Writer) => void): Buffer => {
    const w = new Writer().int8(0).varint(0).varint(0);
    fields(w);
    const body = w.toBuffer();
    return new Writer().varint(body.length).raw(body).toBuffer();
  };
  const cases: [string, Buffer, RegExp][] = [
    ["key -2", record((w) => w.varint(-2).varint(-1).varint(0)), /Invalid key size -2/],
    ["value -5", record((w) => w.varint(-1).varint(-5).varint(0)), /Invalid value size -5/],
    ["header count -1", record((w) => w.varint(-1).varint(-1).varint(-1)), /headers -1/],
    ["header count 100", record((w) => w.varint(-1).varint(-1).varint(100)), /headers 100/],
    [
      "header key -1",
      record((w) => w.varint(-1).varint(-1).varint(1).varint(-1).varint(-1)),
      /header key size -1/,
    ],
    [
      "header value -3",
      record((w) => w.varint(-1).varint(-1).varint(1).varint(0).varint(-3)),
      /header value size -3/,
    ],
  ];
  for (const [name, records, pattern] of cases) {
    assert.throws(
      () => walkRecords(records, 0, records.length, 1, BASE_TS, NO_RULES),
      (e: unknown) => e instanceof InvalidRecordError && pattern.test(e.message),
      name,
    );
  }
  const ok = record((w) => w.varint(-1).varint(-1).varint(1).varint(1).raw(Buffer.from("h")).varint(-1));
  assert.equal(walkRecords(ok, 0, ok.length, 1, BASE_TS, NO_RULES).violations, null);
});

test("a field that runs over its record's length is refused even when the next record's bytes parse", () => {
  // Record 0 declares 7 bytes but its value takes 3 more: the walk must not read into record 1.
  const body = new Writer()
    .int8(0)
    .varint(0)
    .varint(0)
    .varint(-1)
    .varint(4)
    .raw(Buffer.from("abcd"))
    .varint(0);
  const tight = body.toBuffer();
  const records = Buffer.concat([
    new Writer().varint(tight.length - 3).toBuffer(),
    tight,
    new Writer().varint(tight.length).raw(tight).toBuffer(),
  ]);
  assert.throws(
    () => walkRecords(records, 0, records.length, 2, BASE_TS, NO_RULES),
    (e: unknown) => e instanceof InvalidRecordError && e.recordIndex === 0,
  );
});

test("property: every encoded batch walks clean, with the decoder's count and largest timestamp", () => {
  fc.assert(
    fc.property(fc.array(recordArbitrary, { minLength: 1, maxLength: 60 }), (records) => {
      const batch = encodeRecordBatch({ records });
      const decoded = decodeRecordBatch(batch);
      const result = walk(batch);
      assert.equal(result.violations, null);
      let max = -(2n ** 63n);
      for (const r of decoded.records) if (r.timestamp > max) max = r.timestamp;
      // Timestamps beyond 2^53 ms (year 287,000) make the number approximate, and say so.
      if (result.maxTimestampExact) assert.equal(BigInt(result.maxTimestampMs), max);
      else
        assert.ok(
          max > BigInt(Number.MAX_SAFE_INTEGER) ||
            max < -BigInt(Number.MAX_SAFE_INTEGER) ||
            records.some((r) => (r.timestamp ?? 0n) > 2n ** 52n || (r.timestamp ?? 0n) < -(2n ** 52n)),
        );
    }),
    { numRuns: RUNS },
  );
});

test("property: a mutated records area is accepted only if the decoder reads the same records", () => {
  fc.assert(
    fc.property(
      fc.array(recordArbitrary, { minLength: 1, maxLength: 20 }),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 3 }),
      (records, changes) => {
        const batch = encodeRecordBatch({ records });
        const span = batch.length - BATCH_HEADER_BYTES;
        for (const [where, value] of changes) batch[BATCH_HEADER_BYTES + (where % span)] = value;
        let walked: ReturnType<typeof walk> | undefined;
        try {
          walked = walk(batch);
        } catch (e) {
          assert.ok(e instanceof InvalidRecordError, `only InvalidRecordError: ${String(e)}`);
          return;
        }
        // Accepted by the walk: the decoder (compaction, fetch-side tools) must read it too.
        const decoded = decodeRecordBatch(batch, 0, { verifyCrc: false });
        assert.equal(decoded.records.length, batch.readInt32BE(57));
        const offsetsOk = decoded.records.every((r, i) => r.offsetDelta === i);
        assert.equal(walked.violations === null, offsetsOk);
      },
    ),
    { numRuns: RUNS },
  );
});

test("InvalidRecordError is a CorruptRecordError whose Kafka code is INVALID_RECORD", () => {
  const e = new InvalidRecordError("x", 3);
  assert.ok(e instanceof CorruptRecordError);
  assert.equal(e.code, "BRK_ERR_RECORD_INVALID");
  assert.equal(e.errorCode, 87);
});

test("a timestamp delta that needs an 8-byte varlong but fits 2^53 is still exact (fast-check seed -1624856518)", () => {
  const batch = encodeRecordBatch({
    records: [
      { key: null, value: null, headers: [], timestamp: 281474976710657n },
      { key: null, value: null, headers: [], timestamp: 0n },
    ],
  });
  const result = walk(batch);
  assert.equal(result.maxTimestampExact, true);
  assert.equal(result.maxTimestampMs, 281474976710657);
});
