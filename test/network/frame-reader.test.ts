import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { FrameBufferPool, FrameReader, InvalidFrameSizeError } from "../../src/network/index.js";

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

test("with transient chunks every frame and leftover is copied out before the chunk is reused", () => {
  fc.assert(
    fc.property(
      fc.array(
        fc.oneof(fc.uint8Array({ maxLength: 300 }), fc.uint8Array({ minLength: 16_384, maxLength: 20_000 })),
        {
          maxLength: 12,
        },
      ),
      fc.array(fc.integer({ min: 1, max: 40_000 }), { minLength: 1, maxLength: 10 }),
      fc.array(fc.boolean(), { minLength: 1, maxLength: 7 }),
      (payloads, cuts, stops) => {
        const stream = Buffer.concat(payloads.map((p) => frame(Buffer.from(p))));
        const pool = new FrameBufferPool();
        const reader = new FrameReader(100_000, { pool, mayPool: () => true, transientChunks: true });
        const shared = Buffer.alloc(40_000);
        const kept: { frame: Buffer; pooled: Buffer | null }[] = [];
        const sink = (f: Buffer, pooled: Buffer | null) => kept.push({ frame: f, pooled });
        let at = 0;
        let i = 0;
        while (at < stream.length || reader.hasPending) {
          const step = at < stream.length ? (cuts[i % cuts.length] as number) : 0;
          const n = stream.copy(shared, 0, at, at + step);
          // Sometimes the connection is over its limits: the rest of the chunk must be kept.
          let allowed = stops[i % stops.length] === true ? 1 : Number.POSITIVE_INFINITY;
          reader.push(shared.subarray(0, n), sink, () => allowed-- > 0);
          shared.fill(0xef); // the socket's next read overwrites the chunk
          at += n;
          i++;
        }
        assert.deepEqual(
          kept.map((k) => k.frame.toString("hex")),
          payloads.map((p) => Buffer.from(p).toString("hex")),
        );
        for (const k of kept) {
          assert.notEqual(k.frame.buffer, shared.buffer);
          if (k.pooled !== null) pool.release(k.pooled);
        }
        assert.equal(reader.bufferedBytes, 0);
      },
    ),
    { numRuns: 200 },
  );
});
