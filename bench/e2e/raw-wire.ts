/**
 * The connection under the raw-protocol load generators (raw-produce.ts, raw-fetch.ts): one TCP
 * socket to a Kafka broker, size-prefixed frames out, whole response frames in, plus the few setup
 * requests they need (ApiVersions to pick a version both sides speak, CreateTopics).
 *
 * Response frames are delivered without their size prefix, starting at the correlation id. A frame
 * that lies inside one socket chunk is a view on it; one that straddles chunks is assembled once.
 * Nothing here allocates per request on the send side: callers pass pre-encoded frames.
 */
import { readFileSync } from "node:fs";
import { connect, type Socket } from "node:net";
import {
  ApiKey,
  type CreateTopicsResponse,
  decodeApiVersionsResponse,
  decodeCreateTopicsResponse,
  decodeListOffsetsResponse,
  decodeResponseFrameHeader,
  ErrorCode,
  encodeApiVersionsRequest,
  encodeCreateTopicsRequest,
  encodeListOffsetsRequest,
  encodeRequestFrameHeader,
  Reader,
  Writer,
} from "../../src/protocol/index.js";

/** Largest response frame accepted (a Fetch response of 50 MiB plus headers). */
export const RESPONSE_BYTES_MAX = 64 * 1024 * 1024;

export interface VersionRange {
  minVersion: number;
  maxVersion: number;
}

