/**
 * What validating a produced batch costs, before and after the record walk, in the same run:
 *  - before: the header checks every append pays (framing, magic, CRC32C, offsets, timestamps
 *    from the header): `validateLeaderAppend` with origin "coordinator", which is exactly the
 *    client path of before the walk (it did no more for a producer on a delete topic);
 *  - after: `validateLeaderAppend` with origin "client": the same plus the batch decompressed (if
 *    it is) and its records walked (Kafka's LogValidator);
 *  - the walk's parts alone: decompression, and `walkRecords` over the records;
 *  - for comparison, a full decode with `iterateRecords` (a Record object per record), which is
 *    what a compacted topic's produce paid before.
 * Batches of 100 B and 1 KB records (JSON-ish values, keys, a header), uncompressed, lz4 and zstd,
 * cycled through a pool of distinct batches (8 MiB of uncompressed records by default, in cache as
 * a just-read produce request is). CPU time per trial (process.cpuUsage), cases interleaved;
 * medians with min-max over the trials. Figures are per record and per MB of uncompressed records.
 * usage: npx tsx bench/validation.ts [trials=7] [batchKiB=16] [poolMiB=8]
 */
import {
  BATCH_HEADER_BYTES,
  batchCompression,
  CompressionType,
  crc32c,
  decompress,
  encodeRecordBatch,
  iterateRecords,
  type RecordInput,
  walkRecords,
} from "../src/protocol/index.js";
import { validateLeaderAppend } from "../src/storage/append-validation.js";
import { DEFAULT_LOG_CONFIG } from "../src/storage/index.js";

const trials = Number(process.argv[2] ?? 7);
const batchBytes = Number(process.argv[3] ?? 16) * 1024;
const poolBytes = Number(process.argv[4] ?? 8) * 1024 * 1024;
const TRIAL_CPU_MS = 300;
const NOW_MS = 1_700_000_000_000;
const TP = "bench-0";

function records(recordBytes: number, seed: number): RecordInput[] {
  const out: RecordInput[] = [];
  // Key (~8 B), header (~12 B) and framing (~8 B) take the rest of recordBytes.
  const valueBytes = recordBytes - 28;
  for (let i = 0, total = 0; total < batchBytes; i++) {
    const json = JSON.stringify({
      id: seed * 100_000 + i,
      symbol: `SYM${(seed + i) % 97}`,
      px: 100 + (i % 1000) / 100,
    });
    const value = Buffer.from(json.padEnd(valueBytes, " ").slice(0, valueBytes));
    out.push({
      key: Buffer.from(`key-${i % 1000}`),
      value,
      headers: [{ key: "trace", value: Buffer.from(`t-${i}`) }],
      timestamp: BigInt(NOW_MS + i),
    });
    total += recordBytes;
  }
  return out;
}

interface Case {
  name: string;
  pool: Buffer[];
  recordCount: number;
  /** Bytes of the records uncompressed, per batch. */
  plainBytes: number;
}

function makeCase(label: string, recordBytes: number, compression: number): Case {
  const pool: Buffer[] = [];
  let plainBytes = 0;
  let recordCount = 0;
  for (let seed = 0; pool.length === 0 || pool.length * batchBytes < poolBytes; seed++) {
    const input = records(recordBytes, seed);
    pool.push(encodeRecordBatch({ records: input, compression }));
    if (seed === 0) {
      recordCount = input.length;
      plainBytes = encodeRecordBatch({ records: input }).length - BATCH_HEADER_BYTES;
    }
  }
  return { name: `${label} ${recordBytes} B`, pool, recordCount, plainBytes };
}

type Step = (batch: Buffer) => void;

const before: Step = (b) => {
  validateLeaderAppend(b, DEFAULT_LOG_CONFIG, NOW_MS, "coordinator", TP);
};
const after: Step = (b) => {
  validateLeaderAppend(b, DEFAULT_LOG_CONFIG, NOW_MS, "client", TP);
};
const payloadOf = (b: Buffer): Buffer => {
  const area = b.subarray(BATCH_HEADER_BYTES);
  const codec = batchCompression(b);
  return codec === CompressionType.none ? area : decompress(codec, area);
};
const decompressOnly: Step = (b) => {
  payloadOf(b);
};
const RULES = {
  keyRequired: false,
  checkTimestamps: true,
  timestampMinMs: 0,
  timestampMaxMs: NOW_MS + 3_600_000,
  violationsMax: 10_000,
};
/** The walk alone over payloads decompressed once, up front. */
const walkOnly =
  (payloads: Map<Buffer, Buffer>): Step =>
  (b) => {
    const p = payloads.get(b) as Buffer;
    walkRecords(p, 0, p.length, b.readInt32BE(57), NOW_MS, RULES);
  };
