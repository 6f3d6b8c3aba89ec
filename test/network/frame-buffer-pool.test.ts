import assert from "node:assert/strict";
import { connect } from "node:net";
import { test } from "node:test";
import {
  FRAME_POISON_BYTE,
  FRAME_POOL_CLASS_BYTES_MIN,
  FrameBufferPool,
  FrameReader,
  type RequestHandler,
  SocketServer,
} from "../../src/network/index.js";

const POOLED_API = 0;
const OTHER_API = 3;

/** A request frame (size prefix included) of `size` bytes for `apiKey`, its body a pattern from `seed`. */
function requestFrame(apiKey: number, size: number, seed: number): Buffer {
  const out = Buffer.alloc(4 + size);
  out.writeInt32BE(size, 0);
  out.writeInt16BE(apiKey, 4);
  for (let i = 6; i < out.length; i++) out[i] = (i * 7 + seed) & 0xff;
  return out;
}

test("acquire gives at least the size asked, from power-of-two classes, reusing released buffers", () => {
  const pool = new FrameBufferPool({ bytesMax: 4 * 1024 * 1024 });
  const a = pool.acquire(1_000_000);
  assert.equal(a.length, 1024 * 1024);
  assert.equal(pool.acquire(10).length, FRAME_POOL_CLASS_BYTES_MIN);
  pool.release(a);
  assert.equal(pool.acquire(600_000), a, "the released buffer of that class comes back");
  assert.equal(pool.reusedCount, 1);
});

test("idle buffers never exceed the pool's bytes; a double release is refused", () => {
  const pool = new FrameBufferPool({ bytesMax: 2 * 1024 * 1024 });
  const buffers = [1, 2, 3].map(() => pool.acquire(1024 * 1024));
  for (const b of buffers) pool.release(b);
  assert.equal(pool.idleBytesHeld, 2 * 1024 * 1024);
  const again = pool.acquire(1024 * 1024);
  pool.release(again);
  assert.throws(() => pool.release(again), /released twice/);
});

test("released buffers are poisoned in poisoning mode", () => {
  const pool = new FrameBufferPool({ poison: true });
  const b = pool.acquire(100_000);
  b.fill(1);
  pool.release(b);
  assert.ok(b.every((x) => x === FRAME_POISON_BYTE));
});

test("the frame reader pools only the frames whose API allows it, and only those that straddle chunks", () => {
  const pool = new FrameBufferPool();
  const reader = new FrameReader(1 << 24, { pool, mayPool: (apiKey) => apiKey === POOLED_API });
  const stream = Buffer.concat([
    requestFrame(POOLED_API, 200_000, 1),
    requestFrame(OTHER_API, 200_000, 2),
    requestFrame(POOLED_API, 100, 3),
  ]);
  const seen: { apiKey: number; pooled: boolean; bytes: Buffer }[] = [];
  for (let at = 0; at < stream.length; at += 65_536) {
    reader.push(stream.subarray(at, at + 65_536), (frame, pooled) => {
      seen.push({ apiKey: frame.readInt16BE(0), pooled: pooled !== null, bytes: Buffer.from(frame) });
      if (pooled !== null) pool.release(pooled);
    });
  }
  assert.deepEqual(
    seen.map((s) => [s.apiKey, s.pooled, s.bytes.length]),
    [
      [POOLED_API, true, 200_000],
      [OTHER_API, false, 200_000],
      [POOLED_API, false, 100],
    ],
  );
  assert.deepEqual(seen[0]?.bytes, requestFrame(POOLED_API, 200_000, 1).subarray(4));
});

test("a connection releases a pooled frame when its handling completes, sync or async, and not before", async () => {
  const pool = new FrameBufferPool({ poison: true });
  const checks: Promise<void>[] = [];
  const handler: RequestHandler = {
    releasesFrameOnCompletion: (apiKey) => apiKey === POOLED_API,
    handle(frame) {
      const seed = frame[2] === ((6 * 7 + 1) & 0xff) ? 1 : 2;
      const expected = requestFrame(POOLED_API, frame.length, seed).subarray(4);
      assert.deepEqual(frame, expected, "the frame is intact while it is handled");
      if (seed === 1) return [Buffer.from("sync")];
      // The async handler still reads the frame after a delay: it must not have been released.
      const done = new Promise<readonly Buffer[]>((resolve) =>
        setTimeout(() => {
          assert.deepEqual(frame, expected, "the frame is intact until the promise settles");
          resolve([Buffer.from("async")]);
        }, 20),
      );
      checks.push(done.then(() => undefined));
      return done;
    },
  };
  const server = new SocketServer({
    listeners: [{ name: "PLAINTEXT", host: "127.0.0.1", port: 0 }],
    handler,
    limits: { requestBytesMax: 1 << 24, inFlightRequestsMax: 100, bufferedBytesMax: 1 << 24 },
    idleMsMax: 60_000,
    log: () => {},
    framePool: pool,
  });
  const [bound] = await server.start();
  const socket = connect(bound?.boundPort ?? 0, "127.0.0.1");
  const responses: string[] = [];
  let buffered = Buffer.alloc(0);
  socket.on("data", (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk]);
    while (buffered.length >= 4 && buffered.length >= 4 + buffered.readInt32BE(0)) {
      responses.push(buffered.subarray(4, 4 + buffered.readInt32BE(0)).toString());
      buffered = buffered.subarray(4 + buffered.readInt32BE(0));
    }
  });
  for (let i = 0; i < 4; i++) socket.write(requestFrame(POOLED_API, 300_000, 1 + (i % 2)));
  const deadline = Date.now() + 10_000;
  while (responses.length < 4 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  await Promise.all(checks);
  socket.destroy();
  await server.stop();
  assert.deepEqual(responses, ["sync", "async", "sync", "async"]);
  assert.ok(pool.reusedCount + pool.allocatedCount >= 4, "the frames were assembled in pooled buffers");
  assert.ok(pool.reusedCount >= 1, "a released buffer was reused");
});

test("an idle pool lets its buffers go; a busy one keeps them", () => {
  const pool = new FrameBufferPool();
  const a = pool.acquire(100_000);
  const b = pool.acquire(5_000);
  pool.release(a);
  pool.release(b);
  pool.trimIfIdle();
  assert.equal(pool.idleBytesHeld, a.length + b.length, "just used: kept");
  pool.trimIfIdle(true);
  assert.equal(pool.idleBytesHeld, 0);
  assert.equal(pool.trimmedCount, 2);
  assert.notEqual(pool.acquire(100_000), a, "a trimmed buffer is not handed out again");
});
