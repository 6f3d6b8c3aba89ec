import { AssertionError, type Clock, describeError, type Logger, type Timers } from "../base/index.js";
import type { BrokerConnections, BrokerEndpoint } from "../client/index.js";
import {
  ApiKey,
  ErrorCode,
  type FetchResponse,
  type FetchResponsePartitionData,
  type ListOffsetsResponse,
} from "../protocol/index.js";
import type { Partition } from "./partition.js";
import { truncationOffset } from "./replica-rules.js";

export interface ReplicaFetcherConfig {
  /** replica.fetch.wait.max.ms */
  waitMaxMs: number;
  /** replica.fetch.min.bytes */
  minBytes: number;
  /** replica.fetch.max.bytes (per partition) */
  partitionMaxBytes: number;
  /** replica.fetch.response.max.bytes */
  responseMaxBytes: number;
  /** replica.fetch.backoff.ms: the pause after a failed fetch. */
  backoffMs: number;
  /** How long a fetch may take beyond its wait before the connection is given up. */
  requestTimeoutMs: number;
}

interface FetchedPartition {
  partition: Partition;
  leaderEpoch: number;
  /** A partition whose last fetch failed waits until then (monotonic ms). */
  delayedUntilMs: number;
}

/**
 * Fetch v15: epochs and diverging epochs (KIP-595), topic ids, and the follower's broker epoch
 * (ReplicaState, KIP-903), so that a leader never counts what an earlier incarnation of this
 * broker fetched (a fetch parked in its long poll, or held up, while this broker restarted) as
 * this one's progress.
 */
const REPLICA_FETCH_VERSION = 15;
const LIST_OFFSETS_VERSION = 4;
const EARLIEST_TIMESTAMP = -2n;

/**
 * One follower's fetcher from one leader broker (Kafka's ReplicaFetcherThread): a loop of Fetch
 * requests naming every partition this broker follows on that leader, each at its log end with its
 * last fetched epoch. Fetched batches are appended as they are (offsets and leader epochs kept),
 * the high watermark follows the leader's, a diverging epoch truncates the log to where it agrees
 * with the leader, and a log behind the leader's start starts over there. Errors that say the
 * leadership moved park the partition until the metadata gives it a new leader.
 */
export class ReplicaFetcher {
  readonly sourceBrokerId: number;
  private readonly endpoint: () => BrokerEndpoint | null;
  private readonly connections: BrokerConnections;
  private readonly localBrokerId: number;
  private readonly brokerEpoch: () => bigint;
  private readonly config: ReplicaFetcherConfig;
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly timers: Timers;
  private readonly onFatal: (error: AssertionError) => void;
  private readonly partitions = new Map<string, FetchedPartition>();
  private running = false;
  private stopped = false;
  private wake: (() => void) | null = null;

  constructor(options: {
    sourceBrokerId: number;
    endpoint: () => BrokerEndpoint | null;
    connections: BrokerConnections;
    localBrokerId: number;
    /** This broker's epoch (its registration in the metadata), -1 until the image has this incarnation's. */
    brokerEpoch: () => bigint;
    config: ReplicaFetcherConfig;
    log: Logger;
    clock: Clock;
    timers: Timers;
    /**
     * A broken invariant (an AssertionError from the partition or the log): the replica's state
     * can no longer be trusted, so it is not retried; by default the process stops loudly.
     */
    onFatal?: (error: AssertionError) => void;
  }) {
    this.sourceBrokerId = options.sourceBrokerId;
    this.endpoint = options.endpoint;
    this.connections = options.connections;
    this.localBrokerId = options.localBrokerId;
    this.brokerEpoch = options.brokerEpoch;
    this.config = options.config;
    this.log = options.log;
    this.clock = options.clock;
    this.timers = options.timers;
    this.onFatal = options.onFatal ?? crashProcess;
  }

  get size(): number {
    return this.partitions.size;
  }

