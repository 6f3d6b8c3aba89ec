import assert from "node:assert/strict";
import { test } from "node:test";
import { SESSION_TIMEOUT_MS } from "./metadata-cluster-sim.js";
import { ReplicationSim, TIMINGS, TOPIC } from "./replication-cluster-sim.js";
import { SimScheduler } from "./sim-scheduler.js";

/**
 * Seeded simulation of partition replication: three nodes with the real metadata control plane
 * (QuorumController, MetadataLoader, BrokerLifecycle) on a simulated etcd, a simulated data plane
 * (replicas driven by replication/replica-rules.ts, fetchers, ISR changes through the controller)
 * on a simulated network and disks, and idempotent producers writing acks=all to a topic with
 * replication factor 3 and min.insync.replicas 2. Faults over the run (see Faults): process
 * crashes (the page cache survives), machine crashes (unflushed data lost), controlled shutdowns,
 * nodes cut off from the store, from the other nodes or from both, pauses, slow nodes (fetches
 * slower than replica.lag.time.max.ms), lost and delayed messages, preferred leader elections
 * (the old leader lives on), and the store's faults (down, slow, losing answers, expiring leases,
 * compacting), which move the controller. Invariants after every event (see ReplicationSim); then
 * every fault heals and the cluster must converge: one leader per partition, the ISR back to
 * three, every replica equal to its leader, and the log holding exactly the acknowledged writes,
 * once each, in order.
 *
 * BROOK_SIM_SEEDS=<n> runs more seeds (the nightly mode runs thousands), BROOK_SIM_FIRST_SEED
 * where to start, BROOK_SIM_SEED=<s> replays one (BROOK_SIM_VERBOSE=1 prints what its nodes do).
 */
const SEEDS = Number(process.env.BROOK_SIM_SEEDS ?? 100);
const FIRST_SEED = Number(process.env.BROOK_SIM_FIRST_SEED ?? 1);
const ONLY = process.env.BROOK_SIM_SEED === undefined ? null : Number(process.env.BROOK_SIM_SEED);
const RUN_MS = 15_000;
const IDS = [1, 2, 3];

interface SeedResult {
  events: number;
  acknowledged: number;
  faults: Map<string, number>;
}

async function runSeed(seed: number): Promise<SeedResult> {
  const scheduler = new SimScheduler();
  const sim = new ReplicationSim(scheduler, seed, { verbose: process.env.BROOK_SIM_VERBOSE === "1" });
  const faults = new Faults(sim);
  sim.start();
  const r = sim.random;
  for (let t = r.int(1000, 2000); t < RUN_MS - 2000; t += r.int(200, 1500)) {
    scheduler.at(t, () => faults.inject());
  }
  await runUntil(sim, () => false, RUN_MS);
  assert(sim.topicCreated, `seed ${seed}: the topic was never created`);
  // Heal: every node up and reachable, the store up, the network whole; producers finish.
  faults.healAll();
  sim.stopProducers();
  const converged = await runUntil(sim, () => sim.converged(), RUN_MS + 4 * SESSION_TIMEOUT_MS + 15_000);
  if (!converged)
    throw new Error(`seed ${seed}: the cluster did not converge after the faults healed\n${describe(sim)}`);
  sim.checkFinal();
  for (const [k, v] of sim.counts) faults.counts.set(k, v);
  faults.counts.set("messages delivered after their sender died", sim.network.deliveredFromDead);
  return { events: scheduler.events, acknowledged: sim.ackCount, faults: faults.counts };
}

/** Runs events until the condition holds (checking every invariant after each); false at the deadline. */
async function runUntil(sim: ReplicationSim, condition: () => boolean, deadlineMs: number): Promise<boolean> {
  const scheduler = sim.scheduler;
  while (!condition()) {
    if (scheduler.nowMs >= deadlineMs) return false;
    const stepped = await scheduler.step(deadlineMs);
    if (!stepped) await scheduler.runUntil(Math.min(deadlineMs, scheduler.nowMs + 100));
    sim.checkInvariants();
  }
  return true;
}

