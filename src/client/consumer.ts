import { groupBy } from "../base/index.js";
import { ApiKey, ErrorCode, type FetchResponse, isRetriable, KafkaError } from "../protocol/index.js";
import { partitionKey, type TopicPartition } from "./admin-group-results.js";
import { isConnectionFailure } from "./client-error.js";
import type { ClientSasl } from "./client-sasl.js";
import type { ClientTls } from "./client-tls.js";
import { ClusterView } from "./cluster-view.js";
import { GroupMember } from "./consumer-group.js";
import { ConsumerProtocolMember } from "./consumer-protocol-member.js";
import { type ConsumerRecord, fetchedRecords } from "./fetch-records.js";
import { FETCH_SESSION_VERSION_MIN, FetchSession } from "./fetch-session.js";
import { REQUEST_TIMEOUT_MS_DEFAULT } from "./kafka-connection.js";
import type { ConsumerGroupMetadata } from "./transaction-requests.js";

export type OffsetResetStrategy = "earliest" | "latest";
export type IsolationLevel = "read_uncommitted" | "read_committed";

export interface ConsumerOptions {
  /** `host:port` addresses, as an array or comma-separated. */
  bootstrap: string | readonly string[];
  clientId?: string;
  groupId?: string;
  /** Where to start without a committed offset or after OFFSET_OUT_OF_RANGE (auto.offset.reset). */
  autoOffsetReset?: OffsetResetStrategy;
  enableAutoCommit?: boolean;
  autoCommitIntervalMs?: number;
  sessionTimeoutMs?: number;
  heartbeatIntervalMs?: number;
  /** The longest a rebalance waits for this member (max.poll.interval.ms). */
  rebalanceTimeoutMs?: number;
  fetchMaxWaitMs?: number;
  fetchMinBytes?: number;
  fetchMaxBytes?: number;
  maxPartitionFetchBytes?: number;
  maxPollRecords?: number;
  isolationLevel?: IsolationLevel;
  requestTimeoutMs?: number;
  retryBackoffMs?: number;
  clientSoftwareVersion?: string;
  /**
   * Static membership (group.instance.id, KIP-345): a restart within sessionTimeoutMs gets the
   * same partitions back without a rebalance, and close() does not leave the group.
   */
  groupInstanceId?: string;
  /**
   * group.protocol: "classic" (JoinGroup/SyncGroup, the default, as in Kafka 4.0) or "consumer"
   * (KIP-848: the coordinator assigns, partitions move one at a time, no stop-the-world rebalance).
   */
  groupProtocol?: "classic" | "consumer";
  /** group.remote.assignor: the coordinator's assignor to ask for with the consumer protocol. */
  groupRemoteAssignor?: string;
  /** Connect with TLS (Kafka's security.protocol=SSL); default plaintext. */
  ssl?: ClientTls;
  /** Authenticate with SASL (security.protocol=SASL_PLAINTEXT or SASL_SSL). */
  sasl?: ClientSasl;
}

/**
 * Called around a rebalance (Kafka's ConsumerRebalanceListener), inside poll: revoked before the
 * member gives its partitions up (after auto-commit: the place to commit what was processed),
 * assigned once the new ones are known (a seek here sets where reading starts), lost instead of
 * revoked when the group already gave them to others (a commit would be refused).
 */
export interface ConsumerRebalanceListener {
  onPartitionsRevoked?(partitions: TopicPartition[]): void | Promise<void>;
  onPartitionsAssigned?(partitions: TopicPartition[]): void | Promise<void>;
  /** By default the revoked callback, as in Kafka. */
  onPartitionsLost?(partitions: TopicPartition[]): void | Promise<void>;
}

/** An offset to commit: the next record to read of a partition. */
export interface OffsetToCommit extends TopicPartition {
  offset: bigint;
  leaderEpoch?: number;
  metadata?: string | null;
}

/** A partition to read without a group, from an offset or from one end (KafkaConsumer.assign + seek). */
export interface PartitionAssignment extends TopicPartition {
  offset?: bigint | OffsetResetStrategy;
}

export type { ConsumerRecord } from "./fetch-records.js";

/** Kafka's consumer defaults. */
export const CONSUMER_DEFAULTS = {
  autoCommitIntervalMs: 5000,
  sessionTimeoutMs: 45_000,
  heartbeatIntervalMs: 3000,
  rebalanceTimeoutMs: 300_000,
  fetchMaxWaitMs: 500,
  fetchMinBytes: 1,
  fetchMaxBytes: 50 * 1024 * 1024,
  maxPartitionFetchBytes: 1024 * 1024,
  maxPollRecords: 500,
  retryBackoffMs: 100,
} as const;

