/**
 * Parts 1 (iii) and 2 of the metadata benchmark: real Brook processes (`node dist/src/cli/main.js
 * server start`, test/interop/broker-process.ts) on real etcd members
 * (test/helpers/etcd-process.ts), driven through Brook's AdminClient (the Kafka protocol).
 *
 * (iii) CreateTopics (1 partition, RF 1), closed loop, against a 3-node cluster on a 3-member etcd
 *       and against a single node (embedded metadata log, fsynced per append), interleaved by
 *       round: single x1, single x16, cluster x1 to the controller, cluster x1 to a
 *       non-controller (forwarded), cluster x16 (creators spread over the three nodes).
 * 2.    Failover: SIGKILL the active controller, time (a) until a survivor's Metadata names a new
 *       controller and (b) until a CreateTopics sent to the survivors (retried every 20 ms) is
 *       acknowledged; SIGKILL a non-controller broker, time until it is gone from the survivors'
 *       Metadata. The bench also watches etcd itself, to split each time into "the lease
 *       expired" (the key's delete event) and what Brook took after it.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AdminClient, type ClusterMetadata, type NewTopic } from "../../src/client/index.js";
import { EtcdKvStore, type KvWatch } from "../../src/metadata/index.js";
import { ErrorCode, randomUuid } from "../../src/protocol/index.js";
import { LogManager, logConfig } from "../../src/storage/index.js";
import { EtcdCluster } from "../../test/helpers/etcd-process.js";
import { BrokerProcess } from "../../test/interop/broker-process.js";
import { nowMs, processCpuMs, selfCpuMs, sleep } from "./stats.js";

const PREFIX = "/brook/";

export interface CreateCaseRun {
  ops: number;
  seconds: number;
  latenciesMs: number[];
  failures: number;
  /** CPU of the Brook processes and of the etcd members during the window, ms. */
  brookCpuMs: number;
  etcdCpuMs: number;
  clientCpuMs: number;
  /** Topics in the cluster at the end of the run. */
  topicsAfter: number;
}

export interface CreateCaseResult {
  id: string;
  description: string;
  creators: number;
  runs: CreateCaseRun[];
}

export interface FailoverRep {
  /** SIGKILL of the controller to: its `controller` key deleted in etcd (lease expiry). */
  controllerKeyGoneMs: number;
  /** ... to a new `controller` key written (the election's transaction). */
  electedInEtcdMs: number;
  /** ... to the first Metadata answer from a survivor naming a new controller. */
  newControllerInMetadataMs: number;
  /** ... to the first acknowledged CreateTopics. */
  firstCreateMs: number;
  /** Metadata requests the pollers sent meanwhile (every ~10 ms to each survivor). */
  metadataPolls: number;
}

export interface BrokerLossRep {
  /** SIGKILL of a non-controller broker to: its session key deleted in etcd (lease expiry). */
  sessionKeyGoneMs: number;
  /** ... to the first survivor's Metadata without it. */
  goneFromMetadataMs: number;
  /** ... to every survivor's Metadata without it. */
  goneEverywhereMs: number;
}

export interface FailoverResult {
  sessionTimeoutMs: number;
  controller: FailoverRep[];
  broker: BrokerLossRep[];
}

/** Three Brook nodes (ids 1..3, broker and controller candidates) on one etcd cluster. */
class BrookCluster {
  readonly etcd: EtcdCluster;
  readonly nodes = new Map<number, BrokerProcess>();
  private readonly sessionTimeoutMs: number;

  private constructor(etcd: EtcdCluster, sessionTimeoutMs: number) {
    this.etcd = etcd;
    this.sessionTimeoutMs = sessionTimeoutMs;
  }

