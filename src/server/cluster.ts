import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  createLogger,
  type Logger,
  type LogLevel,
  silentLogger,
  systemClock,
  systemTimers,
} from "../base/index.js";
import { parseBrokerConfig, type SharedMetadataStore } from "../broker/index.js";
import { type KvStore, MemoryKvCore, MemoryKvStore } from "../metadata/index.js";
import { type BrookServer, startServer } from "./server.js";

export interface StartClusterOptions {
  /** Number of nodes, each broker and controller candidate (node ids 1..n). Default 3. */
  nodes?: number;
  host?: string;
  /**
   * `host:port[,host:port...][/chroot]` of an etcd cluster to keep the metadata in (as
   * etcd.connect). Default: a store in this process shared by the nodes.
   */
  etcd?: string;
  /**
   * Serve the web console and /metrics on every node (on a free port of `host`; see each node's
   * `consoleUrl`). Off by default; `console.*` properties win over it.
   */
  console?: boolean;
  /**
   * Serve the Schema Registry on every node (on a free port of `host`, kept across restarts; see
   * each node's `registryUrl`): reads from the node's replica of `_schemas`, writes forwarded to
   * the node that leads it. Off by default; `schema.registry.*` properties win over it.
   */
  registry?: boolean;
  /**
   * Serve Confluent's REST Proxy API on every node (on a free port of `host`; see each node's
   * `restProxyUrl`): each node's proxy is a client of the whole cluster through its own listener.
   * Off by default; `rest.proxy.*` properties win over it.
   */
  restProxy?: boolean;
  /** server.properties keys for every node. */
  properties?: Record<string, string>;
  /** Keys for one node, by node id. */
  nodeProperties?: Record<number, Record<string, string>>;
  /** Where the nodes' data directories go (node-<id>/); default a new temporary directory, removed by stop(). */
  dataDir?: string;
  logLevel?: LogLevel | "silent";
}

export interface BrookCluster {
  /** host:port of every node, comma-separated: a bootstrap list for clients. */
  readonly bootstrap: string;
  readonly nodeIds: readonly number[];
  /** The running node with this id, or undefined while it is stopped. */
  node(id: number): BrookServer | undefined;
  /** Stops a node cleanly (controlled shutdown: its leaderships move first). */
  stopNode(id: number): Promise<void>;
  /**
   * Stops a node as a crash would, for the cluster: no controlled shutdown, its session is left
   * to expire in the metadata store (etcd.session.timeout.ms); its console stops listening.
   */
  killNode(id: number): Promise<void>;
  /** Starts a stopped node again, on its data directory and port. */
  startNode(id: number): Promise<BrookServer>;
  stop(): Promise<void>;
}

/**
 * Starts a Brook cluster inside the calling process: several nodes on free ports, sharing a
 * metadata store (in memory, or the etcd cluster given), each with its own data directory. For
 * test suites that need failover without processes:
 *
 *   const cluster = await startCluster({ nodes: 3 });
 *   await cluster.killNode(1); // the others take over its leaderships
 *   await cluster.stop();
 */
export async function startCluster(options: StartClusterOptions = {}): Promise<BrookCluster> {
  const count = options.nodes ?? 3;
  const host = options.host ?? "127.0.0.1";
  const ownsDir = options.dataDir === undefined;
  const root = options.dataDir ?? mkdtempSync(join(tmpdir(), "brook-cluster-"));
  const level = options.logLevel ?? "silent";
  const core = options.etcd === undefined ? new MemoryKvCore(systemClock, systemTimers) : null;
  const ids = Array.from({ length: count }, (_, i) => i + 1);
  const ports = new Map<number, number>();
  const registryPorts = new Map<number, number>();
  const running = new Map<number, { server: BrookServer; store: KvStore | null }>();

  const start = async (id: number): Promise<BrookServer> => {
    const dataDir = join(root, `node-${id}`);
    mkdirSync(dataDir, { recursive: true });
    const port = ports.get(id) ?? 0;
    const props = new Map<string, string>([
      ["node.id", String(id)],
      ["process.roles", "broker,controller"],
      ["listeners", `PLAINTEXT://${host}:${port}`],
      ["advertised.listeners", `PLAINTEXT://${host}:${port}`],
      ["log.dirs", dataDir],
      ["group.initial.rebalance.delay.ms", "0"],
      ["console.enable", String(options.console ?? false)],
      ["console.listeners", `http://${host}:0`],
      ["schema.registry.enable", String(options.registry ?? false)],
      ["schema.registry.listeners", `http://${host}:${registryPorts.get(id) ?? 0}`],
      ["rest.proxy.enable", String(options.restProxy ?? false)],
      ["rest.proxy.listeners", `http://${host}:0`],
      ...Object.entries(options.properties ?? {}),
      ...Object.entries(options.nodeProperties?.[id] ?? {}),
    ]);
    if (options.etcd !== undefined) props.set("etcd.connect", options.etcd);
    const log: Logger = level === "silent" ? silentLogger : createLogger({ level, component: `node ${id}` });
    const store = core === null ? null : new MemoryKvStore(core, systemTimers);
    const shared: SharedMetadataStore | undefined = store === null ? undefined : { store, prefix: "/brook/" };
    const server = await startServer(
      parseBrokerConfig(props),
      log,
      shared === undefined ? {} : { metadataStore: shared },
    );
    ports.set(id, server.port);
    if (server.registryUrl !== null) registryPorts.set(id, Number(new URL(server.registryUrl).port));
    running.set(id, { server, store });
    return server;
  };

  try {
    // One at a time: the first node's election settles before the next joins (faster, and the
    // same on every run).
    for (const id of ids) await start(id);
  } catch (error) {
    await Promise.all([...running.values()].map((n) => n.server.kill()));
    if (ownsDir) rmSync(root, { recursive: true, force: true });
    throw error;
  }

  const take = (id: number) => {
    const node = running.get(id);
    if (node === undefined) throw new Error(`node ${id} is not running`);
    running.delete(id);
    return node;
  };

  return {
    bootstrap: ids.map((id) => `${host}:${ports.get(id)}`).join(","),
    nodeIds: ids,
    node: (id) => running.get(id)?.server,
    stopNode: async (id) => {
      await take(id).server.stop();
    },
    killNode: async (id) => {
      await take(id).server.kill();
    },
    startNode: async (id) => {
      if (running.has(id)) throw new Error(`node ${id} is running`);
      return start(id);
    },
    stop: async () => {
      // Clean stops one at a time, so that each controlled shutdown finds a controller.
      for (const id of [...running.keys()]) await take(id).server.stop();
      if (ownsDir) rmSync(root, { recursive: true, force: true });
    },
  };
}