/** How often a subscription checks its topics' partition counts (and a pattern's topics) for a change. */
const METADATA_CHECK_MS = 30_000;
const METADATA_CHECK_UNKNOWN_MS = 1000;

/** Partition errors after which the leader may have moved: metadata again, then the fetch again. */
const STALE_METADATA: ReadonlySet<number> = new Set([
  ErrorCode.NOT_LEADER_OR_FOLLOWER,
  ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
  ErrorCode.FENCED_LEADER_EPOCH,
  ErrorCode.UNKNOWN_LEADER_EPOCH,
  ErrorCode.LEADER_NOT_AVAILABLE,
  ErrorCode.REPLICA_NOT_AVAILABLE,
  ErrorCode.KAFKA_STORAGE_ERROR,
  ErrorCode.OFFSET_NOT_AVAILABLE,
]);

interface PartitionState extends TopicPartition {
  /** The next offset to hand out; null until found (committed offset, or a reset). */
  position: bigint | null;
  /** How to find the position when it is null; null: the consumer's autoOffsetReset. */
  reset: OffsetResetStrategy | null;
  /** Fetched records not yet handed out, and the offset after the fetched batches. */
  buffer: { records: ConsumerRecord[]; index: number; nextOffset: bigint } | null;
  /** Not fetched nor handed out while paused (its buffered records wait). */
  paused: boolean;
}

/**
 * Brook's consumer (a first slice of Kafka's KafkaConsumer): partitions assigned by hand or by a
 * classic consumer group (eager "range" protocol), records fetched from each partition's leader
 * (one Fetch per leader at a time, so memory stays bounded, in an incremental fetch session with
 * each), positions from committed offsets or
 * autoOffsetReset, commits of consumed positions on a timer, before a rebalance and on close.
 * `poll` hands records out in offset order per partition and advances positions as it does.
 */
export class Consumer {
  readonly groupId: string | null;
  readonly groupInstanceId: string | null;
  private readonly options: Required<
    Omit<
      ConsumerOptions,
      | "groupId"
      | "clientSoftwareVersion"
      | "groupInstanceId"
      | "ssl"
      | "sasl"
      | "groupProtocol"
      | "groupRemoteAssignor"
    >
  >;
  private readonly cluster: ClusterView;
  private readonly group: GroupMember | ConsumerProtocolMember | null;
  private readonly partitions = new Map<string, PartitionState>();
  private readonly inFlight = new Map<number, Promise<void>>();
  /** Each leader's incremental fetch session (KIP-227). */
  private readonly fetchSessions = new Map<number, FetchSession>();
  private waiters: (() => void)[] = [];
  private subscription: readonly string[] | RegExp | null = null;
  private listener: ConsumerRebalanceListener = {};
  private assignedManually = false;
  /** Topic -> partition count when the group was last joined (0: unknown topic). */
  private joinedCounts = new Map<string, number>();
  private joined = false;
  /** A classic join in flight (it outlives a poll whose time ran out): its topics and outcome. */
  private pendingJoin: {
    topics: readonly string[];
    outcome: Promise<{ assigned: TopicPartition[] } | { error: unknown }>;
  } | null = null;
  private nextMetadataCheckMs = 0;
  private metadataStale = false;
  private nextMetadataRefreshMs = 0;
  private nextResetMs = 0;
  private nextAutoCommitMs = 0;
  private woken = false;
  private closed = false;
  private fatal: unknown = null;

