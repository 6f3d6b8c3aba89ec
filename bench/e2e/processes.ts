/**
 * Processes of the end-to-end benchmark: the brokers under test (a Brook process, librdkafka's mock
 * cluster) and the timed client commands. Every child is started here and stopped by its own pid;
 * every wait has a deadline.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { closeSync, mkdirSync, openSync, readdirSync } from "node:fs";
import { processCpuTimes } from "./raw-wire.js";

/** Clock ticks per second for /proc/<pid>/stat (getconf CLK_TCK; 100 on Linux x86). */
export const TICKS_PER_SECOND =
  Number(spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).stdout.trim()) || 100;

/** utime and stime of a process, seconds. */
export function cpuTimes(pid: number): { user: number; system: number } {
  return processCpuTimes(pid, TICKS_PER_SECOND);
}

export interface BrokerProcess {
  readonly name: string;
  readonly pid: number;
  readonly bootstrap: string;
  stop(): Promise<void>;
}

const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 30_000;

/** Starts a child and resolves with its first stdout line that matches `ready`. */
export function startUntilReady(
  command: string,
  args: string[],
  logFile: string,
  ready: RegExp,
): Promise<{ child: ChildProcess; match: RegExpExecArray }> {
  const log = openSync(logFile, "a");
  const child = spawn(command, args, { stdio: ["ignore", "pipe", log] });
  closeSync(log);
  return new Promise((resolve, reject) => {
    let buffered = "";
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${command} not ready within ${START_TIMEOUT_MS} ms (log: ${logFile})`));
    }, START_TIMEOUT_MS);
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${command} exited with ${code} before it was ready (log: ${logFile})`));
    });
    child.stdout?.on("data", (chunk: Buffer) => {
      buffered += chunk.toString("utf8");
      const match = ready.exec(buffered);
      if (match !== null) {
        clearTimeout(timer);
        child.removeAllListeners("exit");
        child.stdout?.removeAllListeners("data");
        child.stdout?.resume();
        resolve({ child, match });
      }
    });
  });
}

export function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), STOP_TIMEOUT_MS);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill("SIGTERM");
  });
}

export interface BrookOptions {
  /** Directory holding the compiled broker (its src/cli/main.js). */
  distDir: string;
  dataDir: string;
  logFile: string;
  /** Extra server.properties keys (e.g. log.flush.interval.messages=1). */
  overrides?: readonly string[];
  /** Extra node flags (e.g. --cpu-prof). */
  nodeFlags?: readonly string[];
}

/** A Brook broker process on a free 127.0.0.1 port: `brook server start --override ...`. */
export async function startBrook(options: BrookOptions): Promise<BrokerProcess> {
  mkdirSync(options.dataDir, { recursive: true });
  const overrides = [
    `log.dirs=${options.dataDir}`,
    "listeners=PLAINTEXT://127.0.0.1:0,CONTROLLER://127.0.0.1:0",
    "advertised.listeners=PLAINTEXT://127.0.0.1:0",
    "controller.quorum.voters=1@127.0.0.1:0",
    "num.partitions=1",
    "default.replication.factor=1",
    // Only the Kafka listener: no HTTP servers on fixed ports (8080, 8081, 8082) beside it.
    "console.enable=false",
    "schema.registry.enable=false",
    "rest.proxy.enable=false",
    ...(options.overrides ?? []),
  ];
  const args = [
    ...(options.nodeFlags ?? []),
    `${options.distDir}/src/cli/main.js`,
    "server",
    "start",
    ...overrides.flatMap((o) => ["--override", o]),
  ];
  const { child, match } = await startUntilReady(
    process.execPath,
    args,
    options.logFile,
    /brook ready kafka=(\S+)/,
  );
  return {
    name: "brook",
    pid: child.pid as number,
    bootstrap: match[1] as string,
    stop: () => stopChild(child),
  };
}

/** librdkafka's mock cluster (one broker), with topics pre-created as `name:partitions:1`. */
export async function startMock(
  binary: string,
  topics: readonly string[],
  logFile: string,
): Promise<BrokerProcess> {
  const { child, match } = await startUntilReady(binary, ["1", ...topics], logFile, /^(\S+:\d+)\s*$/m);
  return {
    name: "mock",
    pid: child.pid as number,
    bootstrap: match[1] as string,
    stop: () => stopChild(child),
  };
}

/** Where a process runs: the CPUs it may use (taskset's list) and its niceness. */
export interface Placement {
  cpus: string;
  niceness: number;
}

/**
 * Moves a running process, every thread of it, onto `placement` (a negative niceness needs root);
 * whether it took. Linux applies a niceness per thread, so each one in /proc/<pid>/task is set.
 */
export function placeProcess(pid: number, placement: Placement): boolean {
  const pinned =
    spawnSync("taskset", ["-a", "-p", "-c", placement.cpus, String(pid)], { stdio: "ignore" }).status === 0;
  let tasks: string[] = [];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return false;
  }
  const reniced =
    tasks.length > 0 &&
    spawnSync("renice", ["-n", String(placement.niceness), "-p", ...tasks], { stdio: "ignore" }).status === 0;
  return pinned && reniced;
}

/** A command line that starts `command` on `placement` (taskset and nice run it). */
export function placed(
  command: string,
  args: readonly string[],
  placement: Placement | undefined,
): [string, string[]] {
  if (placement === undefined) return [command, [...args]];
  return ["taskset", ["-c", placement.cpus, "nice", "-n", String(placement.niceness), command, ...args]];
}

export interface CommandRun {
  wallSeconds: number;
  exitCode: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a client command to completion (bounded by timeoutMs), timing it from spawn to exit. */
export function runCommand(
  command: string,
  args: readonly string[],
  options: { timeoutMs: number; discardStdout?: boolean },
): Promise<CommandRun> {
  const devNull = options.discardStdout === true ? openSync("/dev/null", "w") : null;
  const t0 = performance.now();
  const child = spawn(command, args, { stdio: ["ignore", devNull ?? "pipe", "pipe"] });
  if (devNull !== null) closeSync(devNull);
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (c: Buffer) => {
    if (stdout.length < 1_000_000) stdout += c.toString("utf8");
  });
  child.stderr?.on("data", (c: Buffer) => {
    if (stderr.length < 1_000_000) stderr += c.toString("utf8");
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs);
    child.on("error", reject);
    child.on("exit", (code) => {
      const wallSeconds = (performance.now() - t0) / 1000;
      clearTimeout(timer);
      // Let the pipes drain: the last lines of output come after 'exit'.
      child.on("close", () => resolve({ wallSeconds, exitCode: code, stdout, stderr }));
    });
  });
}
