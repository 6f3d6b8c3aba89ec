/**
 * Brook's end-to-end benchmark (method: ../shared/bench/README.md). Run bench/e2e/setup.sh once,
 * then, from the repository root:
 *
 *   node dist/bench/e2e/run.js [--runs 5] [--groups produce,fsync,consume,raw] [--rows P100]
 *        [--profile] [--raw-seconds 1.5] [--disk-mib 512] [--no-build] [--dist DIR]
 *
 * It builds the broker (npx tsc), snapshots dist/ into the run directory (so a rebuild by someone
 * else during the run changes nothing), starts librdkafka's mock cluster, and runs each workload
 * row interleaved with the mock (M_0 B_0 ... M_n) and between measurements of the machine limits
 * (Node disk append and TCP loopback, the shared scripts). Output: bench/results/e2e-<stamp>/
 * report.md (the README's tables, commands, machine, commit, flush policy), results.json, and the
 * broker logs. --profile adds CPU profiles of the broker (node --cpu-prof) under produce, consume
 * and raw one-record produce, summarised as hot spots.
 */

import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { checkSetup, flag, machine, snapshotDist, stamp } from "./harness.js";
import { describePageCacheWrites, measurePageCacheWrites } from "./page-cache-writes.js";
import { option, RESULTS, VENDOR } from "./paths.js";
import { runCommand, startMock } from "./processes.js";
import { profileBroker } from "./profile-suite.js";
import { rawRows } from "./raw-suite.js";
import { type Limits, limitsTable, mainTable, ownClockTable, type RowResult, rawTable } from "./report.js";
import { consumeRows, fillMockConsumeTopic, produceRow, type SuiteContext } from "./suite.js";
import { consumeWorkloads, fsyncWorkloads, type Paths, produceWorkloads } from "./workloads.js";

async function measureLimitsIn(outDir: string, diskMib: number, label: string): Promise<Limits> {
  const last = (out: string) =>
    JSON.parse(out.trim().split("\n").pop() ?? "{}") as Record<string, { median: number }>;
  const disk = await runCommand(
    process.execPath,
    [`${VENDOR}/disk/node-disk.js`, outDir, "1", String(diskMib)],
    {
      timeoutMs: 300_000,
    },
  );
  const net = await runCommand(
    process.execPath,
    [`${VENDOR}/net/run-node-net.js`, "--runs", "1", "--only", "tcp", "--bytes", String(2 ** 31)],
    { timeoutMs: 300_000 },
  );
  const d = last(disk.stdout);
  const n = last(net.stdout);
  return {
    at: label,
    diskEndSyncMBps: d.endsync?.median ?? Number.NaN,
    diskNoSyncMBps: d.nosync?.median ?? Number.NaN,
    diskSync1mMBps: d.sync1m?.median ?? Number.NaN,
    readCachedMBps: d.readCached?.median ?? Number.NaN,
    netMBps: n.tcp_stream_MBps?.median ?? Number.NaN,
  };
}

/** --render DIR[,DIR...]: the report again from saved results.json files (rows of later runs marked). */
function renderSaved(dirs: string[]): void {
  const rows: RowResult[] = [];
  const raw: RowResult[] = [];
  const limits: Limits[] = [];
  let info: Record<string, string> = {};
  dirs.forEach((dir, i) => {
    const saved = JSON.parse(readFileSync(`${dir}/results.json`, "utf8")) as {
      info: Record<string, string>;
      rows: RowResult[];
      raw: RowResult[];
      limits: Limits[];
    };
    const mark = (r: RowResult) => (i === 0 ? r : { ...r, id: `${r.id} (rerun ${i})` });
    if (i === 0) info = saved.info;
    else
      info[`rerun ${i}`] =
        `${saved.info.date}, load average ${saved.info.loadAverageAtStart} -> ${saved.info.loadAverageAtEnd}`;
    rows.push(...saved.rows.map(mark));
    raw.push(...saved.raw.map(mark));
    limits.push(...saved.limits.map((l) => (i === 0 ? l : { ...l, at: `rerun ${i}: ${l.at}` })));
  });
  const profiles = existsSync(`${dirs[0]}/profiles.md`) ? readFileSync(`${dirs[0]}/profiles.md`, "utf8") : "";
  const report = renderReport(info, rows, raw, limits, profiles, Number(option("runs", "5")));
  writeFileSync(`${dirs[0]}/report.md`, report);
  console.log(report);
}

