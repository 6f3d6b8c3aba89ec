/**
 * The replication benchmark's cluster: one local etcd member and three `brook server start`
 * processes (node ids 1-3, broker and controller candidates), each on a fixed loopback port chosen
 * at start so that a killed node comes back on its address. A node can be started with extra node
 * flags (`--cpu-prof`, `--import` of the trace hooks). Every process and data directory started
 * here is removed by `dispose()`, and when the bench process exits or is interrupted.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { AdminClient, BrokerConnections, type BrokerEndpoint } from "../../src/client/index.js";
import { EtcdCluster, freePorts } from "../../test/helpers/etcd-process.js";

export const NODE_IDS = [1, 2, 3] as const;

const READY_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 15_000;
const STDERR_KEPT = 64 * 1024;

const live = new Set<BrookNode>();
process.on("exit", () => {
  for (const n of live) n.disposeSync();
});
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    for (const n of live) n.disposeSync();
    process.kill(process.pid, signal);
  });
}

/** Clock ticks per second of /proc/<pid>/stat (CLK_TCK; 100 on Linux x86). */
const TICKS_PER_SECOND = 100;

/** utime and stime of a process (all its threads) in ms, from /proc; NaN when it is gone. */
export function processCpu(pid: number | undefined): { user: number; sys: number } {
  if (pid === undefined) return { user: Number.NaN, sys: Number.NaN };
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return {
      user: (Number(fields[11]) * 1000) / TICKS_PER_SECOND,
      sys: (Number(fields[12]) * 1000) / TICKS_PER_SECOND,
    };
  } catch {
    return { user: Number.NaN, sys: Number.NaN };
  }
}

/** utime + stime of a process in ms; NaN when it is gone. */
export function processCpuMs(pid: number | undefined): number {
  const c = processCpu(pid);
  return c.user + c.sys;
}

/** One Brook process and its data directory; restart() starts a new process on the same port and data. */
export class BrookNode {
  readonly id: number;
  readonly port: number;
  readonly dataDir: string;
  private readonly main: string;
  private readonly props: Record<string, string>;
  private child: ChildProcess | null = null;
  private exited: Promise<void> = Promise.resolve();
  stderr = "";
  /** stdout after the ready line, when `captureStdout` is set (--trace-gc output). */
  stdout = "";
  captureStdout = false;

  constructor(options: {
    id: number;
    port: number;
    dataDir: string;
    main: string;
    props: Record<string, string>;
  }) {
    this.id = options.id;
    this.port = options.port;
    this.dataDir = options.dataDir;
    this.main = options.main;
    this.props = options.props;
    live.add(this);
  }

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  get endpoint(): BrokerEndpoint {
    return { host: "127.0.0.1", port: this.port };
  }

  get alive(): boolean {
    return this.child !== null && this.child.exitCode === null && this.child.signalCode === null;
  }

  get pid(): number | undefined {
    return this.alive ? this.child?.pid : undefined;
  }

  cpuMs(): number {
    return processCpuMs(this.pid);
  }

  cpu(): { user: number; sys: number } {
    return processCpu(this.pid);
  }

