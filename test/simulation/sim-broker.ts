import {
  type ControllerInfo,
  decideAlterPartition,
  type IsrChangeRequest,
  type MetadataImage,
  NotControllerError,
} from "../../src/metadata/index.js";
import { ErrorCode } from "../../src/protocol/index.js";
import { type DivergingEpoch, isrProposalAction } from "../../src/replication/index.js";
import { SIM_PARTITION_RULES, type SimNode } from "./metadata-cluster-sim.js";
import { SimFetcher } from "./sim-fetcher.js";
import type { SimEndpoint, SimNetwork } from "./sim-network.js";
import { SimReplica } from "./sim-replica.js";
import { type ProducedBatch, type SimBatch, SimReplicaLog } from "./sim-replica-log.js";

/** The replication settings of the simulated cluster (Kafka's names, scaled to simulated seconds). */
export interface ReplicationTimings {
  /** replica.lag.time.max.ms */
  lagMaxMs: number;
  /** replica.fetch.wait.max.ms */
  fetchWaitMaxMs: number;
  /** replica.fetch.backoff.ms */
  fetchBackoffMs: number;
  /** How long a fetch may take beyond its wait before the follower gives it up. */
  fetchRequestTimeoutMs: number;
  /** Batches one fetch returns per partition at most (replica.fetch.max.bytes, in batches). */
  fetchBatchesMax: number;
  /** How long a leader's ISR change may take (Brook's ALTER_PARTITION_TIMEOUT_MS). */
  alterPartitionTimeoutMs: number;
  /** replica.high.watermark.checkpoint.interval.ms */
  highWatermarkCheckpointIntervalMs: number;
}

/** What a broker needs from the simulated cluster around it. */
export interface BrokerHost {
  readonly network: SimNetwork;
  readonly timings: ReplicationTimings;
  /** The current process of a node (dead or alive), if it ever started. */
  broker(id: number): SimBroker | undefined;
  trace(nodeId: number, message: string): void;
  /** Counts an event worth reporting (how often the run reached a code path). */
  count(name: string): void;
  /** The partition as the committed metadata log has it now (what the checker knows). */
  committed(topic: string, partition: number): { partitionEpoch: number; isr: readonly number[] } | undefined;
  /** A broken invariant or a bug in an asynchronous path: fails the run. */
  fail(error: unknown): void;
}

export interface ProduceRequest {
  topic: string;
  partition: number;
  batch: ProducedBatch;
  timeoutMs: number;
}

export interface ProduceAnswer {
  errorCode: number;
  baseOffset: bigint;
}

export interface FetchPartitionRequest {
  topic: string;
  partition: number;
  currentLeaderEpoch: number;
  fetchOffset: bigint;
  lastFetchedEpoch: number;
}

export interface FetchRequest {
  replicaId: number;
  /** The follower's broker epoch, as it knows its own registration (Fetch v15's ReplicaState); -1 unknown. */
  replicaEpoch: bigint;
  maxWaitMs: number;
  partitions: FetchPartitionRequest[];
}

export interface FetchPartitionAnswer {
  topic: string;
  partition: number;
  errorCode: number;
  highWatermark: bigint;
  logStartOffset: bigint;
  diverging: DivergingEpoch | null;
  batches: SimBatch[];
}

export interface PartitionLeader {
  topic: string;
  partition: number;
  leader: number;
  leaderEpoch: number;
}

/** A KafkaError(NOT_CONTROLLER) of NodeMetadata.decide and ControllerForwarder.send. */
class NotControllerAnswer extends Error {
  readonly errorCode = ErrorCode.NOT_CONTROLLER;
}

/** ControllerForwarder's pause while no controller is named. */
const CONTROLLER_WAIT_STEP_MS = 50;
/** IsrChanges' pause before a proposal whose fate is unknown is sent again, doubling up to the max. */
const ALTER_PARTITION_RETRY_BACKOFF_MS = 100;
const ALTER_PARTITION_RETRY_BACKOFF_MAX_MS = 3000;

/**
 * The data plane of one simulated node process, as `broker/` wires it over `replication/`: the
 * replicas the committed image gives it (ReplicaManager.applyChanges), Produce and follower Fetch
 * (with the long poll) as the handlers answer them, one fetcher per leader broker
 * (ReplicaFetcherManager), ISR changes (IsrChanges: the shrink check every lag/2, the expand check
 * after each follower fetch, proposals decided by the active controller, forwarded to it over the
 * network as ControllerForwarder does), the AlterPartition handler for when this node is the
 * controller, and the log manager's background work (high watermark checkpoints) plus the OS's
 * writeback of the page cache. A leader serves only while its broker is active
 * (BrokerLifecycle.isActive: unfenced with a live session), as `ReplicaManager.leaderOrError`.
 */
