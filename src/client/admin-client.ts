import {
  type AclBinding,
  type AclBindingFilter,
  ApiKey,
  type CreatePartitionsRequestInput,
  type CreatePartitionsResponse,
  type CreateTopicsRequestInput,
  type CreateTopicsResponse,
  type DeleteTopicsRequestInput,
  type DeleteTopicsResponse,
  type DescribeClusterRequestInput,
  type DescribeClusterResponse,
  type DescribeConfigsRequestInput,
  type DescribeConfigsResponse,
  type DescribeTopicPartitionsRequestInput,
  type DescribeTopicPartitionsResponse,
  ErrorCode,
  type IncrementalAlterConfigsRequestInput,
  type IncrementalAlterConfigsResponse,
  KafkaError,
  type MetadataRequestInput,
  type MetadataResponse,
  ZERO_UUID,
} from "../protocol/index.js";
import * as acls from "./admin-acls.js";
import type {
  CommittedOffset,
  ConsumerGroupDescription,
  GroupListing,
  GroupResult,
  ListedOffset,
  OffsetSpec,
  PartitionResult,
  TopicPartition,
} from "./admin-group-results.js";
import * as groups from "./admin-groups.js";
import type {
  BrokerLogDirs,
  DeletedRecords,
  ElectionResult,
  ElectionType,
  RecordsToDelete,
} from "./admin-partition-results.js";
import * as partitionOps from "./admin-partitions.js";
import type {
  QuotaAlteration,
  QuotaAlterationResult,
  QuotaEntry,
  QuotaFilterComponent,
} from "./admin-quota-results.js";
import * as quotas from "./admin-quotas.js";
import {
  type AlterConfigsResource,
  type BrokerDescription,
  type ClusterDescription,
  type ClusterMetadata,
  type ConfigResource,
  type ConfigResourceResult,
  ConfigResourceType,
  type CreateTopicResult,
  clusterMetadata,
  configResourceKey,
  creatableTopic,
  createTopicResult,
  type DescribeConfigsResult,
  describeConfigsResult,
  describedTopicPartitions,
  errorMessageOf,
  type ItemResult,
  type NewPartitions,
  type NewTopic,
  type TopicListing,
  type TopicMetadata,
  type TopicResult,
  unknownTopic,
} from "./admin-results.js";
import * as scram from "./admin-scram.js";
import type {
  AbortTransactionSpec,
  DescribeProducersOptions,
  ListTransactionsOptions,
  PartitionProducerState,
  TransactionDescription,
  TransactionListing,
} from "./admin-transaction-results.js";
import * as transactions from "./admin-transactions.js";
import {
  type AdminAlterOptions,
  type AdminCallOptions,
  type AdminTransport,
  missingResult,
  shouldRetry,
} from "./admin-transport.js";
import { parseBootstrap } from "./broker-address.js";
import { ClientError, ClientErrorCode, isConnectionFailure } from "./client-error.js";
import type { ClientSasl } from "./client-sasl.js";
import type { ClientTls } from "./client-tls.js";
import { BrokerConnections, type BrokerEndpoint, CONNECT_TIMEOUT_MS_DEFAULT } from "./connection-pool.js";
import { Deadline } from "./deadline.js";
import type { KafkaConnection } from "./kafka-connection.js";

export interface AdminClientOptions {
  /** `host:port` addresses, as an array or comma-separated. */
  bootstrap: string | readonly string[];
  clientId?: string;
  /** An operation's time limit, retries included (Kafka's default.api.timeout.ms). */
  timeoutMs?: number;
  /** One attempt's limit. */
  requestTimeoutMs?: number;
  connectTimeoutMs?: number;
  /** Connect with TLS (Kafka's security.protocol=SSL); default plaintext. */
  ssl?: ClientTls;
  /** Authenticate with SASL (security.protocol=SASL_PLAINTEXT or SASL_SSL). */
  sasl?: ClientSasl;
  /** The wait between attempts. */
  retryBackoffMs?: number;
  clientSoftwareVersion?: string;
}

export type { AdminAlterOptions, AdminCallOptions } from "./admin-transport.js";

