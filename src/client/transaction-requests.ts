import {
  type AddPartitionsToTxnResponse,
  ApiKey,
  ErrorCode,
  errorName,
  type InitProducerIdResponse,
  KafkaError,
  type TxnOffsetCommitResponse,
} from "../protocol/index.js";
import type { TopicPartition } from "./admin-group-results.js";
import { offsetCommitTopics } from "./admin-groups.js";
import { ClientError, ClientErrorCode } from "./client-error.js";
import type { ClusterView } from "./cluster-view.js";
import { CoordinatorKeyType, CoordinatorLink } from "./coordinator-link.js";
import type { Deadline } from "./deadline.js";
import type { KafkaConnection } from "./kafka-connection.js";
import {
  type AnswerOutcome,
  answerError,
  answerOutcome,
  type TransactionalRequest,
} from "./transaction-state.js";

export interface ProducerIdAndEpoch {
  producerId: bigint;
  epoch: number;
}

/** What sendOffsetsToTransaction needs of a consumer's group membership (Kafka's ConsumerGroupMetadata). */
export interface ConsumerGroupMetadata {
  groupId: string;
  /** -1 and "" outside a generation: the offsets are then committed without the group's fencing. */
  generationId?: number;
  memberId?: string;
  groupInstanceId?: string | null;
}

export interface TransactionRequestsOptions {
  transactionalId: string;
  transactionTimeoutMs: number;
  requestTimeoutMs: number;
  retryBackoffMs: number;
}

/** A transactional request that ended in an abortable or a fatal error. */
export class TransactionRequestError extends KafkaError {
  readonly outcome: "abortable" | "fatal";

  constructor(outcome: "abortable" | "fatal", error: KafkaError) {
    super(error.errorCode, error.message);
    this.name = "TransactionRequestError";
    this.outcome = outcome;
  }
}

/** Kafka's backoff for CONCURRENT_TRANSACTIONS (the previous transaction is still completing). */
const CONCURRENT_TRANSACTIONS_BACKOFF_MS = 20;
const VERSIONS = {
  initProducerId: { min: 0, max: 4 },
  // v4 and later are the brokers' batched form; clients send v3 or lower.
  addPartitionsToTxn: { min: 0, max: 3 },
  addOffsetsToTxn: { min: 0, max: 3 },
  txnOffsetCommit: { min: 0, max: 3 },
  // v5 belongs to transactions version 2 (KIP-890), which this producer does not use.
  endTxn: { min: 0, max: 4 },
} as const;

/**
 * The requests of a transactional producer to its transaction coordinator (and, for offsets, to
 * the group's), each sent until it is done within the caller's deadline: retried after a backoff on
 * retriable answers and lost connections, to a coordinator looked up again when it moved. An
 * abortable or fatal answer throws a TransactionRequestError; a deadline that passes, a timeout.
 */
export class TransactionRequests {
  private readonly cluster: ClusterView;
  private readonly options: TransactionRequestsOptions;
  private readonly coordinator: CoordinatorLink;
  private readonly groupCoordinators = new Map<string, CoordinatorLink>();

  constructor(cluster: ClusterView, options: TransactionRequestsOptions) {
    this.cluster = cluster;
    this.options = options;
    this.coordinator = new CoordinatorLink(
      cluster,
      CoordinatorKeyType.transaction,
      options.transactionalId,
      options.requestTimeoutMs,
    );
  }

  /** InitProducerId: a first id and epoch, or (KIP-360) the current one with its epoch bumped. */
  initProducerId(current: ProducerIdAndEpoch | null, deadline: Deadline): Promise<ProducerIdAndEpoch> {
    return this.until("InitProducerId", this.coordinator, deadline, async (connection, timeoutMs) => {
      const { min, max } = VERSIONS.initProducerId;
      // Only v3 and later carry the current id (an epoch bump); a first call works with any version.
      const version = connection.negotiatedVersion(ApiKey.InitProducerId, max, current === null ? min : 3);
      const r = await connection.request<InitProducerIdResponse>(
        ApiKey.InitProducerId,
        version,
        {
          transactionalId: this.options.transactionalId,
          transactionTimeoutMs: this.options.transactionTimeoutMs,
          producerId: current?.producerId ?? -1n,
          producerEpoch: current?.epoch ?? -1,
        },
        { timeoutMs },
      );
      return {
        errorCode: r.errorCode,
        message: null,
        value: { producerId: r.producerId, epoch: r.producerEpoch },
      };
    });
  }

  /** AddPartitionsToTxn (v3 or lower): the partitions join the open transaction. */
  addPartitions(
    pe: ProducerIdAndEpoch,
    partitions: readonly TopicPartition[],
    deadline: Deadline,
  ): Promise<void> {
    const topics = new Map<string, number[]>();
    for (const tp of partitions) {
      const list = topics.get(tp.topic);
      if (list === undefined) topics.set(tp.topic, [tp.partition]);
      else list.push(tp.partition);
    }
    return this.until("AddPartitionsToTxn", this.coordinator, deadline, async (connection, timeoutMs) => {
      const { min, max } = VERSIONS.addPartitionsToTxn;
      const version = connection.negotiatedVersion(ApiKey.AddPartitionsToTxn, max, min);
      const r = await connection.request<AddPartitionsToTxnResponse>(
        ApiKey.AddPartitionsToTxn,
        version,
        {
          v3AndBelowTransactionalId: this.options.transactionalId,
          v3AndBelowProducerId: pe.producerId,
          v3AndBelowProducerEpoch: pe.epoch,
          v3AndBelowTopics: [...topics].map(([name, ps]) => ({ name, partitions: ps })),
        },
        { timeoutMs },
      );
      const failed: string[] = [];
      let errorCode: number = ErrorCode.NONE;
      for (const t of r.resultsByTopicV3AndBelow)
        for (const p of t.resultsByPartition) {
          if (p.partitionErrorCode === ErrorCode.NONE) continue;
          failed.push(`${t.name}-${p.partitionIndex}=${errorName(p.partitionErrorCode)}`);
          // The cause, not the partitions that were only not attempted because of it.
          if (errorCode === ErrorCode.NONE || errorCode === ErrorCode.OPERATION_NOT_ATTEMPTED)
            errorCode = p.partitionErrorCode;
        }
      return { errorCode, message: failed.length > 0 ? `{${failed.join(", ")}}` : null, value: undefined };
    });
  }

