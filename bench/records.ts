/**
 * Record batch encode/decode throughput per codec, with a memcpy of the same bytes measured in the
 * same trials as the ceiling (the machine is shared, so ratios to it are what compare across runs).
 * usage: npx tsx bench/records.ts [records per batch=1000] [value bytes=200] [trials=7]
 */
import {
  CompressionType,
  decodeRecordBatch,
  encodeRecordBatch,
  type RecordInput,
} from "../src/protocol/index.js";

const recordsPerBatch = Number(process.argv[2] ?? 1000);
const valueBytes = Number(process.argv[3] ?? 200);
const trials = Number(process.argv[4] ?? 7);
const TRIAL_MS = 400;

function records(): RecordInput[] {
  const out: RecordInput[] = [];
  for (let i = 0; i < recordsPerBatch; i++) {
    const json = JSON.stringify({
      symbol: `SYM${i % 97}`,
      price: 100 + (i % 1000) / 100,
      volume: i * 7,
      venue: "XNAS",
    });
    out.push({
      key: Buffer.from(`key-${i % 1000}`),
      value: Buffer.from(json.padEnd(valueBytes, " ")),
      headers: [{ key: "trace", value: Buffer.from(`t-${i}`) }],
      timestamp: 1_700_000_000_000n + BigInt(i),
    });
  }
  return out;
}

/** Runs `fn` repeatedly for about TRIAL_MS and returns calls per second. */
function rate(fn: () => void): number {
  const start = process.hrtime.bigint();
  let calls = 0;
  let elapsedNs = 0n;
  do {
    fn();
    calls++;
    elapsedNs = process.hrtime.bigint() - start;
  } while (elapsedNs < BigInt(TRIAL_MS) * 1_000_000n);
  return calls / (Number(elapsedNs) / 1e9);
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

const input = records();
const plainBytes = encodeRecordBatch({ records: input }).length;
const source = Buffer.alloc(plainBytes, 1);
const target = Buffer.alloc(plainBytes);
const codecs = [
  ["none", CompressionType.none],
  ["gzip", CompressionType.gzip],
  ["snappy", CompressionType.snappy],
  ["lz4", CompressionType.lz4],
  ["zstd", CompressionType.zstd],
] as const;

console.log(
  `${recordsPerBatch} records x ${valueBytes} B values; batch ${plainBytes} B uncompressed; MB/s of uncompressed batch bytes`,
);
console.log("codec    size     encode MB/s (x memcpy)   decode MB/s (x memcpy)   decode krecords/s");
for (const [name, compression] of codecs) {
  const batch = encodeRecordBatch({ records: input, compression });
  const encode: number[] = [];
  const decode: number[] = [];
  const copy: number[] = [];
  for (let t = 0; t < trials; t++) {
    copy.push(rate(() => source.copy(target)));
    encode.push(rate(() => encodeRecordBatch({ records: input, compression })));
    decode.push(rate(() => decodeRecordBatch(batch)));
  }
  const mb = (perSecond: number) => (perSecond * plainBytes) / 1e6;
  const copyMb = mb(median(copy));
  console.log(
    `${name.padEnd(8)} ${String(batch.length).padEnd(8)} ${mb(median(encode)).toFixed(0).padStart(6)} (${(mb(median(encode)) / copyMb).toFixed(4)})` +
      `          ${mb(median(decode)).toFixed(0).padStart(6)} (${(mb(median(decode)) / copyMb).toFixed(4)})` +
      `          ${((median(decode) * recordsPerBatch) / 1000).toFixed(0).padStart(6)}`,
  );
}
