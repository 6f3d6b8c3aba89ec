import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { FrameReader, InvalidFrameSizeError } from "../../src/network/index.js";

function frame(payload: Buffer): Buffer {
  const prefix = Buffer.alloc(4);
  prefix.writeInt32BE(payload.length);
  return Buffer.concat([prefix, payload]);
}

test("frames come out whole and in order however the stream is chunked", () => {
  fc.assert(
    fc.property(
      fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 20 }),
      fc.array(fc.integer({ min: 1, max: 97 }), { minLength: 1, maxLength: 10 }),
      (payloads, cuts) => {
        const stream = Buffer.concat(payloads.map((p) => frame(Buffer.from(p))));
        const reader = new FrameReader(1000);
        const seen: Buffer[] = [];
        let at = 0;
        let i = 0;
        while (at < stream.length) {
          const step = cuts[i++ % cuts.length] as number;
          reader.push(stream.subarray(at, at + step), (f) => seen.push(Buffer.from(f)));
          at += step;
        }
        assert.deepEqual(
          seen.map((b) => b.toString("hex")),
          payloads.map((p) => Buffer.from(p).toString("hex")),
        );
        assert.equal(reader.bufferedBytes, 0);
      },
    ),
  );
});

test("a frame inside one chunk is a view, not a copy", () => {
  const chunk = frame(Buffer.from("hello"));
  const reader = new FrameReader(100);
  let got: Buffer | undefined;
  reader.push(chunk, (f) => {
    got = f;
  });
  assert.equal(got?.buffer, chunk.buffer);
});

test("a size above the limit or negative is refused before any allocation", () => {
  const huge = Buffer.alloc(4);
  huge.writeInt32BE(2 ** 31 - 1);
  assert.throws(() => new FrameReader(1024).push(huge, () => {}), InvalidFrameSizeError);
  const negative = Buffer.alloc(4);
  negative.writeInt32BE(-5);
  assert.throws(() => new FrameReader(1024).push(negative, () => {}), InvalidFrameSizeError);
});
