import assert from "node:assert/strict";
import { connect, type Socket } from "node:net";
import { after, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { RequestDispatcher } from "../../src/broker/request-dispatcher.js";
import {
  type Connection,
  type RequestOrdering,
  type ResponseChunks,
  SocketServer,
} from "../../src/network/index.js";
import { ApiKey } from "../../src/protocol/index.js";

/**
 * Kafka handles a connection's requests one at a time; Brook pipelines those whose answer cannot
 * depend on it (RequestOrdering). The handler below answers each request when the test says so
 * and records when each one was handed to it, so the test sees which requests waited for which.
 * A request's frame: its ordering as the first byte ("free" 0, "pipelined" 1, "serial" 2), then an id.
 */

const ORDERINGS: readonly RequestOrdering[] = ["free", "pipelined", "serial"];

interface Harness {
  server: SocketServer;
  port: number;
  /** Ids in the order their requests were handed to the handler. */
  handed: number[];
  /** Answers the request of that id. */
  answer: Map<number, () => void>;
  /** Ids answered as soon as they are handled (a resolved promise). */
  atOnce: Set<number>;
  /** Ids answered synchronously (the handler returns the answer itself). */
  sync: Set<number>;
  /** Writes the server's sockets made (`_write` and `_writev` calls: one system call each). */
  socketWrites: number;
}

/** Counts the socket's writes into `h.socketWrites`, once per socket. */
function countWrites(h: Harness, socket: Socket): void {
  type WriteMethod = (this: Socket, ...args: unknown[]) => unknown;
  const s = socket as Socket & { counted?: boolean; _write: WriteMethod; _writev: WriteMethod };
  if (s.counted === true) return;
  s.counted = true;
  const write = s._write;
  const writev = s._writev;
  s._write = function (this: Socket, ...args: unknown[]) {
    h.socketWrites++;
    return write.apply(this, args);
  };
  s._writev = function (this: Socket, ...args: unknown[]) {
    h.socketWrites++;
    return writev.apply(this, args);
  };
}

const servers: SocketServer[] = [];
after(async () => {
  for (const s of servers) await s.stop();
});

async function startServer(): Promise<Harness> {
  const h: Harness = {
    server: null as unknown as SocketServer,
    port: 0,
    handed: [],
    answer: new Map(),
    atOnce: new Set(),
    sync: new Set(),
    socketWrites: 0,
  };
  h.server = new SocketServer({
    listeners: [{ name: "PLAINTEXT", host: "127.0.0.1", port: 0 }],
    limits: { requestBytesMax: 1024 * 1024, inFlightRequestsMax: 100, bufferedBytesMax: 1024 * 1024 },
    idleMsMax: 60_000,
    log: () => {},
    handler: {
      orderingOf: (frame: Buffer) => ORDERINGS[frame[0] as number] as RequestOrdering,
      handle(frame: Buffer, connection: Connection): ResponseChunks | Promise<ResponseChunks> {
        countWrites(h, connection.socket);
        const id = frame.readUInt32BE(1);
        h.handed.push(id);
        const tag = Buffer.alloc(4);
        tag.writeUInt32BE(id);
        if (h.sync.has(id)) return [tag];
        if (h.atOnce.has(id)) return Promise.resolve([tag]);
        return new Promise<ResponseChunks>((resolve) => h.answer.set(id, () => resolve([tag])));
      },
    },
  });
  servers.push(h.server);
  const [bound] = await h.server.start();
  h.port = bound?.boundPort ?? 0;
  return h;
}

function frame(ordering: RequestOrdering, id: number): Buffer {
  const b = Buffer.alloc(4 + 5);
  b.writeInt32BE(5, 0);
  b[4] = ORDERINGS.indexOf(ordering);
  b.writeUInt32BE(id, 5);
  return b;
}

/** A client that sends frames and collects the ids of the responses, in the order they come. */
async function client(port: number): Promise<{ socket: Socket; responses: number[] }> {
  const socket = connect(port, "127.0.0.1");
  await new Promise((resolve) => socket.once("connect", resolve));
  const responses: number[] = [];
  let buffered = Buffer.alloc(0);
  socket.on("data", (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk]);
    while (buffered.length >= 8) {
      responses.push(buffered.readUInt32BE(4));
      buffered = buffered.subarray(8);
    }
  });
  return { socket, responses };
}

async function until(what: string, check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await sleep(5);
  assert.ok(check(), what);
}

test("a serial request waits for an earlier pipelined one: handed on only after its answer", async () => {
  const h = await startServer();
  const c = await client(h.port);
  c.socket.write(Buffer.concat([frame("pipelined", 1), frame("serial", 2)]));
  await until("the produce is handled", () => h.handed.includes(1));
  await sleep(30);
  assert.deepEqual(h.handed, [1], "the metadata request waits while the produce is unanswered");
  h.answer.get(1)?.();
  await until("the metadata request is handled", () => h.handed.includes(2));
  h.answer.get(2)?.();
  await until("both answered", () => c.responses.length === 2);
  assert.deepEqual(c.responses, [1, 2]);
  c.socket.destroy();
});

