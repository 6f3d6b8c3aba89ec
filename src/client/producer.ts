import { assert } from "../base/index.js";
import {
  ApiKey,
  CompressionType,
  ErrorCode,
  encodeRecordBatch,
  errorName,
  type InitProducerIdRequestInput,
  type InitProducerIdResponse,
  isRetriable,
  KafkaError,
  type ProduceRequestInput,
  type ProduceResponse,
  type RecordHeader,
  type RecordInput,
} from "../protocol/index.js";
import type { TopicPartition } from "./admin-group-results.js";
import { BufferMemory } from "./buffer-memory.js";
import { ClientError, ClientErrorCode, isConnectionFailure } from "./client-error.js";
import type { ClientSasl } from "./client-sasl.js";
import type { ClientTls } from "./client-tls.js";
import { ClusterView } from "./cluster-view.js";
import { Deadline } from "./deadline.js";
import type { KafkaConnection } from "./kafka-connection.js";
import { partitionForKey } from "./partitioner.js";
import {
  type Batch,
  batchRecordBytes,
  type PartitionQueue,
  RecordAccumulator,
  type RecordMetadata,
  recordBytes,
  type Waiter,
} from "./record-accumulator.js";
import {
  type ConsumerGroupMetadata,
  type ProducerIdAndEpoch,
  TransactionRequestError,
  TransactionRequests,
} from "./transaction-requests.js";
import { illegalState, TransactionStateMachine } from "./transaction-state.js";

export type CompressionName = "none" | "gzip" | "snappy" | "lz4" | "zstd";

export interface ProducerOptions {
  /** `host:port` addresses, as an array or comma-separated. */
  bootstrap: string | readonly string[];
  clientId?: string;
  /** 0 (no answer), 1 (the leader has it), -1 or "all" (every in-sync replica has it). Kafka's default: all. */
  acks?: 0 | 1 | -1 | "all";
  /** How long a batch waits for more records before it is sent (linger.ms; Kafka 4's default 5). */
  lingerMs?: number;
  /** A batch is sent once its records take this many bytes (batch.size). */
  batchSize?: number;
  compression?: CompressionName;
  /** One produce request's limit (request.timeout.ms). */
  requestTimeoutMs?: number;
  /** A record's limit from send() to its acknowledgement, retries included (delivery.timeout.ms). */
  deliveryTimeoutMs?: number;
  /** Attempts after the first for a batch answered with a retriable error (retries). */
  retries?: number;
  retryBackoffMs?: number;
  /**
   * Idempotence (enable.idempotence): a producer id from the broker and a sequence number per
   * batch, so that a batch sent again after a lost answer is written once. Kafka's default: on,
   * unless acks is not all or retries is 0 (then off, as Kafka turns it off when not set
   * explicitly); asked for with those, it is refused as Kafka refuses it.
   */
  idempotence?: boolean;
  /**
   * How long send() waits for a topic's metadata or for room in the buffer, and the transactional
   * calls for their answers (max.block.ms).
   */
  maxBlockMs?: number;
  /** Record bytes buffered and not yet answered at most (buffer.memory); past it, records wait. */
  bufferMemory?: number;
  metadataMaxAgeMs?: number;
  /**
   * Makes the producer transactional (transactional.id): initTransactions() once, then records are
   * sent inside beginTransaction() ... commitTransaction() or abortTransaction(). Needs idempotence.
   */
  transactionalId?: string;
  /** The coordinator aborts a transaction left open longer than this (transaction.timeout.ms). */
  transactionTimeoutMs?: number;
  /** Connect with TLS (Kafka's security.protocol=SSL); default plaintext. */
  ssl?: ClientTls;
  /** Authenticate with SASL (security.protocol=SASL_PLAINTEXT or SASL_SSL). */
  sasl?: ClientSasl;
}

/** Offsets to commit with a transaction: the next record to read of each partition. */
export interface TransactionOffset extends TopicPartition {
  offset: bigint;
  leaderEpoch?: number;
  metadata?: string | null;
}

export interface ProducerRecord {
  topic: string;
  /** Chosen by the partitioner when absent (murmur2 of the key, or sticky for keyless records). */
  partition?: number;
  key?: Buffer | string | null;
  value: Buffer | string | null;
  headers?: readonly { key: string; value: Buffer | string | null }[];
  /** CreateTime in ms; now when absent. */
  timestamp?: number | bigint;
}

