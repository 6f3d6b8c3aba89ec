import assert from "node:assert/strict";
import { connect, type Socket } from "node:net";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import {
  ApiKey,
  apiSpec,
  type CreateTopicsResponse,
  decodeResponseFrameHeader,
  ErrorCode,
  encodeRecordBatch,
  encodeRequestFrameHeader,
  type FetchResponse,
  type ProduceResponse,
  Reader,
  Writer,
} from "../../../src/protocol/index.js";

/**
 * Shared pieces of the robustness tests: seeds that print and replay, traps for anything thrown
 * past the broker into the process, settled memory readings, a raw connection that tells an
 * answer from a close from a hang, and the produce/fetch round trip that shows the broker still
 * serves after the abuse.
 */

/**
 * The seed of a fuzz run: `fallback` (so that the suite does the same every time), the number in
 * `envName` (to replay a run), or a fresh one when `envName` is "random" (to explore). Printed,
 * so that any failure can be replayed.
 */
export function fuzzSeed(envName: string, what: string, fallback: number): number {
  const fromEnv = process.env[envName];
  const seed =
    fromEnv === undefined || fromEnv === ""
      ? fallback
      : fromEnv === "random"
        ? (Date.now() ^ (process.pid << 8)) >>> 0
        : Number(fromEnv);
  assert.ok(Number.isInteger(seed), `${envName} must be an integer, got ${fromEnv}`);
  console.log(`# ${what}: seed ${seed} (replay with ${envName}=${seed})`);
  return seed;
}

/** A positive integer from `envName`, or `fallback`. */
export function envCount(envName: string, fallback: number): number {
  const raw = process.env[envName];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  assert.ok(Number.isInteger(n) && n > 0, `${envName} must be a positive integer, got ${raw}`);
  return n;
}

/**
 * Records every uncaught exception and unhandled rejection of the process while installed: with
 * the broker in-process, either one is a crash that the test would otherwise not see.
 */
export class ProcessTraps {
  readonly failures: string[] = [];
  private readonly onException = (error: unknown) => {
    this.failures.push(`uncaughtException: ${describe(error)}`);
  };
  private readonly onRejection = (reason: unknown) => {
    this.failures.push(`unhandledRejection: ${describe(reason)}`);
  };

  constructor() {
    process.on("uncaughtException", this.onException);
    process.on("unhandledRejection", this.onRejection);
  }

  assertNone(context: string): void {
    assert.deepEqual(this.failures, [], `the process saw errors nobody handled (${context})`);
  }