export const ADMIN_TIMEOUT_MS_DEFAULT = 30_000;
export const ADMIN_RETRY_BACKOFF_MS_DEFAULT = 100;
const ADMIN_PURPOSE = "admin";
/** The versions the admin client builds requests for; `min` is the first that carries every field it sets. */
const VERSIONS = {
  metadata: { min: 4, max: 12 },
  createTopics: { min: 2, max: 7 },
  deleteTopics: { min: 0, max: 6 },
  createPartitions: { min: 0, max: 3 },
  describeConfigs: { min: 1, max: 4 },
  incrementalAlterConfigs: { min: 0, max: 1 },
  describeCluster: { min: 0, max: 1 },
} as const;

/** An attempt's outcome for a batch of items: one result per item it answered. */
type BatchSender<I, R> = (connection: KafkaConnection, items: I[], timeoutMs: number) => Promise<R[]>;

/**
 * Kafka's admin operations over the protocol, for the `brook` tools and tests. Requests go to any
 * broker (Brook brokers forward them to the active controller), except those only one broker
 * answers: broker config resources and log dirs go to the broker they name, offsets and record
 * deletions to the partition's leader, group requests to the group's coordinator (admin-groups.ts,
 * admin-partitions.ts). A failed connection moves to the next known broker; items answered with a
 * retriable error are sent again; both until the operation's timeout, after which the last answer
 * stands (or, with no answer at all, the last error is thrown).
 */
export class AdminClient {
  private readonly pool: BrokerConnections;
  private readonly bootstrap: readonly BrokerEndpoint[];
  private readonly timeoutMs: number;
  private readonly requestTimeoutMs: number;
  private readonly retryBackoffMs: number;
  /** The brokers of the latest Metadata or DescribeCluster answer. */
  private brokers: BrokerDescription[] = [];
  /** Where requests for any broker go until a connection to it fails. */
  private current: BrokerEndpoint | null = null;
  private rotation = 0;
  /** What the group and quota operations use of this client. */
  private readonly transport: AdminTransport;

  constructor(options: AdminClientOptions) {
    this.bootstrap = parseBootstrap(options.bootstrap);
    this.timeoutMs = options.timeoutMs ?? ADMIN_TIMEOUT_MS_DEFAULT;
    this.requestTimeoutMs = options.requestTimeoutMs ?? this.timeoutMs;
    this.retryBackoffMs = options.retryBackoffMs ?? ADMIN_RETRY_BACKOFF_MS_DEFAULT;
    this.pool = new BrokerConnections({
      clientId: options.clientId ?? "brook-admin",
      requestTimeoutMs: this.requestTimeoutMs,
      connectTimeoutMs: options.connectTimeoutMs ?? Math.min(CONNECT_TIMEOUT_MS_DEFAULT, this.timeoutMs),
      ...(options.ssl === undefined ? {} : { ssl: options.ssl }),
      ...(options.sasl === undefined ? {} : { sasl: options.sasl }),
      ...(options.clientSoftwareVersion === undefined
        ? {}
        : { clientSoftwareVersion: options.clientSoftwareVersion }),
    });
    this.transport = {
      retryBackoffMs: this.retryBackoffMs,
      deadline: (options) => this.deadline(options),
      withBroker: (deadline, nodeId, attempt) => this.withBroker(deadline, nodeId, attempt),
      metadata: (topics, options) => this.metadata(topics, options),
      learnBroker: (broker) => {
        if (!this.brokers.some((b) => b.nodeId === broker.nodeId)) this.brokers.push(broker);
      },
    };
  }

  /** Topics with their partitions (leader, replicas, ISR), brokers and controller; all topics when `topics` is absent. */
  async metadata(
    topics?: readonly string[] | null,
    options: AdminCallOptions & { allowAutoTopicCreation?: boolean } = {},
  ): Promise<ClusterMetadata> {
    const deadline = this.deadline(options);
    const metadata = await this.withBroker(deadline, null, async (connection, timeoutMs) => {
      const { min, max } = VERSIONS.metadata;
      const version = connection.negotiatedVersion(ApiKey.Metadata, max, min);
      const body: MetadataRequestInput = {
        topics: topics === undefined || topics === null ? null : topics.map((name) => ({ name })),
        // Producers ask for auto-creation (as Kafka's do); admin operations never create.
        allowAutoTopicCreation: options.allowAutoTopicCreation ?? false,
      };
      return clusterMetadata(
        await connection.request<MetadataResponse>(ApiKey.Metadata, version, body, { timeoutMs }),
      );
    });
    this.brokers = metadata.brokers;
    return metadata;
  }