  constructor(options: ConsumerOptions) {
    this.groupId = options.groupId ?? null;
    this.groupInstanceId = options.groupInstanceId ?? null;
    this.options = {
      bootstrap: options.bootstrap,
      clientId: options.clientId ?? "brook-consumer",
      autoOffsetReset: options.autoOffsetReset ?? "latest",
      enableAutoCommit: options.enableAutoCommit ?? this.groupId !== null,
      autoCommitIntervalMs: options.autoCommitIntervalMs ?? CONSUMER_DEFAULTS.autoCommitIntervalMs,
      sessionTimeoutMs: options.sessionTimeoutMs ?? CONSUMER_DEFAULTS.sessionTimeoutMs,
      heartbeatIntervalMs: options.heartbeatIntervalMs ?? CONSUMER_DEFAULTS.heartbeatIntervalMs,
      rebalanceTimeoutMs: options.rebalanceTimeoutMs ?? CONSUMER_DEFAULTS.rebalanceTimeoutMs,
      fetchMaxWaitMs: options.fetchMaxWaitMs ?? CONSUMER_DEFAULTS.fetchMaxWaitMs,
      fetchMinBytes: options.fetchMinBytes ?? CONSUMER_DEFAULTS.fetchMinBytes,
      fetchMaxBytes: options.fetchMaxBytes ?? CONSUMER_DEFAULTS.fetchMaxBytes,
      maxPartitionFetchBytes: options.maxPartitionFetchBytes ?? CONSUMER_DEFAULTS.maxPartitionFetchBytes,
      maxPollRecords: options.maxPollRecords ?? CONSUMER_DEFAULTS.maxPollRecords,
      isolationLevel: options.isolationLevel ?? "read_uncommitted",
      requestTimeoutMs: options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS_DEFAULT,
      retryBackoffMs: options.retryBackoffMs ?? CONSUMER_DEFAULTS.retryBackoffMs,
    };
    this.cluster = new ClusterView({
      bootstrap: options.bootstrap,
      clientId: this.options.clientId,
      requestTimeoutMs: this.options.requestTimeoutMs,
      ...(options.ssl === undefined ? {} : { ssl: options.ssl }),
      ...(options.sasl === undefined ? {} : { sasl: options.sasl }),
      ...(options.clientSoftwareVersion === undefined
        ? {}
        : { clientSoftwareVersion: options.clientSoftwareVersion }),
    });
    this.group =
      this.groupId === null
        ? null
        : options.groupProtocol === "consumer"
          ? new ConsumerProtocolMember(this.cluster, {
              groupId: this.groupId,
              rebalanceTimeoutMs: this.options.rebalanceTimeoutMs,
              requestTimeoutMs: this.options.requestTimeoutMs,
              retryBackoffMs: this.options.retryBackoffMs,
              groupInstanceId: this.groupInstanceId,
              serverAssignor: options.groupRemoteAssignor ?? null,
              onChange: () => this.signal(),
            })
          : new GroupMember(this.cluster, {
              groupId: this.groupId,
              sessionTimeoutMs: this.options.sessionTimeoutMs,
              rebalanceTimeoutMs: this.options.rebalanceTimeoutMs,
              heartbeatIntervalMs: this.options.heartbeatIntervalMs,
              requestTimeoutMs: this.options.requestTimeoutMs,
              retryBackoffMs: this.options.retryBackoffMs,
              groupInstanceId: this.groupInstanceId,
              onRejoinNeeded: () => this.signal(),
            });
  }

  /** Reads these partitions, without group membership (KafkaConsumer.assign, then seek). */
  assign(partitions: readonly PartitionAssignment[]): void {
    if (this.subscription !== null) throw new Error("assign() and subscribe() cannot be combined");
    this.assignedManually = true;
    this.partitions.clear();
    for (const p of partitions) {
      const state: PartitionState = {
        topic: p.topic,
        partition: p.partition,
        position: typeof p.offset === "bigint" ? p.offset : null,
        reset: typeof p.offset === "string" ? p.offset : null,
        buffer: null,
        paused: false,
      };
      this.partitions.set(partitionKey(p), state);
    }
  }

  /**
   * Joins the group (at the next poll) for these topics, or every topic a pattern matches whole;
   * `listener` hears of each rebalance.
   */
  subscribe(topics: readonly string[] | RegExp, listener: ConsumerRebalanceListener = {}): void {
    this.groupMember();
    if (this.assignedManually) throw new Error("assign() and subscribe() cannot be combined");
    this.subscription = topics;
    this.listener = listener;
    this.joined = false;
  }

  /**
   * Stops reading (KafkaConsumer.unsubscribe): with a subscription, the consumed positions are
   * committed (with auto-commit), the listener hears the partitions revoked and the member leaves
   * the group (not a static member, as on close); assigned partitions are simply dropped. A new
   * subscribe() or assign() may follow.
   */
  async unsubscribe(): Promise<void> {
    await this.settlePendingJoin();
    if (this.subscription !== null && this.group !== null) {
      if (this.joined) {
        if (this.options.enableAutoCommit && this.group.active)
          await this.commitSync(undefined, this.options.requestTimeoutMs).catch(() => {});
        await this.giveUpPartitions();
      }
      await this.group.leave(false);
    }
    this.partitions.clear();
    this.subscription = null;
    this.listener = {};
    this.assignedManually = false;
    this.joined = false;
  }

  /** A join in flight ends (bounded by the request timeout) before the member leaves or closes. */
  private async settlePendingJoin(): Promise<void> {
    const pending = this.pendingJoin;
    if (pending === null) return;
    await settledWithin(pending.outcome, this.options.requestTimeoutMs);
    this.pendingJoin = null;
  }

