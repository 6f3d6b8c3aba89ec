import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * Helpers for interop tests that drive real Kafka clients against a real Brook broker PROCESS
 * (`node dist/src/cli/main.js server start`), the way a user runs it: a free port on 127.0.0.1,
 * a temporary data directory, SIGTERM for a clean stop, SIGKILL for a crash, restart on the same
 * directory. Every process and directory created here is removed when the test process exits,
 * even after a failed assertion, so a red test leaves nothing running.
 */

/** The repository root: the nearest folder above this file with a package.json (works from dist/ and from test/). */
export const REPO_ROOT: string = (() => {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let depth = 0; depth < 8; depth++) {
    if (existsSync(join(dir, "package.json"))) return dir;
    dir = dirname(dir);
  }
  throw new Error(`no package.json above ${fileURLToPath(import.meta.url)}`);
})();

export const BROOK_MAIN = join(REPO_ROOT, "dist", "src", "cli", "main.js");
/** The single-file build `npm start` and the `brook` command run (`npm run bundle`). */
export const BROOK_BUNDLE = join(REPO_ROOT, "dist", "src", "cli", "brook.js");
/** Debian's interpreter: the one that sees python3-confluent-kafka. */
export const PYTHON = "/usr/bin/python3";
export const PYTHON_CLIENT = join(REPO_ROOT, "test", "interop", "python", "rdkafka_client.py");

/** Bytes of stderr kept per broker (the tail): enough for any failure message, bounded for long tests. */
const STDERR_KEPT_BYTES = 256 * 1024;
const READY_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 15_000;

const live = new Set<BrokerProcess>();
function disposeAll(): void {
  for (const b of live) b.disposeSync();
}
process.on("exit", disposeAll);
// On a signal, clean up, then let the signal do what it does by default (terminate).
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    disposeAll();
    process.kill(process.pid, signal);
  });
}

export interface BrokerProcessOptions {
  /** server.properties keys on top of the test defaults (listeners on 127.0.0.1 port 0, log.dirs). */
  overrides?: Record<string, string>;
  /** An existing data directory to use (and keep); default a new temporary one, removed by dispose(). */
  dataDir?: string;
  /**
   * The broker's open-file limit (`ulimit -n`, raised by a shell before it starts the broker): for
   * tests with thousands of connections on machines whose default is 1024. Raising it past the
   * hard limit needs root (CI runs as root).
   */
  openFilesMax?: number;
  /**
   * The broker's niceness (`nice -n`) and the CPUs it may run on (`taskset -c`, a list such as
   * "0"): tests that measure the broker's latency under load keep the load generator off its CPU
   * and put it ahead of a shared machine's other processes. A negative niceness needs root (CI
   * runs as root); without, the broker runs at the default priority.
   */
  niceness?: number;
  cpus?: string;
  /** Environment variables for the broker on top of the test's (BROOK_SEGMENT_WRITER=always, say). */
  env?: Record<string, string>;
  /** The script to run: BROOK_MAIN (default) or BROOK_BUNDLE. */
  main?: string;
}