export type { RecordMetadata } from "./record-accumulator.js";

export const PRODUCER_DEFAULTS = {
  acks: -1,
  lingerMs: 5,
  batchSize: 16 * 1024,
  requestTimeoutMs: 30_000,
  deliveryTimeoutMs: 120_000,
  retries: 2_147_483_647,
  retryBackoffMs: 100,
  maxBlockMs: 60_000,
  bufferMemory: 32 * 1024 * 1024,
  transactionTimeoutMs: 60_000,
} as const;

/** Produce versions used: v3 (record batches) to v11 (v12 is for transactions version 2). */
const PRODUCE_VERSION_MIN = 3;
const PRODUCE_VERSION_MAX = 11;
/** Answers after which an idempotent producer needs a new producer id (its sequences are void). */
const PRODUCER_STATE_LOST: ReadonlySet<number> = new Set([
  ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
  ErrorCode.UNKNOWN_PRODUCER_ID,
  ErrorCode.INVALID_PRODUCER_EPOCH,
  ErrorCode.PRODUCER_FENCED,
]);

/**
 * Brook's producer: records are partitioned as Kafka's default partitioner does, gathered per
 * partition into batches (linger.ms, batch.size), encoded once as record batches (compressed
 * with the chosen codec) and sent to each partition's leader, one produce request per leader
 * carrying a batch for each of its partitions. A batch answered with a retriable error (a
 * leader that moved, a broker that went away) is sent again after a metadata refresh and a
 * backoff, within delivery.timeout.ms; with one batch in flight per partition, records keep
 * their order through retries.
 *
 * Idempotent by default (Kafka's default with acks=all): a producer id from InitProducerId and
 * sequence numbers per partition, assigned when a batch is first sent, so that a retry after a lost
 * answer is recognised by the broker and written once.
 *
 * Transactional with a transactional id (Kafka's TransactionManager, transactions version 1): the
 * partitions a transaction writes are added with AddPartitionsToTxn before its first batch to them
 * goes out, consumed offsets join it with sendOffsetsToTransaction, and EndTxn commits or aborts
 * it. An error while a transaction is open makes it abortable (its unsent records fail, commit
 * refuses, abort starts over, with a new epoch when sent batches may be half-written); being
 * fenced by a newer producer with the same id, or an unexpected answer, is fatal. Buffered record
 * bytes are bounded by bufferMemory (buffer.memory, `buffer-memory.ts`).
 */
export class Producer {
  private readonly cluster: ClusterView;
  private readonly acks: 0 | 1 | -1;
  private readonly lingerMs: number;
  private readonly batchSize: number;
  private readonly compression: number;
  private readonly requestTimeoutMs: number;
  private readonly deliveryTimeoutMs: number;
  private readonly retries: number;
  private readonly retryBackoffMs: number;
  private readonly maxBlockMs: number;
  private readonly accumulator: RecordAccumulator;
  private readonly memory: BufferMemory;
  private drainScheduled = false;
  private retryTimer: NodeJS.Timeout | null = null;
  /** Records sent and not yet acknowledged or failed; `flush` waits for none. */
  private outstanding = 0;
  private idleWaiters: (() => void)[] = [];
  private closed = false;
  private readonly idempotent: boolean;
  /** The producer id and epoch the broker gave (idempotence), or the attempt to get them. */
  private producerId = -1n;
  private producerEpoch = -1;
  private initializing: Promise<void> | null = null;
  /** Transactions: the state, the coordinator's requests, and this transaction's partitions. */
  private readonly transactionalId: string | null;
  private readonly txn: TransactionStateMachine | null;
  private readonly txnRequests: TransactionRequests | null;
  private readonly partitionsInTransaction = new Set<PartitionQueue>();
  private readonly newPartitions = new Set<PartitionQueue>();
  private adding: Promise<void> | null = null;
  /** Whether the coordinator knows of the open transaction (partitions or offsets added): EndTxn is due. */
  private transactionStarted = false;
  /** A sent batch failed in this transaction: its sequences may be half-used, so abort bumps the epoch. */
  private epochBumpRequired = false;

