/**
 * The raw-protocol sweep: raw-produce.js for N records per request in {1, 100, 1000} and K requests
 * in flight in {1, 5}, then raw-fetch.js for K in {1, 5}, each against one Brook broker and the mock
 * in the same run, interleaved M_0 B_0 ... M_n. Produce appends to topic rawp (acks=1); fetch reads
 * back rawf, filled first with the 1,000,000 x 100 B records (the mock keeps its last 5 MiB).
 */
import { runCommand } from "./processes.js";
import type { RowResult, Sample } from "./report.js";
import { type SuiteContext, startFreshBrook } from "./suite.js";
import { payloadFile, RECORDS } from "./workloads.js";

export interface RawOptions {
  seconds: number;
  warmupSeconds: number;
}

const RAW_TIMEOUT_MS = 180_000;

async function rawRun(ctx: SuiteContext, script: string, args: string[], pid: number): Promise<Sample> {
  const run = await runCommand(
    process.execPath,
    [`${ctx.distDir}/bench/e2e/${script}`, ...args, "--broker-pid", String(pid)],
    {
      timeoutMs: RAW_TIMEOUT_MS,
    },
  );
  const line = run.stdout.trim().split("\n").pop() ?? "";
  if (run.exitCode !== 0 || !line.startsWith("{"))
    return {
      records: 0,
      wallSeconds: run.wallSeconds,
      recordsPerSec: 0,
      payloadMBps: 0,
      brokerCpuSeconds: 0,
      failure: run.stderr.trim() || `exit ${run.exitCode}`,
    };
  const detail = JSON.parse(line) as Record<string, number>;
  return {
    records: detail.records as number,
    wallSeconds: detail.seconds as number,
    recordsPerSec: detail.recordsPerSec as number,
    payloadMBps: detail.payloadMBps as number,
    brokerCpuSeconds: detail.brokerCpuSeconds as number,
    brokerSystemCpuSeconds: detail.brokerSystemCpuSeconds as number,
    failure: null,
    detail,
  };
}

export async function rawRow(
  ctx: SuiteContext,
  id: string,
  script: string,
  args: (bootstrap: string) => string[],
  brook: { bootstrap: string; pid: number },
): Promise<RowResult> {
  const row: RowResult = {
    id,
    limitKind: null,
    limitsBefore: null,
    limitsAfter: null,
    brook: [],
    mock: [],
    command: {
      brook: `node bench/e2e/${script.replace(".js", ".ts")} ${args("$BS").join(" ")}`,
      mock: "(same, against the mock)",
    },
  };
  for (let i = 0; i <= ctx.runs; i++) {
    row.mock.push(await rawRun(ctx, script, args(ctx.mock.bootstrap), ctx.mock.pid));
    if (i === ctx.runs) break;
    row.brook.push(await rawRun(ctx, script, args(brook.bootstrap), brook.pid));
    const b = row.brook[i] as Sample;
    const m = row.mock[i] as Sample;
    ctx.log(
      `  ${id} pair ${i}: brook ${Math.round(b.recordsPerSec)} rec/s ${b.failure ?? ""} | mock ${Math.round(m.recordsPerSec)} rec/s ${m.failure ?? ""}`,
    );
  }
  return row;
}

export async function rawRows(ctx: SuiteContext, options: RawOptions): Promise<RowResult[]> {
  const rows: RowResult[] = [];
  const { broker, stop } = await startFreshBrook(ctx);
  const timing = ["--seconds", String(options.seconds), "--warmup-seconds", String(options.warmupSeconds)];
  const payload = payloadFile(ctx.paths, RECORDS, 100);
  try {
    for (const n of [1, 100, 1000]) {
      for (const k of [1, 5]) {
        const args = (bs: string) =>
          [
            "--bootstrap",
            bs,
            "--topic",
            "rawp",
            "--records",
            String(n),
            "--in-flight",
            String(k),
            "--acks",
            "1",
          ].concat(["--value-bytes", "100", "--payload", payload, ...timing]);
        rows.push(await rawRow(ctx, `raw produce N=${n} K=${k}`, "raw-produce.js", args, broker));
      }
    }
    for (const bs of [broker.bootstrap, ctx.mock.bootstrap]) {
      const fill = await runCommand(
        ctx.paths.kcat,
        ["-P", "-b", bs, "-t", "rawf", "-p", "0", "-X", "acks=1", "-l", payload],
        {
          timeoutMs: RAW_TIMEOUT_MS,
        },
      );
      if (fill.exitCode !== 0) throw new Error(`filling rawf failed: ${fill.stderr.slice(-300)}`);
    }
    for (const k of [1, 5]) {
      const args = (bs: string) => [
        "--bootstrap",
        bs,
        "--topic",
        "rawf",
        "--in-flight",
        String(k),
        "--value-bytes",
        "100",
        ...timing,
      ];
      rows.push(await rawRow(ctx, `raw fetch K=${k} (1 MiB/partition)`, "raw-fetch.js", args, broker));
    }
  } finally {
    await stop();
  }
  return rows;
}
