import { ErrorCode } from "../protocol/index.js";
import { groupMetadataAppendError, offsetCommitAppendError } from "./append-errors.js";
import { ClassicGroup } from "./classic-group.js";
import { ClassicGroupState } from "./classic-group-state.js";
import { consumerGroupCommitError } from "./consumer-group-admin.js";
import { type CoordinatorRecord, offsetCommitRecord } from "./coordinator-record.js";
import type {
  OffsetCommitRequest,
  OffsetCommitRequestPartition,
  OffsetCommitResponse,
  RequestContext,
  RequestHandle,
  TxnOffsetCommitRequest,
} from "./group-api.js";
import { rescheduleHeartbeat } from "./group-rebalance.js";
import { offsetToRecordValue } from "./offset-store.js";
import type { AppendContinuation, ShardState } from "./shard-state.js";

/** First OffsetCommit version that answers GROUP_ID_NOT_FOUND for an unknown group. */
export const OFFSET_COMMIT_GROUP_ID_NOT_FOUND_VERSION = 9;
/** `retentionTimeMs` meaning "the broker's offsets.retention.minutes". */
export const DEFAULT_RETENTION_TIME_MS = -1;

/**
 * Whether a commit may be made for this group (Kafka's rules, shared with TxnOffsetCommit):
 * - generation -1 into an Empty group: a "simple" commit (admin tools, consumers without group
 *   management) is accepted;
 * - a generation, member id or instance id given: they must name a current member of the
 *   current generation;
 * - none given (OffsetCommit v0): only into an Empty group (transactional commits excepted);
 * - a valid member of a group in CompletingRebalance: REBALANCE_IN_PROGRESS, since it has not
 *   received its assignment yet.
 */
