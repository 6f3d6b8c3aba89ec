/**
 * Throughput of the generated codecs on the hot paths, against a plain Buffer.copy of the same
 * bytes measured in the same run:
 *   - Produce request decode and encode, carrying 1 MiB of record batches (64 x 16 KiB, 4 partitions)
 *   - Fetch response encode, the same 1 MiB passed as Buffer slices (as read from segments)
 *   - CRC32C validation of the 64 batches (batchCrcIsValid)
 *   - Buffer.copy of 1 MiB (the reference)
 * Cases are timed in interleaved trials (A B C ... A B C ...) and reported as medians with min-max;
 * the ratio to Buffer.copy is taken per trial, then its median.
 *   npx tsx bench/codec.ts [--trials 9] [--ms 200]
 */
import {
  BATCH_OFFSET_ATTRIBUTES,
  BATCH_OFFSET_LENGTH,
  BATCH_OFFSET_MAGIC,
  BATCH_OFFSET_RECORDS_COUNT,
  batchCrcIsValid,
  batchUpdateCrc,
  decodeProduceRequest,
  decodeRequestFrameHeader,
  encodeFetchResponse,
  encodeProduceRequest,
  encodeRequestFrameHeader,
  type FetchResponseInput,
  type ProduceRequestInput,
  Reader,
  Writer,
} from "../src/protocol/index.js";

const BATCH_BYTES = 16 * 1024;
const BATCH_COUNT = 64;
const PARTITION_COUNT = 4;
const TOTAL_BYTES = BATCH_BYTES * BATCH_COUNT;

function option(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? Number(process.argv[at + 1]) : fallback;
}

/** One segment-like buffer of 64 valid v2 batch headers with random payloads and correct CRCs. */
function makeBatches(): Buffer {
  const segment = Buffer.allocUnsafe(TOTAL_BYTES);
  for (let i = 0; i < segment.length; i++) segment[i] = (i * 2654435761) >>> 24;
  for (let b = 0; b < BATCH_COUNT; b++) {
    const at = b * BATCH_BYTES;
    segment.writeBigInt64BE(BigInt(b), at);
    segment.writeInt32BE(BATCH_BYTES - 12, at + BATCH_OFFSET_LENGTH);
    segment.writeInt8(2, at + BATCH_OFFSET_MAGIC);
    segment.writeInt16BE(0, at + BATCH_OFFSET_ATTRIBUTES);
    segment.writeInt32BE(1, at + BATCH_OFFSET_RECORDS_COUNT);
    batchUpdateCrc(segment, at);
  }
  return segment;
}

const segment = makeBatches();
const batchesPerPartition = BATCH_COUNT / PARTITION_COUNT;
const partitionSlices = (p: number): Buffer[] =>
  Array.from({ length: batchesPerPartition }, (_, i) =>
    segment.subarray(
      (p * batchesPerPartition + i) * BATCH_BYTES,
      (p * batchesPerPartition + i + 1) * BATCH_BYTES,
    ),
  );

function produceFrame(version: number): Buffer {
  const request: ProduceRequestInput = {
    transactionalId: null,
    acks: -1,
    timeoutMs: 30000,
    topicData: [
      {
        name: "bench-topic",
        partitionData: Array.from({ length: PARTITION_COUNT }, (_, p) => ({
          index: p,
          records: Buffer.concat(partitionSlices(p)),
        })),
      },
    ],
  };
  const w = new Writer(1024);
  encodeRequestFrameHeader(w, {
    requestApiKey: 0,
    requestApiVersion: version,
    correlationId: 1,
    clientId: "bench",
  });
  encodeProduceRequest(w, request, version);
  return w.toBuffer();
}

const fetchResponse: FetchResponseInput = {
  throttleTimeMs: 0,
  errorCode: 0,
  sessionId: 0,
  responses: [
    {
      topic: "bench-topic",
      partitions: Array.from({ length: PARTITION_COUNT }, (_, p) => ({
        partitionIndex: p,
        errorCode: 0,
        highWatermark: 1000n,
        lastStableOffset: 1000n,
        logStartOffset: 0n,
        abortedTransactions: null,
        preferredReadReplica: -1,
        records: partitionSlices(p),
      })),
    },
  ],
};

