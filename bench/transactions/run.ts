/**
 * Transactions benchmark (issue 11): records/s of a transactional producer at 100 and at 10,000
 * records per transaction against the idempotent producer in the same run, and the cost of
 * read_committed fetches against read_uncommitted over the same topic.
 *
 *   node dist/bench/transactions/run.js [--pairs 3] [--records 1000000] [--no-build]
 *
 * One Brook process for the whole run; the client is librdkafka through Debian's
 * python3-confluent-kafka (txn-producer.py). Each round ("pair") runs idempotent, txn-100 and
 * txn-10000 on fresh topics back to back, so a change of machine load hits all three alike, then
 * reads the txn-100 topic (a commit marker every 100 records) read_committed and read_uncommitted,
 * in alternating order. Broker CPU per run comes from /proc/<pid>/stat. Output: the tables on
 * stdout and in bench/results/transactions-<stamp>/report.md, every sample in results.json.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { flag, machine, stamp } from "../e2e/harness.js";
import { option, ROOT } from "../e2e/paths.js";
import { cpuTimes, runCommand, startBrook } from "../e2e/processes.js";

const PYTHON = "/usr/bin/python3";
const CLIENT = join(ROOT, "bench", "transactions", "txn-producer.py");
const PRODUCERS = [
  { id: "idempotent", perTxn: 0 },
  { id: "txn-100", perTxn: 100 },
  { id: "txn-10000", perTxn: 10_000 },
] as const;
const ISOLATIONS = ["read_committed", "read_uncommitted"] as const;

interface Sample {
  row: string;
  pair: number;
  topic: string;
  records: number;
  seconds: number;
  recordsPerSec: number;
  /** Broker utime+stime over the client's whole run, per million records. */
  brokerCpuSecPerMillion: number;
  /** Produce only: the partition's end offset after the run. */
  highWatermark?: number;
}

async function client(pid: number, args: string[], row: string, pair: number): Promise<Sample> {
  const before = cpuTimes(pid);
  const run = await runCommand(PYTHON, [CLIENT, ...args], { timeoutMs: 600_000 });
  const after = cpuTimes(pid);
  if (run.exitCode !== 0) throw new Error(`${row} failed: ${run.stderr.slice(-500)}`);
  const out = JSON.parse(run.stdout.trim().split("\n").pop() as string);
  const cpu = after.user + after.system - before.user - before.system;
  return {
    row,
    pair,
    topic: args[2] as string,
    records: out.records,
    seconds: out.seconds,
    recordsPerSec: out.recordsPerSec,
    brokerCpuSecPerMillion: (cpu / out.records) * 1e6,
    ...(out.highWatermark === undefined ? {} : { highWatermark: out.highWatermark }),
  };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};
const spread = (xs: number[], digits: number) =>
  `${median(xs).toFixed(digits)} (${Math.min(...xs).toFixed(digits)}-${Math.max(...xs).toFixed(digits)})`;

function table(samples: Sample[], rows: readonly string[], base: string): string {
  const lines = [
    `| row | records/s, median (min-max) | broker CPU s per 1M records | records/s ÷ ${base}, per pair | broker CPU ÷ ${base} |`,
    "| --- | --- | --- | --- | --- |",
  ];
  for (const row of rows) {
    const mine = samples.filter((s) => s.row === row);
    const ratios = (f: (s: Sample) => number) =>
      mine.map((s) => {
        const b = samples.find((x) => x.row === base && x.pair === s.pair) as Sample;
        return f(s) / f(b);
      });
    const rate = spread(
      mine.map((s) => s.recordsPerSec),
      0,
    );
    const cpu = spread(
      mine.map((s) => s.brokerCpuSecPerMillion),
      2,
    );
    const same = row === base;
    lines.push(
      `| ${row} | ${rate} | ${cpu} | ${
        same
          ? "1"
          : spread(
              ratios((s) => s.recordsPerSec),
              2,
            )
      } | ${
        same
          ? "1"
          : spread(
              ratios((s) => s.brokerCpuSecPerMillion),
              2,
            )
      } |`,
    );
  }
  return lines.join("\n");
}

