/**
 * Before/after comparison of two compiled brokers in the same run: A (e.g. the dist/ snapshot of
 * an earlier commit) and B (by default a snapshot of the current dist/), on the same client
 * commands, interleaved pair by pair (A B, then B A, alternating, so that drift hits both alike).
 *
 *   node dist/bench/e2e/ab.js --a DIR [--b DIR] [--runs 6] [--rows "P1K-a1 kcat,P100-a1 kcat"]
 *        [--raw "1x1,1x5,100x1,1000x1"] [--raw-seconds 1.5] [--raw-warmup 0.5] [--no-build]
 *
 * Produce rows (ids as in run.ts): every run is a fresh broker process and data dir, warmed up with
 * 100,000 records to another topic, then timed (wall time of the client, broker utime+stime).
 * Raw rows ("NxK": N records per request, K in flight, 100 B values, acks=1): one A and one B
 * broker, the generator alternates between them. Reported per row: each side's median (min-max)
 * and the per-pair ratios B/A. Output: bench/results/ab-<stamp>/report.md and results.json.
 */
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { resolve } from "node:path";
import { option, RESULTS, ROOT, VENDOR } from "./paths.js";
import { type BrokerProcess, cpuTimes, runCommand, startBrook } from "./processes.js";
import { type Summary, summarize } from "./report.js";
import {
  type Paths,
  payloadFile,
  produceCommand,
  produceWorkloads,
  RECORDS,
  WARMUP_RECORDS,
} from "./workloads.js";

const CLIENT_TIMEOUT_MS = 300_000;

interface AbSample {
  wallSeconds: number;
  /** Records (produce rows) or requests (raw rows) per second. */
  rate: number;
  /** Broker CPU per million records (produce) or per request in µs (raw). */
  cpu: number;
  systemShare: number;
  failure: string | null;
}

interface AbRow {
  id: string;
  unit: { rate: string; cpu: string };
  a: AbSample[];
  b: AbSample[];
}

let serial = 0;

async function freshBroker(
  outDir: string,
  dist: string,
): Promise<{ broker: BrokerProcess; stop: () => Promise<void> }> {
  const n = serial++;
  const dataDir = `${outDir}/data-${n}`;
  const broker = await startBrook({ distDir: dist, dataDir, logFile: `${outDir}/broker-${n}.log` });
  return {
    broker,
    stop: async () => {
      await broker.stop();
      spawnSync("rm", ["-rf", dataDir]);
    },
  };
}

async function produceRun(outDir: string, dist: string, paths: Paths, id: string): Promise<AbSample> {
  const w = produceWorkloads().find((x) => x.id === id);
  if (w === undefined) throw new Error(`no produce row ${id}`);
  const { broker, stop } = await freshBroker(outDir, dist);
  try {
    const warm = await runCommand(...produceCommand(paths, w, broker.bootstrap, "warmup", WARMUP_RECORDS), {
      timeoutMs: CLIENT_TIMEOUT_MS,
    });
    if (warm.exitCode !== 0) throw new Error(`warm-up failed: ${warm.stderr.slice(-300)}`);
    const cpu0 = cpuTimes(broker.pid);
    const run = await runCommand(...produceCommand(paths, w, broker.bootstrap, "t1"), {
      timeoutMs: CLIENT_TIMEOUT_MS,
    });
    const cpu1 = cpuTimes(broker.pid);
    const cpu = cpu1.user + cpu1.system - cpu0.user - cpu0.system;
    return {
      wallSeconds: run.wallSeconds,
      rate: w.records / run.wallSeconds,
      cpu: (cpu / w.records) * 1e6,
      systemShare: (cpu1.system - cpu0.system) / cpu,
      failure: run.exitCode === 0 ? null : `exit ${run.exitCode}: ${run.stderr.slice(-200)}`,
    };
  } finally {
    await stop();
  }
}

async function rawRun(
  genDist: string,
  broker: BrokerProcess,
  n: number,
  k: number,
  paths: Paths,
): Promise<AbSample> {
  const args = [
    `${genDist}/bench/e2e/raw-produce.js`,
    ...["--bootstrap", broker.bootstrap, "--topic", "rawp", "--records", String(n), "--in-flight", String(k)],
    ...["--acks", "1", "--value-bytes", "100", "--payload", payloadFile(paths, RECORDS, 100)],
    ...["--seconds", option("raw-seconds", "1.5"), "--warmup-seconds", option("raw-warmup", "0.5")],
    ...["--broker-pid", String(broker.pid)],
  ];
  const run = await runCommand(process.execPath, args, { timeoutMs: CLIENT_TIMEOUT_MS });
  const line = run.stdout.trim().split("\n").pop() ?? "";
  if (run.exitCode !== 0 || !line.startsWith("{"))
    return {
      wallSeconds: 0,
      rate: 0,
      cpu: 0,
      systemShare: 0,
      failure: run.stderr.trim() || `exit ${run.exitCode}`,
    };
  const d = JSON.parse(line) as Record<string, number>;
  const requests = (d.records as number) / n;
  return {
    wallSeconds: d.seconds as number,
    rate: requests / (d.seconds as number),
    cpu: ((d.brokerCpuSeconds as number) / requests) * 1e6,
    systemShare: (d.brokerSystemCpuSeconds as number) / (d.brokerCpuSeconds as number),
    failure: null,
  };
}

