/**
 * Raw-protocol fetch load generator: reads one partition back over and over, measuring the broker
 * alone (the client only walks batch headers, it never decodes records).
 *
 * K streams share one connection, each with its own pre-encoded FetchRequest (the highest version
 * both sides speak up to v12, so topics go by name; no fetch session) in which only the correlation
 * id and the fetch offset are patched. Stream k starts at k/K of the partition; each response's
 * complete batches advance that stream's offset, and a stream that reaches the high watermark
 * starts again at the log start. Every response's error codes are checked. After a warm-up, it
 * counts the records returned over a fixed time window and prints one JSON line.
 *
 *   node dist/bench/e2e/raw-fetch.js --bootstrap 127.0.0.1:9092 --topic raw --in-flight 1 \
 *     [--partition-max-bytes 1048576] [--seconds 2] [--warmup-seconds 0.5] [--value-bytes 100] \
 *     [--broker-pid PID]
 *
 * The partition must already hold data (the runner fills it with raw-produce).
 */
import {
  ApiKey,
  BATCH_OFFSET_LAST_OFFSET_DELTA,
  BATCH_OFFSET_LENGTH,
  BATCH_OFFSET_RECORDS_COUNT,
  decodeFetchResponse,
  decodeResponseFrameHeader,
  ErrorCode,
  encodeFetchRequest,
  LOG_OVERHEAD_BYTES,
  Reader,
} from "../../src/protocol/index.js";
import {
  argNumber,
  argValue,
  earliestOffset,
  encodeFrame,
  FRAME_CORRELATION_ID_AT,
  latencyAndCpu,
  pickVersion,
  processCpuTimes,
  RawConnection,
  runGenerator,
} from "./raw-wire.js";

const RUN_SECONDS_MAX = 120;
const IN_FLIGHT_MAX = 64;
const LATENCY_SAMPLES_MAX = 2_000_000;
/** Written as the fetch offset when encoding, then searched for: where each request's offset lives. */
const OFFSET_SENTINEL = 0x0123_4567_89ab_cdefn;

interface Stream {
  frame: Buffer;
  offset: bigint;
  sentAt: number;
}

interface FetchResult {
  records: number;
  recordBytes: number;
  nextOffset: bigint;
  highWatermark: bigint;
  logStartOffset: bigint;
}

function buildFrame(version: number, topic: string, partition: number, partitionMaxBytes: number): Buffer {
  const frame = encodeFrame(ApiKey.Fetch, version, 0, "brook-raw-fetch", (w) =>
    encodeFetchRequest(
      w,
      {
        replicaId: -1,
        maxWaitMs: 0,
        minBytes: 1,
        maxBytes: 52_428_800,
        isolationLevel: 0,
        sessionId: 0,
        sessionEpoch: -1,
        topics: [{ topic, partitions: [{ partition, fetchOffset: OFFSET_SENTINEL, partitionMaxBytes }] }],
        forgottenTopicsData: [],
        rackId: "",
      },
      version,
    ),
  );
  return frame;
}

function offsetPosition(frame: Buffer): number {
  const sentinel = Buffer.alloc(8);
  sentinel.writeBigInt64BE(OFFSET_SENTINEL);
  const at = frame.indexOf(sentinel);
  if (at < 0) throw new Error("fetch offset not found in the encoded request");
  return at;
}

/** Walks the complete batches of one Fetch response (a partial last batch is left out, as clients do). */
function readResponse(frame: Buffer, version: number, fetchOffset: bigint): FetchResult {
  const r = new Reader(frame);
  decodeResponseFrameHeader(r, ApiKey.Fetch, version);
  const response = decodeFetchResponse(r, version);
  if (response.errorCode !== ErrorCode.NONE) throw new Error(`fetch error ${response.errorCode}`);
  const p = response.responses[0]?.partitions[0];
  if (p === undefined) throw new Error("fetch response without the partition");
  if (p.errorCode !== ErrorCode.NONE)
    throw new Error(
      `fetch at ${fetchOffset}: partition error ${p.errorCode} (log start ${p.logStartOffset}, HW ${p.highWatermark})`,
    );
  const data = p.records ?? Buffer.alloc(0);
  let records = 0;
  let nextOffset = fetchOffset;
  let at = 0;
  while (data.length - at >= LOG_OVERHEAD_BYTES) {
    const size = LOG_OVERHEAD_BYTES + data.readInt32BE(at + BATCH_OFFSET_LENGTH);
    if (data.length - at < size) break;
    records += data.readInt32BE(at + BATCH_OFFSET_RECORDS_COUNT);
    nextOffset = data.readBigInt64BE(at) + BigInt(data.readInt32BE(at + BATCH_OFFSET_LAST_OFFSET_DELTA)) + 1n;
    at += size;
  }
  return {
    records,
    recordBytes: at,
    nextOffset,
    highWatermark: p.highWatermark,
    logStartOffset: p.logStartOffset,
  };
}

interface Window {
  t: number;
  records: number;
  bytes: number;
  requests: number;
  cpu: { user: number; system: number };
}

