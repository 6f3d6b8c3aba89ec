import { describeError } from "../../base/index.js";
import {
  AclOperation,
  ApiKey,
  ErrorCode,
  KafkaError,
  type ProduceRequest,
  type ProduceResponseInput,
  type ProduceResponsePartitionProduceResponseInput,
  RecordValidationError,
  ResourceType,
} from "../../protocol/index.js";
import type { Partition } from "../../replication/index.js";
import { defineHandler, type HandlerResult, NO_RESPONSE, type RequestContext } from "../api-handler.js";
import type {
  AuthorizerAccess,
  BrokerSettings,
  MetadataView,
  PartitionAccess,
  QuotaAccess,
  TopicAutoCreation,
  TransactionVerification,
} from "../handler-context.js";
import { LeaderHints } from "../leader-hints.js";
import { validateProduceRecords } from "../produce-records-validation.js";
import {
  checkVerified,
  endVerified,
  hasTransactionalRecords,
  type ProduceVerification,
  partitionKey,
  verifyTransactionalProduce,
} from "../produce-txn-verification.js";
import type { RequestAuthorizer } from "../request-authorizer.js";

/**
 * Produce: each partition's batches go to its leader's log as they are (validated as Kafka's
 * LogValidator does, records walked, offsets stamped in place, appended). A batch refused for some
 * of its records answers with RecordErrors naming them (v8+, KIP-467). The answer waits until the appends are in the log
 * files (the writer thread hands them to the kernel), so that an acknowledged record survives the
 * broker process being killed, as in Kafka. Errors are per partition. acks=0 gets no response;
 * if something failed, the connection is closed instead, which is how Kafka tells such a producer.
 * Versions 0-2 (message sets of magic 0/1) are advertised for old librdkafka's feature detection
 * but refused, as Kafka 4 does.
 *
 * Transactions (KIP-890): a transactional batch that would open the producer's transaction on a
 * partition is first verified with the transaction coordinator (`produce-txn-verification.ts`);
 * v12 is v11 for a transactions-version-2 producer, whose partitions the leader adds to the
 * transaction itself.
 *
 * With an authorizer, as Kafka's: a transactional produce needs WRITE on its transactional id
 * (else every partition TRANSACTIONAL_ID_AUTHORIZATION_FAILED), and each topic WRITE (else its
 * partitions TOPIC_AUTHORIZATION_FAILED; acks=0 closes the connection, as for any error).
 */
