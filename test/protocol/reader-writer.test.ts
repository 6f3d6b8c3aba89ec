import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { ProtocolDecodeError, Reader, WRITER_REF_BYTES_MIN, Writer } from "../../src/protocol/index.js";

test("varints round-trip over their whole range", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: -0x80000000, max: 0x7fffffff }),
      fc.bigInt(-(2n ** 63n), 2n ** 63n - 1n),
      (i, l) => {
        const w = new Writer(1)
          .varint(i)
          .varlong(l)
          .unsignedVarint(i >>> 0);
        const r = new Reader(w.toBuffer());
        assert.equal(r.varint(), i);
        assert.equal(r.varlong(), l);
        assert.equal(r.unsignedVarint(), i >>> 0);
        assert.equal(r.remaining, 0);
      },
    ),
  );
});

test("zigzag matches Kafka's encoding of small values", () => {
  assert.deepEqual(
    [...new Writer().varint(-1).varint(1).varint(-64).varint(64).toBuffer()],
    [1, 2, 127, 128, 1],
  );
});

test("strings, bytes and nullables round-trip in classic and compact forms", () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 300 }), fc.option(fc.uint8Array({ maxLength: 3000 })), (s, b) => {
      const bytes = b === null ? null : Buffer.from(b);
      const w = new Writer(4)
        .string(s)
        .compactString(s)
        .nullableString(null)
        .compactNullableString(null)
        .nullableBytes(bytes)
        .compactNullableBytes(bytes);
      const r = new Reader(w.toBuffer());
      assert.equal(r.string(), s);
      assert.equal(r.compactString(), s);
      assert.equal(r.nullableString(), null);
      assert.equal(r.compactNullableString(), null);
      assert.deepEqual(r.nullableBytes(), bytes);
      assert.deepEqual(r.compactNullableBytes(), bytes);
      assert.equal(r.remaining, 0);
    }),
  );
});

test("large byte ranges are referenced, not copied, and patches land in owned bytes", () => {
  const big = Buffer.alloc(WRITER_REF_BYTES_MIN * 2, 7);
  const w = new Writer(8).int32(0).bytes(big).int16(5);
  w.patchInt32(0, w.length - 4);
  const chunks = w.toChunks();
  assert.ok(chunks.includes(big), "the record bytes travel as their own chunk");
  const out = Buffer.concat(chunks);
  assert.equal(out.readInt32BE(0), out.length - 4);
  assert.equal(out.readInt16BE(out.length - 2), 5);
});

test("lengths past the end fail with a typed error before allocating", () => {
  const r = new Reader(Buffer.from([0x7f, 0xff, 0xff, 0xff, 1, 2]));
  assert.throws(() => r.arrayLength(), ProtocolDecodeError);
  assert.throws(() => new Reader(Buffer.from([0, 10, 65])).string(), ProtocolDecodeError);
  assert.throws(
    () => new Reader(Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0x01])).unsignedVarint(),
    ProtocolDecodeError,
  );
  assert.throws(() => new Reader(Buffer.from([2])).bool(), ProtocolDecodeError);
});