  /** Follows `partition` from this fetcher's leader at `leaderEpoch` (replacing an older epoch). */
  add(partition: Partition, leaderEpoch: number): void {
    const key = partition.name;
    const current = this.partitions.get(key);
    if (current !== undefined && current.leaderEpoch === leaderEpoch && current.partition === partition)
      return;
    this.partitions.set(key, { partition, leaderEpoch, delayedUntilMs: 0 });
    this.start();
  }

  remove(partition: Partition): void {
    this.partitions.delete(partition.name);
  }

  has(partition: Partition): boolean {
    return this.partitions.get(partition.name)?.partition === partition;
  }

  stop(): void {
    this.stopped = true;
    this.wake?.();
  }

  private start(): void {
    if (this.running || this.stopped) return;
    this.running = true;
    void this.loop().finally(() => {
      this.running = false;
      if (!this.stopped && this.partitions.size > 0) this.start();
    });
  }

  private async loop(): Promise<void> {
    while (!this.stopped && this.partitions.size > 0) {
      const endpoint = this.endpoint();
      const now = this.clock.monotonicMs();
      const due = [...this.partitions.values()].filter((p) => p.delayedUntilMs <= now);
      if (endpoint === null || due.length === 0) {
        const soonest = Math.min(...[...this.partitions.values()].map((p) => p.delayedUntilMs));
        await this.sleep(endpoint === null ? this.config.backoffMs : Math.max(1, soonest - now));
        continue;
      }
      try {
        await this.fetchOnce(endpoint, due);
      } catch (error) {
        if (error instanceof AssertionError) {
          this.stopped = true;
          this.onFatal(error);
          return;
        }
        if (this.stopped) return;
        this.log.debug(`fetch from broker ${this.sourceBrokerId} failed: ${describeError(error)}`);
        await this.sleep(this.config.backoffMs);
      }
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = this.timers.after(ms, () => {
        this.wake = null;
        resolve();
      });
      this.wake = () => {
        timer.cancel();
        this.wake = null;
        resolve();
      };
    });
  }

  private async fetchOnce(endpoint: BrokerEndpoint, due: FetchedPartition[]): Promise<void> {
    const byTopic = new Map<string, FetchedPartition[]>();
    for (const p of due) byTopic.set(p.partition.topicId, [...(byTopic.get(p.partition.topicId) ?? []), p]);
    const request = {
      replicaState: { replicaId: this.localBrokerId, replicaEpoch: this.brokerEpoch() },
      maxWaitMs: this.config.waitMaxMs,
      minBytes: this.config.minBytes,
      maxBytes: this.config.responseMaxBytes,
      isolationLevel: 0,
      sessionId: 0,
      sessionEpoch: -1,
      topics: [...byTopic].map(([topicId, parts]) => ({
        topicId,
        partitions: parts.map((p) => ({
          partition: p.partition.partitionIndex,
          currentLeaderEpoch: p.leaderEpoch,
          fetchOffset: p.partition.log.logEndOffset,
          lastFetchedEpoch: p.partition.log.latestEpoch,
          logStartOffset: p.partition.log.logStartOffset,
          partitionMaxBytes: this.config.partitionMaxBytes,
        })),
      })),
      forgottenTopicsData: [],
      rackId: "",
    };
    const response = await this.connections.request<FetchResponse>(
      endpoint,
      ApiKey.Fetch,
      REPLICA_FETCH_VERSION,
      request,
      { timeoutMs: this.config.waitMaxMs + this.config.requestTimeoutMs, purpose: "replica-fetcher" },
    );
    if (response.errorCode !== ErrorCode.NONE)
      throw new Error(`fetch failed with error ${response.errorCode}`);
    for (const topic of response.responses) {
      for (const data of topic.partitions) {
        const entry = byTopic
          .get(topic.topicId)
          ?.find((p) => p.partition.partitionIndex === data.partitionIndex);
        // Removed or moved to another epoch while the fetch was out: its answer is stale.
        if (entry === undefined || this.partitions.get(entry.partition.name) !== entry) continue;
        try {
          await this.process(endpoint, entry, data);
        } catch (error) {
          if (error instanceof AssertionError) throw error;
          this.log.warn(
            `replica ${entry.partition.name} from broker ${this.sourceBrokerId}: ${describeError(error)}`,
          );
          entry.delayedUntilMs = this.clock.monotonicMs() + this.config.backoffMs;
        }
      }
    }
  }

  private async process(
    endpoint: BrokerEndpoint,
    entry: FetchedPartition,
    data: FetchResponsePartitionData,
  ): Promise<void> {
    const partition = entry.partition;
    if (partition.isLeader || partition.leaderEpoch !== entry.leaderEpoch) return;
    switch (data.errorCode) {
      case ErrorCode.NONE:
        break;
      case ErrorCode.OFFSET_OUT_OF_RANGE:
        await this.handleOutOfRange(endpoint, entry);
        return;
      default:
        // NOT_LEADER_OR_FOLLOWER, FENCED_LEADER_EPOCH, UNKNOWN_LEADER_EPOCH, ...: the metadata
        // will say who leads now; until then this partition waits.
        entry.delayedUntilMs = this.clock.monotonicMs() + this.config.backoffMs;
        return;
    }
    if (data.divergingEpoch.epoch >= 0) {
      const diverging = data.divergingEpoch;
      const local = partition.log.endOffsetForEpoch(diverging.epoch);
      const offset = truncationOffset(diverging, local, partition.log.logEndOffset);
      this.log.info(
        `${partition.name}: log diverged from leader ${this.sourceBrokerId} at epoch ${data.divergingEpoch.epoch}, truncating to ${offset}`,
      );
      partition.truncateTo(offset);
      return;
    }
    const records = recordsBuffer(data.records);
    if (records !== null && records.length > 0) partition.appendAsFollower(records);
    partition.updateFollowerHighWatermark(data.highWatermark);
    partition.updateFollowerLogStartOffset(data.logStartOffset);
  }

  /**
   * The log end is outside the leader's log: behind its start (retention moved on while this
   * broker was away), start over at the leader's log start offset.
   */
  private async handleOutOfRange(endpoint: BrokerEndpoint, entry: FetchedPartition): Promise<void> {
    const partition = entry.partition;
    const response = await this.connections.request<ListOffsetsResponse>(
      endpoint,
      ApiKey.ListOffsets,
      LIST_OFFSETS_VERSION,
      {
        replicaId: this.localBrokerId,
        isolationLevel: 0,
        topics: [
          {
            name: partition.topic,
            partitions: [
              {
                partitionIndex: partition.partitionIndex,
                currentLeaderEpoch: entry.leaderEpoch,
                timestamp: EARLIEST_TIMESTAMP,
              },
            ],
          },
        ],
      },
      { timeoutMs: this.config.requestTimeoutMs, purpose: "replica-fetcher-control" },
    );
    const found = response.topics[0]?.partitions[0];
    if (found === undefined || found.errorCode !== ErrorCode.NONE) {
      entry.delayedUntilMs = this.clock.monotonicMs() + this.config.backoffMs;
      return;
    }
    if (partition.log.logEndOffset < found.offset) {
      this.log.info(`${partition.name}: behind the leader's log start, starting over at ${found.offset}`);
      partition.restartAt(found.offset);
    } else {
      entry.delayedUntilMs = this.clock.monotonicMs() + this.config.backoffMs;
    }
  }
}

function recordsBuffer(records: FetchResponsePartitionData["records"]): Buffer | null {
  if (records === null || records === undefined) return null;
  if (Buffer.isBuffer(records)) return records;
  const parts = records as readonly Buffer[];
  if (parts.length === 1) return parts[0] as Buffer;
  return Buffer.concat(parts);
}

function crashProcess(error: AssertionError): void {
  process.nextTick(() => {
    throw error;
  });
}
