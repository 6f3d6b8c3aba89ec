import assert from "node:assert/strict";
import { type Env, type Logger, SeededRandom, seededEnv, silentLogger } from "../../src/base/index.js";
import {
  BrokerLifecycle,
  ClusterController,
  ConfigResourceType,
  decodeMetadataEntry,
  KvMetadataQuorum,
  type KvNetworkFaults,
  MemoryKvCore,
  MemoryKvStore,
  MetadataDelta,
  MetadataImage,
  MetadataLoader,
  NotControllerError,
  type PartitionRules,
  QuorumController,
  type RecordBuilder,
} from "../../src/metadata/index.js";
import { ErrorCode, randomUuid } from "../../src/protocol/index.js";
import { type NodeTimers, type SimScheduler, settle } from "./sim-scheduler.js";

/** The topic configs the simulated controllers read: min.insync.replicas from the topic, 1 by default. */
export const SIM_PARTITION_RULES: PartitionRules = {
  minInsyncReplicas: (topic, image) => Number(image.topicConfig(topic).get("min.insync.replicas") ?? "1"),
  uncleanLeaderElection: () => false,
};

export const PREFIX = "/brook/sim/";
export const SESSION_TIMEOUT_MS = 3000;

/** A node of the simulated cluster: the whole control plane of a Brook node, on simulated I/O. */
export class SimNode {
  readonly id: number;
  readonly timers: NodeTimers;
  readonly env: Env;
  readonly store: MemoryKvStore;
  readonly quorum: KvMetadataQuorum;
  readonly loader: MetadataLoader;
  readonly lifecycle: BrokerLifecycle;
  readonly controller: QuorumController;
  readonly decisions: ClusterController;
  /** false: this node cannot reach the store (a network partition). */
  reachable = true;
  appliedOffsets: bigint[] = [];

  constructor(sim: SimCluster, id: number, previousBrokerEpoch = -1n) {
    this.id = id;
    this.timers = sim.scheduler.nodeTimers();
    this.env = seededEnv(sim.scheduler.clock, this.timers, new SeededRandom(sim.random.int(1, 2 ** 31 - 1)));
    const faults: KvNetworkFaults = {
      latencyMs: () => sim.random.int(0, sim.storeLatencyMaxMs),
      reachable: () => this.reachable && sim.storeUp,
      loseAnswer: () => sim.random.next() < sim.loseAnswerRate,
    };
    this.store = new MemoryKvStore(sim.core, this.timers, faults);
    const log: Logger = sim.verbose ? loggerFor(sim, id) : silentLogger;
    this.quorum = new KvMetadataQuorum({
      store: this.store,
      prefix: PREFIX,
      env: this.env,
      sessionTimeoutMs: SESSION_TIMEOUT_MS,
      log,
      retryBackoffMs: 50,
    });
    this.loader = new MetadataLoader(this.quorum, log);
    this.loader.onPublish((image) => {
      const last = this.appliedOffsets.at(-1);
      assert(last === undefined || image.offset >= last, `node ${id}: its image went back`);
      this.appliedOffsets.push(image.offset);
    });
    this.lifecycle = new BrokerLifecycle({
      brokerId: id,
      quorum: this.quorum,
      loader: this.loader,
      env: this.env,
      log,
      endPoints: () => [endPointOf(id)],
      rack: null,
      previousBrokerEpoch,
    });
    this.decisions = new ClusterController({
      random: this.env.random,
      validateTopicConfigs: (configs) => {
        const retention = configs.get("retention.ms");
        return retention !== undefined && !/^-?\d+$/.test(retention) ? "not a number" : null;
      },
      newTopicId: () => randomUuid(() => this.env.randomBytes16()),
    });
    this.controller = new QuorumController({
      nodeId: id,
      quorum: this.quorum,
      loader: this.loader,
      env: this.env,
      log,
      candidate: () => ({ nodeId: id, endPoint: endPointOf(id) }),
      partitionRules: SIM_PARTITION_RULES,
      snapshotRecordsMax: sim.snapshotRecordsMax,
      snapshotIntervalMs: 60_000,
      candidateForElection: true,
    });
  }

  start(): void {
    this.loader.start();
    this.lifecycle.start();
    this.controller.start();
  }

  /** A crash: nothing of this node runs again; its sessions expire in the store. */
  crash(): void {
    this.timers.crash();
    void this.store.close();
  }
}

function endPointOf(id: number) {
  return { name: "PLAINTEXT", host: `node${id}`, port: 9092, securityProtocol: 0 };
}

function loggerFor(sim: SimCluster, id: number): Logger {
  const line = (level: string) => (message: string) =>
    console.log(`[${sim.scheduler.nowMs}ms n${id} ${level}] ${message}`);
  const logger: Logger = {
    debug: () => {},
    info: line("info"),
    warn: line("warn"),
    error: line("error"),
    child: () => logger,
  } as unknown as Logger;
  return logger;
}

