import type { NewTopic, PartitionMetadata, TopicMetadata } from "../client/index.js";
import { ErrorCode } from "../protocol/index.js";
import {
  arrayField,
  bodyObject,
  booleanField,
  integerField,
  isJsonObject,
  type JsonObject,
  objectItems,
  stringField,
} from "./body-fields.js";
import {
  intParam,
  NO_CONTENT,
  ok,
  type ProxyReply,
  type ProxyRequest,
  type ProxyRoute,
  type ProxyServices,
} from "./proxy-route.js";
import { clusterCall, kafkaErrorAnswer, restErrors } from "./rest-error.js";
import { type V3Links, v3Links } from "./v3-resources.js";

/**
 * API v3's topics, partitions and replicas (kafka-rest's TopicsResource, PartitionsResource,
 * ReplicasResource): list, get, create (201 with the topic, 200 when only validated), change the
 * partition count (PATCH), delete (204). A topic the cluster does not know is Kafka's
 * UnknownTopicOrPartitionException as kafka-rest answers it: 404 with 40403.
 */

interface TopicShape {
  name: string;
  isInternal: boolean;
  replicationFactor: number;
  partitionsCount: number;
}

function shapeOf(topic: TopicMetadata): TopicShape {
  return {
    name: topic.name,
    isInternal: topic.isInternal,
    replicationFactor: topic.partitions[0]?.replicas.length ?? 0,
    partitionsCount: topic.partitions.length,
  };
}

function topicData(links: V3Links, topic: TopicShape) {
  const at = ["topics", topic.name];
  return {
    ...links.resource("KafkaTopic", at, ["topic", topic.name]),
    topic_name: topic.name,
    is_internal: topic.isInternal,
    replication_factor: topic.replicationFactor,
    partitions_count: topic.partitionsCount,
    partitions: links.related(...at, "partitions"),
    configs: links.related(...at, "configs"),
    partition_reassignments: links.related(...at, "partitions", "-", "reassignment"),
    authorized_operations: [],
  };
}

/** The topic of the path; 40403 when the cluster does not know it. */
export async function describeV3Topic(
  request: ProxyRequest,
  services: ProxyServices,
): Promise<[V3Links, TopicMetadata]> {
  const links = v3Links(request, services);
  const name = request.params["topic"] as string;
  const [topic] = await clusterCall(() => services.admin.describeTopics([name]));
  if (topic === undefined) throw restErrors.unknownTopicOrPartition();
  if (topic.errorCode !== ErrorCode.NONE) throw kafkaErrorAnswer(topic.errorCode, null);
  return [links, topic];
}

async function listTopics(request: ProxyRequest, services: ProxyServices): Promise<ProxyReply> {
  const links = v3Links(request, services);
  const listed = await clusterCall(() => services.admin.listTopics());
  const names = listed.map((t) => t.name).sort();
  const topics = names.length === 0 ? [] : await clusterCall(() => services.admin.describeTopics(names));
  const found = topics.filter((t) => t.errorCode === ErrorCode.NONE);
  return links.list(
    "KafkaTopicList",
    ["topics"],
    found.map((t) => topicData(links, shapeOf(t))),
  );
}

async function getTopic(request: ProxyRequest, services: ProxyServices): Promise<ProxyReply> {
  const [links, topic] = await describeV3Topic(request, services);
  return ok(topicData(links, shapeOf(topic)));
}

/** Kafka's Topic.validate: what a topic may be named. */
function validTopicName(name: string): boolean {
  return /^[a-zA-Z0-9._-]{1,249}$/.test(name) && name !== "." && name !== "..";
}

function newTopic(body: JsonObject): NewTopic & { name: string } {
  const name = stringField(body, "topic_name");
  if (name === undefined || !validTopicName(name)) throw restErrors.invalidPayload("Invalid topic name.");
  const assignments = body["replicas_assignments"];
  const configs: Record<string, string> = {};
  for (const entry of objectItems(arrayField(body, "configs") ?? [])) {
    const configName = stringField(entry, "name");
    if (configName !== undefined) configs[configName] = stringField(entry, "value") ?? "";
  }
  if (isJsonObject(assignments) && Object.keys(assignments).length > 0) {
    const byPartition = Object.entries(assignments)
      .map(([p, replicas]) => [Number(p), replicas] as const)
      .sort((a, b) => a[0] - b[0]);
    return {
      name,
      assignments: byPartition.map(([, replicas]) => (Array.isArray(replicas) ? replicas.map(Number) : [])),
      configs,
    };
  }
  const partitions = integerField(body, "partitions_count");
  const replicationFactor = integerField(body, "replication_factor");
  return {
    name,
    ...(partitions === undefined ? {} : { numPartitions: partitions }),
    ...(replicationFactor === undefined ? {} : { replicationFactor }),
    configs,
  };
}

async function createTopic(request: ProxyRequest, services: ProxyServices): Promise<ProxyReply> {
  const links = v3Links(request, services);
  const body = bodyObject(request.body);
  if (body === undefined) throw restErrors.invalidPayload("Request body is empty. Data is required.");
  const topic = newTopic(body);
  const validateOnly = booleanField(body, "validate_only") ?? false;
  const [result] = await clusterCall(() => services.admin.createTopics([topic], { validateOnly }));
  if (result !== undefined && result.errorCode !== ErrorCode.NONE)
    throw kafkaErrorAnswer(result.errorCode, result.errorMessage);
  // What CreateTopics answered, else what was asked for (kafka-rest does the same).
  const data = topicData(links, {
    name: topic.name,
    isInternal: false,
    replicationFactor:
      result !== undefined && result.replicationFactor >= 0
        ? result.replicationFactor
        : (topic.replicationFactor ?? topic.assignments?.[0]?.length ?? 0),
    partitionsCount:
      result !== undefined && result.numPartitions >= 0
        ? result.numPartitions
        : (topic.numPartitions ?? topic.assignments?.length ?? 0),
  });
  return { status: validateOnly ? 200 : 201, body: data, headers: { location: data.metadata.self } };
}

