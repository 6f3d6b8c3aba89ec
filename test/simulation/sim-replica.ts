import assert from "node:assert/strict";
import type { Clock } from "../../src/base/index.js";
import { ErrorCode } from "../../src/protocol/index.js";
import {
  type DivergingEpoch,
  divergingEpoch,
  type FollowerProgress,
  followerHighWatermark,
  followerProgressAfterFetch,
  hasEnoughReplicas,
  highWatermarkCandidate,
  type IsrEligibility,
  initialFollowerProgress,
  isrAfterExpand,
  isrAfterShrink,
  leaderEpochError,
  maximalIsr,
  type PartitionState,
} from "../../src/replication/index.js";
import type { ProducedBatch, SimBatch, SimReplicaLog } from "./sim-replica-log.js";

interface HighWatermarkWaiter {
  offset: bigint;
  done(errorCode: number): void;
}

export type LeaderAppend =
  | { errorCode: number }
  | { errorCode: typeof ErrorCode.NONE; batch: SimBatch; duplicate: boolean };

export type FollowerFetchOutcome =
  | { errorCode: number }
  | { errorCode: typeof ErrorCode.NONE; diverging: DivergingEpoch }
  | { errorCode: typeof ErrorCode.NONE; batches: SimBatch[] };

/**
 * One partition replica of a simulated node: `replication/Partition` around an in-memory log.
 * Every decision is a rule of `replication/replica-rules.ts` (the code under test); this class
 * keeps the state Partition keeps (the registration from the image, follower progress, the ISR
 * proposal in flight, the high watermark waiters) and changes it where Partition does.
 *
 * Invariants asserted here, as Partition asserts them: the leader epoch and the high watermark
 * never go back, the high watermark never passes the log end, a follower never truncates below
 * its high watermark (unclean election is off).
 */
export class SimReplica {
  readonly topic: string;
  readonly partitionIndex: number;
  readonly topicId: string;
  readonly log: SimReplicaLog;
  private readonly localBrokerId: number;
  private readonly clock: Clock;
  private stateValue: PartitionState;
  minInsyncReplicas: number;
  private readonly followers = new Map<number, FollowerProgress>();
  private leaderEpochStartOffset = -1n;
  private proposedIsr: readonly number[] | null = null;
  private hwWaiters: HighWatermarkWaiter[] = [];
  private readonly appendListeners = new Set<() => void>();

  constructor(options: {
    topic: string;
    partitionIndex: number;
    topicId: string;
    log: SimReplicaLog;
    localBrokerId: number;
    state: PartitionState;
    minInsyncReplicas: number;
    clock: Clock;
  }) {
    this.topic = options.topic;
    this.partitionIndex = options.partitionIndex;
    this.topicId = options.topicId;
    this.log = options.log;
    this.localBrokerId = options.localBrokerId;
    this.clock = options.clock;
    this.stateValue = options.state;
    this.minInsyncReplicas = options.minInsyncReplicas;
    if (this.isLeader) this.becomeLeader();
  }

  get name(): string {
    return `${this.topic}-${this.partitionIndex}`;
  }

  get state(): PartitionState {
    return this.stateValue;
  }

  get isLeader(): boolean {
    return this.stateValue.leader === this.localBrokerId;
  }

  get leaderId(): number {
    return this.stateValue.leader;
  }

  get leaderEpoch(): number {
    return this.stateValue.leaderEpoch;
  }

  get highWatermark(): bigint {
    return this.log.highWatermark;
  }

  get maximalIsr(): readonly number[] {
    return maximalIsr(this.stateValue.isr, this.proposedIsr);
  }

  get hasProposalInFlight(): boolean {
    return this.proposedIsr !== null;
  }

  /** Called after every append to this replica's log (parked follower fetches wake up). */
  onAppend(listener: () => void): () => void {
    this.appendListeners.add(listener);
    return () => this.appendListeners.delete(listener);
  }

  /** Partition.update: a new registration from the committed image. */
  update(state: PartitionState): void {
    assert(
      state.leaderEpoch >= this.stateValue.leaderEpoch,
      `leader epoch went back on ${this.name}: ${state.leaderEpoch} after ${this.stateValue.leaderEpoch}`,
    );
    const wasLeader = this.isLeader;
    const epochChanged = state.leaderEpoch !== this.stateValue.leaderEpoch;
    const previous = this.stateValue;
    this.stateValue = state;
    if (this.isLeader && (!wasLeader || epochChanged)) {
      this.becomeLeader();
    } else if (!this.isLeader && wasLeader) {
      this.resign();
    } else if (this.isLeader) {
      if (this.proposedIsr !== null && state.partitionEpoch !== previous.partitionEpoch)
        this.proposedIsr = null;
      for (const r of state.replicas)
        if (r !== this.localBrokerId && !this.followers.has(r)) this.addFollower(r, false);
      for (const r of [...this.followers.keys()]) if (!state.replicas.includes(r)) this.followers.delete(r);
      this.maybeAdvanceHighWatermark();
    }
  }

