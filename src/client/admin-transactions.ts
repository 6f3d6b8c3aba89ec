import { groupBy } from "../base/index.js";
import {
  ApiKey,
  type DescribeProducersResponse,
  type DescribeTransactionsResponse,
  ErrorCode,
  KafkaError,
  type ListTransactionsResponse,
  type WriteTxnMarkersResponse,
} from "../protocol/index.js";
import { partitionKey, type TopicPartition } from "./admin-group-results.js";
import { withCoordinator } from "./admin-groups.js";
import { partitionLeaders } from "./admin-leaders.js";
import { errorMessageOf } from "./admin-results.js";
import {
  type AbortTransactionSpec,
  abortSpecText,
  type DescribeProducersOptions,
  type ListTransactionsOptions,
  type PartitionProducerState,
  type ProducerState,
  type TransactionDescription,
  type TransactionListing,
  transactionState,
} from "./admin-transaction-results.js";
import { type AdminCallOptions, type AdminTransport, missingResult, shouldRetry } from "./admin-transport.js";
import type { KafkaConnection } from "./kafka-connection.js";

/*
 * The admin client's transaction operations (Kafka's Admin listTransactions, describeTransactions,
 * describeProducers, abortTransaction; KIP-664), over an AdminTransport, with the errors and
 * messages of Kafka's handlers (ListTransactionsHandler, DescribeTransactionsHandler,
 * DescribeProducersHandler, AbortTransactionHandler), which kafka-transactions.sh prints.
 */

/** The versions built for; `min` is the first that carries every field set. */
const VERSIONS = {
  listTransactions: { min: 0, max: 1 },
  describeTransactions: { min: 0, max: 0 },
  describeProducers: { min: 0, max: 0 },
  writeTxnMarkers: { min: 0, max: 1 },
} as const;

/** FindCoordinator's key type for a transactional id. */
const TRANSACTION_COORDINATOR = 1;

/** WriteTxnMarkers answers after which the partition's leader is looked up again (as Kafka's handler). */
const LEADER_MOVED: ReadonlySet<number> = new Set([
  ErrorCode.NOT_LEADER_OR_FOLLOWER,
  ErrorCode.REPLICA_NOT_AVAILABLE,
  ErrorCode.BROKER_NOT_AVAILABLE,
  ErrorCode.LEADER_NOT_AVAILABLE,
]);

const tpText = (tp: TopicPartition) => `${tp.topic}-${tp.partition}`;

/**
 * The transactional ids every broker coordinates, by broker id in ascending order (Kafka's
 * listTransactions().allByBrokerId()). A broker still loading its transaction log is asked again
 * until the deadline; Brook's coordinator also answers COORDINATOR_NOT_AVAILABLE before it has
 * started, so that is retried too (Kafka's client fails at once: there it only means shutting down).
 */
export async function listTransactions(
  t: AdminTransport,
  options: ListTransactionsOptions = {},
): Promise<Map<number, TransactionListing[]>> {
  const deadline = t.deadline(options);
  const brokers = (await t.metadata([], { timeoutMs: deadline.remainingMs() })).brokers;
  const durationFilter = options.filterOnDuration ?? -1n;
  const body = {
    stateFilters: options.filterStates ?? [],
    producerIdFilters: options.filterProducerIds ?? [],
    durationFilter,
  };
  const ids = brokers.map((b) => b.nodeId).sort((a, b) => a - b);
  const answers = await Promise.all(
    ids.map((brokerId) =>
      t.withBroker(deadline, brokerId, async (connection, timeoutMs) => {
        const { min, max } = VERSIONS.listTransactions;
        // KIP-994's duration filter is carried from v1 on.
        const version = connection.negotiatedVersion(
          ApiKey.ListTransactions,
          max,
          durationFilter >= 0n ? 1 : min,
        );
        for (;;) {
          const response = await connection.request<ListTransactionsResponse>(
            ApiKey.ListTransactions,
            version,
            body,
            { timeoutMs },
          );
          if (response.errorCode === ErrorCode.NONE) {
            return response.transactionStates.map((s) => ({
              transactionalId: s.transactionalId,
              producerId: s.producerId,
              state: transactionState(s.transactionState),
            }));
          }
          if (!shouldRetry(response.errorCode) || deadline.expired()) {
            throw new KafkaError(
              response.errorCode,
              response.errorCode === ErrorCode.COORDINATOR_NOT_AVAILABLE
                ? `ListTransactions request sent to broker ${brokerId} failed because the coordinator is shutting down`
                : `ListTransactions request sent to broker ${brokerId} failed with an unexpected exception`,
            );
          }
          await deadline.sleep(t.retryBackoffMs);
        }
      }),
    ),
  );
  return new Map(ids.map((id, i) => [id, answers[i] as TransactionListing[]]));
}