  /** Stops fetching these partitions and handing out their records until resumed (KafkaConsumer.pause). */
  pause(partitions: readonly TopicPartition[]): void {
    for (const tp of partitions) this.assignedState(tp).paused = true;
  }

  resume(partitions: readonly TopicPartition[]): void {
    for (const tp of partitions) this.assignedState(tp).paused = false;
    this.signal();
  }

  paused(): TopicPartition[] {
    return [...this.partitions.values()]
      .filter((s) => s.paused)
      .map(({ topic, partition }) => ({ topic, partition }));
  }

  /** The partitions read now. */
  assignment(): TopicPartition[] {
    return [...this.partitions.values()].map(({ topic, partition }) => ({ topic, partition }));
  }

  /** Where the next poll starts reading a partition (an offset), or from one end. */
  seek(tp: TopicPartition, offset: bigint | OffsetResetStrategy): void {
    const state = this.assignedState(tp);
    state.buffer = null;
    state.position = typeof offset === "bigint" ? offset : null;
    state.reset = typeof offset === "bigint" ? null : offset;
  }

  /** The partition's next offset, or null while it is not known yet. */
  position(tp: TopicPartition): bigint | null {
    return this.partitions.get(partitionKey(tp))?.position ?? null;
  }

  /** Ends a pending poll at once with what it has (none); KafkaConsumer.wakeup without the exception. */
  wakeup(): void {
    this.woken = true;
    this.signal();
  }

  /**
   * Records, up to maxPollRecords, waiting at most `timeoutMs` for some. A (re)join of the group
   * happens inside poll, as in Kafka, and may take longer.
   */
  async poll(timeoutMs: number): Promise<ConsumerRecord[]> {
    const endMs = performance.now() + timeoutMs;
    for (;;) {
      this.throwIfFailed();
      if (this.closed || this.woken) {
        this.woken = false;
        return [];
      }
      if (this.group !== null && this.subscription !== null) await this.maintainGroup(endMs);
      await this.maybeAutoCommit();
      const records = this.drain();
      if (records.length > 0) return records;
      await this.resolvePositions();
      await this.refreshMetadataIfStale();
      this.sendFetches();
      const remaining = endMs - performance.now();
      if (remaining <= 0) return [];
      await this.waitForEvent(Math.min(remaining, this.options.retryBackoffMs * 5));
    }
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<ConsumerRecord, void, undefined> {
    while (!this.closed) {
      for (const r of await this.poll(1000)) yield r;
    }
  }

  /**
   * Commits `offsets` (by default every known position) and waits for the answer
   * (KafkaConsumer.commitSync); rejects after a rebalance took the partitions (Kafka's
   * CommitFailedException, REBALANCE_IN_PROGRESS or ILLEGAL_GENERATION).
   */
  async commitSync(offsets?: readonly OffsetToCommit[], timeoutMs = 60_000): Promise<void> {
    await this.groupMember().commit(offsets ?? this.positions(), timeoutMs);
  }

  /**
   * Commits without waiting (KafkaConsumer.commitAsync): the callback hears the outcome. The
   * returned promise never rejects, so an ignored commit cannot become an unhandled rejection.
   */
  commitAsync(
    offsets?: readonly OffsetToCommit[],
    callback?: (error: Error | null, offsets: readonly OffsetToCommit[]) => void,
  ): Promise<void> {
    const committing = offsets ?? this.positions();
    return this.commitSync(committing, this.options.requestTimeoutMs).then(
      () => callback?.(null, committing),
      (error: unknown) => callback?.(error instanceof Error ? error : new Error(String(error)), committing),
    );
  }

  /** The group's committed offsets of these partitions (null: none committed), KafkaConsumer.committed. */
  async committed(
    partitions: readonly TopicPartition[],
    timeoutMs = 60_000,
  ): Promise<(TopicPartition & { offset: bigint | null; metadata: string | null })[]> {
    const group = this.groupMember();
    const committed = await this.cluster.admin.listConsumerGroupOffsets(group.groupId, { timeoutMs });
    const byKey = new Map(committed.map((c) => [partitionKey(c), c]));
    return partitions.map(({ topic, partition }) => {
      const c = byKey.get(partitionKey({ topic, partition }));
      return { topic, partition, offset: c?.offset ?? null, metadata: c?.metadata ?? null };
    });
  }

  /** The next offset to read of every partition that has a position: what commitSync commits. */
  positions(): (TopicPartition & { offset: bigint })[] {
    return [...this.partitions.values()].flatMap((s) =>
      s.position === null ? [] : [{ topic: s.topic, partition: s.partition, offset: s.position }],
    );
  }

  /**
   * This member's group and generation (KafkaConsumer.groupMetadata), for a transactional
   * producer's sendOffsetsToTransaction: the coordinator refuses offsets of a member that lost its
   * partitions in a rebalance.
   */
  groupMetadata(): ConsumerGroupMetadata {
    const group = this.groupMember();
    return {
      groupId: group.groupId,
      generationId: group.generationId,
      memberId: group.memberId,
      groupInstanceId: this.groupInstanceId,
    };
  }

  private assignedState(tp: TopicPartition): PartitionState {
    const state = this.partitions.get(partitionKey(tp));
    if (state === undefined)
      throw new Error(`No current assignment for partition ${tp.topic}-${tp.partition}`);
    return state;
  }

  private groupMember(): GroupMember | ConsumerProtocolMember {
    if (this.group === null)
      throw new KafkaError(
        ErrorCode.INVALID_GROUP_ID,
        "To use the group management or offset commit APIs, you must provide a valid group.id in the consumer configuration.",
      );
    return this.group;
  }

  /**
   * Commits (with auto-commit), tells the rebalance listener the partitions are revoked, leaves
   * the group (not as a static member) and closes the connections. A listener's error is thrown
   * once all that is done.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.signal();
    let listenerError: unknown = null;
    try {
      if (this.group !== null) {
        await this.settlePendingJoin();
        if (this.options.enableAutoCommit && (this.group.active || this.assignedManually)) {
          await this.commitSync(undefined, this.options.requestTimeoutMs).catch(() => {});
        }
        if (this.joined) {
          await this.giveUpPartitions().catch((error: unknown) => {
            listenerError = error;
          });
        }
        await this.group.leave();
      }
    } finally {
      this.cluster.close();
    }
    if (listenerError !== null) throw listenerError;
  }

  /** The rebalance listener hears that this member's partitions are gone: revoked, or lost without a generation. */
  private async giveUpPartitions(): Promise<void> {
    const partitions = this.assignment();
    this.partitions.clear();
    if (partitions.length === 0) return;
    const group = this.group as GroupMember | ConsumerProtocolMember;
    if (group.active) await this.listener.onPartitionsRevoked?.(partitions);
    else if (this.listener.onPartitionsLost !== undefined) await this.listener.onPartitionsLost(partitions);
    else await this.listener.onPartitionsRevoked?.(partitions);
  }

  private throwIfFailed(): void {
    if (this.fatal === null) return;
    const error = this.fatal;
    this.fatal = null;
    throw error;
  }

  private signal(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  private waitForEvent(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.waiters.push(done);
    });
  }