export class SimBroker implements SimEndpoint {
  readonly id: number;
  readonly name: string;
  readonly node: SimNode;
  readonly host: BrokerHost;
  private readonly disk: Map<string, SimReplicaLog>;
  readonly replicas = new Map<string, SimReplica>();
  private readonly fetchers = new Map<number, SimFetcher>();
  private readonly following = new Map<SimReplica, number>();
  private activeController: ControllerInfo | null = null;

  constructor(host: BrokerHost, node: SimNode, disk: Map<string, SimReplicaLog>) {
    this.host = host;
    this.node = node;
    this.id = node.id;
    this.name = `node${node.id}`;
    this.disk = disk;
  }

  get timers() {
    return this.node.timers;
  }

  get alive(): boolean {
    return !this.node.timers.crashed;
  }

  get image(): MetadataImage {
    return this.node.loader.image;
  }

  /** This process's broker epoch: its registration, once the image has this incarnation's; else -1. */
  get brokerEpoch(): bigint {
    const registration = this.image.brokers.get(this.id);
    return registration?.incarnationId === this.node.lifecycle.incarnation ? registration.epoch : -1n;
  }

  /** BrokerLifecycle.isActive: the broker may act as leader. */
  get mayLead(): boolean {
    return this.node.lifecycle.isActive;
  }

  trace(message: string): void {
    this.host.trace(this.id, message);
  }

  start(): void {
    this.node.loader.onPublish((image) => this.applyImage(image));
    this.node.quorum.watchController((info) => {
      this.activeController = info;
    });
    this.applyImage(this.image);
    const lagCheckMs = Math.max(100, Math.floor(this.host.timings.lagMaxMs / 2));
    const shrinkTick = () => {
      for (const replica of this.replicas.values()) {
        const isr = replica.isrAfterShrink(this.host.timings.lagMaxMs);
        if (isr === null) continue;
        this.trace(`${replica.name}: shrinking ISR from ${replica.state.isr} to ${isr}`);
        this.propose(replica, isr);
      }
      this.timers.after(lagCheckMs, shrinkTick);
    };
    this.timers.after(lagCheckMs, shrinkTick);
    const checkpointTick = () => {
      for (const replica of this.replicas.values()) replica.log.checkpointHighWatermark();
      this.timers.after(this.host.timings.highWatermarkCheckpointIntervalMs, checkpointTick);
    };
    this.timers.after(this.host.timings.highWatermarkCheckpointIntervalMs, checkpointTick);
  }

  /** The OS writes the page cache back: everything appended so far survives a machine crash. */
  flush(): void {
    for (const replica of this.replicas.values()) replica.log.flush();
  }

  // ---- the replica manager --------------------------------------------------------------------------

  private applyImage(image: MetadataImage): void {
    if (!this.alive) return;
    for (const topic of image.topicsById.values()) {
      const minInsyncReplicas = Number(image.topicConfig(topic.name).get("min.insync.replicas") ?? "1");
      for (const p of topic.partitions) {
        if (!p.replicas.includes(this.id)) continue;
        const key = `${topic.name}-${p.partitionId}`;
        const state = {
          leader: p.leader,
          leaderEpoch: p.leaderEpoch,
          partitionEpoch: p.partitionEpoch,
          replicas: p.replicas,
          isr: p.isr,
        };
        let replica = this.replicas.get(key);
        if (replica === undefined) {
          let log = this.disk.get(key);
          if (log === undefined) {
            log = new SimReplicaLog();
            this.disk.set(key, log);
          }
          replica = new SimReplica({
            topic: topic.name,
            partitionIndex: p.partitionId,
            topicId: topic.id,
            log,
            localBrokerId: this.id,
            state,
            minInsyncReplicas,
            clock: this.node.env.clock,
          });
          this.replicas.set(key, replica);
        } else if (replica.state.partitionEpoch !== p.partitionEpoch) {
          replica.update(state);
        }
        replica.minInsyncReplicas = minInsyncReplicas;
        this.followOrLead(replica);
      }
    }
  }

  private followOrLead(replica: SimReplica): void {
    if (replica.isLeader || replica.leaderId < 0) this.unfollow(replica);
    else this.follow(replica, replica.leaderId, replica.leaderEpoch);
  }

