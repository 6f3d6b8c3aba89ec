import { type TopicPartitionRef, TRANSACTION_VERSION_EPOCH_BUMP } from "../../coordinator/index.js";
import {
  AclOperation,
  type AddPartitionsToTxnRequest,
  type AddPartitionsToTxnRequestAddPartitionsToTxnTopic,
  type AddPartitionsToTxnResponseAddPartitionsToTxnTopicResultInput,
  type AddPartitionsToTxnResponseInput,
  ApiKey,
  ErrorCode,
  ResourceType,
} from "../../protocol/index.js";
import { defineHandler, type RequestContext } from "../api-handler.js";
import type { AuthorizerAccess, MetadataView, TransactionAccess } from "../handler-context.js";
import type { RequestAuthorizer } from "../request-authorizer.js";
import { producerFencedError } from "./txn-errors.js";

/** v4+ (KIP-890): the batched, broker-to-coordinator form with verify-only transactions. */
const BATCHED_VERSION = 4;
/** v5 (KIP-890): TRANSACTION_ABORTABLE is known; an add is a leader's for a TV2 producer. */
const IMPLICIT_ADD_VERSION = 5;
/** Transactions in one v4+ request at most (Kafka's limit is its request size; this is ours). */
const TRANSACTIONS_PER_REQUEST_MAX = 10_000;

/**
 * AddPartitionsToTxn 0-5: adds partitions to the producer's transaction (Ongoing). v0-3 carry
 * one transaction; v4+ a list (Kafka's brokers send it to verify a partition before a
 * transactional produce: `verifyOnly` answers whether each partition is already in the
 * transaction and writes nothing). Partitions of topics that do not exist get
 * UNKNOWN_TOPIC_OR_PARTITION and the others OPERATION_NOT_ATTEMPTED, as Kafka answers. With an
 * authorizer, v0-3 (clients) need WRITE on the transactional id and topics, v4+ (brokers)
 * CLUSTER_ACTION on the cluster.
 */
export function addPartitionsToTxnHandler(broker: MetadataView & TransactionAccess & AuthorizerAccess) {
  return defineHandler<AddPartitionsToTxnRequest, AddPartitionsToTxnResponseInput>({
    apiKey: ApiKey.AddPartitionsToTxn,
    minVersion: 0,
    maxVersion: 5,
    async handle(request, context) {
      const authorizer = broker.authorizer;
      if (context.apiVersion < BATCHED_VERSION) {
        const transaction = {
          transactionalId: request.v3AndBelowTransactionalId,
          producerId: request.v3AndBelowProducerId,
          producerEpoch: request.v3AndBelowProducerEpoch,
          verifyOnly: false,
          topics: request.v3AndBelowTopics,
        };
        const refused = authorizer === null ? null : clientRefusal(broker, authorizer, context, transaction);
        const topicResults = refused ?? (await addOne(broker, context.apiVersion, transaction));
        return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, resultsByTopicV3AndBelow: topicResults };
      }
      // v4+ comes from brokers verifying a produce: Kafka requires CLUSTER_ACTION.
      authorizer?.requireCluster(context, AclOperation.CLUSTER_ACTION);
      if (request.transactions.length > TRANSACTIONS_PER_REQUEST_MAX)
        return { throttleTimeMs: 0, errorCode: ErrorCode.INVALID_REQUEST, resultsByTransaction: [] };
      const resultsByTransaction = await Promise.all(
        request.transactions.map(async (t) => ({
          transactionalId: t.transactionalId,
          topicResults: await addOne(broker, context.apiVersion, t),
        })),
      );
      return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, resultsByTransaction };
    },
    errorResponse: (request, errorCode, context) =>
      context.apiVersion < BATCHED_VERSION
        ? {
            throttleTimeMs: 0,
            errorCode,
            resultsByTopicV3AndBelow: uniform(request.v3AndBelowTopics, errorCode),
          }
        : { throttleTimeMs: 0, errorCode, resultsByTransaction: [] },
  });
}

