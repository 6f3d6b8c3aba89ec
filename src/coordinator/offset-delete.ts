import { ErrorCode } from "../protocol/index.js";
import type { ClassicGroup } from "./classic-group.js";
import { ClassicGroupState } from "./classic-group-state.js";
import { type CoordinatorRecord, offsetCommitTombstone } from "./coordinator-record.js";
import type { OffsetDeleteRequest, OffsetDeleteResponse, RequestHandle } from "./group-api.js";
import type { ShardState } from "./shard-state.js";

export function offsetDeleteRequestError(request: OffsetDeleteRequest): number {
  return request.groupId === "" ? ErrorCode.INVALID_GROUP_ID : ErrorCode.NONE;
}

/**
 * OffsetDelete (`kafka-consumer-groups --delete-offsets`): tombstones a group's committed offsets
 * for topics its consumers do not subscribe to (those get GROUP_SUBSCRIBED_TO_TOPIC). Allowed for
 * an Empty group, or a live one only if it is a consumer group, whose subscriptions Brook can
 * read (a KIP-848 group always, as Kafka's ConsumerGroup allows). Partitions without a committed offset are left out of the answer, as in Kafka.
 */
export function deleteOffsets(s: ShardState, handle: RequestHandle, request: OffsetDeleteRequest): void {
  const respond = (data: OffsetDeleteResponse) => s.respond(handle, { api: "offsetDelete", data });
  const requestError = offsetDeleteRequestError(request);
  if (requestError !== ErrorCode.NONE) {
    respond({ errorCode: requestError, topics: [] });
    return;
  }
  const subscribed = subscriptionsOf(s, request.groupId);
  if (typeof subscribed === "number") {
    respond({ errorCode: subscribed, topics: [] });
    return;
  }
  const offsets = s.offsets.groupOffsets(request.groupId);
  const pendingKeys = s.pendingOffsetKeys(request.groupId);
  const records: CoordinatorRecord[] = [];
  const response: OffsetDeleteResponse = {
    errorCode: ErrorCode.NONE,
    topics: request.topics.map((topic) => {
      if (subscribed(topic.name)) {
        return {
          name: topic.name,
          partitions: topic.partitions.map((p) => ({
            partitionIndex: p.partitionIndex,
            errorCode: ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC,
          })),
        };
      }
      const committed = offsets?.get(topic.name);
      const pending = new Set(pendingKeys.filter((k) => k.topic === topic.name).map((k) => k.partition));
      const deleted = topic.partitions.filter(
        (p) => committed?.has(p.partitionIndex) === true || pending.has(p.partitionIndex),
      );
      for (const p of deleted)
        records.push(offsetCommitTombstone(request.groupId, topic.name, p.partitionIndex));
      return {
        name: topic.name,
        partitions: deleted.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: ErrorCode.NONE })),
      };
    }),
  };
  if (records.length === 0) respond(response);
  else s.append(records, { kind: "offsetDelete", handle, response });
}

/** Whether the group's members subscribe to a topic, or why its offsets cannot be deleted. */
function subscriptionsOf(s: ShardState, groupId: string): ((topic: string) => boolean) | number {
  const consumer = s.consumerGroups.get(groupId);
  if (consumer !== undefined) {
    const topics = consumer.subscribedTopicNames();
    return (topic) => topics.has(topic);
  }
  const group = s.groups.get(groupId);
  if (group === undefined) return ErrorCode.GROUP_ID_NOT_FOUND;
  const error = validateOffsetDelete(group);
  return error === ErrorCode.NONE ? (topic) => group.isSubscribedToTopic(topic) : error;
}

function validateOffsetDelete(group: ClassicGroup): number {
  if (group.is(ClassicGroupState.Dead)) return ErrorCode.GROUP_ID_NOT_FOUND;
  if (!group.is(ClassicGroupState.Empty) && !group.usesConsumerProtocol()) return ErrorCode.NON_EMPTY_GROUP;
  return ErrorCode.NONE;
}