  private follow(replica: SimReplica, leaderId: number, leaderEpoch: number): void {
    const current = this.following.get(replica);
    if (current !== undefined && current !== leaderId) this.fetchers.get(current)?.remove(replica);
    this.following.set(replica, leaderId);
    let fetcher = this.fetchers.get(leaderId);
    if (fetcher === undefined) {
      fetcher = new SimFetcher(this, leaderId);
      this.fetchers.set(leaderId, fetcher);
    }
    fetcher.add(replica, leaderEpoch);
  }

  private unfollow(replica: SimReplica): void {
    const leaderId = this.following.get(replica);
    if (leaderId === undefined) return;
    this.following.delete(replica);
    const fetcher = this.fetchers.get(leaderId);
    fetcher?.remove(replica);
    if (fetcher !== undefined && fetcher.size === 0) {
      fetcher.stop();
      this.fetchers.delete(leaderId);
    }
  }

  /** ReplicaManager.leaderOrError, as an error code. */
  private leaderOrError(topic: string, partition: number): SimReplica | number {
    const replica = this.replicas.get(`${topic}-${partition}`);
    if (replica === undefined) {
      return this.image.partition(topic, partition) !== undefined
        ? ErrorCode.NOT_LEADER_OR_FOLLOWER
        : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
    }
    if (!replica.isLeader || !this.mayLead) return ErrorCode.NOT_LEADER_OR_FOLLOWER;
    return replica;
  }

  /** The broker a follower fetches from, while the image names it (ReplicaFetcherManager.endpointOf). */
  endpointOf(brokerId: number): SimBroker | null {
    if (this.image.brokers.get(brokerId) === undefined) return null;
    return this.host.broker(brokerId) ?? null;
  }

  // ---- Produce ----------------------------------------------------------------------------------------

  /** The Produce handler for one acks=all batch. */
  async handleProduce(request: ProduceRequest): Promise<ProduceAnswer> {
    const found = this.leaderOrError(request.topic, request.partition);
    if (typeof found === "number") return { errorCode: found, baseOffset: -1n };
    const append = found.appendRecordsToLeader(request.batch);
    if (!("batch" in append)) return { errorCode: append.errorCode, baseOffset: -1n };
    if (append.duplicate) this.host.count("duplicate retries deduplicated");
    const lastOffset = append.batch.lastOffset;
    const answer = { errorCode: ErrorCode.NONE, baseOffset: append.batch.baseOffset };
    if (found.highWatermark > lastOffset) return answer;
    const outcome = await new Promise<number | "timeout">((resolve) => {
      this.timers.after(request.timeoutMs, () => resolve("timeout"));
      void found.whenCommitted(lastOffset).then(resolve);
    });
    if (outcome === "timeout") {
      if (found.highWatermark <= lastOffset)
        return { errorCode: ErrorCode.REQUEST_TIMED_OUT, baseOffset: -1n };
      return answer;
    }
    return outcome === ErrorCode.NONE ? answer : { errorCode: outcome, baseOffset: -1n };
  }

  /** Metadata, as this node's image says it (what a client refreshes its leaders from). */
  handleMetadata(): PartitionLeader[] {
    const out: PartitionLeader[] = [];
    for (const topic of this.image.topicsById.values()) {
      for (const p of topic.partitions) {
        out.push({
          topic: topic.name,
          partition: p.partitionId,
          leader: p.leader,
          leaderEpoch: p.leaderEpoch,
        });
      }
    }
    return out;
  }

  // ---- Fetch from followers ------------------------------------------------------------------------

  /** The Fetch handler for a follower: read, park while there is nothing (long poll), read again. */
  async handleFetch(request: FetchRequest): Promise<FetchPartitionAnswer[]> {
    const first = this.readAll(request);
    if (!shouldWait(first, request.maxWaitMs)) return first;
    await this.waitForData(request, request.maxWaitMs);
    return this.readAll(request);
  }

  private readAll(request: FetchRequest): FetchPartitionAnswer[] {
    return request.partitions.map((p) => this.readOne(request.replicaId, request.replicaEpoch, p));
  }

