import { kafkaEndPoints, type TopicImage } from "../../metadata/index.js";
import {
  ApiKey,
  ErrorCode,
  KafkaError,
  type MetadataRequest,
  type MetadataResponseInput,
  type MetadataResponseMetadataResponseTopicInput,
  ZERO_UUID,
} from "../../protocol/index.js";
import { defineHandler } from "../api-handler.js";
import type { MetadataView, TopicAutoCreation } from "../handler-context.js";

/**
 * Metadata: brokers on the listener the client used, the cluster id, a live controller id (the
 * Java admin sends CreateTopics there), and topics with their partitions' leader, leader epoch,
 * replicas and ISR. Unknown topics are created when the client allows it and the broker is
 * configured to (auto.create.topics.enable); v0 asks for all topics with an empty list.
 */
export function metadataHandler(broker: MetadataView & TopicAutoCreation) {
  return defineHandler<MetadataRequest, MetadataResponseInput>({
    apiKey: ApiKey.Metadata,
    minVersion: 0,
    maxVersion: 12,
    async handle(request, context) {
      const v = context.apiVersion;
      // v10-11 carry topic ids and nullable names on the wire, but (as in Kafka) only v12+ may use them.
      if (v < 12 && request.topics?.some((t) => t.name === null || t.topicId !== ZERO_UUID))
        throw new KafkaError(ErrorCode.INVALID_REQUEST, `topic ids are not supported in Metadata v${v}`);
      const allTopics = request.topics === null || (v === 0 && request.topics.length === 0);
      const allowAutoCreate = v < 4 || request.allowAutoTopicCreation;
      if (!allTopics && allowAutoCreate) {
        const missing = (request.topics ?? [])
          .map((t) => t.name)
          .filter(
            (n): n is string => n !== null && broker.image.topic(n) === undefined && broker.mayAutoCreate(n),
          );
        if (missing.length > 0) await broker.autoCreateTopics(missing);
      }
      const image = broker.image;
      const topics: MetadataResponseMetadataResponseTopicInput[] = [];
      if (allTopics) {
        for (const t of [...image.topicsByName.values()].sort((a, b) => a.name.localeCompare(b.name))) {
          topics.push(describeTopic(broker, t));
        }
      } else {
        for (const requested of request.topics ?? []) {
          const byName = requested.name === null ? undefined : image.topic(requested.name);
          const byId =
            requested.name === null && requested.topicId !== ZERO_UUID
              ? image.topicsById.get(requested.topicId)
              : undefined;
          const topic = byName ?? byId;
          if (topic !== undefined) topics.push(describeTopic(broker, topic));
          else if (requested.name === null)
            topics.push({ errorCode: ErrorCode.UNKNOWN_TOPIC_ID, name: null, topicId: requested.topicId });
          else
            topics.push({
              errorCode: unknownTopicError(requested.name),
              name: requested.name,
              topicId: ZERO_UUID,
            });
        }
      }
      const brokers = image.liveBrokers().flatMap((b) => {
        const endpoint =
          b.endPoints.find((e) => e.name === context.listenerName) ??
          (b.id === broker.nodeId ? undefined : kafkaEndPoints(b)[0]);
        return endpoint === undefined
          ? []
          : [{ nodeId: b.id, host: endpoint.host, port: endpoint.port, rack: b.rack }];
      });
      return {
        throttleTimeMs: 0,
        brokers,
        clusterId: broker.clusterId,
        controllerId: broker.activeControllerId,
        topics,
      };
    },
    // Kafka's: every requested topic with the error, a null name as "" (the response cannot carry null before v12).
    errorResponse: (request, errorCode) => ({
      throttleTimeMs: 0,
      brokers: [],
      topics: (request.topics ?? []).map((t) => ({
        errorCode,
        name: t.name ?? "",
        topicId: t.topicId,
        isInternal: false,
        partitions: [],
      })),
    }),
  });
}

function unknownTopicError(name: string): number {
  return /^[a-zA-Z0-9._-]{1,249}$/.test(name) && name !== "." && name !== ".."
    ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
    : ErrorCode.INVALID_TOPIC_EXCEPTION;
}

function describeTopic(broker: MetadataView, topic: TopicImage): MetadataResponseMetadataResponseTopicInput {
  const live = new Set(broker.image.liveBrokers().map((b) => b.id));
  return {
    errorCode: ErrorCode.NONE,
    name: topic.name,
    topicId: topic.id,
    isInternal: broker.isInternalTopic(topic.name),
    partitions: topic.partitions.map((p) => ({
      errorCode: p.leader === -1 ? ErrorCode.LEADER_NOT_AVAILABLE : ErrorCode.NONE,
      partitionIndex: p.partitionId,
      leaderId: p.leader,
      leaderEpoch: p.leaderEpoch,
      replicaNodes: p.replicas,
      isrNodes: p.isr,
      offlineReplicas: p.replicas.filter(
        (r) =>
          !live.has(r) || (r === broker.nodeId && broker.isLocalReplicaOffline(topic.name, p.partitionId)),
      ),
    })),
  };
}
