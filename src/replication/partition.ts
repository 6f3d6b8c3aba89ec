import { assert, type BufferLease, type Clock } from "../base/index.js";
import { ErrorCode, KafkaError, type Uuid } from "../protocol/index.js";
import {
  type AppendOrigin,
  DuplicateBatchError,
  type Log,
  type LogAppendInfo,
  type LogReadResult,
  ProducerStateManager,
  type ProducerStateOptions,
} from "../storage/index.js";
import {
  type DivergingEpoch,
  divergingEpoch,
  effectiveMinIsr,
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
} from "./replica-rules.js";

export type { DivergingEpoch, FollowerProgress } from "./replica-rules.js";

/** How a partition is registered in the metadata image, as this broker sees it. */
export interface PartitionState {
  leader: number;
  leaderEpoch: number;
  partitionEpoch: number;
  replicas: readonly number[];
  isr: readonly number[];
}

export const IsolationLevel = { readUncommitted: 0, readCommitted: 1 } as const;

interface HighWatermarkWaiter {
  offset: bigint;
  resolve(): void;
  reject(error: Error): void;
}

/**
 * One partition replica on this broker: its log plus Kafka's replication state (leader epoch,
 * replicas, ISR, high watermark). Writes go through the leader; followers fetch from it and
 * append what they fetch as it is; a record becomes readable by consumers once every member of
 * the ISR has it, which is when the high watermark passes it.
 *
 * As leader it tracks each follower's log end offset and when it last caught up, advances the
 * high watermark to the smallest log end offset in the ISR (its own counting once appends are in
 * the file), and proposes ISR changes (the ReplicaManager sends them to the controller; they apply
 * only once committed in the metadata, which then comes back through `update`). A proposal in
 * flight adds its new members to the ISR the high watermark waits for (Kafka's maximal ISR), and
 * removes none until committed.
 *
 * Invariants: logStartOffset <= highWatermark <= logEndOffset; the high watermark never goes
 * back; the leader epoch never goes back. The rules themselves are in replica-rules.ts.
 */
export class Partition {
  readonly topic: string;
  readonly partitionIndex: number;
  readonly topicId: Uuid;
  readonly log: Log;
  /** Idempotent producers of this partition; installed as the log's append hook. */
  readonly producerState: ProducerStateManager;
  private readonly localBrokerId: number;
  private readonly clock: Clock;
  private state: PartitionState;
  private readonly followers = new Map<number, FollowerProgress>();
  /** Each follower's log start offset as its last fetch reported it (Fetch v5+), for DeleteRecords. */
  private readonly followerLogStartOffsets = new Map<number, bigint>();
  private lowWatermarkWaiters: { offset: bigint; resolve: () => void; reject: (e: Error) => void }[] = [];
  /** Consumer fetches this replica answered as a follower (KIP-392), for tests and metrics. */
  consumerFetchesAsFollower = 0;
  /** The log end when this replica became leader of the current epoch. */
  private leaderEpochStartOffset = -1n;
  /** An ISR proposal sent to the controller and not yet committed (or refused). */
  private proposedIsr: readonly number[] | null = null;
  private hwWaiters: HighWatermarkWaiter[] = [];
  private readonly changeListeners = new Set<() => void>();

  constructor(options: {
    topic: string;
    partitionIndex: number;
    topicId: Uuid;
    log: Log;
    localBrokerId: number;
    state: PartitionState;
    producerState: ProducerStateOptions;
    clock: Clock;
  }) {
    this.topic = options.topic;
    this.partitionIndex = options.partitionIndex;
    this.topicId = options.topicId;
    this.log = options.log;
    this.localBrokerId = options.localBrokerId;
    this.clock = options.clock;
    this.state = options.state;
    this.producerState = ProducerStateManager.attach(options.log, options.producerState);
    // The listeners (consumers' parked fetches) read up to the high watermark: an append wakes
    // them only through the high watermark it moves (setHighWatermark notifies). With followers,
    // the log end moves first and the high watermark a fetch round trip later; waking consumers
    // at the append answered their fetches with nothing, once per append.
    options.log.setWrittenCallback(() => this.maybeAdvanceHighWatermark());
    if (this.isLeader) this.becomeLeader();
  }

