import assert from "node:assert/strict";
import type { SeededRandom, Timers } from "../../src/base/index.js";
import {
  ElectionType,
  electLeaders,
  NotControllerError,
  type PartitionRegistration,
  type RecordBuilder,
} from "../../src/metadata/index.js";
import { ErrorCode } from "../../src/protocol/index.js";
import { SIM_PARTITION_RULES, SimCluster } from "./metadata-cluster-sim.js";
import { type BrokerHost, type ReplicationTimings, SimBroker } from "./sim-broker.js";
import { SimNetwork } from "./sim-network.js";
import { type AckedWrite, type ProducerHost, SimProducer } from "./sim-producer.js";
import type { SimReplica } from "./sim-replica.js";
import { minOf, resetLogPrefixes, type SimReplicaLog } from "./sim-replica-log.js";
import type { SimScheduler } from "./sim-scheduler.js";

export const TOPIC = "events";
const MIN_INSYNC_REPLICAS = 2;
const REPLICATION_FACTOR = 3;

export const TIMINGS: ReplicationTimings = {
  lagMaxMs: 1000,
  fetchWaitMaxMs: 250,
  fetchBackoffMs: 100,
  fetchRequestTimeoutMs: 1000,
  fetchBatchesMax: 4,
  alterPartitionTimeoutMs: 3000,
  highWatermarkCheckpointIntervalMs: 1000,
};

/** What the checker remembers of one replica process between events. */
interface Seen {
  highWatermark: bigint;
  leaderEpoch: number;
}

/** The acknowledged writes of a partition verified in its current leader's log, until it truncates. */
interface Verified {
  replica: SimReplica;
  truncations: number;
  count: number;
}

/**
 * A simulated Brook cluster with partition replication: three nodes, each the real control plane
 * of the metadata simulation (QuorumController, MetadataLoader, BrokerLifecycle on the simulated
 * store) plus a simulated data plane (SimBroker: replicas driven by replication/replica-rules.ts)
 * over a simulated network, with producers writing acks=all to a topic with replication factor 3
 * and min.insync.replicas 2. Each node has a disk that outlives its processes: a process crash
 * keeps what was appended (the page cache survives SIGKILL), a machine crash keeps what was flushed.
 *
 * Invariants checked after every event (besides the metadata simulation's):
 * - per replica process, the high watermark and the leader epoch never go back, and the high
 *   watermark never passes the log end (asserted where they change, as Partition does, and here);
 * - any two live replicas hold identical batches (offset, epoch, payload) below the smaller of
 *   their high watermarks;
 * - the acting leader (the one the committed image names, active, leading at that epoch) holds
 *   every live replica's log below that replica's high watermark, and every acknowledged write at
 *   the offset it was acknowledged with;
 * - every live member of the committed ISR holds the acting leader's log below the leader's high
 *   watermark (what makes electing any of them safe; a machine-crashed node is exempt until the
 *   controller has dropped it from that ISR);
 * - no log ever holds a payload twice (idempotent retries are deduplicated), and a follower never
 *   truncates below its high watermark (asserted in the log and the replica).
 */
export class ReplicationSim implements BrokerHost, ProducerHost {
  readonly scheduler: SimScheduler;
  readonly meta: SimCluster;
  readonly network: SimNetwork;
  readonly timings = TIMINGS;
  readonly nodeIds: readonly number[] = [1, 2, 3];
  readonly partitionCount: number;
  readonly brokers = new Map<number, SimBroker>();
  private readonly disks = new Map<number, Map<string, SimReplicaLog>>();
  readonly producers: SimProducer[] = [];
  private readonly producerCount: number;
  readonly acks = new Map<string, AckedWrite[]>();
  ackCount = 0;
  topicCreated = false;
  private failure: unknown = null;
  private readonly verbose: boolean;
  private readonly seen = new WeakMap<SimReplica, Seen>();
  private readonly verified = new Map<string, Verified>();
  /**
   * By partition, the nodes whose machine crashed (with the incarnation that crashed), until the
   * committed image has both dropped them from its ISR and fenced or replaced that incarnation:
   * what they lost may be below the high watermark, and until the controller fences the crashed
   * incarnation a leader may still add it back to the ISR from a fetch it made before the crash
   * (found with seed 2165 once the high watermark waited for min ISR: the leader, under min ISR,
   * took the dead follower back at its pre-crash log end and the high watermark moved past what
   * that follower's disk kept).
   */
  private readonly lostUnflushed = new Map<string, Map<number, string>>();
  private readonly lastCommitted = new Map<string, PartitionRegistration>();
  /** Nodes stopped cleanly (flushed), with the broker epoch their clean-shutdown marker holds. */
  private readonly cleanlyStopped = new Map<number, bigint>();

