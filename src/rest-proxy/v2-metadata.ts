import {
  type AdminClient,
  ConfigResourceType,
  type PartitionMetadata,
  type TopicMetadata,
} from "../client/index.js";
import { ErrorCode } from "../protocol/index.js";
import {
  intParam,
  ok,
  type ProxyReply,
  type ProxyRequest,
  type ProxyRoute,
  type ProxyServices,
} from "./proxy-route.js";
import { clusterCall, kafkaErrorAnswer, restErrors } from "./rest-error.js";

/**
 * API v2's metadata resources (kafka-rest's TopicsResource, PartitionsResource, BrokersResource,
 * RootResource), read through the proxy's admin client: topic names, a topic with its configs and
 * partitions, a partition's replicas and its beginning and end offsets, the brokers' ids.
 */

/** A v2 partition: its leader (-1 without one) and each replica with its leadership and sync state. */
function partitionBody(p: PartitionMetadata) {
  return {
    partition: p.partitionIndex,
    leader: p.leaderId,
    replicas: p.replicas.map((broker) => ({
      broker,
      leader: broker === p.leaderId,
      in_sync: p.isr.includes(broker),
    })),
  };
}

/** The topic, or v2's 40401 when the cluster does not know it. */
export async function describeTopic(admin: AdminClient, name: string): Promise<TopicMetadata> {
  const [topic] = await clusterCall(() => admin.describeTopics([name]));
  if (topic === undefined || topic.errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
    throw restErrors.topicNotFound();
  if (topic.errorCode !== ErrorCode.NONE) throw kafkaErrorAnswer(topic.errorCode, null);
  return topic;
}

function findPartition(topic: TopicMetadata, partition: number): PartitionMetadata {
  const found = topic.partitions.find((p) => p.partitionIndex === partition);
  if (found === undefined) throw restErrors.partitionNotFound();
  return found;
}

async function listTopics(_request: ProxyRequest, { admin }: ProxyServices): Promise<ProxyReply> {
  const topics = await clusterCall(() => admin.listTopics());
  return ok(topics.map((t) => t.name).sort());
}

async function getTopic(request: ProxyRequest, { admin }: ProxyServices): Promise<ProxyReply> {
  const topic = await describeTopic(admin, request.params["topic"] as string);
  const [described] = await clusterCall(() =>
    admin.describeConfigs([{ resourceType: ConfigResourceType.topic, resourceName: topic.name }]),
  );
  const configs: Record<string, string | null> = {};
  for (const c of described?.configs ?? []) configs[c.name] = c.value;
  return ok({ name: topic.name, configs, partitions: topic.partitions.map(partitionBody) });
}

async function listPartitions(request: ProxyRequest, { admin }: ProxyServices): Promise<ProxyReply> {
  const topic = await describeTopic(admin, request.params["topic"] as string);
  return ok(topic.partitions.map(partitionBody));
}

async function getPartition(request: ProxyRequest, { admin }: ProxyServices): Promise<ProxyReply> {
  const partition = intParam(request, "partition");
  const topic = await describeTopic(admin, request.params["topic"] as string);
  return ok(partitionBody(findPartition(topic, partition)));
}

async function getOffsets(request: ProxyRequest, { admin }: ProxyServices): Promise<ProxyReply> {
  const partition = intParam(request, "partition");
  const topic = await describeTopic(admin, request.params["topic"] as string);
  findPartition(topic, partition);
  const tp = [{ topic: topic.name, partition }];
  const [earliest, latest] = await clusterCall(() =>
    Promise.all([admin.listOffsets(tp, "earliest"), admin.listOffsets(tp, "latest")]),
  );
  for (const listed of [earliest?.[0], latest?.[0]])
    if (listed !== undefined && listed.errorCode !== ErrorCode.NONE)
      throw kafkaErrorAnswer(listed.errorCode, null);
  return ok({
    beginning_offset: Number(earliest?.[0]?.offset ?? 0n),
    end_offset: Number(latest?.[0]?.offset ?? 0n),
  });
}

async function listBrokers(_request: ProxyRequest, { admin }: ProxyServices): Promise<ProxyReply> {
  const description = await clusterCall(() => admin.describeCluster());
  return ok({ brokers: description.brokers.map((b) => b.nodeId).sort((a, b) => a - b) });
}

export const v2MetadataRoutes: readonly ProxyRoute[] = [
  { method: "GET", path: "/", api: "v2", handle: async () => ok({}) },
  { method: "POST", path: "/", api: "v2", handle: async () => ok({}) },
  { method: "GET", path: "/topics", api: "v2", handle: listTopics },
  { method: "GET", path: "/topics/:topic", api: "v2", handle: getTopic },
  { method: "GET", path: "/topics/:topic/partitions", api: "v2", handle: listPartitions },
  { method: "GET", path: "/topics/:topic/partitions/:partition", api: "v2", handle: getPartition },
  { method: "GET", path: "/topics/:topic/partitions/:partition/offsets", api: "v2", handle: getOffsets },
  { method: "GET", path: "/brokers", api: "v2", handle: listBrokers },
];
