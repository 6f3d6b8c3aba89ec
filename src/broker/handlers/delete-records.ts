import { INTERNAL_TOPICS } from "../../metadata/index.js";
import {
  ApiKey,
  type DeleteRecordsRequest,
  type DeleteRecordsResponseDeleteRecordsPartitionResultInput,
  type DeleteRecordsResponseInput,
  ErrorCode,
  KafkaError,
} from "../../protocol/index.js";
import { isDeleteRetained } from "../../storage/index.js";
import { defineHandler } from "../api-handler.js";
import type { MetadataView, PartitionAccess } from "../handler-context.js";

/** DeleteRecords' offset meaning "up to the high watermark". */
const HIGH_WATERMARK = -1n;

/**
 * DeleteRecords (v0-2): advances each partition's log start offset (its low watermark) to the
 * offset asked, or to the high watermark for -1, durably before answering; records below it can no
 * longer be fetched and whole segments below it are deleted. Per-partition errors as Kafka's
 * ReplicaManager gives them: OFFSET_OUT_OF_RANGE beyond the high watermark, POLICY_VIOLATION on a
 * topic without the delete cleanup policy, INVALID_TOPIC_EXCEPTION on internal topics. With an ISR
 * of one there is no follower to wait for, so the timeout never applies.
 */
export function deleteRecordsHandler(broker: MetadataView & PartitionAccess) {
  return defineHandler<DeleteRecordsRequest, DeleteRecordsResponseInput>({
    apiKey: ApiKey.DeleteRecords,
    minVersion: 0,
    maxVersion: 2,
    handle(request) {
      return {
        throttleTimeMs: 0,
        topics: request.topics.map((topic) => ({
          name: topic.name,
          partitions: topic.partitions.map((p) => {
            try {
              return deletePartitionRecords(broker, topic.name, p.partitionIndex, p.offset);
            } catch (error) {
              if (!(error instanceof KafkaError)) throw error;
              return failed(p.partitionIndex, error.errorCode);
            }
          }),
        })),
      };
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
): DeleteRecordsResponseDeleteRecordsPartitionResultInput {
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
  const lowWatermark = partition.log.deleteRecordsBefore(offset);
  return { partitionIndex, lowWatermark, errorCode: ErrorCode.NONE };
}