/** What the checker learned from the store itself: the committed log as it grew. */
interface TruthEntry {
  baseOffset: bigint;
  bytes: Buffer;
  epoch: number;
}

/**
 * A simulated Brook cluster's control plane against a simulated linearizable store, with the
 * invariants of the metadata quorum checked after every event:
 * - at most one controller per epoch, and entries' epochs never go back along the log;
 * - the log never forks or goes back (an entry, once committed, never changes; the log only
 *   grows at its end);
 * - every node's image equals the log prefix it has applied;
 * - a fenced broker never leads a partition in a committed image;
 * - every acknowledged change is in the log.
 */
export class SimCluster {
  readonly scheduler: SimScheduler;
  readonly random: SeededRandom;
  readonly core: MemoryKvCore;
  readonly nodes = new Map<number, SimNode>();
  storeUp = true;
  loseAnswerRate = 0.01;
  /** Latency of one leg of a store request, at most. */
  storeLatencyMaxMs = 4;
  readonly snapshotRecordsMax: number;
  readonly verbose: boolean;
  private readonly truth = new Map<bigint, TruthEntry>();
  private truthEnd = 0n;
  private lastEpoch = 0;
  private readonly epochHolders = new Map<number, number>();
  /** Reference images at each entry's last offset. */
  private readonly images = new Map<bigint, MetadataImage>([[-1n, MetadataImage.EMPTY]]);
  private reference = MetadataImage.EMPTY;
  /** Topics whose creation was acknowledged, by id. */
  readonly ackedTopics = new Map<string, { name: string; offset: bigint }>();
  readonly ackedDeletes = new Set<string>();
  acknowledged = 0;

  constructor(
    scheduler: SimScheduler,
    seed: number,
    options: { snapshotRecordsMax?: number; verbose?: boolean } = {},
  ) {
    this.scheduler = scheduler;
    this.random = new SeededRandom(seed);
    this.snapshotRecordsMax = options.snapshotRecordsMax ?? 40;
    this.verbose = options.verbose ?? false;
    this.core = new MemoryKvCore(scheduler.clock, scheduler.timers);
    this.core.watch(`${PREFIX}log/`, 1n, (events) => {
      for (const e of events) if (e.type === "put") this.onCommittedEntry(e.key, e.value);
    });
    this.core.watch(`${PREFIX}controller`, 1n, (events) => {
      for (const e of events) {
        if (e.type !== "put" || e.key !== `${PREFIX}controller`) continue;
        const { nodeId, epoch } = JSON.parse(e.value.toString()) as { nodeId: number; epoch: number };
        const holder = this.epochHolders.get(epoch);
        assert(
          holder === undefined || holder === nodeId,
          `epoch ${epoch} held by nodes ${holder} and ${nodeId}`,
        );
        this.epochHolders.set(epoch, nodeId);
      }
    });
  }

  /** Starts a node process; `previousBrokerEpoch`: the epoch its logs were cleanly shut down with. */
  addNode(id: number, previousBrokerEpoch = -1n): SimNode {
    const node = new SimNode(this, id, previousBrokerEpoch);
    this.nodes.set(id, node);
    node.start();
    return node;
  }

  get logEnd(): bigint {
    return this.truthEnd;
  }

  get committedImage(): MetadataImage {
    return this.reference;
  }

  activeController(): SimNode | undefined {
    return [...this.nodes.values()].find((n) => !n.timers.crashed && n.controller.isActive);
  }

  private onCommittedEntry(key: string, bytes: Buffer): void {
    const baseOffset = BigInt(key.slice(`${PREFIX}log/`.length));
    const known = this.truth.get(baseOffset);
    if (known !== undefined) {
      assert(known.bytes.equals(bytes), `the log forked at ${baseOffset}`);
      return;
    }
    assert.equal(
      baseOffset,
      this.truthEnd,
      `an entry at ${baseOffset} when the log ends at ${this.truthEnd}`,
    );
    const epoch = bytes.readInt32BE(12);
    assert(epoch >= this.lastEpoch, `entry epochs went back: ${epoch} after ${this.lastEpoch}`);
    this.lastEpoch = epoch;
    const entry = decodeMetadataEntry(bytes);
    this.truth.set(baseOffset, { baseOffset, bytes: Buffer.from(bytes), epoch });
    const delta = new MetadataDelta(this.reference);
    for (const [i, r] of entry.records.entries()) delta.replay(r, baseOffset + BigInt(i));
    this.reference = delta.apply();
    this.truthEnd = baseOffset + BigInt(entry.records.length);
    this.images.set(this.reference.offset, this.reference);
    this.checkCommittedImage(this.reference);
  }

  private checkCommittedImage(image: MetadataImage): void {
    for (const topic of image.topicsById.values()) {
      for (const p of topic.partitions) {
        if (p.leader === -1) continue;
        const leader = image.brokers.get(p.leader);
        assert(
          leader !== undefined && !leader.fenced,
          `offset ${image.offset}: ${topic.name}-${p.partitionId} led by fenced or unknown broker ${p.leader}`,
        );
        assert(
          p.isr.includes(p.leader),
          `${topic.name}-${p.partitionId}: leader ${p.leader} not in ISR ${p.isr}`,
        );
      }
    }
  }

