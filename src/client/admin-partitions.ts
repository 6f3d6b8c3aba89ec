import { groupBy } from "../base/index.js";
import {
  ApiKey,
  type DeleteRecordsResponse,
  type DescribeLogDirsResponse,
  type DescribeLogDirsResponseDescribeLogDirsResult,
  type ElectLeadersResponse,
  ErrorCode,
  KafkaError,
} from "../protocol/index.js";
import type { TopicPartition } from "./admin-group-results.js";
import { sendToLeaders } from "./admin-leaders.js";
import {
  type BrokerLogDirs,
  type DeletedRecords,
  type ElectionResult,
  ElectionType,
  type LogDirDescription,
  type RecordsToDelete,
} from "./admin-partition-results.js";
import { errorMessageOf } from "./admin-results.js";
import { type AdminCallOptions, type AdminTransport, shouldRetry } from "./admin-transport.js";
import type { KafkaConnection } from "./kafka-connection.js";

/*
 * The admin client's partition operations (Kafka's Admin electLeaders, deleteRecords,
 * describeLogDirs) over an AdminTransport: elections go to any broker (Brook brokers forward
 * them to the active controller), record deletions to each partition's leader, log dir
 * descriptions to each broker asked.
 */

/** The versions built for; `min` is the first that carries every field set. */
const VERSIONS = {
  // v0 knows preferred elections only; v1 carries the election type.
  electLeaders: { min: 0, max: 2 },
  deleteRecords: { min: 0, max: 2 },
  // Kafka 4 brokers no longer answer v0.
  describeLogDirs: { min: 1, max: 4 },
} as const;

/**
 * Elects leaders (Kafka's electLeaders): of the partitions given, or with `partitions` null of
 * every partition that needs one (the controller then leaves out those whose leader is already
 * the one the election would pick). One result per partition the controller answered for; a
 * per-partition error is final, as in Kafka (ELECTION_NOT_NEEDED, PREFERRED_LEADER_NOT_AVAILABLE
 * are retriable in Kafka's table but are the answer here). A retriable error of the whole
 * request is retried until the deadline; another is thrown as a KafkaError.
 */
export async function electLeaders(
  t: AdminTransport,
  electionType: ElectionType,
  partitions: readonly TopicPartition[] | null,
  options: AdminCallOptions = {},
): Promise<ElectionResult[]> {
  const deadline = t.deadline(options);
  const topicPartitions =
    partitions === null
      ? null
      : [
          ...groupBy(
            partitions,
            (tp) => tp.topic,
            (tp) => tp.partition,
          ),
        ].map(([topic, ps]) => ({ topic, partitions: ps }));
  for (;;) {
    const response = await t.withBroker(deadline, null, (connection, timeoutMs) => {
      const { min, max } = VERSIONS.electLeaders;
      const version = connection.negotiatedVersion(
        ApiKey.ElectLeaders,
        max,
        electionType === ElectionType.preferred ? min : 1,
      );
      return connection.request<ElectLeadersResponse>(
        ApiKey.ElectLeaders,
        version,
        { electionType, topicPartitions, timeoutMs },
        { timeoutMs },
      );
    });
    // v0 has no error of its own (0 then): its partitions say it all.
    if (response.errorCode === ErrorCode.NONE) {
      return response.replicaElectionResults.flatMap((topic) =>
        topic.partitionResult.map((p) => ({
          topic: topic.topic,
          partition: p.partitionId,
          errorCode: p.errorCode,
          errorMessage: errorMessageOf(p.errorCode, p.errorMessage),
        })),
      );
    }
    if (!shouldRetry(response.errorCode) || deadline.expired()) {
      throw new KafkaError(response.errorCode, errorMessageOf(response.errorCode, null) ?? undefined);
    }
    await deadline.sleep(t.retryBackoffMs);
  }
}

/**
 * Deletes the records of partitions below an offset (Kafka's deleteRecords: DeleteRecords to each
 * partition's leader, which answers once every in-sync replica moved its log start). One result per
 * partition, in the order given: the new low watermark, or the error.
 */