  remove(): void {
    process.off("uncaughtException", this.onException);
    process.off("unhandledRejection", this.onRejection);
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}\n${error.stack ?? ""}` : String(error);
}

setFlagsFromString("--expose-gc");
const collectGarbage = runInNewContext("gc") as () => void;

/** Heap plus ArrayBuffer bytes (socket buffers, frames) after full collections. */
export async function settledMemoryBytes(): Promise<number> {
  for (let i = 0; i < 3; i++) {
    collectGarbage();
    await new Promise((resolve) => setImmediate(resolve));
  }
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

export const MIB = 1024 * 1024;

/** What became of one request: its response frame, the connection closed, or nothing in time. */
export type Outcome = { kind: "frame"; frame: Buffer } | { kind: "closed" } | { kind: "timeout" };

/**
 * A raw client connection for hostile tests: sends any bytes, and waits for the next response
 * frame with a deadline, reporting a close or a timeout instead of throwing.
 */
export class RawConnection {
  readonly socket: Socket;
  private buffered: Buffer = Buffer.alloc(0);
  private readonly frames: Buffer[] = [];
  private waiter: (() => void) | null = null;
  private nextCorrelationId = 1;
  closed = false;
  bytesReceived = 0;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on("data", (chunk: Buffer) => this.onData(chunk));
    socket.on("close", () => {
      this.closed = true;
      this.wake();
    });
    socket.on("error", () => {});
  }

  static open(port: number, host = "127.0.0.1"): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, host);
      socket.once("connect", () => resolve(new RawConnection(socket)));
      socket.once("error", reject);
    });
  }

  private onData(chunk: Buffer): void {
    this.bytesReceived += chunk.length;
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    while (this.buffered.length >= 4) {
      const size = this.buffered.readInt32BE(0);
      if (this.buffered.length < 4 + size) break;
      this.frames.push(this.buffered.subarray(4, 4 + size));
      this.buffered = this.buffered.subarray(4 + size);
    }
    this.wake();
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = null;
    w?.();
  }

  correlationId(): number {
    const id = this.nextCorrelationId;
    this.nextCorrelationId = (this.nextCorrelationId + 1) & 0x7fffffff;
    return id;
  }

  write(bytes: Buffer): void {
    if (!this.closed) this.socket.write(bytes);
  }

  /** The next response frame (without its size prefix), or how the wait ended. */
  async next(timeoutMs: number): Promise<Outcome> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const frame = this.frames.shift();
      if (frame !== undefined) return { kind: "frame", frame };
      if (this.closed) return { kind: "closed" };
      const left = deadline - performance.now();
      if (left <= 0) return { kind: "timeout" };
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  /** Resolves true once the peer closed the connection, false after `timeoutMs`. */
  async waitClosed(timeoutMs: number): Promise<boolean> {
    const deadline = performance.now() + timeoutMs;
    while (!this.closed && performance.now() < deadline) {
      this.frames.length = 0;
      await this.next(Math.max(1, deadline - performance.now()));
    }
    return this.closed;
  }

  close(): void {
    this.socket.destroy();
  }
}

/** A whole request frame, size prefix included, encoded with the generated codecs. */
export function requestFrame(
  apiKey: number,
  apiVersion: number,
  correlationId: number,
  body: unknown,
  clientId: string | null = "robustness",
): Buffer {
  const spec = apiSpec(apiKey);
  assert.ok(spec !== undefined, `unknown api ${apiKey}`);
  const w = new Writer(256);
  w.int32(0);
  encodeRequestFrameHeader(w, {
    requestApiKey: apiKey,
    requestApiVersion: apiVersion,
    correlationId,
    clientId,
  });
  spec.encodeRequest(w, body, apiVersion);
  const frame = w.toBuffer();
  frame.writeInt32BE(frame.length - 4, 0);
  return frame;
}

/** Decodes a response frame as (apiKey, apiVersion), requiring every byte to be consumed. */
export function decodeResponse(
  frame: Buffer,
  apiKey: number,
  apiVersion: number,
): { correlationId: number; body: unknown } {
  const r = new Reader(frame);
  const header = decodeResponseFrameHeader(r, apiKey, apiVersion);
  const body = apiSpec(apiKey)?.decodeResponse(r, apiVersion);
  assert.equal(
    r.remaining,
    0,
    `${apiSpec(apiKey)?.name} v${apiVersion} response has ${r.remaining} bytes left over`,
  );
  return { correlationId: header.correlationId, body };
}

/** Sends one request and decodes its answer; fails on a close, a timeout or a wrong correlation id. */
export async function roundTrip<T>(
  connection: RawConnection,
  apiKey: number,
  apiVersion: number,
  body: unknown,
  timeoutMs = 10_000,
): Promise<T> {
  const correlationId = connection.correlationId();
  connection.write(requestFrame(apiKey, apiVersion, correlationId, body));
  const outcome = await connection.next(timeoutMs);
  assert.equal(outcome.kind, "frame", `${apiSpec(apiKey)?.name} v${apiVersion}: ${outcome.kind}`);
  const decoded = decodeResponse((outcome as { frame: Buffer }).frame, apiKey, apiVersion);
  assert.equal(decoded.correlationId, correlationId);
  return decoded.body as T;
}

/** An uncompressed (or compressed) magic-2 batch as a producer sends it. */
export function producerBatch(values: readonly string[], compression = 0): Buffer {
  return encodeRecordBatch(
    {
      records: values.map((v, i) => ({ key: Buffer.from(`k${i}`), value: Buffer.from(v) })),
      baseTimestamp: BigInt(Date.now()),
      compression,
    },
    {},
  );
}

export async function createTopic(
  connection: RawConnection,
  name: string,
  numPartitions: number,
): Promise<void> {
  const response = await roundTrip<CreateTopicsResponse>(connection, ApiKey.CreateTopics, 7, {
    topics: [{ name, numPartitions, replicationFactor: 1, assignments: [], configs: [] }],
    timeoutMs: 5000,
    validateOnly: false,
  });
  const code = response.topics[0]?.errorCode;
  assert.ok(
    code === ErrorCode.NONE || code === ErrorCode.TOPIC_ALREADY_EXISTS,
    `create ${name}: error ${code}`,
  );
}

/** Produce v9 with acks=all; returns the partition's answer. */
export async function produceTo(
  connection: RawConnection,
  topic: string,
  partition: number,
  records: Buffer,
): Promise<{ errorCode: number; baseOffset: bigint }> {
  const response = await roundTrip<ProduceResponse>(connection, ApiKey.Produce, 9, {
    transactionalId: null,
    acks: -1,
    timeoutMs: 5000,
    topicData: [{ name: topic, partitionData: [{ index: partition, records }] }],
  });
  const p = response.responses[0]?.partitionResponses[0];
  assert.ok(p !== undefined, "produce answered no partition");
  return { errorCode: p.errorCode, baseOffset: p.baseOffset };
}

/** Fetch v12 of one partition from `fetchOffset`, no waiting; the records bytes and offsets. */
export async function fetchFrom(
  connection: RawConnection,
  topic: string,
  partition: number,
  fetchOffset: bigint,
): Promise<{ errorCode: number; highWatermark: bigint; records: Buffer }> {
  const response = await roundTrip<FetchResponse>(connection, ApiKey.Fetch, 12, {
    replicaId: -1,
    maxWaitMs: 0,
    minBytes: 0,
    maxBytes: 16 * MIB,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [
      {
        topic,
        partitions: [
          {
            partition,
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
  });
  assert.equal(response.errorCode, ErrorCode.NONE, `fetch error ${response.errorCode}`);
  const p = response.responses[0]?.partitions[0];
  assert.ok(p !== undefined, "fetch answered no partition");
  const records = p.records;
  return {
    errorCode: p.errorCode,
    highWatermark: p.highWatermark,
    records:
      records === null
        ? Buffer.alloc(0)
        : Buffer.isBuffer(records)
          ? records
          : Buffer.concat(records as Buffer[]),
  };
}

/**
 * The broker still serves: on a fresh connection a new topic is created, a batch produced with
 * acks=all and fetched back byte for byte.
 */
export async function assertProduceFetchWorks(port: number, topic: string): Promise<void> {
  const connection = await RawConnection.open(port);
  try {
    await createTopic(connection, topic, 1);
    const batch = producerBatch(["still", "serving"]);
    const produced = await produceTo(connection, topic, 0, batch);
    assert.equal(produced.errorCode, ErrorCode.NONE, "produce after the abuse");
    const fetched = await fetchFrom(connection, topic, 0, produced.baseOffset);
    assert.equal(fetched.errorCode, ErrorCode.NONE, "fetch after the abuse");
    // The stored batch differs from the sent one only in the fields the broker stamps (offset, epoch, CRC).
    assert.ok(fetched.records.length >= batch.length, "the produced batch is fetched back");
    assert.ok(
      fetched.records.subarray(21, batch.length).equals(batch.subarray(21)),
      "records fetched back as produced",
    );
  } finally {
    connection.close();
  }
}