  /**
   * Joins when not a member, again when the group rebalances or the subscribed topics change. A
   * join that takes longer than the poll's time (other members are slow to rejoin) goes on in the
   * background, as Kafka's poll(timeout) returns while its JoinGroup is pending; a later poll takes
   * its outcome (and calls the listener, always inside poll).
   */
  private async maintainGroup(endMs: number): Promise<void> {
    if (this.group instanceof ConsumerProtocolMember) return this.reconcile(this.group);
    const group = this.group as GroupMember;
    if (this.joined && !group.rejoinNeeded && performance.now() >= this.nextMetadataCheckMs) {
      const topics = await this.subscribedTopics();
      const counts = await this.partitionCounts(topics);
      if (!sameCounts(counts, this.joinedCounts, topics)) group.rejoinNeeded = true;
      this.scheduleMetadataCheck(topics, counts);
    }
    if (group.fenced !== null) throw group.fenced;
    if (this.joined && !group.rejoinNeeded) return;
    if (this.joined) {
      // Eager rebalance: what was consumed is committed before the partitions are given up.
      if (this.options.enableAutoCommit && group.active)
        await this.commitSync(undefined, this.options.requestTimeoutMs).catch(() => {});
      this.joined = false;
      await this.giveUpPartitions();
    }
    if (this.pendingJoin === null) {
      const topics = await this.subscribedTopics();
      const outcome = group
        .join(topics, (all) => this.partitionCounts(all))
        .then(
          (assigned) => ({ assigned }),
          (error: unknown) => ({ error }),
        );
      this.pendingJoin = { topics, outcome };
    }
    const { topics, outcome } = this.pendingJoin;
    const joined = await settledWithin(outcome, endMs - performance.now());
    if (joined === undefined) return;
    this.pendingJoin = null;
    if ("error" in joined) throw joined.error;
    const assigned = joined.assigned;
    // The subscription changed while the join was in flight: this generation is for the old topics.
    const current = await this.subscribedTopics();
    if (current.length !== topics.length || current.some((t, i) => t !== topics[i]))
      group.rejoinNeeded = true;
    const counts = await this.partitionCounts(topics);
    this.joinedCounts = counts;
    this.scheduleMetadataCheck(topics, counts);
    this.joined = true;
    this.partitions.clear();
    await this.addPartitions(assigned, group.groupId);
    this.nextAutoCommitMs = performance.now() + this.options.autoCommitIntervalMs;
    // After the committed offsets, so that a seek in the listener decides where reading starts.
    await this.listener.onPartitionsAssigned?.(assigned);
  }

