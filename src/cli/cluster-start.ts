import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { createWriteStream, existsSync, mkdirSync, writeFileSync } from "node:fs";
import { createConnection } from "node:net";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { ConfigError } from "../base/index.js";

export interface ClusterStartArgs {
  nodes: number;
  dir: string;
  etcdPort: number;
  firstKafkaPort: number;
  /** server.properties keys for every node (`--override key=value`), after the generated ones. */
  overrides: [string, string][];
}

export function parseClusterStartArgs(args: readonly string[]): ClusterStartArgs {
  const parsed: ClusterStartArgs = {
    nodes: 3,
    dir: "./brook-cluster",
    etcdPort: 2379,
    firstKafkaPort: 9092,
    overrides: [],
  };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const value = args[i + 1];
    const number = () => {
      const n = Number(value);
      if (value === undefined || !Number.isInteger(n) || n <= 0)
        throw new ConfigError(`${arg} needs a positive integer`);
      i++;
      return n;
    };
    if (arg === "--nodes") parsed.nodes = number();
    else if (arg === "--etcd-port") parsed.etcdPort = number();
    else if (arg === "--port") parsed.firstKafkaPort = number();
    else if (arg === "--dir") {
      if (value === undefined) throw new ConfigError("--dir needs a directory");
      parsed.dir = value;
      i++;
    } else if (arg === "--override") {
      const eq = value?.indexOf("=") ?? -1;
      if (value === undefined || eq <= 0)
        throw new ConfigError(`--override needs key=value, got '${value ?? ""}'`);
      parsed.overrides.push([value.slice(0, eq), value.slice(eq + 1)]);
      i++;
    } else throw new ConfigError(`unknown option ${arg}`);
  }
  if (parsed.nodes > 9) throw new ConfigError("--nodes: at most 9 nodes on one machine");
  return parsed;
}

/** The etcd binary Debian's etcd-server package installs, or null. */
function findEtcd(): string | null {
  const found = spawnSync("sh", ["-c", "command -v etcd"], { encoding: "utf8" });
  const path = found.stdout.trim();
  if (found.status === 0 && path !== "") return path;
  return existsSync("/usr/bin/etcd") ? "/usr/bin/etcd" : null;
}

function nodeProperties(args: ClusterStartArgs, id: number, dir: string): string {
  const port = args.firstKafkaPort + id - 1;
  const replication = Math.min(3, args.nodes);
  return [
    `# Written by brook cluster start: node ${id} of ${args.nodes}.`,
    `node.id=${id}`,
    "process.roles=broker,controller",
    `etcd.connect=localhost:${args.etcdPort}`,
    "etcd.session.timeout.ms=6000",
    `listeners=PLAINTEXT://localhost:${port}`,
    `advertised.listeners=PLAINTEXT://localhost:${port}`,
    `log.dirs=${join(dir, `node-${id}`)}`,
    "num.partitions=3",
    `default.replication.factor=${replication}`,
    `min.insync.replicas=${Math.min(2, replication)}`,
    `offsets.topic.replication.factor=${replication}`,
    `transaction.state.log.replication.factor=${replication}`,
    `transaction.state.log.min.isr=${Math.min(2, replication)}`,
    `schema.registry.listeners=http://localhost:${8080 + id}`,
    `console.listeners=http://localhost:${8080 + 100 * (id - 1)}`,
    ...args.overrides.map(([key, value]) => `${key}=${value}`),
    "",
  ].join("\n");
}

