/**
 * Brook's replication benchmark: three Brook broker processes on this machine and a local etcd
 * member (method: bench/README.md, "Replication benchmark"). From the repository root:
 *
 *   npx tsx bench/replication/run.ts [--parts throughput,failover,latency] [--pairs 5]
 *        [--sizes 100:1000000,1000:200000] [--timeouts 9000:30000,2000:3000] [--reps 5]
 *        [--latency 1000:100,10000:1000] [--latency-seconds 5] [--latency-reps 3]
 *        [--no-trace] [--no-build] [--dist DIR] [--override key=value ...] [--shared /work/shared/bench]
 *
 * 1. throughput: rdkafka_performance -P into one partition, RF 3 acks=all (min.insync.replicas=2)
 *    next to RF 1 acks=1 on the same leader, interleaved; records/s, MB/s, broker CPU per million
 *    records (the three processes, /proc/<pid>/stat), GCs, and from trace hooks loaded into the
 *    brokers (trace-hooks.ts) the follower fetch sizes and round trips and the acks=all waits.
 * 2. failover: SIGKILL of a partition leader until the first acknowledged acks=all write, with
 *    etcd.session.timeout.ms at its default and tuned for a local cluster.
 * 3. latency: end-to-end (produce -> consume) latency at fixed rates, RF 3 acks=all vs RF 1.
 *
 * It builds Brook first (npx tsc) unless --no-build, and rdkafka_performance (from
 * ../shared/bench/mock, as bench/e2e/setup.sh does) if bench/results/vendor has none. Every
 * process it starts is killed at the end, also on an error or Ctrl-C. Output: the tables on stdout
 * and in bench/results/replication-<stamp>/report.md, every sample in results.json there.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { cpus, release, totalmem } from "node:os";
import { join } from "node:path";
import { ROOT } from "../e2e/paths.js";
import { loadAverage } from "../metadata/stats.js";
import { BenchCluster } from "./cluster.js";
import { type FailoverConfig, type FailoverResult, runFailoverSuite } from "./failover-suite.js";
import { type LatencyResult, runLatencySuite } from "./latency-suite.js";
import { ensurePerf } from "./perf-client.js";
import { failoverTable, latencyTable, replicationTable, throughputTable } from "./report.js";
import { runThroughputSuite, type ThroughputResult } from "./throughput-suite.js";
import { TraceWindow } from "./trace.js";

function option(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? (process.argv[at + 1] ?? fallback) : fallback;
}
const flag = (name: string) => process.argv.includes(`--${name}`);
const pairsOf = (text: string) =>
  text
    .split(",")
    .filter(Boolean)
    .map((p) => p.split(":").map(Number) as [number, number]);

function stamp(): string {
  return new Date()
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d+Z$/, "Z");
}

function sh(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { cwd: ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();
  } catch {
    return "?";
  }
}

async function main(): Promise<void> {
  const parts = new Set(option("parts", "throughput,failover,latency").split(","));
  const trace = !flag("no-trace");
  const outDir = join(ROOT, "bench", "results", `replication-${stamp()}`);
  const workDir = join(outDir, "work");
  const traceDir = join(outDir, "trace");
  mkdirSync(traceDir, { recursive: true });
  const dist = option("dist", join(ROOT, "dist"));
  const main = join(dist, "src", "cli", "main.js");
  const hooks = join(dist, "bench", "replication", "trace-hooks.js");
  // --override key=value (repeatable): server.properties keys for every broker of every part.
  const overrides: Record<string, string> = {};
  process.argv.forEach((arg, i) => {
    const kv = process.argv[i + 1];
    if (arg !== "--override" || kv === undefined || !kv.includes("=")) return;
    overrides[kv.slice(0, kv.indexOf("="))] = kv.slice(kv.indexOf("=") + 1);
  });
  const loads: string[] = [];
  const sampleLoad = () => loads.push(loadAverage().split(" ")[0] ?? "?");
  sampleLoad();
  const loadTimer = setInterval(sampleLoad, 10_000);
  loadTimer.unref();
  const dirty = sh("git", ["status", "--porcelain", "--", "src"]).split("\n").filter(Boolean);
  const info: Record<string, string> = {
    date: new Date().toISOString(),
    command: `npx tsx bench/replication/run.ts ${process.argv.slice(2).join(" ")}`.trim(),
    commit: `${sh("git", ["rev-parse", "--short", "HEAD"])}${dirty.length > 0 ? ` + ${dirty.length} uncommitted file(s) under src/` : ""}`,
    machine: `${cpus().length} x ${cpus()[0]?.model ?? "?"}, ${Math.round(totalmem() / 2 ** 30)} GiB, Linux ${release()}`,
    node: process.version,
    etcd: /etcd Version: (\S+)/.exec(sh("/usr/bin/etcd", ["--version"]))?.[1] ?? "?",
    "load average at start (1/5/15 min)": loadAverage(),
    cluster: `3 Brook processes (node ids 1-3, process.roles=broker,controller) and 1 etcd member (data on disk, ${outDir}), loopback; Brook's data under ${outDir}`,
    broker: `${main}${
      Object.keys(overrides).length > 0
        ? `, overrides ${Object.entries(overrides)
            .map(([k, v]) => `${k}=${v}`)
            .join(" ")}`
        : ""
    }`,
    "trace hooks": trace ? "loaded in every broker (trace-hooks.ts) with --trace-gc" : "off (--no-trace)",
  };

  if (!flag("no-build")) {
    console.log("# building (npx tsc -p tsconfig.json)");
    const build = spawnSync("npx", ["tsc", "-p", "tsconfig.json"], { cwd: ROOT, encoding: "utf8" });
    if (build.status !== 0) throw new Error(`tsc failed:\n${build.stdout.slice(0, 4000)}`);
  }
  const { perf, perfLat } = ensurePerf(option("shared", "/work/shared/bench"));
  info.client =
    sh(perf, ["-h"]).match(/librdkafka version [^\s]+/)?.[0] ?? "rdkafka_performance (librdkafka 2.0.2)";

  const log = (line: string) => console.log(line);
  const part = async <T>(name: string, run: () => Promise<T>): Promise<T> => {
    const from = new Date().toISOString().slice(11, 19);
    const loadFrom = loadAverage().split(" ")[0];
    const result = await run();
    info[`part ${name}`] =
      `${from}-${new Date().toISOString().slice(11, 19)} UTC, 1-min load ${loadFrom} -> ${loadAverage().split(" ")[0]}`;
    return result;
  };
  let throughput: ThroughputResult[] = [];
  let failover: FailoverResult[] = [];
  let latency: LatencyResult[] = [];
  const started = Date.now();
  const loadNow = () => loadAverage();
  try {
    if (parts.has("throughput") || parts.has("latency")) {
      const cluster = await BenchCluster.start({
        dir: join(workDir, "cluster"),
        sessionTimeoutMs: 9000,
        main,
        overrides,
        nodeFlags: () => (trace ? ["--import", hooks, "--trace-gc"] : []),
        env: (id) => ({ BROOK_TRACE_DIR: traceDir, BROOK_TRACE_NODE: String(id) }),
      });
      for (const id of cluster.alive()) cluster.node(id).captureStdout = trace;
      const window = new TraceWindow(cluster, traceDir, trace);
      try {
        if (parts.has("throughput")) {
          const sizes = pairsOf(option("sizes", "100:1000000,1000:200000")).map(([valueBytes, records]) => ({
            valueBytes,
            records,
          }));
          throughput = await part("throughput", () =>
            runThroughputSuite({
              cluster,
              perf,
              sizes,
              pairs: Number(option("pairs", "5")),
              trace: window,
              log,
              loadAverage: loadNow,
            }),
          );
        }
        if (parts.has("latency")) {
          latency = await part("latency", () =>
            runLatencySuite({
              cluster,
              perf,
              perfLat,
              workDir,
              loads: pairsOf(option("latency", "1000:100,10000:1000")),
              seconds: Number(option("latency-seconds", "5")),
              reps: Number(option("latency-reps", "3")),
              trace: window,
              log,
              loadAverage: loadNow,
            }),
          );
        }
      } finally {
        await cluster.dispose();
      }
    }
    if (parts.has("failover")) {
      const configs: FailoverConfig[] = pairsOf(option("timeouts", "9000:30000,2000:3000")).map(
        ([s, lag]) => ({
          name: s === 9000 && lag === 30000 ? "defaults" : "tuned",
          sessionTimeoutMs: s,
          replicaLagTimeMaxMs: lag,
        }),
      );
      failover = await part("failover", () =>
        runFailoverSuite({
          dir: workDir,
          main,
          configs,
          reps: Number(option("reps", "5")),
          log,
          loadAverage: loadNow,
        }),
      );
    }
  } finally {
    clearInterval(loadTimer);
    rmSync(workDir, { recursive: true, force: true });
    rmSync(traceDir, { recursive: true, force: true });
  }
  sampleLoad();
  info["load average at end (1/5/15 min)"] = loadAverage();
  info["1-min load average, every 10 s"] = loads.join(" ");
  info.duration = `${Math.round((Date.now() - started) / 1000)} s`;

  const out: string[] = [`# Brook replication benchmark, ${info.date}`, ""];
  out.push(...Object.entries(info).map(([k, v]) => `- ${k}: ${v}`), "");
  if (throughput.length > 0) {
    out.push(
      "## 1. Produce throughput, RF 3 acks=all vs RF 1 acks=1",
      "",
      `\`rdkafka_performance -P -t T -p 0 -s SIZE -c N -a 1|-1 -X linger.ms=5 -q\` (librdkafka 2.0.2 defaults otherwise), one partition led by node ${throughput[0]?.leader}; RF 3 on all three nodes with min.insync.replicas=2. Interleaved RF1, RF3, ..., RF1, a new topic per run; ratio of pair i = RF3_i / mean(RF1_i, RF1_i+1). records/s from the wall time of the client process. Broker CPU: utime+stime of the three broker processes over the run.`,
      "",
      throughputTable(throughput),
      "",
      "Where the RF 3 runs' time goes (trace hooks in the brokers; medians over the runs and both followers):",
      "",
      replicationTable(throughput),
      "",
    );
  }
  if (failover.length > 0) {
    out.push(
      "## 2. Partition leader failover",
      "",
      "SIGKILL of the leader (not the active controller) of a one-partition topic, RF 3, min.insync.replicas=2. Times from the kill, median / max of the kills. Probe: a one-record acks=all Produce to each survivor every ~10 ms. librdkafka producer: confluent-kafka-python (librdkafka 2.0.2), one record every 10 ms since before the kill, acks=all, defaults otherwise.",
      "",
      failoverTable(failover),
      "",
      "Every kill (lease expired / new leader in Metadata / probe / librdkafka, ms):",
      "",
      ...failover.map(
        (f) =>
          `- ${f.name} (${f.sessionTimeoutMs}/${f.replicaLagTimeMaxMs}): ${f.reps.map((r) => `${Math.round(r.leaseGoneMs)}/${Math.round(r.newLeaderInMetadataMs)}/${Math.round(r.probeFirstAckMs)}/${Math.round(r.clientFirstAckMs)}`).join(", ")}`,
      ),
      "",
    );
  }
  if (latency.length > 0) {
    out.push(
      "## 3. End-to-end latency at a fixed rate",
      "",
      "rdkafka_performance latency mode: producer `rdkafka_performance_lat -P -l -r RATE -s SIZE -a 1|-1 -X linger.ms=0`, consumer `rdkafka_performance -C -l -o end` (fetch.wait.max.ms 500) started 1.5 s before; the same leader, a new topic per run, RF1 and RF3 interleaved. Percentiles of all samples of the runs (ms).",
      "",
      latencyTable(latency),
      "",
      ...latency.flatMap((l) =>
        l.runs
          .filter((r) => r.failure !== null)
          .map(
            (r) =>
              `- ${l.rate}/s × ${l.valueBytes} B, RF ${r.rf}: ${r.failure} (${r.e2eMs.length} records received)`,
          ),
      ),
      "",
    );
  }
  const report = out.join("\n");
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, "report.md"), report);
  writeFileSync(
    join(outDir, "results.json"),
    JSON.stringify({ info, throughput, failover, latency }, null, 1),
  );
  console.log(`\n${report}\n# written: ${join(outDir, "report.md")}, results.json`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
    process.exit(1);
  },
);