  /**
   * The consumer protocol (KIP-848), Kafka's reconciliation: the coordinator's newest target is
   * compared with what this member owns; partitions it lost are committed (with auto-commit) and
   * revoked through the listener first, the new ones then get their committed offsets and the
   * listener's assigned call, and the member reports what it owns so the coordinator can move on.
   * A fenced member loses everything (onPartitionsLost) and joins again.
   */
  private async reconcile(member: ConsumerProtocolMember): Promise<void> {
    if (member.fenced !== null) throw member.fenced;
    if (!this.joined) {
      const sub = this.subscription;
      member.subscribe(
        sub instanceof RegExp
          ? { regex: sub.flags.includes("i") ? `(?i)${sub.source}` : sub.source }
          : { topics: [...(sub ?? [])] },
      );
      this.joined = true;
    }
    if (member.lost) {
      const lost = this.assignment();
      this.partitions.clear();
      if (lost.length > 0)
        await (this.listener.onPartitionsLost ?? this.listener.onPartitionsRevoked)?.call(
          this.listener,
          lost,
        );
      member.rejoin();
      return;
    }
    const target = member.takeTarget();
    if (target === null) return;
    const wanted = new Set(target.map(partitionKey));
    const revoked = this.assignment().filter((tp) => !wanted.has(partitionKey(tp)));
    const added = target.filter((tp) => !this.partitions.has(partitionKey(tp)));
    if (revoked.length > 0) {
      if (this.options.enableAutoCommit) {
        const gone = new Set(revoked.map(partitionKey));
        const offsets = this.positions().filter((p) => gone.has(partitionKey(p)));
        await this.commitSync(offsets, this.options.requestTimeoutMs).catch(() => {});
      }
      await this.listener.onPartitionsRevoked?.(revoked);
      for (const tp of revoked) this.partitions.delete(partitionKey(tp));
    }
    if (added.length > 0) {
      await this.addPartitions(added, member.groupId);
      this.nextAutoCommitMs = performance.now() + this.options.autoCommitIntervalMs;
      await this.listener.onPartitionsAssigned?.(added);
    }
    member.acknowledge(this.assignment());
  }

  /** Starts reading these partitions, from the group's committed offsets where it has some. */
  private async addPartitions(tps: readonly TopicPartition[], groupId: string): Promise<void> {
    if (tps.length === 0) return;
    for (const tp of tps)
      this.partitions.set(partitionKey(tp), {
        ...tp,
        position: null,
        reset: null,
        buffer: null,
        paused: false,
      });
    const added = new Set(tps.map(partitionKey));
    const committed = await this.cluster.admin.listConsumerGroupOffsets(groupId, {
      timeoutMs: this.options.requestTimeoutMs,
    });
    for (const c of committed) {
      const state = this.partitions.get(partitionKey(c));
      if (state !== undefined && added.has(partitionKey(c))) state.position = c.offset;
    }
  }

  private scheduleMetadataCheck(topics: readonly string[], counts: Map<string, number>): void {
    const unknown = topics.some((t) => (counts.get(t) ?? 0) === 0);
    this.nextMetadataCheckMs = performance.now() + (unknown ? METADATA_CHECK_UNKNOWN_MS : METADATA_CHECK_MS);
  }

  private async subscribedTopics(): Promise<string[]> {
    const sub = this.subscription;
    if (sub === null) return [];
    if (!(sub instanceof RegExp)) return [...sub];
    const whole = new RegExp(`^(?:${sub.source})$`, sub.flags);
    return (await this.cluster.admin.listTopics({ timeoutMs: this.options.requestTimeoutMs }))
      .map((t) => t.name)
      .filter((name) => whole.test(name))
      .sort();
  }