  static async start(options: {
    etcdRoot: string;
    sessionTimeoutMs: number;
    nodes: number;
  }): Promise<BrookCluster> {
    const etcd = await EtcdCluster.start({ members: 3, dataRoot: options.etcdRoot });
    const cluster = new BrookCluster(etcd, options.sessionTimeoutMs);
    try {
      // One at a time, as startCluster does: the first node's election settles before the next joins.
      for (let id = 1; id <= options.nodes; id++) {
        cluster.nodes.set(id, await BrokerProcess.start({ overrides: cluster.overrides(id) }));
      }
      await cluster.waitHealthy(20_000);
    } catch (error) {
      await cluster.dispose();
      throw error;
    }
    return cluster;
  }

  private overrides(id: number): Record<string, string> {
    return {
      "node.id": String(id),
      "process.roles": "broker,controller",
      "etcd.connect": this.etcd.endpoints.join(","),
      "etcd.session.timeout.ms": String(this.sessionTimeoutMs),
      // The controller role comes from etcd's election, not from a KRaft voter set.
      "controller.quorum.voters": "",
      "num.partitions": "1",
      "default.replication.factor": "1",
    };
  }

  node(id: number): BrokerProcess {
    const node = this.nodes.get(id);
    if (node === undefined) throw new Error(`no node ${id}`);
    return node;
  }

  alive(): number[] {
    return [...this.nodes].filter(([, n]) => n.alive).map(([id]) => id);
  }

  brookCpuMs(): number {
    return [...this.nodes.values()].reduce((sum, n) => sum + (n.alive ? processCpuMs(n.pid) : 0), 0);
  }

  etcdCpuMs(): number {
    return this.etcd.members.reduce((sum, _, i) => sum + processCpuMs(this.etcd.pid(i)), 0);
  }

  /**
   * Waits until every live node answers Metadata with every live node as a broker and the same
   * live controller; returns the controller's id.
   */
  async waitHealthy(timeoutMs: number): Promise<number> {
    const deadline = nowMs() + timeoutMs;
    let last = "";
    for (;;) {
      const alive = this.alive();
      try {
        const answers = await Promise.all(alive.map((id) => metadataOnce(this.node(id).bootstrap, 2000)));
        const controllers = new Set(answers.map((m) => m.controllerId));
        const brokerSets = answers.map((m) =>
          m.brokers
            .map((b) => b.nodeId)
            .sort((a, b) => a - b)
            .join(","),
        );
        const expected = [...alive].sort((a, b) => a - b).join(",");
        const controller = answers[0]?.controllerId ?? -1;
        if (controllers.size === 1 && alive.includes(controller) && brokerSets.every((s) => s === expected))
          return controller;
        last = `controllers ${[...controllers].join("/")}, brokers ${brokerSets.join(" | ")}, expected ${expected}`;
      } catch (error) {
        last = String(error);
      }
      if (nowMs() > deadline) throw new Error(`cluster not healthy within ${timeoutMs} ms: ${last}`);
      await sleep(50);
    }
  }

  async dispose(): Promise<void> {
    await Promise.all([...this.nodes.values()].map((n) => n.dispose()));
    await this.etcd.dispose();
  }
}

/** One Metadata request (no topics) to one broker, on a connection of its own. */
async function metadataOnce(bootstrap: string, timeoutMs: number): Promise<ClusterMetadata> {
  const admin = new AdminClient({ bootstrap, timeoutMs, retryBackoffMs: 20 });
  try {
    return await admin.metadata([]);
  } finally {
    admin.close();
  }
}

