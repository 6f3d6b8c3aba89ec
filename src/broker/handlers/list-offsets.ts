import {
  AclOperation,
  ApiKey,
  ErrorCode,
  KafkaError,
  type ListOffsetsRequest,
  type ListOffsetsResponseInput,
  type ListOffsetsResponseListOffsetsPartitionResponseInput,
} from "../../protocol/index.js";
import { IsolationLevel } from "../../replication/index.js";
import { defineHandler } from "../api-handler.js";
import type { AuthorizerAccess, MetadataView, PartitionAccess } from "../handler-context.js";
import { deniedTopics } from "../request-authorizer.js";

const LATEST = -1n;
const EARLIEST = -2n;
const MAX_TIMESTAMP = -3n;
const EARLIEST_LOCAL = -4n;

/**
 * ListOffsets: latest (the high watermark, or the last stable offset for read_committed),
 * earliest, max timestamp (v7+), earliest local (v8+), or the first offset whose timestamp is at
 * least the one asked, among offsets a consumer may read.
 */
export function listOffsetsHandler(broker: MetadataView & PartitionAccess & AuthorizerAccess) {
  return defineHandler<ListOffsetsRequest, ListOffsetsResponseInput>({
    apiKey: ApiKey.ListOffsets,
    minVersion: 1,
    maxVersion: 10,
    handle(request, context) {
      // Kafka's: DESCRIBE on each topic; refused topics are answered after the others.
      const denied = deniedTopics(broker.authorizer, context, AclOperation.DESCRIBE, request.topics);
      const topics = denied === null ? request.topics : request.topics.filter((t) => !denied.has(t.name));
      const refused = denied === null ? [] : request.topics.filter((t) => denied.has(t.name));
      return {
        throttleTimeMs: 0,
        topics: [
          ...topics.map((topic) => {
            const seen = new Set<number>();
            const duplicates = new Set(
              topic.partitions.map((p) => p.partitionIndex).filter((i) => seen.size === seen.add(i).size),
            );
            return {
              name: topic.name,
              partitions: topic.partitions.map((p): ListOffsetsResponseListOffsetsPartitionResponseInput => {
                if (duplicates.has(p.partitionIndex))
                  return failed(p.partitionIndex, ErrorCode.INVALID_REQUEST);
                try {
                  return lookup(
                    broker,
                    topic.name,
                    p.partitionIndex,
                    p.timestamp,
                    p.currentLeaderEpoch,
                    request.isolationLevel,
                  );
                } catch (error) {
                  return failed(
                    p.partitionIndex,
                    error instanceof KafkaError ? error.errorCode : ErrorCode.UNKNOWN_SERVER_ERROR,
                  );
                }
              }),
            };
          }),
          ...refused.map((t) => ({
            name: t.name,
            partitions: t.partitions.map((p) =>
              failed(p.partitionIndex, ErrorCode.TOPIC_AUTHORIZATION_FAILED),
            ),
          })),
        ],
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
): ListOffsetsResponseListOffsetsPartitionResponseInput {
  return { partitionIndex, errorCode, timestamp: -1n, offset: -1n, leaderEpoch: -1 };
}

function lookup(
  broker: MetadataView & PartitionAccess,
  topic: string,
  partitionIndex: number,
  timestamp: bigint,
  currentLeaderEpoch: number,
  isolationLevel: number,
): ListOffsetsResponseListOffsetsPartitionResponseInput {
  const partition = broker.replicaManager.leaderOrError(
    topic,
    partitionIndex,
    broker.image.partition(topic, partitionIndex) !== undefined,
  );
  partition.checkLeader(currentLeaderEpoch);
  const bound =
    isolationLevel === IsolationLevel.readCommitted ? partition.lastStableOffset : partition.highWatermark;
  const log = partition.log;
  if (timestamp === LATEST) {
    return {
      partitionIndex,
      errorCode: ErrorCode.NONE,
      timestamp: -1n,
      offset: bound,
      leaderEpoch: log.leaderEpochCache.epochForOffset(bound) ?? partition.leaderEpoch,
    };
  }
  if (timestamp === EARLIEST || timestamp === EARLIEST_LOCAL) {
    const start = log.logStartOffset;
    return {
      partitionIndex,
      errorCode: ErrorCode.NONE,
      timestamp: -1n,
      offset: start,
      leaderEpoch: log.leaderEpochCache.epochForOffset(start) ?? -1,
    };
  }
  if (timestamp < 0n && timestamp !== MAX_TIMESTAMP)
    return failed(partitionIndex, ErrorCode.UNSUPPORTED_VERSION);
  const found = log.fetchOffsetByTimestamp(timestamp);
  if (found === null || found.offset >= bound)
    return { partitionIndex, errorCode: ErrorCode.NONE, timestamp: -1n, offset: -1n, leaderEpoch: -1 };
  return {
    partitionIndex,
    errorCode: ErrorCode.NONE,
    timestamp: found.timestamp,
    offset: found.offset,
    leaderEpoch: found.leaderEpoch ?? -1,
  };
}