  /**
   * The cluster's topics, as Kafka's listTopics: internal ones (`__consumer_offsets`, ...) only
   * with `listInternal`.
   */
  async listTopics(options: AdminCallOptions & { listInternal?: boolean } = {}): Promise<TopicListing[]> {
    const metadata = await this.metadata(null, options);
    return metadata.topics
      .filter((t) => t.errorCode === ErrorCode.NONE && (options.listInternal === true || !t.isInternal))
      .map((t) => ({ name: t.name, topicId: t.topicId, isInternal: t.isInternal }));
  }

  /**
   * Topics with their partitions, one result per name in the order given; a topic the cluster
   * does not know has its error code (UNKNOWN_TOPIC_OR_PARTITION) and no partitions.
   */
  async describeTopics(names: readonly string[], options: AdminCallOptions = {}): Promise<TopicMetadata[]> {
    if (names.length === 0) return [];
    const byName = new Map((await this.metadata(names, options)).topics.map((t) => [t.name, t]));
    return names.map((name) => byName.get(name) ?? unknownTopic(name));
  }

  /**
   * Topics with their partitions through DescribeTopicPartitions (KIP-966's API, which Kafka's
   * TopicCommand uses since 3.7): the partitions carry their eligible leader replicas and last
   * known leader. Pages of at most `partitionLimit` partitions are asked for until the broker's
   * cursor ends. A broker without the API fails it with BRK_ERR_CLIENT_UNSUPPORTED_VERSION; describeTopics is
   * then the way.
   */
  async describeTopicPartitions(
    names: readonly string[],
    options: AdminCallOptions & { partitionLimit?: number } = {},
  ): Promise<TopicMetadata[]> {
    if (names.length === 0) return [];
    const deadline = this.deadline(options);
    const byName = new Map<string, TopicMetadata>();
    let cursor: { topicName: string; partitionIndex: number } | null = null;
    for (;;) {
      const page: DescribeTopicPartitionsResponse = await this.withBroker(
        deadline,
        null,
        (connection, timeoutMs) => {
          const version = connection.negotiatedVersion(ApiKey.DescribeTopicPartitions, 0, 0);
          const body: DescribeTopicPartitionsRequestInput = {
            topics: names.map((name) => ({ name })),
            responsePartitionLimit: options.partitionLimit ?? 2000,
            cursor,
          };
          return connection.request<DescribeTopicPartitionsResponse>(
            ApiKey.DescribeTopicPartitions,
            version,
            body,
            { timeoutMs },
          );
        },
      );
      for (const topic of describedTopicPartitions(page)) {
        const known = byName.get(topic.name);
        if (known === undefined) byName.set(topic.name, topic);
        else known.partitions.push(...topic.partitions);
      }
      if (page.nextCursor === null) break;
      cursor = { topicName: page.nextCursor.topicName, partitionIndex: page.nextCursor.partitionIndex };
    }
    return names.map((name) => byName.get(name) ?? unknownTopic(name));
  }

  async describeCluster(options: AdminCallOptions = {}): Promise<ClusterDescription> {
    const deadline = this.deadline(options);
    for (;;) {
      const response = await this.withBroker(deadline, null, (connection, timeoutMs) => {
        const { min, max } = VERSIONS.describeCluster;
        const version = connection.negotiatedVersion(ApiKey.DescribeCluster, max, min);
        const body: DescribeClusterRequestInput = { includeClusterAuthorizedOperations: false };
        return connection.request<DescribeClusterResponse>(ApiKey.DescribeCluster, version, body, {
          timeoutMs,
        });
      });
      if (response.errorCode === ErrorCode.NONE) {
        this.brokers = response.brokers.map((b) => ({
          nodeId: b.brokerId,
          host: b.host,
          port: b.port,
          rack: b.rack,
        }));
        return { clusterId: response.clusterId, controllerId: response.controllerId, brokers: this.brokers };
      }
      if (!shouldRetry(response.errorCode) || deadline.expired()) {
        throw new KafkaError(
          response.errorCode,
          errorMessageOf(response.errorCode, response.errorMessage) ?? undefined,
        );
      }
      await deadline.sleep(this.retryBackoffMs);
    }
  }