  /** Starts the process (again) and resolves on its `brook ready` line. */
  start(nodeFlags: readonly string[] = [], env: Record<string, string> = {}): Promise<void> {
    if (this.alive) throw new Error(`node ${this.id} runs already`);
    mkdirSync(this.dataDir, { recursive: true });
    const args = [...nodeFlags, this.main, "server", "start"];
    for (const [k, v] of Object.entries(this.props)) args.push("--override", `${k}=${v}`);
    const child = spawn(process.execPath, args, {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, BROOK_LOG_LEVEL: "info", ...env },
    });
    this.child = child;
    this.exited = new Promise((resolve) => child.once("exit", () => resolve()));
    child.stderr?.setEncoding("utf8");
    child.stderr?.on("data", (c: string) => {
      this.stderr = (this.stderr + c).slice(-STDERR_KEPT);
    });
    return new Promise((resolve, reject) => {
      let out = "";
      let ready = false;
      const timer = setTimeout(() => {
        child.kill("SIGKILL");
        reject(new Error(`node ${this.id} not ready within ${READY_TIMEOUT_MS} ms:\n${this.stderr}`));
      }, READY_TIMEOUT_MS);
      child.stdout?.setEncoding("utf8");
      child.stdout?.on("data", (c: string) => {
        if (ready) {
          if (this.captureStdout) this.stdout = (this.stdout + c).slice(-4 * STDERR_KEPT);
          return;
        }
        out += c;
        if (!out.includes("brook ready ")) return;
        ready = true;
        clearTimeout(timer);
        resolve();
      });
      child.once("exit", (code, signal) => {
        clearTimeout(timer);
        if (!ready)
          reject(new Error(`node ${this.id} exited (${code ?? signal}) before ready:\n${this.stderr}`));
      });
    });
  }

  /** SIGKILL; resolves once the process is gone. */
  async kill(): Promise<void> {
    if (!this.alive) return;
    this.child?.kill("SIGKILL");
    await this.exited;
  }

  /** SIGTERM (a clean stop, which writes a --cpu-prof profile), SIGKILL after a timeout. */
  async stop(): Promise<void> {
    if (!this.alive) return;
    const child = this.child as ChildProcess;
    const timer = setTimeout(() => child.kill("SIGKILL"), STOP_TIMEOUT_MS);
    child.kill("SIGTERM");
    await this.exited;
    clearTimeout(timer);
  }

  disposeSync(): void {
    if (this.alive) this.child?.kill("SIGKILL");
    rmSync(this.dataDir, { recursive: true, force: true });
    live.delete(this);
  }

  async dispose(): Promise<void> {
    await this.kill();
    this.disposeSync();
  }
}

export interface ClusterOptions {
  /** A directory of this run: etcd's and the nodes' data go under it (removed by dispose). */
  dir: string;
  sessionTimeoutMs: number;
  /** More server.properties keys for every node. */
  overrides?: Record<string, string>;
  /** Node flags per node id (e.g. --cpu-prof for the leader). */
  nodeFlags?: (id: number) => readonly string[];
  /** More environment per node id (the trace hooks' BROOK_TRACE_DIR). */
  env?: (id: number) => Record<string, string>;
  /** The compiled broker, dist/src/cli/main.js. */
  main: string;
}

export class BenchCluster {
  readonly etcd: EtcdCluster;
  readonly nodes: Map<number, BrookNode>;
  readonly sessionTimeoutMs: number;
  /** For the bench's own raw requests (ListOffsets, probes). */
  readonly connections = new BrokerConnections({
    clientId: "brook-bench-replication",
    requestTimeoutMs: 5000,
  });
  private readonly admins = new Set<AdminClient>();

  private constructor(etcd: EtcdCluster, nodes: Map<number, BrookNode>, sessionTimeoutMs: number) {
    this.etcd = etcd;
    this.nodes = nodes;
    this.sessionTimeoutMs = sessionTimeoutMs;
  }