  private readOne(replicaId: number, replicaEpoch: bigint, p: FetchPartitionRequest): FetchPartitionAnswer {
    const fail = (errorCode: number): FetchPartitionAnswer => ({
      topic: p.topic,
      partition: p.partition,
      errorCode,
      highWatermark: -1n,
      logStartOffset: -1n,
      diverging: null,
      batches: [],
    });
    const found = this.leaderOrError(p.topic, p.partition);
    if (typeof found === "number") return fail(found);
    const outcome = found.fetchForFollower({
      replicaId,
      replicaEpoch,
      fetchOffset: p.fetchOffset,
      lastFetchedEpoch: p.lastFetchedEpoch,
      currentLeaderEpoch: p.currentLeaderEpoch,
      batchesMax: this.host.timings.fetchBatchesMax,
    });
    if (outcome.errorCode !== ErrorCode.NONE) return fail(outcome.errorCode);
    const base = {
      topic: p.topic,
      partition: p.partition,
      errorCode: ErrorCode.NONE,
      highWatermark: found.highWatermark,
      logStartOffset: found.log.logStartOffset,
    };
    if ("diverging" in outcome) return { ...base, diverging: outcome.diverging, batches: [] };
    if (!("batches" in outcome)) return fail(ErrorCode.UNKNOWN_SERVER_ERROR);
    this.maybeExpand(found, replicaId);
    return { ...base, highWatermark: found.highWatermark, diverging: null, batches: outcome.batches };
  }

  private waitForData(request: FetchRequest, waitMs: number): Promise<void> {
    return new Promise((resolve) => {
      const unsubscribes: (() => void)[] = [];
      let parked = true;
      const done = () => {
        if (!parked) return;
        parked = false;
        for (const u of unsubscribes) u();
        resolve();
      };
      this.timers.after(waitMs, done);
      for (const p of request.partitions) {
        const replica = this.replicas.get(`${p.topic}-${p.partition}`);
        if (replica !== undefined) unsubscribes.push(replica.onAppend(done));
      }
    });
  }

  /** ListOffsets(EARLIEST) from a follower whose fetch was out of range. */
  handleListEarliest(
    topic: string,
    partition: number,
    currentLeaderEpoch: number,
  ): { errorCode: number; offset: bigint } {
    const found = this.leaderOrError(topic, partition);
    if (typeof found === "number") return { errorCode: found, offset: -1n };
    const errorCode = found.leaderError(currentLeaderEpoch);
    if (errorCode !== ErrorCode.NONE) return { errorCode, offset: -1n };
    return { errorCode: ErrorCode.NONE, offset: found.log.logStartOffset };
  }

  // ---- ISR changes (IsrChanges) -------------------------------------------------------------------

  private maybeExpand(replica: SimReplica, replicaId: number): void {
    const image = this.image;
    const isr = replica.isrAfterExpand(replicaId, (id, brokerEpoch) => {
      const registration = image.brokers.get(id);
      return registration !== undefined && !registration.fenced && registration.epoch === brokerEpoch;
    });
    if (isr === null) return;
    this.trace(`${replica.name}: expanding ISR from ${replica.state.isr} to ${isr}`);
    this.propose(replica, isr);
  }

  private propose(replica: SimReplica, isr: number[]): void {
    replica.setProposedIsr(isr);
    this.host.count(
      isr.length > replica.state.isr.length ? "ISR expansions proposed" : "ISR shrinks proposed",
    );
    this.attempt(replica, isr, 0);
  }

  private attempt(replica: SimReplica, isr: number[], retries: number): void {
    const partitionEpoch = replica.state.partitionEpoch;
    void this.sendAlterPartition(replica, isr).then(
      (errorCode) => this.answered(replica, isr, partitionEpoch, errorCode, retries),
      (error: unknown) => {
        if (!(error instanceof NotControllerAnswer)) {
          this.host.fail(error);
          return;
        }
        this.trace(`${replica.name}: ISR change to ${isr} not sent: ${error.message}`);
        this.answered(replica, isr, partitionEpoch, error.errorCode, retries);
      },
    );
  }

  /** IsrChanges.answered: what the rules say to do with the proposal, unless the image ended it. */
  private answered(
    replica: SimReplica,
    isr: number[],
    partitionEpoch: number,
    errorCode: number | null,
    retries: number,
  ): void {
    if (!this.alive || !replica.isProposedIsr(isr)) return;
    if (errorCode !== ErrorCode.NONE) {
      this.trace(`${replica.name}: ISR change to ${isr} not made (error ${errorCode})`);
      const now = this.host.committed(replica.topic, replica.partitionIndex);
      if (now !== undefined && now.partitionEpoch > partitionEpoch && sameMembers(now.isr, isr))
        this.host.count(`ISR changes answered ${errorCode} though committed`);
    }
    switch (isrProposalAction(errorCode)) {
      case "await-metadata":
        return;
      case "withdraw":
        replica.withdrawProposedIsr(isr);
        return;
      case "retry":
        this.host.count("ISR changes sent again");
        this.timers.after(
          Math.min(ALTER_PARTITION_RETRY_BACKOFF_MS * 2 ** retries, ALTER_PARTITION_RETRY_BACKOFF_MAX_MS),
          () => {
            if (replica.isLeader && replica.isProposedIsr(isr)) this.attempt(replica, isr, retries + 1);
          },
        );
    }
  }

