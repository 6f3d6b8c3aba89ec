/**
 * Raw-protocol produce load generator: measures a broker alone, with almost no client CPU.
 *
 * It encodes ONE ProduceRequest (v7 or later, the highest both sides speak up to v9) carrying one
 * RecordBatch v2 of N records (valid CRC32C, no keys, no compression), and sends it over and over
 * on one connection with K requests in flight, patching only the correlation id (each in-flight
 * slot has its own copy of the frame, so a queued write is never modified). Every response is
 * decoded and its error codes checked; the first error stops the run. After a warm-up, it counts
 * acknowledged records over a fixed time window and prints one JSON line.
 *
 *   node dist/bench/e2e/raw-produce.js --bootstrap 127.0.0.1:9092 --topic raw --records 100 \
 *     --in-flight 5 [--value-bytes 100] [--acks 1] [--seconds 2] [--warmup-seconds 0.5] \
 *     [--payload FILE] [--broker-pid PID] [--create 1]
 *
 * With --broker-pid, the broker's utime+stime over the timed window is reported too.
 */
import { readFileSync } from "node:fs";
import {
  ApiKey,
  decodeProduceResponse,
  decodeResponseFrameHeader,
  ErrorCode,
  encodeProduceRequest,
  encodeRecordBatch,
  Reader,
  type RecordInput,
} from "../../src/protocol/index.js";
import {
  argNumber,
  argValue,
  encodeFrame,
  FRAME_CORRELATION_ID_AT,
  latencyAndCpu,
  pickVersion,
  processCpuTimes,
  RawConnection,
  runGenerator,
} from "./raw-wire.js";

/** Bounds on one run, whatever the options say. */
const RUN_SECONDS_MAX = 120;
const LATENCY_SAMPLES_MAX = 2_000_000;
const IN_FLIGHT_MAX = 64;

/** N record values: lines of the payload file (as kcat -l would send them), or filler bytes. */
function recordValues(count: number, valueBytes: number, payloadFile: string): Buffer[] {
  if (payloadFile !== "") {
    const text = readFileSync(payloadFile, "utf8");
    const lines: Buffer[] = [];
    for (let at = 0; lines.length < count && at < text.length; ) {
      const end = text.indexOf("\n", at);
      lines.push(Buffer.from(text.slice(at, end < 0 ? text.length : end)));
      at = end < 0 ? text.length : end + 1;
    }
    if (lines.length === count) return lines;
  }
  return Array.from({ length: count }, (_, i) => Buffer.alloc(valueBytes, 0x61 + (i % 26)));
}

function buildFrames(options: {
  version: number;
  topic: string;
  partition: number;
  acks: number;
  values: Buffer[];
  inFlight: number;
}): Buffer[] {
  const now = BigInt(Date.now());
  const records: RecordInput[] = options.values.map((value) => ({ key: null, value, timestamp: now }));
  const batch = encodeRecordBatch({ records, baseTimestamp: now });
  const frame = encodeFrame(ApiKey.Produce, options.version, 0, "brook-raw-produce", (w) =>
    encodeProduceRequest(
      w,
      {
        transactionalId: null,
        acks: options.acks,
        timeoutMs: 30_000,
        topicData: [{ name: options.topic, partitionData: [{ index: options.partition, records: batch }] }],
      },
      options.version,
    ),
  );
  return Array.from({ length: options.inFlight }, () => Buffer.from(frame));
}

/** Throws on any error code in a Produce response. */
function checkResponse(frame: Buffer, version: number): void {
  const r = new Reader(frame);
  decodeResponseFrameHeader(r, ApiKey.Produce, version);
  const response = decodeProduceResponse(r, version);
  for (const t of response.responses) {
    for (const p of t.partitionResponses) {
      if (p.errorCode !== ErrorCode.NONE)
        throw new Error(`produce to ${t.name}-${p.index}: error ${p.errorCode} ${p.errorMessage ?? ""}`);
    }
  }
}

interface Window {
  t: number;
  acked: number;
  requests: number;
  cpu: { user: number; system: number };
}