export function produceHandler(
  broker: MetadataView &
    PartitionAccess &
    TopicAutoCreation &
    QuotaAccess &
    BrokerSettings &
    TransactionVerification &
    AuthorizerAccess,
) {
  return defineHandler<ProduceRequest, ProduceResponseInput>({
    apiKey: ApiKey.Produce,
    minVersion: 3,
    maxVersion: 12,
    advertisedMinVersion: 0,
    // The records are appended before handle() returns and the log copies what it keeps (a queued
    // write goes into the segment writer's ring), so the request frame could be recycled at once;
    // it is held until the answer, which waits for the writes, settles.
    requestBytesBorrowed: true,
    handle(request, context) {
      const acks = request.acks;
      if (acks !== 0 && acks !== 1 && acks !== -1)
        return everyPartition(request, ErrorCode.INVALID_REQUIRED_ACKS);
      const authorizer = broker.authorizer;
      // Transactional records need a transactional id, and with an authorizer WRITE on it.
      if (
        request.transactionalId === null
          ? hasTransactionalRecords(request)
          : authorizer !== null &&
            hasTransactionalRecords(request) &&
            !authorizer.authorize(
              context,
              AclOperation.WRITE,
              ResourceType.TRANSACTIONAL_ID,
              request.transactionalId,
            )
      )
        return everyPartition(request, ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
      const denied = authorizer === null ? null : deniedTopics(authorizer, request, context);
      const missing = request.topicData
        .map((t) => t.name)
        .filter(
          (n) =>
            broker.image.topic(n) === undefined &&
            broker.mayAutoCreate(n) &&
            denied?.has(n) !== true &&
            (authorizer === null || mayCreate(authorizer, context, n)),
        );
      // Rare (first produce to a new topic, a transaction's first batch on a partition): only then
      // does the handler wait before appending.
      if (missing.length > 0)
        return broker
          .autoCreateTopics(missing)
          .then(() => verifyThenAppend(broker, request, context, denied));
      return verifyThenAppend(broker, request, context, denied);
    },
    errorResponse: (request, errorCode, context) => {
      // acks=0 producers read no responses: an answer would be taken for the next request's.
      // Kafka closes the connection instead (ProduceRequest.getErrorResponse is null for acks=0).
      if (request.acks === 0) context.connection.close();
      return everyPartition(request, errorCode);
    },
  });
}

/**
 * Kafka's: WRITE on each topic (before anything says whether it exists); null when every topic may
 * be written, which is the common case and allocates nothing.
 */
function deniedTopics(
  authorizer: RequestAuthorizer,
  request: ProduceRequest,
  context: RequestContext,
): Set<string> | null {
  let denied: Set<string> | null = null;
  for (const topic of request.topicData) {
    if (!authorizer.authorize(context, AclOperation.WRITE, ResourceType.TOPIC, topic.name)) {
      denied ??= new Set<string>();
      denied.add(topic.name);
    }
  }
  return denied;
}

/** Brook creates a missing topic a producer writes to (Kafka leaves that to Metadata): only with CREATE, as there. */
function mayCreate(authorizer: RequestAuthorizer, context: RequestContext, topic: string): boolean {
  return (
    authorizer.authorizeCluster(context, AclOperation.CREATE, false) ||
    authorizer.authorize(context, AclOperation.CREATE, ResourceType.TOPIC, topic, false)
  );
}

function verifyThenAppend(
  broker: MetadataView & PartitionAccess & QuotaAccess & BrokerSettings & TransactionVerification,
  request: ProduceRequest,
  context: RequestContext,
  denied: ReadonlySet<string> | null,
): HandlerResult<ProduceResponseInput> | Promise<HandlerResult<ProduceResponseInput>> {
  // Partitions of refused topics are neither verified with the coordinator nor appended.
  const allowed =
    denied === null
      ? request
      : { ...request, topicData: request.topicData.filter((t) => !denied.has(t.name)) };
  const verifying = verifyTransactionalProduce(broker, allowed, context.apiVersion);
  if (verifying === null) return appendAll(broker, request, context, undefined, denied);
  return verifying.then((verification) => appendAll(broker, request, context, verification, denied));
}

function appendAll(
  broker: MetadataView & PartitionAccess & QuotaAccess & BrokerSettings,
  request: ProduceRequest,
  context: RequestContext,
  verification: ProduceVerification | undefined,
  denied: ReadonlySet<string> | null,
): HandlerResult<ProduceResponseInput> | Promise<HandlerResult<ProduceResponseInput>> {
  const acks = request.acks;
  let failed = false;
  const appended: {
    partition: Partition;
    lastOffset: bigint;
    response: ProduceResponsePartitionProduceResponseInput;
  }[] = [];
  const responses = request.topicData.map((topic) => {
    const known = broker.image.topic(topic.name) !== undefined;
    const internal = broker.isInternalTopic(topic.name);
    if (denied?.has(topic.name) === true) {
      failed = true;
      return { name: topic.name, partitionResponses: topic.partitionData.map((p) => refused(p.index)) };
    }
    return {
      name: topic.name,
      partitionResponses: topic.partitionData.map((p): ProduceResponsePartitionProduceResponseInput => {
        const verdict = verification?.get(partitionKey(topic.name, p.index));
        try {
          if (internal)
            throw new KafkaError(
              ErrorCode.INVALID_TOPIC_EXCEPTION,
              `Cannot append to internal topic ${topic.name}`,
            );
          const partition = broker.replicaManager.leaderOrError(
            topic.name,
            p.index,
            known && broker.image.partition(topic.name, p.index) !== undefined,
          );
          const records = validateProduceRecords(p.records, context.apiVersion);
          checkVerified(verdict);
          const info = partition.appendRecordsToLeader(records, acks);
          const response = {
            index: p.index,
            errorCode: ErrorCode.NONE,
            baseOffset: info.firstOffset,
            logAppendTimeMs: info.logAppendTimeMs,
            logStartOffset: info.logStartOffset,
          };
          appended.push({ partition, lastOffset: info.lastOffset, response });
          return response;
        } catch (error) {
          failed = true;
          return partitionError(broker, topic.name, p.index, error, context.apiVersion);
        } finally {
          endVerified(verdict);
        }
      }),
    };
  });
  if (acks === 0) {
    // Kafka throttles acks=0 producers by their bytes (muting the connection), not by request time.
    context.quota.requestQuotaExempt = true;
    broker.quotas.recordProduce(context);
    if (failed) context.connection.close();
    return NO_RESPONSE;
  }
  // acks=1: answered once the leader's appends are in its files; acks=all: once the high watermark
  // passed them (every ISR member has them), or with REQUEST_TIMED_OUT after the request's timeout.
  const pending =
    acks === -1
      ? appended.filter((a) => a.partition.highWatermark <= a.lastOffset)
      : appended.filter((a) => a.partition.log.writtenEndOffset < a.partition.log.logEndOffset);
  // The request's bytes count against producer_byte_rate when it is answered, as in Kafka.
  const finish = (): ProduceResponseInput => {
    broker.quotas.recordProduce(context);
    return withLeaderHints(broker, responses, context);
  };
  if (pending.length === 0) return finish();
  const failWith = (a: (typeof appended)[number]) => (error: unknown) => {
    Object.assign(
      a.response,
      partitionError(broker, a.partition.topic, a.response.index, error, context.apiVersion),
    );
  };
  const waits = pending.map((a) =>
    (acks === -1 ? a.partition.whenCommitted(a.lastOffset) : a.partition.whenAppended()).catch(failWith(a)),
  );
  if (acks !== -1) return Promise.all(waits).then(finish);
  // Waiting for the replicas, the request is in purgatory, out of the broker's request queue.
  const unpark = context.connection.park();
  return withTimeout(Promise.all(waits), request.timeoutMs).then((finished) => {
    unpark();
    if (!finished) {
      for (const a of pending) {
        if (a.partition.highWatermark <= a.lastOffset && a.response.errorCode === ErrorCode.NONE) {
          failWith(a)(
            new KafkaError(
              ErrorCode.REQUEST_TIMED_OUT,
              "the in-sync replicas did not all have the records in time",
            ),
          );
        }
      }
    }
    return finish();
  });
}

/** Resolves true when `promise` settles within `timeoutMs`, false on the timeout (Kafka's purgatory). */
function withTimeout(promise: Promise<unknown>, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), Math.max(0, timeoutMs));
    promise.then(
      () => {
        clearTimeout(timer);
        resolve(true);
      },
      () => {
        clearTimeout(timer);
        resolve(true);
      },
    );
  });
}

