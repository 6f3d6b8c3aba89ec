import { assert } from "../base/index.js";
import type { TransactionLogEntry, TransactionTopicPartitions } from "./transaction-record.js";
import { isValidTransition, TRANSACTION_STATE_NAMES, TransactionState } from "./transaction-state.js";

/** Kafka's RecordBatch.NO_PRODUCER_ID / NO_PRODUCER_EPOCH. */
export const NO_PRODUCER_ID = -1n;
export const NO_PRODUCER_EPOCH = -1;
/** The largest producer epoch (a Java short). */
export const PRODUCER_EPOCH_MAX = 32_767;

/** Kafka's TransactionMetadata.isEpochExhausted: the epoch cannot be bumped twice more. */
export function isEpochExhausted(epoch: number): boolean {
  return epoch >= PRODUCER_EPOCH_MAX - 1;
}

export interface TopicPartitionRef {
  readonly topic: string;
  readonly partition: number;
}

/** A state a transactional id moves to once the record that says so is durable. */
export interface TransactionTransit extends TransactionLogEntry {
  /** In memory only (KIP-360): the epoch before the last bump, to recognise a retried bump. */
  readonly lastProducerEpoch: number;
}

/**
 * The coordinator's view of one transactional id (Kafka's TransactionMetadata): the producer id
 * and epoch that own it, the transaction in progress (state, partitions, start time) and the
 * pending state of a transition whose record is being written. While `pending` is set the id
 * accepts no other transition (CONCURRENT_TRANSACTIONS), so at most one record per id is in flight.
 *
 * Invariant: the fields other than `pending` are what the log holds for the id (plus the
 * in-memory `lastProducerEpoch`), except after an epoch fence, which bumps the epoch in memory
 * just before its PrepareAbort is written.
 */
export class TransactionMetadata {
  readonly transactionalId: string;
  producerId: bigint;
  previousProducerId: bigint;
  nextProducerId: bigint;
  producerEpoch: number;
  lastProducerEpoch: number;
  transactionTimeoutMs: number;
  state: TransactionState;
  readonly partitions = new Map<string, Set<number>>();
  startTimestampMs: number;
  lastUpdateTimestampMs: number;
  clientTransactionVersion: number;
  pending: TransactionState | null = null;

  constructor(transactionalId: string, entry: TransactionLogEntry, lastProducerEpoch = NO_PRODUCER_EPOCH) {
    this.transactionalId = transactionalId;
    this.producerId = entry.producerId;
    this.previousProducerId = entry.previousProducerId;
    this.nextProducerId = entry.nextProducerId;
    this.producerEpoch = entry.producerEpoch;
    this.lastProducerEpoch = lastProducerEpoch;
    this.transactionTimeoutMs = entry.transactionTimeoutMs;
    this.state = entry.state;
    this.startTimestampMs = entry.startTimestampMs;
    this.lastUpdateTimestampMs = entry.lastUpdateTimestampMs;
    this.clientTransactionVersion = entry.clientTransactionVersion;
    this.setPartitions(entry.partitions);
  }

  get partitionCount(): number {
    let n = 0;
    for (const set of this.partitions.values()) n += set.size;
    return n;
  }

  includes(tp: TopicPartitionRef): boolean {
    return this.partitions.get(tp.topic)?.has(tp.partition) ?? false;
  }

  partitionList(): TopicPartitionRef[] {
    const out: TopicPartitionRef[] = [];
    for (const [topic, set] of this.partitions) for (const partition of set) out.push({ topic, partition });
    return out;
  }

  entry(): TransactionLogEntry {
    return {
      producerId: this.producerId,
      previousProducerId: this.previousProducerId,
      nextProducerId: this.nextProducerId,
      producerEpoch: this.producerEpoch,
      transactionTimeoutMs: this.transactionTimeoutMs,
      state: this.state,
      partitions: [...this.partitions].map(([topic, set]) => ({
        topic,
        partitionIds: [...set].sort((a, b) => a - b),
      })),
      lastUpdateTimestampMs: this.lastUpdateTimestampMs,
      startTimestampMs: this.startTimestampMs,
      clientTransactionVersion: this.clientTransactionVersion,
    };
  }

  /** Prepares a transition: checks it is legal and marks it pending. */
  prepare(
    transit: Omit<TransactionTransit, "clientTransactionVersion"> & { clientTransactionVersion?: number },
  ): TransactionTransit {
    assert(this.pending === null, () => `${this.transactionalId}: a transition is already pending`);
    assert(
      isValidTransition(this.state, transit.state),
      () => `${this.transactionalId}: ${this.describeTransition(transit.state)}`,
    );
    this.pending = transit.state;
    return {
      ...transit,
      clientTransactionVersion: transit.clientTransactionVersion ?? this.clientTransactionVersion,
    };
  }

  /** The transition's record is durable: the id takes the new state. */
  complete(transit: TransactionTransit): void {
    assert(
      this.pending === transit.state,
      () => `${this.transactionalId}: completing a transition that is not pending`,
    );
    this.pending = null;
    this.producerId = transit.producerId;
    this.previousProducerId = transit.previousProducerId;
    this.nextProducerId = transit.nextProducerId;
    this.producerEpoch = transit.producerEpoch;
    this.lastProducerEpoch = transit.lastProducerEpoch;
    this.transactionTimeoutMs = transit.transactionTimeoutMs;
    this.state = transit.state;
    this.startTimestampMs = transit.startTimestampMs;
    this.lastUpdateTimestampMs = transit.lastUpdateTimestampMs;
    this.clientTransactionVersion = transit.clientTransactionVersion;
    this.setPartitions(transit.partitions);
  }

  /** A fresh copy of the current state as a transit base (fields then overridden by the caller). */
  base(): Omit<TransactionTransit, "state"> {
    const { state: _state, ...rest } = this.entry();
    return { ...rest, lastProducerEpoch: this.lastProducerEpoch };
  }

  describeTransition(to: TransactionState): string {
    return `${TRANSACTION_STATE_NAMES[this.state]} -> ${TRANSACTION_STATE_NAMES[to]} is not a transition`;
  }

  private setPartitions(partitions: readonly TransactionTopicPartitions[]): void {
    this.partitions.clear();
    for (const p of partitions) {
      const set = this.partitions.get(p.topic) ?? new Set<number>();
      for (const id of p.partitionIds) set.add(id);
      this.partitions.set(p.topic, set);
    }
  }
}

/** `current` plus `added`, grouped by topic. */
export function unionPartitions(
  current: readonly TransactionTopicPartitions[],
  added: readonly TopicPartitionRef[],
): TransactionTopicPartitions[] {
  const byTopic = new Map<string, Set<number>>();
  for (const p of current) byTopic.set(p.topic, new Set(p.partitionIds));
  for (const tp of added) {
    const set = byTopic.get(tp.topic) ?? new Set<number>();
    set.add(tp.partition);
    byTopic.set(tp.topic, set);
  }
  return [...byTopic].map(([topic, set]) => ({ topic, partitionIds: [...set].sort((a, b) => a - b) }));
}

export { TransactionState };