  get name(): string {
    return `${this.topic}-${this.partitionIndex}`;
  }

  get isLeader(): boolean {
    return this.state.leader === this.localBrokerId;
  }

  get leaderId(): number {
    return this.state.leader;
  }

  get leaderEpoch(): number {
    return this.state.leaderEpoch;
  }

  get partitionEpoch(): number {
    return this.state.partitionEpoch;
  }

  get replicas(): readonly number[] {
    return this.state.replicas;
  }

  get isr(): readonly number[] {
    return this.state.isr;
  }

  get highWatermark(): bigint {
    return this.log.highWatermark;
  }

  /** Transactions will hold this below the first open transaction; until then it is the HW. */
  get lastStableOffset(): bigint {
    return this.log.lastStableOffset;
  }

  /** The ISR the high watermark waits for: the committed one plus members a proposal adds. */
  get maximalIsr(): readonly number[] {
    return maximalIsr(this.state.isr, this.proposedIsr);
  }

  get hasProposalInFlight(): boolean {
    return this.proposedIsr !== null;
  }

  follower(replicaId: number): FollowerProgress | undefined {
    return this.followers.get(replicaId);
  }

  /**
   * Called when the high watermark moves, and when this replica becomes leader or stops leading
   * (consumers' parked fetches wake up). Followers' fetches wait on the log's appends instead.
   */
  onChange(listener: () => void): () => void {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  }

  /** Applies a new registration from the committed metadata image. */
  update(state: PartitionState): void {
    assert(
      state.leaderEpoch >= this.state.leaderEpoch,
      () => `leader epoch went back on ${this.name}: ${state.leaderEpoch} after ${this.state.leaderEpoch}`,
    );
    const wasLeader = this.isLeader;
    const epochChanged = state.leaderEpoch !== this.state.leaderEpoch;
    const previous = this.state;
    this.state = state;
    if (this.isLeader && (!wasLeader || epochChanged)) {
      this.becomeLeader();
    } else if (!this.isLeader && wasLeader) {
      this.resign();
    } else if (this.isLeader) {
      // Same epoch: an ISR change (ours, committed) or a reassignment.
      if (this.proposedIsr !== null && state.partitionEpoch !== previous.partitionEpoch)
        this.proposedIsr = null;
      for (const r of state.replicas)
        if (r !== this.localBrokerId && !this.followers.has(r)) this.addFollower(r, false);
      for (const r of [...this.followers.keys()]) {
        if (state.replicas.includes(r)) continue;
        this.followers.delete(r);
        this.followerLogStartOffsets.delete(r);
      }
      this.maybeAdvanceHighWatermark();
      this.maybeCompleteLowWatermarkWaiters();
    }
  }

  private becomeLeader(): void {
    // A new leader epoch starts at the log end: OffsetForLeaderEpoch and follower truncation use it.
    if (this.log.latestEpoch < this.state.leaderEpoch) {
      this.log.assignEpochStartOffset(this.state.leaderEpoch, this.log.logEndOffset);
    }
    this.leaderEpochStartOffset = this.log.logEndOffset;
    this.proposedIsr = null;
    this.followers.clear();
    this.followerLogStartOffsets.clear();
    for (const r of this.state.replicas) {
      if (r !== this.localBrokerId) this.addFollower(r, this.state.isr.includes(r));
    }
    this.maybeAdvanceHighWatermark();
    this.notifyChange();
  }

  private addFollower(replicaId: number, inIsr: boolean): FollowerProgress {
    const progress = initialFollowerProgress(inIsr, this.clock.monotonicMs());
    this.followers.set(replicaId, progress);
    return progress;
  }

  private resign(): void {
    this.followers.clear();
    this.followerLogStartOffsets.clear();
    this.proposedIsr = null;
    this.leaderEpochStartOffset = -1n;
    const waiters = this.hwWaiters;
    this.hwWaiters = [];
    for (const w of waiters) w.reject(new KafkaError(ErrorCode.NOT_LEADER_OR_FOLLOWER));
    const lowWaiters = this.lowWatermarkWaiters;
    this.lowWatermarkWaiters = [];
    for (const w of lowWaiters) w.reject(new KafkaError(ErrorCode.NOT_LEADER_OR_FOLLOWER));
    this.notifyChange();
  }