/** A closed-loop CreateTopics run: `bootstraps[i % n]` for creator i, each with a client of its own. */
async function createLoop(options: {
  bootstraps: readonly string[];
  creators: number;
  warmupMs: number;
  windowMs: number;
  topic: () => NewTopic;
  cpu: () => { brook: number; etcd: number };
}): Promise<Omit<CreateCaseRun, "topicsAfter">> {
  const admins = Array.from(
    { length: options.creators },
    (_, i) =>
      new AdminClient({
        bootstrap: options.bootstraps[i % options.bootstraps.length] as string,
        timeoutMs: 30_000,
      }),
  );
  try {
    // Connect (and negotiate versions) before timing.
    await Promise.all(admins.map((a) => a.metadata([])));
    const start = nowMs();
    const from = start + options.warmupMs;
    const end = from + options.windowMs;
    const latenciesMs: number[] = [];
    let failures = 0;
    let cpu0 = { brook: 0, etcd: 0 };
    let cpu1 = { brook: 0, etcd: 0 };
    let self0 = 0;
    let self1 = 0;
    let startedWindow = false;
    let endedWindow = false;
    const windowStart = () => {
      if (startedWindow) return;
      startedWindow = true;
      cpu0 = options.cpu();
      self0 = selfCpuMs();
    };
    const windowEnd = () => {
      if (endedWindow) return;
      windowStart();
      endedWindow = true;
      cpu1 = options.cpu();
      self1 = selfCpuMs();
    };
    const t1 = setTimeout(windowStart, options.warmupMs);
    const t2 = setTimeout(windowEnd, options.warmupMs + options.windowMs);
    await Promise.all(
      admins.map(async (admin) => {
        for (;;) {
          const t0 = nowMs();
          if (t0 >= end) return;
          const [result] = await admin.createTopics([options.topic()]);
          const done = nowMs();
          if (result?.errorCode !== ErrorCode.NONE) {
            failures++;
            continue;
          }
          if (t0 >= from && done <= end) latenciesMs.push(done - t0);
        }
      }),
    );
    clearTimeout(t1);
    clearTimeout(t2);
    windowEnd();
    return {
      ops: latenciesMs.length,
      seconds: options.windowMs / 1000,
      latenciesMs,
      failures,
      brookCpuMs: cpu1.brook - cpu0.brook,
      etcdCpuMs: cpu1.etcd - cpu0.etcd,
      clientCpuMs: self1 - self0,
    };
  } finally {
    for (const a of admins) a.close();
  }
}