  constructor(options: ProducerOptions) {
    this.acks = options.acks === "all" ? -1 : (options.acks ?? PRODUCER_DEFAULTS.acks);
    assert([0, 1, -1].includes(this.acks), `acks must be 0, 1, -1 or all, got ${options.acks}`);
    this.lingerMs = options.lingerMs ?? PRODUCER_DEFAULTS.lingerMs;
    this.batchSize = options.batchSize ?? PRODUCER_DEFAULTS.batchSize;
    this.compression = CompressionType[options.compression ?? "none"];
    this.requestTimeoutMs = options.requestTimeoutMs ?? PRODUCER_DEFAULTS.requestTimeoutMs;
    this.deliveryTimeoutMs = options.deliveryTimeoutMs ?? PRODUCER_DEFAULTS.deliveryTimeoutMs;
    this.retries = options.retries ?? PRODUCER_DEFAULTS.retries;
    this.retryBackoffMs = options.retryBackoffMs ?? PRODUCER_DEFAULTS.retryBackoffMs;
    this.maxBlockMs = options.maxBlockMs ?? PRODUCER_DEFAULTS.maxBlockMs;
    const compatible = this.acks === -1 && this.retries > 0;
    this.transactionalId = options.transactionalId ?? null;
    if (this.transactionalId !== null && options.idempotence === false)
      throw new KafkaError(
        ErrorCode.INVALID_CONFIG,
        "Cannot set a transactional.id without also enabling idempotence.",
      );
    if ((options.idempotence === true || this.transactionalId !== null) && !compatible)
      throw new KafkaError(
        ErrorCode.INVALID_CONFIG,
        "Must set acks to all and retries to a value greater than 0 in order to use the idempotent producer.",
      );
    this.idempotent = this.transactionalId !== null || (options.idempotence ?? compatible);
    this.memory = new BufferMemory(options.bufferMemory ?? PRODUCER_DEFAULTS.bufferMemory, this.maxBlockMs);
    this.accumulator = new RecordAccumulator({
      lingerMs: this.lingerMs,
      batchSize: this.batchSize,
      deliveryTimeoutMs: this.deliveryTimeoutMs,
      drainNow: () => this.drain(),
      drainSoon: () => this.scheduleDrain(),
      partitionCountOf: (topic) => this.cluster.partitionCountOf(topic),
    });
    this.cluster = new ClusterView({
      bootstrap: options.bootstrap,
      clientId: options.clientId ?? "brook-producer",
      requestTimeoutMs: this.requestTimeoutMs,
      ...(options.ssl === undefined ? {} : { ssl: options.ssl }),
      ...(options.sasl === undefined ? {} : { sasl: options.sasl }),
      ...(options.metadataMaxAgeMs === undefined ? {} : { metadataMaxAgeMs: options.metadataMaxAgeMs }),
    });
    if (this.transactionalId === null) {
      this.txn = null;
      this.txnRequests = null;
    } else {
      this.txn = new TransactionStateMachine(this.transactionalId);
      this.txnRequests = new TransactionRequests(this.cluster, {
        transactionalId: this.transactionalId,
        transactionTimeoutMs: options.transactionTimeoutMs ?? PRODUCER_DEFAULTS.transactionTimeoutMs,
        requestTimeoutMs: this.requestTimeoutMs,
        retryBackoffMs: this.retryBackoffMs,
      });
    }
  }

  /**
   * Queues a record; resolves once the broker acknowledged it (per `acks`), rejects with the
   * KafkaError the broker answered, or with a timeout after delivery.timeout.ms. With a callback
   * (Kafka's send(record, callback)), the callback hears the same outcome, and a rejection nobody
   * awaits is not an unhandled one.
   */
  send(
    record: ProducerRecord,
    callback?: (error: Error | null, metadata: RecordMetadata | null) => void,
  ): Promise<RecordMetadata> {
    const sent = this.enqueue(record);
    if (callback !== undefined)
      sent.then(
        (metadata) => callback(null, metadata),
        (error: unknown) => callback(error instanceof Error ? error : new Error(String(error)), null),
      );
    return sent;
  }

  private enqueue(record: ProducerRecord): Promise<RecordMetadata> {
    if (this.closed) return Promise.reject(new Error("the producer is closed"));
    if (this.txn !== null) {
      try {
        this.txn.checkSend(this.producerId >= 0n, record.topic, record.partition);
      } catch (error) {
        return Promise.reject(error);
      }
    }
    // Counted from the call, so that a flush also waits for records still waiting for metadata.
    this.outstanding++;
    // The common case stays synchronous up to the batch: no promise besides the record's own.
    const partitions = this.cluster.freshTopic(record.topic)?.partitions.length ?? 0;
    if (partitions > 0)
      return new Promise((resolve, reject) => this.accept(record, partitions, { resolve, reject }));
    return this.partitionCount(record.topic).then(
      (count) => new Promise((resolve, reject) => this.accept(record, count, { resolve, reject })),
      (error: unknown) => {
        this.settled();
        throw error;
      },
    );
  }