/**
 * Each transactional id as its coordinator describes it, in the order given (Kafka's
 * describeTransactions); an id no coordinator knows has TRANSACTIONAL_ID_NOT_FOUND.
 */
export function describeTransactions(
  t: AdminTransport,
  transactionalIds: readonly string[],
  options: AdminCallOptions = {},
): Promise<TransactionDescription[]> {
  const deadline = t.deadline(options);
  return Promise.all(
    transactionalIds.map((transactionalId) =>
      withCoordinator(
        t,
        transactionalId,
        deadline,
        async (connection, timeoutMs, coordinator) => {
          const { min, max } = VERSIONS.describeTransactions;
          const version = connection.negotiatedVersion(ApiKey.DescribeTransactions, max, min);
          const response = await connection.request<DescribeTransactionsResponse>(
            ApiKey.DescribeTransactions,
            version,
            { transactionalIds: [transactionalId] },
            { timeoutMs },
          );
          const s = response.transactionStates.find((x) => x.transactionalId === transactionalId);
          if (s === undefined) {
            const { errorCode, errorMessage } = missingResult();
            return { errorCode, value: failedDescription(transactionalId, errorCode, errorMessage) };
          }
          if (s.errorCode !== ErrorCode.NONE) {
            const message = describeTransactionsError(transactionalId, s.errorCode);
            return {
              errorCode: s.errorCode,
              value: failedDescription(transactionalId, s.errorCode, message),
            };
          }
          const value: TransactionDescription = {
            transactionalId,
            errorCode: ErrorCode.NONE,
            errorMessage: null,
            coordinatorId: coordinator.nodeId,
            state: transactionState(s.transactionState),
            producerId: s.producerId,
            producerEpoch: s.producerEpoch,
            transactionTimeoutMs: s.transactionTimeoutMs,
            transactionStartTimeMs: s.transactionStartTimeMs < 0n ? null : s.transactionStartTimeMs,
            topicPartitions: s.topics.flatMap((topic) =>
              topic.partitions.map((partition) => ({ topic: topic.topic, partition })),
            ),
          };
          return { errorCode: ErrorCode.NONE, value };
        },
        TRANSACTION_COORDINATOR,
      ),
    ),
  );
}

function describeTransactionsError(transactionalId: string, errorCode: number): string {
  const request = `DescribeTransactions request for transactionalId \`${transactionalId}\``;
  if (errorCode === ErrorCode.TRANSACTIONAL_ID_NOT_FOUND)
    return `${request} failed because the ID could not be found`;
  if (errorCode === ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED)
    return `${request} failed due to authorization failure`;
  return `${request} failed due to unexpected error`;
}

function failedDescription(
  transactionalId: string,
  errorCode: number,
  errorMessage: string | null,
): TransactionDescription {
  return {
    transactionalId,
    errorCode,
    errorMessage,
    coordinatorId: -1,
    state: "Unknown",
    producerId: -1n,
    producerEpoch: -1,
    transactionTimeoutMs: -1,
    transactionStartTimeMs: null,
    topicPartitions: [],
  };
}

/**
 * The producers each partition's leader (or the replica on `brokerId`) remembers, in the order
 * given (Kafka's describeProducers). Without `brokerId` a partition whose leader moved is looked up
 * again; with it, NOT_LEADER_OR_FOLLOWER is that partition's final answer, as in Kafka.
 */