async function deleteTopic(request: ProxyRequest, services: ProxyServices): Promise<ProxyReply> {
  v3Links(request, services);
  const [result] = await clusterCall(() => services.admin.deleteTopics([request.params["topic"] as string]));
  if (result !== undefined && result.errorCode !== ErrorCode.NONE)
    throw kafkaErrorAnswer(result.errorCode, result.errorMessage);
  return NO_CONTENT;
}

async function updatePartitionCount(request: ProxyRequest, services: ProxyServices): Promise<ProxyReply> {
  v3Links(request, services);
  const body = bodyObject(request.body);
  const count = body === undefined ? undefined : integerField(body, "partitions_count");
  if (count === undefined)
    throw restErrors.invalidPayload("Request body is empty. Partitions_count is required.");
  const name = request.params["topic"] as string;
  const [result] = await clusterCall(() => services.admin.createPartitions([{ name, count }]));
  if (result !== undefined && result.errorCode !== ErrorCode.NONE)
    throw kafkaErrorAnswer(result.errorCode, result.errorMessage);
  return getTopic(request, services);
}

function partitionData(links: V3Links, topic: string, p: PartitionMetadata) {
  const at = ["topics", topic, "partitions", p.partitionIndex];
  return {
    ...links.resource("KafkaPartition", at, ["topic", topic, "partition", p.partitionIndex]),
    topic_name: topic,
    partition_id: p.partitionIndex,
    leader: p.leaderId < 0 ? null : links.related(...at, "replicas", p.leaderId),
    replicas: links.related(...at, "replicas"),
    reassignment: links.related(...at, "reassignment"),
  };
}

/** The partition of the path; 40403 with Kafka's message when the topic has no such partition. */
async function partitionOf(request: ProxyRequest, services: ProxyServices) {
  const id = intParam(request, "partition");
  const [links, topic] = await describeV3Topic(request, services);
  const partition = topic.partitions.find((p) => p.partitionIndex === id);
  if (partition === undefined)
    throw restErrors.unknownTopicOrPartition(
      `This server does not host topic-partition ${id} for topic ${topic.name}`,
    );
  return { links, topic: topic.name, partition };
}

async function listPartitions(request: ProxyRequest, services: ProxyServices): Promise<ProxyReply> {
  const [links, topic] = await describeV3Topic(request, services);
  const data = topic.partitions.map((p) => partitionData(links, topic.name, p));
  return links.list("KafkaPartitionList", ["topics", topic.name, "partitions"], data);
}

async function getPartition(request: ProxyRequest, services: ProxyServices): Promise<ProxyReply> {
  const { links, topic, partition } = await partitionOf(request, services);
  return ok(partitionData(links, topic, partition));
}

function replicaData(links: V3Links, topic: string, p: PartitionMetadata, brokerId: number) {
  return {
    ...links.resource(
      "KafkaReplica",
      ["topics", topic, "partitions", p.partitionIndex, "replicas", brokerId],
      ["topic", topic, "partition", p.partitionIndex, "replica", brokerId],
    ),
    topic_name: topic,
    partition_id: p.partitionIndex,
    broker_id: brokerId,
    is_leader: p.leaderId === brokerId,
    is_in_sync: p.isr.includes(brokerId),
    broker: links.related("brokers", brokerId),
  };
}

async function listReplicas(request: ProxyRequest, services: ProxyServices): Promise<ProxyReply> {
  const { links, topic, partition } = await partitionOf(request, services);
  const data = partition.replicas.map((b) => replicaData(links, topic, partition, b));
  return links.list(
    "KafkaReplicaList",
    ["topics", topic, "partitions", partition.partitionIndex, "replicas"],
    data,
  );
}

async function getReplica(request: ProxyRequest, services: ProxyServices): Promise<ProxyReply> {
  const brokerId = intParam(request, "broker");
  const { links, topic, partition } = await partitionOf(request, services);
  if (!partition.replicas.includes(brokerId)) throw restErrors.notFound();
  return ok(replicaData(links, topic, partition, brokerId));
}

const topics = "/v3/clusters/:cluster/topics";
const partitions = `${topics}/:topic/partitions`;

export const v3TopicRoutes: readonly ProxyRoute[] = [
  { method: "GET", path: topics, api: "v3", handle: listTopics },
  { method: "POST", path: topics, api: "v3", handle: createTopic },
  { method: "GET", path: `${topics}/:topic`, api: "v3", handle: getTopic },
  { method: "PATCH", path: `${topics}/:topic`, api: "v3", handle: updatePartitionCount },
  { method: "DELETE", path: `${topics}/:topic`, api: "v3", handle: deleteTopic },
  { method: "GET", path: partitions, api: "v3", handle: listPartitions },
  { method: "GET", path: `${partitions}/:partition`, api: "v3", handle: getPartition },
  { method: "GET", path: `${partitions}/:partition/replicas`, api: "v3", handle: listReplicas },
  { method: "GET", path: `${partitions}/:partition/replicas/:broker`, api: "v3", handle: getReplica },
];
