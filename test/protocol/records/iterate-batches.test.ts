import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import {
  type BatchLocation,
  type BatchScanEnd,
  CompressionType,
  CorruptRecordError,
  decodeRecordBatch,
  encodeRecordBatch,
  iterateBatches,
} from "../../../src/protocol/index.js";
import { batchInputArbitrary } from "./arbitraries.js";
import { encodeLegacyEntry } from "./legacy-fixtures.js";

const RUNS = Number(process.env.BROOK_PROPERTY_RUNS ?? 40);

function scan(buf: Buffer): { batches: BatchLocation[]; end: BatchScanEnd } {
  const batches: BatchLocation[] = [];
  const iterator = iterateBatches(buf);
  for (;;) {
    const step = iterator.next();
    if (step.done === true) return { batches, end: step.value };
    batches.push(step.value);
  }
}

test("iterates concatenated batches and stops cleanly at a cut-off tail", () => {
  fc.assert(
    fc.property(
      fc.array(batchInputArbitrary(CompressionType.none), { minLength: 1, maxLength: 4 }),
      fc.nat(),
      (inputs, cutSeed) => {
        const batches = inputs.map((input) => encodeRecordBatch(input));
        const whole = Buffer.concat(batches);
        const full = scan(whole);
        assert.equal(full.batches.length, batches.length);
        assert.deepEqual(full.end, { end: whole.length, partialBytes: 0 });
        let at = 0;
        for (const [i, location] of full.batches.entries()) {
          assert.deepEqual(location, { at, size: batches[i]?.length, magic: 2 });
          assert.equal(decodeRecordBatch(whole, location.at).records.length, inputs[i]?.records.length);
          at += location.size;
        }
        const cut = cutSeed % whole.length;
        const partial = scan(whole.subarray(0, cut));
        const complete = full.batches.filter((b) => b.at + b.size <= cut);
        assert.deepEqual(partial.batches, complete);
        const end = complete.reduce((sum, b) => sum + b.size, 0);
        assert.deepEqual(partial.end, { end, partialBytes: cut - end });
      },
    ),
    { numRuns: RUNS },
  );
});

test("every cut of a mixed-magic buffer ends at the last complete entry", () => {
  const parts = [
    encodeLegacyEntry({ offset: 0n, magic: 0, key: null, value: Buffer.from("a") }),
    encodeLegacyEntry({ offset: 1n, magic: 1, timestamp: 5n, key: null, value: Buffer.from("b") }),
    encodeRecordBatch({ baseOffset: 2n, records: [{ value: Buffer.from("c") }] }),
  ];
  const whole = Buffer.concat(parts);
  assert.deepEqual(
    scan(whole).batches.map((b) => b.magic),
    [0, 1, 2],
  );
  for (let cut = 0; cut <= whole.length; cut++) {
    const { batches, end } = scan(whole.subarray(0, cut));
    assert.equal(end.end + end.partialBytes, cut);
    assert.equal(
      batches.length,
      parts.filter((_, i) => parts.slice(0, i + 1).reduce((s, p) => s + p.length, 0) <= cut).length,
    );
  }
});

test("impossible lengths and magics raise CorruptRecordError rather than reading as partial", () => {
  const batch = encodeRecordBatch({ records: [{ value: null }] });
  const shortLength = Buffer.from(batch);
  shortLength.writeInt32BE(10, 8);
  const negative = Buffer.from(batch);
  negative.writeInt32BE(-5, 8);
  const badMagic = Buffer.from(batch);
  badMagic[16] = 7;
  for (const buf of [shortLength, negative, badMagic]) assert.throws(() => scan(buf), CorruptRecordError);
  assert.deepEqual(scan(Buffer.alloc(0)).end, { end: 0, partialBytes: 0 });
  assert.deepEqual(scan(Buffer.alloc(16)).end, { end: 0, partialBytes: 16 });
});