  /** Creates topics and waits for the controller's answer; one result per topic, in the order given. */
  createTopics(topics: readonly NewTopic[], options: AdminAlterOptions = {}): Promise<CreateTopicResult[]> {
    const deadline = this.deadline(options);
    const send: BatchSender<NewTopic, CreateTopicResult> = async (connection, batch, timeoutMs) => {
      const { min, max } = VERSIONS.createTopics;
      const version = connection.negotiatedVersion(ApiKey.CreateTopics, max, min);
      const body: CreateTopicsRequestInput = {
        topics: batch.map(creatableTopic),
        timeoutMs,
        validateOnly: options.validateOnly ?? false,
      };
      const response = await connection.request<CreateTopicsResponse>(ApiKey.CreateTopics, version, body, {
        timeoutMs,
      });
      return response.topics.map(createTopicResult);
    };
    return this.retryItems(
      topics,
      (t) => t.name,
      deadline,
      null,
      send,
      (r) => r.name,
      (t) => ({
        ...missingResult(),
        name: t.name,
        topicId: ZERO_UUID,
        numPartitions: -1,
        replicationFactor: -1,
      }),
    );
  }

  deleteTopics(names: readonly string[], options: AdminCallOptions = {}): Promise<TopicResult[]> {
    const deadline = this.deadline(options);
    const send: BatchSender<string, TopicResult> = async (connection, batch, timeoutMs) => {
      const { min, max } = VERSIONS.deleteTopics;
      const version = connection.negotiatedVersion(ApiKey.DeleteTopics, max, min);
      // v6 names topics in a struct that can carry an id instead; older versions by name only.
      const body: DeleteTopicsRequestInput =
        version >= 6
          ? { topics: batch.map((name) => ({ name, topicId: ZERO_UUID })), timeoutMs }
          : { topicNames: batch, timeoutMs };
      const response = await connection.request<DeleteTopicsResponse>(ApiKey.DeleteTopics, version, body, {
        timeoutMs,
      });
      return response.responses.map((r) => ({
        name: r.name ?? "",
        errorCode: r.errorCode,
        errorMessage: errorMessageOf(r.errorCode, r.errorMessage),
      }));
    };
    return this.retryItems(
      names,
      (n) => n,
      deadline,
      null,
      send,
      (r) => r.name,
      (name) => ({
        ...missingResult(),
        name,
      }),
    );
  }

  /** Raises topics' partition counts. */
  createPartitions(
    topics: readonly NewPartitions[],
    options: AdminAlterOptions = {},
  ): Promise<TopicResult[]> {
    const deadline = this.deadline(options);
    const send: BatchSender<NewPartitions, TopicResult> = async (connection, batch, timeoutMs) => {
      const { min, max } = VERSIONS.createPartitions;
      const version = connection.negotiatedVersion(ApiKey.CreatePartitions, max, min);
      const body: CreatePartitionsRequestInput = {
        topics: batch.map((t) => ({
          name: t.name,
          count: t.count,
          assignments: t.assignments === undefined ? null : t.assignments.map((brokerIds) => ({ brokerIds })),
        })),
        timeoutMs,
        validateOnly: options.validateOnly ?? false,
      };
      const response = await connection.request<CreatePartitionsResponse>(
        ApiKey.CreatePartitions,
        version,
        body,
        { timeoutMs },
      );
      return response.results.map((r) => ({
        name: r.name,
        errorCode: r.errorCode,
        errorMessage: errorMessageOf(r.errorCode, r.errorMessage),
      }));
    };
    return this.retryItems(
      topics,
      (t) => t.name,
      deadline,
      null,
      send,
      (r) => r.name,
      (t) => ({
        ...missingResult(),
        name: t.name,
      }),
    );
  }

  describeConfigs(
    resources: readonly ConfigResource[],
    options: AdminCallOptions & { includeSynonyms?: boolean } = {},
  ): Promise<DescribeConfigsResult[]> {
    const deadline = this.deadline(options);
    const send: BatchSender<ConfigResource, DescribeConfigsResult> = async (connection, batch, timeoutMs) => {
      const { min, max } = VERSIONS.describeConfigs;
      const version = connection.negotiatedVersion(ApiKey.DescribeConfigs, max, min);
      const body: DescribeConfigsRequestInput = {
        resources: batch.map((r) => ({
          resourceType: r.resourceType,
          resourceName: r.resourceName,
          configurationKeys: r.configurationKeys ?? null,
        })),
        includeSynonyms: options.includeSynonyms ?? false,
      };
      const response = await connection.request<DescribeConfigsResponse>(
        ApiKey.DescribeConfigs,
        version,
        body,
        {
          timeoutMs,
        },
      );
      return response.results.map(describeConfigsResult);
    };
    return this.perConfigTarget(resources, deadline, send, (r) => ({
      ...missingResult(),
      resourceType: r.resourceType,
      resourceName: r.resourceName,
      configs: [],
    }));
  }