/** The state of the cluster, for a seed that did not converge. */
function describe(sim: ReplicationSim): string {
  const lines: string[] = [];
  const image = sim.meta.committedImage;
  for (const p of image.topic(TOPIC)?.partitions ?? []) {
    lines.push(
      `partition ${p.partitionId}: leader ${p.leader} epoch ${p.leaderEpoch} isr ${p.isr} replicas ${p.replicas}`,
    );
    for (const [id, b] of sim.brokers) {
      const replica = b.replicas.get(`${TOPIC}-${p.partitionId}`);
      lines.push(
        `  node ${id} alive=${b.alive} mayLead=${b.mayLead} image=${b.image.offset}/${sim.meta.logEnd - 1n}` +
          (replica === undefined
            ? " no replica"
            : ` leader=${replica.leaderId}@${replica.leaderEpoch} leo=${replica.log.logEndOffset} hw=${replica.highWatermark} epoch=${replica.log.latestEpoch} proposal=${replica.proposal}`),
      );
    }
  }
  lines.push(`producers idle: ${sim.producers.map((p) => `${p.name}=${p.idle}(${p.inFlight})`).join(" ")}`);
  lines.push(`active controller: ${sim.meta.activeController()?.id}`);
  return lines.join("\n");
}

/**
 * The faults of a run, drawn from the seed. Machine crashes lose unflushed data, so they come one
 * at a time: only when every node is up and in every ISR and the store is well, and until the
 * crashed node is back in every ISR no other node may crash (process or machine). Kafka's acks=all
 * durability without fsync rests on that. Faults that only end sessions (partitions from the store
 * or the peers, pauses, the store's troubles, controlled shutdowns) may come meanwhile: before
 * KIP-966 they could fence the other replicas before the crashed node's old registration, leaving
 * it the last ISR member, elected on its return without what it lost; with eligible leader
 * replicas the others stay eligible (their processes kept their logs) and the returning node,
 * an unclean restart, does not.
 */
class Faults {
  private readonly sim: ReplicationSim;
  readonly counts = new Map<string, number>();
  private recovering: number | null = null;
  /** A machine crash waiting for the cluster to settle. */
  private pendingMachineCrash: number | null = null;
  private healed = false;
  /** The store is down or struggling until then (sessions may expire). */
  private storeTroubleUntilMs = 0;
  /** Nodes down, cut off or paused, until when (simulated ms). */
  private readonly away = new Map<number, number>();

  constructor(sim: ReplicationSim) {
    this.sim = sim;
  }

  private count(name: string): void {
    this.counts.set(name, (this.counts.get(name) ?? 0) + 1);
  }

  private later(ms: number, fn: () => void): void {
    this.sim.scheduler.at(this.sim.scheduler.nowMs + ms, fn);
  }

  private markAway(id: number, ms: number): void {
    const until = this.sim.scheduler.nowMs + ms;
    this.away.set(id, Math.max(this.away.get(id) ?? 0, until));
  }

  /** Whether a machine-crashed node is still catching up (then no node may be taken away). */
  private stillRecovering(): boolean {
    if (this.recovering === null) return false;
    const id = this.recovering;
    const image = this.sim.meta.committedImage;
    const back =
      this.sim.isRunning(id) &&
      (this.sim.broker(id)?.mayLead ?? false) &&
      (image.topic(TOPIC)?.partitions.every((p) => p.isr.includes(id)) ?? false);
    if (back) this.recovering = null;
    return !back;
  }

  /**
   * Whether a machine may crash now: every broker up and active, every ISR full, and nothing taken
   * away for a session timeout (a session starved by the store or a partition expires up to a
   * session timeout after the trouble ends, and its broker is fenced after that).
   */
  private everyNodeHealthy(): boolean {
    const settled = this.sim.scheduler.nowMs - SESSION_TIMEOUT_MS;
    const image = this.sim.meta.committedImage;
    return (
      IDS.every(
        (id) =>
          this.sim.isRunning(id) &&
          (this.sim.broker(id)?.mayLead ?? false) &&
          (this.away.get(id) ?? 0) < settled,
      ) &&
      this.storeTroubleUntilMs < settled &&
      (image.topic(TOPIC)?.partitions.every((p) => p.isr.length === IDS.length) ?? false)
    );
  }