export class RawConnection {
  readonly socket: Socket;
  /** Called with each response frame, in arrival order. */
  onFrame: (frame: Buffer) => void = () => {};
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private nextSetupCorrelationId = 0x7000_0000;
  closedError: Error | null = null;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.setNoDelay(true);
    socket.on("data", (chunk: Buffer) => this.onData(chunk));
    socket.on("error", (error) => {
      this.closedError = error;
    });
    socket.on("close", () => {
      this.closedError ??= new Error("connection closed by the broker");
    });
  }

  static async open(bootstrap: string): Promise<RawConnection> {
    const cut = bootstrap.lastIndexOf(":");
    const socket = connect({ host: bootstrap.slice(0, cut), port: Number(bootstrap.slice(cut + 1)) });
    await new Promise<void>((resolve, reject) => {
      socket.once("connect", resolve);
      socket.once("error", reject);
    });
    return new RawConnection(socket);
  }

  private onData(chunk: Buffer): void {
    let data = chunk;
    if (this.pendingBytes > 0) {
      this.pending.push(chunk);
      data = Buffer.concat(this.pending, this.pendingBytes + chunk.length);
      this.pending = [];
      this.pendingBytes = 0;
    }
    let at = 0;
    while (data.length - at >= 4) {
      const size = data.readInt32BE(at);
      if (size < 0 || size > RESPONSE_BYTES_MAX) throw new Error(`response frame of ${size} bytes`);
      if (data.length - at - 4 < size) break;
      this.onFrame(data.subarray(at + 4, at + 4 + size));
      at += 4 + size;
    }
    if (at < data.length) {
      const rest = data.subarray(at);
      this.pending.push(rest);
      this.pendingBytes = rest.length;
    }
  }

  write(frame: Buffer): void {
    this.socket.write(frame);
  }

  close(): void {
    this.socket.destroy();
  }

  /** Sends one request and waits for its response (setup only; nothing else may be in flight). */
  async request(apiKey: number, version: number, encodeBody: (w: Writer) => void): Promise<Reader> {
    const correlationId = this.nextSetupCorrelationId++;
    const frame = encodeFrame(apiKey, version, correlationId, "brook-raw-setup", encodeBody);
    const previous = this.onFrame;
    try {
      const response = await new Promise<Buffer>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no answer to api ${apiKey} in 10 s`)), 10_000);
        this.onFrame = (f) => {
          clearTimeout(timer);
          resolve(f);
        };
        this.write(frame);
      });
      const r = new Reader(response);
      const header = decodeResponseFrameHeader(r, apiKey, version);
      if (header.correlationId !== correlationId)
        throw new Error(`correlation id ${header.correlationId}, expected ${correlationId}`);
      return r;
    } finally {
      this.onFrame = previous;
    }
  }

  /** ApiVersions v0 (every broker answers it): the version ranges by API key. */
  async apiVersions(): Promise<Map<number, VersionRange>> {
    const r = await this.request(ApiKey.ApiVersions, 0, (w) => encodeApiVersionsRequest(w, {}, 0));
    const response = decodeApiVersionsResponse(r, 0);
    if (response.errorCode !== ErrorCode.NONE) throw new Error(`ApiVersions error ${response.errorCode}`);
    return new Map(
      response.apiKeys.map((k) => [k.apiKey, { minVersion: k.minVersion, maxVersion: k.maxVersion }]),
    );
  }

  /** Creates a topic of `partitions` partitions, RF 1; an existing topic is fine. */
  async createTopic(topic: string, partitions: number, versions: Map<number, VersionRange>): Promise<void> {
    const range = versions.get(ApiKey.CreateTopics);
    if (range === undefined) return; // the broker auto-creates, or the topic was created beforehand
    const version = Math.min(5, range.maxVersion);
    const r = await this.request(ApiKey.CreateTopics, version, (w) =>
      encodeCreateTopicsRequest(
        w,
        {
          topics: [
            { name: topic, numPartitions: partitions, replicationFactor: 1, assignments: [], configs: [] },
          ],
          timeoutMs: 10_000,
          validateOnly: false,
        },
        version,
      ),
    );
    const response: CreateTopicsResponse = decodeCreateTopicsResponse(r, version);
    for (const t of response.topics) {
      if (t.errorCode !== ErrorCode.NONE && t.errorCode !== ErrorCode.TOPIC_ALREADY_EXISTS)
        throw new Error(`CreateTopics ${t.name}: error ${t.errorCode} ${t.errorMessage ?? ""}`);
    }
  }
}

/** ListOffsets with timestamp -2: the partition's log start offset. */
export async function earliestOffset(
  conn: RawConnection,
  topic: string,
  partition: number,
  versions: Map<number, VersionRange>,
): Promise<bigint> {
  const version = pickVersion(versions, ApiKey.ListOffsets, 5, 1);
  const r = await conn.request(ApiKey.ListOffsets, version, (w) =>
    encodeListOffsetsRequest(
      w,
      {
        replicaId: -1,
        isolationLevel: 0,
        topics: [{ name: topic, partitions: [{ partitionIndex: partition, timestamp: -2n }] }],
      },
      version,
    ),
  );
  const p = decodeListOffsetsResponse(r, version).topics[0]?.partitions[0];
  if (p === undefined || p.errorCode !== ErrorCode.NONE)
    throw new Error(`ListOffsets ${topic}-${partition}: error ${p?.errorCode ?? "(no partition)"}`);
  return p.offset;
}

/** Picks the highest version both sides support, at most `preferred`; fails below `least`. */
export function pickVersion(
  versions: Map<number, VersionRange>,
  apiKey: number,
  preferred: number,
  least: number,
): number {
  const range = versions.get(apiKey);
  const version = range === undefined ? -1 : Math.min(preferred, range.maxVersion);
  if (range === undefined || version < least || version < range.minVersion)
    throw new Error(`broker does not speak api ${apiKey} v${least}-v${preferred}`);
  return version;
}

/** One whole request frame, size prefix included. The correlation id sits at byte 8. */
export function encodeFrame(
  apiKey: number,
  version: number,
  correlationId: number,
  clientId: string,
  encodeBody: (w: Writer) => void,
): Buffer {
  const w = new Writer(1024);
  w.int32(0);
  encodeRequestFrameHeader(w, { requestApiKey: apiKey, requestApiVersion: version, correlationId, clientId });
  encodeBody(w);
  const frame = Buffer.from(w.toBuffer());
  frame.writeInt32BE(frame.length - 4, 0);
  return frame;
}

/** Byte offset of the correlation id in a frame from encodeFrame (size, apiKey, apiVersion). */
export const FRAME_CORRELATION_ID_AT = 8;

/** Tiny argv parser: `--name value` pairs. */
export function argValue(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  const v = at >= 0 ? process.argv[at + 1] : undefined;
  return v ?? fallback;
}

export function argNumber(name: string, fallback: number): number {
  const v = Number(argValue(name, String(fallback)));
  if (!Number.isFinite(v)) throw new Error(`--${name} must be a number`);
  return v;
}

/** utime and stime of a process in seconds (all its threads), from /proc/<pid>/stat; NaN if unknown. */
export function processCpuTimes(pid: number, ticksPerSecond = 100): { user: number; system: number } {
  if (!(pid > 0)) return { user: Number.NaN, system: Number.NaN };
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the parenthesised command name (which may hold spaces): state is field 3.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return { user: Number(fields[11]) / ticksPerSecond, system: Number(fields[12]) / ticksPerSecond };
  } catch {
    return { user: Number.NaN, system: Number.NaN };
  }
}

/** utime + stime of a process in seconds. */
export function processCpuSeconds(pid: number, ticksPerSecond = 100): number {
  const t = processCpuTimes(pid, ticksPerSecond);
  return t.user + t.system;
}

/** Nearest-rank quantile of unsorted samples (copies). */
export function quantile(samples: ArrayLike<number>, q: number): number {
  const s = Float64Array.from(samples).sort();
  if (s.length === 0) return Number.NaN;
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))] as number;
}

/**
 * The fields every raw generator reports after its counters: latency quantiles of the timed
 * window and the broker's CPU over it (`warm` and `measured` are its CPU times at the window's ends).
 */
export function latencyAndCpu(
  latencyUs: Float64Array,
  latencyCount: number,
  warm: { user: number; system: number },
  measured: { user: number; system: number },
  records: number,
) {
  const lat = latencyUs.subarray(0, latencyCount);
  const user = measured.user - warm.user;
  const system = measured.system - warm.system;
  const cpu = user + system;
  return {
    latencyP50Us: quantile(lat, 0.5),
    latencyP99Us: quantile(lat, 0.99),
    brokerCpuSeconds: cpu,
    brokerUserCpuSeconds: user,
    brokerSystemCpuSeconds: system,
    brokerCpuSecondsPerMRecords: (cpu / records) * 1e6,
  };
}

/** Runs a generator's main: exit 0 when it resolves, else its message on stderr and exit 1. */
export function runGenerator(tool: string, main: () => Promise<void>): void {
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      process.stderr.write(`${tool}: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
}