  constructor(
    scheduler: SimScheduler,
    seed: number,
    options: { verbose?: boolean; partitions?: number; producers?: number } = {},
  ) {
    resetLogPrefixes();
    this.scheduler = scheduler;
    this.verbose = options.verbose ?? false;
    this.meta = new SimCluster(scheduler, seed, { verbose: this.verbose });
    this.network = new SimNetwork(scheduler, this.meta.random, (error) => this.fail(error));
    this.partitionCount = options.partitions ?? 2;
    this.producerCount = options.producers ?? 3;
  }

  get random(): SeededRandom {
    return this.meta.random;
  }

  get timers(): Timers {
    return this.scheduler.timers;
  }

  nowMs(): number {
    return this.scheduler.nowMs;
  }

  broker(id: number): SimBroker | undefined {
    return this.brokers.get(id);
  }

  trace(nodeOrMessage: number | string, message?: string): void {
    if (!this.verbose) return;
    const who = typeof nodeOrMessage === "number" ? `n${nodeOrMessage}` : "client";
    console.log(`[${this.scheduler.nowMs}ms ${who}] ${message ?? nodeOrMessage}`);
  }

  readonly counts = new Map<string, number>();

  count(name: string): void {
    this.counts.set(name, (this.counts.get(name) ?? 0) + 1);
  }

  committed(
    topic: string,
    partition: number,
  ): { partitionEpoch: number; isr: readonly number[] } | undefined {
    return this.meta.committedImage.partition(topic, partition);
  }

  fail(error: unknown): void {
    if (this.failure === null) this.failure = error;
  }

  acknowledged(write: AckedWrite): void {
    const key = `${write.topic}-${write.partition}`;
    const list = this.acks.get(key) ?? [];
    list.push(write);
    this.acks.set(key, list);
    this.ackCount++;
    this.trace(`producer${write.producerId}: ${write.payloadId} acknowledged at ${write.offset}`);
  }

  start(): void {
    for (const id of this.nodeIds) this.startNode(id);
    this.scheduler.at(this.scheduler.nowMs + 100, () => void this.createTopic());
  }

  isRunning(id: number): boolean {
    return this.brokers.get(id)?.alive ?? false;
  }

  startNode(id: number): SimBroker {
    assert(!this.isRunning(id), `node ${id} is already running`);
    // After a clean stop, the new process names the registration it had (the clean-shutdown marker).
    const node = this.meta.addNode(id, this.cleanlyStopped.get(id) ?? -1n);
    this.cleanlyStopped.delete(id);
    let disk = this.disks.get(id);
    if (disk === undefined) {
      disk = new Map();
      this.disks.set(id, disk);
    }
    const broker = new SimBroker(this, node, disk);
    this.brokers.set(id, broker);
    broker.start();
    // The OS writes the page cache back now and then.
    const writeback = () => {
      broker.flush();
      node.timers.after(this.random.int(50, 1000), writeback);
    };
    node.timers.after(this.random.int(50, 1000), writeback);
    this.trace(id, "started");
    return broker;
  }

  /** A crash: the process is gone; its disk keeps everything (process) or what was flushed (machine). */
  crashNode(id: number, machine: boolean): void {
    const broker = this.brokers.get(id);
    if (broker === undefined || !broker.alive) return;
    broker.node.crash();
    this.cleanlyStopped.delete(id);
    if (machine) {
      for (const key of this.disks.get(id)?.keys() ?? []) {
        const lost = this.lostUnflushed.get(key) ?? new Map<number, string>();
        lost.set(id, broker.node.lifecycle.incarnation);
        this.lostUnflushed.set(key, lost);
      }
    }
    const disk = this.disks.get(id) as Map<string, SimReplicaLog>;
    for (const [key, log] of disk) disk.set(key, machine ? log.afterMachineCrash() : log.afterProcessCrash());
    this.trace(id, machine ? "machine crashed" : "process crashed");
  }

