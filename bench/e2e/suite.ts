/**
 * The rows of the end-to-end benchmark. Each row interleaves the mock and Brook with the same
 * client command: M_0 B_0 M_1 B_1 ... B_n-1 M_n, so every Brook run has a mock run on either side.
 *
 * Produce: every Brook run is a fresh broker process with a fresh data directory, warmed up with
 * 100,000 records of the same command to another topic, then timed; its CPU is the utime+stime
 * delta of the broker process over the timed command. The mock is one long-lived process.
 * Consume: one Brook broker per record size, filled once (kcat, acks=1) and warmed up by one
 * untimed read per tool; every run then reads all records from offset 0 with the page cache hot.
 */
import { rmSync } from "node:fs";
import { type BrokerProcess, cpuTimes, runCommand, startBrook } from "./processes.js";
import type { Limits, RowResult, Sample } from "./report.js";
import {
  clientFailure,
  consumeCommand,
  mockConsumeTopic,
  type Paths,
  payloadFile,
  perfOwnRate,
  produceCommand,
  RECORDS,
  WARMUP_RECORDS,
  type Workload,
} from "./workloads.js";

export interface SuiteContext {
  paths: Paths;
  distDir: string;
  outDir: string;
  runs: number;
  mock: BrokerProcess;
  log: (line: string) => void;
  measureLimits: (label: string) => Promise<Limits>;
  /** Last limits measured: the "before" of the next row. */
  lastLimits: Limits | null;
}

const CLIENT_TIMEOUT_MS = 300_000;
let brookSerial = 0;

/** Times one client command against a broker; CPU is the broker's utime+stime delta. */
async function timed(w: Workload, broker: BrokerProcess, command: [string, string[]]): Promise<Sample> {
  const cpu0 = cpuTimes(broker.pid);
  // kcat -C prints every record: to /dev/null. rdkafka_performance prints only its summary (-q).
  const discardStdout = w.kind === "consume" && w.tool === "kcat";
  const run = await runCommand(command[0], command[1], { timeoutMs: CLIENT_TIMEOUT_MS, discardStdout });
  const cpu1 = cpuTimes(broker.pid);
  const sample: Sample = {
    records: w.records,
    wallSeconds: run.wallSeconds,
    recordsPerSec: w.records / run.wallSeconds,
    payloadMBps: (w.records * w.valueBytes) / run.wallSeconds / 1e6,
    brokerCpuSeconds: cpu1.user + cpu1.system - cpu0.user - cpu0.system,
    brokerSystemCpuSeconds: cpu1.system - cpu0.system,
    failure: clientFailure(w, run.exitCode, run.stdout, run.stderr),
  };
  if (w.tool === "perf") sample.ownRecordsPerSec = perfOwnRate(`${run.stdout}\n${run.stderr}`);
  return sample;
}

