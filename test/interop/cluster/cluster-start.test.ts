import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { parseClusterStartArgs } from "../../../src/cli/cluster-start.js";
import { freePorts } from "../../helpers/etcd-process.js";
import { BROOK_MAIN, kcat, TEST_TIMEOUT_MS } from "../broker-process.js";
import { sleep } from "./cluster-harness.js";

/**
 * `brook cluster start`, as a user runs it: a local etcd and three nodes, one process each; it
 * prints `brook cluster ready kafka=...` once every node is ready, kcat sees three brokers and a
 * controller, and SIGINT (Ctrl-C) stops every process it started. A node that cannot start stops
 * the whole command instead of leaving it waiting for a cluster that will never be ready.
 *
 * The nodes' console and Schema Registry listen on fixed ports (8080-8280, 8081-8083), which
 * anything else on the machine may hold: they are turned off here with --override.
 */

const dirs: string[] = [];
const clis: ChildProcess[] = [];
const NO_FIXED_PORTS = ["--override", "console.enable=false", "--override", "schema.registry.enable=false"];

/** Processes whose command line names the directory (the etcd and the nodes a CLI started), not the CLI. */
function processesUnder(dir: string): { pid: number; command: string }[] {
  const found: { pid: number; command: string }[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const command = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0").join(" ");
      if (command.includes(dir) && !command.includes(" cluster start "))
        found.push({ pid: Number(entry), command });
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

function killEverything(): void {
  for (const cli of clis) if (cli.exitCode === null && cli.signalCode === null) cli.kill("SIGKILL");
  for (const dir of dirs) {
    for (const p of processesUnder(dir)) {
      try {
        process.kill(p.pid, "SIGKILL");
      } catch {
        // gone meanwhile
      }
    }
    rmSync(dir, { recursive: true, force: true });
  }
}
process.on("exit", killEverything);
after(() => killEverything());

/** A port p such that p..p+count-1 are all free now (the CLI takes consecutive ports). */
async function consecutiveFreePorts(count: number, avoid: readonly number[] = []): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = (await freePorts(1))[0] as number;
    const range = Array.from({ length: count }, (_, i) => base + i);
    if (range.some((p) => p > 65_535 || avoid.includes(p))) continue;
    if ((await Promise.all(range.map(portFree))).every(Boolean)) return base;
  }
  throw new Error(`no ${count} consecutive free ports found`);
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

interface Cli {
  child: ChildProcess;
  dir: string;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

async function startCli(extra: readonly string[]): Promise<Cli & { kafkaPort: number; etcdPort: number }> {
  const dir = mkdtempSync(join(tmpdir(), "brook-cluster-start-"));
  dirs.push(dir);
  const kafkaPort = await consecutiveFreePorts(3);
  const etcdPort = await consecutiveFreePorts(2, [kafkaPort, kafkaPort + 1, kafkaPort + 2]);
  const args = ["cluster", "start", "--nodes", "3", "--dir", dir, "--port", String(kafkaPort)];
  const child = spawn(process.execPath, [BROOK_MAIN, ...args, "--etcd-port", String(etcdPort), ...extra], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  clis.push(child);
  let output = "";
  const keep = (chunk: string) => {
    output += chunk;
  };
  child.stdout?.setEncoding("utf8").on("data", keep);
  child.stderr?.setEncoding("utf8").on("data", keep);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal })),
  );
  return { child, dir, output: () => output, exited, kafkaPort, etcdPort };
}

/** The exit of the CLI, or a failure after `timeoutMs`. */
async function exitWithin(cli: Cli, timeoutMs: number) {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    cli.exited,
    new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`still running ${timeoutMs} ms later:\n${cli.output()}`)),
        timeoutMs,
      );
    }),
  ]).finally(() => clearTimeout(timer));
}

test("cluster start --override: a key for every node, checked like server start's", () => {
  const parsed = parseClusterStartArgs(["--nodes", "2", "--override", "a.b=c=d", "--override", "x="]);
  assert.deepEqual(parsed.overrides, [
    ["a.b", "c=d"],
    ["x", ""],
  ]);
  assert.throws(() => parseClusterStartArgs(["--override", "novalue"]), /--override needs key=value/);
});

test("brook cluster start --nodes 3: ready line, three brokers and a controller in kcat -L, SIGINT stops every process", {
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  const cli = await startCli(NO_FIXED_PORTS);
  const deadline = Date.now() + 45_000;
  let ready: string | undefined;
  while (ready === undefined) {
    if (cli.child.exitCode !== null || Date.now() > deadline) {
      assert.fail(`no ready line (exit code ${cli.child.exitCode}):\n${cli.output()}`);
    }
    ready = cli
      .output()
      .split("\n")
      .find((line) => line.startsWith("brook cluster ready "));
    await sleep(100);
  }
  const kafka = /\bkafka=(\S+)/.exec(ready)?.[1] ?? "";
  assert.deepEqual(
    kafka.split(","),
    [0, 1, 2].map((i) => `localhost:${cli.kafkaPort + i}`),
    `ready line: ${ready}`,
  );
  assert.match(ready, new RegExp(`\\betcd=localhost:${cli.etcdPort}\\b`));

  const metadata = JSON.parse(
    await kcat(["-L", "-J", "-b", kafka.split(",")[0] as string], { timeoutMs: 15_000 }),
  ) as { controllerid: number; brokers: { id: number; name: string }[] };
  assert.deepEqual(
    metadata.brokers.map((b) => b.id).sort(),
    [1, 2, 3],
    `kcat -L: ${JSON.stringify(metadata)}\n${cli.output()}`,
  );
  assert.ok([1, 2, 3].includes(metadata.controllerid), `controller ${metadata.controllerid}`);

  const running = processesUnder(cli.dir);
  assert.equal(running.length, 4, `etcd and three nodes run: ${running.map((p) => p.command).join("\n")}`);
  assert.equal(running.filter((p) => p.command.includes("etcd")).length, 1, "one etcd");

  const stoppedAt = Date.now();
  cli.child.kill("SIGINT");
  const { code, signal } = await exitWithin(cli, 30_000);
  console.log(`brook cluster start exited ${Date.now() - stoppedAt} ms after SIGINT`);
  assert.equal(code, 0, `exit code ${code}, signal ${signal}:\n${cli.output()}`);
  assert.deepEqual(
    processesUnder(cli.dir).map((p) => p.command),
    [],
    "no etcd or brook process is left",
  );
  assert.match(cli.output(), /stopping the nodes, then etcd/);
});

test("brook cluster start with nodes that cannot start: it says so, stops etcd and exits 1 instead of waiting", {
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  // Kafka 4 refuses a segment below 1 MiB: every node exits with code 2 before it is ready.
  const cli = await startCli([...NO_FIXED_PORTS, "--override", "log.segment.bytes=1000"]);
  const { code } = await exitWithin(cli, 30_000);
  assert.equal(code, 1, cli.output());
  assert.match(cli.output(), /node \d exited \(2\) before the cluster was ready/);
  assert.doesNotMatch(cli.output(), /brook cluster ready/);
  assert.deepEqual(
    processesUnder(cli.dir).map((p) => p.command),
    [],
    "no etcd or brook process is left",
  );
});
