import assert from "node:assert/strict";
import { connect, type Socket } from "node:net";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import {
  type Connection,
  ConnectionQuotas,
  type RequestHandler,
  type ResponseChunks,
  SocketServer,
} from "../../src/network/index.js";

/**
 * The socket server's limits on real sockets: the broker-wide request queue (queued.max.requests,
 * parked requests not counted), a connection muted by a quota (KIP-219: its answer goes at once,
 * its next request is read after the throttle time), and max.connections.per.ip.
 */

function frame(payload: Buffer): Buffer {
  const b = Buffer.alloc(4 + payload.length);
  b.writeInt32BE(payload.length, 0);
  payload.copy(b, 4);
  return b;
}

async function startServer(
  handler: RequestHandler,
  options: Partial<ConstructorParameters<typeof SocketServer>[0]> = {},
) {
  const logs: string[] = [];
  const server = new SocketServer({
    listeners: [{ name: "PLAINTEXT", host: "127.0.0.1", port: 0 }],
    limits: { requestBytesMax: 1024, inFlightRequestsMax: 1000, bufferedBytesMax: 1 << 20 },
    idleMsMax: 60_000,
    log: (_level, message) => logs.push(message),
    handler,
    ...options,
  });
  const [bound] = await server.start();
  return { server, port: bound?.boundPort ?? 0, logs };
}

function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => resolve(socket));
    socket.once("error", reject);
  });
}

/** Resolves with the number of response frames `socket` received once it has `count`. */
function responses(socket: Socket, count: number, timeoutMs = 5000): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const at: number[] = [];
    let buffered = Buffer.alloc(0);
    const timer = setTimeout(() => reject(new Error(`only ${at.length} of ${count} responses`)), timeoutMs);
    socket.on("data", (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 4 && buffered.length >= 4 + buffered.readInt32BE(0)) {
        buffered = buffered.subarray(4 + buffered.readInt32BE(0));
        at.push(performance.now());
        if (at.length === count) {
          clearTimeout(timer);
          resolve(at);
        }
      }
    });
  });
}

test("queued.max.requests: requests held by the broker stop reading on every connection; parked ones do not count", async () => {
  const held: (() => void)[] = [];
  let handled = 0;
  const handler: RequestHandler = {
    handle(payload: Buffer, connection: Connection): Promise<ResponseChunks> {
      handled++;
      const parks = payload[0] === 1;
      const unpark = parks ? connection.park() : () => {};
      return new Promise((resolve) =>
        held.push(() => {
          unpark();
          resolve([Buffer.from(payload)]);
        }),
      );
    },
  };
  const { server, port, logs } = await startServer(handler, { requestsQueuedMax: 4 });
  const sockets: Socket[] = [];
  try {
    // Parked requests (long polls) first: they leave the queue.
    const parker = await open(port);
    sockets.push(parker);
    for (let i = 0; i < 6; i++) {
      parker.write(frame(Buffer.from([1])));
      await sleep(5);
    }
    await sleep(50);
    assert.equal(handled, 6, "parked requests never fill the queue");
    assert.equal(server.requestQueue.queued, 0);
    // Three connections send a request every few ms: the broker takes 4 in all, then reads nothing.
    for (let c = 0; c < 3; c++) sockets.push(await open(port));
    for (let round = 0; round < 5; round++) {
      for (const s of sockets.slice(1)) s.write(frame(Buffer.from([0, round])));
      await sleep(10);
    }
    await sleep(100);
    assert.equal(handled - 6, 4, `${handled - 6} requests taken past the limit of 4`);
    assert.ok(server.stats().requestQueueFullTotal >= 1);
    assert.match(logs.join("\n"), /queued\.max\.requests=4/);
    // Answering frees the queue: every request is taken in the end.
    while (handled < 6 + 15) {
      for (const release of held.splice(0)) release();
      await sleep(20);
    }
    for (const release of held.splice(0)) release();
    assert.equal(handled, 21);
  } finally {
    for (const s of sockets) s.destroy();
    await server.stop();
  }
});

test("a throttled connection gets its answer at once and is read again after the throttle time", async () => {
  const handledAt: number[] = [];
  const handler: RequestHandler = {
    handle(payload: Buffer, connection: Connection): ResponseChunks {
      handledAt.push(performance.now());
      if (payload[0] === 1) connection.throttle(300);
      return [Buffer.from(payload)];
    },
  };
  const { server, port } = await startServer(handler);
  const socket = await open(port);
  try {
    const answers = responses(socket, 2);
    const sentAt = performance.now();
    socket.write(frame(Buffer.from([1])));
    await sleep(30);
    socket.write(frame(Buffer.from([0])));
    const [first, second] = await answers;
    assert.ok((first ?? 0) - sentAt < 150, `the throttled request's answer took ${(first ?? 0) - sentAt} ms`);
    assert.ok(
      (handledAt[1] ?? 0) - (handledAt[0] ?? 0) >= 290,
      "the next request waited for the throttle time",
    );
    assert.ok((second ?? 0) - sentAt >= 290);
  } finally {
    socket.destroy();
    await server.stop();
  }
});

test("max.connections.per.ip: the excess is closed at once and counted by reason", async () => {
  const connectionQuotas = new ConnectionQuotas({
    connectionsMax: 100,
    connectionsPerIpMax: 2,
    connectionsPerIpOverrides: new Map(),
    quotaWindow: { samples: 11, windowMs: 1000 },
  });
  const handler: RequestHandler = { handle: (payload: Buffer) => [Buffer.from(payload)] };
  const { server, port, logs } = await startServer(handler, { connectionQuotas });
  const sockets: Socket[] = [];
  try {
    const closings: Promise<boolean>[] = [];
    for (let i = 0; i < 5; i++) {
      const s = await open(port);
      sockets.push(s);
      closings.push(
        new Promise<boolean>((resolve) => {
          const timer = setTimeout(() => resolve(false), 500);
          s.once("close", () => {
            clearTimeout(timer);
            resolve(true);
          });
        }),
      );
      s.on("error", () => {});
    }
    const closed = await Promise.all(closings);
    assert.deepEqual(closed, [false, false, true, true, true]);
    const stats = server.stats();
    assert.equal(stats.connectionsRefusedByReason["max.connections.per.ip"], 3);
    assert.equal(stats.connectionCount, 2);
    // Logged once, the repeats counted for the next line.
    assert.equal(logs.filter((l) => l.includes("max.connections.per.ip")).length, 1);
  } finally {
    for (const s of sockets) s.destroy();
    await server.stop();
  }
});

test("a negative connections.max.idle.ms keeps idle connections open (Kafka's Selector)", async () => {
  const handler: RequestHandler = { handle: (payload: Buffer) => [Buffer.from(payload)] };
  const { server, port } = await startServer(handler, { idleMsMax: -1 });
  const socket = await open(port);
  try {
    await sleep(150);
    assert.equal(server.connectionCount, 1);
    assert.equal(server.stats().connectionsIdleClosedTotal, 0);
  } finally {
    socket.destroy();
    await server.stop();
  }
});