  private becomeLeader(): void {
    if (this.log.latestEpoch < this.stateValue.leaderEpoch) {
      this.log.epochCache.assign(this.stateValue.leaderEpoch, this.log.logEndOffset);
    }
    this.leaderEpochStartOffset = this.log.logEndOffset;
    this.proposedIsr = null;
    this.followers.clear();
    for (const r of this.stateValue.replicas) {
      if (r !== this.localBrokerId) this.addFollower(r, this.stateValue.isr.includes(r));
    }
    this.maybeAdvanceHighWatermark();
  }

  private addFollower(replicaId: number, inIsr: boolean): FollowerProgress {
    const progress = initialFollowerProgress(inIsr, this.clock.monotonicMs());
    this.followers.set(replicaId, progress);
    return progress;
  }

  private resign(): void {
    this.followers.clear();
    this.proposedIsr = null;
    this.leaderEpochStartOffset = -1n;
    const waiters = this.hwWaiters;
    this.hwWaiters = [];
    for (const w of waiters) w.done(ErrorCode.NOT_LEADER_OR_FOLLOWER);
  }

  /** Partition.checkLeader, as an error code. */
  leaderError(currentLeaderEpoch = -1): number {
    if (!this.isLeader) return ErrorCode.NOT_LEADER_OR_FOLLOWER;
    return leaderEpochError(currentLeaderEpoch, this.stateValue.leaderEpoch);
  }

  /**
   * Partition.appendRecordsToLeader with acks=all and the log's idempotent-producer checks
   * (ProducerStateManager, "client" origin): a retry of one of the producer's last batches is a
   * duplicate (its original offsets, nothing written); a sequence that does not follow the last is
   * OUT_OF_ORDER_SEQUENCE_NUMBER.
   */
  appendRecordsToLeader(produced: ProducedBatch): LeaderAppend {
    const leaderError = this.leaderError();
    if (leaderError !== ErrorCode.NONE) return { errorCode: leaderError };
    if (!hasEnoughReplicas(this.stateValue.isr, this.minInsyncReplicas, this.stateValue.replicas))
      return { errorCode: ErrorCode.NOT_ENOUGH_REPLICAS };
    const recent = this.log.producerBatches(produced.producerId);
    const duplicate = recent.find((b) => b.sequence === produced.sequence);
    if (duplicate !== undefined) return { errorCode: ErrorCode.NONE, batch: duplicate, duplicate: true };
    const last = recent.at(-1);
    if (last !== undefined && produced.sequence !== last.sequence + 1)
      return { errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER };
    const batch = this.log.appendAsLeader(produced, this.stateValue.leaderEpoch);
    this.maybeAdvanceHighWatermark();
    this.notifyAppend();
    return { errorCode: ErrorCode.NONE, batch, duplicate: false };
  }

