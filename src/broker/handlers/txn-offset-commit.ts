import {
  AclOperation,
  ApiKey,
  ErrorCode,
  ResourceType,
  type TxnOffsetCommitRequest,
  type TxnOffsetCommitResponseInput,
} from "../../protocol/index.js";
import { defineHandler, type RequestContext } from "../api-handler.js";
import type {
  AuthorizerAccess,
  GroupAccess,
  MetadataView,
  TransactionVerification,
} from "../handler-context.js";
import { CONSUMER_OFFSETS_TOPIC } from "../offsets-topic-log.js";
import { deniedTopics } from "../request-authorizer.js";
import { verificationError } from "../txn-verification.js";
import { knownPartitions, withUnknownPartitions } from "./known-partitions.js";

/** v5: a transactions version 2 producer's, which sent no AddOffsetsToTxn (KIP-890 part 2). */
const IMPLICIT_ADD_VERSION = 5;
/** TxnOffsetCommit v4+ knows TRANSACTION_ABORTABLE. */
const FIRST_ABORTABLE_VERSION = 4;

/**
 * TxnOffsetCommit 0-4: offsets committed inside the producer's transaction. The group coordinator
 * writes them as the producer's transactional batch; OffsetFetch sees them only once the
 * transaction's COMMIT marker reaches the group's partition (with require_stable, partitions
 * waiting for one answer UNSTABLE_OFFSET_COMMIT). An older producer epoch is refused by the
 * partition's producer state (INVALID_PRODUCER_EPOCH). v5 is v4 for a transactions version 2
 * producer: the group's `__consumer_offsets` partition is added to its transaction here, as the
 * leader of a produced-to partition adds it. Partitions that do not exist get
 * UNKNOWN_TOPIC_OR_PARTITION without reaching the coordinator, as in Kafka.
 */
export function txnOffsetCommitHandler(
  broker: MetadataView & GroupAccess & TransactionVerification & AuthorizerAccess,
) {
  return defineHandler<TxnOffsetCommitRequest, TxnOffsetCommitResponseInput>({
    apiKey: ApiKey.TxnOffsetCommit,
    minVersion: 0,
    maxVersion: 5,
    async handle(request, context) {
      const authorizer = broker.authorizer;
      // Kafka's order: WRITE on the transactional id, READ on the group, READ on each topic.
      authorizer?.require(
        context,
        AclOperation.WRITE,
        ResourceType.TRANSACTIONAL_ID,
        request.transactionalId,
      );
      authorizer?.require(context, AclOperation.READ, ResourceType.GROUP, request.groupId);
      const denied = deniedTopics(authorizer, context, AclOperation.READ, request.topics);
      // As Kafka's handler: refused and unknown topics are answered here, the rest committed.
      const image = broker.image;
      const known = knownPartitions(image, request.topics, denied);
      const answer =
        known.length === 0 ? { topics: [] } : await commit(broker, { ...request, topics: known }, context);
      return {
        throttleTimeMs: 0,
        topics: withUnknownPartitions(image, request.topics, answer.topics, denied),
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

async function commit(
  broker: GroupAccess & TransactionVerification,
  request: TxnOffsetCommitRequest,
  context: RequestContext,
): Promise<{ topics: { name: string; partitions: { partitionIndex: number; errorCode: number }[] }[] }> {
  if (context.apiVersion >= IMPLICIT_ADD_VERSION) {
    const [added] = await broker.transactionVerifier.verify({
      transactionalId: request.transactionalId,
      producerId: request.producerId,
      producerEpoch: request.producerEpoch,
      partitions: [
        {
          topic: CONSUMER_OFFSETS_TOPIC,
          partition: broker.groupCoordinator.partitionFor(request.groupId),
        },
      ],
      add: true,
    });
    if (added !== ErrorCode.NONE) {
      // A coordinator that cannot answer now: the producer looks its coordinator up and retries.
      const errorCode = verificationError(
        added ?? ErrorCode.UNKNOWN_SERVER_ERROR,
        context.apiVersion,
        FIRST_ABORTABLE_VERSION,
        ErrorCode.COORDINATOR_NOT_AVAILABLE,
      );
      return {
        topics: request.topics.map((t) => ({
          name: t.name,
          partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode })),
        })),
      };
    }
  }
  const answer = await broker.groupCoordinator.commitTransactionalOffsets({
    transactionalId: request.transactionalId,
    groupId: request.groupId,
    producerId: request.producerId,
    producerEpoch: request.producerEpoch,
    generationId: request.generationId,
    memberId: request.memberId,
    groupInstanceId: request.groupInstanceId,
    topics: request.topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p) => ({
        partitionIndex: p.partitionIndex,
        committedOffset: p.committedOffset,
        committedLeaderEpoch: p.committedLeaderEpoch,
        committedMetadata: p.committedMetadata,
      })),
    })),
  });
  return {
    topics: answer.topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: p.errorCode })),
    })),
  };
}