  incrementalAlterConfigs(
    resources: readonly AlterConfigsResource[],
    options: AdminAlterOptions = {},
  ): Promise<ConfigResourceResult[]> {
    const deadline = this.deadline(options);
    const send: BatchSender<AlterConfigsResource, ConfigResourceResult> = async (
      connection,
      batch,
      timeoutMs,
    ) => {
      const { min, max } = VERSIONS.incrementalAlterConfigs;
      const version = connection.negotiatedVersion(ApiKey.IncrementalAlterConfigs, max, min);
      const body: IncrementalAlterConfigsRequestInput = {
        resources: batch,
        validateOnly: options.validateOnly ?? false,
      };
      const response = await connection.request<IncrementalAlterConfigsResponse>(
        ApiKey.IncrementalAlterConfigs,
        version,
        body,
        { timeoutMs },
      );
      return response.responses.map((r) => ({
        resourceType: r.resourceType,
        resourceName: r.resourceName,
        errorCode: r.errorCode,
        errorMessage: errorMessageOf(r.errorCode, r.errorMessage),
      }));
    };
    return this.perConfigTarget(resources, deadline, send, (r) => ({
      ...missingResult(),
      resourceType: r.resourceType,
      resourceName: r.resourceName,
    }));
  }

  /** Every consumer group of the cluster (Kafka's listGroups); see admin-groups.ts. */
  listConsumerGroups(
    options: AdminCallOptions & { states?: readonly string[] } = {},
  ): Promise<GroupListing[]> {
    return groups.listConsumerGroups(this.transport, options);
  }

  describeConsumerGroups(
    groupIds: readonly string[],
    options: AdminCallOptions = {},
  ): Promise<ConsumerGroupDescription[]> {
    return groups.describeConsumerGroups(this.transport, groupIds, options);
  }

  listConsumerGroupOffsets(groupId: string, options: AdminCallOptions = {}): Promise<CommittedOffset[]> {
    return groups.listConsumerGroupOffsets(this.transport, groupId, options);
  }

  listOffsets(
    partitions: readonly TopicPartition[],
    spec: OffsetSpec,
    options: groups.ListOffsetsOptions = {},
  ): Promise<ListedOffset[]> {
    return groups.listOffsets(this.transport, partitions, spec, options);
  }

  alterConsumerGroupOffsets(
    groupId: string,
    offsets: readonly (TopicPartition & { offset: bigint; leaderEpoch?: number; metadata?: string | null })[],
    options: AdminCallOptions = {},
  ): Promise<PartitionResult[]> {
    return groups.alterConsumerGroupOffsets(this.transport, groupId, offsets, options);
  }

  deleteConsumerGroupOffsets(
    groupId: string,
    partitions: readonly TopicPartition[],
    options: AdminCallOptions = {},
  ): Promise<{ errorCode: number; partitions: PartitionResult[] }> {
    return groups.deleteConsumerGroupOffsets(this.transport, groupId, partitions, options);
  }

  deleteConsumerGroups(groupIds: readonly string[], options: AdminCallOptions = {}): Promise<GroupResult[]> {
    return groups.deleteConsumerGroups(this.transport, groupIds, options);
  }

  /** Elects partition leaders (Kafka's electLeaders); `partitions` null for every partition; see admin-partitions.ts. */
  electLeaders(
    electionType: ElectionType,
    partitions: readonly TopicPartition[] | null,
    options: AdminCallOptions = {},
  ): Promise<ElectionResult[]> {
    return partitionOps.electLeaders(this.transport, electionType, partitions, options);
  }

  /** Deletes records below offsets, on each partition's leader (Kafka's deleteRecords). */
  deleteRecords(
    records: readonly RecordsToDelete[],
    options: AdminCallOptions = {},
  ): Promise<DeletedRecords[]> {
    return partitionOps.deleteRecords(this.transport, records, options);
  }

  /** Each broker's log dirs and the replicas in them (Kafka's describeLogDirs). */
  describeLogDirs(brokers: readonly number[], options: AdminCallOptions = {}): Promise<BrokerLogDirs[]> {
    return partitionOps.describeLogDirs(this.transport, brokers, options);
  }