/** One broker process and its data directory; restart() starts a new process on the same directory. */
export class BrokerProcess {
  readonly dataDir: string;
  private readonly ownsDir: boolean;
  private readonly overrides: Record<string, string>;
  private readonly limits: ProcessLimits;
  private readonly env: Record<string, string>;
  private readonly main: string;
  /** The `brook ready` line of the current incarnation. */
  readyLine = "";
  private child: ChildProcess | null = null;
  private exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }> = Promise.resolve({
    code: 0,
    signal: null,
  });
  /** host:port of the current incarnation (changes across restarts: port 0 each time). */
  bootstrap = "";
  host = "";
  port = 0;
  clusterId = "";
  /** stderr of the current incarnation (its tail), and of every incarnation so far. */
  stderr = "";
  allStderr = "";
  incarnations = 0;

  private constructor(options: BrokerProcessOptions) {
    this.ownsDir = options.dataDir === undefined;
    this.dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), "brook-interop-"));
    this.overrides = options.overrides ?? {};
    this.env = options.env ?? {};
    this.limits = {
      ...(options.openFilesMax === undefined ? {} : { openFilesMax: options.openFilesMax }),
      ...(options.niceness === undefined ? {} : { niceness: options.niceness }),
      ...(options.cpus === undefined ? {} : { cpus: options.cpus }),
    };
    this.main = options.main ?? BROOK_MAIN;
  }

  static async start(options: BrokerProcessOptions = {}): Promise<BrokerProcess> {
    const main = options.main ?? BROOK_MAIN;
    if (!existsSync(main)) {
      throw new Error(`${main} is missing: build first (npm run build)`);
    }
    const broker = new BrokerProcess(options);
    live.add(broker);
    try {
      await broker.spawn();
    } catch (error) {
      broker.disposeSync();
      throw error;
    }
    return broker;
  }

  get alive(): boolean {
    return this.child !== null && this.child.exitCode === null && this.child.signalCode === null;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  private args(): string[] {
    const props: Record<string, string> = {
      listeners: "PLAINTEXT://127.0.0.1:0,CONTROLLER://127.0.0.1:0",
      "advertised.listeners": "PLAINTEXT://127.0.0.1:0",
      "controller.quorum.voters": "1@127.0.0.1:0",
      "log.dirs": this.dataDir,
      "group.initial.rebalance.delay.ms": "0",
      // Kafka's 50 __consumer_offsets partitions cost a second at the first FindCoordinator and at
      // every restart; any librdkafka consumer (it needs a group.id even for assign()) triggers it.
      "offsets.topic.num.partitions": "5",
      // The console, registry and REST Proxy listen on fixed ports by default: parallel test files would collide.
      "console.enable": "false",
      "schema.registry.enable": "false",
      "rest.proxy.enable": "false",
      ...this.overrides,
    };
    const args = [this.main, "server", "start"];
    for (const [k, v] of Object.entries(props)) args.push("--override", `${k}=${v}`);
    return args;
  }

  private spawn(): Promise<void> {
    this.incarnations++;
    this.stderr = "";
    this.allStderr += `--- broker incarnation ${this.incarnations} ---\n`;
    const [command, args] = withProcessLimits(process.execPath, this.args(), this.limits);
    const child = spawn(command, args, {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, BROOK_LOG_LEVEL: "info", ...this.env },
    });
    this.child = child;
    this.exited = new Promise((resolve) => {
      child.once("exit", (code, signal) => resolve({ code, signal }));
    });
    child.stderr?.setEncoding("utf8");
    child.stderr?.on("data", (chunk: string) => {
      this.stderr = keepTail(this.stderr + chunk);
      this.allStderr = keepTail(this.allStderr + chunk);
    });
    return new Promise<void>((resolve, reject) => {
      let stdout = "";
      let ready = false;
      const timer = setTimeout(() => {
        child.kill("SIGKILL");
        reject(new Error(`broker not ready within ${READY_TIMEOUT_MS} ms; stderr:\n${this.stderr}`));
      }, READY_TIMEOUT_MS);
      child.stdout?.setEncoding("utf8");
      child.stdout?.on("data", (chunk: string) => {
        if (ready) return;
        stdout += chunk;
        const line = stdout.split("\n").find((l) => l.startsWith("brook ready "));
        if (line === undefined) return;
        ready = true;
        this.readyLine = line;
        const kafka = /\bkafka=(\S+):(\d+)/.exec(line);
        const cluster = /\bcluster=(\S+)/.exec(line);
        clearTimeout(timer);
        if (kafka === null || cluster === null) {
          reject(new Error(`unexpected ready line: ${line}`));
          return;
        }
        this.host = kafka[1] as string;
        this.port = Number(kafka[2]);
        this.bootstrap = `${this.host}:${this.port}`;
        this.clusterId = cluster[1] as string;
        resolve();
      });
      child.once("error", (error) => {
        clearTimeout(timer);
        reject(error);
      });
      child.once("exit", (code, signal) => {
        clearTimeout(timer);
        reject(
          new Error(`broker exited (code ${code}, signal ${signal}) before ready; stderr:\n${this.stderr}`),
        );
      });
    });
  }

  /** host:port of the advertised listener `name` of the current incarnation (the ready line's listeners=). */
  listenerAddress(name: string): string {
    const listeners = /\blisteners=(\S+)/.exec(this.readyLine)?.[1] ?? "";
    const found = listeners.split(",").find((l) => l.startsWith(`${name}://`));
    if (found === undefined) throw new Error(`no listener ${name} in: ${this.readyLine}`);
    return found.slice(name.length + 3);
  }

  /** Throws with the broker's stderr if the process has died. */
  assertAlive(): void {
    if (!this.alive) {
      throw new Error(
        `broker process is not running (exit code ${this.child?.exitCode}, signal ${this.child?.signalCode}); stderr:\n${this.stderr}`,
      );
    }
  }

  /** SIGTERM, then waits for the process to exit; a clean stop exits with code 0. */
  async stop(): Promise<void> {
    this.assertAlive();
    this.child?.kill("SIGTERM");
    const { code, signal } = await this.waitExit(STOP_TIMEOUT_MS);
    if (code !== 0) {
      throw new Error(`broker stopped with code ${code}, signal ${signal}; stderr:\n${this.stderr}`);
    }
  }

  /** SIGKILL: a crash of the process (not of the machine: the page cache survives). */
  async kill(): Promise<void> {
    this.assertAlive();
    this.child?.kill("SIGKILL");
    await this.waitExit(STOP_TIMEOUT_MS);
  }

  /** Starts a new process on the same data directory (after stop() or kill()). */
  async restart(): Promise<void> {
    if (this.alive) throw new Error("restart() needs the broker stopped or killed first");
    await this.spawn();
  }

  private async waitExit(timeoutMs: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        this.child?.kill("SIGKILL");
        reject(new Error(`broker did not exit within ${timeoutMs} ms; stderr:\n${this.stderr}`));
      }, timeoutMs);
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Kills the process if it runs and removes the data directory it created. */
  async dispose(): Promise<void> {
    if (this.alive) {
      this.child?.kill("SIGKILL");
      await this.waitExit(STOP_TIMEOUT_MS).catch(() => {});
    }
    this.disposeSync();
  }

  /** The synchronous part of dispose(), also run from the test process's exit hook. */
  disposeSync(): void {
    if (this.alive) this.child?.kill("SIGKILL");
    if (this.ownsDir) rmSync(this.dataDir, { recursive: true, force: true });
    live.delete(this);
  }
}

