import { INTERNAL_TOPICS } from "../../metadata/index.js";
import {
  AclOperation,
  ApiKey,
  type DeleteRecordsRequest,
  type DeleteRecordsResponseDeleteRecordsPartitionResultInput,
  type DeleteRecordsResponseInput,
  ErrorCode,
  KafkaError,
} from "../../protocol/index.js";
import { isDeleteRetained } from "../../storage/index.js";
import { defineHandler } from "../api-handler.js";
import type { AuthorizerAccess, MetadataView, PartitionAccess } from "../handler-context.js";
import { deniedTopics } from "../request-authorizer.js";

/** DeleteRecords' offset meaning "up to the high watermark". */
const HIGH_WATERMARK = -1n;

/**
 * DeleteRecords (v0-2): advances each partition's log start offset (its low watermark) to the
 * offset asked, or to the high watermark for -1, durably on the leader; records below it can no
 * longer be fetched and whole segments below it are deleted. The followers learn the new start
 * from their next fetch and report theirs back; the answer waits, up to the request's timeout, until
 * every in-sync replica has moved (Kafka's DelayedDeleteRecords), and gives the lowest start
 * offset over them, or REQUEST_TIMED_OUT. Per-partition errors as Kafka's ReplicaManager gives
 * them: OFFSET_OUT_OF_RANGE beyond the high watermark, POLICY_VIOLATION on a topic without the
 * delete cleanup policy, INVALID_TOPIC_EXCEPTION on internal topics, NOT_LEADER_OR_FOLLOWER when
 * leadership moves during the wait.
 */
export function deleteRecordsHandler(broker: MetadataView & PartitionAccess & AuthorizerAccess) {
  return defineHandler<DeleteRecordsRequest, DeleteRecordsResponseInput>({
    apiKey: ApiKey.DeleteRecords,
    minVersion: 0,
    maxVersion: 2,
    async handle(request, context) {
      // Kafka's: DELETE on each topic, else TOPIC_AUTHORIZATION_FAILED before anything else.
      const denied = deniedTopics(broker.authorizer, context, AclOperation.DELETE, request.topics);
      const pending: Promise<DeleteRecordsResponseDeleteRecordsPartitionResultInput>[][] = request.topics.map(
        (topic) =>
          topic.partitions.map((p) => {
            if (denied?.has(topic.name) === true)
              return Promise.resolve(failed(p.partitionIndex, ErrorCode.TOPIC_AUTHORIZATION_FAILED));
            try {
              return deletePartitionRecords(
                broker,
                topic.name,
                p.partitionIndex,
                p.offset,
                request.timeoutMs,
              );
            } catch (error) {
              if (!(error instanceof KafkaError)) throw error;
              return Promise.resolve(failed(p.partitionIndex, error.errorCode));
            }
          }),
      );
      const topics = await Promise.all(
        request.topics.map(async (topic, i) => ({
          name: topic.name,
          partitions: await Promise.all(pending[i] ?? []),
        })),
      );
      return { throttleTimeMs: 0, topics };
    },
    errorResponse: (request, errorCode) => ({
      throttleTimeMs: 0,
      topics: request.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => failed(p.partitionIndex, errorCode)),
      })),
    }),
  });
}

function failed(
  partitionIndex: number,
  errorCode: number,
): DeleteRecordsResponseDeleteRecordsPartitionResultInput {
  return { partitionIndex, lowWatermark: -1n, errorCode };
}

function deletePartitionRecords(
  broker: MetadataView & PartitionAccess,
  topic: string,
  partitionIndex: number,
  offset: bigint,
  timeoutMs: number,
): Promise<DeleteRecordsResponseDeleteRecordsPartitionResultInput> {
  if (INTERNAL_TOPICS.has(topic)) {
    throw new KafkaError(
      ErrorCode.INVALID_TOPIC_EXCEPTION,
      `Cannot delete records of internal topic ${topic}`,
    );
  }
  const partition = broker.replicaManager.leaderOrError(
    topic,
    partitionIndex,
    broker.image.partition(topic, partitionIndex) !== undefined,
  );
  if (!isDeleteRetained(partition.log.config)) {
    throw new KafkaError(
      ErrorCode.POLICY_VIOLATION,
      `Records of partition ${topic}-${partitionIndex} can not be deleted due to the configured policy`,
    );
  }
  if (offset < 0n && offset !== HIGH_WATERMARK) {
    throw new KafkaError(
      ErrorCode.OFFSET_OUT_OF_RANGE,
      `The offset ${offset} for partition ${topic}-${partitionIndex} is not valid`,
    );
  }
  const required = partition.log.deleteRecordsBefore(offset);
  return new Promise((resolve) => {
    const timer = setTimeout(
      () =>
        resolve({
          partitionIndex,
          lowWatermark: partition.lowWatermark,
          errorCode: ErrorCode.REQUEST_TIMED_OUT,
        }),
      Math.max(0, timeoutMs),
    );
    partition.whenLowWatermarkReaches(required).then(
      () => {
        clearTimeout(timer);
        resolve({ partitionIndex, lowWatermark: partition.lowWatermark, errorCode: ErrorCode.NONE });
      },
      (error: unknown) => {
        clearTimeout(timer);
        resolve(
          failed(
            partitionIndex,
            error instanceof KafkaError ? error.errorCode : ErrorCode.UNKNOWN_SERVER_ERROR,
          ),
        );
      },
    );
  });
}
