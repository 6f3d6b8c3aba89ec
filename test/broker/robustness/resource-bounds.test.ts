import assert from "node:assert/strict";
import { connect, type Socket } from "node:net";
import { test } from "node:test";
import { ApiKey, type ApiVersionsResponse, ErrorCode } from "../../../src/protocol/index.js";
import { startBroker } from "../../../src/server/index.js";
import {
  assertProduceFetchWorks,
  createTopic,
  MIB,
  ProcessTraps,
  producerBatch,
  produceTo,
  RawConnection,
  requestFrame,
  roundTrip,
  settledMemoryBytes,
} from "./robustness-harness.js";

/**
 * What one client can make the broker hold: connections it opens and abandons, frames it announces
 * and never finishes (slowloris), requests it pipelines without reading the answers, long polls it
 * parks and walks away from. Each stays bounded (and is released), and the broker keeps serving.
 */

const KIB = 1024;

/** Polls `condition` every 10 ms until it holds or `timeoutMs` passes; returns whether it held. */
async function eventually(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return true;
}

function rawSocket(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => resolve(socket));
    socket.once("error", reject);
  });
}

function sizePrefix(size: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32BE(size, 0);
  return b;
}

/** Resolves true if the peer closes `socket` within `timeoutMs`. */
function closedWithin(socket: Socket, timeoutMs: number): Promise<boolean> {
  if (socket.destroyed) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    socket.once("close", () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

async function apiVersionsWorks(connection: RawConnection): Promise<void> {
  const response = await roundTrip<ApiVersionsResponse>(connection, ApiKey.ApiVersions, 3, {
    clientSoftwareName: "robustness",
    clientSoftwareVersion: "1",
  });
  assert.equal(response.errorCode, ErrorCode.NONE);
}

test("hundreds of connections opened and abandoned (silent, mid-prefix, mid-frame) are reaped when idle", async () => {
  const traps = new ProcessTraps();
  const server = await startBroker({
    properties: { "connections.max.idle.ms": "300", "socket.request.max.bytes": String(64 * KIB) },
  });
  const sockets: Socket[] = [];
  try {
    const memoryBefore = await settledMemoryBytes();
    for (let i = 0; i < 300; i++) {
      const socket = await rawSocket(server.port);
      socket.on("error", () => {});
      if (i % 3 === 1) socket.write(Buffer.from([0, 0])); // half a size prefix
      if (i % 3 === 2) socket.write(Buffer.concat([sizePrefix(60 * KIB), Buffer.alloc(100)])); // a frame begun
      sockets.push(socket);
    }
    // And as many that connect and leave at once.
    for (let i = 0; i < 300; i++) (await rawSocket(server.port)).on("error", () => {}).destroy();
    assert.ok(
      await eventually(() => server.broker.networkStats().connectionsAcceptedTotal === 600, 5000),
      "every connection was accepted",
    );
    assert.ok(await eventually(() => server.broker.connectionCount === 0, 10_000), "idle connections reaped");
    assert.ok((await Promise.all(sockets.map((s) => closedWithin(s, 1000)))).every((c) => c));
    const growth = (await settledMemoryBytes()) - memoryBefore;
    assert.ok(growth < 32 * MIB, `memory grew by ${growth} bytes`);
    await assertProduceFetchWorks(server.port, "after-abandoned-connections");
    traps.assertNone("abandoned connections");
  } finally {
    for (const s of sockets) s.destroy();
    await server.stop();
    traps.remove();
  }
});

test("past max.connections new connections are refused while the open ones keep working", async () => {
  const server = await startBroker({ properties: { "max.connections": "20" } });
  const connections: RawConnection[] = [];
  try {
    for (let i = 0; i < 30; i++) connections.push(await RawConnection.open(server.port));
    const refused = connections.slice(20);
    assert.ok(
      (await Promise.all(refused.map((c) => c.waitClosed(2000)))).every((c) => c),
      "the excess is closed",
    );
    for (const c of connections.slice(0, 20)) await apiVersionsWorks(c);
    assert.equal(server.broker.networkStats().connectionsRefusedTotal, 10);
    for (const c of connections) c.close();
    assert.ok(await eventually(() => server.broker.connectionCount === 0, 2000));
    const fresh = await RawConnection.open(server.port);
    await apiVersionsWorks(fresh);
    fresh.close();
  } finally {
    for (const c of connections) c.close();
    await server.stop();
  }
});

test("slowloris: an announced frame over socket.request.max.bytes closes at once; one under it holds only what arrived", async () => {
  const traps = new ProcessTraps();
  // A large limit, as in production: what a slow client holds must not be what it announces.
  const requestBytesMax = 512 * MIB;
  const server = await startBroker({
    properties: { "socket.request.max.bytes": String(requestBytesMax), "connections.max.idle.ms": "60000" },
  });
  const sockets: Socket[] = [];
  try {
    const oversized = await rawSocket(server.port);
    oversized.on("error", () => {});
    oversized.write(sizePrefix(requestBytesMax + 1));
    const huge = await rawSocket(server.port);
    huge.on("error", () => {});
    huge.write(sizePrefix(0x7fffffff));
    assert.ok(await closedWithin(oversized, 2000), "a size above the limit closes the connection");
    assert.ok(await closedWithin(huge, 2000), "a size of 2^31-1 closes the connection");

    const memoryBefore = await settledMemoryBytes();
    for (let i = 0; i < 20; i++) {
      const socket = await rawSocket(server.port);
      socket.on("error", () => {});
      socket.write(sizePrefix(requestBytesMax - 1));
      sockets.push(socket);
    }
    // Trickle: a byte per socket every few milliseconds, keeping each connection active.
    for (let round = 0; round < 50; round++) {
      for (const s of sockets) s.write(Buffer.from([round]));
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const other = await RawConnection.open(server.port);
    await apiVersionsWorks(other);
    other.close();
    assert.ok(
      await eventually(() => server.broker.connectionCount === 20, 2000),
      "the slow connections are still open",
    );
    const growth = (await settledMemoryBytes()) - memoryBefore;
    // Each slow connection holds its first buffer (1 MiB), not the 512 MiB it announced.
    assert.ok(growth < 20 * 2 * MIB + 16 * MIB, `20 slow frames hold ${growth} bytes`);
    traps.assertNone("slowloris");
  } finally {
    for (const s of sockets) s.destroy();
    await server.stop();
    traps.remove();
  }
});

test("pipelined requests never read: the broker stops reading at its unsent-bytes limit, then answers all in order", async () => {
  const traps = new ProcessTraps();
  const server = await startBroker({ properties: { "num.partitions": "1" } });
  const responseBytes = 256 * KIB;
  const requestCount = 800; // 200 MiB of answers, three times the 64 MiB of unsent responses allowed
  let client: RawConnection | null = null;
  try {
    const setup = await RawConnection.open(server.port);
    await createTopic(setup, "pipelined", 1);
    const produced = await produceTo(setup, "pipelined", 0, producerBatch(["x".repeat(responseBytes)]));
    assert.equal(produced.errorCode, ErrorCode.NONE);
    setup.close();

    const memoryBefore = await settledMemoryBytes();
    const requestsBefore = server.broker.networkStats().requestsTotal;
    client = await RawConnection.open(server.port);
    client.socket.pause(); // never read
    const ids: number[] = [];
    for (let i = 0; i < requestCount; i++) {
      const id = client.correlationId();
      ids.push(id);
      client.write(requestFrame(ApiKey.Fetch, 12, id, fetchBody("pipelined", 0n)));
    }
    // Wait until the broker has stopped taking requests from this connection.
    let seen = -1;
    await eventually(() => {
      const now = server.broker.networkStats().requestsTotal;
      const stable = now === seen;
      seen = now;
      return stable && now > requestsBefore;
    }, 10_000);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const taken = server.broker.networkStats().requestsTotal - requestsBefore;
    assert.ok(taken < requestCount, `the broker read ${taken} of ${requestCount} requests without pausing`);
    const growth = (await settledMemoryBytes()) - memoryBefore;
    assert.ok(growth < 64 * MIB + 48 * MIB, `holding unread answers grew memory by ${growth} bytes`);

    client.socket.resume();
    for (const id of ids) {
      const outcome = await client.next(10_000);
      assert.equal(outcome.kind, "frame");
      assert.equal((outcome as { frame: Buffer }).frame.readInt32BE(0), id, "answers in request order");
    }
    traps.assertNone("pipelining");
  } finally {
    client?.close();
    await server.stop();
    traps.remove();
  }
});

function fetchBody(topic: string, fetchOffset: bigint, maxWaitMs = 0, minBytes = 0) {
  return {
    replicaId: -1,
    maxWaitMs,
    minBytes,
    maxBytes: 16 * MIB,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [
      {
        topic,
        partitions: [
          {
            partition: 0,
            currentLeaderEpoch: -1,
            fetchOffset,
            lastFetchedEpoch: -1,
            logStartOffset: -1n,
            partitionMaxBytes: 16 * MIB,
          },
        ],
      },
    ],
    forgottenTopicsData: [],
    rackId: "",
  };
}

test("long polls parked by clients that disconnect are released at once (parked count back to 0)", async () => {
  const traps = new ProcessTraps();
  const server = await startBroker({});
  const clients: RawConnection[] = [];
  try {
    const setup = await RawConnection.open(server.port);
    await createTopic(setup, "parked", 1);
    for (let c = 0; c < 50; c++) {
      const client = await RawConnection.open(server.port);
      clients.push(client);
      for (let i = 0; i < 3; i++)
        client.write(
          requestFrame(ApiKey.Fetch, 12, client.correlationId(), fetchBody("parked", 0n, 60_000, 1)),
        );
    }
    assert.ok(
      await eventually(() => server.broker.parkedFetches === 150, 5000),
      `${server.broker.parkedFetches} parked`,
    );
    // A long poll from a client that stays is still woken by an append.
    const stayer = await RawConnection.open(server.port);
    const id = stayer.correlationId();
    stayer.write(requestFrame(ApiKey.Fetch, 12, id, fetchBody("parked", 0n, 60_000, 1)));
    assert.ok(await eventually(() => server.broker.parkedFetches === 151, 5000));
    for (const c of clients) c.close();
    // Without the release they would stay parked for their 60 s.
    assert.ok(
      await eventually(() => server.broker.parkedFetches === 1, 5000),
      `${server.broker.parkedFetches} still parked`,
    );
    assert.equal((await produceTo(setup, "parked", 0, producerBatch(["wake"]))).errorCode, ErrorCode.NONE);
    const woken = await stayer.next(5000);
    assert.equal(woken.kind, "frame");
    assert.equal((woken as { frame: Buffer }).frame.readInt32BE(0), id);
    assert.equal(server.broker.parkedFetches, 0);
    stayer.close();
    setup.close();
    traps.assertNone("parked fetches");
  } finally {
    for (const c of clients) c.close();
    await server.stop();
    traps.remove();
  }
});

test("hundreds of long polls pipelined per connection: parking stays bounded and ends with the wait", async () => {
  const traps = new ProcessTraps();
  const queuedRequestsMax = 16;
  const maxWaitMs = 1500;
  const server = await startBroker({ properties: { "queued.max.requests": String(queuedRequestsMax) } });
  const clients: RawConnection[] = [];
  try {
    const setup = await RawConnection.open(server.port);
    await createTopic(setup, "parked-pipelined", 1);
    setup.close();
    for (let c = 0; c < 5; c++) {
      const client = await RawConnection.open(server.port);
      clients.push(client);
      const frames = Array.from({ length: 2000 }, () =>
        requestFrame(
          ApiKey.Fetch,
          12,
          client.correlationId(),
          fetchBody("parked-pipelined", 0n, maxWaitMs, 1),
        ),
      );
      client.write(Buffer.concat(frames));
    }
    assert.ok(await eventually(() => server.broker.parkedFetches >= 5 * queuedRequestsMax, 5000));
    // Reading pauses at the in-flight limit, which one socket read (up to 64 KiB of ~100-byte frames) may pass.
    const perConnectionMax = queuedRequestsMax + (64 * KIB) / 100;
    assert.ok(server.broker.parkedFetches <= 5 * perConnectionMax, `${server.broker.parkedFetches} parked`);
    // A paused connection does not see its client leave; its parked polls end with their wait.
    for (const c of clients) c.close();
    assert.ok(
      await eventually(() => server.broker.parkedFetches === 0, 3 * maxWaitMs + 2000),
      `${server.broker.parkedFetches} still parked`,
    );
    assert.ok(await eventually(() => server.broker.connectionCount === 0, 5000), "the connections are gone");
    traps.assertNone("pipelined parked fetches");
  } finally {
    for (const c of clients) c.close();
    await server.stop();
    traps.remove();
  }
});

test("tiny batches that share socket reads with large requests do not pin those reads in the log's tail cache", async () => {
  const traps = new ProcessTraps();
  const server = await startBroker({ properties: { "num.partitions": "1" } });
  const client = await RawConnection.open(server.port);
  try {
    await createTopic(client, "pinned-reads", 1);
    // ~30 KiB of ApiVersions request, then a 70-byte produce: one socket write, one read on the broker.
    const filler = requestFrame(ApiKey.ApiVersions, 3, 1, {
      clientSoftwareName: "x".repeat(30 * KIB),
      clientSoftwareVersion: "1",
    });
    const memoryBefore = await settledMemoryBytes();
    const rounds = 1500;
    for (let i = 0; i < rounds; i++) {
      const produce = requestFrame(ApiKey.Produce, 9, 2, {
        transactionalId: null,
        acks: 1,
        timeoutMs: 1000,
        topicData: [{ name: "pinned-reads", partitionData: [{ index: 0, records: producerBatch(["v"]) }] }],
      });
      client.write(Buffer.concat([filler, produce]));
      assert.equal((await client.next(5000)).kind, "frame");
      assert.equal((await client.next(5000)).kind, "frame");
      // A consumer at the tail, so that the log keeps caching what is appended.
      if (i % 50 === 0) {
        client.write(
          requestFrame(ApiKey.Fetch, 12, client.correlationId(), fetchBody("pinned-reads", BigInt(i))),
        );
        assert.equal((await client.next(5000)).kind, "frame");
      }
    }
    const arena = server.broker.logManager.env.tailArena;
    assert.ok(arena.storedBytesTotal > 0, "the tail cache held the batches");
    const growth = (await settledMemoryBytes()) - memoryBefore;
    // Kept as views, the 1500 cached batches (~100 KiB) held 1500 reads of ~30 KiB (~45 MiB).
    assert.ok(growth < 24 * MIB, `${rounds} tiny cached batches hold ${growth} bytes`);
    traps.assertNone("pinned reads");
  } finally {
    client.close();
    await server.stop();
    traps.remove();
  }
});