  /** AddOffsetsToTxn: the group's offsets topic partition joins the transaction. */
  addOffsets(pe: ProducerIdAndEpoch, groupId: string, deadline: Deadline): Promise<void> {
    return this.coordinatorCall(
      "AddOffsetsToTxn",
      ApiKey.AddOffsetsToTxn,
      VERSIONS.addOffsetsToTxn,
      deadline,
      {
        transactionalId: this.options.transactionalId,
        producerId: pe.producerId,
        producerEpoch: pe.epoch,
        groupId,
      },
    );
  }

  /** TxnOffsetCommit to the group's coordinator: the offsets commit (or abort) with the transaction. */
  txnOffsetCommit(
    pe: ProducerIdAndEpoch,
    offsets: readonly (TopicPartition & { offset: bigint; leaderEpoch?: number; metadata?: string | null })[],
    group: ConsumerGroupMetadata,
    deadline: Deadline,
  ): Promise<void> {
    let link = this.groupCoordinators.get(group.groupId);
    if (link === undefined) {
      link = new CoordinatorLink(
        this.cluster,
        CoordinatorKeyType.group,
        group.groupId,
        this.options.requestTimeoutMs,
      );
      this.groupCoordinators.set(group.groupId, link);
    }
    return this.until("TxnOffsetCommit", link, deadline, async (connection, timeoutMs) => {
      const { min, max } = VERSIONS.txnOffsetCommit;
      const version = connection.negotiatedVersion(ApiKey.TxnOffsetCommit, max, min);
      const r = await connection.request<TxnOffsetCommitResponse>(
        ApiKey.TxnOffsetCommit,
        version,
        {
          transactionalId: this.options.transactionalId,
          groupId: group.groupId,
          producerId: pe.producerId,
          producerEpoch: pe.epoch,
          generationId: group.generationId ?? -1,
          memberId: group.memberId ?? "",
          groupInstanceId: group.groupInstanceId ?? null,
          topics: offsetCommitTopics(offsets),
        },
        { timeoutMs },
      );
      const failed = r.topics.flatMap((t) => t.partitions).find((p) => p.errorCode !== ErrorCode.NONE);
      return { errorCode: failed?.errorCode ?? ErrorCode.NONE, message: null, value: undefined };
    });
  }

  /** EndTxn: the coordinator writes the commit or abort markers. */
  endTxn(pe: ProducerIdAndEpoch, committed: boolean, deadline: Deadline): Promise<void> {
    return this.coordinatorCall("EndTxn", ApiKey.EndTxn, VERSIONS.endTxn, deadline, {
      transactionalId: this.options.transactionalId,
      producerId: pe.producerId,
      producerEpoch: pe.epoch,
      committed,
    });
  }

  /** A request to the transaction coordinator whose answer is one error code. */
  private coordinatorCall(
    request: TransactionalRequest,
    apiKey: number,
    versions: { min: number; max: number },
    deadline: Deadline,
    body: object,
  ): Promise<void> {
    return this.until(request, this.coordinator, deadline, async (connection, timeoutMs) => {
      const version = connection.negotiatedVersion(apiKey, versions.max, versions.min);
      const r = await connection.request<{ errorCode: number }>(apiKey, version, body, { timeoutMs });
      return { errorCode: r.errorCode, message: null, value: undefined };
    });
  }

  private async until<T>(
    request: TransactionalRequest,
    link: CoordinatorLink,
    deadline: Deadline,
    send: (
      connection: KafkaConnection,
      timeoutMs: number,
    ) => Promise<{ errorCode: number; message: string | null; value: T }>,
  ): Promise<T> {
    for (;;) {
      let message: string | null = null;
      const outcome = await link.attempt(async (connection) => {
        const answer = await send(connection, deadline.attemptTimeoutMs(this.options.requestTimeoutMs));
        message = answer.message;
        return answer;
      });
      const code = outcome.errorCode;
      const meaning: AnswerOutcome = code === null ? "findCoordinator" : answerOutcome(request, code);
      if (meaning === "done") return outcome.value as T;
      if (meaning === "abortable" || meaning === "fatal")
        throw new TransactionRequestError(
          meaning,
          answerError(request, code as number, this.options.transactionalId, message),
        );
      if (meaning === "findCoordinator") link.forget();
      if (deadline.expired())
        throw new ClientError(
          ClientErrorCode.timeout,
          `Timeout expired while awaiting ${request}${code === null ? "" : ` (last answer ${errorName(code)})`}`,
        );
      await deadline.sleep(
        code === ErrorCode.CONCURRENT_TRANSACTIONS
          ? Math.min(CONCURRENT_TRANSACTIONS_BACKOFF_MS, this.options.retryBackoffMs)
          : this.options.retryBackoffMs,
      );
    }
  }
}