async function addOne(
  broker: MetadataView & TransactionAccess,
  apiVersion: number,
  t: {
    transactionalId: string;
    producerId: bigint;
    producerEpoch: number;
    verifyOnly: boolean;
    topics: readonly AddPartitionsToTxnRequestAddPartitionsToTxnTopic[];
  },
): Promise<AddPartitionsToTxnResponseAddPartitionsToTxnTopicResultInput[]> {
  const unknown = t.topics.filter((topic) =>
    topic.partitions.some((p) => broker.image.partition(topic.name, p) === undefined),
  );
  if (unknown.length > 0) {
    return t.topics.map((topic) => ({
      name: topic.name,
      resultsByPartition: topic.partitions.map((p) => ({
        partitionIndex: p,
        partitionErrorCode:
          broker.image.partition(topic.name, p) === undefined
            ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
            : ErrorCode.OPERATION_NOT_ATTEMPTED,
      })),
    }));
  }
  const partitions: TopicPartitionRef[] = t.topics.flatMap((topic) =>
    topic.partitions.map((partition) => ({ topic: topic.name, partition })),
  );
  const request = {
    transactionalId: t.transactionalId,
    producerId: t.producerId,
    producerEpoch: t.producerEpoch,
    partitions,
  };
  if (t.verifyOnly) {
    const codes = broker.transactionCoordinator.verifyPartitions(request);
    let i = 0;
    return t.topics.map((topic) => ({
      name: topic.name,
      resultsByPartition: topic.partitions.map((p) => ({
        partitionIndex: p,
        partitionErrorCode: abortableError(
          producerFencedError(codes[i++] ?? ErrorCode.UNKNOWN_SERVER_ERROR, apiVersion, 2),
          apiVersion,
        ),
      })),
    }));
  }
  // v5 without verifyOnly comes from a partition leader adding a TV2 producer's partition.
  const answer = await broker.transactionCoordinator.addPartitions({
    ...request,
    clientTransactionVersion: apiVersion >= IMPLICIT_ADD_VERSION ? TRANSACTION_VERSION_EPOCH_BUMP : 0,
  });
  return uniform(t.topics, producerFencedError(answer.errorCode, apiVersion, 2));
}

/**
 * A client's request (v0-3), as Kafka checks it: WRITE on the transactional id (else every
 * partition TRANSACTIONAL_ID_AUTHORIZATION_FAILED), then WRITE on each topic, internal topics
 * never allowed (TOPIC_AUTHORIZATION_FAILED); any refused or unknown partition fails the whole
 * transaction (the others OPERATION_NOT_ATTEMPTED). Null when the request may go on.
 */
function clientRefusal(
  broker: MetadataView,
  authorizer: RequestAuthorizer,
  context: RequestContext,
  t: { transactionalId: string; topics: readonly AddPartitionsToTxnRequestAddPartitionsToTxnTopic[] },
): AddPartitionsToTxnResponseAddPartitionsToTxnTopicResultInput[] | null {
  if (!authorizer.authorize(context, AclOperation.WRITE, ResourceType.TRANSACTIONAL_ID, t.transactionalId))
    return uniform(t.topics, ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
  const names = t.topics.map((topic) => topic.name);
  const allowed = authorizer.filterAuthorized(
    context,
    AclOperation.WRITE,
    ResourceType.TOPIC,
    names.filter((name) => !broker.isInternalTopic(name)),
  );
  if (names.every((name) => allowed.has(name))) return null;
  return t.topics.map((topic) => ({
    name: topic.name,
    resultsByPartition: topic.partitions.map((p) => ({
      partitionIndex: p,
      partitionErrorCode: !allowed.has(topic.name)
        ? ErrorCode.TOPIC_AUTHORIZATION_FAILED
        : broker.image.partition(topic.name, p) === undefined
          ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
          : ErrorCode.OPERATION_NOT_ATTEMPTED,
    })),
  }));
}

function uniform(
  topics: readonly AddPartitionsToTxnRequestAddPartitionsToTxnTopic[],
  errorCode: number,
): AddPartitionsToTxnResponseAddPartitionsToTxnTopicResultInput[] {
  return topics.map((topic) => ({
    name: topic.name,
    resultsByPartition: topic.partitions.map((p) => ({ partitionIndex: p, partitionErrorCode: errorCode })),
  }));
}

/** TRANSACTION_ABORTABLE exists from v5; a v4 verifier gets INVALID_TXN_STATE, as from Kafka. */
function abortableError(errorCode: number, apiVersion: number): number {
  return errorCode === ErrorCode.TRANSACTION_ABORTABLE && apiVersion < IMPLICIT_ADD_VERSION
    ? ErrorCode.INVALID_TXN_STATE
    : errorCode;
}
