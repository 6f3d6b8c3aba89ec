import type { Clock, Logger } from "../base/index.js";
import type {
  GroupCoordinatorRuntime,
  TopicPartitionRef,
  TransactionCoordinatorRuntime,
} from "../coordinator/index.js";
import type {
  ClusterController,
  ControllerDefaults,
  MetadataImage,
  MetadataRecord,
  PartitionRules,
} from "../metadata/index.js";
import type { BoundListener } from "../network/index.js";
import type { Partition, ReplicaManager } from "../replication/index.js";
import type { LogConfig } from "../storage/index.js";
import type { BrokerConfig } from "./broker-config.js";
import type { ClientQuotas } from "./client-quotas.js";
import type { ControllerForwarder } from "./controller-forwarder.js";
import type { FetchSessionCache } from "./fetch-session.js";
import type { ProducerIdManager } from "./producer-id-manager.js";
import type { RequestAuthorizer } from "./request-authorizer.js";

/*
 * What request handlers (and the helpers they share) may use of the node that serves them, in
 * slices by concern. A handler's factory names the slices it touches, e.g.
 * `createTopicsHandler(broker: MetadataView & ControllerAccess & BrokerSettings)`, so its signature
 * says what it reads and changes, and a test can build it from a fake of those slices alone,
 * without a Broker, its logs or a listener. `Broker` builds one `HandlerContext` that reads through
 * to its parts (always current: `image` is the latest committed image at every read) and hands it
 * to `brokerHandlers`. Handlers keep calling it `broker`: it is the broker, as far as they see it
 * (and `context` stays the request's). Only types are imported here, none from `broker.ts`, so the
 * helpers that take these slices (topic creation, group coordination, ISR changes, ...) and
 * `broker.ts`, which uses them, import no cycle. test/broker/handlers/handler-context.test.ts
 * builds handlers from fakes.
 */

/** The cluster as this node knows it: the committed metadata image and who is who. */
export interface MetadataView {
  /** The latest committed image; after an await, read it again for what was committed meanwhile. */
  readonly image: MetadataImage;
  readonly clusterId: string;
  readonly nodeId: number;
  /** The active controller's node id, or -1 during an election (Metadata's controllerId). */
  readonly activeControllerId: number;
  /** This node's Kafka listeners with their bound ports (empty until they are bound). */
  readonly listeners: readonly BoundListener[];
  isInternalTopic(topic: string): boolean;
  /**
   * This node's replica of the partition is in a failed log dir: Metadata lists it among the
   * offline replicas, as KRaft's metadata cache lists replicas in offline dirs.
   */
  isLocalReplicaOffline(topic: string, partition: number): boolean;
}

/** What a handler needs of the forwarder: requests that must go to the active controller. */
export type ControllerForwarding = Pick<ControllerForwarder, "shouldForward" | "forward" | "send">;

/**
 * Changes to the cluster's shape: decided here when this node is the active controller (`decide`
 * with the controller's pure decisions), otherwise forwarded to the node that is.
 */
export interface ControllerAccess {
  readonly isActiveController: boolean;
  /**
   * Decides a change as the active controller: `decide` turns the current image into records and a
   * result, which is returned once the records are committed. NOT_CONTROLLER when this node is not it.
   */
  decide<T>(
    name: string,
    decide: (image: MetadataImage) => { records: MetadataRecord[]; result: T },
  ): Promise<T>;
  /** The controller's decisions, pure functions of an image. */
  readonly controller: ClusterController;
  /** The topic configs the controller's partition decisions read (min ISR, unclean election). */
  readonly partitionRules: PartitionRules;
  /** This broker's defaults for new topics (num.partitions, default.replication.factor, limits). */
  controllerDefaults(): ControllerDefaults;
  readonly forwarder: ControllerForwarding;
}

/** The partitions this broker hosts, and the ISR changes its leaders propose. */
export interface PartitionAccess {
  readonly replicaManager: ReplicaManager;
  /** After a follower's fetch: the follower, if it caught up (and may serve), is proposed for the ISR. */
  readonly isrChanges: { maybeExpand(partition: Partition, replicaId: number): void };
}

