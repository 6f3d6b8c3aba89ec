import {
  type AlterClientQuotasResponse,
  ApiKey,
  type CreatePartitionsRequestInput,
  type CreatePartitionsResponse,
  type CreateTopicsRequestInput,
  type CreateTopicsResponse,
  type DeleteGroupsResponse,
  type DeleteTopicsRequestInput,
  type DeleteTopicsResponse,
  type DescribeClientQuotasResponse,
  type DescribeClusterRequestInput,
  type DescribeClusterResponse,
  type DescribeConfigsRequestInput,
  type DescribeConfigsResponse,
  type DescribeGroupsResponse,
  ErrorCode,
  type FindCoordinatorResponse,
  type IncrementalAlterConfigsRequestInput,
  type IncrementalAlterConfigsResponse,
  isRetriable,
  KafkaError,
  type ListGroupsResponse,
  type ListOffsetsResponse,
  type MetadataRequestInput,
  type MetadataResponse,
  type OffsetCommitResponse,
  type OffsetDeleteResponse,
  type OffsetFetchResponse,
  ZERO_UUID,
} from "../protocol/index.js";
import {
  type CommittedOffset,
  type ConsumerGroupDescription,
  consumerGroupDescription,
  type GroupListing,
  type GroupResult,
  type ListedOffset,
  type OffsetSpec,
  type PartitionResult,
  partitionKey,
  type TopicPartition,
} from "./admin-group-results.js";
import type {
  QuotaAlteration,
  QuotaAlterationResult,
  QuotaEntity,
  QuotaEntry,
  QuotaFilterComponent,
} from "./admin-quota-results.js";
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
  errorMessageOf,
  type ItemResult,
  type NewPartitions,
  type NewTopic,
  type TopicListing,
  type TopicMetadata,
  type TopicResult,
} from "./admin-results.js";
import { parseBootstrap } from "./broker-address.js";
import { ClientError, ClientErrorCode, isConnectionFailure } from "./client-error.js";
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
  /** The wait between attempts. */
  retryBackoffMs?: number;
  clientSoftwareVersion?: string;
}

export interface AdminCallOptions {
  timeoutMs?: number;
}

export interface AdminAlterOptions extends AdminCallOptions {
  validateOnly?: boolean;
}

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
  // v4 asks for several keys at once; one group at a time is all the admin client needs.
  findCoordinator: { min: 1, max: 4 },
  listGroups: { min: 0, max: 5 },
  describeGroups: { min: 0, max: 5 },
  // v8 batches groups; v2 is the first where null topics means every committed offset.
  offsetFetch: { min: 2, max: 7 },
  // max-timestamp (-3) needs v7, earliest-local (-4) v8, latest-tiered (-5) v9.
  listOffsets: { min: 1, max: 9 },
  // v9 is KIP-848's (member epochs); a commit by the admin is a classic "simple" commit.
  offsetCommit: { min: 2, max: 8 },
  deleteGroups: { min: 0, max: 2 },
  offsetDelete: { min: 0, max: 0 },
  describeClientQuotas: { min: 0, max: 1 },
  alterClientQuotas: { min: 0, max: 1 },
} as const;

/** ListOffsets' special timestamps (Kafka's ListOffsetsRequest.EARLIEST_TIMESTAMP, LATEST_TIMESTAMP). */
const EARLIEST_TIMESTAMP = -2n;
const LATEST_TIMESTAMP = -1n;

/** Answers that send a group request to FindCoordinator again. */
const COORDINATOR_MOVED: ReadonlySet<number> = new Set([
  ErrorCode.COORDINATOR_NOT_AVAILABLE,
  ErrorCode.NOT_COORDINATOR,
  ErrorCode.COORDINATOR_LOAD_IN_PROGRESS,
]);

/**
 * Retriable in Kafka's table, yet the final answer to an admin request: the controller, which
 * Brook brokers forward admin requests to, knows every topic.
 */
const FINAL_FOR_ADMIN: ReadonlySet<number> = new Set([
  ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
  ErrorCode.UNKNOWN_TOPIC_ID,
]);

function shouldRetry(errorCode: number): boolean {
  return errorCode !== ErrorCode.NONE && isRetriable(errorCode) && !FINAL_FOR_ADMIN.has(errorCode);
}