  /**
   * SIGTERM, as Broker.stop does it: a controlled shutdown (the controller moves the node's
   * leaderships and fences it, or the wait times out), the controller and the session end, the
   * logs are flushed and their checkpoints written; then the process is gone.
   */
  async stopNode(id: number): Promise<void> {
    const broker = this.brokers.get(id);
    if (broker === undefined || !broker.alive) return;
    this.trace(id, "stopping (controlled shutdown)");
    const node = broker.node;
    await node.lifecycle.controlledShutdown(3000);
    await node.controller.stop();
    node.loader.stop();
    if (this.brokers.get(id) !== broker || !broker.alive) return;
    for (const replica of broker.replicas.values()) {
      replica.log.flush();
      replica.log.checkpointHighWatermark();
    }
    this.crashNode(id, false);
    this.cleanlyStopped.set(id, node.lifecycle.registeredEpoch);
    this.count("clean stops");
  }

  /** ElectLeaders (preferred, every partition) through the active controller. */
  async electPreferredLeaders(): Promise<void> {
    const controller = this.meta.activeController();
    if (controller === undefined) return;
    try {
      await controller.controller.submit("elect leaders", (b: RecordBuilder) => {
        const r = electLeaders(b.image, ElectionType.preferred, null, SIM_PARTITION_RULES);
        b.add(r.records);
        if (r.records.length === 0) return;
        this.trace(controller.id, `preferred leader election: ${r.records.length} partitions`);
        this.count("leaders moved by preferred election");
      });
    } catch (error) {
      if (!(error instanceof NotControllerError)) throw error;
    }
  }

  /** Creates the topic once three brokers are live (retried until it is). */
  private async createTopic(): Promise<void> {
    const controller = this.meta.activeController();
    let created = false;
    if (controller !== undefined) {
      try {
        const committed = await controller.controller.submit("create topic", (b: RecordBuilder) => {
          if (b.image.topic(TOPIC) !== undefined) return true;
          if (b.image.liveBrokers().length < REPLICATION_FACTOR) return false;
          const r = controller.decisions.createTopics(
            b.image,
            [
              {
                name: TOPIC,
                numPartitions: this.partitionCount,
                replicationFactor: REPLICATION_FACTOR,
                assignments: [],
                configs: [{ name: "min.insync.replicas", value: String(MIN_INSYNC_REPLICAS) }],
              },
            ],
            { numPartitions: 1, defaultReplicationFactor: 1, partitionsPerRequestMax: 1000 },
            false,
          );
          b.add(r.records);
          return r.results[0]?.errorCode === ErrorCode.NONE;
        });
        created = committed.result;
      } catch (error) {
        if (!(error instanceof NotControllerError)) throw error;
      }
    }
    if (!created) {
      this.scheduler.at(this.scheduler.nowMs + 200, () => void this.createTopic());
      return;
    }
    this.topicCreated = true;
    const partitions = Array.from({ length: this.partitionCount }, (_, partition) => ({
      topic: TOPIC,
      partition,
    }));
    for (let i = 0; i < this.producerCount; i++) {
      const producer = new SimProducer(this, 1000 + i, partitions);
      this.producers.push(producer);
      producer.start();
    }
  }

  /** Stops new writes; what is in flight is retried until acknowledged. */
  stopProducers(): void {
    for (const p of this.producers) p.stopping = true;
  }

  /** Replicas of a partition in live processes, by node. */
  private liveReplicas(key: string): Map<number, SimReplica> {
    const out = new Map<number, SimReplica>();
    for (const [id, broker] of this.brokers) {
      if (!broker.alive) continue;
      const replica = broker.replicas.get(key);
      if (replica !== undefined) out.set(id, replica);
    }
    return out;
  }

  /** The leader the committed image names, if it acts as one: active, and leading at that epoch. */
  actingLeader(topic: string, partition: number): SimReplica | undefined {
    const p = this.meta.committedImage.partition(topic, partition);
    if (p === undefined || p.leader < 0) return undefined;
    const broker = this.brokers.get(p.leader);
    if (broker === undefined || !broker.alive || !broker.mayLead) return undefined;
    const replica = broker.replicas.get(`${topic}-${partition}`);
    if (replica === undefined || !replica.isLeader || replica.leaderEpoch !== p.leaderEpoch) return undefined;
    return replica;
  }