  static async start(options: ClusterOptions): Promise<BenchCluster> {
    if (!existsSync(options.main))
      throw new Error(`${options.main} is missing: build first (npx tsc -p tsconfig.json)`);
    mkdirSync(options.dir, { recursive: true });
    // One local member with its data on disk, as a user's local etcd.
    const etcd = await EtcdCluster.start({ members: 1, dataRoot: options.dir });
    const ports = await freePorts(NODE_IDS.length);
    const nodes = new Map<number, BrookNode>();
    const cluster = new BenchCluster(etcd, nodes, options.sessionTimeoutMs);
    try {
      for (const [i, id] of NODE_IDS.entries()) {
        const port = ports[i] as number;
        const listener = `PLAINTEXT://127.0.0.1:${port}`;
        const dataDir = join(options.dir, `node-${id}`);
        nodes.set(
          id,
          new BrookNode({
            id,
            port,
            dataDir,
            main: options.main,
            props: {
              "node.id": String(id),
              "process.roles": "broker,controller",
              listeners: listener,
              "advertised.listeners": listener,
              "controller.quorum.voters": "",
              "controller.listener.names": "",
              "log.dirs": dataDir,
              "etcd.connect": etcd.endpoints.join(","),
              "etcd.session.timeout.ms": String(options.sessionTimeoutMs),
              "num.partitions": "1",
              "default.replication.factor": "1",
              "offsets.topic.num.partitions": "5",
              "group.initial.rebalance.delay.ms": "0",
              "console.enable": "false",
              "schema.registry.enable": "false",
              "rest.proxy.enable": "false",
              ...options.overrides,
            },
          }),
        );
      }
      // One at a time: the first node's election settles before the next joins.
      for (const id of NODE_IDS)
        await cluster.node(id).start(options.nodeFlags?.(id) ?? [], options.env?.(id) ?? {});
      await cluster.waitHealthy(30_000);
    } catch (error) {
      await cluster.dispose();
      throw error;
    }
    return cluster;
  }

  node(id: number): BrookNode {
    const n = this.nodes.get(id);
    if (n === undefined) throw new Error(`no node ${id}`);
    return n;
  }

  alive(): number[] {
    return [...this.nodes.values()].filter((n) => n.alive).map((n) => n.id);
  }

  bootstrap(ids: readonly number[] = this.alive()): string {
    return ids.map((id) => this.node(id).address).join(",");
  }

  /** utime + stime of every live node, ms. */
  cpuMs(): Record<number, number> {
    const out: Record<number, number> = {};
    for (const n of this.nodes.values()) out[n.id] = n.cpuMs();
    return out;
  }

  etcdCpuMs(): number {
    return processCpuMs(this.etcd.pid(0));
  }

  admin(ids: readonly number[] = this.alive(), timeoutMs = 15_000): AdminClient {
    const admin = new AdminClient({
      bootstrap: ids.map((id) => this.node(id).address),
      timeoutMs,
      retryBackoffMs: 20,
      connectTimeoutMs: 2000,
    });
    this.admins.add(admin);
    return admin;
  }

  /**
   * Waits until every live node answers Metadata listing every live node as a broker and the same
   * live controller; returns the controller's id.
   */
  async waitHealthy(timeoutMs: number): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    let last = "";
    for (;;) {
      const alive = this.alive();
      const admins = alive.map(
        (id) =>
          new AdminClient({ bootstrap: this.node(id).address, timeoutMs: 2000, connectTimeoutMs: 1000 }),
      );
      try {
        const answers = await Promise.all(admins.map((a) => a.metadata([])));
        const controllers = new Set(answers.map((m) => m.controllerId));
        const expected = [...alive].sort((a, b) => a - b).join(",");
        const brokerSets = answers.map((m) =>
          m.brokers
            .map((b) => b.nodeId)
            .sort((a, b) => a - b)
            .join(","),
        );
        const controller = answers[0]?.controllerId ?? -1;
        if (controllers.size === 1 && alive.includes(controller) && brokerSets.every((s) => s === expected))
          return controller;
        last = `controllers ${[...controllers].join("/")}, brokers ${brokerSets.join(" | ")}`;
      } catch (error) {
        last = String(error);
      } finally {
        for (const a of admins) a.close();
      }
      if (Date.now() > deadline) throw new Error(`cluster not healthy within ${timeoutMs} ms: ${last}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  logs(): string {
    return [...this.nodes.values()]
      .map((n) => `===== node ${n.id} =====\n${n.stderr.slice(-20_000)}`)
      .join("\n");
  }

  async dispose(): Promise<void> {
    for (const a of this.admins) a.close();
    this.admins.clear();
    this.connections.close();
    await Promise.all([...this.nodes.values()].map((n) => n.dispose()));
    await this.etcd.dispose();
  }
}