  /** Creates ACLs (Kafka's createAcls): a result per binding, in order; see admin-acls.ts. */
  createAcls(
    bindings: readonly AclBinding[],
    options: AdminCallOptions = {},
  ): Promise<acls.AclCreationResult[]> {
    return acls.createAcls(this.transport, bindings, options);
  }

  /** The ACLs matching a filter (Kafka's describeAcls; ANY_BINDING_FILTER: every ACL). */
  describeAcls(filter: AclBindingFilter, options: AdminCallOptions = {}): Promise<AclBinding[]> {
    return acls.describeAcls(this.transport, filter, options);
  }

  /** Deletes the ACLs matching each filter (Kafka's deleteAcls): a result per filter, in order. */
  deleteAcls(
    filters: readonly AclBindingFilter[],
    options: AdminCallOptions = {},
  ): Promise<acls.AclDeletionResult[]> {
    return acls.deleteAcls(this.transport, filters, options);
  }

  /** SCRAM users' mechanisms and iterations (Kafka's describeUserScramCredentials); null: every user. */
  describeUserScramCredentials(
    users: readonly string[] | null = null,
    options: AdminCallOptions = {},
  ): Promise<scram.UserScramCredentialsDescription[]> {
    return scram.describeUserScramCredentials(this.transport, users, options);
  }

  /** Creates, replaces or deletes SCRAM credentials (Kafka's alterUserScramCredentials); see admin-scram.ts. */
  alterUserScramCredentials(
    alterations: readonly scram.UserScramCredentialAlteration[],
    options: AdminAlterOptions = {},
  ): Promise<scram.UserScramCredentialAlterationResult[]> {
    return scram.alterUserScramCredentials(this.transport, alterations, options);
  }

  /** Client quotas matching a filter (Kafka's describeClientQuotas); see admin-quotas.ts. */
  describeClientQuotas(
    components: readonly QuotaFilterComponent[],
    strict: boolean,
    options: AdminCallOptions = {},
  ): Promise<QuotaEntry[]> {
    return quotas.describeClientQuotas(this.transport, components, strict, options);
  }

  alterClientQuotas(
    alterations: readonly QuotaAlteration[],
    options: AdminAlterOptions = {},
  ): Promise<QuotaAlterationResult[]> {
    return quotas.alterClientQuotas(this.transport, alterations, options);
  }

  /**
   * The transactional ids each broker coordinates, by broker id (Kafka's listTransactions
   * allByBrokerId); see admin-transactions.ts.
   */
  listTransactions(options: ListTransactionsOptions = {}): Promise<Map<number, TransactionListing[]>> {
    return transactions.listTransactions(this.transport, options);
  }

  describeTransactions(
    transactionalIds: readonly string[],
    options: AdminCallOptions = {},
  ): Promise<TransactionDescription[]> {
    return transactions.describeTransactions(this.transport, transactionalIds, options);
  }

  describeProducers(
    partitions: readonly TopicPartition[],
    options: DescribeProducersOptions = {},
  ): Promise<PartitionProducerState[]> {
    return transactions.describeProducers(this.transport, partitions, options);
  }

  abortTransaction(spec: AbortTransactionSpec, options: AdminCallOptions = {}): Promise<void> {
    return transactions.abortTransaction(this.transport, spec, options);
  }

  /** Closes the connections; pending operations fail. */
  close(): void {
    this.pool.close();
  }

  private deadline(options: AdminCallOptions): Deadline {
    return new Deadline(options.timeoutMs ?? this.timeoutMs);
  }

  /**
   * Runs one attempt on a connection to the node (or any broker when `nodeId` is null) until it
   * returns, retrying connection failures (on the next broker) until the deadline.
   */
  private async withBroker<T>(
    deadline: Deadline,
    nodeId: number | null,
    attempt: (connection: KafkaConnection, timeoutMs: number) => Promise<T>,
  ): Promise<T> {
    let lastFailure: ClientError | null = null;
    for (;;) {
      try {
        const endpoint = nodeId === null ? this.anyBroker() : await this.nodeEndpoint(nodeId, deadline);
        const connection = await deadline.race(this.pool.connection(endpoint, ADMIN_PURPOSE));
        if (connection === undefined) {
          // The deadline came during a connection attempt (or its backoff): what failed before says more.
          const what = `no connection to ${endpoint.host}:${endpoint.port} within the operation's timeout`;
          throw lastFailure ?? new ClientError(ClientErrorCode.timeout, what);
        }
        return await attempt(connection, deadline.attemptTimeoutMs(this.requestTimeoutMs));
      } catch (error) {
        if (!isConnectionFailure(error) || deadline.expired()) throw error;
        lastFailure = error;
        if (nodeId === null) this.current = null;
        await deadline.sleep(this.retryBackoffMs);
      }
    }
  }