  /** Partitions the record and adds it to its partition's open batch; the waiter hears the outcome. */
  private accept(record: ProducerRecord, partitions: number, waiter: Waiter): void {
    const key = toBytes(record.key ?? null);
    let partition: number;
    if (record.partition !== undefined) {
      if (!Number.isInteger(record.partition) || record.partition < 0 || record.partition >= partitions) {
        this.settled();
        waiter.reject(
          new KafkaError(
            ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
            `partition ${record.partition} is not one of topic ${record.topic}'s ${partitions}`,
          ),
        );
        return;
      }
      partition = record.partition;
    } else if (key !== null) {
      partition = partitionForKey(key, partitions);
    } else {
      partition = this.accumulator.stickyPartition(record.topic, partitions);
    }
    const input: RecordInput = {
      key,
      value: toBytes(record.value),
      timestamp: BigInt(record.timestamp ?? Date.now()),
    };
    if (record.headers !== undefined)
      input.headers = record.headers.map((h): RecordHeader => ({ key: h.key, value: toBytes(h.value) }));
    const bytes = recordBytes(input);
    if (bytes > this.memory.limitBytes) {
      this.settled();
      waiter.reject(
        new KafkaError(
          ErrorCode.MESSAGE_TOO_LARGE,
          `The message is ${bytes} bytes when serialized which is larger than the total memory buffer you have configured with the buffer.memory configuration.`,
        ),
      );
      return;
    }
    this.memory.request(
      bytes,
      () => this.accumulator.append(record.topic, partition, partitions, input, waiter, bytes),
      () => {
        this.settled();
        waiter.reject(
          new ClientError(
            ClientErrorCode.timeout,
            `Failed to allocate memory within the configured max blocking time ${this.maxBlockMs} ms.`,
          ),
        );
      },
    );
  }

  /** One sent record was answered (or failed): a flush may be done. */
  private settled(): void {
    if (--this.outstanding === 0) for (const w of this.idleWaiters.splice(0)) w();
  }

  /** Sends every buffered record now and resolves once all are acknowledged or failed. */
  async flush(): Promise<void> {
    this.accumulator.beginFlush();
    try {
      this.drain();
      if (this.outstanding === 0) return;
      await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    } finally {
      this.accumulator.endFlush();
    }
  }

  /** Flushes, then closes the connections. */
  async close(): Promise<void> {
    if (this.closed) return;
    // As Kafka's producer does on a graceful close: an open transaction is aborted, not left to time out.
    if (this.txn?.state === "IN_TRANSACTION") await this.abortTransaction().catch(() => {});
    await this.flush();
    this.closed = true;
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    this.cluster.close();
  }

  /**
   * Gets the transactional id's producer id and epoch from its coordinator, which fences any
   * earlier producer with the same id and completes (aborts) a transaction it left open. Once per
   * producer; a call that timed out may be made again.
   */
  async initTransactions(): Promise<void> {
    const txn = this.transactional();
    txn.throwIfFailed(this.describeProducerId());
    if (txn.state !== "INITIALIZING") txn.transitionTo("INITIALIZING");
    this.useProducerId(await this.transactionRequest(txn, (r, deadline) => r.initProducerId(null, deadline)));
    txn.transitionTo("READY");
  }

  /** Opens a transaction: the records sent until commit or abort belong to it. */
  beginTransaction(): void {
    const txn = this.transactional();
    txn.throwIfFailed(this.describeProducerId());
    txn.transitionTo("IN_TRANSACTION");
  }

