import type { SeededRandom, Timers } from "../../src/base/index.js";
import { ErrorCode } from "../../src/protocol/index.js";
import type { PartitionLeader, SimBroker } from "./sim-broker.js";
import type { SimEndpoint, SimNetwork } from "./sim-network.js";
import type { ProducedBatch } from "./sim-replica-log.js";

/** A write a producer saw acknowledged (acks=all answered NONE). */
export interface AckedWrite {
  readonly payloadId: string;
  readonly topic: string;
  readonly partition: number;
  readonly producerId: number;
  readonly sequence: number;
  readonly offset: bigint;
  /** When the producer first sent it, and when the acknowledgement came (simulated ms). */
  readonly firstSentMs: number;
  readonly ackedMs: number;
}

export interface ProducerHost {
  readonly network: SimNetwork;
  readonly random: SeededRandom;
  readonly timers: Timers;
  readonly nodeIds: readonly number[];
  nowMs(): number;
  broker(id: number): SimBroker | undefined;
  acknowledged(write: AckedWrite): void;
  trace(message: string): void;
}

export const PRODUCE_TIMEOUT_MS = 1500;

/**
 * An idempotent producer with acks=all and one request in flight (max.in.flight 1): each write
 * gets the next sequence number of its partition and is retried, with the same payload id and
 * sequence, until acknowledged; a leader that already has it answers with the original offsets
 * (Kafka's duplicate detection), so every acknowledged write must be in the log exactly once.
 * Leaders come from the metadata of whichever node it asks, refreshed after every error; answers
 * with an older leader epoch than it knows are ignored (KIP-320).
 */
export class SimProducer implements SimEndpoint {
  readonly name: string;
  readonly producerId: number;
  private readonly host: ProducerHost;
  private readonly partitions: readonly { topic: string; partition: number }[];
  private readonly leaders = new Map<string, { leader: number; leaderEpoch: number }>();
  private readonly sequences = new Map<string, number>();
  /** No new writes once set (the in-flight one is still retried until acknowledged). */
  stopping = false;
  inFlight: string | null = null;
  attempts = 0;
  readonly errors = new Map<number, number>();
  private done = false;

  constructor(
    host: ProducerHost,
    producerId: number,
    partitions: readonly { topic: string; partition: number }[],
  ) {
    this.host = host;
    this.producerId = producerId;
    this.name = `producer${producerId}`;
    this.partitions = partitions;
  }

  get timers(): Timers {
    return this.host.timers;
  }

  get alive(): boolean {
    return true;
  }

  get idle(): boolean {
    return this.done;
  }

  start(): void {
    void this.loop();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.host.timers.after(ms, resolve));
  }

  private async loop(): Promise<void> {
    const r = this.host.random;
    while (!this.stopping) {
      const { topic, partition } = r.pick(this.partitions);
      const key = `${topic}-${partition}`;
      const sequence = this.sequences.get(key) ?? 0;
      this.sequences.set(key, sequence + 1);
      const batch: ProducedBatch = {
        payloadId: `w${this.producerId}.${key}.${sequence}`,
        producerId: this.producerId,
        sequence,
        recordCount: r.int(1, 3),
      };
      this.inFlight = batch.payloadId;
      await this.produceUntilAcknowledged(topic, partition, batch);
      this.inFlight = null;
      await this.sleep(r.int(0, 40));
    }
    this.done = true;
  }

  private async produceUntilAcknowledged(
    topic: string,
    partition: number,
    batch: ProducedBatch,
  ): Promise<void> {
    const key = `${topic}-${partition}`;
    const firstSentMs = this.host.nowMs();
    for (;;) {
      const leader = this.leaders.get(key)?.leader ?? -1;
      const target = leader < 0 ? undefined : this.host.broker(leader);
      if (target === undefined) {
        await this.refreshMetadata();
        await this.sleep(this.host.random.int(20, 100));
        continue;
      }
      this.attempts++;
      const answer = await this.host.network.request(
        this,
        target,
        () => target.handleProduce({ topic, partition, batch, timeoutMs: PRODUCE_TIMEOUT_MS }),
        PRODUCE_TIMEOUT_MS + 500,
      );
      if (answer?.errorCode === ErrorCode.NONE) {
        this.host.acknowledged({
          payloadId: batch.payloadId,
          topic,
          partition,
          producerId: this.producerId,
          sequence: batch.sequence,
          offset: answer.baseOffset,
          firstSentMs,
          ackedMs: this.host.nowMs(),
        });
        return;
      }
      const errorCode = answer?.errorCode ?? ErrorCode.REQUEST_TIMED_OUT;
      this.errors.set(errorCode, (this.errors.get(errorCode) ?? 0) + 1);
      this.host.trace(`${this.name}: ${batch.payloadId} to node ${leader}: error ${errorCode}`);
      await this.refreshMetadata();
      await this.sleep(this.host.random.int(20, 100));
    }
  }

  /** Metadata from one node, over the network; only newer leader epochs replace what is known. */
  private async refreshMetadata(): Promise<void> {
    const id = this.host.random.pick(this.host.nodeIds);
    const target = this.host.broker(id);
    if (target === undefined) return;
    const answer = await this.host.network.request(this, target, () => target.handleMetadata(), 500);
    if (answer === null) return;
    for (const p of answer as PartitionLeader[]) {
      const key = `${p.topic}-${p.partition}`;
      const known = this.leaders.get(key);
      if (known === undefined || p.leaderEpoch >= known.leaderEpoch)
        this.leaders.set(key, { leader: p.leader, leaderEpoch: p.leaderEpoch });
    }
  }
}
