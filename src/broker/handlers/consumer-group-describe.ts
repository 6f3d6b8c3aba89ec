import type { DescribedConsumerGroup } from "../../coordinator/index.js";
import {
  AclOperation,
  ApiKey,
  type ConsumerGroupDescribeRequest,
  type ConsumerGroupDescribeResponseInput,
  ErrorCode,
  ResourceType,
} from "../../protocol/index.js";
import { defineHandler, type RequestContext } from "../api-handler.js";
import { AUTHORIZED_OPERATIONS_OMITTED, groupAuthorizedOperations } from "../authorized-operations.js";
import type { AuthorizerAccess, GroupAccess } from "../handler-context.js";
import type { RequestAuthorizer } from "../request-authorizer.js";

/**
 * ConsumerGroupDescribe 0 (KIP-848): a consumer group's state, epochs, assignor and members with
 * their subscriptions, current and target partitions. Unknown and classic groups get
 * GROUP_ID_NOT_FOUND, as Kafka answers. Registered with ConsumerGroupHeartbeat. With an authorizer,
 * as Kafka 4.0: DESCRIBE on each group (else GROUP_AUTHORIZATION_FAILED, answered first), and a group
 * whose assignments name a topic the client may not DESCRIBE is answered TOPIC_AUTHORIZATION_FAILED.
 */
export function consumerGroupDescribeHandler(broker: GroupAccess & AuthorizerAccess) {
  return defineHandler<ConsumerGroupDescribeRequest, ConsumerGroupDescribeResponseInput>({
    apiKey: ApiKey.ConsumerGroupDescribe,
    minVersion: 0,
    maxVersion: 0,
    async handle(request, context) {
      const authorizer = broker.authorizer;
      const allowed =
        authorizer === null
          ? request.groupIds
          : request.groupIds.filter((g) =>
              authorizer.authorize(context, AclOperation.DESCRIBE, ResourceType.GROUP, g),
            );
      const refused = request.groupIds
        .filter((g) => !allowed.includes(g))
        .map((g) => groupError(g, ErrorCode.GROUP_AUTHORIZATION_FAILED, null));
      const described =
        allowed.length === 0 ? [] : await broker.groupCoordinator.describeConsumerGroups(allowed);
      const groups = [
        ...refused,
        ...(authorizer === null
          ? described
          : described.map((g) => hideUndescribableTopics(authorizer, context, g))),
      ];
      return {
        throttleTimeMs: 0,
        groups: groups.map((g) => ({
          errorCode: g.errorCode,
          errorMessage: g.errorMessage,
          groupId: g.groupId,
          groupState: g.groupState,
          groupEpoch: g.groupEpoch,
          assignmentEpoch: g.assignmentEpoch,
          assignorName: g.assignorName,
          members: g.members.map((m) => ({
            memberId: m.memberId,
            instanceId: m.instanceId,
            rackId: m.rackId,
            memberEpoch: m.memberEpoch,
            clientId: m.clientId,
            clientHost: m.clientHost,
            subscribedTopicNames: m.subscribedTopicNames,
            subscribedTopicRegex: m.subscribedTopicRegex,
            assignment: { topicPartitions: m.assignment },
            targetAssignment: { topicPartitions: m.targetAssignment },
          })),
          authorizedOperations:
            request.includeAuthorizedOperations && g.errorCode === ErrorCode.NONE
              ? groupAuthorizedOperations(authorizer, context, g.groupId)
              : AUTHORIZED_OPERATIONS_OMITTED,
        })),
      };
    },
    errorResponse: (request, errorCode) => ({
      throttleTimeMs: 0,
      groups: request.groupIds.map((groupId) => ({ ...groupError(groupId, errorCode, null), members: [] })),
    }),
  });
}

function groupError(groupId: string, errorCode: number, errorMessage: string | null): DescribedConsumerGroup {
  return {
    errorCode,
    errorMessage,
    groupId,
    groupState: "",
    groupEpoch: -1,
    assignmentEpoch: -1,
    assignorName: "",
    members: [],
  };
}

/** Kafka 4.0's: a group naming a topic the client may not DESCRIBE tells it nothing of its members. */
function hideUndescribableTopics(
  authorizer: RequestAuthorizer,
  context: RequestContext,
  group: DescribedConsumerGroup,
): DescribedConsumerGroup {
  if (group.errorCode !== ErrorCode.NONE) return group;
  const topics = new Set(
    group.members.flatMap((m) => [...m.assignment, ...m.targetAssignment].map((t) => t.topicName)),
  );
  const describable = authorizer.filterAuthorized(context, AclOperation.DESCRIBE, ResourceType.TOPIC, topics);
  if (describable.size === topics.size) return group;
  return groupError(
    group.groupId,
    ErrorCode.TOPIC_AUTHORIZATION_FAILED,
    "The group has described topic(s) that the client is not authorized to describe.",
  );
}
