import { ErrorCode } from "../../src/protocol/index.js";
import { truncationOffset } from "../../src/replication/index.js";
import type { FetchPartitionAnswer, FetchRequest, SimBroker } from "./sim-broker.js";
import type { SimReplica } from "./sim-replica.js";

interface FetchedPartition {
  replica: SimReplica;
  leaderEpoch: number;
  /** A partition whose last fetch failed waits until then (monotonic ms). */
  delayedUntilMs: number;
}

/** The fetch got no answer in time (the connection is given up). */
class FetchTimeout extends Error {}

/**
 * A follower's fetcher from one leader broker, as `replication/ReplicaFetcher` runs it: a loop of
 * fetches naming every partition this node follows on that leader, each at its log end with its
 * last fetched epoch; a diverging epoch truncates where the rules say, records are appended as
 * they are, the high watermark follows the leader's; errors park the partition for the backoff.
 */
export class SimFetcher {
  readonly sourceBrokerId: number;
  private readonly broker: SimBroker;
  private readonly partitions = new Map<string, FetchedPartition>();
  private running = false;
  private stopped = false;
  private wake: (() => void) | null = null;

  constructor(broker: SimBroker, sourceBrokerId: number) {
    this.broker = broker;
    this.sourceBrokerId = sourceBrokerId;
  }

  get size(): number {
    return this.partitions.size;
  }

  add(replica: SimReplica, leaderEpoch: number): void {
    const current = this.partitions.get(replica.name);
    if (current !== undefined && current.leaderEpoch === leaderEpoch && current.replica === replica) return;
    this.partitions.set(replica.name, { replica, leaderEpoch, delayedUntilMs: 0 });
    this.start();
  }

  remove(replica: SimReplica): void {
    this.partitions.delete(replica.name);
  }

  stop(): void {
    this.stopped = true;
    this.wake?.();
  }

  private get nowMs(): number {
    return this.broker.node.env.clock.monotonicMs();
  }

  private start(): void {
    if (this.running || this.stopped) return;
    this.running = true;
    void this.loop()
      .catch((error: unknown) => this.broker.host.fail(error))
      .finally(() => {
        this.running = false;
        if (!this.stopped && this.partitions.size > 0) this.start();
      });
  }

  private async loop(): Promise<void> {
    const timings = this.broker.host.timings;
    while (!this.stopped && this.partitions.size > 0 && this.broker.alive) {
      const leader = this.broker.endpointOf(this.sourceBrokerId);
      const now = this.nowMs;
      const due = [...this.partitions.values()].filter((p) => p.delayedUntilMs <= now);
      if (leader === null || due.length === 0) {
        const soonest = Math.min(...[...this.partitions.values()].map((p) => p.delayedUntilMs));
        await this.sleep(leader === null ? timings.fetchBackoffMs : Math.max(1, soonest - now));
        continue;
      }
      try {
        await this.fetchOnce(leader, due);
      } catch (error) {
        if (!(error instanceof FetchTimeout)) throw error;
        if (this.stopped) return;
        await this.sleep(timings.fetchBackoffMs);
      }
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = this.broker.timers.after(ms, () => {
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

  private async fetchOnce(leader: SimBroker, due: FetchedPartition[]): Promise<void> {
    const timings = this.broker.host.timings;
    const request: FetchRequest = {
      replicaId: this.broker.id,
      replicaEpoch: this.broker.brokerEpoch,
      maxWaitMs: timings.fetchWaitMaxMs,
      partitions: due.map((p) => ({
        topic: p.replica.topic,
        partition: p.replica.partitionIndex,
        currentLeaderEpoch: p.leaderEpoch,
        fetchOffset: p.replica.log.logEndOffset,
        lastFetchedEpoch: p.replica.log.latestEpoch,
      })),
    };
    const answer = await this.broker.host.network.request(
      this.broker,
      leader,
      () => leader.handleFetch(request),
      timings.fetchWaitMaxMs + timings.fetchRequestTimeoutMs,
    );
    if (answer === null) throw new FetchTimeout(`fetch from node ${this.sourceBrokerId} timed out`);
    for (const data of answer) {
      const entry = this.partitions.get(`${data.topic}-${data.partition}`);
      // Removed or moved to another epoch while the fetch was out: its answer is stale.
      if (entry === undefined || !due.includes(entry)) continue;
      try {
        await this.process(leader, entry, data);
      } catch (error) {
        if (!(error instanceof FetchTimeout)) throw error;
        entry.delayedUntilMs = this.nowMs + timings.fetchBackoffMs;
      }
    }
  }

  private async process(
    leader: SimBroker,
    entry: FetchedPartition,
    data: FetchPartitionAnswer,
  ): Promise<void> {
    const replica = entry.replica;
    if (replica.isLeader || replica.leaderEpoch !== entry.leaderEpoch) return;
    switch (data.errorCode) {
      case ErrorCode.NONE:
        break;
      case ErrorCode.OFFSET_OUT_OF_RANGE:
        await this.handleOutOfRange(leader, entry);
        return;
      default:
        entry.delayedUntilMs = this.nowMs + this.broker.host.timings.fetchBackoffMs;
        return;
    }
    if (data.diverging !== null) {
      const local = replica.log.endOffsetForEpoch(data.diverging.epoch);
      const offset = truncationOffset(data.diverging, local, replica.log.logEndOffset);
      this.broker.trace(
        `${replica.name}: log diverged from leader ${this.sourceBrokerId} at epoch ${data.diverging.epoch} (end ${data.diverging.endOffset}), truncating to ${offset} (log end ${replica.log.logEndOffset})`,
      );
      this.broker.host.count(
        offset < replica.log.logEndOffset ? "divergences truncating data" : "divergences at the log end",
      );
      replica.truncateTo(offset);
      return;
    }
    if (data.batches.length > 0) replica.appendAsFollower(data.batches);
    replica.updateFollowerHighWatermark(data.highWatermark);
  }

  private async handleOutOfRange(leader: SimBroker, entry: FetchedPartition): Promise<void> {
    const replica = entry.replica;
    const timings = this.broker.host.timings;
    const found = await this.broker.host.network.request(
      this.broker,
      leader,
      () => leader.handleListEarliest(replica.topic, replica.partitionIndex, entry.leaderEpoch),
      timings.fetchRequestTimeoutMs,
    );
    if (found === null) throw new FetchTimeout("ListOffsets timed out");
    if (found.errorCode !== ErrorCode.NONE) {
      entry.delayedUntilMs = this.nowMs + timings.fetchBackoffMs;
      return;
    }
    if (replica.log.logEndOffset < found.offset) {
      this.broker.trace(`${replica.name}: behind the leader's log start, starting over at ${found.offset}`);
      this.broker.host.count("restarts at the leader's log start");
      replica.restartAt(found.offset);
    } else {
      entry.delayedUntilMs = this.nowMs + timings.fetchBackoffMs;
    }
  }
}