export async function startFreshBrook(
  ctx: SuiteContext,
  overrides: readonly string[] = [],
  nodeFlags: readonly string[] = [],
) {
  const n = brookSerial++;
  const dataDir = `${ctx.outDir}/brook-data-${n}`;
  const broker = await startBrook({
    distDir: ctx.distDir,
    dataDir,
    logFile: `${ctx.outDir}/brook-${n}.log`,
    overrides,
    nodeFlags,
  });
  return {
    broker,
    dataDir,
    stop: async () => {
      await broker.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** The last offset of t1-0 as kcat sees it: records - 1 when every record arrived. */
async function lastOffset(paths: Paths, bootstrap: string, topic: string): Promise<number> {
  const run = await runCommand(
    paths.kcat,
    ["-C", "-b", bootstrap, "-t", topic, "-p", "0", "-o", "-1", "-e", "-c", "1", "-f", "%o\\n", "-q"],
    { timeoutMs: 60_000 },
  );
  return Number(run.stdout.trim());
}

async function brookProduceRun(ctx: SuiteContext, w: Workload): Promise<Sample> {
  const { broker, stop } = await startFreshBrook(ctx, w.brookOverrides ?? []);
  try {
    const warm = await runCommand(
      ...produceCommand(ctx.paths, w, broker.bootstrap, "warmup", WARMUP_RECORDS),
      {
        timeoutMs: CLIENT_TIMEOUT_MS,
      },
    );
    if (warm.exitCode !== 0) throw new Error(`warm-up failed: ${warm.stderr.slice(-300)}`);
    const sample = await timed(w, broker, produceCommand(ctx.paths, w, broker.bootstrap, "t1"));
    const last = await lastOffset(ctx.paths, broker.bootstrap, "t1");
    if (sample.failure === null && last !== w.records - 1) sample.failure = `t1 ends at offset ${last}`;
    return sample;
  } finally {
    await stop();
  }
}

export async function produceRow(ctx: SuiteContext, w: Workload): Promise<RowResult> {
  const mockCommand = produceCommand(ctx.paths, w, ctx.mock.bootstrap, "p1");
  const row: RowResult = {
    id: w.id,
    limitKind: w.brookOverrides?.some((o) => o.startsWith("log.flush.interval.messages="))
      ? "diskSync1mMBps"
      : "diskEndSyncMBps",
    limitsBefore: ctx.lastLimits,
    limitsAfter: null,
    brook: [],
    mock: [],
    command: {
      brook: [produceCommand(ctx.paths, w, "$BS", "t1")].map(([c, a]) => `${c} ${a.join(" ")}`).join(""),
      mock: `${mockCommand[0]} ${mockCommand[1].join(" ")}`.replace(ctx.mock.bootstrap, "$MOCK"),
    },
  };
  for (let i = 0; i <= ctx.runs; i++) {
    row.mock.push(await timed(w, ctx.mock, mockCommand));
    if (i === ctx.runs) break;
    row.brook.push(await brookProduceRun(ctx, w));
    ctx.log(`  ${w.id} pair ${i}: brook ${fmt(row.brook[i])} | mock ${fmt(row.mock[i])}`);
  }
  ctx.lastLimits = await ctx.measureLimits(`after ${w.id}`);
  row.limitsAfter = ctx.lastLimits;
  return row;
}

function fmt(s: Sample | undefined): string {
  if (s === undefined) return "-";
  const cpu = ((s.brokerCpuSeconds / s.records) * 1e6).toFixed(2);
  return `${Math.round(s.recordsPerSec).toLocaleString("en-US")} rec/s, cpu ${cpu} s/M${s.failure ? ` FAILED ${s.failure}` : ""}`;
}

/** Fills the mock's wide consume topic for one record size (sticky partitioning off, as run-mock.sh). */
export async function fillMockConsumeTopic(ctx: SuiteContext, valueBytes: number): Promise<void> {
  const { topic } = mockConsumeTopic(valueBytes);
  const file = payloadFile(ctx.paths, RECORDS, valueBytes);
  const args = [
    "-P",
    "-b",
    ctx.mock.bootstrap,
    "-t",
    topic,
    "-X",
    "sticky.partitioning.linger.ms=0",
    "-l",
    file,
  ];
  const fill = await runCommand(ctx.paths.kcat, args, { timeoutMs: CLIENT_TIMEOUT_MS });
  if (fill.exitCode !== 0) throw new Error(`filling the mock's ${topic} failed: ${fill.stderr.slice(-300)}`);
  const count = await runCommand(
    "sh",
    [
      "-c",
      `'${ctx.paths.kcat}' -C -b '${ctx.mock.bootstrap}' -t ${topic} -o beginning -e -q -f '%o\\n' | wc -l`,
    ],
    { timeoutMs: CLIENT_TIMEOUT_MS },
  );
  if (Number(count.stdout.trim()) !== RECORDS)
    throw new Error(`the mock's ${topic} holds ${count.stdout.trim()} records, expected ${RECORDS}`);
}

/** Both consume rows (kcat, perf) of one record size, against one filled Brook broker. */
export async function consumeRows(ctx: SuiteContext, workloads: readonly Workload[]): Promise<RowResult[]> {
  const valueBytes = workloads[0]?.valueBytes ?? 100;
  const { broker, stop } = await startFreshBrook(ctx);
  const rows: RowResult[] = [];
  try {
    const fillArgs = ["-P", "-b", broker.bootstrap, "-t", "t1", "-p", "0", "-X", "acks=1", "-l"];
    const fill = await runCommand(
      ctx.paths.kcat,
      [...fillArgs, payloadFile(ctx.paths, RECORDS, valueBytes)],
      {
        timeoutMs: CLIENT_TIMEOUT_MS,
      },
    );
    const last = await lastOffset(ctx.paths, broker.bootstrap, "t1");
    if (fill.exitCode !== 0 || last !== RECORDS - 1)
      throw new Error(`filling Brook's t1 failed (last offset ${last})`);
    for (const w of workloads)
      await timed(w, broker, consumeCommand(ctx.paths, w, broker.bootstrap, "t1", 1));
    for (const w of workloads) rows.push(await consumeRow(ctx, w, broker));
  } finally {
    await stop();
  }
  return rows;
}

async function consumeRow(ctx: SuiteContext, w: Workload, broker: BrokerProcess): Promise<RowResult> {
  const wide = mockConsumeTopic(w.valueBytes);
  const mockCommand = consumeCommand(ctx.paths, w, ctx.mock.bootstrap, wide.topic, wide.partitions);
  const brookCommand = consumeCommand(ctx.paths, w, broker.bootstrap, "t1", 1);
  const row: RowResult = {
    id: w.id,
    limitKind: "netMBps",
    limitsBefore: ctx.lastLimits,
    limitsAfter: null,
    brook: [],
    mock: [],
    command: {
      brook: `${brookCommand[0]} ${brookCommand[1].join(" ").replace(broker.bootstrap, "$BS")} > /dev/null`,
      mock: `${mockCommand[0]} ${mockCommand[1].join(" ")} > /dev/null`
        .replace(ctx.mock.bootstrap, "$MOCK")
        .replace(/(-p \d+ ){3,}/, "-p 0 ... -p N-1 "),
    },
  };
  for (let i = 0; i <= ctx.runs; i++) {
    row.mock.push(await timed(w, ctx.mock, mockCommand));
    if (i === ctx.runs) break;
    row.brook.push(await timed(w, broker, brookCommand));
    ctx.log(`  ${w.id} pair ${i}: brook ${fmt(row.brook[i])} | mock ${fmt(row.mock[i])}`);
  }
  ctx.lastLimits = await ctx.measureLimits(`after ${w.id}`);
  row.limitsAfter = ctx.lastLimits;
  return row;
}