export function deleteRecords(
  t: AdminTransport,
  records: readonly RecordsToDelete[],
  options: AdminCallOptions = {},
): Promise<DeletedRecords[]> {
  const deadline = t.deadline(options);
  const send = async (
    connection: KafkaConnection,
    batch: RecordsToDelete[],
    timeoutMs: number,
  ): Promise<DeletedRecords[]> => {
    const { min, max } = VERSIONS.deleteRecords;
    const version = connection.negotiatedVersion(ApiKey.DeleteRecords, max, min);
    const byTopic = groupBy(
      batch,
      (r) => r.topic,
      (r) => ({ partitionIndex: r.partition, offset: r.offset }),
    );
    const response = await connection.request<DeleteRecordsResponse>(
      ApiKey.DeleteRecords,
      version,
      { topics: [...byTopic].map(([name, partitions]) => ({ name, partitions })), timeoutMs },
      { timeoutMs },
    );
    return response.topics.flatMap((topic) =>
      topic.partitions.map((p) => ({
        topic: topic.name,
        partition: p.partitionIndex,
        lowWatermark: p.lowWatermark,
        errorCode: p.errorCode,
        errorMessage: errorMessageOf(p.errorCode, null),
      })),
    );
  };
  return sendToLeaders(t, records, deadline, send, (r, errorCode, errorMessage) => ({
    topic: r.topic,
    partition: r.partition,
    lowWatermark: -1n,
    errorCode,
    errorMessage: errorMessageOf(errorCode, errorMessage),
  }));
}

/**
 * Each broker's log dirs with the replicas they hold (Kafka's describeLogDirs: DescribeLogDirs for
 * every partition, to each broker asked), one result per broker in the order given. As in Kafka's
 * client, an answer with dirs is a success whatever its error code, and one without is a failure:
 * its error code, or CLUSTER_AUTHORIZATION_FAILED when it has none (answers before v3 cannot say);
 * a retriable one is asked again until the deadline. A broker the cluster does not know is
 * answered BROKER_NOT_AVAILABLE.
 */
export function describeLogDirs(
  t: AdminTransport,
  brokers: readonly number[],
  options: AdminCallOptions = {},
): Promise<BrokerLogDirs[]> {
  const deadline = t.deadline(options);
  const describe = async (broker: number): Promise<BrokerLogDirs> => {
    for (;;) {
      let response: DescribeLogDirsResponse;
      try {
        response = await t.withBroker(deadline, broker, (connection, timeoutMs) => {
          const { min, max } = VERSIONS.describeLogDirs;
          const version = connection.negotiatedVersion(ApiKey.DescribeLogDirs, max, min);
          return connection.request<DescribeLogDirsResponse>(
            ApiKey.DescribeLogDirs,
            version,
            { topics: null },
            { timeoutMs },
          );
        });
      } catch (error) {
        if (!(error instanceof KafkaError)) throw error;
        return { broker, errorCode: error.errorCode, errorMessage: error.message, logDirs: [] };
      }
      const logDirs = response.results.map(logDirDescription);
      const errorCode =
        logDirs.length > 0
          ? ErrorCode.NONE
          : response.errorCode === ErrorCode.NONE
            ? ErrorCode.CLUSTER_AUTHORIZATION_FAILED
            : response.errorCode;
      if (!shouldRetry(errorCode) || deadline.expired()) {
        return { broker, errorCode, errorMessage: errorMessageOf(errorCode, null), logDirs };
      }
      await deadline.sleep(t.retryBackoffMs);
    }
  };
  return Promise.all(brokers.map(describe));
}

function logDirDescription(r: DescribeLogDirsResponseDescribeLogDirsResult): LogDirDescription {
  return {
    path: r.logDir,
    errorCode: r.errorCode,
    errorMessage: errorMessageOf(r.errorCode, null),
    totalBytes: r.totalBytes,
    usableBytes: r.usableBytes,
    replicas: r.topics.flatMap((topic) =>
      topic.partitions.map((p) => ({
        topic: topic.name,
        partition: p.partitionIndex,
        size: p.partitionSize,
        offsetLag: p.offsetLag,
        isFuture: p.isFutureKey,
      })),
    ),
  };
}