export interface ProcessLimits {
  /** `ulimit -n`. */
  openFilesMax?: number;
  /** `nice -n`, where permitted (a negative one needs root). */
  niceness?: number;
  /** `taskset -c`: the CPUs the process may run on. */
  cpus?: string;
}

/**
 * The command and arguments that run `command` with its open-file limit raised to `openFilesMax`
 * (or to the hard limit when raising past it is not permitted: a container without
 * CAP_SYS_RESOURCE), at `niceness` (where permitted) and on `cpus`: a shell sets them, then execs
 * the command, so the process is the command's and signals reach it. `openFilesLimitOf(pid)`
 * tells what it got.
 */
export function withProcessLimits(
  command: string,
  args: readonly string[],
  limits: ProcessLimits,
): [string, string[]] {
  const { openFilesMax, niceness, cpus } = limits;
  if (openFilesMax === undefined && niceness === undefined && cpus === undefined) return [command, [...args]];
  const steps: string[] = [];
  if (openFilesMax !== undefined) {
    steps.push(`ulimit -n ${Math.floor(openFilesMax)} 2>/dev/null || ulimit -n "$(ulimit -Hn)"`);
  }
  // GNU nice runs the command at the current niceness when it may not set the one asked for.
  const nice = niceness === undefined ? "" : `nice -n ${Math.floor(niceness)} `;
  const pin = cpus === undefined ? "" : `taskset -c ${cpus.replace(/[^0-9,-]/g, "")} `;
  steps.push(`exec ${pin}${nice}"$0" "$@"`);
  return ["/bin/sh", ["-c", steps.join("; "), command, ...args]];
}

/** The soft open-file limit of a running process (Linux), or null when it cannot be read. */
export function openFilesLimitOf(pid: number): number | null {
  try {
    const line = readFileSync(`/proc/${pid}/limits`, "utf8")
      .split("\n")
      .find((l) => l.startsWith("Max open files"));
    const soft = line?.split(/\s{2,}/)[1];
    return soft === undefined ? null : soft === "unlimited" ? Number.POSITIVE_INFINITY : Number(soft);
  } catch {
    return null;
  }
}

function keepTail(text: string): string {
  return text.length > STDERR_KEPT_BYTES ? text.slice(text.length - STDERR_KEPT_BYTES) : text;
}

export interface ToolResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  input?: string | Buffer;
  timeoutMs?: number;
  env?: Record<string, string>;
}

/** How to install each external tool, for the message when one is missing. */
const INSTALL_HINT: Record<string, string> = {
  kcat: "apt-get install -y kcat",
  [PYTHON]: "apt-get install -y python3 python3-confluent-kafka",
};

/**
 * Runs a program with a time limit; resolves with its exit status and output whatever the status.
 * A missing program and a run past the limit reject with a message that says so.
 */
