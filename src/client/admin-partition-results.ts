import type { TopicPartition } from "./admin-group-results.js";
import type { ItemResult } from "./admin-results.js";

/** What electLeaders, deleteRecords and describeLogDirs take and give, in Kafka's Admin vocabulary. */

/** Kafka's ElectionType: the preferred replica, or any live replica of a partition without a leader. */
export const ElectionType = { preferred: 0, unclean: 1 } as const;
export type ElectionType = (typeof ElectionType)[keyof typeof ElectionType];

/**
 * One partition's election (Kafka's electLeaders result): NONE when a leader was elected,
 * ELECTION_NOT_NEEDED when a valid one already leads, or why none could be.
 */
export interface ElectionResult extends TopicPartition, ItemResult {}

/** Kafka's RecordsToDelete.beforeOffset: the records of a partition below `offset` (-1: the high watermark). */
export interface RecordsToDelete extends TopicPartition {
  offset: bigint;
}

/** Kafka's DeletedRecords: the partition's low watermark (log start offset) after the deletion. */
export interface DeletedRecords extends TopicPartition, ItemResult {
  /** -1 with an error. */
  lowWatermark: bigint;
}

/** A partition's replica in a log dir (Kafka's ReplicaInfo). */
export interface ReplicaInfo extends TopicPartition {
  /** Bytes on disk. */
  size: bigint;
  /** How far the replica's log end is behind the partition's high watermark. */
  offsetLag: bigint;
  /** A replica being moved to this dir (AlterReplicaLogDirs). */
  isFuture: boolean;
}

/** One log dir of a broker (Kafka's LogDirDescription); errorCode KAFKA_STORAGE_ERROR for a dir that failed. */
export interface LogDirDescription extends ItemResult {
  path: string;
  replicas: ReplicaInfo[];
  /** The volume's size and free bytes; -1 when the broker does not say (DescribeLogDirs before v4). */
  totalBytes: bigint;
  usableBytes: bigint;
}

/** What one broker answered; errorCode is its answer's own (or why it could not be asked). */
export interface BrokerLogDirs extends ItemResult {
  broker: number;
  logDirs: LogDirDescription[];
}
