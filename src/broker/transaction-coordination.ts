import {
  type TransactionCoordinatorConfig,
  TransactionCoordinatorRuntime,
  transactionCoordinatorConfig,
} from "../coordinator/index.js";
import type { MetadataImage } from "../metadata/index.js";
import type { BrokerConfig } from "./broker-config.js";
import { syncCoordinatorPartitions } from "./coordinator-partitions.js";
import type {
  BrokerSettings,
  ControllerAccess,
  GroupAccess,
  MetadataView,
  PartitionAccess,
  ProducerIdAccess,
  TransactionAccess,
} from "./handler-context.js";
import { PartitionOffsetsTopicLog } from "./offsets-topic-log.js";
import { ensureInternalTopic } from "./topic-creation.js";
import { BrokerTxnMarkerWriter } from "./txn-marker-writer.js";

/** Kafka's name of the transaction coordinator's topic. */
export const TRANSACTION_STATE_TOPIC = "__transaction_state";

/**
 * The transaction coordinator's settings from server.properties; the partition count is the
 * existing topic's when there is one, so that a transactional id never moves partition.
 */
export function transactionCoordinatorConfigOf(
  config: BrokerConfig,
  image: MetadataImage,
): TransactionCoordinatorConfig {
  const existing = image.topic(TRANSACTION_STATE_TOPIC)?.partitions.length;
  return transactionCoordinatorConfig({
    transactionStateTopicPartitionCount: existing ?? config.int("transaction.state.log.num.partitions"),
    transactionMaxTimeoutMs: config.int("transaction.max.timeout.ms"),
    transactionalIdExpirationMs: config.int("transactional.id.expiration.ms"),
    abortTimedOutTransactionsIntervalMs: config.int(
      "transaction.abort.timed.out.transaction.cleanup.interval.ms",
    ),
    removeExpiredTransactionalIdsIntervalMs: config.int(
      "transaction.remove.expired.transaction.cleanup.interval.ms",
    ),
  });
}

/** The broker's transaction coordinator, on its `__transaction_state` replicas. */
export function createTransactionCoordinator(
  broker: MetadataView &
    Pick<PartitionAccess, "replicaManager"> &
    Pick<GroupAccess, "groupCoordinator"> &
    ProducerIdAccess &
    BrokerSettings,
  endpointOf: (brokerId: number) => { host: string; port: number } | null,
): { runtime: TransactionCoordinatorRuntime; markers: BrokerTxnMarkerWriter } {
  const markers = new BrokerTxnMarkerWriter(broker, endpointOf);
  const runtime = new TransactionCoordinatorRuntime({
    config: transactionCoordinatorConfigOf(broker.config, broker.image),
    clock: broker.clock,
    log: new PartitionOffsetsTopicLog({
      partition: (p) => broker.replicaManager.get(TRANSACTION_STATE_TOPIC, p),
      clock: broker.clock,
      loadBufferBytes: broker.config.int("transaction.state.log.load.buffer.size"),
      topic: TRANSACTION_STATE_TOPIC,
    }),
    markers,
    newProducerId: () => broker.producerIds.generateProducerId(),
    onError: (message) => broker.log.error(message),
  });
  return { runtime, markers };
}

/** After a metadata change: serve the `__transaction_state` partitions this broker leads. */
export function syncTransactionCoordinatorPartitions(
  broker: MetadataView & Pick<TransactionAccess, "transactionCoordinator"> & BrokerSettings,
  image: MetadataImage,
): void {
  const runtime = broker.transactionCoordinator;
  syncCoordinatorPartitions(
    broker,
    image,
    TRANSACTION_STATE_TOPIC,
    runtime.config.transactionStateTopicPartitionCount,
    runtime,
    "its transactional ids stay unavailable",
  );
}

/**
 * Creates `__transaction_state` on the first transactional lookup, with Kafka's settings:
 * compacted, `transaction.state.log.segment.bytes`, `transaction.state.log.min.isr`.
 */
export async function ensureTransactionStateTopic(
  broker: MetadataView &
    ControllerAccess &
    BrokerSettings &
    Pick<TransactionAccess, "transactionCoordinator">,
): Promise<number> {
  const created = await ensureInternalTopic(
    broker,
    TRANSACTION_STATE_TOPIC,
    broker.transactionCoordinator.config.transactionStateTopicPartitionCount,
    broker.config.int("transaction.state.log.replication.factor"),
    {
      "cleanup.policy": "compact",
      "segment.bytes": String(broker.config.int("transaction.state.log.segment.bytes")),
      "min.insync.replicas": String(broker.config.int("transaction.state.log.min.isr")),
      "compression.type": "producer",
    },
  );
  return created.errorCode;
}