export async function runCreateTopicsSuite(options: {
  etcdRoot: string;
  rounds: number;
  caseMs: number;
  warmupMs: number;
  creators: number;
  log: (line: string) => void;
}): Promise<{ cases: CreateCaseResult[]; controllerId: number }> {
  options.log("# CreateTopics end to end: 3 Brook nodes on a 3-member etcd (disk), and a single node");
  const cluster = await BrookCluster.start({ etcdRoot: options.etcdRoot, sessionTimeoutMs: 9000, nodes: 3 });
  let single: BrokerProcess | null = null;
  let scratch: { dir: string; logs: LogManager } | null = null;
  try {
    single = await BrokerProcess.start({ overrides: { "num.partitions": "1" } });
    const singleNode = single;
    const controllerId = await cluster.waitHealthy(10_000);
    const others = cluster.alive().filter((id) => id !== controllerId);
    const forwardedTo = others[0] as number;
    const third = others[1] as number;
    let seq = 0;
    const name = () => `ct-${String(seq++).padStart(7, "0")}`;
    const placed = (): NewTopic => ({ name: name(), numPartitions: 1, replicationFactor: 1 });
    const on = (id: number) => (): NewTopic => ({ name: name(), assignments: [[id]] });
    let clusterTopics = 0;
    let singleTopics = 0;
    const clusterCpu = () => ({ brook: cluster.brookCpuMs(), etcd: cluster.etcdCpuMs() });
    const singleCpu = () => ({ brook: processCpuMs(singleNode.pid), etcd: 0 });
    const creators = options.creators;
    const windowMs = options.caseMs;
    const warmupMs = options.warmupMs;
    const onSingle = async (n: number) => {
      const r = await createLoop({
        warmupMs,
        windowMs,
        bootstraps: [singleNode.bootstrap],
        creators: n,
        topic: placed,
        cpu: singleCpu,
      });
      singleTopics += r.ops + r.failures;
      return { ...r, topicsAfter: singleTopics };
    };
    const onCluster = async (to: readonly number[], n: number, topic: () => NewTopic) => {
      const bootstraps = to.map((id) => cluster.node(id).bootstrap);
      const r = await createLoop({ warmupMs, windowMs, bootstraps, creators: n, topic, cpu: clusterCpu });
      clusterTopics += r.ops + r.failures;
      return { ...r, topicsAfter: clusterTopics };
    };
    const logScratch = mkdtempSync(join(tmpdir(), "brook-bench-logs-"));
    // Also on an interrupt (the helpers' signal handlers end the process through its exit).
    const removeScratch = () => rmSync(logScratch, { recursive: true, force: true });
    process.once("exit", removeScratch);
    const logs = await LogManager.open({
      logDirs: [logScratch],
      defaults: logConfig(),
      cleanerEnabled: false,
    });
    scratch = { dir: logScratch, logs };
    const cases: (CreateCaseResult & { run: () => Promise<CreateCaseRun> })[] = [
      {
        id: "new partition log",
        description: `no Kafka request: LogManager.getOrCreateLog of a new partition in this process, in ${tmpdir()} (the file system of the Brook nodes' data): the directory, partition.metadata written atomically, the fsyncs. What the partition's leader does for every new topic, synchronously`,
        creators: 1,
        runs: [],
        run: async () => {
          const latenciesMs: number[] = [];
          const end = nowMs() + Math.min(windowMs, 500);
          while (nowMs() < end) {
            const t0 = nowMs();
            logs.getOrCreateLog({ topic: name(), partition: 0 }, undefined, randomUuid());
            latenciesMs.push(nowMs() - t0);
          }
          const seconds = Math.min(windowMs, 500) / 1000;
          return {
            ops: latenciesMs.length,
            seconds,
            latenciesMs,
            failures: 0,
            brookCpuMs: Number.NaN,
            etcdCpuMs: Number.NaN,
            clientCpuMs: Number.NaN,
            topicsAfter: logs.allLogs().length,
          };
        },
      },
      {
        id: "single x1",
        description: "single node (embedded metadata log on disk, fsync per append), 1 creator",
        creators: 1,
        runs: [],
        run: () => onSingle(1),
      },
      {
        id: `single x${creators}`,
        description: `single node, ${creators} concurrent creators`,
        creators,
        runs: [],
        run: () => onSingle(creators),
      },
      {
        id: "cluster x1 ctl, on ctl",
        description: `3 nodes on etcd, 1 creator sending to the active controller (node ${controllerId}), the partition placed on the controller's node (assignments)`,
        creators: 1,
        runs: [],
        run: () => onCluster([controllerId], 1, on(controllerId)),
      },
      {
        id: "cluster x1 ctl, elsewhere",
        description: `the same, the partition placed on another node (${forwardedTo})`,
        creators: 1,
        runs: [],
        run: () => onCluster([controllerId], 1, on(forwardedTo)),
      },
      {
        id: "cluster x1 fwd, elsewhere",
        description: `3 nodes on etcd, 1 creator sending to a non-controller (node ${forwardedTo}, which forwards to the controller), the partition placed on the third node (${third})`,
        creators: 1,
        runs: [],
        run: () => onCluster([forwardedTo], 1, on(third)),
      },
      {
        id: `cluster x${creators}`,
        description: `3 nodes on etcd, ${creators} creators spread over the 3 nodes (2/3 forwarded), placement by the controller`,
        creators,
        runs: [],
        run: () => onCluster(cluster.alive(), creators, placed),
      },
    ];
    for (let round = 1; round <= options.rounds; round++) {
      const line: string[] = [];
      for (const c of cases) {
        const run = await c.run();
        c.runs.push(run);
        line.push(
          `${c.id} ${Math.round(run.ops / run.seconds)}/s${run.failures > 0 ? ` (${run.failures} failed)` : ""}`,
        );
      }
      options.log(`  round ${round}: ${line.join(", ")}`);
    }
    if ((await cluster.waitHealthy(5000)) !== controllerId)
      throw new Error("the controller changed during the CreateTopics runs");
    return { cases: cases.map(({ run: _, ...c }) => c), controllerId };
  } finally {
    if (scratch !== null) {
      scratch.logs.closeUncleanly();
      rmSync(scratch.dir, { recursive: true, force: true });
    }
    await single?.dispose();
    await cluster.dispose();
  }
}

