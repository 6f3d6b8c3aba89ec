/**
 * The load of connection-load.test.ts, in a process of its own (started with a raised open-file
 * limit, so that the test process needs none): `idle` connections that each send one ApiVersions
 * request and then stay open doing nothing, and `hostile` connections that send random frames
 * (random sizes, garbage bytes, unknown API keys and versions, absurd or negative size prefixes,
 * truncated frames, valid headers over random bodies), reconnecting whenever the broker closes
 * them. Seeded: the same seed sends the same frames.
 *
 * usage: node connection-load-client.js <host> <port> <idle> <hostile> <seed>
 * Prints `idle-ready <n>` once every idle connection is answered, then `hostile-started`; on
 * SIGTERM prints `stats <json>` (frames sent, connections the broker closed, idle connections lost)
 * and exits.
 */
import { connect, type Socket } from "node:net";
import { SeededRandom } from "../../src/base/index.js";
import { ApiKey, Writer } from "../../src/protocol/index.js";

const [host = "127.0.0.1", portText = "0", idleText = "0", hostileText = "0", seedText = "1"] =
  process.argv.slice(2);
const port = Number(portText);
const random = new SeededRandom(Number(seedText));
/**
 * A hostile connection sends one frame per tick of this many ms (about 250 frames/s each, ~1,000
 * for the test's four): a fixed rate, so that the test asks the same of the broker on a fast
 * machine as on a slow one (flat out, the load doubled on an idle machine, most of it the
 * reconnects the broker's closes cause: ~85 µs of accept and close per connection).
 */
const HOSTILE_INTERVAL_MS = 4;
/** Frames a hostile connection sends at most before it hangs up and starts over. */
const FRAMES_PER_CONNECTION_MAX = 50;

const stats = {
  idleConnected: 0,
  idleLost: 0,
  hostileFrames: 0,
  hostileClosedByBroker: 0,
  hostileConnections: 0,
};
const sockets = new Set<Socket>();
let stopping = false;

function open(): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port, noDelay: true });
    socket.once("connect", () => {
      sockets.add(socket);
      resolve(socket);
    });
    socket.once("error", reject);
  });
}

function header(apiKey: number, apiVersion: number, flexible: boolean): Writer {
  const w = new Writer();
  w.int32(0).int16(apiKey).int16(apiVersion).int32(random.int(0, 0x7fffffff)).nullableString("hostile");
  if (flexible) w.unsignedVarint(0);
  return w;
}

function sized(w: Writer, body: Buffer = Buffer.alloc(0)): Buffer {
  const frame = Buffer.concat([w.toBuffer(), body]);
  frame.writeInt32BE(frame.length - 4, 0);
  return frame;
}

function randomBytes(length: number): Buffer {
  const b = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i++) b[i] = random.int(0, 255);
  return b;
}

/** One hostile frame (or fragment): which kind, picked at random. */
/** BROOK_HOSTILE_KINDS="0,3,4": only those kinds of frames (to find which one costs the broker). */
const KINDS = (process.env.BROOK_HOSTILE_KINDS ?? "0,1,2,3,4,5,6,7,8").split(",").map(Number);

function hostileFrame(): Buffer {
  switch (random.pick(KINDS)) {
    case 0: {
      // Garbage of a plausible size.
      const body = randomBytes(random.int(1, 2048));
      const frame = Buffer.concat([Buffer.alloc(4), body]);
      frame.writeInt32BE(body.length, 0);
      return frame;
    }
    case 1: // An unknown API key.
      return sized(header(random.pick([-1, 99, 1000, 32767]), random.int(0, 20), false), randomBytes(16));
    case 2: // A known API at a version nobody serves.
      return sized(
        header(random.pick([ApiKey.Produce, ApiKey.Fetch, ApiKey.Metadata]), random.int(50, 32767), false),
      );
    case 3: {
      // A size prefix above socket.request.max.bytes, or negative.
      const b = Buffer.alloc(4);
      b.writeInt32BE(random.pick([0x7fffffff, 200 * 1024 * 1024, -1, -0x80000000]), 0);
      return b;
    }
    case 4: {
      // A truncated frame: announces more than it sends (the rest never comes on this connection).
      const b = Buffer.alloc(4 + 16);
      b.writeInt32BE(random.int(100, 1_000_000), 0);
      return b;
    }
    case 5: // A valid header over a random body.
      return sized(
        header(
          random.pick([ApiKey.Produce, ApiKey.Fetch, ApiKey.Metadata, ApiKey.ListOffsets]),
          random.int(3, 12),
          true,
        ),
        randomBytes(random.int(0, 512)),
      );
    case 6: // ApiVersions above what the broker knows (answered, KIP-511).
      return sized(header(ApiKey.ApiVersions, random.int(5, 100), true));
    case 7: // Random bytes with no framing at all.
      return randomBytes(random.int(1, 300));
    default: {
      // A Metadata v1 whose topics array claims 2^31-1 entries.
      const body = Buffer.alloc(4);
      body.writeInt32BE(0x7fffffff, 0);
      return sized(header(ApiKey.Metadata, 1, false), body);
    }
  }
}

async function openIdle(count: number): Promise<void> {
  const apiVersions = sized(
    header(ApiKey.ApiVersions, 3, true),
    new Writer().compactString("idle").compactString("1").unsignedVarint(0).toBuffer(),
  );
  const batch = 100;
  for (let i = 0; i < count; i += batch) {
    const opened = await Promise.all(
      Array.from({ length: Math.min(batch, count - i) }, async () => {
        const socket = await open();
        await new Promise<void>((resolve) => {
          socket.once("data", () => resolve());
          socket.write(apiVersions);
        });
        socket.on("data", () => {});
        socket.on("error", () => {});
        socket.on("close", () => {
          sockets.delete(socket);
          if (!stopping) stats.idleLost++;
        });
        return socket;
      }),
    );
    stats.idleConnected += opened.length;
  }
}

async function hostileLoop(): Promise<void> {
  while (!stopping) {
    let socket: Socket;
    try {
      socket = await open();
    } catch {
      await new Promise((r) => setTimeout(r, 10));
      continue;
    }
    stats.hostileConnections++;
    let closed = false;
    socket.on("data", () => {});
    socket.on("error", () => {});
    socket.once("close", () => {
      closed = true;
      sockets.delete(socket);
    });
    const frames = random.int(1, FRAMES_PER_CONNECTION_MAX);
    for (let i = 0; i < frames && !closed && !stopping; i++) {
      socket.write(hostileFrame());
      stats.hostileFrames++;
      await new Promise((r) => setTimeout(r, HOSTILE_INTERVAL_MS));
    }
    if (closed) stats.hostileClosedByBroker++;
    socket.destroy();
  }
}

process.on("SIGTERM", () => {
  stopping = true;
  process.stdout.write(`stats ${JSON.stringify(stats)}\n`);
  for (const s of sockets) s.destroy();
  process.exit(0);
});

await openIdle(Number(idleText));
process.stdout.write(`idle-ready ${stats.idleConnected}\n`);
const hostile = Number(hostileText);
for (let i = 0; i < hostile; i++) void hostileLoop();
process.stdout.write("hostile-started\n");