export async function describeProducers(
  t: AdminTransport,
  partitions: readonly TopicPartition[],
  options: DescribeProducersOptions = {},
): Promise<PartitionProducerState[]> {
  const deadline = t.deadline(options);
  const brokerId = options.brokerId;
  const results = new Map<string, PartitionProducerState>();
  let todo = [...new Map(partitions.map((tp) => [partitionKey(tp), tp])).values()];
  for (;;) {
    let byBroker: Map<number, TopicPartition[]>;
    if (brokerId === undefined) {
      const { byLeader, failed } = await partitionLeaders(t, todo, deadline);
      for (const f of failed) results.set(partitionKey(f), producersFailed(f, f.errorCode, null));
      byBroker = byLeader;
    } else {
      byBroker = new Map([[brokerId, todo]]);
    }
    await Promise.all(
      [...byBroker].map(([node, list]) =>
        t.withBroker(deadline, node, async (connection, timeoutMs) => {
          const { min, max } = VERSIONS.describeProducers;
          const version = connection.negotiatedVersion(ApiKey.DescribeProducers, max, min);
          const byTopic = groupBy(
            list,
            (tp) => tp.topic,
            (tp) => tp.partition,
          );
          const response = await connection.request<DescribeProducersResponse>(
            ApiKey.DescribeProducers,
            version,
            {
              topics: [...byTopic].map(([name, partitionIndexes]) => ({ name, partitionIndexes })),
            },
            { timeoutMs },
          );
          // Until the answer says otherwise: a partition it leaves out fails.
          for (const tp of list) {
            results.set(partitionKey(tp), producersFailed(tp, ErrorCode.UNKNOWN_SERVER_ERROR, null));
          }
          for (const topic of response.topics) {
            for (const p of topic.partitions) {
              const tp = { topic: topic.name, partition: p.partitionIndex };
              results.set(
                partitionKey(tp),
                p.errorCode === ErrorCode.NONE
                  ? {
                      ...tp,
                      errorCode: ErrorCode.NONE,
                      errorMessage: null,
                      activeProducers: p.activeProducers.map(
                        (s): ProducerState => ({
                          producerId: s.producerId,
                          producerEpoch: s.producerEpoch,
                          lastSequence: s.lastSequence,
                          lastTimestamp: s.lastTimestamp,
                          coordinatorEpoch: s.coordinatorEpoch < 0 ? null : s.coordinatorEpoch,
                          currentTransactionStartOffset:
                            s.currentTxnStartOffset < 0n ? null : s.currentTxnStartOffset,
                        }),
                      ),
                    }
                  : producersFailed(tp, p.errorCode, p.errorMessage, brokerId),
              );
            }
          }
        }),
      ),
    );
    todo = todo.filter((tp) => {
      const code = (results.get(partitionKey(tp)) as PartitionProducerState).errorCode;
      return brokerId === undefined ? shouldRetry(code) : shouldRetry(code) && !LEADER_MOVED.has(code);
    });
    if (todo.length === 0 || deadline.expired()) break;
    await deadline.sleep(t.retryBackoffMs);
  }
  return partitions.map((tp) => results.get(partitionKey(tp)) as PartitionProducerState);
}

/** A partition's failure, with the message Kafka's DescribeProducersHandler gives it. */
function producersFailed(
  tp: TopicPartition,
  errorCode: number,
  brokerMessage: string | null,
  brokerId?: number,
): PartitionProducerState {
  const partition = tpText(tp);
  let errorMessage: string | null;
  if (errorCode === ErrorCode.NOT_LEADER_OR_FOLLOWER && brokerId !== undefined) {
    errorMessage = `Failed to describe active producers for partition ${partition} on brokerId ${brokerId}`;
  } else if (errorCode === ErrorCode.INVALID_TOPIC_EXCEPTION) {
    errorMessage = `Failed to fetch metadata for partition ${partition} due to invalid topic error: ${errorMessageOf(errorCode, brokerMessage)}`;
  } else if (errorCode === ErrorCode.TOPIC_AUTHORIZATION_FAILED) {
    errorMessage = `Failed to describe active producers for partition ${partition} due to authorization failure on topic \`${tp.topic}\``;
  } else if (shouldRetry(errorCode) || errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) {
    // Kafka's client retries these until its timeout; Brook's stops at a topic the cluster does not
    // have (as its other admin calls do) and says so.
    errorMessage = errorMessageOf(errorCode, null);
  } else {
    errorMessage = `Failed to describe active producers for partition ${partition} due to unexpected error`;
  }
  return { topic: tp.topic, partition: tp.partition, errorCode, errorMessage, activeProducers: [] };
}

