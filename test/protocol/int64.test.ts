import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { ProtocolDecodeError, ProtocolEncodeError, Reader, Writer } from "../../src/protocol/index.js";

const INT64 = fc.bigInt(-(2n ** 63n), 2n ** 63n - 1n);

test("int64 is big-endian two's complement, as Buffer.writeBigInt64BE writes it", () => {
  fc.assert(
    fc.property(INT64, (v) => {
      const expected = Buffer.alloc(8);
      expected.writeBigInt64BE(v);
      assert.deepEqual(new Writer().int64(v).toBuffer(), expected);
      assert.equal(new Reader(expected).int64(), v);
    }),
  );
});

test("int64 round-trips while the writer's buffer grows and at any offset of a pooled buffer", () => {
  fc.assert(
    fc.property(fc.array(INT64, { minLength: 1, maxLength: 200 }), fc.nat(15), (values, lead) => {
      const w = new Writer(1);
      for (let i = 0; i < lead; i++) w.int8(i);
      for (const v of values) w.int64(v).int8(7);
      // A slice of a larger allocation: the reader's view must start at the slice, not the pool.
      const bytes = Buffer.concat([Buffer.alloc(3), w.toBuffer()]).subarray(3);
      const r = new Reader(bytes, lead);
      for (const v of values) {
        assert.equal(r.int64(), v);
        assert.equal(r.int8(), 7);
      }
      assert.equal(r.remaining, 0);
    }),
  );
});

test("int64 out of range is refused on encode; a truncated one on decode", () => {
  assert.throws(() => new Writer().int64(2n ** 63n), ProtocolEncodeError);
  assert.throws(() => new Writer().int64(-(2n ** 63n) - 1n), ProtocolEncodeError);
  assert.throws(() => new Reader(Buffer.alloc(7)).int64(), ProtocolDecodeError);
  assert.throws(() => new Reader(Buffer.alloc(16), 4, 11).int64(), ProtocolDecodeError);
});
