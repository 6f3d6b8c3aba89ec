import {
  ApiKey,
  type ConsumerGroupDescribeRequest,
  type ConsumerGroupDescribeResponseInput,
  ErrorCode,
} from "../../protocol/index.js";
import { defineHandler } from "../api-handler.js";
import { AUTHORIZED_OPERATIONS_OMITTED, GROUP_AUTHORIZED_OPERATIONS } from "../authorized-operations.js";
import type { GroupAccess } from "../handler-context.js";

/**
 * ConsumerGroupDescribe 0 (KIP-848): a consumer group's state, epochs, assignor and members with
 * their subscriptions, current and target partitions. Unknown and classic groups get
 * GROUP_ID_NOT_FOUND, as Kafka answers. Registered with ConsumerGroupHeartbeat.
 */
export function consumerGroupDescribeHandler(broker: GroupAccess) {
  return defineHandler<ConsumerGroupDescribeRequest, ConsumerGroupDescribeResponseInput>({
    apiKey: ApiKey.ConsumerGroupDescribe,
    minVersion: 0,
    maxVersion: 0,
    async handle(request) {
      const groups = await broker.groupCoordinator.describeConsumerGroups(request.groupIds);
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
              ? GROUP_AUTHORIZED_OPERATIONS
              : AUTHORIZED_OPERATIONS_OMITTED,
        })),
      };
    },
    errorResponse: (request, errorCode) => ({
      throttleTimeMs: 0,
      groups: request.groupIds.map((groupId) => ({
        errorCode,
        groupId,
        groupState: "",
        groupEpoch: -1,
        assignmentEpoch: -1,
        assignorName: "",
      })),
    }),
  });
}