/** The response, with KIP-951's leader hints for partitions whose leader moved (v10+). */
function withLeaderHints(
  broker: MetadataView,
  responses: { name: string; partitionResponses: ProduceResponsePartitionProduceResponseInput[] }[],
  context: RequestContext,
): ProduceResponseInput {
  if (context.apiVersion < 10) return { responses, throttleTimeMs: 0 };
  const hints = new LeaderHints(broker.image, context.listenerName);
  for (const topic of responses) {
    for (const p of topic.partitionResponses) {
      const currentLeader = hints.hint(p.errorCode, topic.name, p.index);
      if (currentLeader !== undefined) p.currentLeader = currentLeader;
    }
  }
  return { responses, throttleTimeMs: 0, nodeEndpoints: hints.nodeEndpoints };
}

function partitionError(
  broker: BrokerSettings,
  topic: string,
  index: number,
  error: unknown,
  version: number,
): ProduceResponsePartitionProduceResponseInput {
  if (!(error instanceof KafkaError)) {
    broker.log.error(`append to ${topic}-${index} failed: ${describeError(error)}`);
    return {
      index,
      errorCode: ErrorCode.UNKNOWN_SERVER_ERROR,
      baseOffset: -1n,
      logAppendTimeMs: -1n,
      logStartOffset: -1n,
    };
  }
  const response: ProduceResponsePartitionProduceResponseInput = {
    index,
    errorCode: error.errorCode,
    baseOffset: -1n,
    logAppendTimeMs: -1n,
    logStartOffset: -1n,
    errorMessage: version >= 8 ? error.message : null,
  };
  // KIP-467 (v8+): the records that made the batch fail, by index, so that a client fails those.
  if (version >= 8 && error instanceof RecordValidationError) {
    response.recordErrors = error.recordErrors.map((e) => ({
      batchIndex: e.batchIndex,
      batchIndexErrorMessage: e.message,
    }));
  }
  return response;
}

/** Kafka's PartitionResponse(TOPIC_AUTHORIZATION_FAILED): no message. */
function refused(index: number): ProduceResponsePartitionProduceResponseInput {
  return {
    index,
    errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED,
    baseOffset: -1n,
    logAppendTimeMs: -1n,
    logStartOffset: -1n,
  };
}

function everyPartition(request: ProduceRequest, errorCode: number): ProduceResponseInput {
  return {
    throttleTimeMs: 0,
    responses: request.topicData.map((t) => ({
      name: t.name,
      partitionResponses: t.partitionData.map((p) => ({
        index: p.index,
        errorCode,
        baseOffset: -1n,
        logAppendTimeMs: -1n,
        logStartOffset: -1n,
      })),
    })),
  };
}
