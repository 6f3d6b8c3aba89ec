import fc from "fast-check";
import type { RecordBatchInput, RecordHeader, RecordInput } from "../../../src/protocol/index.js";

/** Random records and batches for property tests of the record batch codec. */

const bytes = (maxLength: number): fc.Arbitrary<Buffer | null> =>
  fc.option(
    fc.uint8Array({ maxLength }).map((b) => Buffer.from(b)),
    { nil: null, freq: 4 },
  );

export const headerArbitrary: fc.Arbitrary<RecordHeader> = fc
  .tuple(fc.string({ maxLength: 20, unit: "grapheme" }), bytes(40))
  .map(([key, value]) => ({ key, value }));

/** Timestamps anywhere in int64 range around a base, so deltas can be large and negative. */
const timestampArbitrary = fc.oneof(
  fc.bigInt(-1n, 2_000_000_000_000n),
  fc.bigInt(-(2n ** 62n) + 1n, 2n ** 62n - 1n),
);

export const recordArbitrary: fc.Arbitrary<RecordInput> = fc.record({
  key: bytes(64),
  value: bytes(300),
  headers: fc.array(headerArbitrary, { maxLength: 4 }),
  timestamp: timestampArbitrary,
});

/** Records with explicit, strictly increasing offset deltas (as compaction leaves them). */
export const gappedRecordsArbitrary: fc.Arbitrary<RecordInput[]> = fc
  .array(fc.tuple(recordArbitrary, fc.integer({ min: 1, max: 100_000 })), { maxLength: 30 })
  .map((pairs) => {
    let delta = -1;
    return pairs.map(([record, gap]) => {
      delta += gap;
      return { ...record, offsetDelta: delta };
    });
  });

export const batchInputArbitrary = (compression: number): fc.Arbitrary<RecordBatchInput> =>
  fc.record({
    records: fc.oneof(
      fc.array(recordArbitrary, { minLength: 1, maxLength: 40 }),
      fc.array(recordArbitrary, { minLength: 200, maxLength: 600 }),
      gappedRecordsArbitrary.filter((records) => records.length > 0),
    ),
    baseOffset: fc.bigInt(0n, 2n ** 62n),
    partitionLeaderEpoch: fc.integer({ min: -1, max: 0x7fffffff }),
    compression: fc.constant(compression),
    timestampType: fc.constantFrom("CreateTime" as const, "LogAppendTime" as const),
    isTransactional: fc.boolean(),
    producerId: fc.bigInt(-1n, 2n ** 62n),
    producerEpoch: fc.integer({ min: -1, max: 0x7fff }),
    baseSequence: fc.integer({ min: -1, max: 0x7fffffff }),
  });
