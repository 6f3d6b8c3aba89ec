import { type Clock, describeError, type Logger, systemClock } from "../base/index.js";
import { ErrorCode, KafkaError, type Uuid } from "../protocol/index.js";
import type { LogConfig, LogManager, ProducerStateOptions } from "../storage/index.js";
import { Partition, type PartitionState } from "./partition.js";

/** The slice of the metadata image the replica manager needs (kept narrow to stay below metadata). */
export interface ReplicaAssignment {
  topic: string;
  topicId: Uuid;
  partitionIndex: number;
  state: PartitionState;
}

const key = (topic: string, partition: number) => `${topic}\u0000${partition}`;

/** What changed in the metadata, as the replica manager needs it (kept narrow to stay below metadata). */
export interface ReplicaChanges {
  /** A whole new image (start, a snapshot): every partition is compared. */
  readonly full: boolean;
  /** Partitions that changed, as assignments (replicas may no longer include this broker). */
  readonly changed: Iterable<ReplicaAssignment>;
  /** Topics deleted by a committed RemoveTopic: id -> name. */
  readonly removedTopics: ReadonlyMap<Uuid, string>;
}

/** ISR changes counted on this broker (Kafka's IsrShrinksPerSec and IsrExpandsPerSec meters). */
export interface IsrChangeCounts {
  /** Committed ISR changes that removed members, of partitions this broker leads once they apply. */
  shrinks: number;
  /** Committed ISR changes that added members, likewise. */
  expands: number;
}

/** The follower side: fetching a partition from its leader (ReplicaFetcherManager). */
export interface FollowerFetching {
  follow(partition: Partition, leaderId: number, leaderEpoch: number): void;
  unfollow(partition: Partition): void;
}

/**
 * The partitions this broker hosts, kept in step with the committed metadata: a partition whose
 * replicas include this broker gets a log and a Partition. A log is deleted only when the
 * metadata says so (its topic was deleted, or the partition was moved off this broker); a log on
 * disk that the metadata does not mention is a stray, as Kafka calls it, and is left alone (a
 * broker that was away may see a deletion only as a snapshot without the topic). Produce, Fetch
 * and the coordinators find partitions here.
 */
/** A replica this broker hosts in an offline log dir (what the broker reports to the controller). */
export interface OfflineReplica {
  topic: string;
  topicId: Uuid;
  partitionIndex: number;
}

export class ReplicaManager {
  private readonly partitions = new Map<string, Partition>();
  /**
   * Replicas assigned to this broker whose log is in an offline log dir (Kafka's
   * HostedPartition.Offline): hosted ones (their Partition stays, its log offline) and ones that
   * could not be hosted since (no online log dir). Produce, Fetch and the others get
   * KAFKA_STORAGE_ERROR for them until restart.
   */
  private readonly offline = new Map<string, OfflineReplica>();
  private readonly logManager: LogManager;
  private readonly localBrokerId: number;
  private readonly log: Logger;
  private readonly producerState: ProducerStateOptions;
  private readonly mayLead: () => boolean;
  private readonly clock: Clock;
  private readonly followers: FollowerFetching | null;
  private readonly isrCounts: IsrChangeCounts = { shrinks: 0, expands: 0 };

  constructor(options: {
    logManager: LogManager;
    localBrokerId: number;
    log: Logger;
    /**
     * Whether this broker may act as leader at all: false while it is fenced or its session with
     * the metadata store has expired (another broker may lead its partitions by now).
     */
    mayLead?: () => boolean;
    /** Idempotent-producer settings of every partition (default: 1 day expiry, the system clock). */
    producerState?: ProducerStateOptions;
    clock?: Clock;
    /** Where follower replicas fetch from their leaders (absent: a broker that never follows). */
    followers?: FollowerFetching;
  }) {
    this.clock = options.clock ?? systemClock;
    this.followers = options.followers ?? null;
    this.logManager = options.logManager;
    this.localBrokerId = options.localBrokerId;
    this.log = options.log;
    this.mayLead = options.mayLead ?? (() => true);
    this.producerState = options.producerState ?? {
      producerIdExpirationMs: 86_400_000,
      clock: systemClock,
      onError: (error, context) => this.log.error(`producer state ${context}: ${describeError(error)}`),
    };
  }

  get size(): number {
    return this.partitions.size;
  }

  all(): IterableIterator<Partition> {
    return this.partitions.values();
  }

