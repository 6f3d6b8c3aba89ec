import assert from "node:assert/strict";
import { connect, type Socket } from "node:net";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import {
  CONNECTION_LOG_LINES_PER_REASON,
  type Connection,
  type ResponseChunks,
  SocketServer,
} from "../../src/network/index.js";

/**
 * What a slow or stuck client can make the broker hold is bounded per connection
 * (`bufferedBytesMax`, socket.connection.buffer.max.bytes): requests being handled, finished
 * responses waiting behind an earlier one, and bytes queued in the socket all count; past the
 * limit the connection is not read until its client drains, and nothing is lost or reordered.
 */

const MIB = 1024 * 1024;
const BUFFERED_BYTES_MAX = 8 * MIB;

/** Request kinds (the frame's first byte). */
const SLOW = 1; // answered when the test says so
const BIG = 2; // a 1 MiB response at once
const HOLD = 3; // a request whose handling waits for the test (its frame is held meanwhile)

interface Harness {
  server: SocketServer;
  port: number;
  handled: number;
  connections: Connection[];
  release: (() => void)[];
}

async function startServer(): Promise<Harness> {
  const h: Harness = {
    server: null as unknown as SocketServer,
    port: 0,
    handled: 0,
    connections: [],
    release: [],
  };
  h.server = new SocketServer({
    listeners: [{ name: "PLAINTEXT", host: "127.0.0.1", port: 0 }],
    limits: { requestBytesMax: 16 * MIB, inFlightRequestsMax: 10_000, bufferedBytesMax: BUFFERED_BYTES_MAX },
    idleMsMax: 60_000,
    log: () => {},
    handler: {
      handle(frame: Buffer, connection: Connection): ResponseChunks | Promise<ResponseChunks> {
        h.handled++;
        if (!h.connections.includes(connection)) h.connections.push(connection);
        const id = frame.readUInt32BE(1);
        const tag = Buffer.alloc(4);
        tag.writeUInt32BE(id);
        if (frame[0] === BIG) return [tag, Buffer.alloc(MIB, id & 0xff)];
        return new Promise<ResponseChunks>((resolve) => h.release.push(() => resolve([tag])));
      },
    },
  });
  const [bound] = await h.server.start();
  h.port = bound?.boundPort ?? 0;
  return h;
}

function request(kind: number, id: number, padBytes = 0): Buffer {
  const b = Buffer.alloc(4 + 5 + padBytes);
  b.writeInt32BE(5 + padBytes, 0);
  b[4] = kind;
  b.writeUInt32BE(id, 5);
  return b;
}

/** A client that reads nothing until `drain()`, then returns the ids of the responses in order. */
async function stubbornClient(port: number) {
  const socket: Socket = connect(port, "127.0.0.1");
  await new Promise((resolve) => socket.once("connect", resolve));
  socket.pause();
  let buffered = Buffer.alloc(0);
  const ids: number[] = [];
  socket.on("data", (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk]);
    while (buffered.length >= 4 && buffered.length >= 4 + buffered.readInt32BE(0)) {
      const size = buffered.readInt32BE(0);
      ids.push(buffered.readUInt32BE(4));
      buffered = buffered.subarray(4 + size);
    }
  });
  return {
    socket,
    ids,
    drain: async (count: number) => {
      socket.resume();
      for (let i = 0; i < 1000 && ids.length < count; i++) await sleep(10);
      return ids;
    },
  };
}

/** Waits until `h.handled` stops moving (the server stopped reading), returns it. */
async function settled(h: Harness): Promise<number> {
  let last = -1;
  for (let i = 0; i < 100 && h.handled !== last; i++) {
    last = h.handled;
    await sleep(50);
  }
  return h.handled;
}

test("finished responses held behind a slow request count: reading pauses at the limit, then all arrive in order", async () => {
  const h = await startServer();
  const client = await stubbornClient(h.port);
  try {
    const count = 100; // 100 MiB of responses against an 8 MiB limit
    const frames = [request(SLOW, 0)];
    for (let i = 1; i <= count; i++) frames.push(request(BIG, i));
    client.socket.write(Buffer.concat(frames));
    const handled = await settled(h);
    const connection = h.connections[0] as Connection;
    assert.ok(handled < 20, `the server read ${handled} requests past its limit`);
    assert.equal(connection.isReadPaused, true, "reading is paused");
    assert.ok(
      connection.bufferedBytes <= BUFFERED_BYTES_MAX + MIB + 64 * 1024,
      `the connection holds ${connection.bufferedBytes} bytes`,
    );
    assert.equal(h.server.stats().connectionsReadPaused, 1);

    (h.release.shift() as () => void)(); // the head of the line finishes
    const ids = await client.drain(count + 1);
    assert.deepEqual(
      ids,
      Array.from({ length: count + 1 }, (_, i) => i),
      "every response, in request order",
    );
    assert.equal(connection.isReadPaused, false);
    assert.equal(connection.bufferedBytes, 0);
  } finally {
    client.socket.destroy();
    await h.server.stop();
  }
});

