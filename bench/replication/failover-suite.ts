/**
 * Part 2 of the replication benchmark: SIGKILL the leader of a replicated partition (RF 3,
 * min.insync.replicas=2; the leader is not the active controller) and time, from the kill:
 *
 * - the dead broker's session key deleted in etcd (its lease expired), from the bench's own watch;
 * - a survivor's Metadata naming a new leader (each survivor polled every ~10 ms);
 * - the first acknowledged write of the bench's probe: a one-record acks=all Produce sent to each
 *   survivor every ~10 ms on a connection of its own (the floor for any client);
 * - the first acknowledged write of a real client: librdkafka 2.0.2 through confluent-kafka-python
 *   (acked-producer.py), producing one record every 10 ms since before the kill, acks=all,
 *   librdkafka's defaults otherwise. "First" is the first delivery report after the kill, whether
 *   the record was sent before it (and retried) or after.
 *
 * The killed node is restarted and the cluster healthy again before the next kill.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { EtcdKvStore, type KvWatch } from "../../src/metadata/index.js";
import { ErrorCode } from "../../src/protocol/index.js";
import { PYTHON } from "../../test/interop/broker-process.js";
import { fmt } from "../metadata/stats.js";
import { BenchCluster } from "./cluster.js";
import { createTopic, deleteTopic, produceOne, sleep } from "./topics.js";

const HERE = dirname(fileURLToPath(import.meta.url));
/** The Python script sits next to the TypeScript source (bench/replication), also when run from dist/. */
const ACKED_PRODUCER = join(HERE.replace(/\/dist\/bench\//, "/bench/"), "acked-producer.py");

export interface FailoverRep {
  victim: number;
  /** ms from the SIGKILL. */
  leaseGoneMs: number;
  newLeaderInMetadataMs: number;
  probeFirstAckMs: number;
  clientFirstAckMs: number;
  newLeader: number;
  /** Records the client had acknowledged before the kill, and acks that arrived just after it (sent by the victim). */
  clientAckedBefore: number;
  clientAckedAtKill: number;
  clientErrors: number;
}

export interface FailoverConfig {
  name: string;
  sessionTimeoutMs: number;
  replicaLagTimeMaxMs: number;
}

export interface FailoverResult extends FailoverConfig {
  reps: FailoverRep[];
  loadAverage: string[];
}

const nowMs = () => performance.timeOrigin + performance.now();

/** Wall-clock times of deletes of broker session keys, seen by the bench's own etcd watch. */
class SessionWatch {
  private readonly store: EtcdKvStore;
  private watch: KvWatch | null = null;
  readonly deletes: { at: number; key: string }[] = [];

  private constructor(store: EtcdKvStore) {
    this.store = store;
  }

  static async open(endpoints: readonly string[]): Promise<SessionWatch> {
    const store = await EtcdKvStore.connect({ endpoints, requestTimeoutMs: 5000 });
    const w = new SessionWatch(store);
    const range = await store.range("/brook/brokers/");
    w.watch = store.watch("/brook/brokers/", range.revision + 1n, {
      events: (list) => {
        const at = nowMs();
        for (const e of list) if (e.type === "delete") w.deletes.push({ at, key: e.key });
      },
      failed: () => {},
    });
    return w;
  }

  first(after: number, brokerId: number): number {
    return (
      this.deletes.find((d) => d.at >= after && d.key === `/brook/brokers/${brokerId}`)?.at ?? Number.NaN
    );
  }

  async close(): Promise<void> {
    this.watch?.cancel();
    await this.store.close();
  }
}

/** The librdkafka producer: parses its delivery-report lines. */
class AckedProducer {
  private readonly child: ChildProcess;
  readonly acks: { seq: number; at: number }[] = [];
  readonly errors: { seq: number; at: number; text: string }[] = [];
  private buffered = "";
  stderr = "";

  constructor(bootstrap: string, topic: string, intervalMs: number) {
    this.child = spawn(PYTHON, [ACKED_PRODUCER, bootstrap, topic, String(intervalMs)], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.child.stdout?.setEncoding("utf8");
    this.child.stdout?.on("data", (chunk: string) => {
      this.buffered += chunk;
      const lines = this.buffered.split("\n");
      this.buffered = lines.pop() ?? "";
      for (const line of lines) {
        const [kind, seq, at, ...rest] = line.split(" ");
        if (kind === "ack") this.acks.push({ seq: Number(seq), at: Number(at) });
        else if (kind === "err") this.errors.push({ seq: Number(seq), at: Number(at), text: rest.join(" ") });
      }
    });
    this.child.stderr?.setEncoding("utf8");
    this.child.stderr?.on("data", (c: string) => {
      this.stderr = (this.stderr + c).slice(-8000);
    });
  }

  firstAckAfter(t: number): number {
    return this.acks.find((a) => a.at >= t)?.at ?? Number.NaN;
  }

  acksBetween(from: number, to: number): number {
    return this.acks.filter((a) => a.at >= from && a.at < to).length;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((resolve) => this.child.once("exit", resolve));
    this.child.kill("SIGKILL");
    await exited;
  }
}

const live = new Set<AckedProducer>();
process.on("exit", () => {
  for (const p of live) void p.stop();
});

export async function runFailoverSuite(options: {
  dir: string;
  main: string;
  /** server.properties keys for every broker. */
  overrides?: Record<string, string>;
  configs: readonly FailoverConfig[];
  reps: number;
  log: (line: string) => void;
  loadAverage: () => string;
}): Promise<FailoverResult[]> {
  const results: FailoverResult[] = [];
  for (const config of options.configs) {
    options.log(
      `# leader failover, ${config.name}: etcd.session.timeout.ms=${config.sessionTimeoutMs}, replica.lag.time.max.ms=${config.replicaLagTimeMaxMs}`,
    );
    const cluster = await BenchCluster.start({
      dir: join(options.dir, `failover-${config.sessionTimeoutMs}`),
      sessionTimeoutMs: config.sessionTimeoutMs,
      main: options.main,
      overrides: { ...options.overrides, "replica.lag.time.max.ms": String(config.replicaLagTimeMaxMs) },
    });
    const watch = await SessionWatch.open(cluster.etcd.endpoints);
    const result: FailoverResult = { ...config, reps: [], loadAverage: [] };
    try {
      for (let rep = 1; rep <= options.reps; rep++) {
        const r = await killLeader(cluster, watch, rep, 4 * config.sessionTimeoutMs + 20_000);
        result.reps.push(r);
        result.loadAverage.push(options.loadAverage());
        options.log(
          `  kill ${rep} (node ${r.victim}): lease gone ${fmt(r.leaseGoneMs)} ms, new leader ${r.newLeader} in Metadata ${fmt(r.newLeaderInMetadataMs)} ms, probe's first ack ${fmt(r.probeFirstAckMs)} ms, librdkafka's first ack ${fmt(r.clientFirstAckMs)} ms`,
        );
      }
    } finally {
      await watch.close();
      await cluster.dispose();
    }
    results.push(result);
  }
  return results;
}

async function killLeader(
  cluster: BenchCluster,
  watch: SessionWatch,
  rep: number,
  limitMs: number,
): Promise<FailoverRep> {
  const controller = await cluster.waitHealthy(30_000);
  const candidates = cluster.alive().filter((id) => id !== controller);
  const victim = candidates[rep % candidates.length] as number;
  const survivors = cluster.alive().filter((id) => id !== victim);
  const topic = `failover-${rep}`;
  await createTopic(cluster, topic, [victim, ...survivors], { "min.insync.replicas": "2" });
  const producer = new AckedProducer(cluster.bootstrap(), topic, 10);
  live.add(producer);
  try {
    // The client has found the leader and writes before the kill.
    const deadline = Date.now() + 20_000;
    while (producer.acks.length < 20) {
      if (Date.now() > deadline)
        throw new Error(`librdkafka producer wrote nothing in 20 s: ${producer.stderr}`);
      await sleep(20);
    }
    // Connections of the probes and pollers exist before the kill, as an application's would.
    const pollers = survivors.map((id) => cluster.admin([id], 2000));
    await Promise.all(pollers.map((a) => a.metadata([topic])));
    for (const id of survivors)
      await produceOne(
        cluster,
        cluster.node(id).endpoint,
        topic,
        Buffer.from("warm"),
        2000,
        `probe-${id}`,
      ).catch(() => -1);
    const ackedBefore = producer.acks.length;
    const t0 = nowMs();
    const killed = cluster.node(victim).kill();
    const end = t0 + limitMs;
    let newLeader = -1;
    let newLeaderAt = Number.NaN;
    let probeAt = Number.NaN;
    const poll = Promise.all(
      pollers.map(async (admin) => {
        while (Number.isNaN(newLeaderAt) && nowMs() < end) {
          try {
            const p = (await admin.metadata([topic])).topics[0]?.partitions[0];
            if (p !== undefined && p.leaderId >= 0 && p.leaderId !== victim && Number.isNaN(newLeaderAt)) {
              newLeaderAt = nowMs();
              newLeader = p.leaderId;
            }
          } catch {
            // busy or reconnecting: poll again
          }
          await sleep(10);
        }
      }),
    );
    const probe = Promise.all(
      survivors.map(async (id) => {
        let n = 0;
        while (Number.isNaN(probeAt) && nowMs() < end) {
          const code = await produceOne(
            cluster,
            cluster.node(id).endpoint,
            topic,
            Buffer.from(`probe-${rep}-${n++}`),
            2000,
            `probe-${id}`,
          ).catch(() => -1);
          if (code === ErrorCode.NONE && Number.isNaN(probeAt)) probeAt = nowMs();
          await sleep(10);
        }
      }),
    );
    await Promise.all([killed, poll, probe]);
    // Acknowledgements the victim sent before it died may still arrive just after the kill; no
    // other broker can lead the partition before the victim's session lease expires (at least
    // 2/3 of etcd.session.timeout.ms), so acks within the first quarter of it are those.
    const quiet = t0 + cluster.sessionTimeoutMs / 4;
    while (Number.isNaN(producer.firstAckAfter(quiet)) && nowMs() < end) await sleep(10);
    for (const a of pollers) a.close();
    const clientAt = producer.firstAckAfter(quiet);
    const r: FailoverRep = {
      victim,
      leaseGoneMs: watch.first(t0, victim) - t0,
      newLeaderInMetadataMs: newLeaderAt - t0,
      probeFirstAckMs: probeAt - t0,
      clientFirstAckMs: clientAt - t0,
      newLeader,
      clientAckedBefore: ackedBefore,
      clientAckedAtKill: producer.acksBetween(t0, quiet),
      clientErrors: producer.errors.filter((e) => e.at >= t0).length,
    };
    await producer.stop();
    await cluster.node(victim).start();
    await cluster.waitHealthy(30_000);
    await deleteTopic(cluster, topic);
    return r;
  } finally {
    await producer.stop();
    live.delete(producer);
  }
}