  /**
   * Its log dir went offline (Kafka's markPartitionOffline): waiting acknowledgements fail with
   * KAFKA_STORAGE_ERROR at once, and parked fetches wake up to find the log offline.
   */
  markOffline(): void {
    const waiters = this.hwWaiters;
    this.hwWaiters = [];
    const error = new KafkaError(
      ErrorCode.KAFKA_STORAGE_ERROR,
      `partition ${this.name} is in an offline log dir`,
    );
    for (const w of waiters) w.reject(error);
    this.proposedIsr = null;
    this.notifyChange();
  }

  /**
   * Checks that this broker leads the partition and, when the client sent one, that its leader
   * epoch is the current one (KIP-320): older -> FENCED_LEADER_EPOCH, newer -> UNKNOWN_LEADER_EPOCH.
   */
  checkLeader(currentLeaderEpoch = -1): void {
    if (!this.isLeader) throw new KafkaError(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    this.checkEpoch(currentLeaderEpoch);
  }

  private checkEpoch(currentLeaderEpoch: number): void {
    const errorCode = leaderEpochError(currentLeaderEpoch, this.state.leaderEpoch);
    if (errorCode !== ErrorCode.NONE) throw new KafkaError(errorCode);
  }

  /**
   * Appends a producer's batches. acks=all is refused before writing when the ISR is below
   * min.insync.replicas (NOT_ENOUGH_REPLICAS), as Kafka does. A retried idempotent batch that the
   * log already holds is not written again: the result carries the original batch's offsets (and
   * batchCount 0), which Produce answers with NONE, as Kafka does. `origin` is "client" for
   * producers (their batches' records are walked) and "coordinator" for the group coordinator's
   * own batches, as Kafka's AppendOrigin.
   */
  appendRecordsToLeader(
    records: Buffer,
    requiredAcks: number,
    origin: AppendOrigin = "client",
  ): LogAppendInfo {
    this.checkLeader();
    const minIsr = effectiveMinIsr(this.log.config.minInsyncReplicas, this.state.replicas);
    if (requiredAcks === -1 && this.state.isr.length < minIsr) {
      throw new KafkaError(
        ErrorCode.NOT_ENOUGH_REPLICAS,
        `The size of the current ISR ${this.state.isr.length} is insufficient to satisfy the min.isr requirement of ${minIsr} for partition ${this.name}`,
      );
    }
    let info: LogAppendInfo;
    try {
      info = this.log.appendAsLeader(records, this.state.leaderEpoch, { origin });
    } catch (error) {
      if (error instanceof DuplicateBatchError) return this.duplicateAppendInfo(error);
      throw error;
    }
    this.maybeAdvanceHighWatermark();
    return info;
  }

  /**
   * Resolves once this partition's appends are in the log file, when an acks=1 produce may be
   * answered; rejects with KAFKA_STORAGE_ERROR.
   */
  async whenAppended(): Promise<void> {
    await this.log.whenWritten();
    this.maybeAdvanceHighWatermark();
  }

  /**
   * Resolves once the high watermark has passed `offset` (every ISR member has it): when an
   * acks=all produce, a coordinator's or the registry's append may be answered. Rejects with
   * NOT_LEADER_OR_FOLLOWER if this broker stops leading first, and with NOT_ENOUGH_REPLICAS_AFTER_APPEND
   * when the record is committed by an ISR smaller than min.insync.replicas (Kafka's DelayedProduce).
   */
  whenCommitted(offset: bigint, requiredAcks = -1): Promise<void> {
    const check = (): Error | null => {
      const minIsr = effectiveMinIsr(this.log.config.minInsyncReplicas, this.state.replicas);
      // Kafka's DelayedProduce counts the maximal ISR here (members a proposal adds included).
      if (requiredAcks === -1 && this.maximalIsr.length < minIsr) {
        return new KafkaError(
          ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND,
          `The size of the current ISR ${this.maximalIsr.length} is insufficient to satisfy the min.isr requirement of ${minIsr} for partition ${this.name}`,
        );
      }
      return null;
    };
    if (this.log.highWatermark > offset) {
      const error = check();
      return error === null ? Promise.resolve() : Promise.reject(error);
    }
    if (!this.isLeader) return Promise.reject(new KafkaError(ErrorCode.NOT_LEADER_OR_FOLLOWER));
    return new Promise<void>((resolve, reject) => {
      this.hwWaiters.push({
        offset,
        resolve: () => {
          const error = check();
          if (error === null) resolve();
          else reject(error);
        },
        reject,
      });
    });
  }

  private duplicateAppendInfo(duplicate: DuplicateBatchError): LogAppendInfo {
    const logAppendTime = this.log.config.messageTimestampType === "LogAppendTime";
    return {
      firstOffset: duplicate.firstOffset,
      lastOffset: duplicate.lastOffset,
      logAppendTimeMs: logAppendTime ? duplicate.timestamp : -1n,
      logStartOffset: this.log.logStartOffset,
      recordCount: 0,
      batchCount: 0,
      validBytes: 0,
      maxTimestamp: duplicate.timestamp,
      offsetOfMaxTimestamp: duplicate.lastOffset,
    };
  }

  /** The high watermark is the smallest log end offset in the (maximal) ISR, never going back. */
  private maybeAdvanceHighWatermark(): void {
    if (!this.isLeader) return;
    // Under min ISR the high watermark stays (Kafka 3.7+, KAFKA-15583): what it covers is then
    // always on min.insync.replicas replicas, including records written with acks=1 meanwhile.
    if (!hasEnoughReplicas(this.state.isr, this.log.config.minInsyncReplicas, this.state.replicas)) return;
    const candidate = highWatermarkCandidate({
      localBrokerId: this.localBrokerId,
      writtenEndOffset: this.log.writtenEndOffset,
      maximalIsr: this.maximalIsr,
      followers: this.followers,
    });
    if (candidate === null || candidate <= this.log.highWatermark) return;
    this.setHighWatermark(candidate);
  }

  private setHighWatermark(offset: bigint): void {
    const before = this.log.highWatermark;
    const after = this.log.updateHighWatermark(offset);
    assert(after >= before, () => `high watermark of ${this.name} went back: ${after} after ${before}`);
    assert(after <= this.log.logEndOffset, "the high watermark never passes the log end");
    if (after === before) return;
    if (this.hwWaiters.length > 0) {
      const ready = this.hwWaiters.filter((w) => w.offset < after);
      if (ready.length > 0) {
        this.hwWaiters = this.hwWaiters.filter((w) => w.offset >= after);
        for (const w of ready) w.resolve();
      }
    }
    this.notifyChange();
  }

  private notifyChange(): void {
    for (const listener of this.changeListeners) listener();
  }

  /** Reads for a consumer: up to the high watermark (read_uncommitted) or the LSO (read_committed). */
  readRecords(options: {
    fetchOffset: bigint;
    maxBytes: number;
    isolationLevel: number;
    minOneMessage: boolean;
    currentLeaderEpoch: number;
    /** Where the records' memory is lent to (see LogReadRequest.lease). */
    lease?: BufferLease;
    /**
     * A follower may answer (KIP-392: consumers that send Fetch v11+ read from the replica the
     * leader pointed them to), up to its own high watermark.
     */
    followerMayServe?: boolean;
  }): LogReadResult {
    if (options.followerMayServe === true && !this.isLeader) {
      this.checkEpoch(options.currentLeaderEpoch);
      this.consumerFetchesAsFollower++;
    } else {
      this.checkLeader(options.currentLeaderEpoch);
    }
    const bound =
      options.isolationLevel === IsolationLevel.readCommitted ? this.lastStableOffset : this.highWatermark;
    return this.log.read({
      fetchOffset: options.fetchOffset,
      maxBytes: options.maxBytes,
      maxOffset: bound,
      minOneMessage: options.minOneMessage,
      ...(options.lease === undefined ? {} : { lease: options.lease }),
    });
  }

  /**
   * A follower's fetch (Kafka's replica fetch): checks the follower's last fetched epoch against
   * this log (a follower whose log diverged gets the point to truncate to and no records,
   * KIP-595), records its progress (which may advance the high watermark), and reads what it
   * lacks, up to what is in the file.
   */
  fetchForFollower(options: {
    replicaId: number;
    /** The follower's broker epoch: from the request (Fetch v15+), else its registration in the image. */
    replicaEpoch: bigint;
    fetchOffset: bigint;
    lastFetchedEpoch: number;
    currentLeaderEpoch: number;
    maxBytes: number;
    lease?: BufferLease;
    /** The follower's log start offset (Fetch v5+; -1 when not sent). */
    logStartOffset?: bigint;
  }): { diverging: DivergingEpoch } | { read: LogReadResult } {
    this.checkLeader(options.currentLeaderEpoch);
    if (!this.state.replicas.includes(options.replicaId))
      throw new KafkaError(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    const diverging = divergingEpoch(options.lastFetchedEpoch, options.fetchOffset, (epoch) =>
      this.log.endOffsetForEpoch(epoch),
    );
    if (diverging !== null) return { diverging };
    const read = this.log.read({
      fetchOffset: options.fetchOffset,
      maxBytes: options.maxBytes,
      maxOffset: this.log.writtenEndOffset,
      minOneMessage: true,
      ...(options.lease === undefined ? {} : { lease: options.lease }),
    });
    this.updateFollowerFetchState(options.replicaId, options.fetchOffset, options.replicaEpoch);
    if (options.logStartOffset !== undefined && options.logStartOffset >= 0n) {
      this.followerLogStartOffsets.set(options.replicaId, options.logStartOffset);
      this.maybeCompleteLowWatermarkWaiters();
    }
    return { read };
  }

  /**
   * The smallest log start offset over this leader and the in-sync followers that reported theirs
   * (Kafka's lowWatermarkIfLeader, which counts the followers on live brokers: a dead broker leaves
   * the ISR when it is fenced, so the ISR stands for them here): below it, no replica holds records.
   */
  get lowWatermark(): bigint {
    let low = this.log.logStartOffset;
    for (const [id, offset] of this.followerLogStartOffsets)
      if (this.state.isr.includes(id) && offset < low) low = offset;
    return low;
  }

  /**
   * Resolves once every replica that reports its log start offset has moved it to `offset` or
   * beyond (DeleteRecords waits for this, as Kafka's DelayedDeleteRecords does); rejects with
   * NOT_LEADER_OR_FOLLOWER when this broker stops leading first.
   */
  whenLowWatermarkReaches(offset: bigint): Promise<void> {
    if (!this.isLeader) return Promise.reject(new KafkaError(ErrorCode.NOT_LEADER_OR_FOLLOWER));
    if (this.lowWatermark >= offset) return Promise.resolve();
    return new Promise((resolve, reject) => this.lowWatermarkWaiters.push({ offset, resolve, reject }));
  }

  private maybeCompleteLowWatermarkWaiters(): void {
    if (this.lowWatermarkWaiters.length === 0) return;
    const low = this.lowWatermark;
    const ready = this.lowWatermarkWaiters.filter((w) => w.offset <= low);
    if (ready.length === 0) return;
    this.lowWatermarkWaiters = this.lowWatermarkWaiters.filter((w) => w.offset > low);
    for (const w of ready) w.resolve();
  }

  /** Kafka's follower bookkeeping on each fetch (Replica.updateFetchStateOrThrow). */
  private updateFollowerFetchState(replicaId: number, fetchOffset: bigint, brokerEpoch: bigint): void {
    const progress = this.followers.get(replicaId) ?? this.addFollower(replicaId, false);
    this.followers.set(
      replicaId,
      followerProgressAfterFetch(
        progress,
        fetchOffset,
        this.log.logEndOffset,
        this.clock.monotonicMs(),
        brokerEpoch,
      ),
    );
    this.maybeAdvanceHighWatermark();
  }

  /**
   * The ISR to propose when followers fell behind: members that have not caught up for
   * `lagMaxMs` leave (never the leader). Null when there is nothing to propose, or a proposal is
   * already in flight.
   */
  isrAfterShrink(lagMaxMs: number): number[] | null {
    if (!this.isLeader || this.proposedIsr !== null || this.log.isOffline) return null;
    return isrAfterShrink({
      localBrokerId: this.localBrokerId,
      isr: this.state.isr,
      followers: this.followers,
      nowMs: this.clock.monotonicMs(),
      lagMaxMs,
    });
  }

  /**
   * The ISR to propose after `replicaId` fetched, if it was outside and caught up: it has the high
   * watermark and everything this leader wrote before its epoch began (Kafka's isFollowerInSync),
   * and it fetched as the incarnation `eligible` says may serve.
   */
  isrAfterExpand(replicaId: number, eligible: IsrEligibility): number[] | null {
    if (!this.isLeader || this.proposedIsr !== null) return null;
    return isrAfterExpand({
      isr: this.state.isr,
      replicas: this.state.replicas,
      replicaId,
      progress: this.followers.get(replicaId),
      highWatermark: this.log.highWatermark,
      leaderEpochStartOffset: this.leaderEpochStartOffset,
      eligible,
    });
  }

  /**
   * An ISR proposal was sent to the controller: its new members count for the high watermark
   * (maximalIsr) until the image shows the partition moved on (update) or it is withdrawn.
   */
  setProposedIsr(isr: readonly number[]): void {
    this.proposedIsr = isr;
    this.maybeAdvanceHighWatermark();
  }

  /** Whether `isr` (the very array proposed) is still the proposal in flight. */
  isProposedIsr(isr: readonly number[]): boolean {
    return this.proposedIsr === isr;
  }

  /** Withdraws `isr` if it is still the proposal in flight (never a later one). */
  withdrawProposedIsr(isr: readonly number[]): void {
    if (this.proposedIsr !== isr) return;
    this.proposedIsr = null;
    this.maybeAdvanceHighWatermark();
  }

  // ---- follower side ------------------------------------------------------------------------------

  /** Appends batches fetched from the leader as they are (offsets and epochs kept). */
  appendAsFollower(records: Buffer): LogAppendInfo {
    assert(!this.isLeader, () => `${this.name}: a leader does not append as a follower`);
    return this.log.appendAsFollower(records);
  }

  /** A follower's high watermark: the leader's, bounded by what this replica has. */
  updateFollowerHighWatermark(leaderHighWatermark: bigint): void {
    const next = followerHighWatermark(leaderHighWatermark, this.log.logEndOffset, this.log.highWatermark);
    if (next > this.log.highWatermark) this.setHighWatermark(next);
  }

  /**
   * A follower takes the leader's log start offset (moved by DeleteRecords or the leader's
   * retention), as Kafka's fetcher does after each fetch: otherwise records deleted on the leader
   * would come back when this replica leads. Never past this replica's own high watermark, as
   * Kafka's log refuses a start offset there.
   */
  updateFollowerLogStartOffset(leaderLogStartOffset: bigint): void {
    const hw = this.log.highWatermark;
    const target = leaderLogStartOffset < hw ? leaderLogStartOffset : hw;
    if (target > this.log.logStartOffset) this.log.deleteRecordsBefore(target);
  }

  /**
   * Truncates a follower whose log diverged from the leader's: never below the high watermark,
   * which every in-sync replica agrees on, unless an out-of-sync replica was elected leader
   * (unclean.leader.election.enable), which is the data loss that setting accepts.
   */
  truncateTo(offset: bigint): void {
    assert(!this.isLeader, () => `${this.name}: a leader never truncates`);
    assert(
      offset >= this.log.highWatermark || this.log.config.uncleanLeaderElectionEnable,
      () => `${this.name}: truncation to ${offset} below the high watermark ${this.log.highWatermark}`,
    );
    this.log.truncateTo(offset);
  }

  /** A follower behind the leader's log start offset starts over there (OFFSET_OUT_OF_RANGE). */
  restartAt(offset: bigint): void {
    assert(!this.isLeader, () => `${this.name}: a leader never restarts its log`);
    this.log.truncateFullyAndStartAt(offset);
  }
}
