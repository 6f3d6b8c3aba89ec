import { groupBy } from "../base/index.js";
import {
  ApiKey,
  type ConsumerGroupDescribeResponse,
  type DeleteGroupsResponse,
  type DescribeGroupsResponse,
  ErrorCode,
  type FindCoordinatorResponse,
  KafkaError,
  type ListGroupsResponse,
  type ListOffsetsResponse,
  type OffsetCommitRequestOffsetCommitRequestPartitionInput,
  type OffsetCommitRequestOffsetCommitRequestTopicInput,
  type OffsetCommitResponse,
  type OffsetDeleteResponse,
  type OffsetFetchResponse,
} from "../protocol/index.js";
import {
  type CommittedOffset,
  type ConsumerGroupDescription,
  consumerGroupDescription,
  type GroupListing,
  type GroupResult,
  type ListedOffset,
  modernGroupDescription,
  type OffsetSpec,
  type PartitionResult,
  partitionKey,
  type TopicPartition,
} from "./admin-group-results.js";
import { sendToLeaders } from "./admin-leaders.js";
import { type BrokerDescription, errorMessageOf } from "./admin-results.js";
import { type AdminCallOptions, type AdminTransport, missingResult, shouldRetry } from "./admin-transport.js";
import type { Deadline } from "./deadline.js";
import type { KafkaConnection } from "./kafka-connection.js";

/*
 * The admin client's consumer-group and offset operations (Kafka's Admin listGroups,
 * describeConsumerGroups, listConsumerGroupOffsets, listOffsets, alterConsumerGroupOffsets,
 * deleteConsumerGroupOffsets, deleteConsumerGroups), over an AdminTransport; group requests go to
 * the group's coordinator, found again whenever it moves. The transaction operations
 * (admin-transactions.ts) share the coordinator and partition leader lookups.
 */