  /**
   * The faults, with their weights. `away`: the fault takes a node away or may (down, cut off
   * from the store, paused; the store down or losing answers, which expires sessions); `crash`:
   * it ends a process without a clean stop, which must not happen while a machine-crashed node
   * recovers.
   */
  private readonly kinds: readonly {
    name: string;
    weight: number;
    away: boolean;
    /** The node's process ends without a clean stop: not while a machine-crashed node recovers. */
    crash?: boolean;
    run: (id: number) => boolean;
  }[] = [
    { name: "process crash", weight: 12, away: true, crash: true, run: (id) => this.processCrash(id) },
    { name: "machine crash", weight: 8, away: true, crash: true, run: (id) => this.machineCrash(id) },
    { name: "controlled shutdown", weight: 4, away: true, run: (id) => this.controlledShutdown(id) },
    { name: "store partition", weight: 9, away: true, run: (id) => this.storePartition(id) },
    { name: "network partition", weight: 9, away: true, run: (id) => this.networkPartition(id) },
    { name: "full isolation", weight: 5, away: true, run: (id) => this.fullIsolation(id) },
    { name: "pause", weight: 7, away: true, run: (id) => this.pause(id) },
    { name: "lease expired", weight: 4, away: true, run: () => this.expireLease() },
    { name: "store down", weight: 4, away: true, run: () => this.storeDown() },
    { name: "preferred leader election", weight: 6, away: false, run: () => this.preferredElection() },
    { name: "slow node", weight: 11, away: false, run: (id) => this.slowNode(id) },
    { name: "message loss", weight: 7, away: false, run: () => this.messageLoss() },
    { name: "message delay", weight: 4, away: false, run: () => this.messageDelay() },
    { name: "slow store", weight: 4, away: false, run: () => this.slowStore() },
    { name: "lossy store", weight: 4, away: true, run: () => this.lossyStore() },
    { name: "watches broken", weight: 6, away: false, run: (id) => this.breakWatches(id) },
    { name: "watches stalled", weight: 3, away: false, run: (id) => this.stallWatches(id) },
    { name: "store compaction", weight: 3, away: false, run: () => this.compactStore() },
  ];

  inject(): void {
    const r = this.sim.random;
    const id = r.pick(IDS);
    let roll = r.next() * this.kinds.reduce((sum, k) => sum + k.weight, 0);
    let kind = this.kinds[0] as (typeof this.kinds)[number];
    for (const k of this.kinds) {
      kind = k;
      roll -= k.weight;
      if (roll < 0) break;
    }
    if (kind.crash === true && (this.stillRecovering() || this.pendingMachineCrash !== null)) return;
    const duringRecovery = kind.away && this.stillRecovering();
    if (!kind.run(id)) return;
    this.count(kind.name);
    if (duringRecovery) this.count("nodes taken away while a crashed machine recovers");
    this.sim.trace(`fault: ${kind.name} (node ${id})`);
  }

  private awayMs(): number {
    return this.sim.random.int(100, 2 * SESSION_TIMEOUT_MS);
  }

  /** SIGKILL: the page cache survives; restart after a while. */
  private processCrash(id: number): boolean {
    if (!this.sim.isRunning(id)) return false;
    const ms = this.awayMs();
    this.sim.crashNode(id, false);
    this.markAway(id, ms);
    this.later(ms, () => this.restart(id));
    return true;
  }

  /**
   * The machine dies: what was not flushed is lost. One at a time: it waits (holding back the
   * faults that take nodes away) until the cluster has settled, then crashes.
   */
  private machineCrash(id: number): boolean {
    if (this.pendingMachineCrash !== null || this.healed) return false;
    this.pendingMachineCrash = id;
    const attempt = () => {
      if (this.healed) {
        this.pendingMachineCrash = null;
        return;
      }
      if (!this.everyNodeHealthy()) {
        this.later(100, attempt);
        return;
      }
      this.pendingMachineCrash = null;
      const ms = this.awayMs();
      this.sim.crashNode(id, true);
      this.sim.trace(`fault: machine crash (node ${id}) happens`);
      this.count("machine crashes after the cluster settled");
      this.recovering = id;
      this.markAway(id, ms);
      this.later(ms, () => this.restart(id));
    };
    attempt();
    return true;
  }

