import type { OffsetCommitRequest as CoordinatorOffsetCommitRequest } from "../../coordinator/index.js";
import {
  AclOperation,
  ApiKey,
  type OffsetCommitRequest,
  type OffsetCommitResponseInput,
  ResourceType,
} from "../../protocol/index.js";
import { defineHandler } from "../api-handler.js";
import type { AuthorizerAccess, GroupAccess, MetadataView } from "../handler-context.js";
import { deniedTopics } from "../request-authorizer.js";
import { coordinatorContext } from "./group-request-context.js";
import { knownPartitions, withUnknownPartitions } from "./known-partitions.js";

/**
 * OffsetCommit 0-9, answered once the offsets are durably in `__consumer_offsets`. A commit with
 * generation -1 and no member id is a "simple" commit (kcat, `kafka-consumer-groups
 * --reset-offsets`), accepted for a group without members. Versions differ in what the request
 * carries: v0 no generation or member, v1 a commit timestamp per partition, v2-4 a retention
 * time, v6 leader epochs, v7 `groupInstanceId`; v9 answers GROUP_ID_NOT_FOUND where older
 * versions answer ILLEGAL_GENERATION (the coordinator decides by version). As in Kafka, partitions
 * that do not exist get UNKNOWN_TOPIC_OR_PARTITION and never reach the coordinator. With an
 * authorizer: READ on the group (else GROUP_AUTHORIZATION_FAILED for every partition) and on each
 * topic (else TOPIC_AUTHORIZATION_FAILED for its partitions, whether they exist or not).
 */
export function offsetCommitHandler(broker: MetadataView & GroupAccess & AuthorizerAccess) {
  return defineHandler<OffsetCommitRequest, OffsetCommitResponseInput>({
    apiKey: ApiKey.OffsetCommit,
    minVersion: 0,
    maxVersion: 9,
    async handle(request, context) {
      const authorizer = broker.authorizer;
      authorizer?.require(context, AclOperation.READ, ResourceType.GROUP, request.groupId);
      const denied = deniedTopics(authorizer, context, AclOperation.READ, request.topics);
      const image = broker.image;
      const known = knownPartitions(image, request.topics, denied);
      const response =
        known.length === 0
          ? { topics: [] }
          : await broker.groupCoordinator.commitOffsets(
              toCoordinatorRequest({ ...request, topics: known }, context.apiVersion),
              coordinatorContext(context),
            );
      return {
        throttleTimeMs: 0,
        topics: withUnknownPartitions(image, request.topics, response.topics, denied),
      };
    },
    errorResponse: (request, errorCode) => ({
      throttleTimeMs: 0,
      topics: request.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode })),
      })),
    }),
  });
}

function toCoordinatorRequest(request: OffsetCommitRequest, v: number): CoordinatorOffsetCommitRequest {
  return {
    groupId: request.groupId,
    generationIdOrMemberEpoch: v === 0 ? -1 : request.generationIdOrMemberEpoch,
    memberId: v === 0 ? "" : request.memberId,
    groupInstanceId: v >= 7 ? request.groupInstanceId : null,
    retentionTimeMs: v >= 2 && v <= 4 ? safeMs(request.retentionTimeMs) : -1,
    topics: request.topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p) => ({
        partitionIndex: p.partitionIndex,
        committedOffset: p.committedOffset,
        committedLeaderEpoch: v >= 6 ? p.committedLeaderEpoch : -1,
        commitTimestamp: v === 1 ? safeMs(p.commitTimestamp) : -1,
        committedMetadata: p.committedMetadata,
      })),
    })),
  };
}

const SAFE_MS_MAX = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * An int64 time from the wire as a number the coordinator can add to and write back as int64:
 * saturated at +-2^53, since 2^63-1 as a number rounds up past the int64 range (a RangeError
 * when the commit record is written).
 */
function safeMs(value: bigint): number {
  return Number(value > SAFE_MS_MAX ? SAFE_MS_MAX : value < -SAFE_MS_MAX ? -SAFE_MS_MAX : value);
}