  /**
   * Commits consumed offsets with the transaction (consume-transform-produce, exactly once): they
   * count only if the transaction commits. `group` is the consumer's groupMetadata(), whose
   * generation fences a member that lost its partitions; a group id alone commits without it.
   */
  async sendOffsetsToTransaction(
    offsets: readonly TransactionOffset[],
    group: ConsumerGroupMetadata | string,
  ): Promise<void> {
    const txn = this.transactional();
    txn.throwIfFailed(this.describeProducerId());
    if (txn.state !== "IN_TRANSACTION")
      throw illegalState(
        `Cannot send offsets if a transaction is not in progress (currentState= ${txn.state})`,
      );
    const metadata = typeof group === "string" ? { groupId: group } : group;
    const pe = this.producerIdAndEpoch();
    await this.transactionRequest(txn, (r, deadline) => r.addOffsets(pe, metadata.groupId, deadline));
    this.transactionStarted = true;
    if (offsets.length > 0)
      await this.transactionRequest(txn, (r, deadline) => r.txnOffsetCommit(pe, offsets, metadata, deadline));
  }

  /**
   * Sends what is buffered, then commits: every record of the transaction becomes visible to
   * read_committed consumers, with the offsets sent to it. If a record failed, the commit is
   * refused with that error and the transaction must be aborted.
   */
  async commitTransaction(): Promise<void> {
    const txn = this.transactional();
    // A commit that timed out is completed by calling again.
    if (txn.state !== "COMMITTING_TRANSACTION") {
      txn.throwIfFailed(this.describeProducerId());
      txn.transitionTo("COMMITTING_TRANSACTION");
    }
    await this.flush();
    txn.throwIfFailed(this.describeProducerId());
    const pe = this.producerIdAndEpoch();
    if (this.transactionStarted)
      await this.transactionRequest(txn, (r, deadline) => r.endTxn(pe, true, deadline));
    this.completeTransaction(txn);
  }

  /**
   * Aborts the transaction: records not yet sent fail (ClientError transactionAborted), those
   * sent are marked aborted, and read_committed consumers never see them. Also the way out of an
   * abortable error.
   */
  async abortTransaction(): Promise<void> {
    const txn = this.transactional();
    if (txn.state !== "ABORTING_TRANSACTION") {
      if (txn.state !== "ABORTABLE_ERROR") txn.throwIfFailed(this.describeProducerId());
      txn.transitionTo("ABORTING_TRANSACTION");
    }
    this.newPartitions.clear();
    // Unsent batches fail in drain (no transaction is open any more); sent ones are answered.
    await this.flush();
    await this.adding;
    const pe = this.producerIdAndEpoch();
    if (this.transactionStarted)
      await this.transactionRequest(txn, (r, deadline) => r.endTxn(pe, false, deadline));
    if (this.epochBumpRequired) {
      this.useProducerId(await this.transactionRequest(txn, (r, deadline) => r.initProducerId(pe, deadline)));
      this.epochBumpRequired = false;
    }
    this.completeTransaction(txn);
  }

  private transactional(): TransactionStateMachine {
    if (this.txn === null)
      throw illegalState("Transactional method invoked on a non-transactional producer.");
    return this.txn;
  }

  /** One transactional request within max.block.ms; an abortable or fatal answer sets the state. */
  private async transactionRequest<T>(
    txn: TransactionStateMachine,
    run: (requests: TransactionRequests, deadline: Deadline) => Promise<T>,
  ): Promise<T> {
    try {
      return await run(this.txnRequests as TransactionRequests, new Deadline(this.maxBlockMs));
    } catch (error) {
      if (error instanceof TransactionRequestError) this.transactionRequestFailed(txn, error);
      throw error;
    }
  }

  private transactionRequestFailed(txn: TransactionStateMachine, error: Error): void {
    const fatal = error instanceof TransactionRequestError && error.outcome === "fatal";
    // An abort under way ends the transaction anyway; only a fatal error changes that.
    if (txn.state === "ABORTING_TRANSACTION" && !fatal) return;
    txn.fail(error, fatal);
  }

  /** Adds the partitions that have batches waiting to the open transaction, then sends them. */
  private async addPartitions(): Promise<void> {
    const txn = this.txn as TransactionStateMachine;
    const adding = [...this.newPartitions];
    this.newPartitions.clear();
    try {
      await (this.txnRequests as TransactionRequests).addPartitions(
        this.producerIdAndEpoch(),
        adding,
        new Deadline(this.deliveryTimeoutMs),
      );
      this.transactionStarted = true;
      if (txn.inTransaction) for (const q of adding) this.partitionsInTransaction.add(q);
    } catch (error) {
      this.transactionRequestFailed(txn, error instanceof Error ? error : new Error(String(error)));
    } finally {
      this.adding = null;
    }
    this.drain();
  }