  /** Every invariant, after an event. */
  checkInvariants(): void {
    if (this.failure !== null) throw this.failure;
    this.meta.checkInvariants();
    const topic = this.meta.committedImage.topic(TOPIC);
    if (topic === undefined) return;
    for (const p of topic.partitions) {
      const key = `${TOPIC}-${p.partitionId}`;
      const live = this.liveReplicas(key);
      for (const [id, r] of live) this.checkMonotonic(id, r);
      const entries = [...live];
      for (let i = 0; i < entries.length; i++) {
        for (let j = i + 1; j < entries.length; j++) {
          const [a, ra] = entries[i] as [number, SimReplica];
          const [b, rb] = entries[j] as [number, SimReplica];
          const below = minOf(ra.highWatermark, rb.highWatermark);
          assert.deepEqual(
            ra.log.prefixBelow(below),
            rb.log.prefixBelow(below),
            `${key}: nodes ${a} and ${b} disagree below their high watermarks (${ra.highWatermark}, ${rb.highWatermark})`,
          );
        }
      }
      this.countElections(key, p);
      const lost = this.lostUnflushed.get(key);
      for (const [id, incarnation] of lost ?? []) {
        const registration = this.meta.committedImage.brokers.get(id);
        const crashedGone =
          registration === undefined || registration.fenced || registration.incarnationId !== incarnation;
        if (crashedGone && !p.isr.includes(id) && !p.elr.includes(id)) lost?.delete(id);
      }
      const leader = this.actingLeader(TOPIC, p.partitionId);
      if (leader === undefined) continue;
      // What the high watermark covers is on every ISR member and every eligible leader replica
      // (KIP-966): any of them may be elected next.
      for (const id of [...p.isr, ...p.elr]) {
        const member = live.get(id);
        if (member === undefined || member === leader || lost?.has(id)) continue;
        assert.deepEqual(
          member.log.prefixBelow(leader.highWatermark),
          leader.log.prefixBelow(leader.highWatermark),
          `${key}: ${p.isr.includes(id) ? "ISR member" : "eligible leader replica"} ${id} (log end ${member.log.logEndOffset}) lacks what the leader (node ${p.leader}) has below its high watermark ${leader.highWatermark}`,
        );
      }
      for (const [id, r] of live) {
        assert.deepEqual(
          r.log.prefixBelow(r.highWatermark),
          leader.log.prefixBelow(r.highWatermark),
          `${key}: node ${id}'s log below its high watermark ${r.highWatermark} is not the leader's (node ${p.leader}, log end ${leader.log.logEndOffset})`,
        );
      }
      this.checkAcknowledged(key, leader);
    }
  }

  /** Counts the KIP-966 paths the run reached, from one committed partition state to the next. */
  private countElections(key: string, p: PartitionRegistration): void {
    const before = this.lastCommitted.get(key);
    this.lastCommitted.set(key, p);
    if (before === undefined || before === p) return;
    if (p.leader >= 0 && p.leader !== before.leader && before.elr.includes(p.leader))
      this.count("leaders elected from the ELR");
    if (p.isr.length === 0 && before.isr.length > 0) this.count("ISRs emptied");
    if (p.leader >= 0 && before.leader < 0 && before.isr.length === 0 && before.elr.length === 0)
      this.count("last known leaders elected");
  }

  private checkMonotonic(id: number, r: SimReplica): void {
    const hw = r.highWatermark;
    assert(hw <= r.log.logEndOffset, `${r.name} on node ${id}: high watermark ${hw} past the log end`);
    const seen = this.seen.get(r);
    if (seen !== undefined) {
      assert(
        hw >= seen.highWatermark,
        `${r.name} on node ${id}: high watermark went back to ${hw} from ${seen.highWatermark}`,
      );
      assert(
        r.leaderEpoch >= seen.leaderEpoch,
        `${r.name} on node ${id}: leader epoch went back to ${r.leaderEpoch} from ${seen.leaderEpoch}`,
      );
      seen.highWatermark = hw;
      seen.leaderEpoch = r.leaderEpoch;
    } else {
      this.seen.set(r, { highWatermark: hw, leaderEpoch: r.leaderEpoch });
    }
  }

  /** Every acknowledged write is in the acting leader's log where it was acknowledged. */
  private checkAcknowledged(key: string, leader: SimReplica): void {
    const acks = this.acks.get(key) ?? [];
    let v = this.verified.get(key);
    if (v === undefined || v.replica !== leader || v.truncations !== leader.log.truncations) {
      v = { replica: leader, truncations: leader.log.truncations, count: 0 };
      this.verified.set(key, v);
    }
    for (; v.count < acks.length; v.count++) {
      const ack = acks[v.count] as AckedWrite;
      const batch = leader.log.batchAt(ack.offset);
      assert(
        batch !== undefined && batch.payloadId === ack.payloadId && batch.baseOffset === ack.offset,
        `${key}: acknowledged ${ack.payloadId} at ${ack.offset} is not in the leader's log (node ${leader.log === undefined ? "?" : leader.state.leader}, epoch ${leader.leaderEpoch}, log end ${leader.log.logEndOffset}): found ${batch?.payloadId ?? "nothing"}`,
      );
    }
  }