/** An attempt's outcome for a batch of items: one result per item it answered. */
type BatchSender<I, R> = (connection: KafkaConnection, items: I[], timeoutMs: number) => Promise<R[]>;

/**
 * Kafka's admin operations over the protocol, for the `brook topics` tool and tests. Requests go
 * to any broker (Brook brokers forward them to the active controller), except broker config
 * resources, which go to the broker they name. A failed connection moves to the next known
 * broker; items answered with a retriable error are sent again; both until the operation's
 * timeout, after which the last answer stands (or, with no answer at all, the last error is thrown).
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

  constructor(options: AdminClientOptions) {
    this.bootstrap = parseBootstrap(options.bootstrap);
    this.timeoutMs = options.timeoutMs ?? ADMIN_TIMEOUT_MS_DEFAULT;
    this.requestTimeoutMs = options.requestTimeoutMs ?? this.timeoutMs;
    this.retryBackoffMs = options.retryBackoffMs ?? ADMIN_RETRY_BACKOFF_MS_DEFAULT;
    this.pool = new BrokerConnections({
      clientId: options.clientId ?? "brook-admin",
      requestTimeoutMs: this.requestTimeoutMs,
      connectTimeoutMs: options.connectTimeoutMs ?? Math.min(CONNECT_TIMEOUT_MS_DEFAULT, this.timeoutMs),
      ...(options.clientSoftwareVersion === undefined
        ? {}
        : { clientSoftwareVersion: options.clientSoftwareVersion }),
    });
  }

  /** Topics with their partitions (leader, replicas, ISR), brokers and controller; all topics when `topics` is absent. */
  async metadata(
    topics?: readonly string[] | null,
    options: AdminCallOptions = {},
  ): Promise<ClusterMetadata> {
    const deadline = this.deadline(options);
    const metadata = await this.withBroker(deadline, null, async (connection, timeoutMs) => {
      const { min, max } = VERSIONS.metadata;
      const version = connection.negotiatedVersion(ApiKey.Metadata, max, min);
      const body: MetadataRequestInput = {
        topics: topics === undefined || topics === null ? null : topics.map((name) => ({ name })),
        allowAutoTopicCreation: false,
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
    return names.map(
      (name) =>
        byName.get(name) ?? {
          errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
          name,
          topicId: ZERO_UUID,
          isInternal: false,
          partitions: [],
        },
    );
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

  /**
   * Every group of the cluster (ListGroups to each broker, as Kafka's listGroups), optionally only
   * those in `states` (Kafka's state names, compared case-insensitively as ListGroups v4 does).
   * Groups of other protocols (connect, ...) are left out, as Kafka's consumer-group listing does.
   */
  async listConsumerGroups(
    options: AdminCallOptions & { states?: readonly string[] } = {},
  ): Promise<GroupListing[]> {
    const deadline = this.deadline(options);
    const brokers = (await this.metadata([], { timeoutMs: deadline.remainingMs() })).brokers;
    const states = options.states ?? [];
    const answers = await Promise.all(
      brokers.map((broker) =>
        this.withBroker(deadline, broker.nodeId, async (connection, timeoutMs) => {
          const { min, max } = VERSIONS.listGroups;
          const version = connection.negotiatedVersion(ApiKey.ListGroups, max, min);
          for (;;) {
            const response = await connection.request<ListGroupsResponse>(
              ApiKey.ListGroups,
              version,
              { statesFilter: states, typesFilter: [] },
              { timeoutMs },
            );
            if (response.errorCode === ErrorCode.NONE) return response.groups;
            if (!shouldRetry(response.errorCode) || deadline.expired()) {
              throw new KafkaError(response.errorCode);
            }
            await deadline.sleep(this.retryBackoffMs);
          }
        }),
      ),
    );
    const wanted = new Set(states.map((s) => s.toLowerCase()));
    const byId = new Map<string, GroupListing>();
    for (const group of answers.flat()) {
      if (group.protocolType !== "consumer" && group.protocolType !== "") continue;
      // Brokers before v4 cannot filter: the client does.
      if (wanted.size > 0 && !wanted.has(group.groupState.toLowerCase())) continue;
      byId.set(group.groupId, {
        groupId: group.groupId,
        protocolType: group.protocolType,
        state: group.groupState,
        type: group.groupType,
      });
    }
    return [...byId.values()];
  }

  /** Each group as its coordinator describes it, in the order given (Kafka's describeConsumerGroups). */
  describeConsumerGroups(
    groupIds: readonly string[],
    options: AdminCallOptions = {},
  ): Promise<ConsumerGroupDescription[]> {
    const deadline = this.deadline(options);
    return Promise.all(
      groupIds.map((groupId) =>
        this.withCoordinator(groupId, deadline, async (connection, timeoutMs, coordinator) => {
          const { min, max } = VERSIONS.describeGroups;
          const version = connection.negotiatedVersion(ApiKey.DescribeGroups, max, min);
          const response = await connection.request<DescribeGroupsResponse>(
            ApiKey.DescribeGroups,
            version,
            { groups: [groupId], includeAuthorizedOperations: false },
            { timeoutMs },
          );
          const group = response.groups.find((g) => g.groupId === groupId);
          if (group === undefined)
            throw new KafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, missingResult().errorMessage ?? "");
          return { errorCode: group.errorCode, value: consumerGroupDescription(group, coordinator) };
        }),
      ),
    );
  }

  /**
   * The group's committed offsets (OffsetFetch to its coordinator), every partition it committed
   * for; partitions without a committed offset are left out. A group the coordinator does not know
   * has none.
   */
  listConsumerGroupOffsets(groupId: string, options: AdminCallOptions = {}): Promise<CommittedOffset[]> {
    const deadline = this.deadline(options);
    return this.withCoordinator(groupId, deadline, async (connection, timeoutMs) => {
      const { min, max } = VERSIONS.offsetFetch;
      const version = connection.negotiatedVersion(ApiKey.OffsetFetch, max, min);
      const response = await connection.request<OffsetFetchResponse>(
        ApiKey.OffsetFetch,
        version,
        { groupId, topics: null, requireStable: true },
        { timeoutMs },
      );
      const offsets: CommittedOffset[] = [];
      let errorCode = response.errorCode;
      for (const topic of response.topics) {
        for (const p of topic.partitions) {
          if (p.errorCode !== ErrorCode.NONE) {
            // UNSTABLE_OFFSET_COMMIT (a transaction's commit pending) and the like: ask again.
            errorCode = p.errorCode;
            continue;
          }
          if (p.committedOffset < 0n) continue;
          offsets.push({
            topic: topic.name,
            partition: p.partitionIndex,
            offset: p.committedOffset,
            leaderEpoch: p.committedLeaderEpoch,
            metadata: p.metadata,
          });
        }
      }
      return { errorCode, value: offsets };
    });
  }

  /**
   * Offsets of partitions (Kafka's listOffsets): the earliest, the latest (the high watermark), or
   * the first at or after a timestamp (-1 when there is none). Each partition's leader answers.
   */
  async listOffsets(
    partitions: readonly TopicPartition[],
    spec: OffsetSpec,
    options: AdminCallOptions = {},
  ): Promise<ListedOffset[]> {
    const deadline = this.deadline(options);
    const timestamp =
      spec === "earliest" ? EARLIEST_TIMESTAMP : spec === "latest" ? LATEST_TIMESTAMP : spec.timestampMs;
    const results = new Map<string, ListedOffset>();
    let todo = [...partitions];
    for (;;) {
      const topics = [...new Set(todo.map((tp) => tp.topic))];
      const metadata = await this.metadata(topics, { timeoutMs: deadline.remainingMs() });
      const byLeader = new Map<number, TopicPartition[]>();
      for (const tp of todo) {
        const topic = metadata.topics.find((t) => t.name === tp.topic);
        const partition = topic?.partitions.find((p) => p.partitionIndex === tp.partition);
        if (topic === undefined || topic.errorCode !== ErrorCode.NONE || partition === undefined) {
          results.set(
            partitionKey(tp),
            unknownOffset(tp, topic?.errorCode ?? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION),
          );
          continue;
        }
        if (partition.leaderId < 0) {
          results.set(partitionKey(tp), unknownOffset(tp, ErrorCode.LEADER_NOT_AVAILABLE));
          continue;
        }
        const list = byLeader.get(partition.leaderId) ?? [];
        list.push(tp);
        byLeader.set(partition.leaderId, list);
      }
      await Promise.all(
        [...byLeader].map(([leader, list]) =>
          this.withBroker(deadline, leader, async (connection, timeoutMs) => {
            const { min, max } = VERSIONS.listOffsets;
            const needed = timestamp === -3n ? 7 : timestamp === -4n ? 8 : timestamp === -5n ? 9 : min;
            const version = connection.negotiatedVersion(ApiKey.ListOffsets, max, needed);
            const byTopic = new Map<string, number[]>();
            for (const tp of list) byTopic.set(tp.topic, [...(byTopic.get(tp.topic) ?? []), tp.partition]);
            const response = await connection.request<ListOffsetsResponse>(
              ApiKey.ListOffsets,
              version,
              {
                replicaId: -1,
                isolationLevel: 0,
                topics: [...byTopic].map(([name, ps]) => ({
                  name,
                  partitions: ps.map((partitionIndex) => ({ partitionIndex, timestamp })),
                })),
              },
              { timeoutMs },
            );
            for (const topic of response.topics) {
              for (const p of topic.partitions) {
                const tp = { topic: topic.name, partition: p.partitionIndex };
                results.set(partitionKey(tp), {
                  ...tp,
                  errorCode: p.errorCode,
                  offset: p.offset,
                  timestamp: p.timestamp,
                  leaderEpoch: p.leaderEpoch,
                });
              }
            }
          }),
        ),
      );
      todo = partitions.filter((tp) => {
        const r = results.get(partitionKey(tp));
        return r === undefined || shouldRetry(r.errorCode);
      });
      if (todo.length === 0 || deadline.expired()) break;
      await deadline.sleep(this.retryBackoffMs);
    }
    return partitions.map(
      (tp) => results.get(partitionKey(tp)) ?? unknownOffset(tp, ErrorCode.UNKNOWN_SERVER_ERROR),
    );
  }

  /**
   * Commits offsets for a group with no active members (Kafka's alterConsumerGroupOffsets: a
   * simple commit, generation -1, no member); an active group refuses it (UNKNOWN_MEMBER_ID).
   * One result per partition, in the order given.
   */
  alterConsumerGroupOffsets(
    groupId: string,
    offsets: readonly (TopicPartition & { offset: bigint; leaderEpoch?: number; metadata?: string | null })[],
    options: AdminCallOptions = {},
  ): Promise<PartitionResult[]> {
    const deadline = this.deadline(options);
    return this.withCoordinator(groupId, deadline, async (connection, timeoutMs) => {
      const { min, max } = VERSIONS.offsetCommit;
      const version = connection.negotiatedVersion(ApiKey.OffsetCommit, max, min);
      const byTopic = new Map<string, typeof offsets>();
      for (const o of offsets) byTopic.set(o.topic, [...(byTopic.get(o.topic) ?? []), o]);
      const response = await connection.request<OffsetCommitResponse>(
        ApiKey.OffsetCommit,
        version,
        {
          groupId,
          generationIdOrMemberEpoch: -1,
          memberId: "",
          groupInstanceId: null,
          retentionTimeMs: -1n,
          topics: [...byTopic].map(([name, list]) => ({
            name,
            partitions: list.map((o) => ({
              partitionIndex: o.partition,
              committedOffset: o.offset,
              committedLeaderEpoch: o.leaderEpoch ?? -1,
              committedMetadata: o.metadata ?? "",
            })),
          })),
        },
        { timeoutMs },
      );
      const answered = new Map<string, number>();
      for (const t of response.topics) {
        for (const p of t.partitions)
          answered.set(partitionKey({ topic: t.name, partition: p.partitionIndex }), p.errorCode);
      }
      const results = offsets.map((o) => ({
        topic: o.topic,
        partition: o.partition,
        errorCode: answered.get(partitionKey(o)) ?? ErrorCode.UNKNOWN_SERVER_ERROR,
      }));
      // A coordinator that moved answers every partition so: find it again.
      const moved = results.find((r) => COORDINATOR_MOVED.has(r.errorCode));
      return { errorCode: moved?.errorCode ?? ErrorCode.NONE, value: results };
    });
  }

  /**
   * Deletes a group's committed offsets of some partitions (Kafka's deleteConsumerGroupOffsets,
   * OffsetDelete): refused per partition (GROUP_SUBSCRIBED_TO_TOPIC) for topics the group's active
   * members subscribe to. The group's own error (GROUP_ID_NOT_FOUND, ...) beside each partition's.
   */
  deleteConsumerGroupOffsets(
    groupId: string,
    partitions: readonly TopicPartition[],
    options: AdminCallOptions = {},
  ): Promise<{ errorCode: number; partitions: PartitionResult[] }> {
    const deadline = this.deadline(options);
    return this.withCoordinator(groupId, deadline, async (connection, timeoutMs) => {
      const { min, max } = VERSIONS.offsetDelete;
      const version = connection.negotiatedVersion(ApiKey.OffsetDelete, max, min);
      const byTopic = new Map<string, number[]>();
      for (const tp of partitions) byTopic.set(tp.topic, [...(byTopic.get(tp.topic) ?? []), tp.partition]);
      const response = await connection.request<OffsetDeleteResponse>(
        ApiKey.OffsetDelete,
        version,
        {
          groupId,
          topics: [...byTopic].map(([name, ps]) => ({
            name,
            partitions: ps.map((partitionIndex) => ({ partitionIndex })),
          })),
        },
        { timeoutMs },
      );
      const answered = new Map<string, number>();
      for (const t of response.topics) {
        for (const p of t.partitions) {
          answered.set(partitionKey({ topic: t.name, partition: p.partitionIndex }), p.errorCode);
        }
      }
      const results = partitions.map((tp): PartitionResult => {
        if (response.errorCode !== ErrorCode.NONE) return { ...tp, errorCode: response.errorCode };
        const errorCode = answered.get(partitionKey(tp));
        if (errorCode !== undefined) return { ...tp, errorCode };
        // Kafka's coordinator leaves out partitions without a committed offset; its admin client
        // then fails them so.
        return {
          ...tp,
          errorCode: ErrorCode.UNKNOWN_SERVER_ERROR,
          errorMessage: `Offset deletion result for partition "${tp.topic}-${tp.partition}" was not included in the response`,
        };
      });
      return { errorCode: response.errorCode, value: { errorCode: response.errorCode, partitions: results } };
    });
  }

  /** Deletes groups with no active members and their offsets (Kafka's deleteConsumerGroups). */
  deleteConsumerGroups(groupIds: readonly string[], options: AdminCallOptions = {}): Promise<GroupResult[]> {
    const deadline = this.deadline(options);
    return Promise.all(
      groupIds.map((groupId) =>
        this.withCoordinator(groupId, deadline, async (connection, timeoutMs) => {
          const { min, max } = VERSIONS.deleteGroups;
          const version = connection.negotiatedVersion(ApiKey.DeleteGroups, max, min);
          const response = await connection.request<DeleteGroupsResponse>(
            ApiKey.DeleteGroups,
            version,
            { groupsNames: [groupId] },
            { timeoutMs },
          );
          const errorCode =
            response.results.find((r) => r.groupId === groupId)?.errorCode ?? ErrorCode.UNKNOWN_SERVER_ERROR;
          return { errorCode, value: { groupId, errorCode } };
        }),
      ),
    );
  }

  /**
   * Client quotas matching a filter (Kafka's describeClientQuotas): `strict`, only entities made of
   * exactly the components' types (ClientQuotaFilter.containsOnly).
   */
  async describeClientQuotas(
    components: readonly QuotaFilterComponent[],
    strict: boolean,
    options: AdminCallOptions = {},
  ): Promise<QuotaEntry[]> {
    const deadline = this.deadline(options);
    for (;;) {
      const response = await this.withBroker(deadline, null, (connection, timeoutMs) => {
        const { min, max } = VERSIONS.describeClientQuotas;
        const version = connection.negotiatedVersion(ApiKey.DescribeClientQuotas, max, min);
        return connection.request<DescribeClientQuotasResponse>(
          ApiKey.DescribeClientQuotas,
          version,
          {
            components: components.map((c) => ({
              entityType: c.entityType,
              matchType: c.matchType,
              match: c.matchType === 0 ? (c.match ?? null) : null,
            })),
            strict,
          },
          { timeoutMs },
        );
      });
      if (response.errorCode === ErrorCode.NONE) {
        return (response.entries ?? []).map((e) => ({
          entity: Object.fromEntries(e.entity.map((x) => [x.entityType, x.entityName])),
          values: Object.fromEntries(e.values.map((v) => [v.key, v.value])),
        }));
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

  /** Sets and removes client quotas (Kafka's alterClientQuotas); one result per alteration, in order. */
  async alterClientQuotas(
    alterations: readonly QuotaAlteration[],
    options: AdminAlterOptions = {},
  ): Promise<QuotaAlterationResult[]> {
    const deadline = this.deadline(options);
    const entityKey = (entity: QuotaEntity) =>
      JSON.stringify(Object.entries(entity).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    const response = await this.withBroker(deadline, null, (connection, timeoutMs) => {
      const { min, max } = VERSIONS.alterClientQuotas;
      const version = connection.negotiatedVersion(ApiKey.AlterClientQuotas, max, min);
      return connection.request<AlterClientQuotasResponse>(
        ApiKey.AlterClientQuotas,
        version,
        {
          entries: alterations.map((a) => ({
            entity: Object.entries(a.entity).map(([entityType, entityName]) => ({ entityType, entityName })),
            ops: a.ops.map((op) => ({ key: op.key, value: op.value ?? 0, remove: op.value === null })),
          })),
          validateOnly: options.validateOnly ?? false,
        },
        { timeoutMs },
      );
    });
    const byEntity = new Map(
      response.entries.map((e) => [
        entityKey(Object.fromEntries(e.entity.map((x) => [x.entityType, x.entityName]))),
        e,
      ]),
    );
    return alterations.map((a) => {
      const answer = byEntity.get(entityKey(a.entity));
      if (answer === undefined) return { entity: a.entity, ...missingResult() };
      return {
        entity: a.entity,
        errorCode: answer.errorCode,
        errorMessage: errorMessageOf(answer.errorCode, answer.errorMessage),
      };
    });
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

  /**
   * Runs `attempt` on the group's coordinator: FindCoordinator first, and again whenever the answer
   * says the coordinator moved or is loading, until the deadline. `attempt` returns the answer's
   * error code beside its value; other errors than those end it with the value.
   */
  private async withCoordinator<T>(
    groupId: string,
    deadline: Deadline,
    attempt: (
      connection: KafkaConnection,
      timeoutMs: number,
      coordinator: BrokerDescription,
    ) => Promise<{ errorCode: number; value: T }>,
  ): Promise<T> {
    for (;;) {
      const coordinator = await this.findCoordinator(groupId, deadline);
      const outcome = await this.withBroker(deadline, coordinator.nodeId, (connection, timeoutMs) =>
        attempt(connection, timeoutMs, coordinator),
      );
      const retry = COORDINATOR_MOVED.has(outcome.errorCode) || shouldRetry(outcome.errorCode);
      if (!retry || deadline.expired()) return outcome.value;
      await deadline.sleep(this.retryBackoffMs);
    }
  }

  private async findCoordinator(groupId: string, deadline: Deadline): Promise<BrokerDescription> {
    for (;;) {
      const found = await this.withBroker(deadline, null, async (connection, timeoutMs) => {
        const { min, max } = VERSIONS.findCoordinator;
        const version = connection.negotiatedVersion(ApiKey.FindCoordinator, max, min);
        const body = version >= 4 ? { keyType: 0, coordinatorKeys: [groupId] } : { keyType: 0, key: groupId };
        const r = await connection.request<FindCoordinatorResponse>(ApiKey.FindCoordinator, version, body, {
          timeoutMs,
        });
        const c = version >= 4 ? r.coordinators[0] : { ...r, key: groupId };
        if (c === undefined) return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, errorMessage: null };
        return c;
      });
      if (found.errorCode === ErrorCode.NONE && "nodeId" in found) {
        const broker = { nodeId: found.nodeId, host: found.host, port: found.port, rack: null };
        if (!this.brokers.some((b) => b.nodeId === broker.nodeId)) this.brokers.push(broker);
        return broker;
      }
      if (!shouldRetry(found.errorCode) || deadline.expired()) {
        throw new KafkaError(
          found.errorCode,
          errorMessageOf(found.errorCode, found.errorMessage) ?? undefined,
        );
      }
      await deadline.sleep(this.retryBackoffMs);
    }
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

function unknownOffset(tp: TopicPartition, errorCode: number): ListedOffset {
  return { ...tp, errorCode, offset: -1n, timestamp: -1n, leaderEpoch: -1 };
}

/** The broker's answer left the item out: not retried, since the broker chose not to answer it. */
function missingResult(): ItemResult {
  return {
    errorCode: ErrorCode.UNKNOWN_SERVER_ERROR,
    errorMessage: "the broker's answer did not include this item",
  };
}