async function main(): Promise<void> {
  const bootstrap = argValue("bootstrap", "127.0.0.1:9092");
  const topic = argValue("topic", "raw-produce");
  const partition = argNumber("partition", 0);
  const recordsPerBatch = argNumber("records", 100);
  const inFlight = Math.min(IN_FLIGHT_MAX, Math.max(1, argNumber("in-flight", 1)));
  const valueBytes = argNumber("value-bytes", 100);
  const acks = argNumber("acks", 1);
  const seconds = Math.min(RUN_SECONDS_MAX, argNumber("seconds", 2));
  const warmupSeconds = Math.min(RUN_SECONDS_MAX, argNumber("warmup-seconds", 0.5));
  const brokerPid = argNumber("broker-pid", 0);

  const conn = await RawConnection.open(bootstrap);
  const versions = await conn.apiVersions();
  const version = pickVersion(versions, ApiKey.Produce, 9, 7);
  if (argNumber("create", 1) === 1) await conn.createTopic(topic, partition + 1, versions);
  const values = recordValues(recordsPerBatch, valueBytes, argValue("payload", ""));
  const payloadBytesPerRequest = values.reduce((n, v) => n + v.length, 0);
  const frames = buildFrames({ version, topic, partition, acks, values, inFlight });

  const latencyUs = new Float64Array(LATENCY_SAMPLES_MAX);
  let latencyCount = 0;
  const sentAt = new Float64Array(inFlight);
  // Slots are answered in order (one connection), so a ring of slot numbers is enough.
  let nextCorrelationId = 1;
  let expectedCorrelationId = 1;
  let acked = 0;
  let requests = 0;
  let stopping = false;
  let inFlightNow = 0;
  const start = performance.now();
  let measured: Window | null = null;
  let warm: Window | null = null;

  const send = (slot: number) => {
    const frame = frames[slot] as Buffer;
    frame.writeInt32BE(nextCorrelationId++, FRAME_CORRELATION_ID_AT);
    sentAt[slot] = performance.now();
    inFlightNow++;
    conn.write(frame);
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
        const slot = (expectedCorrelationId - 1) % inFlight;
        expectedCorrelationId++;
        inFlightNow--;
        checkResponse(frame, version);
        const now = performance.now();
        acked += recordsPerBatch;
        requests++;
        if (warm !== null && latencyCount < LATENCY_SAMPLES_MAX)
          latencyUs[latencyCount++] = (now - (sentAt[slot] as number)) * 1000;
        if (warm === null && now - start >= warmupSeconds * 1000)
          warm = { t: now, acked, requests, cpu: processCpuTimes(brokerPid) };
        if (warm !== null && now - warm.t >= seconds * 1000) stopping = true;
        if (!stopping) send(slot);
        else if (inFlightNow === 0) {
          measured = { t: now, acked, requests, cpu: processCpuTimes(brokerPid) };
          resolve();
        }
      } catch (error) {
        fail(error);
      }
    };
    for (let slot = 0; slot < inFlight; slot++) send(slot);
  });
  conn.close();
  report({
    warm,
    measured,
    version,
    recordsPerBatch,
    inFlight,
    payloadBytesPerRequest,
    frames,
    latencyUs,
    latencyCount,
    acks,
  });
}

function report(r: {
  warm: Window | null;
  measured: Window | null;
  version: number;
  recordsPerBatch: number;
  inFlight: number;
  payloadBytesPerRequest: number;
  frames: Buffer[];
  latencyUs: Float64Array;
  latencyCount: number;
  acks: number;
}): void {
  const { warm, measured } = r;
  if (warm === null || measured === null) throw new Error("run ended before the warm-up did");
  const s = (measured.t - warm.t) / 1000;
  const records = measured.acked - warm.acked;
  const requests = measured.requests - warm.requests;
  const out = {
    tool: "raw-produce",
    produceVersion: r.version,
    acks: r.acks,
    recordsPerRequest: r.recordsPerBatch,
    inFlight: r.inFlight,
    requestBytes: (r.frames[0] as Buffer).length,
    seconds: s,
    requests,
    records,
    requestsPerSec: requests / s,
    recordsPerSec: records / s,
    payloadMBps: (requests * r.payloadBytesPerRequest) / s / 1e6,
    wireMBps: (requests * (r.frames[0] as Buffer).length) / s / 1e6,
    ...latencyAndCpu(r.latencyUs, r.latencyCount, warm.cpu, measured.cpu, records),
  };
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

runGenerator("raw-produce", main);