export function runTool(
  command: string,
  args: readonly string[],
  options: RunOptions = {},
): Promise<ToolResult> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      stdio: ["pipe", "pipe", "pipe"],
      env: { ...process.env, ...options.env },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8");
    child.stderr.setEncoding("utf8");
    child.stdout.on("data", (c: string) => {
      stdout += c;
    });
    child.stderr.on("data", (c: string) => {
      stderr = keepTail(stderr + c);
    });
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(
        new Error(
          `${command} ${args.join(" ")} did not finish within ${timeoutMs} ms\nstdout (tail):\n${stdout.slice(-4000)}\nstderr:\n${stderr.slice(-4000)}`,
        ),
      );
    }, timeoutMs);
    child.once("error", (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      if (error.code === "ENOENT") {
        const hint = INSTALL_HINT[command] ?? "install it";
        reject(new Error(`${command} is not installed: ${hint} (npm test installs it)`));
      } else {
        reject(error);
      }
    });
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
    child.stdin.on("error", () => {});
    child.stdin.end(options.input ?? "");
  });
}

/** Runs kcat and requires exit code 0. */
export async function kcat(args: readonly string[], options: RunOptions = {}): Promise<string> {
  const result = await runTool("kcat", args, options);
  if (result.code !== 0) {
    throw new Error(`kcat ${args.join(" ")} exited with ${result.code ?? result.signal}:\n${result.stderr}`);
  }
  return result.stdout;
}

/**
 * Runs the confluent-kafka (librdkafka) client script in test/interop/python with a JSON command
 * on stdin and returns its JSON answer. A missing python3-confluent-kafka fails with a clear message.
 */
export async function pythonClient<T>(
  command: unknown,
  timeoutMs = 40_000,
  env?: Record<string, string>,
): Promise<T> {
  const result = await runTool(PYTHON, [PYTHON_CLIENT], {
    input: JSON.stringify(command),
    timeoutMs,
    ...(env ? { env } : {}),
  });
  if (result.stderr.includes("No module named 'confluent_kafka'")) {
    throw new Error(
      `python3-confluent-kafka is not installed: ${INSTALL_HINT[PYTHON]} (npm test installs it)`,
    );
  }
  if (result.code !== 0) {
    throw new Error(
      `${PYTHON} ${PYTHON_CLIENT} exited with ${result.code ?? result.signal}:\n${result.stderr}`,
    );
  }
  try {
    return JSON.parse(result.stdout) as T;
  } catch {
    throw new Error(`python client printed no JSON:\n${result.stdout}\nstderr:\n${result.stderr}`);
  }
}

/**
 * The environment that runs Debian's confluent-kafka for Python on a current librdkafka (2.12,
 * built once by tools/librdkafka-current/build.sh, which `npm test` runs first): for what
 * librdkafka 2.0.2 cannot do, such as reading Produce v8's RecordErrors.
 */
export async function currentLibrdkafkaEnv(): Promise<Record<string, string>> {
  const script = join(REPO_ROOT, "tools", "librdkafka-current", "build.sh");
  const built = await runTool("bash", [script], { timeoutMs: 600_000 });
  if (built.code !== 0) throw new Error(`${script} failed:\n${built.stderr}`);
  const dir = built.stdout.trim().split("\n").at(-1) ?? "";
  return { LD_LIBRARY_PATH: dir };
}

export { waitFor } from "../helpers/wait-for.js";

/** One record as `kcat -C -J` prints it. */
export interface KcatRecord {
  topic: string;
  partition: number;
  offset: number;
  ts: number;
  key: string | null;
  payload: string | null;
  /** name, value, name, value, ... */
  headers?: (string | null)[];
}

/** kcat's options to log in with SASL/PLAIN over SASL_PLAINTEXT. */
export function kcatSaslPlain(user: string, password: string): string[] {
  return [
    "-X",
    "security.protocol=SASL_PLAINTEXT",
    "-X",
    "sasl.mechanisms=PLAIN",
    "-X",
    `sasl.username=${user}`,
    "-X",
    `sasl.password=${password}`,
  ];
}

/** Reads every partition of `topic` from the beginning to its end with kcat (`-C -e -J`). */
export async function kcatConsume(
  bootstrap: string,
  topic: string,
  extra: readonly string[] = [],
): Promise<KcatRecord[]> {
  const out = await kcat(
    ["-b", bootstrap, "-C", "-t", topic, "-o", "beginning", "-e", "-J", "-q", ...extra],
    {
      timeoutMs: 30_000,
    },
  );
  return out
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as KcatRecord);
}

/** An upper bound for one interop test: a hang fails with a message (and cleanup) instead of stalling CI. */
export const TEST_TIMEOUT_MS = 90_000;
