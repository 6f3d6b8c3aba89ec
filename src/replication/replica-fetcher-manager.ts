import type { Clock, Logger, Timers } from "../base/index.js";
import { BrokerConnections, type BrokerEndpoint } from "../client/index.js";
import type { Partition } from "./partition.js";
import { ReplicaFetcher, type ReplicaFetcherConfig } from "./replica-fetcher.js";

/**
 * The follower side of this broker: one fetcher per leader broker (Kafka's
 * ReplicaFetcherManager with num.replica.fetchers=1), each fetching every partition this broker
 * follows on that leader in one request. A partition moves between fetchers when its leader
 * changes; a fetcher with nothing left to fetch stops.
 */
export class ReplicaFetcherManager {
  private readonly fetchers = new Map<number, ReplicaFetcher>();
  private readonly following = new Map<Partition, number>();
  private readonly connections: BrokerConnections;
  private readonly options: {
    localBrokerId: number;
    /** This broker's epoch, sent with every fetch (ReplicaFetcher). */
    brokerEpoch: () => bigint;
    endpointOf: (brokerId: number) => BrokerEndpoint | null;
    config: ReplicaFetcherConfig;
    log: Logger;
    clock: Clock;
    timers: Timers;
  };

  constructor(options: ReplicaFetcherManager["options"]) {
    this.options = options;
    this.connections = new BrokerConnections({
      clientId: `brook-replica-fetcher-${options.localBrokerId}`,
      requestTimeoutMs: options.config.requestTimeoutMs,
      // A fetcher appends each response before it sends the next fetch (one in flight per leader).
      reuseResponseBufferFor: ["replica-fetcher"],
    });
  }

  /** Fetches `partition` from `leaderId` at `leaderEpoch` from now on. */
  follow(partition: Partition, leaderId: number, leaderEpoch: number): void {
    const current = this.following.get(partition);
    if (current !== undefined && current !== leaderId) this.fetchers.get(current)?.remove(partition);
    this.following.set(partition, leaderId);
    let fetcher = this.fetchers.get(leaderId);
    if (fetcher === undefined) {
      fetcher = new ReplicaFetcher({
        sourceBrokerId: leaderId,
        endpoint: () => this.options.endpointOf(leaderId),
        connections: this.connections,
        localBrokerId: this.options.localBrokerId,
        brokerEpoch: this.options.brokerEpoch,
        config: this.options.config,
        log: this.options.log,
        clock: this.options.clock,
        timers: this.options.timers,
      });
      this.fetchers.set(leaderId, fetcher);
    }
    fetcher.add(partition, leaderEpoch);
  }

  unfollow(partition: Partition): void {
    const leaderId = this.following.get(partition);
    if (leaderId === undefined) return;
    this.following.delete(partition);
    const fetcher = this.fetchers.get(leaderId);
    fetcher?.remove(partition);
    if (fetcher !== undefined && fetcher.size === 0) {
      fetcher.stop();
      this.fetchers.delete(leaderId);
    }
  }

  /** Partitions followed, per leader (for metrics and tests). */
  followedBy(leaderId: number): number {
    return this.fetchers.get(leaderId)?.size ?? 0;
  }

  stop(): void {
    for (const f of this.fetchers.values()) f.stop();
    this.fetchers.clear();
    this.following.clear();
    void this.connections.close();
  }
}