/** Pairs alternate their order (A B, B A, ...) so that neither side always runs second. */
async function interleave(
  runs: number,
  one: (side: "a" | "b") => Promise<AbSample>,
  row: AbRow,
): Promise<void> {
  for (let i = 0; i < runs; i++) {
    const order: ("a" | "b")[] = i % 2 === 0 ? ["a", "b"] : ["b", "a"];
    for (const side of order) row[side].push(await one(side));
    const a = row.a[i] as AbSample;
    const b = row.b[i] as AbSample;
    console.log(
      `  ${row.id} pair ${i}: A ${fmt(a.rate)} ${row.unit.rate}, cpu ${a.cpu.toFixed(2)} ${row.unit.cpu}${a.failure ? ` FAILED ${a.failure}` : ""}` +
        ` | B ${fmt(b.rate)} ${row.unit.rate}, cpu ${b.cpu.toFixed(2)} ${row.unit.cpu}${b.failure ? ` FAILED ${b.failure}` : ""}`,
    );
  }
}

const fmt = (x: number) => Math.round(x).toLocaleString("en-US");
const range = (s: Summary, digits = 2) =>
  `${s.median.toFixed(digits)} (${s.min.toFixed(digits)}-${s.max.toFixed(digits)})`;
const rangeInt = (s: Summary) => `${fmt(s.median)} (${fmt(s.min)}-${fmt(s.max)})`;

function table(rows: readonly AbRow[]): string {
  const out = [
    "| row | A rate | B rate | B/A rate | A broker CPU | B broker CPU | B/A CPU | sys share A / B | failures |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
  ];
  for (const r of rows) {
    const ok = (s: AbSample) => s.failure === null;
    const pairs = r.a.map((a, i) => [a, r.b[i] as AbSample] as const).filter(([a, b]) => ok(a) && ok(b));
    const rateRatio = summarize(pairs.map(([a, b]) => b.rate / a.rate));
    const cpuRatio = summarize(pairs.map(([a, b]) => b.cpu / a.cpu));
    const failures = r.a.filter((s) => !ok(s)).length + r.b.filter((s) => !ok(s)).length;
    out.push(
      `| ${r.id} | ${rangeInt(summarize(r.a.filter(ok).map((s) => s.rate)))} ${r.unit.rate} | ${rangeInt(summarize(r.b.filter(ok).map((s) => s.rate)))} | ${range(rateRatio)} | ${range(summarize(r.a.filter(ok).map((s) => s.cpu)))} ${r.unit.cpu} | ${range(summarize(r.b.filter(ok).map((s) => s.cpu)))} | ${range(cpuRatio)} | ${Math.round(summarize(r.a.map((s) => s.systemShare)).median * 100)} % / ${Math.round(summarize(r.b.map((s) => s.systemShare)).median * 100)} % | ${failures} |`,
    );
  }
  return out.join("\n");
}

function snapshot(outDir: string, given: string): string {
  if (given !== "") return resolve(given);
  if (!process.argv.includes("--no-build"))
    spawnSync("npx", ["tsc", "-p", "tsconfig.json"], { cwd: ROOT, encoding: "utf8" });
  const dist = `${outDir}/dist-b`;
  cpSync(`${ROOT}/dist/src`, `${dist}/src`, { recursive: true });
  cpSync(`${ROOT}/dist/bench/e2e`, `${dist}/bench/e2e`, { recursive: true });
  return dist;
}

async function main(): Promise<void> {
  const distA = resolve(option("a", ""));
  if (!existsSync(`${distA}/src/cli/main.js`))
    throw new Error("--a DIR: a compiled broker (DIR/src/cli/main.js)");
  const stamp = new Date()
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d+Z$/, "Z");
  const outDir = `${RESULTS}/ab-${stamp}`;
  mkdirSync(outDir, { recursive: true });
  const distB = snapshot(outDir, option("b", ""));
  const paths: Paths = {
    kcat: "kcat",
    perf: `${VENDOR}/mock/build/rdkafka_performance`,
    payloadDir: `${RESULTS}/payload`,
  };
  const runs = Number(option("runs", "6"));
  const dists = { a: distA, b: distB };
  const rows: AbRow[] = [];
  const loadStart = loadavg()
    .map((x) => x.toFixed(2))
    .join(" ");
  console.log(`# A/B -> ${outDir}\n# A ${distA}\n# B ${distB}`);
  for (const id of option("rows", "").split(",").filter(Boolean)) {
    const row: AbRow = { id, unit: { rate: "rec/s", cpu: "s/M rec" }, a: [], b: [] };
    await interleave(runs, (side) => produceRun(outDir, dists[side], paths, id), row);
    rows.push(row);
  }
  const raws = option("raw", "").split(",").filter(Boolean);
  if (raws.length > 0) {
    const brokers = { a: await freshBroker(outDir, distA), b: await freshBroker(outDir, distB) };
    try {
      for (const spec of raws) {
        const [n, k] = spec.split("x").map(Number) as [number, number];
        const row: AbRow = {
          id: `raw produce N=${n} K=${k}`,
          unit: { rate: "req/s", cpu: "µs/req" },
          a: [],
          b: [],
        };
        await interleave(runs, (side) => rawRun(distB, brokers[side].broker, n, k, paths), row);
        rows.push(row);
      }
    } finally {
      await brokers.a.stop();
      await brokers.b.stop();
    }
  }
  const loadEnd = loadavg()
    .map((x) => x.toFixed(2))
    .join(" ");
  const report = [
    `# A/B ${new Date().toISOString()}`,
    "",
    `- A: ${distA}`,
    `- B: ${distB}`,
    `- ${runs} pairs per row, order alternating (A B, B A, ...); load average ${loadStart} -> ${loadEnd}`,
    `- command: node ${process.argv.slice(1).join(" ")}`,
    "",
    table(rows),
    "",
  ].join("\n");
  writeFileSync(`${outDir}/report.md`, report);
  writeFileSync(`${outDir}/results.json`, JSON.stringify({ distA, distB, rows }, null, 2));
  console.log(`\n${report}`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
    process.exit(1);
  },
);
