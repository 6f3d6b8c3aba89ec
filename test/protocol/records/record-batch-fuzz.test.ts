import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import {
  BATCH_HEADER_BYTES,
  batchUpdateCrc,
  CompressionType,
  decodeBatch,
  decodeRecordBatch,
  decodeRecordSet,
  encodeRecordBatch,
  ProtocolDecodeError,
} from "../../../src/protocol/index.js";
import { batchInputArbitrary } from "./arbitraries.js";

/**
 * Fuzz: arbitrary and mutated bytes meet the batch decoders, which may only succeed or raise a
 * ProtocolDecodeError (CorruptRecordError, CompressionError). A RangeError, TypeError or assertion
 * failure fails the test. Mutated batches get their CRC fixed so mutations reach the record parser.
 * BROOK_FUZZ_RUNS scales the iteration count.
 */
const RUNS = Number(process.env.BROOK_FUZZ_RUNS ?? 300);
const CAP = { decompressedBytesMax: 1 << 20 };

function typedOnly(fn: () => unknown): void {
  try {
    fn();
  } catch (error) {
    if (!(error instanceof ProtocolDecodeError)) throw error;
  }
}

test("random bytes raise only typed errors", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 400 }), fc.boolean(), (bytes, verifyCrc) => {
      const buf = Buffer.from(bytes);
      if (buf.length > 16) buf[16] = 2;
      typedOnly(() => decodeRecordBatch(buf, 0, { verifyCrc, ...CAP }));
      typedOnly(() => decodeBatch(buf, 0, { verifyCrc, ...CAP }));
      typedOnly(() => decodeRecordSet(buf, { verifyCrc, ...CAP }));
    }),
    { numRuns: RUNS },
  );
});

const mutation = fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), {
  minLength: 1,
  maxLength: 4,
});

for (const compression of [0, 1, 2, 3, 4] as const) {
  test(`mutated batches (codec ${compression}) with a valid CRC raise only typed errors`, () => {
    fc.assert(
      fc.property(batchInputArbitrary(compression), mutation, fc.boolean(), (input, changes, inRecords) => {
        const buf = encodeRecordBatch(input);
        const from = inRecords ? BATCH_HEADER_BYTES : 0;
        if (buf.length <= from) return;
        for (const [where, value] of changes) buf[from + (where % (buf.length - from))] = value;
        if (buf.length >= BATCH_HEADER_BYTES && buf.readInt32BE(8) + 12 === buf.length) batchUpdateCrc(buf);
        typedOnly(() => decodeRecordBatch(buf, 0, CAP));
        typedOnly(() => decodeRecordSet(buf, CAP));
      }),
      { numRuns: Math.ceil(RUNS / 5) },
    );
  });
}

test("a truncated batch at every length raises a typed error", () => {
  const buf = encodeRecordBatch({
    compression: CompressionType.none,
    records: [
      { key: Buffer.from("k"), value: Buffer.from("v"), headers: [{ key: "h", value: Buffer.from("x") }] },
      { value: null },
    ],
  });
  for (let cut = 0; cut < buf.length; cut++) {
    assert.throws(() => decodeRecordBatch(buf.subarray(0, cut)), ProtocolDecodeError);
    const shortened = Buffer.from(buf.subarray(0, cut));
    if (cut >= BATCH_HEADER_BYTES) {
      shortened.writeInt32BE(cut - 12, 8);
      batchUpdateCrc(shortened);
      assert.throws(() => decodeRecordBatch(shortened), ProtocolDecodeError);
    }
  }
});
