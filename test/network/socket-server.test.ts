import assert from "node:assert/strict";
import { connect, type Socket } from "node:net";
import { after, before, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { type Connection, type ResponseChunks, SocketServer } from "../../src/network/index.js";
import { readIntoSharedBuffer } from "../../src/network/shared-socket-reads.js";

/** Echo server whose response delay is the first byte of the request, in ms: tests ordering. */
const logs: string[] = [];
const written: number[] = [];
const server = new SocketServer({
  listeners: [{ name: "PLAINTEXT", host: "127.0.0.1", port: 0 }],
  limits: { requestBytesMax: 1024, inFlightRequestsMax: 4, bufferedBytesMax: 1 << 20 },
  idleMsMax: 60_000,
  log: (_level, message) => logs.push(message),
  handler: {
    handle(frame: Buffer, _c: Connection): ResponseChunks | Promise<ResponseChunks> {
      const delay = frame[0] ?? 0;
      if (delay === 255) throw new Error("cannot parse");
      if (delay === 254) return null;
      if (delay === 253 || delay === 252) {
        // A response that references memory it must give back once written: small, or with a
        // chunk too large to be copied into the frame's first write.
        const body = delay === 253 ? [Buffer.from(frame)] : [Buffer.from(frame), Buffer.alloc(64 * 1024, 1)];
        return Object.assign(body, { onWritten: () => written.push(delay) });
      }
      // Answered later with the request's own bytes, not a copy: they must outlive the socket read.
      if (delay === 251) return sleep(5).then(() => [frame]);
      const copy = Buffer.from(frame);
      return delay === 0 ? [copy] : sleep(delay).then(() => [copy]);
    },
  },
});
let port = 0;

before(async () => {
  const [bound] = await server.start();
  port = bound?.boundPort ?? 0;
});
after(() => server.stop());

function request(payload: number[]): Buffer {
  const b = Buffer.alloc(4 + payload.length);
  b.writeInt32BE(payload.length);
  Buffer.from(payload).copy(b, 4);
  return b;
}

async function open(): Promise<{ socket: Socket; read: (count: number) => Promise<Buffer[]> }> {
  const socket = connect(port, "127.0.0.1");
  await new Promise((resolve) => socket.once("connect", resolve));
  let buffered = Buffer.alloc(0);
  const frames: Buffer[] = [];
  const waiters: (() => void)[] = [];
  socket.on("data", (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk]);
    while (buffered.length >= 4 && buffered.length >= 4 + buffered.readInt32BE(0)) {
      const size = buffered.readInt32BE(0);
      frames.push(buffered.subarray(4, 4 + size));
      buffered = buffered.subarray(4 + size);
    }
    for (const w of waiters.splice(0)) w();
  });
  const read = async (count: number) => {
    while (frames.length < count) await new Promise<void>((r) => waiters.push(r));
    return frames.splice(0, count);
  };
  return { socket, read };
}

test("pipelined requests are answered in request order even when they finish out of order", async () => {
  const { socket, read } = await open();
  socket.write(Buffer.concat([request([40, 1]), request([0, 2]), request([254, 3]), request([10, 4])]));
  const frames = await read(3);
  assert.deepEqual(
    frames.map((f) => f[1]),
    [1, 2, 4],
  );
  socket.destroy();
});

test("more requests than the in-flight limit are all answered (reading pauses, then resumes)", async () => {
  const { socket, read } = await open();
  const many = Array.from({ length: 50 }, (_, i) => request([i % 3, i]));
  socket.write(Buffer.concat(many));
  const frames = await read(50);
  assert.deepEqual(
    frames.map((f) => f[1]),
    Array.from({ length: 50 }, (_, i) => i),
  );
  socket.destroy();
});

test("an oversized or unparseable frame closes only that connection", async () => {
  const bad = await open();
  const closed = new Promise((resolve) => bad.socket.once("close", resolve));
  const oversized = Buffer.alloc(4);
  oversized.writeInt32BE(1 << 30);
  bad.socket.write(oversized);
  await closed;

  const garbage = await open();
  const closed2 = new Promise((resolve) => garbage.socket.once("close", resolve));
  garbage.socket.write(request([255]));
  await closed2;

  const good = await open();
  good.socket.write(request([0, 9]));
  const [reply] = await good.read(1);
  assert.equal(reply?.[1], 9);
  good.socket.destroy();
  assert.ok(logs.some((l) => l.includes("invalid request size")));
  assert.ok(logs.some((l) => l.includes("cannot parse")));
});

test("a response's onWritten runs once the socket has taken all of it", async () => {
  const { socket, read } = await open();
  socket.write(Buffer.concat([request([253]), request([252])]));
  const [small, large] = await read(2);
  assert.deepEqual(small, Buffer.from([253]));
  assert.equal(large?.length, 1 + 64 * 1024);
  assert.deepEqual(written, [253, 252]);
  socket.destroy();
});

test("accepted sockets read into the shared buffer, and a request's bytes outlive the read", async () => {
  // Node's onread slots are found on this Node: the broker does not fall back to a read per chunk.
  const { socket, read } = await open();
  let switched = false;
  const loopback = await import("node:net");
  await new Promise<void>((resolve) => {
    const s = loopback.createServer((accepted) => {
      switched = readIntoSharedBuffer(accepted, () => {});
      accepted.destroy();
      s.close();
      resolve();
    });
    s.listen(0, "127.0.0.1", () => {
      const c = loopback.connect((s.address() as { port: number }).port, "127.0.0.1");
      c.on("error", () => {});
    });
  });
  assert.equal(switched, true);
  // 120 requests of 1,000 bytes, distinct contents, in writes that split some of them: every
  // answer (sent 5 ms later from the request's own buffer) must be its request.
  const requests = Array.from({ length: 120 }, (_, i) => {
    const payload = Array.from({ length: 1000 }, (_, j) => (j === 0 ? 251 : (i * 7 + j) % 251));
    return request(payload);
  });
  const all = Buffer.concat(requests);
  for (let at = 0; at < all.length; at += 7_777) {
    socket.write(all.subarray(at, at + 7_777));
    await sleep(1);
  }
  const frames = await read(120);
  for (const [i, f] of frames.entries())
    assert.deepEqual(f, (requests[i] as Buffer).subarray(4), `request ${i}`);
  socket.destroy();
});
