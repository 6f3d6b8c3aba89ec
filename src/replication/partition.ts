import { assert } from "../base/index.js";
import { ErrorCode, KafkaError, type Uuid } from "../protocol/index.js";
import {
  DuplicateBatchError,
  type Log,
  type LogAppendInfo,
  type LogReadResult,
  ProducerStateManager,
  type ProducerStateOptions,
} from "../storage/index.js";

/** How a partition is registered in the metadata image, as this broker sees it. */
export interface PartitionState {
  leader: number;
  leaderEpoch: number;
  partitionEpoch: number;
  replicas: readonly number[];
  isr: readonly number[];
}

export const IsolationLevel = { readUncommitted: 0, readCommitted: 1 } as const;

/**
 * One partition replica on this broker: its log plus the replication state Kafka keeps for it
 * (leader epoch, replicas, ISR, high watermark). Writes go through the leader; a record becomes
 * readable by consumers only once every ISR member has it, which is when the high watermark
 * passes it. With the ISR of one that a single broker has, that is once the append is in the file
 * (the log's writtenEndOffset: appends reach the file from a writer thread).
 *
 * Invariants: logStartOffset <= highWatermark <= logEndOffset; the leader epoch never goes back.
 */
export class Partition {
  readonly topic: string;
  readonly partitionIndex: number;
  readonly topicId: Uuid;
  readonly log: Log;
  /** Idempotent producers of this partition; installed as the log's append hook. */
  readonly producerState: ProducerStateManager;
  private readonly localBrokerId: number;
  private state: PartitionState;

  constructor(options: {
    topic: string;
    partitionIndex: number;
    topicId: Uuid;
    log: Log;
    localBrokerId: number;
    state: PartitionState;
    producerState: ProducerStateOptions;
  }) {
    this.topic = options.topic;
    this.partitionIndex = options.partitionIndex;
    this.topicId = options.topicId;
    this.log = options.log;
    this.localBrokerId = options.localBrokerId;
    this.state = options.state;
    this.producerState = ProducerStateManager.attach(options.log, options.producerState);
    options.log.setWrittenCallback(() => this.maybeAdvanceHighWatermark());
    if (this.isLeader) this.becomeLeader(options.state);
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

  /** Applies a new registration from the metadata image. */
  update(state: PartitionState): void {
    assert(
      state.leaderEpoch >= this.state.leaderEpoch,
      () => `leader epoch went back on ${this.topic}-${this.partitionIndex}`,
    );
    const wasLeader = this.isLeader;
    const epochChanged = state.leaderEpoch !== this.state.leaderEpoch;
    this.state = state;
    if (this.isLeader && (!wasLeader || epochChanged)) this.becomeLeader(state);
  }

  private becomeLeader(state: PartitionState): void {
    // A new leader epoch starts at the log end: OffsetForLeaderEpoch and follower truncation use it.
    if (this.log.latestEpoch < state.leaderEpoch)
      this.log.assignEpochStartOffset(state.leaderEpoch, this.log.logEndOffset);
    this.maybeAdvanceHighWatermark();
  }

  /**
   * Checks that this broker leads the partition and, when the client sent one, that its leader
   * epoch is the current one (KIP-320): older -> FENCED_LEADER_EPOCH, newer -> UNKNOWN_LEADER_EPOCH.
   */
  checkLeader(currentLeaderEpoch = -1): void {
    if (!this.isLeader) throw new KafkaError(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    if (currentLeaderEpoch >= 0 && currentLeaderEpoch < this.state.leaderEpoch)
      throw new KafkaError(ErrorCode.FENCED_LEADER_EPOCH);
    if (currentLeaderEpoch > this.state.leaderEpoch) throw new KafkaError(ErrorCode.UNKNOWN_LEADER_EPOCH);
  }

  /**
   * Appends a producer's batches. acks=all is refused before writing when the ISR is below
   * min.insync.replicas (NOT_ENOUGH_REPLICAS), as Kafka does. A retried idempotent batch that the
   * log already holds is not written again: the result carries the original batch's offsets (and
   * batchCount 0), which Produce answers with NONE, as Kafka does.
   */
  appendRecordsToLeader(records: Buffer, requiredAcks: number): LogAppendInfo {
    this.checkLeader();
    const minIsr = this.log.config.minInsyncReplicas;
    if (requiredAcks === -1 && this.state.isr.length < minIsr) {
      throw new KafkaError(
        ErrorCode.NOT_ENOUGH_REPLICAS,
        `The size of the current ISR ${this.state.isr.length} is insufficient to satisfy the min.isr requirement of ${minIsr} for partition ${this.topic}-${this.partitionIndex}`,
      );
    }
    let info: LogAppendInfo;
    try {
      info = this.log.appendAsLeader(records, this.state.leaderEpoch);
    } catch (error) {
      if (error instanceof DuplicateBatchError) return this.duplicateAppendInfo(error);
      throw error;
    }
    this.maybeAdvanceHighWatermark();
    return info;
  }

  /**
   * Resolves once this partition's appends are in the log file, when a produce may be answered
   * (acks=1 and, with the ISR of one, acks=all); rejects with KAFKA_STORAGE_ERROR.
   */
  async whenAppended(): Promise<void> {
    await this.log.whenWritten();
    this.maybeAdvanceHighWatermark();
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

  /** The high watermark is the smallest log end offset in the ISR; here only our own is known. */
  private maybeAdvanceHighWatermark(): void {
    if (!this.isLeader) return;
    const onlyLocal = this.state.isr.length === 1 && this.state.isr[0] === this.localBrokerId;
    if (onlyLocal) this.log.updateHighWatermark(this.log.writtenEndOffset);
  }

  /** Reads for a consumer: up to the high watermark (read_uncommitted) or the LSO (read_committed). */
  readRecords(options: {
    fetchOffset: bigint;
    maxBytes: number;
    isolationLevel: number;
    minOneMessage: boolean;
    currentLeaderEpoch: number;
  }): LogReadResult {
    this.checkLeader(options.currentLeaderEpoch);
    const bound =
      options.isolationLevel === IsolationLevel.readCommitted ? this.lastStableOffset : this.highWatermark;
    return this.log.read({
      fetchOffset: options.fetchOffset,
      maxBytes: options.maxBytes,
      maxOffset: bound,
      minOneMessage: options.minOneMessage,
    });
  }
}
