/**
 * A recording TCP proxy between a Kafka client and one broker, used to capture golden protocol
 * frames from real clients (test/fixtures/protocol/README.md tells how they were made).
 *
 *   tsx tools/capture-proxy.ts --upstream 127.0.0.1:PORT --out DIR [--port 0] [--max-per-api 2]
 *                              [--advertise CreateTopics:0-3,...]
 *
 * Frames are `int32 size | bytes`; each request frame (header + body, without the size) is saved
 * as DIR/NNN-<Api>-v<version>-request.bin and the broker's answer, as received, as
 * NNN-<Api>-v<version>-response.bin. Broker addresses in Metadata and FindCoordinator responses
 * are rewritten (decoded and re-encoded with Brook's codecs) to point at the proxy, so the client
 * keeps talking through it; the saved response is the broker's original. `--advertise` adds API
 * ranges to ApiVersions responses so that a client sends a request the broker lacks (its frame is
 * what we want; the broker may answer with an error or close the connection), and then also names
 * a real broker as controller in Metadata responses (the mock names none), for admin clients.
 * Prints `listening HOST:PORT` once ready; stops on SIGINT/SIGTERM.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { connect, createServer, type Socket } from "node:net";
import { join } from "node:path";
import {
  API_SPECS,
  apiSpec,
  decodeApiVersionsResponse,
  decodeFindCoordinatorResponse,
  decodeMetadataResponse,
  decodeRequestFrameHeader,
  decodeResponseFrameHeader,
  encodeApiVersionsResponse,
  encodeFindCoordinatorResponse,
  encodeMetadataResponse,
  encodeResponseFrameHeader,
  Reader,
  Writer,
} from "../src/protocol/index.js";

const FRAME_BYTES_MAX = 100 * 1024 * 1024;

interface Options {
  upstreamHost: string;
  upstreamPort: number;
  out: string;
  port: number;
  maxPerApi: number;
  advertise: { apiKey: number; minVersion: number; maxVersion: number }[];
}

function parseOptions(argv: string[]): Options {
  const get = (name: string) => {
    const at = argv.indexOf(`--${name}`);
    return at >= 0 ? argv[at + 1] : undefined;
  };
  const upstream = get("upstream");
  const out = get("out");
  if (upstream === undefined || out === undefined) {
    throw new Error("usage: capture-proxy --upstream HOST:PORT --out DIR [--port N] [--max-per-api N]");
  }
  const [host, port] = upstream.split(":");
  const advertise = (get("advertise") ?? "")
    .split(",")
    .filter((s) => s !== "")
    .map((item) => {
      const [name, range] = item.split(":");
      const api = API_SPECS.find((a) => a.name === name);
      if (api === undefined) throw new Error(`unknown api ${name}`);
      const [lo, hi] = (range ?? "0-0").split("-").map(Number);
      return { apiKey: api.apiKey, minVersion: lo ?? 0, maxVersion: hi ?? lo ?? 0 };
    });
  return {
    upstreamHost: host ?? "127.0.0.1",
    upstreamPort: Number(port),
    out,
    port: Number(get("port") ?? 0),
    maxPerApi: Number(get("max-per-api") ?? 2),
    advertise,
  };
}

/** Splits a byte stream into size-prefixed frames. */
class FrameSplitter {
  private pending: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Buffer[] {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const frames: Buffer[] = [];
    while (this.pending.length >= 4) {
      const size = this.pending.readInt32BE(0);
      if (size < 0 || size > FRAME_BYTES_MAX) throw new Error(`bad frame size ${size}`);
      if (this.pending.length < 4 + size) break;
      frames.push(this.pending.subarray(4, 4 + size));
      this.pending = this.pending.subarray(4 + size);
    }
    return frames;
  }
}

function framed(body: Buffer): Buffer {
  const size = Buffer.alloc(4);
  size.writeInt32BE(body.length);
  return Buffer.concat([size, body]);
}

class Recorder {
  private seq = 0;
  private readonly counts = new Map<string, number>();
  private readonly options: Options;

  constructor(options: Options) {
    this.options = options;
    mkdirSync(options.out, { recursive: true });
  }

  /** Returns the file prefix to use for this request's frames, or null when enough were kept. */
  keep(apiKey: number, version: number): string | null {
    const name = apiSpec(apiKey)?.name ?? `Api${apiKey}`;
    const key = `${name}-v${version}`;
    const count = this.counts.get(key) ?? 0;
    if (count >= this.options.maxPerApi) return null;
    this.counts.set(key, count + 1);
    this.seq++;
    return `${String(this.seq).padStart(3, "0")}-${key}`;
  }