async function main(): Promise<void> {
  const bootstrap = argValue("bootstrap", "127.0.0.1:9092");
  const topic = argValue("topic", "raw-fetch");
  const partition = argNumber("partition", 0);
  const inFlight = Math.min(IN_FLIGHT_MAX, Math.max(1, argNumber("in-flight", 1)));
  const partitionMaxBytes = argNumber("partition-max-bytes", 1_048_576);
  const seconds = Math.min(RUN_SECONDS_MAX, argNumber("seconds", 2));
  const warmupSeconds = Math.min(RUN_SECONDS_MAX, argNumber("warmup-seconds", 0.5));
  const valueBytes = argNumber("value-bytes", 100);
  const brokerPid = argNumber("broker-pid", 0);

  const conn = await RawConnection.open(bootstrap);
  const versions = await conn.apiVersions();
  const version = pickVersion(versions, ApiKey.Fetch, 12, 4);
  const earliest = await earliestOffset(conn, topic, partition, versions);
  const template = buildFrame(version, topic, partition, partitionMaxBytes);
  const offsetAt = offsetPosition(template);

  // One probe at the log start learns the high watermark.
  const probe = Buffer.from(template);
  probe.writeBigInt64BE(earliest, offsetAt);
  const first = await new Promise<FetchResult>((resolve, reject) => {
    conn.onFrame = (f) => {
      try {
        resolve(readResponse(f, version, earliest));
      } catch (error) {
        reject(error);
      }
    };
    conn.write(probe);
  });
  let logStart = earliest;
  if (first.logStartOffset > logStart) logStart = first.logStartOffset;
  const highWatermark = first.highWatermark;
  if (highWatermark <= logStart) throw new Error(`partition ${topic}-${partition} is empty`);
  const span = highWatermark - logStart;
  const streams: Stream[] = Array.from({ length: inFlight }, (_, k) => ({
    frame: Buffer.from(template),
    offset: logStart + (span * BigInt(k)) / BigInt(inFlight),
    sentAt: 0,
  }));

  const latencyUs = new Float64Array(LATENCY_SAMPLES_MAX);
  let latencyCount = 0;
  let nextCorrelationId = 1;
  let expectedCorrelationId = 1;
  let total: Window = { t: 0, records: 0, bytes: 0, requests: 0, cpu: { user: 0, system: 0 } };
  let warm: Window | null = null;
  let measured: Window | null = null;
  let stopping = false;
  let inFlightNow = 0;
  const start = performance.now();

  const send = (stream: Stream) => {
    stream.frame.writeInt32BE(nextCorrelationId++, FRAME_CORRELATION_ID_AT);
    stream.frame.writeBigInt64BE(stream.offset, offsetAt);
    stream.sentAt = performance.now();
    inFlightNow++;
    conn.write(stream.frame);
  };

  await new Promise<void>((resolve, reject) => {
    const fail = (error: unknown) => {
      stopping = true;
      reject(error);
    };
    conn.socket.on("close", () => fail(conn.closedError ?? new Error("connection closed")));
    conn.onFrame = (frame) => {
      try {
        const correlationId = frame.readInt32BE(0);
        if (correlationId !== expectedCorrelationId)
          throw new Error(`correlation id ${correlationId}, expected ${expectedCorrelationId}`);
        const stream = streams[(expectedCorrelationId - 1) % inFlight] as Stream;
        expectedCorrelationId++;
        inFlightNow--;
        const result = readResponse(frame, version, stream.offset);
        if (result.records === 0 && stream.offset < result.highWatermark)
          throw new Error(`no complete batch at offset ${stream.offset}: raise --partition-max-bytes`);
        stream.offset = result.nextOffset >= result.highWatermark ? logStart : result.nextOffset;
        if (result.logStartOffset > logStart) logStart = result.logStartOffset; // retention moved it
        if (stream.offset < logStart) stream.offset = logStart;
        const now = performance.now();
        total = {
          t: now,
          records: total.records + result.records,
          bytes: total.bytes + result.recordBytes,
          requests: total.requests + 1,
          cpu: total.cpu,
        };
        if (warm !== null && latencyCount < LATENCY_SAMPLES_MAX)
          latencyUs[latencyCount++] = (now - stream.sentAt) * 1000;
        if (warm === null && now - start >= warmupSeconds * 1000)
          warm = { ...total, cpu: processCpuTimes(brokerPid) };
        if (warm !== null && now - warm.t >= seconds * 1000) stopping = true;
        if (!stopping) send(stream);
        else if (inFlightNow === 0) {
          measured = { ...total, cpu: processCpuTimes(brokerPid) };
          resolve();
        }
      } catch (error) {
        fail(error);
      }
    };
    for (const stream of streams) send(stream);
  });
  conn.close();
  const w = warm as Window | null;
  const m = measured as Window | null;
  if (w === null || m === null) throw new Error("run ended before the warm-up did");
  const s = (m.t - w.t) / 1000;
  const records = m.records - w.records;
  const out = {
    tool: "raw-fetch",
    fetchVersion: version,
    inFlight,
    partitionMaxBytes,
    partitionRecords: Number(highWatermark - logStart),
    seconds: s,
    requests: m.requests - w.requests,
    records,
    requestsPerSec: (m.requests - w.requests) / s,
    recordsPerSec: records / s,
    payloadMBps: (records * valueBytes) / s / 1e6,
    wireMBps: (m.bytes - w.bytes) / s / 1e6,
    ...latencyAndCpu(latencyUs, latencyCount, w.cpu, m.cpu, records),
  };
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

runGenerator("raw-fetch", main);