  /** No transaction open (aborting, or an error): what was not sent fails, as Kafka's accumulator aborts it. */
  private failUnsentOfTransaction(txn: TransactionStateMachine): void {
    const error =
      txn.lastError ??
      new ClientError(ClientErrorCode.transactionAborted, "Failing batch since transaction was aborted");
    for (const b of this.accumulator.takeUnsent()) this.fail(b, error);
  }

  /** A record of the transaction failed: the transaction can only be aborted now (or is fenced). */
  private transactionBatchFailed(txn: TransactionStateMachine, b: Batch, error: Error): void {
    if (b.encoded !== null) this.epochBumpRequired = true;
    if (!txn.inTransaction) return;
    const code = error instanceof KafkaError ? error.errorCode : null;
    const fatal =
      code === ErrorCode.PRODUCER_FENCED || code === ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED;
    txn.fail(error, fatal);
  }

  private completeTransaction(txn: TransactionStateMachine): void {
    txn.transitionTo("READY");
    this.partitionsInTransaction.clear();
    this.newPartitions.clear();
    this.transactionStarted = false;
  }

  private producerIdAndEpoch(): ProducerIdAndEpoch {
    return { producerId: this.producerId, epoch: this.producerEpoch };
  }

  /** A new producer id or epoch: every partition's sequences start again at 0. */
  private useProducerId(pe: ProducerIdAndEpoch): void {
    this.producerId = pe.producerId;
    this.producerEpoch = pe.epoch;
    for (const q of this.accumulator.queues) q.nextSequence = 0;
  }

  private describeProducerId(): string {
    return `ProducerIdAndEpoch(producerId=${this.producerId}, epoch=${this.producerEpoch})`;
  }

  private async partitionCount(topic: string): Promise<number> {
    const deadline = performance.now() + this.maxBlockMs;
    for (;;) {
      const metadata = await this.cluster.topic(topic, true);
      if (metadata.errorCode === ErrorCode.NONE && metadata.partitions.length > 0)
        return metadata.partitions.length;
      if (
        !isRetriable(metadata.errorCode) &&
        metadata.errorCode !== ErrorCode.NONE &&
        metadata.errorCode !== ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
      )
        throw new KafkaError(metadata.errorCode, `topic ${topic}: ${errorName(metadata.errorCode)}`);
      if (performance.now() + this.retryBackoffMs > deadline)
        throw new KafkaError(
          ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
          `Topic ${topic} not present in metadata after ${this.maxBlockMs} ms.`,
        );
      await sleep(this.retryBackoffMs);
      await this.cluster.refresh([topic], true);
    }
  }

  private scheduleDrain(): void {
    if (this.drainScheduled) return;
    this.drainScheduled = true;
    queueMicrotask(() => {
      this.drainScheduled = false;
      this.drain();
    });
  }

  /** Sends the first ready batch of every partition not in flight, one request per leader. */
  private drain(): void {
    if (this.txn !== null && !this.txn.inTransaction) this.failUnsentOfTransaction(this.txn);
    const now = performance.now();
    const byLeader = new Map<number, Batch[]>();
    let refresh = false;
    let nextRetryMs = Number.POSITIVE_INFINITY;
    for (const q of this.accumulator.queues) {
      if (q.inFlight || q.ready.length === 0) continue;
      if (q.retryAtMs > now) {
        nextRetryMs = Math.min(nextRetryMs, q.retryAtMs);
        continue;
      }
      const batch = q.ready[0] as Batch;
      this.accumulator.mergeQueued(q, batch);
      if (now >= batch.deadlineMs) {
        q.ready.shift();
        this.fail(
          batch,
          new KafkaError(ErrorCode.REQUEST_TIMED_OUT, expiredMessage(batch, this.deliveryTimeoutMs)),
        );
        continue;
      }
      // A transaction's partition takes batches once the coordinator has added it (AddPartitionsToTxn).
      if (this.txn !== null && !this.partitionsInTransaction.has(q)) {
        this.newPartitions.add(q);
        continue;
      }
      const leader = this.cluster.leaderOf(q.topic, q.partition);
      if (leader === null) {
        refresh = true;
        q.retryAtMs = now + this.retryBackoffMs;
        nextRetryMs = Math.min(nextRetryMs, q.retryAtMs);
        continue;
      }
      q.inFlight = true;
      const list = byLeader.get(leader);
      if (list === undefined) byLeader.set(leader, [batch]);
      else list.push(batch);
    }
    if (refresh) this.refreshQueued();
    if (this.newPartitions.size > 0 && this.adding === null) this.adding = this.addPartitions();
    for (const [leader, batches] of byLeader) void this.produce(leader, batches);
    if (nextRetryMs !== Number.POSITIVE_INFINITY && this.retryTimer === null && !this.closed) {
      this.retryTimer = setTimeout(
        () => {
          this.retryTimer = null;
          this.drain();
        },
        Math.max(1, nextRetryMs - now),
      );
    }
  }

