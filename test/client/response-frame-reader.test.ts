import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { ClientError, ClientErrorCode, ResponseFrameReader } from "../../src/client/index.js";

function frame(payload: Uint8Array): Buffer {
  const prefix = Buffer.alloc(4);
  prefix.writeInt32BE(payload.length);
  return Buffer.concat([prefix, payload]);
}

test("frames come out whole and in order however the stream is cut", () => {
  fc.assert(
    fc.property(
      fc.array(fc.uint8Array({ maxLength: 200 }), { maxLength: 20 }),
      fc.array(fc.integer({ min: 1, max: 61 }), { minLength: 1, maxLength: 10 }),
      (payloads, cuts) => {
        const stream = Buffer.concat(payloads.map(frame));
        const reader = new ResponseFrameReader(1000);
        const seen: string[] = [];
        for (let at = 0, i = 0; at < stream.length; i++) {
          const step = cuts[i % cuts.length] as number;
          reader.push(stream.subarray(at, at + step), (f) => seen.push(f.toString("hex")));
          at += step;
        }
        assert.deepEqual(
          seen,
          payloads.map((p) => Buffer.from(p).toString("hex")),
        );
        assert.equal(reader.bufferedBytes, 0);
      },
    ),
  );
});

test("a frame inside one chunk is a view on it, and so is one whose bytes all come in the next chunk", () => {
  const reader = new ResponseFrameReader(100);
  const chunk = Buffer.concat([frame(Buffer.from("one")), frame(Buffer.from("two"))]);
  const got: Buffer[] = [];
  reader.push(chunk, (f) => got.push(f));
  assert.deepEqual(
    got.map((f) => f.toString()),
    ["one", "two"],
  );
  for (const f of got) assert.equal(f.buffer, chunk.buffer);

  const whole = frame(Buffer.from("three"));
  const body = Buffer.from(whole.subarray(4));
  reader.push(whole.subarray(0, 4), () => assert.fail("no frame yet"));
  reader.push(body, (f) => got.push(f));
  assert.equal(got[2]?.toString(), "three");
  assert.equal(got[2]?.buffer, body.buffer);
});

test("a frame over several chunks is assembled once it is complete", () => {
  const reader = new ResponseFrameReader(100);
  const whole = frame(Buffer.from("spread over chunks"));
  const got: Buffer[] = [];
  reader.push(whole.subarray(0, 2), (f) => got.push(f));
  reader.push(whole.subarray(2, 9), (f) => got.push(f));
  assert.equal(reader.bufferedBytes, 5);
  reader.push(whole.subarray(9), (f) => got.push(f));
  assert.equal(got.length, 1);
  assert.equal(got[0]?.toString(), "spread over chunks");
});

test("a size above the limit or negative is refused when the prefix is read", () => {
  for (const size of [101, -1, 2 ** 31 - 1]) {
    const prefix = Buffer.alloc(4);
    prefix.writeInt32BE(size);
    assert.throws(
      () => new ResponseFrameReader(100).push(prefix, () => {}),
      (e) => e instanceof ClientError && e.code === ClientErrorCode.frameSize,
    );
  }
});

test("reuseGathered: frames spread over chunks come out whole, gathered in one reused buffer", () => {
  fc.assert(
    fc.property(
      fc.array(fc.uint8Array({ minLength: 1, maxLength: 300 }), { minLength: 1, maxLength: 20 }),
      fc.integer({ min: 1, max: 37 }),
      (payloads, step) => {
        const stream = Buffer.concat(payloads.map(frame));
        const reader = new ResponseFrameReader(1000, { reuseGathered: true });
        const seen: string[] = [];
        const gatheredInto = new Set<ArrayBufferLike>();
        for (let at = 0; at < stream.length; at += step) {
          const chunk = stream.subarray(at, at + step);
          reader.push(chunk, (f) => {
            // Read at once, as a caller of reuseGathered must: the next gathered frame overwrites it.
            seen.push(f.toString("hex"));
            if (f.buffer !== chunk.buffer) gatheredInto.add(f.buffer);
          });
        }
        assert.deepEqual(
          seen,
          payloads.map((p) => Buffer.from(p).toString("hex")),
        );
        // Grown at most a few times (doubling), not one buffer per gathered frame.
        assert.ok(gatheredInto.size <= 9, `${gatheredInto.size} gather buffers`);
      },
    ),
  );
});