  /** Healed and settled: every partition led, ISR full, every replica equal to its leader, producers done. */
  converged(): boolean {
    if (!this.topicCreated || this.producers.some((p) => !p.idle)) return false;
    const image = this.meta.committedImage;
    const topic = image.topic(TOPIC);
    if (topic === undefined) return false;
    for (const id of this.nodeIds) {
      const b = this.brokers.get(id);
      if (b === undefined || !b.alive || !b.mayLead) return false;
      if (b.image.offset !== this.meta.logEnd - 1n) return false;
    }
    for (const p of topic.partitions) {
      if (p.isr.length !== REPLICATION_FACTOR) return false;
      const leader = this.actingLeader(TOPIC, p.partitionId);
      if (leader === undefined || leader.hasProposalInFlight) return false;
      const end = leader.log.logEndOffset;
      for (const r of this.liveReplicas(`${TOPIC}-${p.partitionId}`).values()) {
        if (r.log.logEndOffset !== end || r.highWatermark !== end) return false;
      }
    }
    return true;
  }

  /** After convergence: the logs are equal, and hold exactly the acknowledged writes, once, in order. */
  checkFinal(): void {
    this.checkInvariants();
    const topic = this.meta.committedImage.topic(TOPIC);
    assert(topic !== undefined, "the topic exists");
    for (const p of topic.partitions) {
      const key = `${TOPIC}-${p.partitionId}`;
      const leader = this.actingLeader(TOPIC, p.partitionId) as SimReplica;
      const end = leader.log.logEndOffset;
      for (const [id, r] of this.liveReplicas(key)) {
        assert.deepEqual(
          r.log.prefixBelow(end),
          leader.log.prefixBelow(end),
          `${key}: node ${id}'s log differs from the leader's`,
        );
      }
      const acks = this.acks.get(key) ?? [];
      const acked = new Set(acks.map((a) => a.payloadId));
      assert.equal(acked.size, acks.length, `${key}: a write was acknowledged twice`);
      for (const ack of acks) {
        assert.equal(
          leader.log.offsetOf(ack.payloadId),
          ack.offset,
          `${key}: ${ack.payloadId} not at ${ack.offset}`,
        );
      }
      for (const b of leader.log.batches) {
        assert(
          acked.has(b.payloadId),
          `${key}: ${b.payloadId} at ${b.baseOffset} in the log, never acknowledged`,
        );
      }
      checkOrder(key, acks);
    }
  }
}

/**
 * Acknowledged writes are in the log in the order they happened: a producer's in sequence order,
 * and a write acknowledged before another was first sent comes before it.
 */
function checkOrder(key: string, acks: readonly AckedWrite[]): void {
  const byProducer = new Map<number, AckedWrite[]>();
  for (const a of acks) byProducer.set(a.producerId, [...(byProducer.get(a.producerId) ?? []), a]);
  for (const [producerId, writes] of byProducer) {
    const sorted = [...writes].sort((a, b) => a.sequence - b.sequence);
    for (let i = 1; i < sorted.length; i++) {
      const before = sorted[i - 1] as AckedWrite;
      const after = sorted[i] as AckedWrite;
      assert(
        before.offset < after.offset,
        `${key}: producer ${producerId}'s ${before.payloadId} after ${after.payloadId}`,
      );
    }
  }
  const byAck = [...acks].sort((a, b) => a.ackedMs - b.ackedMs);
  const bySend = [...acks].sort((a, b) => a.firstSentMs - b.firstSentMs);
  let i = 0;
  let maxOffset = -1n;
  let maxWrite: AckedWrite | null = null;
  for (const w of bySend) {
    while (i < byAck.length && (byAck[i] as AckedWrite).ackedMs < w.firstSentMs) {
      const a = byAck[i] as AckedWrite;
      if (a.offset > maxOffset) {
        maxOffset = a.offset;
        maxWrite = a;
      }
      i++;
    }
    assert(
      maxOffset < w.offset,
      `${key}: ${maxWrite?.payloadId} (acknowledged at ${maxWrite?.ackedMs}ms, offset ${maxOffset}) is after ${w.payloadId} (sent at ${w.firstSentMs}ms, offset ${w.offset})`,
    );
  }
}