/** Timestamps of etcd events under the cluster's prefix, seen by the bench's own etcd client. */
class EtcdEvents {
  private readonly store: EtcdKvStore;
  private watch: KvWatch | null = null;
  readonly events: { at: number; type: "put" | "delete"; key: string }[] = [];

  private constructor(store: EtcdKvStore) {
    this.store = store;
  }

  static async open(endpoints: readonly string[]): Promise<EtcdEvents> {
    const store = await EtcdKvStore.connect({ endpoints, requestTimeoutMs: 5000 });
    const events = new EtcdEvents(store);
    const range = await store.range(`${PREFIX}controller`);
    const keys = [`${PREFIX}controller`, `${PREFIX}brokers/`];
    events.watch = store.watch(PREFIX, range.revision + 1n, {
      events: (list) => {
        const at = nowMs();
        for (const e of list) {
          if (keys.some((k) => e.key === k || (k.endsWith("/") && e.key.startsWith(k))))
            events.events.push({ at, type: e.type, key: e.key.slice(PREFIX.length) });
        }
      },
      failed: () => {},
    });
    return events;
  }

  first(after: number, type: "put" | "delete", key: string): number {
    return this.events.find((e) => e.at >= after && e.type === type && e.key === key)?.at ?? Number.NaN;
  }

  async close(): Promise<void> {
    this.watch?.cancel();
    await this.store.close();
  }
}

export async function runFailoverSuite(options: {
  etcdRoot: string;
  sessionTimeoutsMs: readonly number[];
  reps: number;
  brokerReps: number;
  log: (line: string) => void;
}): Promise<FailoverResult[]> {
  const results: FailoverResult[] = [];
  for (const sessionTimeoutMs of options.sessionTimeoutsMs) {
    options.log(`# failover, etcd.session.timeout.ms=${sessionTimeoutMs}`);
    const cluster = await BrookCluster.start({ etcdRoot: options.etcdRoot, sessionTimeoutMs, nodes: 3 });
    const events = await EtcdEvents.open(cluster.etcd.endpoints);
    const result: FailoverResult = { sessionTimeoutMs, controller: [], broker: [] };
    const limitMs = 4 * sessionTimeoutMs + 20_000;
    try {
      for (let rep = 1; rep <= Math.max(options.reps, options.brokerReps); rep++) {
        if (rep <= options.reps) {
          const r = await killController(cluster, events, rep, limitMs);
          result.controller.push(r);
          options.log(
            `  controller kill ${rep}: lease gone ${r.controllerKeyGoneMs.toFixed(0)} ms, elected ${r.electedInEtcdMs.toFixed(0)} ms, in Metadata ${r.newControllerInMetadataMs.toFixed(0)} ms, first CreateTopics ${r.firstCreateMs.toFixed(0)} ms (${r.metadataPolls} Metadata polls)`,
          );
        }
        if (rep <= options.brokerReps) {
          const r = await killBroker(cluster, events, rep, limitMs);
          result.broker.push(r);
          options.log(
            `  broker kill ${rep}: lease gone ${r.sessionKeyGoneMs.toFixed(0)} ms, out of Metadata ${r.goneFromMetadataMs.toFixed(0)} ms (all survivors ${r.goneEverywhereMs.toFixed(0)} ms)`,
          );
        }
      }
    } finally {
      await events.close();
      await cluster.dispose();
    }
    results.push(result);
  }
  return results;
}

