import { ErrorCode } from "../protocol/index.js";
import { ClassicGroupState } from "./classic-group-state.js";
import { consumerGroupFetchError } from "./consumer-group-admin.js";
import type {
  OffsetFetchRequestGroup,
  OffsetFetchResponseGroup,
  OffsetFetchResponsePartition,
  OffsetFetchResponseTopic,
} from "./group-api.js";
import type { OffsetAndMetadata } from "./offset-store.js";
import type { ShardState } from "./shard-state.js";

/** Kafka's answer for a partition without a committed offset. */
export const INVALID_OFFSET = -1n;

/**
 * OffsetFetch for one group: the durable committed offsets of the partitions asked for, or of
 * every partition the group has committed when `topics` is null. A partition (or a group) with
 * nothing committed is answered with offset -1 and no error, as Kafka does.
 */
export function fetchOffsets(s: ShardState, request: OffsetFetchRequestGroup): OffsetFetchResponseGroup {
  const memberError = consumerGroupFetchError(
    s,
    request.groupId,
    request.memberId ?? null,
    request.memberEpoch ?? -1,
  );
  if (memberError !== ErrorCode.NONE) return { groupId: request.groupId, topics: [], errorCode: memberError };
  const group = s.groups.get(request.groupId);
  const offsets = group?.is(ClassicGroupState.Dead) ? undefined : s.offsets.groupOffsets(request.groupId);
  if (request.topics === null) {
    const topics: OffsetFetchResponseTopic[] = [];
    for (const [name, partitions] of offsets ?? []) {
      topics.push({ name, partitions: [...partitions].map(([index, offset]) => committed(index, offset)) });
    }
    return { groupId: request.groupId, topics, errorCode: ErrorCode.NONE };
  }
  return {
    groupId: request.groupId,
    errorCode: ErrorCode.NONE,
    topics: request.topics.map((topic) => ({
      name: topic.name,
      partitions: topic.partitionIndexes.map((index) =>
        committed(index, offsets?.get(topic.name)?.get(index)),
      ),
    })),
  };
}

function committed(
  partitionIndex: number,
  offset: OffsetAndMetadata | undefined,
): OffsetFetchResponsePartition {
  if (offset === undefined) {
    return {
      partitionIndex,
      committedOffset: INVALID_OFFSET,
      committedLeaderEpoch: -1,
      metadata: "",
      errorCode: ErrorCode.NONE,
    };
  }
  return {
    partitionIndex,
    committedOffset: offset.committedOffset,
    committedLeaderEpoch: offset.leaderEpoch,
    metadata: offset.metadata,
    errorCode: ErrorCode.NONE,
  };
}
