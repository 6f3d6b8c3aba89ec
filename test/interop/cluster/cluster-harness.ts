import { AdminClient, type ClusterMetadata } from "../../../src/client/index.js";
import { EtcdCluster, freePorts } from "../../helpers/etcd-process.js";
import { waitFor } from "../../helpers/wait-for.js";
import { BrokerProcess } from "../broker-process.js";

/**
 * A Brook cluster of real processes for the interop tests: a 3-member etcd cluster (the metadata
 * quorum) and three `brook server start` processes, node ids 1-3, each broker and controller
 * candidate, on fixed loopback ports chosen at start (so that a restarted node comes back on its
 * address, and clients bootstrapped on it find it again). The defaults make every topic (and
 * __consumer_offsets) replication factor 1, for the tests of the metadata quorum; tests of
 * replication override them (replication-failover.test.ts).
 *
 * Everything started here is killed and removed when the test process exits, as the etcd and
 * broker helpers do for their own processes.
 */

export interface ProcessClusterOptions {
  /** etcd.session.timeout.ms of every node; default 2000 (failover within ~2 s). */
  sessionTimeoutMs?: number;
  /** More server.properties keys for every node. */
  overrides?: Record<string, string>;
  /** etcd members; default 3. */
  etcdMembers?: number;
}

export const NODE_IDS: readonly number[] = [1, 2, 3];

export class ProcessCluster {
  readonly etcd: EtcdCluster;
  readonly sessionTimeoutMs: number;
  private readonly nodes: Map<number, BrokerProcess>;
  private readonly ports: Map<number, number>;
  private readonly admins = new Set<AdminClient>();

  private constructor(
    etcd: EtcdCluster,
    sessionTimeoutMs: number,
    nodes: Map<number, BrokerProcess>,
    ports: Map<number, number>,
  ) {
    this.etcd = etcd;
    this.sessionTimeoutMs = sessionTimeoutMs;
    this.nodes = nodes;
    this.ports = ports;
  }

  /** Starts etcd, then the three nodes together; resolves once each printed its ready line (unfenced). */
  static async start(options: ProcessClusterOptions = {}): Promise<ProcessCluster> {
    const sessionTimeoutMs = options.sessionTimeoutMs ?? 2000;
    const etcd = await EtcdCluster.start({ members: options.etcdMembers ?? 3 });
    const ports = new Map<number, number>();
    const nodes = new Map<number, BrokerProcess>();
    try {
      const free = await freePorts(NODE_IDS.length);
      for (const [i, id] of NODE_IDS.entries()) ports.set(id, free[i] as number);
      const started = await Promise.allSettled(
        NODE_IDS.map(async (id) => {
          const listener = `PLAINTEXT://127.0.0.1:${ports.get(id)}`;
          const broker = await BrokerProcess.start({
            overrides: {
              "node.id": String(id),
              "process.roles": "broker,controller",
              listeners: listener,
              "advertised.listeners": listener,
              // The quorum is etcd: no KRaft voters (BrokerProcess's single-node default names node 1).
              "controller.quorum.voters": "",
              "controller.listener.names": "",
              "etcd.connect": etcd.endpoints.join(","),
              "etcd.session.timeout.ms": String(sessionTimeoutMs),
              "offsets.topic.replication.factor": "1",
              "default.replication.factor": "1",
              "transaction.state.log.replication.factor": "1",
              "transaction.state.log.min.isr": "1",
              "min.insync.replicas": "1",
              "schema.registry.enable": "false",
              "console.enable": "false",
              ...options.overrides,
            },
          });
          nodes.set(id, broker);
        }),
      );
      const failed = started.find((s) => s.status === "rejected");
      if (failed !== undefined) throw (failed as PromiseRejectedResult).reason;
    } catch (error) {
      await Promise.all([...nodes.values()].map((n) => n.dispose()));
      await etcd.dispose();
      throw error;
    }
    return new ProcessCluster(etcd, sessionTimeoutMs, nodes, ports);
  }

  node(id: number): BrokerProcess {
    const node = this.nodes.get(id);
    if (node === undefined) throw new Error(`no node ${id}`);
    return node;
  }

  /** host:port of a node; the same across its restarts. */
  address(id: number): string {
    return `127.0.0.1:${this.ports.get(id)}`;
  }

  /** Every node's address, comma-separated. */
  get bootstrap(): string {
    return NODE_IDS.map((id) => this.address(id)).join(",");
  }

  /** Ids of the nodes whose process runs. */
  liveIds(): number[] {
    return NODE_IDS.filter((id) => this.node(id).alive);
  }

  /** An AdminClient bootstrapped on these nodes only; closed by dispose(). */
  admin(ids: number | readonly number[], options: { timeoutMs?: number; requestTimeoutMs?: number } = {}) {
    const list = typeof ids === "number" ? [ids] : ids;
    const admin = new AdminClient({
      bootstrap: list.map((id) => this.address(id)),
      timeoutMs: options.timeoutMs ?? 15_000,
      ...(options.requestTimeoutMs === undefined ? {} : { requestTimeoutMs: options.requestTimeoutMs }),
      connectTimeoutMs: 2_000,
    });
    this.admins.add(admin);
    return admin;
  }

  /**
   * What this one node answers to Metadata (a connection of its own, never another node's
   * answer): `topics` absent for none, null for all.
   */
  async metadataFrom(id: number, topics: readonly string[] | null = [], timeoutMs = 3_000) {
    const admin = new AdminClient({
      bootstrap: this.address(id),
      timeoutMs,
      connectTimeoutMs: Math.min(timeoutMs, 2_000),
    });
    try {
      return await admin.metadata(topics, { timeoutMs });
    } finally {
      admin.close();
    }
  }

  /** The controller every live node names (-1 while they disagree or none is named). */
  async agreedController(): Promise<number> {
    const answers = await Promise.all(this.liveIds().map((id) => this.metadataFrom(id)));
    const ids = new Set(answers.map((m) => m.controllerId));
    const [only] = ids;
    return ids.size === 1 && only !== undefined ? only : -1;
  }

  /** Waits until every live node names the same live controller; returns its id. */
  waitForController(timeoutMs = 15_000): Promise<number> {
    return waitFor(
      "the live nodes to agree on a live controller",
      async () => {
        const id = await this.agreedController();
        return id !== -1 && this.liveIds().includes(id) ? id : undefined;
      },
      timeoutMs,
    );
  }

  /** Waits until `viaId` lists exactly these brokers in Metadata (sorted ids). */
  waitForBrokers(viaId: number, expected: readonly number[], timeoutMs: number): Promise<ClusterMetadata> {
    const want = [...expected].sort((a, b) => a - b).join(",");
    return waitFor(
      `node ${viaId} to list brokers [${want}]`,
      async () => {
        const md = await this.metadataFrom(viaId);
        const ids = md.brokers.map((b) => b.nodeId).sort((a, b) => a - b);
        return ids.join(",") === want ? md : undefined;
      },
      timeoutMs,
    );
  }

  /** Brokers' stderr, for failure messages. */
  logs(): string {
    return NODE_IDS.map((id) => `===== node ${id} =====\n${this.node(id).allStderr.slice(-30_000)}`).join(
      "\n",
    );
  }

  async dispose(): Promise<void> {
    for (const admin of this.admins) admin.close();
    this.admins.clear();
    await Promise.all([...this.nodes.values()].map((n) => n.dispose()));
    await this.etcd.dispose();
  }
}

export { sleep, waitFor } from "../../helpers/wait-for.js";
