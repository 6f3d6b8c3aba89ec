import { BrokerConnections, type BrokerEndpoint } from "../client/index.js";
import type { TransactionMarkers, TransactionMarkerWriter } from "../coordinator/index.js";
import {
  ApiKey,
  ControlRecordType,
  ErrorCode,
  encodeEndTxnMarkerBatch,
  KafkaError,
  type WriteTxnMarkersResponse,
} from "../protocol/index.js";
import type { BrokerSettings, GroupAccess, MetadataView, PartitionAccess } from "./handler-context.js";
import { CONSUMER_OFFSETS_TOPIC } from "./offsets-topic-log.js";

/** Between attempts at a partition whose marker could not be written (no leader yet, ...). */
const MARKER_RETRY_BACKOFF_MS = 100;
/** Attempts per partition at most: ~100 s at the backoff, then the coordinator's next load retries. */
const MARKER_ATTEMPTS_MAX = 1000;
const MARKER_REQUEST_TIMEOUT_MS = 30_000;
/** Brook's inter-broker clients are exempt from quotas; this one is named like the others. */
const MARKER_CLIENT_ID_PREFIX = "brook-txn-markers-";

type MarkerBroker = MetadataView &
  Pick<PartitionAccess, "replicaManager"> &
  Pick<GroupAccess, "groupCoordinator"> &
  BrokerSettings;

/**
 * Writes one marker on a partition this broker leads (WriteTxnMarkers' work, Kafka's
 * ReplicaManager.appendRecords with origin COORDINATOR and acks=all): the control batch is
 * checked against the producer state (epoch, coordinator epoch) and appended; once committed, a
 * marker on `__consumer_offsets` completes the producer's transactional offsets there. Returns
 * the partition's error code.
 */
export async function writeTxnMarkerLocally(
  broker: MarkerBroker,
  marker: { producerId: bigint; producerEpoch: number; coordinatorEpoch: number; committed: boolean },
  topic: string,
  partition: number,
): Promise<number> {
  const replica = broker.replicaManager.get(topic, partition);
  if (replica === undefined) {
    return broker.image.topic(topic) === undefined
      ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
      : ErrorCode.NOT_LEADER_OR_FOLLOWER;
  }
  try {
    const batch = encodeEndTxnMarkerBatch({
      type: marker.committed ? ControlRecordType.COMMIT : ControlRecordType.ABORT,
      coordinatorEpoch: marker.coordinatorEpoch,
      producerId: marker.producerId,
      producerEpoch: marker.producerEpoch,
      timestamp: BigInt(broker.clock.nowMs()),
    });
    const info = replica.appendRecordsToLeader(batch, -1, "coordinator");
    await replica.whenCommitted(info.lastOffset);
  } catch (error) {
    if (error instanceof KafkaError) return error.errorCode;
    throw error;
  }
  if (topic === CONSUMER_OFFSETS_TOPIC)
    broker.groupCoordinator.completeTransaction(partition, marker.producerId, marker.committed);
  return ErrorCode.NONE;
}

/**
 * The transaction coordinator's marker writer (Kafka's TransactionMarkerChannelManager): each
 * partition's marker goes to its current leader, this broker directly, another over Brook's own
 * client (WriteTxnMarkers v1), retried after a backoff while the partition has no leader or its
 * leader refuses with a retriable error. A partition whose topic is gone counts as written, as in
 * Kafka. Resolves true once every partition has its marker.
 */
export class BrokerTxnMarkerWriter implements TransactionMarkerWriter {
  private readonly broker: MarkerBroker;
  private readonly endpointOf: (brokerId: number) => BrokerEndpoint | null;
  private readonly connections: BrokerConnections;

  constructor(broker: MarkerBroker, endpointOf: (brokerId: number) => BrokerEndpoint | null) {
    this.broker = broker;
    this.endpointOf = endpointOf;
    this.connections = new BrokerConnections({
      clientId: `${MARKER_CLIENT_ID_PREFIX}${broker.nodeId}`,
      requestTimeoutMs: MARKER_REQUEST_TIMEOUT_MS,
    });
  }

  close(): void {
    this.connections.close();
  }

  async write(markers: TransactionMarkers, isCancelled: () => boolean): Promise<boolean> {
    const results = await Promise.all(
      markers.partitions.map((tp) => this.writeOne(markers, tp.topic, tp.partition, isCancelled)),
    );
    return results.every((written) => written);
  }

  private async writeOne(
    markers: TransactionMarkers,
    topic: string,
    partition: number,
    isCancelled: () => boolean,
  ): Promise<boolean> {
    for (let attempt = 0; attempt < MARKER_ATTEMPTS_MAX; attempt++) {
      if (isCancelled()) return false;
      const errorCode = await this.attempt(markers, topic, partition).catch(
        () => ErrorCode.NETWORK_EXCEPTION,
      );
      if (errorCode === ErrorCode.NONE || errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) return true;
      if (
        errorCode === ErrorCode.INVALID_PRODUCER_EPOCH ||
        errorCode === ErrorCode.TRANSACTION_COORDINATOR_FENCED
      ) {
        // A newer epoch or coordinator already ended the producer's transaction there.
        this.broker.log.warn(
          `marker of producer ${markers.producerId} on ${topic}-${partition} refused (${errorCode}); counted as written`,
        );
        return true;
      }
      await new Promise((resolve) => setTimeout(resolve, MARKER_RETRY_BACKOFF_MS).unref());
    }
    this.broker.log.error(
      `gave up writing the marker of producer ${markers.producerId} on ${topic}-${partition}`,
    );
    return false;
  }

  private async attempt(markers: TransactionMarkers, topic: string, partition: number): Promise<number> {
    const registration = this.broker.image.partition(topic, partition);
    if (this.broker.image.topic(topic) === undefined) return ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
    const leader = registration?.leader ?? -1;
    if (leader < 0) return ErrorCode.LEADER_NOT_AVAILABLE;
    if (leader === this.broker.nodeId) return writeTxnMarkerLocally(this.broker, markers, topic, partition);
    const endpoint = this.endpointOf(leader);
    if (endpoint === null) return ErrorCode.LEADER_NOT_AVAILABLE;
    const response = await this.connections.request<WriteTxnMarkersResponse>(
      endpoint,
      ApiKey.WriteTxnMarkers,
      1,
      {
        markers: [
          {
            producerId: markers.producerId,
            producerEpoch: markers.producerEpoch,
            transactionResult: markers.committed,
            coordinatorEpoch: markers.coordinatorEpoch,
            topics: [{ name: topic, partitionIndexes: [partition] }],
          },
        ],
      },
    );
    return response.markers[0]?.topics[0]?.partitions[0]?.errorCode ?? ErrorCode.UNKNOWN_SERVER_ERROR;
  }
}