test("a client that never reads: unsent socket bytes count, memory stays near the limit", async () => {
  const h = await startServer();
  const client = await stubbornClient(h.port);
  try {
    const count = 200;
    const frames: Buffer[] = [];
    for (let i = 0; i < count; i++) frames.push(request(BIG, i));
    client.socket.write(Buffer.concat(frames));
    const handled = await settled(h);
    const connection = h.connections[0] as Connection;
    // The kernel's socket buffers take some bytes too (a few MiB on loopback); the rest waits.
    assert.ok(handled < 60, `the server read ${handled} of ${count} requests`);
    assert.equal(connection.isReadPaused, true);
    assert.ok(
      connection.bufferedBytes <= BUFFERED_BYTES_MAX + 2 * MIB,
      `${connection.bufferedBytes} bytes held`,
    );
    const ids = await client.drain(count);
    assert.equal(ids.length, count);
    assert.deepEqual(ids.slice(0, 5), [0, 1, 2, 3, 4]);
  } finally {
    client.socket.destroy();
    await h.server.stop();
  }
});

test("requests held by their handlers count too: large pipelined requests stop being read", async () => {
  const h = await startServer();
  const client = await stubbornClient(h.port);
  try {
    const count = 40; // 40 requests of 1 MiB whose handling waits
    const frames: Buffer[] = [];
    for (let i = 0; i < count; i++) frames.push(request(HOLD, i, MIB));
    client.socket.write(Buffer.concat(frames));
    const handled = await settled(h);
    const connection = h.connections[0] as Connection;
    assert.ok(handled <= 10, `the server took ${handled} 1 MiB requests into memory`);
    assert.equal(connection.isReadPaused, true);
    // Handling finishes: the server reads the rest, and every one is answered.
    const answerAll = async () => {
      while (client.ids.length < count) {
        for (const release of h.release.splice(0)) release();
        await sleep(10);
      }
    };
    const answered = answerAll();
    await client.drain(count);
    await answered;
    assert.deepEqual(
      client.ids,
      Array.from({ length: count }, (_, i) => i),
    );
  } finally {
    client.socket.destroy();
    await h.server.stop();
  }
});

test("connections closed for garbage are logged a few times per reason, not once each", async () => {
  const lines: string[] = [];
  const server = new SocketServer({
    listeners: [{ name: "PLAINTEXT", host: "127.0.0.1", port: 0 }],
    limits: { requestBytesMax: 1024, inFlightRequestsMax: 10, bufferedBytesMax: MIB },
    idleMsMax: 60_000,
    log: (_level, message) => lines.push(message),
    handler: {
      handle(frame: Buffer): ResponseChunks {
        if (frame[0] === 0xff) throw new Error("cannot parse");
        return [Buffer.from(frame)];
      },
    },
  });
  const [bound] = await server.start();
  try {
    const closeAfter = async (bytes: Buffer) => {
      const socket = connect(bound?.boundPort ?? 0, "127.0.0.1");
      socket.on("error", () => {});
      await new Promise((resolve) => socket.once("connect", resolve));
      const closed = new Promise((resolve) => socket.once("close", resolve));
      socket.write(bytes);
      await closed;
    };
    const oversized = Buffer.alloc(4);
    for (let i = 0; i < 40; i++) {
      oversized.writeInt32BE(2000 + i, 0); // a different size each time: one reason all the same
      await closeAfter(oversized);
    }
    await closeAfter(Buffer.from([0, 0, 0, 1, 0xff])); // another reason: still logged
    const closing = lines.filter((l) => l.startsWith("closing connection"));
    assert.equal(
      closing.filter((l) => /invalid request size/.test(l)).length,
      CONNECTION_LOG_LINES_PER_REASON,
    );
    assert.equal(closing.filter((l) => /cannot parse/.test(l)).length, 1);
    assert.match(closing.at(-1) ?? "", /and 35 more connection messages not logged/);
  } finally {
    await server.stop();
  }
});