  /**
   * Partition.whenCommitted for acks=all: NONE once the high watermark passed `offset` with a
   * maximal ISR of at least the effective min ISR, NOT_ENOUGH_REPLICAS_AFTER_APPEND with a smaller one,
   * NOT_LEADER_OR_FOLLOWER when this replica stops leading first.
   */
  whenCommitted(offset: bigint): Promise<number> {
    const check = () =>
      hasEnoughReplicas(this.maximalIsr, this.minInsyncReplicas, this.stateValue.replicas)
        ? ErrorCode.NONE
        : ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND;
    if (this.log.highWatermark > offset) return Promise.resolve(check());
    if (!this.isLeader) return Promise.resolve(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    return new Promise((resolve) => {
      this.hwWaiters.push({
        offset,
        done: (errorCode) => resolve(errorCode === ErrorCode.NONE ? check() : errorCode),
      });
    });
  }

  private maybeAdvanceHighWatermark(): void {
    if (!this.isLeader) return;
    if (!hasEnoughReplicas(this.stateValue.isr, this.minInsyncReplicas, this.stateValue.replicas)) return;
    const candidate = highWatermarkCandidate({
      localBrokerId: this.localBrokerId,
      writtenEndOffset: this.log.logEndOffset,
      maximalIsr: this.maximalIsr,
      followers: this.followers,
    });
    if (candidate === null || candidate <= this.log.highWatermark) return;
    this.setHighWatermark(candidate);
  }

  private setHighWatermark(offset: bigint): void {
    const before = this.log.highWatermark;
    const after = this.log.updateHighWatermark(offset);
    assert(after >= before, `high watermark of ${this.name} went back: ${after} after ${before}`);
    assert(after <= this.log.logEndOffset, "the high watermark never passes the log end");
    if (after === before || this.hwWaiters.length === 0) return;
    const ready = this.hwWaiters.filter((w) => w.offset < after);
    if (ready.length === 0) return;
    this.hwWaiters = this.hwWaiters.filter((w) => w.offset >= after);
    for (const w of ready) w.done(ErrorCode.NONE);
  }

  private notifyAppend(): void {
    for (const listener of [...this.appendListeners]) listener();
  }

  /** Partition.fetchForFollower: the epoch check, then a read up to the log end and the bookkeeping. */
  fetchForFollower(options: {
    replicaId: number;
    replicaEpoch: bigint;
    fetchOffset: bigint;
    lastFetchedEpoch: number;
    currentLeaderEpoch: number;
    batchesMax: number;
  }): FollowerFetchOutcome {
    const leaderError = this.leaderError(options.currentLeaderEpoch);
    if (leaderError !== ErrorCode.NONE) return { errorCode: leaderError };
    if (!this.stateValue.replicas.includes(options.replicaId))
      return { errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER };
    const diverging = divergingEpoch(options.lastFetchedEpoch, options.fetchOffset, (epoch) =>
      this.log.endOffsetForEpoch(epoch),
    );
    if (diverging !== null) return { errorCode: ErrorCode.NONE, diverging };
    const batches = this.log.read(options.fetchOffset, options.batchesMax);
    if (batches === null) return { errorCode: ErrorCode.OFFSET_OUT_OF_RANGE };
    const progress = this.followers.get(options.replicaId) ?? this.addFollower(options.replicaId, false);
    this.followers.set(
      options.replicaId,
      followerProgressAfterFetch(
        progress,
        options.fetchOffset,
        this.log.logEndOffset,
        this.clock.monotonicMs(),
        options.replicaEpoch,
      ),
    );
    this.maybeAdvanceHighWatermark();
    return { errorCode: ErrorCode.NONE, batches };
  }

  /** Partition.isrAfterShrink. */
  isrAfterShrink(lagMaxMs: number): number[] | null {
    if (!this.isLeader || this.proposedIsr !== null) return null;
    return isrAfterShrink({
      localBrokerId: this.localBrokerId,
      isr: this.stateValue.isr,
      followers: this.followers,
      nowMs: this.clock.monotonicMs(),
      lagMaxMs,
    });
  }

  /** Partition.isrAfterExpand. */
  isrAfterExpand(replicaId: number, eligible: IsrEligibility): number[] | null {
    if (!this.isLeader || this.proposedIsr !== null) return null;
    return isrAfterExpand({
      isr: this.stateValue.isr,
      replicas: this.stateValue.replicas,
      replicaId,
      progress: this.followers.get(replicaId),
      highWatermark: this.log.highWatermark,
      leaderEpochStartOffset: this.leaderEpochStartOffset,
      eligible,
    });
  }

  setProposedIsr(isr: readonly number[]): void {
    this.proposedIsr = isr;
    this.maybeAdvanceHighWatermark();
  }

  isProposedIsr(isr: readonly number[]): boolean {
    return this.proposedIsr === isr;
  }

  withdrawProposedIsr(isr: readonly number[]): void {
    if (this.proposedIsr !== isr) return;
    this.proposedIsr = null;
    this.maybeAdvanceHighWatermark();
  }

  get proposal(): readonly number[] | null {
    return this.proposedIsr;
  }

  // ---- follower side ------------------------------------------------------------------------------

  appendAsFollower(batches: readonly SimBatch[]): void {
    assert(!this.isLeader, `${this.name}: a leader does not append as a follower`);
    this.log.appendAsFollower(batches);
    if (batches.length > 0) this.notifyAppend();
  }

  updateFollowerHighWatermark(leaderHighWatermark: bigint): void {
    const next = followerHighWatermark(leaderHighWatermark, this.log.logEndOffset, this.log.highWatermark);
    if (next > this.log.highWatermark) this.setHighWatermark(next);
  }

  truncateTo(offset: bigint): void {
    assert(!this.isLeader, `${this.name}: a leader never truncates`);
    assert(
      offset >= this.log.highWatermark,
      `${this.name} on node ${this.localBrokerId}: truncation to ${offset} below the high watermark ${this.log.highWatermark}`,
    );
    this.log.truncateTo(offset);
  }

  restartAt(offset: bigint): void {
    assert(!this.isLeader, `${this.name}: a leader never restarts its log`);
    this.log.truncateFullyAndStartAt(offset);
  }
}