async function killController(
  cluster: BrookCluster,
  events: EtcdEvents,
  rep: number,
  limitMs: number,
): Promise<FailoverRep> {
  const victim = await cluster.waitHealthy(30_000);
  const survivors = cluster.alive().filter((id) => id !== victim);
  const bootstraps = survivors.map((id) => cluster.node(id).bootstrap);
  // Clients connected before the kill, as an application's would be.
  const pollers = bootstraps.map(
    (b) => new AdminClient({ bootstrap: b, timeoutMs: 2000, retryBackoffMs: 20 }),
  );
  const creator = new AdminClient({
    bootstrap: bootstraps,
    timeoutMs: limitMs,
    requestTimeoutMs: 5000,
    retryBackoffMs: 20,
  });
  try {
    await Promise.all([...pollers, creator].map((a) => a.metadata([])));
    const t0 = nowMs();
    const killed = cluster.node(victim).kill();
    let newControllerAt = Number.NaN;
    let polls = 0;
    const deadline = t0 + limitMs;
    const poll = (async () => {
      while (Number.isNaN(newControllerAt) && nowMs() < deadline) {
        await Promise.all(
          pollers.map(async (admin) => {
            try {
              const m = await admin.metadata([]);
              polls++;
              if (m.controllerId !== -1 && m.controllerId !== victim && Number.isNaN(newControllerAt))
                newControllerAt = nowMs();
            } catch {
              // a survivor busy or reconnecting: poll again
            }
          }),
        );
        await sleep(10);
      }
    })();
    const create = (async () => {
      const [result] = await creator.createTopics([
        { name: `failover-${victim}-${rep}-${Date.now()}`, numPartitions: 1, replicationFactor: 1 },
      ]);
      if (result?.errorCode !== ErrorCode.NONE && result?.errorCode !== ErrorCode.TOPIC_ALREADY_EXISTS)
        throw new Error(
          `CreateTopics after the failover: error ${result?.errorCode} ${result?.errorMessage}`,
        );
      return nowMs();
    })();
    const [createdAt] = await Promise.all([create, poll, killed]);
    if (Number.isNaN(newControllerAt)) throw new Error(`no new controller within ${limitMs} ms`);
    const rel = (t: number) => t - t0;
    const rep1: FailoverRep = {
      controllerKeyGoneMs: rel(events.first(t0, "delete", "controller")),
      electedInEtcdMs: rel(events.first(t0, "put", "controller")),
      newControllerInMetadataMs: rel(newControllerAt),
      firstCreateMs: rel(createdAt),
      metadataPolls: polls,
    };
    await cluster.node(victim).restart();
    await cluster.waitHealthy(30_000);
    return rep1;
  } finally {
    for (const a of [...pollers, creator]) a.close();
  }
}

async function killBroker(
  cluster: BrookCluster,
  events: EtcdEvents,
  rep: number,
  limitMs: number,
): Promise<BrokerLossRep> {
  const controller = await cluster.waitHealthy(30_000);
  const candidates = cluster.alive().filter((id) => id !== controller);
  const victim = candidates[rep % candidates.length] as number;
  const survivors = cluster.alive().filter((id) => id !== victim);
  const pollers = survivors.map(
    (id) => new AdminClient({ bootstrap: cluster.node(id).bootstrap, timeoutMs: 2000, retryBackoffMs: 20 }),
  );
  try {
    await Promise.all(pollers.map((a) => a.metadata([])));
    const t0 = nowMs();
    await cluster.node(victim).kill();
    const goneAt: number[] = pollers.map(() => Number.NaN);
    const deadline = t0 + limitMs;
    await Promise.all(
      pollers.map(async (admin, i) => {
        while (Number.isNaN(goneAt[i] as number) && nowMs() < deadline) {
          try {
            const m = await admin.metadata([]);
            if (!m.brokers.some((b) => b.nodeId === victim)) goneAt[i] = nowMs();
          } catch {
            // poll again
          }
          await sleep(10);
        }
      }),
    );
    if (goneAt.some((t) => Number.isNaN(t)))
      throw new Error(`broker ${victim} still in Metadata after ${limitMs} ms`);
    const result: BrokerLossRep = {
      sessionKeyGoneMs: events.first(t0, "delete", `brokers/${victim}`) - t0,
      goneFromMetadataMs: Math.min(...goneAt) - t0,
      goneEverywhereMs: Math.max(...goneAt) - t0,
    };
    await cluster.node(victim).restart();
    await cluster.waitHealthy(30_000);
    return result;
  } finally {
    for (const a of pollers) a.close();
  }
}