  /** Partition counts of the topics that exist (with no error); the others are left out. */
  private async partitionCounts(topics: readonly string[]): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    if (topics.length === 0) return counts;
    const metadata = await this.cluster.refresh(topics);
    for (const t of metadata.topics) {
      if (t.errorCode === ErrorCode.NONE && t.partitions.length > 0) counts.set(t.name, t.partitions.length);
    }
    return counts;
  }

  private async maybeAutoCommit(): Promise<void> {
    if (!this.options.enableAutoCommit || this.group === null) return;
    if (!this.group.active && !this.assignedManually) return;
    if (performance.now() < this.nextAutoCommitMs) return;
    this.nextAutoCommitMs = performance.now() + this.options.autoCommitIntervalMs;
    // An auto-commit that fails is retried at the next interval, as Kafka's is.
    await this.commitSync(undefined, this.options.requestTimeoutMs).catch(() => {});
  }

  /** Buffered records, up to maxPollRecords, advancing positions. */
  private drain(): ConsumerRecord[] {
    const out: ConsumerRecord[] = [];
    for (const state of this.partitions.values()) {
      const buffer = state.buffer;
      if (buffer === null || state.paused) continue;
      while (buffer.index < buffer.records.length && out.length < this.options.maxPollRecords) {
        const r = buffer.records[buffer.index++] as ConsumerRecord;
        out.push(r);
        state.position = r.offset + 1n;
      }
      if (buffer.index >= buffer.records.length) {
        state.buffer = null;
        // Past trailing control batches (transaction markers) too.
        if (state.position === null || buffer.nextOffset > state.position) state.position = buffer.nextOffset;
      }
      if (out.length >= this.options.maxPollRecords) break;
    }
    return out;
  }

  /** Positions of partitions without one: ListOffsets at the reset strategy. */
  private async resolvePositions(): Promise<void> {
    const todo = [...this.partitions.values()].filter((s) => s.position === null);
    if (todo.length === 0 || performance.now() < this.nextResetMs) return;
    for (const spec of ["earliest", "latest"] as const) {
      const list = todo.filter((s) => (s.reset ?? this.options.autoOffsetReset) === spec);
      if (list.length === 0) continue;
      try {
        const listed = await this.cluster.admin.listOffsets(
          list.map(({ topic, partition }) => ({ topic, partition })),
          spec,
          // Under read_committed "latest" is the last stable offset, as Kafka's consumer resets.
          { timeoutMs: this.options.requestTimeoutMs, isolationLevel: this.options.isolationLevel },
        );
        for (const r of listed) {
          const state = this.partitions.get(partitionKey(r));
          if (state === undefined || state.position !== null) continue;
          if (r.errorCode === ErrorCode.NONE && r.offset >= 0n) {
            state.position = r.offset;
            state.reset = null;
          } else if (!isRetriable(r.errorCode) && r.errorCode !== ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) {
            this.fatal = new KafkaError(r.errorCode);
          } else {
            this.nextResetMs = performance.now() + this.options.retryBackoffMs;
          }
        }
      } catch (error) {
        if (!isConnectionFailure(error) && !(error instanceof KafkaError && error.retriable)) throw error;
        this.nextResetMs = performance.now() + this.options.retryBackoffMs;
      }
    }
  }

  private async refreshMetadataIfStale(): Promise<void> {
    const unknownLeader = [...this.partitions.values()].some(
      (s) => s.position !== null && this.cluster.leaderOf(s.topic, s.partition) === null,
    );
    if (!this.metadataStale && !unknownLeader) return;
    if (performance.now() < this.nextMetadataRefreshMs) return;
    this.nextMetadataRefreshMs = performance.now() + this.options.retryBackoffMs;
    this.metadataStale = false;
    const topics = [...new Set([...this.partitions.values()].map((s) => s.topic))];
    try {
      await this.cluster.refresh(topics);
    } catch (error) {
      if (!isConnectionFailure(error) && !(error instanceof KafkaError && error.retriable)) throw error;
      this.metadataStale = true;
    }
  }

  /** One Fetch per leader that has none in flight, for its partitions with a position and no buffer. */
  private sendFetches(): void {
    const byLeader = new Map<number, PartitionState[]>();
    for (const state of this.partitions.values()) {
      if (state.position === null || state.buffer !== null || state.paused) continue;
      const leader = this.cluster.leaderOf(state.topic, state.partition);
      if (leader === null || this.inFlight.has(leader)) continue;
      const list = byLeader.get(leader);
      if (list === undefined) byLeader.set(leader, [state]);
      else list.push(state);
    }
    for (const [leader, states] of byLeader) {
      const pending = this.fetchFrom(leader, states).finally(() => {
        this.inFlight.delete(leader);
        this.signal();
      });
      this.inFlight.set(leader, pending);
    }
  }

  private async fetchFrom(leader: number, states: PartitionState[]): Promise<void> {
    const offsets = new Map(states.map((s) => [s, s.position as bigint]));
    const readCommitted = this.options.isolationLevel === "read_committed";
    let session = this.fetchSessions.get(leader);
    if (session === undefined) {
      session = new FetchSession();
      this.fetchSessions.set(leader, session);
    }
    try {
      const connection = await this.cluster.connection(leader, "fetch");
      // v13+ names topics by id; by name is all this consumer keeps.
      const version = connection.negotiatedVersion(ApiKey.Fetch, 12, 4);
      const wanted = states.map((s) => ({
        topic: s.topic,
        partition: s.partition,
        fetchOffset: offsets.get(s) as bigint,
        partitionMaxBytes: this.options.maxPartitionFetchBytes,
      }));
      // An incremental session (KIP-227): unchanged partitions go unnamed, the broker remembers them.
      const plan = session.next(wanted, version >= FETCH_SESSION_VERSION_MIN);
      const response = await connection.request<FetchResponse>(
        ApiKey.Fetch,
        version,
        {
          replicaId: -1,
          maxWaitMs: this.options.fetchMaxWaitMs,
          minBytes: this.options.fetchMinBytes,
          maxBytes: this.options.fetchMaxBytes,
          isolationLevel: readCommitted ? 1 : 0,
          sessionId: plan.sessionId,
          sessionEpoch: plan.sessionEpoch,
          topics: [...groupBy(plan.toSend, (p) => p.topic)].map(([topic, list]) => ({
            topic,
            partitions: list.map((p) => ({
              partition: p.partition,
              currentLeaderEpoch: -1,
              fetchOffset: p.fetchOffset,
              lastFetchedEpoch: -1,
              logStartOffset: -1n,
              partitionMaxBytes: p.partitionMaxBytes,
            })),
          })),
          forgottenTopicsData: [...groupBy(plan.toForget, (p) => p.topic)].map(([topic, list]) => ({
            topic,
            partitions: list.map((p) => p.partition),
          })),
          rackId: "",
        },
        { timeoutMs: this.options.requestTimeoutMs + this.options.fetchMaxWaitMs },
      );
      session.answered(response.errorCode, response.sessionId);
      if (response.errorCode !== ErrorCode.NONE) {
        // A lost session (the broker restarted, evicted it or saw an epoch out of step) is not the
        // cluster's news: the next Fetch opens a new one at once.
        if (SESSION_ERRORS.has(response.errorCode)) return;
        if (!isRetriable(response.errorCode)) this.fatal = new KafkaError(response.errorCode);
        this.metadataStale = true;
        await sleep(this.options.retryBackoffMs);
        return;
      }
      let backoff = false;
      for (const topic of response.responses) {
        for (const data of topic.partitions) {
          const state = this.partitions.get(
            partitionKey({ topic: topic.topic, partition: data.partitionIndex }),
          );
          // Answers for partitions given up, or moved by a seek, since the fetch went out are dropped.
          if (state === undefined || !offsets.has(state) || state.position !== offsets.get(state)) continue;
          if (data.errorCode === ErrorCode.NONE) {
            const { records, nextOffset } = fetchedRecords(topic.topic, data, state.position, readCommitted);
            if (records.length > 0) state.buffer = { records, index: 0, nextOffset };
            else if (nextOffset > state.position) state.position = nextOffset;
          } else if (data.errorCode === ErrorCode.OFFSET_OUT_OF_RANGE) {
            state.position = null;
            state.reset = null;
          } else if (STALE_METADATA.has(data.errorCode) || isRetriable(data.errorCode)) {
            this.metadataStale = true;
            backoff = true;
          } else {
            this.fatal = new KafkaError(data.errorCode);
          }
        }
      }
      if (backoff) await sleep(this.options.retryBackoffMs);
    } catch (error) {
      session.failed();
      if (this.closed) return;
      if (isConnectionFailure(error)) {
        this.metadataStale = true;
        await sleep(this.options.retryBackoffMs);
        return;
      }
      this.fatal = error;
    }
  }
}

const SESSION_ERRORS: ReadonlySet<number> = new Set([
  ErrorCode.FETCH_SESSION_ID_NOT_FOUND,
  ErrorCode.INVALID_FETCH_SESSION_EPOCH,
]);

function sameCounts(a: Map<string, number>, b: Map<string, number>, topics: readonly string[]): boolean {
  if (a.size !== b.size) return false;
  return topics.every((t) => a.get(t) === b.get(t));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The promise's value if it settles within `ms` (at least one turn of the event loop), else undefined. */
async function settledWithin<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<undefined>((resolve) => {
        timer = setTimeout(() => resolve(undefined), Math.max(0, ms));
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