  private refreshQueued(): void {
    this.cluster.refresh(this.accumulator.topicsWithReady(), true).catch(() => {
      // The next drain tries again after the backoff.
    });
  }

  private async produce(leader: number, batches: Batch[]): Promise<void> {
    let response: ProduceResponse | null = null;
    let failure: unknown = null;
    /** Whether the request left: a broker that cannot be reached costs no retry (Kafka holds the batch). */
    let sent = false;
    try {
      const connection = await this.cluster.connection(leader, "produce");
      const version = connection.negotiatedVersion(ApiKey.Produce, PRODUCE_VERSION_MAX, PRODUCE_VERSION_MIN);
      if (this.idempotent && this.txn === null && this.producerId < 0n) await this.initProducerId(connection);
      const byTopic = new Map<string, { index: number; records: Buffer }[]>();
      for (const b of batches) {
        b.encoded ??= this.encode(b);
        const entry = { index: b.partition, records: b.encoded };
        const list = byTopic.get(b.topic);
        if (list === undefined) byTopic.set(b.topic, [entry]);
        else list.push(entry);
      }
      const body: ProduceRequestInput = {
        transactionalId: this.transactionalId,
        acks: this.acks,
        timeoutMs: this.requestTimeoutMs,
        topicData: [...byTopic].map(([name, partitionData]) => ({ name, partitionData })),
      };
      for (const b of batches) b.attempts++;
      sent = true;
      if (this.acks === 0) await connection.sendAcksZeroProduce(version, { ...body, acks: 0 });
      else
        response = await connection.request<ProduceResponse>(ApiKey.Produce, version, body, {
          timeoutMs: this.requestTimeoutMs + 5_000,
        });
    } catch (error) {
      failure = error;
    }
    const answers = new Map<string, ProduceResponse["responses"][number]["partitionResponses"][number]>();
    for (const t of response?.responses ?? [])
      for (const p of t.partitionResponses) answers.set(`${t.name}\u0000${p.index}`, p);
    for (const b of batches) {
      const q = b.queue;
      q.inFlight = false;
      if (failure !== null) {
        const retriable =
          isConnectionFailure(failure) || (failure instanceof KafkaError && failure.retriable);
        this.retryOrFail(q, b, failure, retriable, sent);
        continue;
      }
      if (this.acks === 0) {
        q.ready.shift();
        this.complete(b, -1n, -1n);
        continue;
      }
      const answer = answers.get(`${b.topic}\u0000${b.partition}`);
      if (answer === undefined) {
        this.retryOrFail(
          q,
          b,
          new KafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, "the broker left the partition out of its answer"),
          false,
        );
        continue;
      }
      // A duplicate is a batch the broker already has: written once, as idempotence promises.
      if (answer.errorCode === ErrorCode.NONE || answer.errorCode === ErrorCode.DUPLICATE_SEQUENCE_NUMBER) {
        q.ready.shift();
        this.complete(b, answer.baseOffset, answer.logAppendTimeMs);
        continue;
      }
      // A transactional producer starts over only when its transaction is aborted (an epoch bump).
      if (this.idempotent && this.txn === null && PRODUCER_STATE_LOST.has(answer.errorCode))
        this.resetProducerId();
      const message =
        answer.errorMessage ??
        (answer.recordErrors.length > 0
          ? answer.recordErrors
              .map((e) => `record ${e.batchIndex}: ${e.batchIndexErrorMessage ?? ""}`)
              .join("; ")
          : errorName(answer.errorCode));
      this.retryOrFail(q, b, new KafkaError(answer.errorCode, message), isRetriable(answer.errorCode));
    }
    this.drain();
  }

  /**
   * The batch's bytes, once: with idempotence it takes the partition's next sequence numbers, so
   * every retry carries the same ones and the broker writes it once.
   */
  private encode(b: Batch): Buffer {
    if (!this.idempotent) return encodeRecordBatch({ records: b.records, compression: this.compression });
    const q = b.queue;
    const baseSequence = q.nextSequence;
    // Sequences wrap at 2^31 as Kafka's do (DefaultRecordBatch.incrementSequence).
    q.nextSequence = (q.nextSequence + b.records.length) % 2 ** 31;
    return encodeRecordBatch({
      records: b.records,
      compression: this.compression,
      producerId: this.producerId,
      producerEpoch: this.producerEpoch,
      baseSequence,
      isTransactional: this.txn !== null,
    });
  }

  /** A producer id for idempotence (InitProducerId without a transactional id), from any broker. */
  private initProducerId(connection: KafkaConnection): Promise<void> {
    this.initializing ??= (async () => {
      try {
        const version = connection.negotiatedVersion(ApiKey.InitProducerId, 4, 0);
        const body: InitProducerIdRequestInput = {
          transactionalId: null,
          transactionTimeoutMs: 60_000,
          producerId: -1n,
          producerEpoch: -1,
        };
        const answer = await connection.request<InitProducerIdResponse>(ApiKey.InitProducerId, version, body);
        if (answer.errorCode !== ErrorCode.NONE)
          throw new KafkaError(answer.errorCode, `InitProducerId: ${errorName(answer.errorCode)}`);
        this.producerId = answer.producerId;
        this.producerEpoch = answer.producerEpoch;
      } finally {
        this.initializing = null;
      }
    })();
    return this.initializing;
  }

  /**
   * The broker lost or refused the producer's state (an expired producer id, a sequence gap): the
   * batch fails, and the producer starts over with a new id and sequences from 0 (batches not yet
   * answered are encoded again with them).
   */
  private resetProducerId(): void {
    this.producerId = -1n;
    this.producerEpoch = -1;
    for (const q of this.accumulator.queues) {
      q.nextSequence = 0;
      for (const b of q.ready) if (!q.inFlight || b !== q.ready[0]) b.encoded = null;
    }
  }

  /**
   * Sends the batch again after the backoff while it may be (a retriable error, retries left, within
   * delivery.timeout.ms), else fails it. An attempt that never left (the leader could not be
   * reached: a broker that just died, before the metadata names another) counts against the
   * delivery timeout only, as Kafka's producer holds such batches instead of spending retries.
   */
  private retryOrFail(q: PartitionQueue, b: Batch, error: unknown, retriable: boolean, sent = true): void {
    const now = performance.now();
    const retriesLeft = !sent || b.attempts <= this.retries;
    if (retriable && retriesLeft && now + this.retryBackoffMs < b.deadlineMs && !this.closed) {
      q.retryAtMs = now + this.retryBackoffMs;
      this.cluster.refresh([q.topic], true).catch(() => {});
      return;
    }
    q.ready.shift();
    this.fail(b, error instanceof Error ? error : new Error(String(error)));
  }

  private complete(b: Batch, baseOffset: bigint, logAppendTimeMs: bigint): void {
    this.memory.release(batchRecordBytes(b));
    for (let i = 0; i < b.waiters.length; i++) {
      (b.waiters[i] as Waiter).resolve({
        topic: b.topic,
        partition: b.partition,
        offset: baseOffset < 0n ? -1n : baseOffset + BigInt(i),
        timestamp: logAppendTimeMs >= 0n ? logAppendTimeMs : ((b.records[i] as RecordInput).timestamp ?? -1n),
      });
      this.settled();
    }
  }

  private fail(b: Batch, error: Error): void {
    this.memory.release(batchRecordBytes(b));
    if (this.txn !== null) this.transactionBatchFailed(this.txn, b, error);
    for (const w of b.waiters) {
      w.reject(error);
      this.settled();
    }
  }
}

function toBytes(v: Buffer | string | null): Buffer | null {
  if (v === null) return null;
  return typeof v === "string" ? Buffer.from(v, "utf8") : v;
}

function expiredMessage(b: Batch, deliveryTimeoutMs: number): string {
  return `Expiring ${b.records.length} record(s) for ${b.topic}-${b.partition}: ${deliveryTimeoutMs} ms has passed since batch creation`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