test("pipelined requests go on together; a free one holds nothing back", async () => {
  const h = await startServer();
  const c = await client(h.port);
  // A long-poll fetch, then a serial request (a heartbeat): the heartbeat does not wait for it.
  c.socket.write(Buffer.concat([frame("free", 1), frame("pipelined", 2), frame("pipelined", 3)]));
  await until("all three handled at once", () => h.handed.length === 3);
  c.socket.write(frame("free", 4));
  await until("a later fetch too", () => h.handed.length === 4);
  for (const id of [4, 3, 2, 1]) h.answer.get(id)?.();
  await until("answered", () => c.responses.length === 4);
  assert.deepEqual(c.responses, [1, 2, 3, 4], "answers in request order, whatever order they finish in");
  c.socket.destroy();
});

test("a serial request behind only a free one is handled at once", async () => {
  const h = await startServer();
  const c = await client(h.port);
  c.socket.write(Buffer.concat([frame("free", 1), frame("serial", 2)]));
  await until("both handled", () => h.handed.length === 2);
  h.answer.get(2)?.();
  h.answer.get(1)?.();
  await until("answered", () => c.responses.length === 2);
  assert.deepEqual(c.responses, [1, 2]);
  c.socket.destroy();
});

test("requests behind a waiting serial request wait too: everything is handled in arrival order", async () => {
  const h = await startServer();
  const c = await client(h.port);
  c.socket.write(
    Buffer.concat([
      frame("pipelined", 1),
      frame("serial", 2),
      frame("pipelined", 3),
      frame("free", 4),
      frame("serial", 5),
    ]),
  );
  await until("the first handled", () => h.handed.length === 1);
  await sleep(30);
  assert.deepEqual(h.handed, [1]);
  h.answer.get(1)?.();
  // 2 goes; 3 and 4 follow it at once (not serial); 5 waits for 2 and 3.
  await until("2, 3 and 4 handled", () => h.handed.length === 4);
  assert.deepEqual(h.handed, [1, 2, 3, 4]);
  h.answer.get(2)?.();
  await sleep(20);
  assert.deepEqual(h.handed, [1, 2, 3, 4], "5 still waits for 3");
  h.answer.get(3)?.();
  await until("5 handled", () => h.handed.length === 5);
  h.answer.get(4)?.();
  h.answer.get(5)?.();
  await until("answered", () => c.responses.length === 5);
  assert.deepEqual(c.responses, [1, 2, 3, 4, 5]);
  c.socket.destroy();
});

test("the broker's dispatcher: Fetch is free, Produce pipelined, everything else serial", () => {
  const dispatcher = new RequestDispatcher([], { debug() {}, info() {}, warn() {}, error() {} } as never);
  const of = (apiKey: number) => {
    const b = Buffer.alloc(8);
    b.writeInt16BE(apiKey, 0);
    return dispatcher.orderingOf(b);
  };
  assert.equal(of(ApiKey.Fetch), "free");
  assert.equal(of(ApiKey.Produce), "pipelined");
  for (const key of [
    ApiKey.Metadata,
    ApiKey.FindCoordinator,
    ApiKey.ListOffsets,
    ApiKey.OffsetCommit,
    ApiKey.ApiVersions,
  ])
    assert.equal(of(key), "serial");
});

test("pipelined requests answered in the same turn leave in one write; a lone answer at once", async () => {
  const h = await startServer();
  const c = await client(h.port);
  const ids = [1, 2, 3, 4, 5, 6, 7, 8];
  for (const id of ids) h.atOnce.add(id);
  c.socket.write(Buffer.concat(ids.map((id) => frame("pipelined", id))));
  await until("answered", () => c.responses.length === ids.length);
  assert.deepEqual(c.responses, ids);
  assert.equal(h.socketWrites, 1, "eight answers, one writev");
  h.atOnce.add(9);
  c.socket.write(frame("pipelined", 9));
  await until("the lone one answered", () => c.responses.length === 9);
  assert.equal(h.socketWrites, 2, "a lone answer is one write");
  // Answered synchronously, each before the next frame of the chunk is even parsed: one writev too.
  const syncIds = [10, 11, 12, 13];
  for (const id of syncIds) h.sync.add(id);
  c.socket.write(Buffer.concat(syncIds.map((id) => frame("pipelined", id))));
  await until("the synchronous ones answered", () => c.responses.length === 13);
  assert.deepEqual(c.responses.slice(9), syncIds);
  assert.equal(h.socketWrites, 3, "four synchronous answers, one writev");
  c.socket.destroy();
});

test("an answer ready before a slower one behind it is not held past the event loop's turn", async () => {
  const h = await startServer();
  const c = await client(h.port);
  h.atOnce.add(1);
  // 2 stays unanswered: 1's answer must not wait for it.
  c.socket.write(Buffer.concat([frame("pipelined", 1), frame("pipelined", 2)]));
  await until("the first answered while the second is pending", () => c.responses.length === 1);
  assert.deepEqual(h.handed, [1, 2]);
  h.answer.get(2)?.();
  await until("both answered", () => c.responses.length === 2);
  assert.deepEqual(c.responses, [1, 2]);
  c.socket.destroy();
});