  /**
   * Sends the items, then again those answered with a retriable error, until none is left or the
   * deadline passes. Results come in the order of `items`; an item the broker left out of its
   * answer gets `missing(item)`.
   */
  private async retryItems<I, R extends ItemResult>(
    items: readonly I[],
    keyOf: (item: I) => string,
    deadline: Deadline,
    nodeId: number | null,
    send: BatchSender<I, R>,
    resultKeyOf: (result: R) => string,
    missing: (item: I) => R,
  ): Promise<R[]> {
    const results = new Map<string, R>();
    let todo = [...items];
    while (todo.length > 0) {
      const batch = todo;
      let answered: R[];
      try {
        answered = await this.withBroker(deadline, nodeId, (connection, timeoutMs) =>
          send(connection, batch, timeoutMs),
        );
      } catch (error) {
        // A retry cut short by the deadline: the answers already had are the result.
        if (results.size === 0 || !deadline.expired()) throw error;
        break;
      }
      const byKey = new Map(answered.map((r) => [resultKeyOf(r), r]));
      todo = [];
      for (const item of batch) {
        const result = byKey.get(keyOf(item)) ?? missing(item);
        results.set(keyOf(item), result);
        if (shouldRetry(result.errorCode)) todo.push(item);
      }
      if (todo.length === 0 || deadline.expired()) break;
      await deadline.sleep(this.retryBackoffMs);
    }
    return items.map((item) => results.get(keyOf(item)) ?? missing(item));
  }

  /**
   * A broker's own configs live on that broker, so its resources go there (as Kafka's admin client
   * does); topic resources and the cluster-wide broker defaults ("") go to any broker.
   */
  private async perConfigTarget<
    I extends { resourceType: number; resourceName: string },
    R extends ConfigResourceResult,
  >(
    resources: readonly I[],
    deadline: Deadline,
    send: BatchSender<I, R>,
    missing: (item: I) => R,
  ): Promise<R[]> {
    const groups = new Map<number | null, I[]>();
    for (const resource of resources) {
      const target = configTarget(resource);
      const group = groups.get(target);
      if (group === undefined) groups.set(target, [resource]);
      else group.push(resource);
    }
    const answers = await Promise.all(
      [...groups].map(([target, group]) =>
        this.retryItems(group, configResourceKey, deadline, target, send, configResourceKey, missing),
      ),
    );
    const byKey = new Map(answers.flat().map((r) => [configResourceKey(r), r]));
    return resources.map((r) => byKey.get(configResourceKey(r)) ?? missing(r));
  }

  private anyBroker(): BrokerEndpoint {
    if (this.current === null) {
      const candidates: BrokerEndpoint[] = [...this.bootstrap];
      for (const b of this.brokers) {
        if (!candidates.some((c) => c.host === b.host && c.port === b.port)) candidates.push(b);
      }
      this.current = candidates[this.rotation++ % candidates.length] as BrokerEndpoint;
    }
    return this.current;
  }

  private async nodeEndpoint(nodeId: number, deadline: Deadline): Promise<BrokerEndpoint> {
    let broker = this.brokers.find((b) => b.nodeId === nodeId);
    if (broker === undefined) {
      await this.metadata([], { timeoutMs: deadline.remainingMs() });
      broker = this.brokers.find((b) => b.nodeId === nodeId);
    }
    if (broker === undefined) {
      throw new KafkaError(
        ErrorCode.BROKER_NOT_AVAILABLE,
        `broker ${nodeId} is not in the cluster's metadata`,
      );
    }
    return broker;
  }
}

function configTarget(resource: { resourceType: number; resourceName: string }): number | null {
  const isBroker =
    resource.resourceType === ConfigResourceType.broker ||
    resource.resourceType === ConfigResourceType.brokerLogger;
  return isBroker && /^\d+$/.test(resource.resourceName) ? Number(resource.resourceName) : null;
}