  private async sendAlterPartition(replica: SimReplica, isr: number[]): Promise<number> {
    const brokerEpoch = this.image.brokers.get(this.id)?.epoch ?? -1n;
    const change: IsrChangeRequest = {
      topicId: replica.topicId,
      partitionIndex: replica.partitionIndex,
      leaderEpoch: replica.leaderEpoch,
      partitionEpoch: replica.state.partitionEpoch,
      newIsr: isr,
    };
    if (this.node.controller.isActive) {
      const outcome = await this.decide(this.id, brokerEpoch, change);
      if (outcome.errorCode !== ErrorCode.NONE) return outcome.errorCode;
      return outcome.partitionErrorCode;
    }
    const answer = await this.forward(
      (controller) => controller.handleAlterPartition(this.id, brokerEpoch, change),
      this.host.timings.alterPartitionTimeoutMs,
    );
    return answer.errorCode !== ErrorCode.NONE ? answer.errorCode : answer.partitionErrorCode;
  }

  /** The AlterPartition handler: only the active controller decides. */
  async handleAlterPartition(
    brokerId: number,
    brokerEpoch: bigint,
    change: IsrChangeRequest,
  ): Promise<{ errorCode: number; partitionErrorCode: number }> {
    if (!this.node.controller.isActive)
      return { errorCode: ErrorCode.NOT_CONTROLLER, partitionErrorCode: -1 };
    try {
      return await this.decide(brokerId, brokerEpoch, change);
    } catch (error) {
      if (error instanceof NotControllerAnswer)
        return { errorCode: ErrorCode.NOT_CONTROLLER, partitionErrorCode: -1 };
      throw error;
    }
  }

  /** NodeMetadata.decide of decideAlterPartition: answered once committed and applied here. */
  private async decide(
    brokerId: number,
    brokerEpoch: bigint,
    change: IsrChangeRequest,
  ): Promise<{ errorCode: number; partitionErrorCode: number }> {
    const controller = this.node.controller;
    if (!controller.isActive) throw new NotControllerAnswer("not the active controller");
    try {
      const committed = await controller.submit("alter partition", (builder) => {
        const decided = decideAlterPartition(
          builder.image,
          brokerId,
          brokerEpoch,
          [change],
          SIM_PARTITION_RULES,
        );
        builder.add(decided.records);
        return decided;
      });
      await this.node.loader.whenApplied(committed.offset);
      const result = committed.result;
      return {
        errorCode: result.errorCode,
        partitionErrorCode: result.results[0]?.errorCode ?? ErrorCode.UNKNOWN_SERVER_ERROR,
      };
    } catch (error) {
      if (error instanceof NotControllerError) throw new NotControllerAnswer(error.message);
      throw error;
    }
  }

  /** ControllerForwarder.send: to the controller the store names, then catch up with the log. */
  private async forward<T>(handle: (controller: SimBroker) => Promise<T>, timeoutMs: number): Promise<T> {
    const clock = this.node.env.clock;
    const deadline = clock.monotonicMs() + timeoutMs;
    let controller = this.activeController;
    while (controller?.endPoint == null || controller.nodeId === this.id) {
      if (this.node.controller.isActive) throw new NotControllerAnswer("this node became the controller");
      if (clock.monotonicMs() >= deadline) throw new NotControllerAnswer("no active controller");
      await new Promise<void>((resolve) => this.timers.after(CONTROLLER_WAIT_STEP_MS, resolve));
      controller = this.activeController;
    }
    const target = this.host.broker(controller.nodeId);
    const answer =
      target === undefined
        ? null
        : await this.host.network.request(
            this,
            target,
            () => handle(target),
            Math.max(1, deadline - clock.monotonicMs()),
          );
    if (answer === null)
      throw new NotControllerAnswer(`the controller (node ${controller.nodeId}) did not answer`);
    await this.node.loader.catchUp().catch(() => {});
    return answer;
  }
}

function sameMembers(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x) => b.includes(x));
}

function shouldWait(reads: FetchPartitionAnswer[], waitMs: number): boolean {
  if (waitMs <= 0 || reads.length === 0) return false;
  let batches = 0;
  for (const r of reads) {
    if (r.errorCode !== ErrorCode.NONE || r.diverging !== null) return false;
    batches += r.batches.length;
  }
  return batches < 1;
}