  /** SIGTERM: the controller moves the node's leaderships first, the logs are flushed; restart later. */
  private controlledShutdown(id: number): boolean {
    if (!this.sim.isRunning(id)) return false;
    const ms = this.awayMs();
    this.markAway(id, ms + 3000);
    void this.sim.stopNode(id).then(() => this.later(ms, () => this.restart(id)));
    return true;
  }

  /** Cut off from the store (its session may expire; the controller moves its leaderships). */
  private storePartition(id: number): boolean {
    const node = this.sim.meta.nodes.get(id);
    if (node === undefined) return false;
    const ms = this.awayMs();
    node.reachable = false;
    this.markAway(id, ms);
    this.later(ms, () => {
      node.reachable = true;
    });
    return true;
  }

  /** Cut off from the other nodes and the clients, but not from the store. */
  private networkPartition(id: number): boolean {
    this.sim.network.isolate(`node${id}`);
    this.later(this.awayMs(), () => this.sim.network.reconnect(`node${id}`));
    return true;
  }

  private fullIsolation(id: number): boolean {
    const node = this.sim.meta.nodes.get(id);
    if (node === undefined) return false;
    const ms = this.awayMs();
    this.sim.network.isolate(`node${id}`);
    node.reachable = false;
    this.markAway(id, ms);
    this.later(ms, () => {
      this.sim.network.reconnect(`node${id}`);
      node.reachable = true;
    });
    return true;
  }

  /** A long pause (GC, SIGSTOP): its timers and messages wait; leases and peers do not. */
  private pause(id: number): boolean {
    const node = this.sim.meta.nodes.get(id);
    if (node === undefined || !this.sim.isRunning(id)) return false;
    const ms = this.awayMs();
    node.timers.pause(ms);
    this.markAway(id, ms);
    return true;
  }

  /** A lease expires: a broker session (fencing) or the controller's (a failover). */
  private expireLease(): boolean {
    const leases = this.sim.meta.core.leaseIds();
    if (leases.length === 0) return false;
    this.sim.meta.core.expireLease(this.sim.random.pick(leases));
    this.storeTroubleUntilMs = Math.max(this.storeTroubleUntilMs, this.sim.scheduler.nowMs);
    return true;
  }

  /** The whole store away for a while. */
  private storeDown(): boolean {
    const ms = this.awayMs();
    this.sim.meta.storeUp = false;
    this.storeTroubleUntilMs = Math.max(this.storeTroubleUntilMs, this.sim.scheduler.nowMs + ms);
    this.later(ms, () => {
      this.sim.meta.storeUp = true;
    });
    return true;
  }

  /** ElectLeaders(preferred): leaderships move while the old leaders live on and follow. */
  private preferredElection(): boolean {
    void this.sim.electPreferredLeaders();
    return true;
  }

  /** A slow node: its messages take about replica.lag.time.max.ms or more (a slow follower). */
  private slowNode(id: number): boolean {
    const r = this.sim.random;
    this.sim.network.slowDown(
      `node${id}`,
      r.int(TIMINGS.lagMaxMs / 2, TIMINGS.lagMaxMs * 2),
      r.int(500, 4000),
    );
    return true;
  }

  private messageLoss(): boolean {
    const r = this.sim.random;
    this.sim.network.dropRate = r.next() * 0.3;
    this.later(r.int(200, 2000), () => {
      this.sim.network.dropRate = 0.01;
    });
    return true;
  }

  private messageDelay(): boolean {
    const r = this.sim.random;
    this.sim.network.latencyMaxMs = r.int(20, 300);
    this.later(r.int(200, 2000), () => {
      this.sim.network.latencyMaxMs = 5;
    });
    return true;
  }