/** The versions built for; `min` is the first that carries every field set. */
const VERSIONS = {
  // v4 asks for several keys at once; one group at a time is all that is needed.
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
 * Every group of the cluster (ListGroups to each broker, as Kafka's listGroups), optionally only
 * those in `states` (Kafka's state names, compared case-insensitively as ListGroups v4 does).
 * Groups of other protocols (connect, ...) are left out, as Kafka's consumer-group listing does.
 */
export async function listConsumerGroups(
  t: AdminTransport,
  options: AdminCallOptions & { states?: readonly string[] } = {},
): Promise<GroupListing[]> {
  const deadline = t.deadline(options);
  const brokers = (await t.metadata([], { timeoutMs: deadline.remainingMs() })).brokers;
  const states = options.states ?? [];
  const answers = await Promise.all(
    brokers.map((broker) =>
      t.withBroker(deadline, broker.nodeId, async (connection, timeoutMs) => {
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
          await deadline.sleep(t.retryBackoffMs);
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

/**
 * Each group as its coordinator describes it, in the order given (Kafka's describeConsumerGroups):
 * ConsumerGroupDescribe first where the coordinator offers it (KIP-848 groups), DescribeGroups for
 * the groups it does not know as consumer groups (classic ones) and on older brokers.
 */
export function describeConsumerGroups(
  t: AdminTransport,
  groupIds: readonly string[],
  options: AdminCallOptions = {},
): Promise<ConsumerGroupDescription[]> {
  const deadline = t.deadline(options);
  return Promise.all(
    groupIds.map((groupId) =>
      withCoordinator(t, groupId, deadline, async (connection, timeoutMs, coordinator) => {
        if (offers(connection, ApiKey.ConsumerGroupDescribe)) {
          const response = await connection.request<ConsumerGroupDescribeResponse>(
            ApiKey.ConsumerGroupDescribe,
            0,
            { groupIds: [groupId], includeAuthorizedOperations: false },
            { timeoutMs },
          );
          const group = response.groups.find((g) => g.groupId === groupId);
          if (group !== undefined && group.errorCode !== ErrorCode.GROUP_ID_NOT_FOUND) {
            return { errorCode: group.errorCode, value: modernGroupDescription(group, coordinator) };
          }
        }
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

/** Whether the broker's ApiVersions answer offers the API (at a version Brook can speak). */
function offers(connection: KafkaConnection, apiKey: number): boolean {
  try {
    connection.negotiatedVersion(apiKey, 0, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * The group's committed offsets (OffsetFetch to its coordinator), every partition it committed
 * for; partitions without a committed offset are left out. A group the coordinator does not know
 * has none.
 */
export function listConsumerGroupOffsets(
  t: AdminTransport,
  groupId: string,
  options: AdminCallOptions = {},
): Promise<CommittedOffset[]> {
  const deadline = t.deadline(options);
  return withCoordinator(t, groupId, deadline, async (connection, timeoutMs) => {
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

/** listOffsets' options: read_committed makes "latest" the last stable offset (Kafka's ListOffsetsOptions). */
export interface ListOffsetsOptions extends AdminCallOptions {
  isolationLevel?: "read_uncommitted" | "read_committed";
}

/**
 * Offsets of partitions (Kafka's listOffsets): the earliest, the latest (the high watermark, or
 * under read_committed the last stable offset), or the first at or after a timestamp (-1 when
 * there is none). Each partition's leader answers.
 */
export async function listOffsets(
  t: AdminTransport,
  partitions: readonly TopicPartition[],
  spec: OffsetSpec,
  options: ListOffsetsOptions = {},
): Promise<ListedOffset[]> {
  const readCommitted = options.isolationLevel === "read_committed";
  const deadline = t.deadline(options);
  const timestamp =
    spec === "earliest" ? EARLIEST_TIMESTAMP : spec === "latest" ? LATEST_TIMESTAMP : spec.timestampMs;
  // An isolation level is carried from v2 on.
  const { min, max } = VERSIONS.listOffsets;
  const needed =
    timestamp === -3n ? 7 : timestamp === -4n ? 8 : timestamp === -5n ? 9 : readCommitted ? 2 : min;
  const send = async (
    connection: KafkaConnection,
    batch: TopicPartition[],
    timeoutMs: number,
  ): Promise<ListedOffset[]> => {
    const version = connection.negotiatedVersion(ApiKey.ListOffsets, max, needed);
    const byTopic = groupBy(
      batch,
      (tp) => tp.topic,
      (tp) => tp.partition,
    );
    const response = await connection.request<ListOffsetsResponse>(
      ApiKey.ListOffsets,
      version,
      {
        replicaId: -1,
        isolationLevel: readCommitted ? 1 : 0,
        topics: [...byTopic].map(([name, ps]) => ({
          name,
          partitions: ps.map((partitionIndex) => ({ partitionIndex, timestamp })),
        })),
      },
      { timeoutMs },
    );
    return response.topics.flatMap((topic) =>
      topic.partitions.map((p) => ({
        topic: topic.name,
        partition: p.partitionIndex,
        errorCode: p.errorCode,
        offset: p.offset,
        timestamp: p.timestamp,
        leaderEpoch: p.leaderEpoch,
      })),
    );
  };
  return sendToLeaders(t, partitions, deadline, send, unknownOffset);
}

/**
 * Commits offsets for a group with no active members (Kafka's alterConsumerGroupOffsets: a
 * simple commit, generation -1, no member); an active group refuses it (UNKNOWN_MEMBER_ID).
 * One result per partition, in the order given.
 */
export function alterConsumerGroupOffsets(
  t: AdminTransport,
  groupId: string,
  offsets: readonly (TopicPartition & { offset: bigint; leaderEpoch?: number; metadata?: string | null })[],
  options: AdminCallOptions = {},
): Promise<PartitionResult[]> {
  const deadline = t.deadline(options);
  return withCoordinator(t, groupId, deadline, async (connection, timeoutMs) => {
    const { min, max } = VERSIONS.offsetCommit;
    const version = connection.negotiatedVersion(ApiKey.OffsetCommit, max, min);
    const response = await connection.request<OffsetCommitResponse>(
      ApiKey.OffsetCommit,
      version,
      {
        groupId,
        generationIdOrMemberEpoch: -1,
        memberId: "",
        groupInstanceId: null,
        retentionTimeMs: -1n,
        topics: offsetCommitTopics(offsets),
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
export function deleteConsumerGroupOffsets(
  t: AdminTransport,
  groupId: string,
  partitions: readonly TopicPartition[],
  options: AdminCallOptions = {},
): Promise<{ errorCode: number; partitions: PartitionResult[] }> {
  const deadline = t.deadline(options);
  return withCoordinator(t, groupId, deadline, async (connection, timeoutMs) => {
    const { min, max } = VERSIONS.offsetDelete;
    const version = connection.negotiatedVersion(ApiKey.OffsetDelete, max, min);
    const byTopic = groupBy(
      partitions,
      (tp) => tp.topic,
      (tp) => tp.partition,
    );
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
export function deleteConsumerGroups(
  t: AdminTransport,
  groupIds: readonly string[],
  options: AdminCallOptions = {},
): Promise<GroupResult[]> {
  const deadline = t.deadline(options);
  return Promise.all(
    groupIds.map((groupId) =>
      withCoordinator(t, groupId, deadline, async (connection, timeoutMs) => {
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
 * Runs `attempt` on the coordinator of a group (key type 0) or a transactional id (1):
 * FindCoordinator first, and again whenever the answer says the coordinator moved or is loading,
 * until the deadline. `attempt` returns the answer's error code beside its value; other errors
 * than those end it with the value.
 */
export async function withCoordinator<T>(
  t: AdminTransport,
  key: string,
  deadline: Deadline,
  attempt: (
    connection: KafkaConnection,
    timeoutMs: number,
    coordinator: BrokerDescription,
  ) => Promise<{ errorCode: number; value: T }>,
  keyType = 0,
): Promise<T> {
  for (;;) {
    const coordinator = await findCoordinator(t, key, deadline, keyType);
    const outcome = await t.withBroker(deadline, coordinator.nodeId, (connection, timeoutMs) =>
      attempt(connection, timeoutMs, coordinator),
    );
    const retry = COORDINATOR_MOVED.has(outcome.errorCode) || shouldRetry(outcome.errorCode);
    if (!retry || deadline.expired()) return outcome.value;
    await deadline.sleep(t.retryBackoffMs);
  }
}

async function findCoordinator(
  t: AdminTransport,
  key: string,
  deadline: Deadline,
  keyType: number,
): Promise<BrokerDescription> {
  for (;;) {
    const found = await t.withBroker(deadline, null, (connection, timeoutMs) =>
      requestCoordinator(connection, key, timeoutMs, keyType),
    );
    if (found.errorCode === ErrorCode.NONE && found.broker !== null) {
      t.learnBroker(found.broker);
      return found.broker;
    }
    if (!shouldRetry(found.errorCode) || deadline.expired()) {
      throw new KafkaError(found.errorCode, errorMessageOf(found.errorCode, found.errorMessage) ?? undefined);
    }
    await deadline.sleep(t.retryBackoffMs);
  }
}

/**
 * One FindCoordinator on `connection` for a group (key type 0) or a transactional id (1): the
 * coordinator, or the answer's error.
 */
export async function requestCoordinator(
  connection: KafkaConnection,
  key: string,
  timeoutMs: number,
  keyType = 0,
): Promise<{ errorCode: number; errorMessage: string | null; broker: BrokerDescription | null }> {
  const { min, max } = VERSIONS.findCoordinator;
  const version = connection.negotiatedVersion(ApiKey.FindCoordinator, max, min);
  const body = version >= 4 ? { keyType, coordinatorKeys: [key] } : { keyType, key };
  const r = await connection.request<FindCoordinatorResponse>(ApiKey.FindCoordinator, version, body, {
    timeoutMs,
  });
  const c = version >= 4 ? r.coordinators[0] : r;
  if (c === undefined)
    return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, errorMessage: null, broker: null };
  const broker =
    c.errorCode === ErrorCode.NONE ? { nodeId: c.nodeId, host: c.host, port: c.port, rack: null } : null;
  return { errorCode: c.errorCode, errorMessage: c.errorMessage, broker };
}

function unknownOffset(tp: TopicPartition, errorCode: number): ListedOffset {
  return { ...tp, errorCode, offset: -1n, timestamp: -1n, leaderEpoch: -1 };
}

/** An OffsetCommit request's topics: the offsets grouped by topic, in the order first named. */
export function offsetCommitTopics(
  offsets: readonly (TopicPartition & { offset: bigint; leaderEpoch?: number; metadata?: string | null })[],
): OffsetCommitRequestOffsetCommitRequestTopicInput[] {
  const byTopic = new Map<
    string,
    OffsetCommitRequestOffsetCommitRequestTopicInput & {
      partitions: OffsetCommitRequestOffsetCommitRequestPartitionInput[];
    }
  >();
  for (const o of offsets) {
    let topic = byTopic.get(o.topic);
    if (topic === undefined) {
      topic = { name: o.topic, partitions: [] };
      byTopic.set(o.topic, topic);
    }
    topic.partitions.push({
      partitionIndex: o.partition,
      committedOffset: o.offset,
      committedLeaderEpoch: o.leaderEpoch ?? -1,
      committedMetadata: o.metadata ?? "",
    });
  }
  return [...byTopic.values()];
}
