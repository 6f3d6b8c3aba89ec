import {
  type ConsumerGroupDescription,
  type ConsumerGroupMember,
  partitionKey,
  type TopicPartition,
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
import { type V3Links, v3Links } from "./v3-resources.js";

/**
 * API v3's consumer groups (kafka-rest's ConsumerGroupsResource, ConsumersResource,
 * ConsumerAssignmentsResource, ConsumerLagsResource and ConsumerGroupLagSummariesResource):
 * groups as their coordinators describe them, their members and the partitions each is assigned,
 * and the lag of each committed partition against its end (read_committed, as kafka-rest asks),
 * sorted by lag, and its summary (the largest and the total; negative lags count as 0).
 */

/** `PreparingRebalance` as kafka-rest's enum names it: `PREPARING_REBALANCE`. */
function enumName(text: string): string {
  return text === "" ? "UNKNOWN" : text.replace(/([a-z])([A-Z])/g, "$1_$2").toUpperCase();
}

async function describeGroup(
  services: ProxyServices,
  groupId: string,
): Promise<ConsumerGroupDescription | null> {
  const [group] = await clusterCall(() => services.admin.describeConsumerGroups([groupId]));
  if (group === undefined || group.errorCode === ErrorCode.GROUP_ID_NOT_FOUND) return null;
  if (group.errorCode !== ErrorCode.NONE) throw kafkaErrorAnswer(group.errorCode, null);
  // Kafka describes a group it does not know as an empty "simple" group in state Dead.
  if (group.state === "Dead" && group.members.length === 0) return null;
  return group;
}

function groupData(links: V3Links, group: ConsumerGroupDescription) {
  const at = ["consumer-groups", group.groupId];
  return {
    ...links.resource("KafkaConsumerGroup", at, ["consumer-group", group.groupId]),
    consumer_group_id: group.groupId,
    is_simple: group.protocolType === "",
    partition_assignor: group.partitionAssignor,
    state: enumName(group.state),
    type: enumName(group.type),
    is_mixed_consumer_group: false,
    coordinator: links.related("brokers", group.coordinator.nodeId),
    consumers: links.related(...at, "consumers"),
    lag_summary: links.related(...at, "lag-summary"),
  };
}

async function listGroups(request: ProxyRequest, services: ProxyServices): Promise<ProxyReply> {
  const links = v3Links(request, services, "could not be found");
  const listed = await clusterCall(() => services.admin.listConsumerGroups());
  const ids = listed
    .filter((g) => g.protocolType === "consumer" || g.protocolType === "")
    .map((g) => g.groupId)
    .sort();
  const described = await Promise.all(ids.map((id) => describeGroup(services, id)));
  const data = described.flatMap((g) => (g === null ? [] : [groupData(links, g)]));
  return links.list("KafkaConsumerGroupList", ["consumer-groups"], data);
}

/** The group of the path; `missing` is the message when it does not exist (kafka-rest's differ by resource). */
async function groupOf(
  request: ProxyRequest,
  services: ProxyServices,
  missing?: string,
): Promise<[V3Links, ConsumerGroupDescription]> {
  const links = v3Links(request, services, "could not be found");
  const groupId = request.params["group"] as string;
  const group = await describeGroup(services, groupId);
  if (group === null) throw restErrors.notFound(missing?.replace("%s", groupId));
  return [links, group];
}

async function getGroup(request: ProxyRequest, services: ProxyServices): Promise<ProxyReply> {
  const [links, group] = await groupOf(request, services);
  return ok(groupData(links, group));
}

function consumerData(links: V3Links, groupId: string, member: ConsumerGroupMember) {
  const at = ["consumer-groups", groupId, "consumers", member.memberId];
  return {
    ...links.resource("KafkaConsumer", at, ["consumer-group", groupId, "consumer", member.memberId]),
    consumer_group_id: groupId,
    consumer_id: member.memberId,
    instance_id: member.groupInstanceId,
    client_id: member.clientId,
    assignments: links.related(...at, "assignments"),
  };
}

async function listConsumers(request: ProxyRequest, services: ProxyServices): Promise<ProxyReply> {
  const [links, group] = await groupOf(request, services, "Consumer group %s could not be found.");
  const members = [...group.members].sort((a, b) => a.memberId.localeCompare(b.memberId));
  const data = members.map((m) => consumerData(links, group.groupId, m));
  return links.list("KafkaConsumerList", ["consumer-groups", group.groupId, "consumers"], data);
}

async function memberOf(request: ProxyRequest, services: ProxyServices) {
  const [links, group] = await groupOf(request, services, "Consumer group %s could not be found.");
  const member = group.members.find((m) => m.memberId === request.params["consumer"]);
  if (member === undefined) throw restErrors.notFound();
  return { links, groupId: group.groupId, member };
}

async function getConsumer(request: ProxyRequest, services: ProxyServices): Promise<ProxyReply> {
  const { links, groupId, member } = await memberOf(request, services);
  return ok(consumerData(links, groupId, member));
}

function assignmentData(links: V3Links, groupId: string, memberId: string, tp: TopicPartition) {
  const group = ["consumer-groups", groupId];
  return {
    ...links.resource(
      "KafkaConsumerAssignment",
      [...group, "consumers", memberId, "assignments", tp.topic, "partitions", tp.partition],
      ["consumer-group", groupId, "consumer", memberId, "assignment", tp.topic, "partition", tp.partition],
    ),
    consumer_group_id: groupId,
    consumer_id: memberId,
    topic_name: tp.topic,
    partition_id: tp.partition,
    partition: links.related("topics", tp.topic, "partitions", tp.partition),
    lag: links.related(...group, "lags", tp.topic, "partitions", tp.partition),
  };
}

const byTopicPartition = (a: TopicPartition, b: TopicPartition) =>
  a.topic.localeCompare(b.topic) || a.partition - b.partition;

async function listAssignments(request: ProxyRequest, services: ProxyServices): Promise<ProxyReply> {
  const { links, groupId, member } = await memberOf(request, services);
  const data = [...member.assignment]
    .sort(byTopicPartition)
    .map((tp) => assignmentData(links, groupId, member.memberId, tp));
  const at = ["consumer-groups", groupId, "consumers", member.memberId, "assignments"];
  return links.list("KafkaConsumerAssignmentList", at, data);
}

async function getAssignment(request: ProxyRequest, services: ProxyServices): Promise<ProxyReply> {
  const partition = intParam(request, "partition");
  const { links, groupId, member } = await memberOf(request, services);
  const tp = member.assignment.find((a) => a.topic === request.params["topic"] && a.partition === partition);
  if (tp === undefined) throw restErrors.notFound();
  return ok(assignmentData(links, groupId, member.memberId, tp));
}

/** One committed partition's lag, with the member it is assigned to ("" when none). */
interface Lag extends TopicPartition {
  member: ConsumerGroupMember | undefined;
  current: number;
  end: number;
  lag: number;
}

/** The lags of the group of the path (kafka-rest's AbstractConsumerLagManager). */
async function lagsOf(request: ProxyRequest, services: ProxyServices) {
  const [links, group] = await groupOf(request, services, "Consumer Group %s could not be found.");
  const committed = await clusterCall(() => services.admin.listConsumerGroupOffsets(group.groupId));
  if (committed.length === 0) throw restErrors.notFound("Consumer group offsets could not be found.");
  const latest = await clusterCall(() =>
    services.admin.listOffsets(committed, "latest", { isolationLevel: "read_committed" }),
  );
  const ends = new Map(
    latest.filter((l) => l.errorCode === ErrorCode.NONE).map((l) => [partitionKey(l), l.offset]),
  );
  const owners = new Map<string, ConsumerGroupMember>();
  for (const m of group.members) for (const tp of m.assignment) owners.set(partitionKey(tp), m);
  const lags = committed.flatMap((c): Lag[] => {
    const end = ends.get(partitionKey(c));
    if (end === undefined) return [];
    const current = Number(c.offset);
    // kafka-rest reports no negative lag.
    const lag = Math.max(0, Number(end) - current);
    return [
      {
        topic: c.topic,
        partition: c.partition,
        member: owners.get(partitionKey(c)),
        current,
        end: Number(end),
        lag,
      },
    ];
  });
  return { links, groupId: group.groupId, lags: lags.sort(byTopicPartition) };
}

function lagData(links: V3Links, groupId: string, lag: Lag) {
  return {
    ...links.resource(
      "KafkaConsumerLag",
      ["consumer-groups", groupId, "lags", lag.topic, "partitions", lag.partition],
      ["consumer-group", groupId, "lag", lag.topic, "partition", lag.partition],
    ),
    consumer_group_id: groupId,
    topic_name: lag.topic,
    partition_id: lag.partition,
    consumer_id: lag.member?.memberId ?? "",
    instance_id: lag.member?.groupInstanceId ?? null,
    client_id: lag.member?.clientId ?? "",
    current_offset: lag.current,
    log_end_offset: lag.end,
    lag: lag.lag,
  };
}

async function listLags(request: ProxyRequest, services: ProxyServices): Promise<ProxyReply> {
  const { links, groupId, lags } = await lagsOf(request, services);
  if (lags.length === 0) throw restErrors.notFound("Consumer lags not found.");
  // kafka-rest's order: the largest lag first, then by topic and partition.
  const data = [...lags]
    .sort((a, b) => b.lag - a.lag || byTopicPartition(a, b))
    .map((l) => lagData(links, groupId, l));
  return links.list("KafkaConsumerLagList", ["consumer-groups", groupId, "lags"], data);
}

async function getLag(request: ProxyRequest, services: ProxyServices): Promise<ProxyReply> {
  const partition = intParam(request, "partition");
  const { links, groupId, lags } = await lagsOf(request, services);
  const lag = lags.find((l) => l.topic === request.params["topic"] && l.partition === partition);
  if (lag === undefined) throw restErrors.notFound();
  return ok(lagData(links, groupId, lag));
}

async function lagSummary(request: ProxyRequest, services: ProxyServices): Promise<ProxyReply> {
  const { links, groupId, lags } = await lagsOf(request, services);
  let max: Lag | undefined;
  let total = 0;
  for (const l of lags) {
    total += l.lag;
    if (max === undefined || l.lag > max.lag) max = l;
  }
  const at = ["consumer-groups", groupId];
  return ok({
    ...links.resource(
      "KafkaConsumerGroupLagSummary",
      [...at, "lag-summary"],
      ["consumer-group", groupId, "lag-summary", null],
    ),
    consumer_group_id: groupId,
    max_lag_consumer_id: max?.member?.memberId ?? "",
    max_lag_instance_id: max?.member?.groupInstanceId ?? null,
    max_lag_client_id: max?.member?.clientId ?? "",
    max_lag_topic_name: max?.topic ?? "",
    max_lag_partition_id: max?.partition ?? 0,
    max_lag: max?.lag ?? 0,
    total_lag: total,
    max_lag_consumer: links.related(...at, "consumers", max?.member?.memberId ?? ""),
    max_lag_partition: links.related("topics", max?.topic ?? "", "partitions", max?.partition ?? 0),
  });
}

const group = "/v3/clusters/:cluster/consumer-groups/:group";

export const v3ConsumerGroupRoutes: readonly ProxyRoute[] = [
  { method: "GET", path: "/v3/clusters/:cluster/consumer-groups", api: "v3", handle: listGroups },
  { method: "GET", path: group, api: "v3", handle: getGroup },
  { method: "GET", path: `${group}/consumers`, api: "v3", handle: listConsumers },
  { method: "GET", path: `${group}/consumers/:consumer`, api: "v3", handle: getConsumer },
  { method: "GET", path: `${group}/consumers/:consumer/assignments`, api: "v3", handle: listAssignments },
  {
    method: "GET",
    path: `${group}/consumers/:consumer/assignments/:topic/partitions/:partition`,
    api: "v3",
    handle: getAssignment,
  },
  { method: "GET", path: `${group}/lag-summary`, api: "v3", handle: lagSummary },
  { method: "GET", path: `${group}/lags`, api: "v3", handle: listLags },
  { method: "GET", path: `${group}/lags/:topic/partitions/:partition`, api: "v3", handle: getLag },
];