/** Resolves once something accepts connections on the port (etcd's client port). */
async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const open = await new Promise<boolean>((done) => {
      const socket = createConnection({ host: "127.0.0.1", port });
      socket.once("connect", () => {
        socket.destroy();
        done(true);
      });
      socket.once("error", () => done(false));
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`etcd did not listen on port ${port} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function prefixLines(child: ChildProcess, prefix: string, onLine?: (line: string) => void): void {
  for (const stream of [child.stdout, child.stderr]) {
    if (stream === null) continue;
    createInterface({ input: stream }).on("line", (line) => {
      onLine?.(line);
      process.stdout.write(`${prefix} ${line}\n`);
    });
  }
}

/**
 * `brook cluster start`: a local etcd and N Brook nodes, each a process of its own, in one
 * command, logs prefixed by node; Ctrl-C stops them all (brokers first, with controlled
 * shutdowns, then etcd). For trying a cluster on one machine, not for production.
 */
export async function clusterStart(argv: readonly string[], mainScript: string): Promise<number> {
  const args = parseClusterStartArgs(argv);
  const etcd = findEtcd();
  if (etcd === null) {
    process.stderr.write(
      "brook: etcd is not installed. On Debian or Ubuntu: sudo apt-get install -y etcd-server\n",
    );
    return 2;
  }
  const dir = resolve(args.dir);
  mkdirSync(join(dir, "etcd"), { recursive: true });
  const etcdLog = createWriteStream(join(dir, "etcd.log"), { flags: "a" });
  const peerPort = args.etcdPort + 1;
  const etcdProcess = spawn(
    etcd,
    [
      "--name",
      "brook-local",
      "--data-dir",
      join(dir, "etcd", "data"),
      "--listen-client-urls",
      `http://127.0.0.1:${args.etcdPort}`,
      "--advertise-client-urls",
      `http://127.0.0.1:${args.etcdPort}`,
      "--listen-peer-urls",
      `http://127.0.0.1:${peerPort}`,
      "--initial-advertise-peer-urls",
      `http://127.0.0.1:${peerPort}`,
      "--initial-cluster",
      `brook-local=http://127.0.0.1:${peerPort}`,
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  etcdProcess.stdout.pipe(etcdLog);
  etcdProcess.stderr.pipe(etcdLog);
  const children: ChildProcess[] = [];
  let stopping = false;
  let clusterReady = false;
  let failed = false;
  const stopAll = async () => {
    if (stopping) return;
    stopping = true;
    process.stdout.write("[cluster] stopping the nodes, then etcd\n");
    await Promise.all(children.map((c) => exited(c, "SIGTERM")));
    await exited(etcdProcess, "SIGTERM");
  };
  process.once("SIGINT", () => void stopAll());
  process.once("SIGTERM", () => void stopAll());
  try {
    await waitForPort(args.etcdPort, 15_000);
  } catch (error) {
    process.stderr.write(
      `brook: ${(error as Error).message} (see ${join(dir, "etcd.log")}; is port ${args.etcdPort} in use?)\n`,
    );
    await exited(etcdProcess, "SIGTERM");
    return 1;
  }
  process.stdout.write(`[cluster] etcd on localhost:${args.etcdPort} (log: ${join(dir, "etcd.log")})\n`);
  const ready: Promise<string>[] = [];
  for (let id = 1; id <= args.nodes; id++) {
    const file = join(dir, `server-${id}.properties`);
    writeFileSync(file, nodeProperties(args, id, dir));
    const child = spawn(process.execPath, [mainScript, "server", "start", file], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    children.push(child);
    ready.push(
      new Promise((done) =>
        prefixLines(child, `[node ${id}]`, (line) => line.startsWith("brook ready") && done(line)),
      ),
    );
    child.once("exit", (code) => {
      if (stopping) return;
      if (!clusterReady) {
        // A node that never got ready (a port in use, a bad override): no cluster to wait for.
        process.stderr.write(`brook: node ${id} exited (${code}) before the cluster was ready; stopping\n`);
        failed = true;
        void stopAll();
      } else {
        process.stdout.write(`[cluster] node ${id} exited (${code}); the others go on\n`);
      }
    });
  }
  const readyLines = await Promise.race([
    Promise.all(ready),
    new Promise<string[]>((done) => etcdProcess.once("exit", () => done([]))),
  ]);
  clusterReady = true;
  if (!stopping) {
    const bootstrap = Array.from(
      { length: args.nodes },
      (_, i) => `localhost:${args.firstKafkaPort + i}`,
    ).join(",");
    // Every node serves the Schema Registry (writes go to the one leading _schemas): list them all.
    const registries = readyLines.flatMap((line) => /\bregistry=(\S+)/.exec(line)?.[1] ?? []);
    const registry = registries.length === 0 ? "" : ` registry=${registries.join(",")}`;
    process.stdout.write(
      `brook cluster ready kafka=${bootstrap} etcd=localhost:${args.etcdPort}${registry}\n`,
    );
  }
  await new Promise<void>((done) => {
    const check = () => {
      if ([...children, etcdProcess].every((c) => c.exitCode !== null || c.signalCode !== null)) done();
    };
    for (const c of [...children, etcdProcess]) c.once("exit", check);
    check();
  });
  return failed ? 1 : 0;
}

function exited(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((done) => {
    child.once("exit", () => done());
    child.kill(signal);
  });
}