/** Parked long-poll fetches, all connections together; more are answered at once. */
export const PARKED_FETCHES_MAX = 10_000;

/** Fetch's own state: incremental fetch sessions (KIP-227) and the parked long polls. */
export interface FetchState {
  readonly fetchSessions: FetchSessionCache;
  /** Fetches waiting for data now; at most PARKED_FETCHES_MAX. */
  parkedFetches: number;
}

/** Consumer groups and committed offsets, on the `__consumer_offsets` partitions this broker leads. */
export interface GroupAccess {
  readonly groupCoordinator: GroupCoordinatorRuntime;
  /**
   * Creates `__consumer_offsets` when missing (the first coordinator lookup does); resolves to
   * NONE, or the error to report (COORDINATOR_NOT_AVAILABLE when it cannot be created now).
   */
  ensureOffsetsTopic(): Promise<number>;
}

/** Transactions: the coordinator of the `__transaction_state` partitions this broker leads. */
export interface TransactionAccess {
  readonly transactionCoordinator: TransactionCoordinatorRuntime;
  /** Creates `__transaction_state` when missing; NONE or the error to report. */
  ensureTransactionStateTopic(): Promise<number>;
}

/** One transactional producer's partitions, checked (or, with TV2, added) at its coordinator. */
export interface TxnVerificationRequest {
  readonly transactionalId: string;
  readonly producerId: bigint;
  readonly producerEpoch: number;
  readonly partitions: readonly TopicPartitionRef[];
  /**
   * Transactions version 2 (KIP-890 part 2): the coordinator adds the partitions to the
   * transaction (the producer sent no AddPartitionsToTxn); otherwise it only answers whether they
   * are in it (part 1).
   */
  readonly add: boolean;
}

/** What a partition leader asks of the transaction coordinator before a transactional append. */
export interface TransactionVerifier {
  /** The coordinator's error code per partition, in the request's order. */
  verify(request: TxnVerificationRequest): Promise<number[]>;
}

/** What Produce and TxnOffsetCommit may use of the verifier. */
export interface TransactionVerification {
  readonly transactionVerifier: TransactionVerifier;
}

/** Topics created because a client named them (auto.create.topics.enable). */
export interface TopicAutoCreation {
  /** The broker allows it and the topic is not internal. */
  mayAutoCreate(topic: string): boolean;
  /** Creates the missing ones with the broker's defaults; the error per topic that failed, or NONE. */
  autoCreateTopics(names: readonly string[]): Promise<Map<string, number>>;
}

/** Producer ids for idempotent producers, in blocks from the controller. */
export interface ProducerIdAccess {
  readonly producerIds: Pick<ProducerIdManager, "generateProducerId">;
}

/** This node's configuration, and what it logs and tells the time with. */
export interface BrokerSettings {
  readonly config: BrokerConfig;
  /** Topic configs as the broker's properties set them, before a topic's own overrides. */
  readonly topicDefaults: LogConfig;
  readonly log: Logger;
  readonly clock: Clock;
}

/** Client quotas: what Produce and Fetch record against producer_byte_rate and consumer_byte_rate. */
export interface QuotaAccess {
  readonly quotas: ClientQuotas;
}

/**
 * Authorization (authorizer.class.name): null when no authorizer is configured, and handlers then
 * check nothing, as Kafka's AuthHelper allows everything without one.
 */
export interface AuthorizerAccess {
  readonly authorizer: RequestAuthorizer | null;
}

/** One API's version range as ApiVersions advertises it. */
export interface AdvertisedVersions {
  apiKey: number;
  minVersion: number;
  maxVersion: number;
}

/** Everything the handlers get together: what `brokerHandlers` hands out slice by slice. */
export interface HandlerContext
  extends MetadataView,
    ControllerAccess,
    PartitionAccess,
    FetchState,
    GroupAccess,
    TransactionAccess,
    TransactionVerification,
    TopicAutoCreation,
    ProducerIdAccess,
    QuotaAccess,
    AuthorizerAccess,
    BrokerSettings {
  /** What ApiVersions advertises: the APIs the dispatcher serves (known once it holds the handlers). */
  advertisedVersions(): AdvertisedVersions[];
}
