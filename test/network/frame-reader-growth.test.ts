import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { FRAME_PREALLOCATED_BYTES_MAX, FrameReader } from "../../src/network/index.js";

const MIB = 1024 * 1024;

function sizePrefix(size: number): Buffer {
  const prefix = Buffer.alloc(4);
  prefix.writeInt32BE(size);
  return prefix;
}

test("a large announced frame sent slowly holds what arrived, not what was announced", () => {
  const reader = new FrameReader(512 * MIB);
  const arrayBuffersBefore = process.memoryUsage().arrayBuffers;
  reader.push(Buffer.concat([sizePrefix(500 * MIB), Buffer.alloc(10)]), () => assert.fail("no frame yet"));
  for (let i = 0; i < 100; i++) reader.push(Buffer.alloc(1), () => assert.fail("no frame yet"));
  assert.equal(reader.bufferedBytes, 110);
  const grownBytes = process.memoryUsage().arrayBuffers - arrayBuffersBefore;
  assert.ok(grownBytes < 4 * FRAME_PREALLOCATED_BYTES_MAX, `holds ${grownBytes} bytes for 110 received`);
});

test("a large frame arriving in pieces of any size comes out whole and exact", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: FRAME_PREALLOCATED_BYTES_MAX + 1, max: 3 * FRAME_PREALLOCATED_BYTES_MAX }),
      fc.array(fc.integer({ min: 1, max: 700_000 }), { minLength: 1, maxLength: 8 }),
      (size, cuts) => {
        const payload = Buffer.alloc(size);
        for (let i = 0; i < size; i += 4096) payload[i] = (i / 4096) & 0xff;
        payload[size - 1] = 0xab;
        const stream = Buffer.concat([sizePrefix(size), payload, sizePrefix(1), Buffer.from([7])]);
        const reader = new FrameReader(4 * FRAME_PREALLOCATED_BYTES_MAX);
        const frames: Buffer[] = [];
        for (let at = 0, i = 0; at < stream.length; i++) {
          const step = cuts[i % cuts.length] as number;
          reader.push(stream.subarray(at, at + step), (f) => frames.push(Buffer.from(f)));
          at += step;
        }
        assert.equal(frames.length, 2);
        assert.ok((frames[0] as Buffer).equals(payload));
        assert.deepEqual([...(frames[1] as Buffer)], [7]);
        assert.equal(reader.bufferedBytes, 0);
      },
    ),
    { numRuns: 20 },
  );
});
