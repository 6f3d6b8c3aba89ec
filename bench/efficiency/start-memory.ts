/**
 * Start time and memory of the broker as `npm start` runs it: the single-module bundle
 * (dist/src/cli/brook.js), one node with the Schema Registry, the console and the REST Proxy on. Start time is from
 * spawn to the `brook ready` line; memory is VmRSS from /proc, read after the broker has been idle.
 */

import type { ChildProcess } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { runCommand, startUntilReady, stopChild } from "../e2e/processes.js";
import { sleep } from "../metadata/stats.js";

export interface StartedBrook {
  readyMs: number;
  pid: number;
  bootstrap: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

export interface StartMemoryResult {
  /**
   * Spawn to exit of `node -e 0` in the same environment, ms, one per run: what the machine and
   * the environment cost before any of Brook runs (NODE_EXTRA_CA_CERTS, for one, makes every Node
   * process parse those certificates at start: ~70 ms here).
   */
  nodeStartMs: number[];
  /** Spawn to ready with an empty data directory, ms, one per run. */
  emptyStartMs: number[];
  /** VmRSS after the broker has been idle for idleSeconds, MB, one per run. */
  idleRssMb: number[];
  /** Spawn to ready with 1,000 partitions after a clean shutdown, ms. */
  manyPartitionsStartMs: number[];
  partitions: number;
  /** VmRSS idle before, and idle again after producing and consuming `afterLoadBytes`. */
  loadRssMb: { before: number; after: number; bytes: number } | null;
  idleSeconds: number;
  /** How long the broker idles after the load before the second reading. */
  afterLoadIdleSeconds: number;
  failures: string[];
}

export function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = /VmRSS:\s+(\d+) kB/.exec(status);
  return kb === null ? Number.NaN : Number(kb[1]) / 1024;
}

/** Spawns the bundled broker with the registry and console on free ports; resolves when ready. */
export async function startBundled(distDir: string, dataDir: string, logFile: string): Promise<StartedBrook> {
  const overrides = [
    `log.dirs=${dataDir}`,
    "listeners=PLAINTEXT://127.0.0.1:0,CONTROLLER://127.0.0.1:0",
    "advertised.listeners=PLAINTEXT://127.0.0.1:0",
    "controller.quorum.voters=1@127.0.0.1:0",
    "schema.registry.enable=true",
    "schema.registry.listeners=http://127.0.0.1:0",
    "console.enable=true",
    "console.listeners=http://127.0.0.1:0",
    "rest.proxy.enable=true",
    "rest.proxy.listeners=http://127.0.0.1:0",
  ];
  const t0 = performance.now();
  const { child, match } = await startUntilReady(
    process.execPath,
    [`${distDir}/src/cli/brook.js`, "server", "start", ...overrides.flatMap((o) => ["--override", o])],
    logFile,
    /brook ready kafka=(\S+)/,
  );
  return {
    readyMs: performance.now() - t0,
    pid: child.pid as number,
    bootstrap: match[1] as string,
    child,
    stop: () => stopChild(child),
  };
}

export interface StartMemoryOptions {
  distDir: string;
  outDir: string;
  runs: number;
  idleSeconds: number;
  /** Idle time after the load: the writer thread and the frame pool let go after 10 s idle. */
  afterLoadIdleSeconds: number;
  partitions: number;
  /** rdkafka_performance, for the produce + consume run between the two RSS readings. */
  perf: string;
  loadRecords: number;
  loadValueBytes: number;
  log: (line: string) => void;
}

export async function runStartMemory(options: StartMemoryOptions): Promise<StartMemoryResult> {
  const { distDir, outDir } = options;
  const result: StartMemoryResult = {
    nodeStartMs: [],
    emptyStartMs: [],
    idleRssMb: [],
    manyPartitionsStartMs: [],
    partitions: options.partitions,
    loadRssMb: null,
    idleSeconds: options.idleSeconds,
    afterLoadIdleSeconds: options.afterLoadIdleSeconds,
    failures: [],
  };
  for (let i = 0; i < options.runs; i++) {
    const t0 = performance.now();
    await runCommand(process.execPath, ["-e", "0"], { timeoutMs: 30_000 });
    result.nodeStartMs.push(performance.now() - t0);
  }
  for (let i = 0; i < options.runs; i++) {
    const dataDir = `${outDir}/start-empty-${i}`;
    const b = await startBundled(distDir, dataDir, `${outDir}/start-empty-${i}.log`);
    await sleep(options.idleSeconds * 1000);
    result.emptyStartMs.push(b.readyMs);
    result.idleRssMb.push(rssMb(b.pid));
    await b.stop();
    rmSync(dataDir, { recursive: true, force: true });
    options.log(
      `  start (empty) ${i}: ready ${b.readyMs.toFixed(0)} ms, idle RSS ${result.idleRssMb[i]?.toFixed(1)} MB`,
    );
  }

  const manyDir = `${outDir}/start-many`;
  const first = await startBundled(distDir, manyDir, `${outDir}/start-many.log`);
  const create = await runCommand(
    process.execPath,
    [`${distDir}/src/cli/brook.js`, "topics", "--bootstrap-server", first.bootstrap, "--create"].concat([
      "--topic",
      "many",
      "--partitions",
      String(options.partitions),
    ]),
    { timeoutMs: 120_000 },
  );
  if (create.exitCode !== 0)
    result.failures.push(`creating ${options.partitions} partitions: ${create.stderr}`);
  await first.stop();
  for (let i = 0; i < options.runs; i++) {
    const b = await startBundled(distDir, manyDir, `${outDir}/start-many.log`);
    result.manyPartitionsStartMs.push(b.readyMs);
    await b.stop();
    options.log(
      `  start (${options.partitions} partitions, clean shutdown) ${i}: ready ${b.readyMs.toFixed(0)} ms`,
    );
  }
  rmSync(manyDir, { recursive: true, force: true });

  const loadDir = `${outDir}/start-load`;
  const b = await startBundled(distDir, loadDir, `${outDir}/start-load.log`);
  try {
    await sleep(options.idleSeconds * 1000);
    const before = rssMb(b.pid);
    const n = String(options.loadRecords);
    const size = String(options.loadValueBytes);
    const produce = await runCommand(
      options.perf,
      [
        "-P",
        "-t",
        "load",
        "-p",
        "0",
        "-b",
        b.bootstrap,
        "-s",
        size,
        "-c",
        n,
        "-a",
        "1",
        "-X",
        "linger.ms=5",
        "-q",
      ],
      { timeoutMs: 600_000 },
    );
    const consume = await runCommand(
      options.perf,
      ["-C", "-t", "load", "-p", "0", "-b", b.bootstrap, "-o", "beginning", "-c", n, "-q"],
      { timeoutMs: 600_000 },
    );
    if (produce.exitCode !== 0 || consume.exitCode !== 0)
      result.failures.push(`load run: produce exit ${produce.exitCode}, consume exit ${consume.exitCode}`);
    const peak = rssMb(b.pid);
    await sleep(options.afterLoadIdleSeconds * 1000);
    const after = rssMb(b.pid);
    result.loadRssMb = { before, after, bytes: options.loadRecords * options.loadValueBytes };
    options.log(
      `  RSS idle ${before.toFixed(1)} MB -> ${peak.toFixed(1)} MB right after ${(result.loadRssMb.bytes / 1e9).toFixed(1)} GB in and out -> ${after.toFixed(1)} MB after ${options.afterLoadIdleSeconds} s idle`,
    );
  } finally {
    await b.stop();
    rmSync(loadDir, { recursive: true, force: true });
  }
  return result;
}