async function main(): Promise<void> {
  const pairs = Number(option("pairs", "3"));
  // 1M records: the idempotent run is then still under 2 s, and /proc counts CPU in 10 ms ticks.
  const records = Number(option("records", "1000000"));
  const outDir = join(ROOT, "bench", "results", `transactions-${stamp()}`);
  mkdirSync(outDir, { recursive: true });
  if (!flag("no-build")) {
    const build = spawnSync("npx", ["tsc", "-p", "tsconfig.json"], { cwd: ROOT, encoding: "utf8" });
    if (build.status !== 0)
      console.error(`# tsc reported errors (continuing):\n${build.stdout.slice(0, 2000)}`);
  }
  const env = machine();
  const dataDir = join(outDir, "brook-data");
  const broker = await startBrook({
    distDir: join(ROOT, "dist"),
    dataDir,
    logFile: join(outDir, "brook.log"),
    // One broker: the internal topics cannot have the default replication factor 3.
    overrides: [
      "transaction.state.log.replication.factor=1",
      "transaction.state.log.min.isr=1",
      "offsets.topic.replication.factor=1",
    ],
  });
  const produced: Sample[] = [];
  const consumed: Sample[] = [];
  try {
    // A warm-up of each producer kind (JIT, the coordinator's partitions), not recorded.
    for (const p of PRODUCERS)
      await client(
        broker.pid,
        ["produce", broker.bootstrap, `warm-${p.id}`, "20000", String(p.perTxn)],
        p.id,
        -1,
      );
    for (let pair = 0; pair < pairs; pair++) {
      for (const p of PRODUCERS) {
        const topic = `${p.id}-${pair}`;
        const s = await client(
          broker.pid,
          ["produce", broker.bootstrap, topic, String(records), String(p.perTxn)],
          p.id,
          pair,
        );
        // Every record arrived: the warm-up record, the timed ones, a commit marker per transaction.
        const markers = p.perTxn === 0 ? 0 : 1 + Math.ceil(records / p.perTxn);
        if (s.highWatermark !== records + 1 + markers)
          throw new Error(`${topic} ends at ${s.highWatermark}, expected ${records + 1 + markers}`);
        produced.push(s);
        console.log(
          `${topic}: ${s.recordsPerSec.toFixed(0)} records/s, broker ${s.brokerCpuSecPerMillion.toFixed(2)} CPU s/1M`,
        );
      }
      // Alternate which isolation level reads first: the second read may find the log cached.
      const order = pair % 2 === 0 ? ISOLATIONS : [...ISOLATIONS].reverse();
      for (const isolation of order) {
        const s = await client(
          broker.pid,
          ["consume", broker.bootstrap, `txn-100-${pair}`, isolation],
          isolation,
          pair,
        );
        if (s.records !== records + 1)
          throw new Error(`${isolation} read ${s.records} of ${records + 1} records`);
        consumed.push(s);
        console.log(
          `${isolation}: ${s.recordsPerSec.toFixed(0)} records/s, broker ${s.brokerCpuSecPerMillion.toFixed(2)} CPU s/1M`,
        );
      }
    }
  } finally {
    await broker.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
  const report = [
    `# Transactions benchmark, ${env.date}`,
    "",
    `Commit ${env.commit}, ${env.cpu}, ${env.memory}, node ${env.node}, load average at start ${env.loadAverageAtStart}, at end ${loadavg()
      .map((x) => x.toFixed(2))
      .join(" ")}.`,
    `${pairs} pairs, ${records} records of 100 bytes per run to one partition, librdkafka via python3-confluent-kafka, linger.ms 5.`,
    "",
    "## Produce",
    "",
    table(produced, ["idempotent", "txn-100", "txn-10000"], "idempotent"),
    "",
    "## Consume (the txn-100 topic, read from offset 0 to its end)",
    "",
    table(consumed, ISOLATIONS, "read_uncommitted"),
    "",
  ].join("\n");
  console.log(`\n${report}`);
  writeFileSync(join(outDir, "report.md"), report);
  writeFileSync(
    join(outDir, "results.json"),
    `${JSON.stringify({ machine: env, pairs, records, produced, consumed }, null, 2)}\n`,
  );
  console.log(`wrote ${outDir}/report.md`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