  save(prefix: string, kind: "request" | "response", frame: Buffer): void {
    writeFileSync(join(this.options.out, `${prefix}-${kind}.bin`), frame);
  }
}

interface InFlight {
  apiKey: number;
  apiVersion: number;
  prefix: string | null;
}

/** Rewrites broker addresses to the proxy, or adds advertised APIs; other responses pass unchanged. */
function rewriteResponse(
  frame: Buffer,
  req: InFlight,
  options: Options,
  self: { host: string; port: number },
): Buffer {
  const { apiKey, apiVersion } = req;
  if (apiKey !== 3 && apiKey !== 10 && !(apiKey === 18 && options.advertise.length > 0)) return frame;
  const r = new Reader(frame);
  const header = decodeResponseFrameHeader(r, apiKey, apiVersion);
  const w = new Writer(frame.length + 64);
  encodeResponseFrameHeader(w, apiKey, apiVersion, header.correlationId);
  if (apiKey === 3) {
    const body = decodeMetadataResponse(r, apiVersion);
    for (const b of body.brokers) Object.assign(b, self);
    // The mock names controller 0, which is no broker; admin clients need a controller to talk to.
    const first = body.brokers[0];
    if (
      options.advertise.length > 0 &&
      first !== undefined &&
      !body.brokers.some((b) => b.nodeId === body.controllerId)
    ) {
      body.controllerId = first.nodeId;
    }
    encodeMetadataResponse(w, body, apiVersion);
  } else if (apiKey === 10) {
    const body = decodeFindCoordinatorResponse(r, apiVersion);
    if (body.errorCode === 0 && apiVersion < 4) Object.assign(body, self);
    for (const c of body.coordinators) if (c.errorCode === 0) Object.assign(c, self);
    encodeFindCoordinatorResponse(w, body, apiVersion);
  } else {
    // An ApiVersions response that fails to parse (say, v0 carrying an error) passes unchanged.
    const body = decodeApiVersionsResponse(r, apiVersion);
    for (const extra of options.advertise) {
      if (!body.apiKeys.some((k) => k.apiKey === extra.apiKey)) body.apiKeys.push(extra);
    }
    encodeApiVersionsResponse(w, body, apiVersion);
  }
  return w.toBuffer();
}

function handle(
  client: Socket,
  options: Options,
  recorder: Recorder,
  self: { host: string; port: number },
): void {
  const upstream = connect(options.upstreamPort, options.upstreamHost);
  const inFlight = new Map<number, InFlight>();
  const fromClient = new FrameSplitter();
  const fromBroker = new FrameSplitter();
  client.on("data", (chunk: Buffer) => {
    for (const frame of fromClient.push(chunk)) {
      const header = decodeRequestFrameHeader(new Reader(frame));
      const prefix = recorder.keep(header.requestApiKey, header.requestApiVersion);
      if (prefix !== null) recorder.save(prefix, "request", frame);
      inFlight.set(header.correlationId, {
        apiKey: header.requestApiKey,
        apiVersion: header.requestApiVersion,
        prefix,
      });
      upstream.write(framed(frame));
    }
  });
  upstream.on("data", (chunk: Buffer) => {
    for (const frame of fromBroker.push(chunk)) {
      const correlationId = frame.readInt32BE(0);
      const req = inFlight.get(correlationId);
      inFlight.delete(correlationId);
      if (req === undefined) {
        client.write(framed(frame));
        continue;
      }
      if (req.prefix !== null) recorder.save(req.prefix, "response", frame);
      let out = frame;
      try {
        out = rewriteResponse(frame, req, options, self);
      } catch (e) {
        console.error(`cannot rewrite api ${req.apiKey} v${req.apiVersion}: ${(e as Error).message}`);
      }
      client.write(framed(out));
    }
  });
  const close = () => {
    client.destroy();
    upstream.destroy();
  };
  client.on("error", close).on("close", close);
  upstream.on("error", close).on("close", close);
}

function main(): void {
  const options = parseOptions(process.argv.slice(2));
  const recorder = new Recorder(options);
  const server = createServer();
  server.listen(options.port, "127.0.0.1", () => {
    const address = server.address();
    if (address === null || typeof address === "string") throw new Error("no address");
    const self = { host: "127.0.0.1", port: address.port };
    server.on("connection", (socket) => handle(socket, options, recorder, self));
    console.log(`listening 127.0.0.1:${address.port}`);
  });
  // Frames are written synchronously as they pass, so there is nothing to flush.
  const stop = () => process.exit(0);
  process.on("SIGINT", stop).on("SIGTERM", stop);
}

main();
