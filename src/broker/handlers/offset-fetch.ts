import {
  type OffsetFetchRequestGroup as CoordinatorOffsetFetchGroup,
  INVALID_OFFSET,
  type OffsetFetchResponseGroup,
} from "../../coordinator/index.js";
import {
  AclOperation,
  ApiKey,
  ErrorCode,
  type OffsetFetchRequest,
  type OffsetFetchResponseInput,
  type OffsetFetchResponseOffsetFetchResponseTopicInput,
  ResourceType,
} from "../../protocol/index.js";
import { defineHandler, type RequestContext } from "../api-handler.js";
import type { AuthorizerAccess, GroupAccess } from "../handler-context.js";
import { deniedTopics as deniedTopicNames, type RequestAuthorizer } from "../request-authorizer.js";

/** OffsetFetch v2 added the top-level error code (and null topics: every committed partition). */
const TOP_LEVEL_ERROR_VERSION = 2;
/** OffsetFetch v8 asks for many groups at once. */
const MANY_GROUPS_VERSION = 8;
/** OffsetFetch v9 carries the member id and epoch of a KIP-848 consumer group member. */
const MEMBER_EPOCH_VERSION = 9;

/**
 * OffsetFetch 0-9: a group's committed offsets, -1 for partitions without one. v0-1 have no
 * group-level error, so a group error is copied into each requested partition (Kafka's
 * OffsetFetchRequest.getErrorResponse); v2-7 carry it at the top level; v8+ ask for several groups
 * and answer one entry per group. `requireStable` (v7+) is passed on. The v9 member id and epoch
 * are checked for KIP-848 consumer groups (STALE_MEMBER_EPOCH, UNKNOWN_MEMBER_ID); classic groups
 * ignore them, as Kafka does. With an authorizer, as Kafka's: DESCRIBE on each group (else
 * GROUP_AUTHORIZATION_FAILED for it), and offsets only of topics the client may DESCRIBE (left out
 * of an all-partitions answer, TOPIC_AUTHORIZATION_FAILED for those asked by name).
 */
export function offsetFetchHandler(broker: GroupAccess & AuthorizerAccess) {
  return defineHandler<OffsetFetchRequest, OffsetFetchResponseInput>({
    apiKey: ApiKey.OffsetFetch,
    minVersion: 0,
    maxVersion: 9,
    async handle(request, context) {
      const groups = requestedGroups(request, context.apiVersion);
      const authorizer = broker.authorizer;
      if (authorizer === null) {
        const results = await broker.groupCoordinator.fetchOffsets(groups, request.requireStable);
        return encodeResponse(groups, results, context.apiVersion);
      }
      const results = await fetchAuthorized(broker, authorizer, context, groups, request.requireStable);
      return encodeResponse(groups, results, context.apiVersion);
    },
    errorResponse: (request, errorCode, context) => {
      const groups = requestedGroups(request, context.apiVersion);
      const results = groups.map((g) => ({ groupId: g.groupId, errorCode, topics: [] }));
      return encodeResponse(groups, results, context.apiVersion);
    },
  });
}

async function fetchAuthorized(
  broker: GroupAccess,
  authorizer: RequestAuthorizer,
  context: RequestContext,
  groups: readonly CoordinatorOffsetFetchGroup[],
  requireStable: boolean,
): Promise<OffsetFetchResponseGroup[]> {
  const allowed = groups.filter((g) =>
    authorizer.authorize(context, AclOperation.DESCRIBE, ResourceType.GROUP, g.groupId),
  );
  const deniedTopics = new Map<string, Set<string> | null>();
  const asked = allowed.map((g) => {
    if (g.topics === null) return g;
    const denied = deniedTopicNames(authorizer, context, AclOperation.DESCRIBE, g.topics);
    deniedTopics.set(g.groupId, denied);
    return denied === null ? g : { ...g, topics: g.topics.filter((t) => !denied.has(t.name)) };
  });
  const answers = asked.length === 0 ? [] : await broker.groupCoordinator.fetchOffsets(asked, requireStable);
  return groups.map((g) => {
    // The coordinator answers the groups asked, in order.
    const i = allowed.indexOf(g);
    const answer = i < 0 ? undefined : answers[i];
    if (answer === undefined)
      return { groupId: g.groupId, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, topics: [] };
    if (answer.errorCode !== ErrorCode.NONE) return answer;
    if (g.topics === null) {
      const describable = authorizer.filterAuthorized(
        context,
        AclOperation.DESCRIBE,
        ResourceType.TOPIC,
        answer.topics.map((t) => t.name),
      );
      return { ...answer, topics: answer.topics.filter((t) => describable.has(t.name)) };
    }
    const denied = deniedTopics.get(g.groupId) ?? null;
    if (denied === null) return answer;
    const refused = g.topics
      .filter((t) => denied.has(t.name))
      .map((t) => ({
        name: t.name,
        partitions: t.partitionIndexes.map((partitionIndex) => ({
          partitionIndex,
          committedOffset: INVALID_OFFSET,
          committedLeaderEpoch: -1,
          metadata: "",
          errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED,
        })),
      }));
    return { ...answer, topics: [...answer.topics, ...refused] };
  });
}

function requestedGroups(request: OffsetFetchRequest, v: number): CoordinatorOffsetFetchGroup[] {
  if (v >= MANY_GROUPS_VERSION) {
    return request.groups.map((g) => ({
      groupId: g.groupId,
      topics: g.topics,
      ...(v >= MEMBER_EPOCH_VERSION ? { memberId: g.memberId, memberEpoch: g.memberEpoch } : {}),
    }));
  }
  return [{ groupId: request.groupId, topics: request.topics }];
}

function encodeResponse(
  groups: readonly CoordinatorOffsetFetchGroup[],
  results: readonly OffsetFetchResponseGroup[],
  v: number,
): OffsetFetchResponseInput {
  if (v >= MANY_GROUPS_VERSION) {
    return {
      throttleTimeMs: 0,
      groups: results.map((g) => ({ groupId: g.groupId, errorCode: g.errorCode, topics: g.topics })),
    };
  }
  const result = results[0];
  const group = groups[0];
  if (result === undefined || group === undefined)
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, topics: [] };
  if (v >= TOP_LEVEL_ERROR_VERSION || result.errorCode === ErrorCode.NONE) {
    return { throttleTimeMs: 0, errorCode: result.errorCode, topics: result.topics };
  }
  return { throttleTimeMs: 0, errorCode: result.errorCode, topics: partitionErrors(group, result.errorCode) };
}

/** v0-1: the group's error in every partition asked for. */
function partitionErrors(
  group: CoordinatorOffsetFetchGroup,
  errorCode: number,
): OffsetFetchResponseOffsetFetchResponseTopicInput[] {
  return (group.topics ?? []).map((t) => ({
    name: t.name,
    partitions: t.partitionIndexes.map((partitionIndex) => ({
      partitionIndex,
      committedOffset: INVALID_OFFSET,
      committedLeaderEpoch: -1,
      metadata: "",
      errorCode,
    })),
  }));
}