const fullDecode: Step = (b) => {
  for (const r of iterateRecords(b, 0, { verifyCrc: false })) if (r.offsetDelta < 0) throw new Error("?");
};

/** CPU ns per batch of `step` over the pool, for about TRIAL_CPU_MS. */
function cpuNsPerBatch(pool: Buffer[], step: Step): number {
  const start = process.cpuUsage();
  let batches = 0;
  let spentUs = 0;
  do {
    for (const b of pool) step(b);
    batches += pool.length;
    const used = process.cpuUsage(start);
    spentUs = used.user + used.system;
  } while (spentUs < TRIAL_CPU_MS * 1000);
  return (spentUs * 1000) / batches;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const span = (xs: number[], f: (x: number) => string) =>
  `${f(median(xs))} (${f(Math.min(...xs))}-${f(Math.max(...xs))})`;

const cases = [
  makeCase("none", 100, CompressionType.none),
  makeCase("none", 1000, CompressionType.none),
  makeCase("lz4", 100, CompressionType.lz4),
  makeCase("lz4", 1000, CompressionType.lz4),
  makeCase("zstd", 100, CompressionType.zstd),
  makeCase("zstd", 1000, CompressionType.zstd),
];

// The machine's speed this run, for comparing runs: CRC32C is ~11 GB/s on a quiet core here.
const crcPool = cases[0]?.pool ?? [];
const crcNs = Array.from({ length: 3 }, () => cpuNsPerBatch(crcPool, (b) => crc32c(b)));
console.log(`crc32c: ${(((crcPool[0]?.length ?? 0) / median(crcNs)) * 1000).toFixed(0)} MB/s`);
console.log(
  `batches of ~${batchBytes / 1024} KiB uncompressed, pool ${poolBytes / 1024 / 1024} MiB, ${trials} trials of ${TRIAL_CPU_MS} ms CPU; node ${process.version}`,
);
console.log(
  "| case | records/batch | batch bytes | before: header checks, ns/record | after: + decompress + walk, ns/record | after/before | added ms per million records | added ms per MB | walk alone ns/record | decompress alone ns/record | full decode ns/record |",
);
console.log("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
for (const c of cases) {
  const payloads = new Map(c.pool.map((b) => [b, payloadOf(b)]));
  const walk = walkOnly(payloads);
  const r = {
    before: [] as number[],
    after: [] as number[],
    walk: [] as number[],
    inflate: [] as number[],
    decode: [] as number[],
  };
  for (let t = 0; t < trials; t++) {
    r.before.push(cpuNsPerBatch(c.pool, before) / c.recordCount);
    r.after.push(cpuNsPerBatch(c.pool, after) / c.recordCount);
    r.walk.push(cpuNsPerBatch(c.pool, walk) / c.recordCount);
    if (batchCompression(c.pool[0] as Buffer) !== CompressionType.none)
      r.inflate.push(cpuNsPerBatch(c.pool, decompressOnly) / c.recordCount);
    r.decode.push(cpuNsPerBatch(c.pool, fullDecode) / c.recordCount);
  }
  const ratios = r.after.map((a, i) => a / (r.before[i] as number));
  const added = r.after.map((a, i) => a - (r.before[i] as number));
  const perMb = (nsPerRecord: number) => (nsPerRecord * c.recordCount * (1e6 / c.plainBytes)) / 1e6;
  const ns = (x: number) => x.toFixed(1);
  console.log(
    `| ${c.name} | ${c.recordCount} | ${(c.pool[0] as Buffer).length} | ${span(r.before, ns)} | ${span(r.after, ns)} | ${span(ratios, (x) => x.toFixed(2))} | ${median(added).toFixed(1)} | ${perMb(median(added)).toFixed(2)} | ${span(r.walk, ns)} | ${r.inflate.length > 0 ? span(r.inflate, ns) : "-"} | ${span(r.decode, ns)} |`,
  );
}