/**
 * Ends a transaction on one partition by writing an abort marker there (Kafka's abortTransaction:
 * WriteTxnMarkers to the partition's leader, for a transaction whose coordinator will not); for a
 * hanging transaction, which no coordinator knows. Throws a KafkaError with the message of Kafka's
 * AbortTransactionHandler when the leader refuses.
 */
export async function abortTransaction(
  t: AdminTransport,
  spec: AbortTransactionSpec,
  options: AdminCallOptions = {},
): Promise<void> {
  const deadline = t.deadline(options);
  const tp = { topic: spec.topic, partition: spec.partition };
  for (;;) {
    const { byLeader, failed } = await partitionLeaders(t, [tp], deadline);
    const [leader] = [...byLeader.keys()];
    const errorCode =
      leader === undefined
        ? (failed[0]?.errorCode ?? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
        : await t.withBroker(deadline, leader, (connection, timeoutMs) =>
            writeAbortMarker(connection, spec, timeoutMs),
          );
    if (errorCode === ErrorCode.NONE) return;
    if (!LEADER_MOVED.has(errorCode) || deadline.expired())
      throw new KafkaError(errorCode, abortError(spec, errorCode));
    await deadline.sleep(t.retryBackoffMs);
  }
}

async function writeAbortMarker(
  connection: KafkaConnection,
  spec: AbortTransactionSpec,
  timeoutMs: number,
): Promise<number> {
  const { min, max } = VERSIONS.writeTxnMarkers;
  const version = connection.negotiatedVersion(ApiKey.WriteTxnMarkers, max, min);
  const response = await connection.request<WriteTxnMarkersResponse>(
    ApiKey.WriteTxnMarkers,
    version,
    {
      markers: [
        {
          producerId: spec.producerId,
          producerEpoch: spec.producerEpoch,
          transactionResult: false,
          coordinatorEpoch: spec.coordinatorEpoch,
          topics: [{ name: spec.topic, partitionIndexes: [spec.partition] }],
        },
      ],
    },
    { timeoutMs },
  );
  const marker = response.markers.length === 1 ? response.markers[0] : undefined;
  const topic = marker?.topics.length === 1 ? marker.topics[0] : undefined;
  const partition = topic?.partitions.length === 1 ? topic.partitions[0] : undefined;
  if (
    marker?.producerId !== spec.producerId ||
    topic?.name !== spec.topic ||
    partition?.partitionIndex !== spec.partition
  ) {
    throw new KafkaError(
      ErrorCode.UNKNOWN_SERVER_ERROR,
      `WriteTxnMarkers response did not answer exactly ${abortSpecText(spec)}`,
    );
  }
  return partition.errorCode;
}

function abortError(spec: AbortTransactionSpec, errorCode: number): string {
  const request = `WriteTxnMarkers request with ${abortSpecText(spec)}`;
  switch (errorCode) {
    case ErrorCode.CLUSTER_AUTHORIZATION_FAILED:
      return `${request} failed due to cluster authorization error`;
    case ErrorCode.INVALID_PRODUCER_EPOCH:
      return `${request} failed due an invalid producer epoch`;
    case ErrorCode.TRANSACTION_COORDINATOR_FENCED:
      return `${request} failed since the provided coordinator epoch ${spec.coordinatorEpoch} has been fenced by the active coordinator`;
    case ErrorCode.UNKNOWN_TOPIC_OR_PARTITION:
    case ErrorCode.LEADER_NOT_AVAILABLE:
      // Kafka's client looks the leader up until its timeout; Brook's says why it stopped.
      return errorMessageOf(errorCode, null) ?? "";
    default:
      return `${request} failed due to unexpected error: ${errorMessageOf(errorCode, null)}`;
  }
}
