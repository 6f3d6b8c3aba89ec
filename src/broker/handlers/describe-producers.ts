import {
  AclOperation,
  ApiKey,
  type DescribeProducersRequest,
  type DescribeProducersResponseInput,
  type DescribeProducersResponsePartitionResponseInput,
  ErrorCode,
  errorCodeInfo,
  KafkaError,
  ResourceType,
} from "../../protocol/index.js";
import { defineHandler } from "../api-handler.js";
import type { AuthorizerAccess, MetadataView, PartitionAccess } from "../handler-context.js";

/**
 * DescribeProducers 0 (KIP-664): per partition this broker hosts, leader or follower as in Kafka
 * (kafka-transactions.sh describe-producers --broker-id asks a follower), the producers its log
 * remembers: id, epoch, last sequence, last timestamp, coordinator epoch and the first offset of
 * an open transaction (-1 without one). A partition it does not host gets NOT_LEADER_OR_FOLLOWER,
 * an unknown one UNKNOWN_TOPIC_OR_PARTITION.
 */
export function describeProducersHandler(broker: MetadataView & PartitionAccess & AuthorizerAccess) {
  return defineHandler<DescribeProducersRequest, DescribeProducersResponseInput>({
    apiKey: ApiKey.DescribeProducers,
    minVersion: 0,
    maxVersion: 0,
    handle(request, context) {
      const authorizer = broker.authorizer;
      return {
        throttleTimeMs: 0,
        topics: request.topics.map((topic) => {
          // Kafka's: READ on the topic, before anything says whether it exists.
          if (
            authorizer !== null &&
            !authorizer.authorize(context, AclOperation.READ, ResourceType.TOPIC, topic.name)
          ) {
            return {
              name: topic.name,
              partitions: topic.partitionIndexes.map((partitionIndex) => ({
                partitionIndex,
                errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED,
                errorMessage: errorCodeInfo.get(ErrorCode.TOPIC_AUTHORIZATION_FAILED)?.message ?? null,
                activeProducers: [],
              })),
            };
          }
          const known = broker.image.topic(topic.name) !== undefined;
          return {
            name: topic.name,
            partitions: topic.partitionIndexes.map((index) =>
              describePartition(broker, topic.name, index, known),
            ),
          };
        }),
      };
    },
    errorResponse: (request, errorCode) => ({
      throttleTimeMs: 0,
      topics: request.topics.map((t) => ({
        name: t.name,
        partitions: t.partitionIndexes.map((partitionIndex) => ({ partitionIndex, errorCode })),
      })),
    }),
  });
}

function describePartition(
  broker: MetadataView & PartitionAccess,
  topic: string,
  partitionIndex: number,
  known: boolean,
): DescribeProducersResponsePartitionResponseInput {
  try {
    const partition = broker.replicaManager.replicaOrError(
      topic,
      partitionIndex,
      known && broker.image.partition(topic, partitionIndex) !== undefined,
    );
    return {
      partitionIndex,
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      activeProducers: partition.producerState.activeProducers().map((p) => ({
        producerId: p.producerId,
        producerEpoch: p.producerEpoch,
        lastSequence: p.lastSeq,
        lastTimestamp: p.lastTimestamp,
        coordinatorEpoch: p.coordinatorEpoch,
        currentTxnStartOffset: p.currentTxnFirstOffset,
      })),
    };
  } catch (error) {
    if (!(error instanceof KafkaError)) throw error;
    return { partitionIndex, errorCode: error.errorCode, errorMessage: error.message, activeProducers: [] };
  }
}
