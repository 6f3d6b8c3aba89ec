import {
  AclOperation,
  ApiKey,
  ErrorCode,
  KafkaError,
  type OffsetForLeaderEpochRequest,
  type OffsetForLeaderEpochResponseEpochEndOffsetInput,
  type OffsetForLeaderEpochResponseInput,
  ResourceType,
} from "../../protocol/index.js";
import { defineHandler } from "../api-handler.js";
import type { AuthorizerAccess, MetadataView, PartitionAccess } from "../handler-context.js";

/**
 * OffsetForLeaderEpoch (v2-4; Kafka 4 dropped v0-1): the end offset of a leader epoch in the
 * leader's log, which a consumer uses to detect truncation after a leader change (KIP-320) and a
 * follower to truncate to the leader's epoch boundary. v2+ fences with CurrentLeaderEpoch
 * (FENCED_LEADER_EPOCH / UNKNOWN_LEADER_EPOCH). v3+ carries the ReplicaId (-1 consumer, -2 debug,
 * else a follower); Kafka answers every replica id alike, and so does Brook. An epoch the log
 * does not know is answered leaderEpoch -1, endOffset -1.
 */
export function offsetForLeaderEpochHandler(broker: MetadataView & PartitionAccess & AuthorizerAccess) {
  return defineHandler<OffsetForLeaderEpochRequest, OffsetForLeaderEpochResponseInput>({
    apiKey: ApiKey.OffsetForLeaderEpoch,
    minVersion: 2,
    maxVersion: 4,
    handle(request, context) {
      // Kafka's (KIP-320): followers need CLUSTER_ACTION (a denial not logged), consumers DESCRIBE
      // on the topic; refused topics are answered after the others.
      const authorizer = broker.authorizer;
      const denied =
        authorizer === null || authorizer.authorizeCluster(context, AclOperation.CLUSTER_ACTION, false)
          ? null
          : authorizer.deniedNames(
              context,
              AclOperation.DESCRIBE,
              ResourceType.TOPIC,
              request.topics.map((t) => t.topic),
            );
      const refused = denied === null ? [] : request.topics.filter((t) => denied.has(t.topic));
      return {
        throttleTimeMs: 0,
        topics: [
          ...(denied === null ? request.topics : request.topics.filter((t) => !denied.has(t.topic))).map(
            (t) => ({
              topic: t.topic,
              partitions: t.partitions.map((p) => {
                try {
                  return endOffset(broker, t.topic, p.partition, p.currentLeaderEpoch, p.leaderEpoch);
                } catch (error) {
                  if (!(error instanceof KafkaError)) throw error;
                  return failed(p.partition, error.errorCode);
                }
              }),
            }),
          ),
          ...refused.map((t) => ({
            topic: t.topic,
            partitions: t.partitions.map((p) => failed(p.partition, ErrorCode.TOPIC_AUTHORIZATION_FAILED)),
          })),
        ],
      };
    },
    errorResponse: (request, errorCode) => ({
      throttleTimeMs: 0,
      topics: request.topics.map((t) => ({
        topic: t.topic,
        partitions: t.partitions.map((p) => failed(p.partition, errorCode)),
      })),
    }),
  });
}

function failed(partition: number, errorCode: number): OffsetForLeaderEpochResponseEpochEndOffsetInput {
  return { errorCode, partition, leaderEpoch: -1, endOffset: -1n };
}

function endOffset(
  broker: MetadataView & PartitionAccess,
  topic: string,
  partitionIndex: number,
  currentLeaderEpoch: number,
  leaderEpoch: number,
): OffsetForLeaderEpochResponseEpochEndOffsetInput {
  const partition = broker.replicaManager.leaderOrError(
    topic,
    partitionIndex,
    broker.image.partition(topic, partitionIndex) !== undefined,
  );
  partition.checkLeader(currentLeaderEpoch);
  const found = partition.log.endOffsetForEpoch(leaderEpoch);
  if (found.endOffset < 0n) return failed(partitionIndex, ErrorCode.NONE);
  return {
    errorCode: ErrorCode.NONE,
    partition: partitionIndex,
    leaderEpoch: found.epoch,
    endOffset: found.endOffset,
  };
}
