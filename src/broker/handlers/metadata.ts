import { kafkaEndPoints, type TopicImage } from "../../metadata/index.js";
import {
  AclOperation,
  ApiKey,
  ErrorCode,
  KafkaError,
  type MetadataRequest,
  type MetadataResponseInput,
  type MetadataResponseMetadataResponseTopicInput,
  ResourceType,
  ZERO_UUID,
} from "../../protocol/index.js";
import { defineHandler, type RequestContext } from "../api-handler.js";
import {
  AUTHORIZED_OPERATIONS_OMITTED,
  clusterAuthorizedOperations,
  topicAuthorizedOperations,
} from "../authorized-operations.js";
import type { AuthorizerAccess, MetadataView, TopicAutoCreation } from "../handler-context.js";

/** Metadata v8-10 carry the cluster's authorized operations (KIP-430); v11 dropped them for DescribeCluster. */
const CLUSTER_OPERATIONS_VERSIONS = { min: 8, max: 10 } as const;

/**
 * Metadata: brokers on the listener the client used, the cluster id, a live controller id (the
 * Java admin sends CreateTopics there), and topics with their partitions' leader, leader epoch,
 * replicas and ISR. Unknown topics are created when the client allows it and the broker is
 * configured to (auto.create.topics.enable); v0 asks for all topics with an empty list.
 *
 * With an authorizer, as Kafka's: a listing of all topics shows only those the client may
 * DESCRIBE; a topic asked by name (or id) that it may not is TOPIC_AUTHORIZATION_FAILED without
 * anything about it (not even whether it exists); a missing topic is auto-created only with CREATE
 * on the cluster or the topic, else TOPIC_AUTHORIZATION_FAILED. Refusals come after the others.
 */
export function metadataHandler(broker: MetadataView & TopicAutoCreation & AuthorizerAccess) {
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
      const access = topicAccess(broker, context, request, allTopics, allowAutoCreate);
      if (!allTopics && allowAutoCreate) {
        const missing = (request.topics ?? [])
          .map((t) => t.name)
          .filter(
            (n): n is string =>
              n !== null &&
              broker.image.topic(n) === undefined &&
              broker.mayAutoCreate(n) &&
              access.allowed(n),
          );
        if (missing.length > 0) await broker.autoCreateTopics(missing);
      }
      const topics = describeTopics(broker, request, allTopics, access);
      const withOperations =
        v >= 8 && request.includeTopicAuthorizedOperations
          ? topics.map((t) => ({
              ...t,
              topicAuthorizedOperations: topicAuthorizedOperations(broker.authorizer, context, t.name ?? ""),
            }))
          : topics;
      const image = broker.image;
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
        topics: [...withOperations, ...access.refusals],
        clusterAuthorizedOperations:
          v >= CLUSTER_OPERATIONS_VERSIONS.min &&
          v <= CLUSTER_OPERATIONS_VERSIONS.max &&
          request.includeClusterAuthorizedOperations
            ? clusterAuthorizedOperations(broker.authorizer, context)
            : AUTHORIZED_OPERATIONS_OMITTED,
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

type TopicEntry = MetadataResponseMetadataResponseTopicInput;

/** Which topics the client may see (and have created), and the answers for those it may not. */
interface TopicAccess {
  allowed(topic: string): boolean;
  readonly refusals: readonly TopicEntry[];
}

const OPEN: TopicAccess = { allowed: () => true, refusals: [] };

function topicAccess(
  broker: MetadataView & TopicAutoCreation & AuthorizerAccess,
  context: RequestContext,
  request: MetadataRequest,
  allTopics: boolean,
  allowAutoCreate: boolean,
): TopicAccess {
  const authorizer = broker.authorizer;
  if (authorizer === null) return OPEN;
  const image = broker.image;
  const byId = !allTopics && (request.topics ?? []).some((t) => t.name === null && t.topicId !== ZERO_UUID);
  const names = allTopics
    ? [...image.topicsByName.keys()]
    : (request.topics ?? []).flatMap((t) => {
        const name = t.name ?? image.topicsById.get(t.topicId)?.name;
        return name === undefined ? [] : [name];
      });
  // An all-topics listing says nothing of what it leaves out, so it logs nothing either.
  const describable = authorizer.filterAuthorized(
    context,
    AclOperation.DESCRIBE,
    ResourceType.TOPIC,
    names,
    !allTopics,
  );
  const missing = [...describable].filter((n) => image.topic(n) === undefined && broker.mayAutoCreate(n));
  let notCreatable = new Set<string>();
  if (
    !allTopics &&
    allowAutoCreate &&
    missing.length > 0 &&
    !authorizer.authorizeCluster(context, AclOperation.CREATE, false)
  ) {
    const creatable = authorizer.filterAuthorized(context, AclOperation.CREATE, ResourceType.TOPIC, missing);
    notCreatable = new Set(missing.filter((n) => !creatable.has(n)));
  }
  const refusals: TopicEntry[] = [...notCreatable].map((name) => ({
    errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED,
    name,
    topicId: ZERO_UUID,
    isInternal: broker.isInternalTopic(name),
    partitions: [],
  }));
  if (!allTopics) {
    for (const name of new Set(names)) {
      if (describable.has(name)) continue;
      // A topic asked by id may be named; its id is no secret (Kafka's words), its name is.
      refusals.push({
        errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED,
        name: byId ? null : name,
        topicId: byId ? (image.topic(name)?.id ?? ZERO_UUID) : ZERO_UUID,
        isInternal: false,
        partitions: [],
      });
    }
  }
  return { allowed: (n) => describable.has(n) && !notCreatable.has(n), refusals };
}

/** The topics the client may see: all of them, or those asked for (unknown ones with their error). */
function describeTopics(
  broker: MetadataView,
  request: MetadataRequest,
  allTopics: boolean,
  access: TopicAccess,
): TopicEntry[] {
  const image = broker.image;
  const topics: TopicEntry[] = [];
  if (allTopics) {
    for (const t of [...image.topicsByName.values()].sort((a, b) => a.name.localeCompare(b.name))) {
      if (access.allowed(t.name)) topics.push(describeTopic(broker, t));
    }
    return topics;
  }
  const seen = new Set<string>();
  for (const requested of request.topics ?? []) {
    const byName = requested.name === null ? undefined : image.topic(requested.name);
    const byId =
      requested.name === null && requested.topicId !== ZERO_UUID
        ? image.topicsById.get(requested.topicId)
        : undefined;
    const topic = byName ?? byId;
    const name = requested.name ?? topic?.name;
    if (name !== undefined && (!access.allowed(name) || seen.has(name))) continue;
    if (name !== undefined && access !== OPEN) seen.add(name);
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
  return topics;
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