  /**
   * A slow store: commits reach the nodes late, so their images lag the controller's decisions
   * (and the controller's answers). Its requests still succeed, so no session expires.
   */
  private slowStore(): boolean {
    const r = this.sim.random;
    this.sim.meta.storeLatencyMaxMs = r.int(20, 400);
    this.later(r.int(200, 3000), () => {
      this.sim.meta.storeLatencyMaxMs = 4;
    });
    return true;
  }

  /**
   * A struggling store: losing answers (committed, but the writer cannot know: a controller then
   * says NOT_CONTROLLER), perhaps slow too. Sessions may expire.
   */
  private lossyStore(): boolean {
    const r = this.sim.random;
    if (r.next() < 0.5) this.sim.meta.storeLatencyMaxMs = r.int(20, 400);
    this.sim.meta.loseAnswerRate = r.next() * 0.5;
    const ms = r.int(200, 3000);
    this.storeTroubleUntilMs = Math.max(this.storeTroubleUntilMs, this.sim.scheduler.nowMs + ms);
    this.later(ms, () => {
      this.sim.meta.storeLatencyMaxMs = 4;
      this.sim.meta.loseAnswerRate = 0.01;
    });
    return true;
  }

  private breakWatches(id: number): boolean {
    const node = this.sim.meta.nodes.get(id);
    if (node === undefined) return false;
    node.store.breakWatches();
    return true;
  }

  private stallWatches(id: number): boolean {
    const node = this.sim.meta.nodes.get(id);
    if (node === undefined) return false;
    node.store.stallWatches();
    return true;
  }

  private compactStore(): boolean {
    const core = this.sim.meta.core;
    core.compact(core.currentRevision - BigInt(this.sim.random.int(0, 5)));
    return true;
  }

  private restart(id: number): void {
    if (!this.sim.isRunning(id)) this.sim.startNode(id);
  }

  healAll(): void {
    const sim = this.sim;
    this.healed = true;
    sim.meta.storeUp = true;
    sim.meta.loseAnswerRate = 0;
    sim.meta.storeLatencyMaxMs = 4;
    sim.network.heal();
    sim.network.latencyMaxMs = 5;
    for (const id of IDS) {
      const node = sim.meta.nodes.get(id);
      if (!sim.isRunning(id)) sim.startNode(id);
      else if (node !== undefined) node.reachable = true;
    }
  }
}

/** A nightly run goes on past a failing seed, up to this many, and then lists them all. */
const FAILURES_MAX = 10;

test(`replication simulation: ${ONLY === null ? `${SEEDS} seeds` : `seed ${ONLY}`}`, async () => {
  const seeds = ONLY === null ? Array.from({ length: SEEDS }, (_, i) => FIRST_SEED + i) : [ONLY];
  let events = 0;
  let acknowledged = 0;
  const counts = new Map<string, number>();
  const failures: { seed: number; error: unknown }[] = [];
  for (const seed of seeds) {
    try {
      const result = await runSeed(seed);
      events += result.events;
      acknowledged += result.acknowledged;
      for (const [k, v] of result.faults) counts.set(k, (counts.get(k) ?? 0) + v);
    } catch (error) {
      console.error(
        `replication simulation failed at seed ${seed}: ${error instanceof Error ? error.message : String(error)}\n` +
          `replay: BROOK_SIM_SEED=${seed} node --test dist/test/simulation/replication.sim.test.js (BROOK_SIM_VERBOSE=1 to trace it)`,
      );
      failures.push({ seed, error });
      if (failures.length >= FAILURES_MAX) break;
    }
  }
  if (failures.length === 1) throw (failures[0] as { error: unknown }).error;
  if (failures.length > 1) throw new Error(`failing seeds: ${failures.map((f) => f.seed).join(", ")}`);
  assert(
    acknowledged > seeds.length * 10,
    `only ${acknowledged} writes acknowledged over ${seeds.length} seeds`,
  );
  const list = [...counts].map(([k, v]) => `${k} ${v}`).join(", ");
  console.log(
    `replication simulation: ${seeds.length} seeds, ${events} events, ${acknowledged} acknowledged writes; faults and paths: ${list}`,
  );
});
