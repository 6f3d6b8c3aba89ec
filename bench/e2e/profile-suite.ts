/**
 * CPU profiles of the broker (`node --cpu-prof`) under four loads, each summarised as hot spots by
 * profile-summary.js: produce (kcat and rdkafka_performance, P100 acks=1), produce of 1 KB records
 * (kcat, P1K acks=1), consume (both tools, C100,
 * page cache hot; the profiled broker is a restart on the filled data dir) and raw one-record
 * produce (per-request overhead). Profiles go to <run dir>/profile-<name>/.
 */
import { readdirSync, rmSync } from "node:fs";
import { runCommand, startBrook } from "./processes.js";
import type { SuiteContext } from "./suite.js";
import {
  consumeCommand,
  consumeWorkloads,
  type Paths,
  payloadFile,
  produceCommand,
  produceWorkloads,
  RECORDS,
} from "./workloads.js";

const TIMEOUT_MS = 300_000;

async function summarize(ctx: SuiteContext, dir: string): Promise<string> {
  const file = readdirSync(dir).find((f) => f.endsWith(".cpuprofile"));
  if (file === undefined) return `(no profile written in ${dir})`;
  const run = await runCommand(
    process.execPath,
    [`${ctx.distDir}/bench/e2e/profile-summary.js`, `${dir}/${file}`, "--top", "25"],
    {
      timeoutMs: TIMEOUT_MS,
    },
  );
  return run.stdout;
}

async function profiled(
  ctx: SuiteContext,
  name: string,
  dataDir: string,
  load: (bootstrap: string) => Promise<void>,
): Promise<string> {
  const dir = `${ctx.outDir}/profile-${name}`;
  const broker = await startBrook({
    distDir: ctx.distDir,
    dataDir,
    logFile: `${ctx.outDir}/brook-profile-${name}.log`,
    nodeFlags: ["--cpu-prof", `--cpu-prof-dir=${dir}`],
  });
  try {
    await load(broker.bootstrap);
  } finally {
    await broker.stop();
  }
  return `### ${name}\n\n\`\`\`\n${await summarize(ctx, dir)}\`\`\`\n`;
}

async function run(command: [string, string[]], discardStdout = false): Promise<void> {
  const r = await runCommand(command[0], command[1], { timeoutMs: TIMEOUT_MS, discardStdout });
  if (r.exitCode !== 0) throw new Error(`${command[0]} failed: ${r.stderr.slice(-300)}`);
}

function fillCommand(paths: Paths, bootstrap: string): [string, string[]] {
  return [
    paths.kcat,
    ["-P", "-b", bootstrap, "-t", "t1", "-p", "0", "-X", "acks=1", "-l", payloadFile(paths, RECORDS, 100)],
  ];
}

export async function profileBroker(ctx: SuiteContext): Promise<string> {
  const out: string[] = [];
  const [kcatP, perfP] = produceWorkloads().filter((w) => w.id.startsWith("P100-a1"));
  const dataDir = `${ctx.outDir}/brook-data-profile`;
  out.push(
    await profiled(ctx, "produce", `${dataDir}-produce`, async (bs) => {
      if (kcatP === undefined || perfP === undefined) return;
      await run(produceCommand(ctx.paths, kcatP, bs, "warmup", 100_000));
      await run(produceCommand(ctx.paths, kcatP, bs, "t1"));
      await run(produceCommand(ctx.paths, perfP, bs, "t2"));
    }),
  );
  rmSync(`${dataDir}-produce`, { recursive: true, force: true });
  const kcatP1k = produceWorkloads().find((w) => w.id === "P1K-a1 kcat");
  out.push(
    await profiled(ctx, "produce-1k", `${dataDir}-produce-1k`, async (bs) => {
      if (kcatP1k === undefined) return;
      await run(produceCommand(ctx.paths, kcatP1k, bs, "warmup", 100_000));
      await run(produceCommand(ctx.paths, kcatP1k, bs, "t1"));
    }),
  );
  rmSync(`${dataDir}-produce-1k`, { recursive: true, force: true });
  // Fill without profiling, then profile a restart on the same data directory.
  const fill = await startBrook({
    distDir: ctx.distDir,
    dataDir: `${dataDir}-consume`,
    logFile: `${ctx.outDir}/brook-profile-fill.log`,
  });
  try {
    await run(fillCommand(ctx.paths, fill.bootstrap));
  } finally {
    await fill.stop();
  }
  out.push(
    await profiled(ctx, "consume", `${dataDir}-consume`, async (bs) => {
      for (const w of consumeWorkloads(100)) {
        await run(consumeCommand(ctx.paths, w, bs, "t1", 1), true);
        await run(consumeCommand(ctx.paths, w, bs, "t1", 1), true);
      }
    }),
  );
  rmSync(`${dataDir}-consume`, { recursive: true, force: true });
  out.push(
    await profiled(ctx, "raw-produce-N1-K1", `${dataDir}-raw`, async (bs) => {
      const script = `${ctx.distDir}/bench/e2e/raw-produce.js`;
      await run([
        process.execPath,
        [script, "--bootstrap", bs, "--topic", "raw", "--records", "1", "--in-flight", "1", "--seconds", "3"],
      ]);
    }),
  );
  rmSync(`${dataDir}-raw`, { recursive: true, force: true });
  return out.join("\n");
}