  /** The checks that hold after every event. */
  checkInvariants(): void {
    for (const node of this.nodes.values()) {
      if (node.timers.crashed) continue;
      const image = node.loader.image;
      // Images are immutable: one checked once needs no second look.
      if (this.checkedImages.has(image)) continue;
      this.checkedImages.add(image);
      const expected = this.images.get(image.offset);
      assert(
        expected !== undefined,
        `node ${node.id} applied offset ${image.offset}, which ends no committed entry`,
      );
      assert.deepEqual(
        normalize(image),
        normalize(expected),
        `node ${node.id}'s image at ${image.offset} differs from the log`,
      );
    }
    for (const [topicId, acked] of this.ackedTopics) {
      assert(
        acked.offset < this.truthEnd,
        `acknowledged topic ${acked.name} at ${acked.offset}, past the log end`,
      );
      if (!this.ackedDeletes.has(topicId) && !this.maybeDeleted.has(topicId)) {
        assert(this.reference.topicsById.has(topicId), `acknowledged topic ${acked.name} disappeared`);
      }
    }
  }

  readonly maybeDeleted = new Set<string>();
  private readonly checkedImages = new WeakSet<MetadataImage>();

  /** One admin request from a client to whichever node is the active controller. */
  async clientOperation(): Promise<void> {
    const node = this.activeController();
    if (node === undefined) return;
    const names = ["a", "b", "c", "d", "e", "f"];
    const roll = this.random.next();
    const name = this.random.pick(names);
    try {
      if (roll < 0.5) {
        const partitions = this.random.int(1, 3);
        const rf = this.random.int(1, 3);
        const committed = await node.controller.submit("create topics", (b: RecordBuilder) => {
          const r = node.decisions.createTopics(
            b.image,
            [{ name, numPartitions: partitions, replicationFactor: rf, assignments: [], configs: [] }],
            { numPartitions: 1, defaultReplicationFactor: 1, partitionsPerRequestMax: 1000 },
            false,
          );
          b.add(r.records);
          return r.results;
        });
        for (const r of committed.result) {
          if (r.errorCode === ErrorCode.NONE && r.topicId !== null) {
            this.ackedTopics.set(r.topicId, { name: r.name, offset: committed.offset });
            this.acknowledged++;
          }
        }
      } else if (roll < 0.75) {
        const committed = await node.controller.submit("delete topics", (b: RecordBuilder) => {
          // A deletion by name takes whatever topic has the name when the controller decides it.
          const topicId = b.image.topic(name)?.id;
          if (topicId !== undefined) this.maybeDeleted.add(topicId);
          const r = node.decisions.deleteTopics(b.image, [name]);
          b.add(r.records);
          return r.results;
        });
        for (const r of committed.result)
          if (r.errorCode === ErrorCode.NONE && r.topicId !== null) this.ackedDeletes.add(r.topicId);
      } else if (roll < 0.9) {
        await node.controller.submit("alter configs", (b: RecordBuilder) => {
          const r = node.decisions.alterConfigs(
            b.image,
            ConfigResourceType.topic,
            name,
            new Map([["retention.ms", String(this.random.int(1000, 100000))]]),
          );
          b.add(r.records);
          return r.errorCode;
        });
      } else {
        await node.controller.submit("producer ids", (b: RecordBuilder) => {
          const r = node.decisions.allocateProducerIds(b.image, node.id, 0n);
          b.add(r.records);
          return r.firstProducerId;
        });
      }
    } catch (error) {
      if (!(error instanceof NotControllerError)) throw error;
    }
  }

  /** Waits (in simulated time) until the condition holds, checking invariants; false at the deadline. */
  async runUntilTrue(condition: () => boolean, deadlineMs: number): Promise<boolean> {
    while (!condition()) {
      if (this.scheduler.nowMs >= deadlineMs) return false;
      const stepped = await this.scheduler.step(deadlineMs);
      if (!stepped) await this.scheduler.runUntil(Math.min(deadlineMs, this.scheduler.nowMs + 100));
      this.checkInvariants();
    }
    return true;
  }

  async settle(): Promise<void> {
    await settle();
  }
}

/** An image as plain data, for deep comparison. */
function normalize(image: MetadataImage): unknown {
  return {
    offset: image.offset,
    brokers: [...image.brokers.values()].sort((a, b) => a.id - b.id),
    topics: [...image.topicsById.values()].sort((a, b) => (a.id < b.id ? -1 : 1)),
    configs: [...image.configs]
      .filter(([, m]) => m.size > 0)
      .map(([t, m]) => [t, [...m].map(([r, c]) => [r, [...c].sort()]).sort()]),
    nextProducerId: image.nextProducerId,
    features: [...image.features].sort(),
  };
}
