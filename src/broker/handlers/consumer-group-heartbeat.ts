import {
  AclOperation,
  ApiKey,
  type ConsumerGroupHeartbeatRequest,
  type ConsumerGroupHeartbeatResponseInput,
  ErrorCode,
  KafkaError,
  ResourceType,
} from "../../protocol/index.js";
import { defineHandler } from "../api-handler.js";
import type { AuthorizerAccess, GroupAccess } from "../handler-context.js";
import { coordinatorContext } from "./group-request-context.js";

/**
 * ConsumerGroupHeartbeat 0-1 (KIP-848, `group.protocol=consumer`): a member joins, heartbeats and
 * leaves a consumer group and learns its partitions; the coordinator assigns them. v1 (KIP-1082)
 * has the client choose its member id. Registered only when `group.coordinator.rebalance.protocols`
 * has `consumer`, so ApiVersions advertises it only then. With an authorizer: READ on the group,
 * and DESCRIBE on every subscribed topic (else TOPIC_AUTHORIZATION_FAILED); a pattern resolves only
 * to the topics the member may DESCRIBE, as Kafka 4.0.
 */
export function consumerGroupHeartbeatHandler(broker: GroupAccess & AuthorizerAccess) {
  return defineHandler<ConsumerGroupHeartbeatRequest, ConsumerGroupHeartbeatResponseInput>({
    apiKey: ApiKey.ConsumerGroupHeartbeat,
    minVersion: 0,
    maxVersion: 1,
    async handle(request, context) {
      const authorizer = broker.authorizer;
      if (authorizer !== null) {
        authorizer.require(context, AclOperation.READ, ResourceType.GROUP, request.groupId);
        // Kafka 4.0: a member may subscribe only to topics it may DESCRIBE.
        const subscribed = request.subscribedTopicNames;
        if (
          subscribed !== null &&
          subscribed.length > 0 &&
          authorizer.deniedNames(context, AclOperation.DESCRIBE, ResourceType.TOPIC, subscribed) !== null
        )
          throw new KafkaError(ErrorCode.TOPIC_AUTHORIZATION_FAILED);
      }
      const response = await broker.groupCoordinator.consumerGroupHeartbeat(
        {
          groupId: request.groupId,
          memberId: request.memberId,
          memberEpoch: request.memberEpoch,
          instanceId: request.instanceId,
          rackId: request.rackId,
          rebalanceTimeoutMs: request.rebalanceTimeoutMs,
          subscribedTopicNames: request.subscribedTopicNames,
          // "" (librdkafka's "no regex") is kept: it sets "no pattern", where null leaves it as it was.
          subscribedTopicRegex: request.subscribedTopicRegex,
          serverAssignor: request.serverAssignor,
          topicPartitions: request.topicPartitions,
        },
        authorizer === null
          ? coordinatorContext(context)
          : {
              ...coordinatorContext(context),
              describableTopics: (names) => {
                const denied = authorizer.deniedNames(
                  context,
                  AclOperation.DESCRIBE,
                  ResourceType.TOPIC,
                  names,
                  false,
                );
                return new Set(denied === null ? names : names.filter((n) => !denied.has(n)));
              },
            },
      );
      return {
        throttleTimeMs: 0,
        errorCode: response.errorCode,
        errorMessage: response.errorMessage,
        memberId: response.memberId,
        memberEpoch: response.memberEpoch,
        heartbeatIntervalMs: response.heartbeatIntervalMs,
        assignment:
          response.assignment === null
            ? null
            : {
                topicPartitions: response.assignment.topicPartitions.map((t) => ({
                  topicId: t.topicId,
                  partitions: t.partitions,
                })),
              },
      };
    },
    errorResponse: (_request, errorCode) => ({
      throttleTimeMs: 0,
      errorCode,
      memberEpoch: 0,
      heartbeatIntervalMs: 0,
    }),
  });
}