async function main(): Promise<void> {
  const render = option("render", "");
  if (render !== "") return renderSaved(render.split(","));
  const paths: Paths = {
    kcat: "kcat",
    perf: `${VENDOR}/mock/build/rdkafka_performance`,
    payloadDir: `${RESULTS}/payload`,
  };
  checkSetup(paths);
  const groups = new Set(
    option("groups", flag("profile") ? "" : "produce,fsync,consume,raw")
      .split(",")
      .filter(Boolean),
  );
  const rowFilter = option("rows", "");
  const outDir = `${RESULTS}/e2e-${stamp()}`;
  mkdirSync(outDir, { recursive: true });
  const info = machine();
  // What a produced byte's write into the page cache costs here (page-cache-writes.ts).
  info.pageCacheWrites = describePageCacheWrites(measurePageCacheWrites(RESULTS));
  console.log(`# page cache writes: ${info.pageCacheWrites}`);
  const distDir = snapshotDist(outDir);
  const mock = await startMock(
    `${VENDOR}/mock/build/mockcluster`,
    ["p1:1:1", "cons32:32:1", "cons256:256:1", "rawp:1:1", "rawf:1:1"],
    `${outDir}/mock.log`,
  );
  const limits: Limits[] = [];
  const diskMib = Number(option("disk-mib", "512"));
  const ctx: SuiteContext = {
    paths,
    distDir,
    outDir,
    runs: Number(option("runs", "5")),
    mock,
    log: (line) => console.log(line),
    measureLimits: async (label) => {
      const l = await measureLimitsIn(outDir, diskMib, label);
      limits.push(l);
      console.log(
        `  limits ${label}: disk ${Math.round(l.diskEndSyncMBps)} MB/s, net ${Math.round(l.netMBps)} MB/s`,
      );
      return l;
    },
    lastLimits: null,
  };
  const rows: RowResult[] = [];
  const raw: RowResult[] = [];
  let profiles = "";
  try {
    console.log(`# e2e benchmark -> ${outDir}\n# mock ${mock.bootstrap} (pid ${mock.pid}); runs ${ctx.runs}`);
    const selected = (id: string) => rowFilter === "" || id.includes(rowFilter);
    if (groups.has("produce") || groups.has("fsync") || groups.has("consume"))
      ctx.lastLimits = await ctx.measureLimits("start");
    const produce = [
      ...(groups.has("produce") ? produceWorkloads() : []),
      ...(groups.has("fsync") ? fsyncWorkloads() : []),
    ];
    for (const w of produce.filter((x) => selected(x.id))) {
      console.log(`# ${w.id}`);
      rows.push(await produceRow(ctx, w));
    }
    if (groups.has("consume")) {
      for (const size of [100, 1000]) {
        const ws = consumeWorkloads(size).filter((x) => selected(x.id));
        if (ws.length === 0) continue;
        console.log(`# C${size === 100 ? "100" : "1K"}: filling the mock and Brook`);
        await fillMockConsumeTopic(ctx, size);
        rows.push(...(await consumeRows(ctx, ws)));
      }
    }
    if (groups.has("raw")) {
      console.log("# raw-protocol sweep");
      raw.push(
        ...(await rawRows(ctx, {
          seconds: Number(option("raw-seconds", "1.5")),
          warmupSeconds: Number(option("raw-warmup", "0.5")),
        })),
      );
    }
    if (flag("profile")) profiles = await profileBroker(ctx);
  } finally {
    await mock.stop();
  }
  info.loadAverageAtEnd = loadavg()
    .map((x) => x.toFixed(2))
    .join(" ");
  const report = renderReport(info, rows, raw, limits, profiles, ctx.runs);
  writeFileSync(`${outDir}/report.md`, report);
  writeFileSync(`${outDir}/results.json`, JSON.stringify({ info, rows, raw, limits }, null, 2));
  if (profiles !== "") writeFileSync(`${outDir}/profiles.md`, profiles);
  console.log(`\n${report}\n# written: ${outDir}/report.md, results.json`);
}

function renderReport(
  info: Record<string, string>,
  rows: RowResult[],
  raw: RowResult[],
  limits: Limits[],
  profiles: string,
  runs: number,
): string {
  const out = [
    `# Brook end-to-end benchmark, ${info.date}`,
    "",
    Object.entries(info)
      .map(([k, v]) => `- ${k}: ${v}`)
      .join("\n"),
    "- broker: `node dist/src/cli/main.js server start --override log.dirs=... --override listeners=PLAINTEXT://127.0.0.1:0,... --override num.partitions=1 --override console.enable=false --override schema.registry.enable=false --override rest.proxy.enable=false`; one fresh process and data dir per produce run (warmed up with 100,000 records to another topic), one per record size for the consume rows",
    "- flush policy: Brook's default (log.flush.interval.messages and log.flush.interval.ms unset: no fsync per request, as Kafka); the `fsync` rows add `log.flush.interval.messages=1` (fsync after every append, before the ack)",
    `- method: ${runs} pairs per row, interleaved M_0 B_0 … M_${runs} with librdkafka's mock cluster (same client command); limits measured before and after each row; 1,000,000 records per run; wall time of the whole client process`,
    "",
  ];
  if (rows.length > 0) {
    out.push(
      "## Workloads\n",
      mainTable(rows),
      "",
      "### rdkafka_performance's own clock\n",
      ownClockTable(rows),
      "",
    );
    out.push(
      "### Commands\n",
      ...rows.map((r) => `- ${r.id}: \`${r.command.brook}\`; mock: \`${r.command.mock}\``),
      "",
    );
  }
  if (raw.length > 0)
    out.push(
      "## Raw-protocol generators (the broker alone)\n",
      rawTable(raw),
      "",
      ...raw.map((r) => `- ${r.id}: \`${r.command.brook}\``),
      "",
    );
  if (limits.length > 0) out.push("## Limits measured in this run\n", limitsTable(limits), "");
  if (profiles !== "") out.push("## Broker CPU profiles\n", profiles, "");
  return out.join("\n");
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
    process.exit(1);
  },
);