export function validateOffsetCommit(
  group: ClassicGroup,
  memberId: string,
  groupInstanceId: string | null,
  generationId: number,
  isTransactional: boolean,
): number {
  if (group.is(ClassicGroupState.Dead)) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
  if (generationId < 0 && group.is(ClassicGroupState.Empty)) return ErrorCode.NONE;
  if (generationId >= 0 || memberId !== "" || groupInstanceId !== null) {
    const memberError = group.validateMember(memberId, groupInstanceId);
    if (memberError !== ErrorCode.NONE) return memberError;
    if (generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION;
  } else if (!isTransactional && !group.is(ClassicGroupState.Empty)) {
    return ErrorCode.UNKNOWN_MEMBER_ID;
  }
  if (!isTransactional && group.is(ClassicGroupState.CompletingRebalance))
    return ErrorCode.REBALANCE_IN_PROGRESS;
  return ErrorCode.NONE;
}

/**
 * OffsetCommit: validates the committer, then writes one offset commit record per partition. The
 * response waits for the append; the offsets become visible to OffsetFetch once it is durable.
 */
export function commitOffsets(
  s: ShardState,
  handle: RequestHandle,
  request: OffsetCommitRequest,
  context: RequestContext,
): void {
  const error = commitGroupError(s, request, context);
  if (error !== ErrorCode.NONE) {
    s.respond(handle, { api: "offsetCommit", data: uniformResponse(request, error) });
    return;
  }
  const group = s.groups.get(request.groupId);
  // A commit keeps a classic member's session alive, like a heartbeat.
  if (group?.is(ClassicGroupState.Stable) || group?.is(ClassicGroupState.PreparingRebalance)) {
    const member = group.member(request.memberId);
    if (member !== undefined) rescheduleHeartbeat(s, group, member);
  }
  const nowMs = s.nowMs();
  const expireTimestampMs =
    request.retentionTimeMs === DEFAULT_RETENTION_TIME_MS ? null : nowMs + request.retentionTimeMs;
  const records: CoordinatorRecord[] = [];
  const response: OffsetCommitResponse = {
    topics: request.topics.map((topic) => ({
      name: topic.name,
      partitions: topic.partitions.map((p) => {
        if (p.committedMetadata !== null && p.committedMetadata.length > s.config.offsetMetadataMaxBytes) {
          return { partitionIndex: p.partitionIndex, errorCode: ErrorCode.OFFSET_METADATA_TOO_LARGE };
        }
        records.push(commitRecord(request.groupId, topic.name, p, nowMs, expireTimestampMs));
        return { partitionIndex: p.partitionIndex, errorCode: ErrorCode.NONE };
      }),
    })),
  };
  if (records.length === 0) s.respond(handle, { api: "offsetCommit", data: response });
  else s.append(records, { kind: "offsetCommit", handle, response });
}

/**
 * TxnOffsetCommit (Kafka's handleTxnCommitOffsets): a group that does not exist is created (Empty,
 * offsets only); a member, instance or generation given must be current (KIP-447). The offsets
 * are appended as a transactional batch of the producer and stay pending until its marker.
 */
export function commitTransactionalOffsets(
  s: ShardState,
  handle: RequestHandle,
  request: TxnOffsetCommitRequest,
): void {
  let error: number;
  if (s.consumerGroups.has(request.groupId)) {
    // The member epoch travels in the generation field (KIP-848); the API version does not matter.
    error = consumerGroupCommitError(s, request.groupId, request.memberId, request.generationId, 0, true);
  } else {
    let group = s.groups.get(request.groupId);
    if (group === undefined) {
      group = new ClassicGroup(request.groupId, s.nowMs());
      s.groups.set(request.groupId, group);
    }
    error = validateOffsetCommit(
      group,
      request.memberId,
      request.groupInstanceId,
      request.generationId,
      true,
    );
  }
  const asCommit = { ...request, generationIdOrMemberEpoch: request.generationId, retentionTimeMs: -1 };
  if (error !== ErrorCode.NONE) {
    s.respond(handle, { api: "offsetCommit", data: uniformResponse(asCommit, error) });
    return;
  }
  const nowMs = s.nowMs();
  const records: CoordinatorRecord[] = [];
  const response: OffsetCommitResponse = {
    topics: request.topics.map((topic) => ({
      name: topic.name,
      partitions: topic.partitions.map((p) => {
        if (p.committedMetadata !== null && p.committedMetadata.length > s.config.offsetMetadataMaxBytes) {
          return { partitionIndex: p.partitionIndex, errorCode: ErrorCode.OFFSET_METADATA_TOO_LARGE };
        }
        records.push(commitRecord(request.groupId, topic.name, p, nowMs, null));
        return { partitionIndex: p.partitionIndex, errorCode: ErrorCode.NONE };
      }),
    })),
  };
  if (records.length === 0) s.respond(handle, { api: "offsetCommit", data: response });
  else
    s.append(
      records,
      { kind: "offsetCommit", handle, response },
      { producerId: request.producerId, producerEpoch: request.producerEpoch },
    );
}

function commitGroupError(s: ShardState, request: OffsetCommitRequest, context: RequestContext): number {
  if (s.consumerGroups.has(request.groupId)) {
    return consumerGroupCommitError(
      s,
      request.groupId,
      request.memberId,
      request.generationIdOrMemberEpoch,
      context.apiVersion,
      false,
    );
  }
  const group = s.groups.get(request.groupId);
  if (group !== undefined) {
    return validateOffsetCommit(
      group,
      request.memberId,
      request.groupInstanceId,
      request.generationIdOrMemberEpoch,
      false,
    );
  }
  if (request.generationIdOrMemberEpoch < 0) {
    // A simple commit creates the group: Empty, with no protocol type, only offsets.
    s.groups.set(request.groupId, new ClassicGroup(request.groupId, s.nowMs()));
    return ErrorCode.NONE;
  }
  return context.apiVersion >= OFFSET_COMMIT_GROUP_ID_NOT_FOUND_VERSION
    ? ErrorCode.GROUP_ID_NOT_FOUND
    : ErrorCode.ILLEGAL_GENERATION;
}

function commitRecord(
  groupId: string,
  topic: string,
  p: OffsetCommitRequestPartition,
  nowMs: number,
  expireTimestampMs: number | null,
): CoordinatorRecord {
  const commitTimestamp = p.commitTimestamp;
  return offsetCommitRecord(
    { group: groupId, topic, partition: p.partitionIndex },
    offsetToRecordValue({
      committedOffset: p.committedOffset,
      leaderEpoch: p.committedLeaderEpoch,
      metadata: p.committedMetadata ?? "",
      commitTimestampMs: commitTimestamp === undefined || commitTimestamp === -1 ? nowMs : commitTimestamp,
      expireTimestampMs,
    }),
  );
}

function uniformResponse(
  request: Pick<OffsetCommitRequest, "topics">,
  errorCode: number,
): OffsetCommitResponse {
  return {
    topics: request.topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode })),
    })),
  };
}

type CommitContinuation = Extract<AppendContinuation, { kind: "offsetCommit" }>;

/** The commit records are durable (already applied) or failed: answer the committer. */
export function onOffsetCommitAppended(s: ShardState, c: CommitContinuation, errorCode: number): void {
  let data = c.response;
  if (errorCode !== ErrorCode.NONE) {
    const mapped = offsetCommitAppendError(errorCode);
    data = {
      topics: data.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) =>
          p.errorCode === ErrorCode.NONE ? { ...p, errorCode: mapped } : p,
        ),
      })),
    };
  }
  s.respond(c.handle, { api: "offsetCommit", data });
}

type OffsetDeleteContinuation = Extract<AppendContinuation, { kind: "offsetDelete" }>;

export function onOffsetDeleteAppended(s: ShardState, c: OffsetDeleteContinuation, errorCode: number): void {
  const data =
    errorCode === ErrorCode.NONE
      ? c.response
      : { errorCode: groupMetadataAppendError(errorCode), topics: [] };
  s.respond(c.handle, { api: "offsetDelete", data });
}