interface Case {
  name: string;
  run: () => unknown;
}

let sink: unknown;
const cases: Case[] = [];
for (const version of [7, 11]) {
  const frame = produceFrame(version);
  const r0 = new Reader(frame);
  decodeRequestFrameHeader(r0);
  const decoded = decodeProduceRequest(r0, version);
  cases.push({
    name: `Produce v${version} request decode`,
    run: () => {
      const r = new Reader(frame);
      decodeRequestFrameHeader(r);
      return decodeProduceRequest(r, version);
    },
  });
  cases.push({
    name: `Produce v${version} request encode (chunks)`,
    run: () => {
      const w = new Writer(256);
      encodeProduceRequest(w, decoded, version);
      return w.toChunks();
    },
  });
}
for (const version of [11, 12]) {
  cases.push({
    name: `Fetch v${version} response encode (slices)`,
    run: () => {
      const w = new Writer(256);
      encodeFetchResponse(w, fetchResponse, version);
      return w.toChunks();
    },
  });
}
cases.push({
  name: "CRC32C validation (64 batches)",
  run: () => {
    let valid = 0;
    for (let at = 0; at < TOTAL_BYTES; at += BATCH_BYTES) if (batchCrcIsValid(segment, at)) valid++;
    if (valid !== BATCH_COUNT) throw new Error("bad CRC");
    return valid;
  },
});
const copyTarget = Buffer.allocUnsafe(TOTAL_BYTES);
const REFERENCE = "Buffer.copy 1 MiB (reference)";
cases.push({ name: REFERENCE, run: () => segment.copy(copyTarget) });

/** Calls per second of `fn` over at least `ms` milliseconds. */
function callsPerSecond(fn: () => unknown, ms: number): number {
  let calls = 0;
  let batch = 1;
  const start = process.hrtime.bigint();
  for (;;) {
    for (let i = 0; i < batch; i++) sink = fn();
    calls += batch;
    const elapsedMs = Number(process.hrtime.bigint() - start) / 1e6;
    if (elapsedMs >= ms) return calls / (elapsedMs / 1000);
    if (elapsedMs < ms / 10) batch *= 2;
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

function main(): void {
  const trials = option("trials", 9);
  const ms = option("ms", 200);
  for (const c of cases) callsPerSecond(c.run, 100);
  const mbps = new Map<string, number[]>(cases.map((c) => [c.name, []]));
  for (let t = 0; t < trials; t++) {
    for (const c of cases) mbps.get(c.name)?.push((callsPerSecond(c.run, ms) * TOTAL_BYTES) / 1e6);
  }
  const reference = mbps.get(REFERENCE) ?? [];
  const fmt = (x: number) => (x >= 100 ? x.toFixed(0) : x.toFixed(2));
  console.log(`# codec throughput over 1 MiB of record batches; ${trials} interleaved trials of ${ms} ms`);
  console.log(
    "# MB/s = 1e6 bytes of record data per second; median (min-max); ratio to Buffer.copy per trial",
  );
  for (const c of cases) {
    const xs = mbps.get(c.name) ?? [];
    const ratios = xs.map((x, i) => x / (reference[i] ?? Number.NaN));
    console.log(
      `${c.name.padEnd(40)} ${fmt(median(xs)).padStart(9)} MB/s (${fmt(Math.min(...xs))}-${fmt(Math.max(...xs))})` +
        ` ${fmt(TOTAL_BYTES / median(xs)).padStart(7)} µs/op` +
        `  x${fmt(median(ratios))} of copy (${fmt(Math.min(...ratios))}-${fmt(Math.max(...ratios))})`,
    );
  }
  if (sink === Symbol.for("never")) console.log(sink);
}

main();