  /**
   * ISR shrinks and expands since start, counted where the committed metadata applies them: on
   * the partition's leader (after the change), whoever proposed it (the leader's AlterPartition,
   * or the controller removing a fenced broker), so each change is counted once in the cluster.
   */
  get isrChanges(): Readonly<IsrChangeCounts> {
    return this.isrCounts;
  }

  get(topic: string, partition: number): Partition | undefined {
    return this.partitions.get(key(topic, partition));
  }

  /**
   * The partition if this broker leads it; else the error Kafka returns for it: a partition the
   * cluster has (`partitionKnown`) but this broker does not host is NOT_LEADER_OR_FOLLOWER, one it
   * does not have (an unknown topic, or an index past the topic's partitions) is
   * UNKNOWN_TOPIC_OR_PARTITION.
   */
  leaderOrError(topic: string, partition: number, partitionKnown: boolean): Partition {
    const k = key(topic, partition);
    if (this.offline.has(k)) {
      throw new KafkaError(
        ErrorCode.KAFKA_STORAGE_ERROR,
        `partition ${topic}-${partition} is in an offline log directory`,
      );
    }
    const p = this.partitions.get(k);
    if (p === undefined)
      throw new KafkaError(
        partitionKnown ? ErrorCode.NOT_LEADER_OR_FOLLOWER : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
      );
    if (!p.isLeader || !this.mayLead()) throw new KafkaError(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    return p;
  }

  /** A hosted replica, leader or follower (a consumer's fetch from a follower, KIP-392). */
  replicaOrError(topic: string, partition: number, partitionKnown: boolean): Partition {
    const p = this.partitions.get(key(topic, partition));
    if (p === undefined)
      throw new KafkaError(
        partitionKnown ? ErrorCode.NOT_LEADER_OR_FOLLOWER : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
      );
    if (!this.mayLead()) throw new KafkaError(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    return p;
  }

  /**
   * Applies committed metadata changes: replicas new to this broker get a log and a Partition,
   * the others are updated; partitions of deleted topics, and partitions moved off this broker,
   * lose their logs. With `full`, `changed` lists every partition of the image and hosted
   * partitions it does not list are left as strays (not deleted).
   */
  applyChanges(changes: ReplicaChanges, configFor: (topic: string) => LogConfig): void {
    for (const [topicId, name] of changes.removedTopics) {
      for (const [k, p] of this.partitions) if (p.topic === name && p.topicId === topicId) this.remove(k, p);
      for (const [k, r] of this.offline) if (r.topicId === topicId) this.offline.delete(k);
    }
    const seen = changes.full ? new Set<string>() : null;
    for (const a of changes.changed) {
      const k = key(a.topic, a.partitionIndex);
      seen?.add(k);
      const existing = this.partitions.get(k);
      if (!a.state.replicas.includes(this.localBrokerId)) {
        if (existing !== undefined && existing.topicId === a.topicId) this.remove(k, existing);
        else if (this.offline.get(k)?.topicId === a.topicId) this.offline.delete(k);
        continue;
      }
      if (this.offline.has(k) && (existing === undefined || existing.topicId === a.topicId)) {
        // Kafka skips state changes of offline partitions: nothing of their log can change.
        continue;
      }
      if (existing !== undefined && existing.topicId === a.topicId) {
        const isrBefore = existing.isr;
        existing.update(a.state);
        if (existing.isLeader && isrBefore !== existing.isr) this.countIsrChange(isrBefore, existing.isr);
        this.followOrLead(existing);
        continue;
      }
      // Same name, another id: the old topic was deleted while this broker was not looking.
      if (existing !== undefined) this.remove(k, existing);
      this.host(k, a, configFor);
      const hosted = this.partitions.get(k);
      if (hosted !== undefined) this.followOrLead(hosted);
    }
    if (seen !== null) {
      for (const [k, p] of this.partitions) {
        if (!seen.has(k))
          this.log.warn(`stray partition ${p.topic}-${p.partitionIndex}: not in the metadata, log kept`);
      }
    }
  }

  private countIsrChange(before: readonly number[], after: readonly number[]): void {
    if (before.some((r) => !after.includes(r))) this.isrCounts.shrinks++;
    if (after.some((r) => !before.includes(r))) this.isrCounts.expands++;
  }

  /** A follower fetches from its leader; a leader, or a partition without one, fetches from nobody. */
  private followOrLead(partition: Partition): void {
    if (this.followers === null) return;
    if (partition.isLeader || partition.leaderId < 0) this.followers.unfollow(partition);
    else this.followers.follow(partition, partition.leaderId, partition.leaderEpoch);
  }

  /** ISR changes to propose: followers that lagged longer than `lagMaxMs`, per led partition. */
  isrShrinks(lagMaxMs: number): { partition: Partition; isr: number[] }[] {
    const out: { partition: Partition; isr: number[] }[] = [];
    for (const p of this.partitions.values()) {
      const isr = p.isrAfterShrink(lagMaxMs);
      if (isr !== null) out.push({ partition: p, isr });
    }
    return out;
  }

  private host(k: string, a: ReplicaAssignment, configFor: (topic: string) => LogConfig): void {
    const tp = { topic: a.topic, partition: a.partitionIndex };
    const onDisk = this.logManager.getLog(tp);
    if (
      onDisk?.isOffline === true ||
      this.logManager.offlineLogDirs().length === this.logManager.logDirs.length
    ) {
      this.offline.set(k, { topic: a.topic, topicId: a.topicId, partitionIndex: a.partitionIndex });
      this.log.warn(`partition ${a.topic}-${a.partitionIndex} is offline: no online log dir can hold it`);
      return;
    }
    if (onDisk !== undefined && onDisk.topicId !== null && onDisk.topicId !== a.topicId) {
      // A log of a deleted topic of the same name, left while this broker was away.
      this.log.info(
        `deleting stray log ${a.topic}-${a.partitionIndex} of deleted topic id ${onDisk.topicId}`,
      );
      this.logManager.deleteLog(tp);
    }
    try {
      const log = this.logManager.getOrCreateLog(
        { topic: a.topic, partition: a.partitionIndex },
        configFor(a.topic),
        a.topicId,
      );
      this.partitions.set(
        k,
        new Partition({
          topic: a.topic,
          partitionIndex: a.partitionIndex,
          topicId: a.topicId,
          log,
          localBrokerId: this.localBrokerId,
          state: a.state,
          producerState: this.producerState,
          clock: this.clock,
        }),
      );
    } catch (error) {
      this.log.error(`cannot open log for ${a.topic}-${a.partitionIndex}: ${describeError(error)}`);
    }
  }

  /**
   * A log dir went offline (Kafka's ReplicaManager.handleLogDirFailure): the partitions whose logs
   * it held stop being served (KAFKA_STORAGE_ERROR), their waiting acknowledgements fail, and their
   * followers stop fetching. Returns the replicas that went offline now.
   */
  handleLogDirFailure(partitions: readonly { topic: string; partition: number }[]): OfflineReplica[] {
    const now: OfflineReplica[] = [];
    for (const tp of partitions) {
      const k = key(tp.topic, tp.partition);
      const p = this.partitions.get(k);
      if (p === undefined || this.offline.has(k)) continue;
      const replica = { topic: p.topic, topicId: p.topicId, partitionIndex: p.partitionIndex };
      this.offline.set(k, replica);
      this.followers?.unfollow(p);
      p.markOffline();
      now.push(replica);
    }
    return now;
  }

  /** Replicas of this broker in offline log dirs (reported to the controller, shown in Metadata). */
  offlineReplicas(): OfflineReplica[] {
    return [...this.offline.values()];
  }

  isOffline(topic: string, partition: number): boolean {
    return this.offline.has(key(topic, partition));
  }

  /** Whether a log dir (an absolute path, as the LogManager has it) is online (DescribeLogDirs). */
  isLogDirOnline(path: string): boolean {
    return this.logManager.isLogDirOnline(path);
  }

  /** Forgets idle idempotent producers in every partition (producer.id.expiration.ms). */
  removeExpiredProducers(nowMs: number): number {
    let removed = 0;
    for (const p of this.partitions.values()) removed += p.producerState.removeExpiredProducers(nowMs);
    return removed;
  }

  /** Writes every partition's producer-state snapshot (clean shutdown, before the logs close). */
  takeProducerSnapshots(): void {
    for (const p of this.partitions.values()) {
      if (p.log.isOffline) continue;
      try {
        p.producerState.takeSnapshot(true);
      } catch (error) {
        this.log.error(`producer snapshot of ${p.topic}-${p.partitionIndex}: ${describeError(error)}`);
      }
    }
  }

  /** Applies a topic's new config to its logs (AlterConfigs). */
  updateConfig(topic: string, config: LogConfig): void {
    for (const p of this.partitions.values()) if (p.topic === topic) p.log.updateConfig(config);
  }

  private remove(k: string, p: Partition): void {
    this.followers?.unfollow(p);
    this.partitions.delete(k);
    this.offline.delete(k);
    this.logManager.deleteLog({ topic: p.topic, partition: p.partitionIndex });
    this.log.info(`deleted log ${p.topic}-${p.partitionIndex}`);
  }
}
