import type { MetadataImage, PartitionRegistration, TopicImage } from "../../metadata/index.js";
import {
  AclOperation,
  ApiKey,
  type DescribeTopicPartitionsRequest,
  type DescribeTopicPartitionsResponseDescribeTopicPartitionsResponsePartitionInput,
  type DescribeTopicPartitionsResponseDescribeTopicPartitionsResponseTopicInput,
  type DescribeTopicPartitionsResponseInput,
  ErrorCode,
  KafkaError,
  ResourceType,
  ZERO_UUID,
} from "../../protocol/index.js";
import { defineHandler } from "../api-handler.js";
import { topicAuthorizedOperations } from "../authorized-operations.js";
import type { AuthorizerAccess, MetadataView } from "../handler-context.js";

/** Partitions one response may carry at most (Kafka's max.request.partition.size.limit default). */
const RESPONSE_PARTITIONS_MAX = 2000;

type TopicResult = DescribeTopicPartitionsResponseDescribeTopicPartitionsResponseTopicInput;
type PartitionResult = DescribeTopicPartitionsResponseDescribeTopicPartitionsResponsePartitionInput;

/**
 * DescribeTopicPartitions (v0, KIP-966): topic partitions page by page, which the Java admin's
 * describeTopics (kafka-topics --describe) tries before Metadata. Topics are taken in name order
 * from the cursor's topic on; at most min(ResponsePartitionLimit, 2000) partitions are returned and
 * NextCursor names where the next page starts. An empty topic list means every topic (unknown ones
 * cannot occur); a named topic that does not exist gets UNKNOWN_TOPIC_OR_PARTITION. Brook has no
 * eligible leader replicas (KIP-966 ELR is off), so both ELR lists are empty. Each topic carries
 * what the client may do on it (KIP-430), every operation without an authorizer.
 */
export function describeTopicPartitionsHandler(broker: MetadataView & AuthorizerAccess) {
  return defineHandler<DescribeTopicPartitionsRequest, DescribeTopicPartitionsResponseInput>({
    apiKey: ApiKey.DescribeTopicPartitions,
    minVersion: 0,
    maxVersion: 0,
    handle(request, context) {
      const image = broker.image;
      const fetchAll = request.topics.length === 0;
      const cursor = request.cursor;
      const cursorTopic = cursor?.topicName ?? "";
      const names = new Set<string>();
      for (const name of fetchAll ? image.topicsByName.keys() : request.topics.map((t) => t.name)) {
        if (name >= cursorTopic) names.add(name);
      }
      if (!fetchAll && cursor !== null && !names.has(cursor.topicName)) {
        throw new KafkaError(
          ErrorCode.INVALID_REQUEST,
          `DescribeTopicPartitionsRequest topic list should contain the cursor topic: ${cursor.topicName}`,
        );
      }
      if (cursor !== null && cursor.partitionIndex < 0) {
        throw new KafkaError(
          ErrorCode.INVALID_REQUEST,
          `DescribeTopicPartitionsRequest cursor partition must be valid: ${cursor.topicName}-${cursor.partitionIndex}`,
        );
      }
      let remaining = Math.max(Math.min(RESPONSE_PARTITIONS_MAX, request.responsePartitionLimit), 1);
      const topics: TopicResult[] = [];
      const refused: TopicResult[] = [];
      const authorizer = broker.authorizer;
      let nextCursor: { topicName: string; partitionIndex: number } | null = null;
      // Plain string order is UTF-16 code unit order, as Java's String.compareTo.
      for (const name of [...names].sort()) {
        // Kafka's: DESCRIBE on each topic, taken in order as the page fills; left out of an
        // all-topics answer, TOPIC_AUTHORIZATION_FAILED (after the others) for a named one.
        if (
          authorizer !== null &&
          !authorizer.authorize(context, AclOperation.DESCRIBE, ResourceType.TOPIC, name)
        ) {
          if (!fetchAll)
            refused.push({ ...unknownTopic(name), errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED });
          continue;
        }
        if (remaining === 0) {
          nextCursor = { topicName: name, partitionIndex: 0 };
          break;
        }
        const topic = image.topic(name);
        if (topic === undefined) {
          topics.push(unknownTopic(name));
          continue;
        }
        const start = cursor !== null && name === cursorTopic ? cursor.partitionIndex : 0;
        const end = Math.min(topic.partitions.length, start + remaining);
        topics.push(describeTopic(broker, image, topic, start, end, context.listenerName));
        if (end < topic.partitions.length) {
          nextCursor = { topicName: name, partitionIndex: end };
          break;
        }
        remaining -= Math.max(end - start, 0);
      }
      const described = topics.map((t) => ({
        ...t,
        topicAuthorizedOperations: topicAuthorizedOperations(authorizer, context, t.name ?? ""),
      }));
      return { throttleTimeMs: 0, topics: [...described, ...refused], nextCursor };
    },
    errorResponse: (request, errorCode) => ({
      throttleTimeMs: 0,
      topics: request.topics.map((t) => ({ errorCode, name: t.name, topicId: ZERO_UUID, partitions: [] })),
      nextCursor: null,
    }),
  });
}

function unknownTopic(name: string): TopicResult {
  return {
    errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
    name,
    topicId: ZERO_UUID,
    isInternal: false,
    partitions: [],
  };
}

function describeTopic(
  broker: MetadataView,
  image: MetadataImage,
  topic: TopicImage,
  start: number,
  end: number,
  listenerName: string,
): TopicResult {
  const partitions: PartitionResult[] = [];
  for (let i = start; i < end; i++) {
    const p = topic.partitions[i];
    if (p === undefined) continue;
    const localOffline = (id: number, partition: number) =>
      id === broker.nodeId && broker.isLocalReplicaOffline(topic.name, partition);
    partitions.push(describePartition(image, p, listenerName, localOffline));
  }
  return {
    errorCode: ErrorCode.NONE,
    name: topic.name,
    topicId: topic.id,
    isInternal: broker.isInternalTopic(topic.name),
    partitions,
  };
}

function describePartition(
  image: MetadataImage,
  p: PartitionRegistration,
  listenerName: string,
  localOffline: (brokerId: number, partition: number) => boolean,
): PartitionResult {
  const reachable = (id: number) =>
    image.brokers.get(id)?.endPoints.some((e) => e.name === listenerName) === true;
  const offlineReplicas = p.replicas.filter((id) => {
    const b = image.brokers.get(id);
    return b === undefined || b.fenced || !reachable(id) || localOffline(id, p.partitionId);
  });
  const leaderKnown = image.brokers.has(p.leader);
  const errorCode = reachable(p.leader)
    ? ErrorCode.NONE
    : leaderKnown
      ? ErrorCode.LISTENER_NOT_FOUND
      : ErrorCode.LEADER_NOT_AVAILABLE;
  return {
    errorCode,
    partitionIndex: p.partitionId,
    leaderId: errorCode === ErrorCode.NONE ? p.leader : -1,
    leaderEpoch: p.leaderEpoch,
    replicaNodes: p.replicas,
    isrNodes: p.isr,
    eligibleLeaderReplicas: p.elr,
    lastKnownElr: p.lastKnownElr,
    offlineReplicas,
  };
}
