import type { TopicPartition } from "./admin-group-results.js";
import type { AdminCallOptions } from "./admin-transport.js";

/**
 * The admin client's transaction results (Kafka's TransactionListing, TransactionDescription,
 * ProducerState, AbortTransactionSpec), with Kafka's names for states.
 */

/** Kafka's TransactionState names; a name Kafka's client does not know reads as "Unknown". */
export const TRANSACTION_STATES = [
  "Ongoing",
  "PrepareAbort",
  "PrepareCommit",
  "CompleteAbort",
  "CompleteCommit",
  "Empty",
  "PrepareEpochFence",
] as const;

export function transactionState(name: string): string {
  return (TRANSACTION_STATES as readonly string[]).includes(name) ? name : "Unknown";
}

/** One transactional id of a ListTransactions answer. */
export interface TransactionListing {
  transactionalId: string;
  producerId: bigint;
  state: string;
}

/** listTransactions' filters (Kafka's ListTransactionsOptions); an empty filter lets everything through. */
export interface ListTransactionsOptions extends AdminCallOptions {
  filterStates?: readonly string[];
  filterProducerIds?: readonly bigint[];
  /** Only transactions running longer than this many ms; negative (the default) for all. */
  filterOnDuration?: bigint;
}

/** A transactional id as its coordinator describes it (Kafka's TransactionDescription), or why not. */
export interface TransactionDescription {
  transactionalId: string;
  /** NONE, TRANSACTIONAL_ID_NOT_FOUND, ... */
  errorCode: number;
  errorMessage: string | null;
  coordinatorId: number;
  state: string;
  producerId: bigint;
  producerEpoch: number;
  transactionTimeoutMs: number;
  /** When the current transaction started; null when none has. */
  transactionStartTimeMs: bigint | null;
  /** The partitions in the transaction, or whose markers are still to be written. */
  topicPartitions: TopicPartition[];
}

/** One producer a partition's replica remembers (Kafka's ProducerState). */
export interface ProducerState {
  producerId: bigint;
  producerEpoch: number;
  lastSequence: number;
  lastTimestamp: bigint;
  /** The coordinator epoch of its last marker; null before any. */
  coordinatorEpoch: number | null;
  /** The first offset of its open transaction on the partition; null when none is open. */
  currentTransactionStartOffset: bigint | null;
}

/** A partition's producers (Kafka's PartitionProducerState), or why they could not be had. */
export interface PartitionProducerState extends TopicPartition {
  errorCode: number;
  errorMessage: string | null;
  activeProducers: ProducerState[];
}

export interface DescribeProducersOptions extends AdminCallOptions {
  /** Ask this broker's replica instead of the partition's leader. */
  brokerId?: number;
}

/** The transaction abortTransaction ends on one partition (Kafka's AbortTransactionSpec). */
export interface AbortTransactionSpec extends TopicPartition {
  producerId: bigint;
  producerEpoch: number;
  coordinatorEpoch: number;
}

/** Kafka's AbortTransactionSpec.toString, which its tool prints in failures. */
export function abortSpecText(spec: AbortTransactionSpec): string {
  return `AbortTransactionSpec(topicPartition=${spec.topic}-${spec.partition}, producerId=${spec.producerId}, producerEpoch=${spec.producerEpoch}, coordinatorEpoch=${spec.coordinatorEpoch})`;
}
