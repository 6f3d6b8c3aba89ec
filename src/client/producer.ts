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
import { isConnectionFailure } from "./client-error.js";
import { ClusterView } from "./cluster-view.js";
import type { KafkaConnection } from "./kafka-connection.js";
import { partitionForKey, StickyPartitions } from "./partitioner.js";

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
  /** How long send() waits for a topic's metadata (max.block.ms). */
  maxBlockMs?: number;
  metadataMaxAgeMs?: number;
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

export interface RecordMetadata {
  topic: string;
  partition: number;
  /** -1 with acks=0, which gets no answer. */
  offset: bigint;
  /** The record's CreateTime, or the broker's LogAppendTime on topics that use it. */
  timestamp: bigint;
}

export const PRODUCER_DEFAULTS = {
  acks: -1,
  lingerMs: 5,
  batchSize: 16 * 1024,
  requestTimeoutMs: 30_000,
  deliveryTimeoutMs: 120_000,
  retries: 2_147_483_647,
  retryBackoffMs: 100,
  maxBlockMs: 60_000,
} as const;

/** Produce versions used: v3 (record batches) to v11 (v12 is for transactions version 2). */
const PRODUCE_VERSION_MIN = 3;
const PRODUCE_VERSION_MAX = 11;
/** Bytes a record adds to a batch besides its key, value and headers (lengths, deltas, attributes). */
const RECORD_OVERHEAD_BYTES = 21;
const BATCH_OVERHEAD_BYTES = 61;
/** Queued batches of a partition are merged up to this (below Kafka's max.request.size and message.max.bytes). */
const MERGED_BATCH_BYTES_MAX = 1_000_000;
/** Answers after which an idempotent producer needs a new producer id (its sequences are void). */
const PRODUCER_STATE_LOST: ReadonlySet<number> = new Set([
  ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
  ErrorCode.UNKNOWN_PRODUCER_ID,
  ErrorCode.INVALID_PRODUCER_EPOCH,
  ErrorCode.PRODUCER_FENCED,
]);

interface Waiter {
  resolve(metadata: RecordMetadata): void;
  reject(error: Error): void;
}

interface Batch {
  readonly topic: string;
  readonly partition: number;
  /** The partition's queue the batch is in. */
  readonly queue: PartitionQueue;
  readonly records: RecordInput[];
  readonly waiters: Waiter[];
  bytes: number;
  /** Encoded once, so that a retry sends the very same bytes. */
  encoded: Buffer | null;
  attempts: number;
  readonly deadlineMs: number;
}

interface PartitionQueue {
  readonly topic: string;
  readonly partition: number;
  /** The batch taking records, if any. */
  open: Batch | null;
  lingerTimer: NodeJS.Timeout | null;
  /** Sealed batches in send order. */
  readonly ready: Batch[];
  /** One batch in flight per partition keeps records in order through retries. */
  inFlight: boolean;
  /** The sequence number of the partition's next record (idempotence). */
  nextSequence: number;
  /** Not before this time (a backoff after a retriable error). */
  retryAtMs: number;
}

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
 * Not there yet: transactions, a memory bound on buffered records (buffer.memory).
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
  /** Every partition's queue, and the same by topic and partition. */
  private readonly queues: PartitionQueue[] = [];
  private readonly queuesByTopic = new Map<string, PartitionQueue[]>();
  private readonly sticky = new StickyPartitions();
  private drainScheduled = false;
  private retryTimer: NodeJS.Timeout | null = null;
  /** Records sent and not yet acknowledged or failed; `flush` waits for none. */
  private outstanding = 0;
  private idleWaiters: (() => void)[] = [];
  /** Flushes waiting; while there are any, new batches are sent without lingering. */
  private flushing = 0;
  private closed = false;
  private readonly idempotent: boolean;
  /** The producer id and epoch the broker gave (idempotence), or the attempt to get them. */
  private producerId = -1n;
  private producerEpoch = -1;
  private initializing: Promise<void> | null = null;

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
    if (options.idempotence === true && !compatible)
      throw new KafkaError(
        ErrorCode.INVALID_CONFIG,
        "Must set acks to all and retries to a value greater than 0 in order to use the idempotent producer.",
      );
    this.idempotent = options.idempotence ?? compatible;
    this.cluster = new ClusterView({
      bootstrap: options.bootstrap,
      clientId: options.clientId ?? "brook-producer",
      requestTimeoutMs: this.requestTimeoutMs,
      ...(options.metadataMaxAgeMs === undefined ? {} : { metadataMaxAgeMs: options.metadataMaxAgeMs }),
    });
  }

  /**
   * Queues a record; resolves once the broker acknowledged it (per `acks`), rejects with the
   * KafkaError the broker answered, or with a timeout after delivery.timeout.ms.
   */
  send(record: ProducerRecord): Promise<RecordMetadata> {
    if (this.closed) return Promise.reject(new Error("the producer is closed"));
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
      partition = this.sticky.partition(record.topic, partitions);
    }
    const input: RecordInput = {
      key,
      value: toBytes(record.value),
      timestamp: BigInt(record.timestamp ?? Date.now()),
    };
    if (record.headers !== undefined)
      input.headers = record.headers.map((h): RecordHeader => ({ key: h.key, value: toBytes(h.value) }));
    this.append(record.topic, partition, partitions, input, waiter);
  }

  /** One sent record was answered (or failed): a flush may be done. */
  private settled(): void {
    if (--this.outstanding === 0) for (const w of this.idleWaiters.splice(0)) w();
  }

  /** Sends every buffered record now and resolves once all are acknowledged or failed. */
  async flush(): Promise<void> {
    this.flushing++;
    try {
      for (const q of this.queues) this.seal(q);
      this.drain();
      if (this.outstanding === 0) return;
      await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    } finally {
      this.flushing--;
    }
  }

  /** Flushes, then closes the connections. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.flush();
    this.closed = true;
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    this.cluster.close();
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

  private append(
    topic: string,
    partition: number,
    partitions: number,
    input: RecordInput,
    waiter: Waiter,
  ): void {
    let byPartition = this.queuesByTopic.get(topic);
    if (byPartition === undefined) {
      byPartition = [];
      this.queuesByTopic.set(topic, byPartition);
    }
    let q = byPartition[partition];
    if (q === undefined) {
      q = {
        topic,
        partition,
        open: null,
        lingerTimer: null,
        ready: [],
        inFlight: false,
        retryAtMs: 0,
        nextSequence: 0,
      };
      byPartition[partition] = q;
      this.queues.push(q);
    }
    const bytes = recordBytes(input);
    if (q.open !== null && q.open.bytes + bytes > this.batchSize) this.seal(q, partitions);
    if (q.open === null) {
      q.open = {
        topic,
        partition,
        queue: q,
        records: [],
        waiters: [],
        bytes: BATCH_OVERHEAD_BYTES,
        encoded: null,
        attempts: 0,
        deadlineMs: performance.now() + this.deliveryTimeoutMs,
      };
      const queue = q;
      // While a flush waits, records that were still waiting for metadata do not linger.
      if (this.lingerMs > 0 && this.flushing === 0)
        queue.lingerTimer = setTimeout(() => this.lingerEnded(queue), this.lingerMs);
      else this.scheduleDrainOf(queue);
    }
    q.open.records.push(input);
    q.open.waiters.push(waiter);
    q.open.bytes += bytes;
    if (q.open.bytes >= this.batchSize) {
      this.seal(q, partitions);
      this.scheduleDrain();
    }
  }

  private lingerEnded(q: PartitionQueue): void {
    q.lingerTimer = null;
    this.seal(q);
    this.drain();
  }

  /** linger.ms=0: the records of one tick still go out together. */
  private scheduleDrainOf(q: PartitionQueue): void {
    setImmediate(() => {
      this.seal(q);
      this.drain();
    });
  }

  private seal(q: PartitionQueue, partitions?: number): void {
    if (q.lingerTimer !== null) clearTimeout(q.lingerTimer);
    q.lingerTimer = null;
    if (q.open === null) return;
    q.ready.push(q.open);
    q.open = null;
    // Keyless records move on to another partition once the batch they filled is sealed (KIP-480).
    const count = partitions ?? this.cluster.partitionCountOf(q.topic);
    if (count !== null) this.sticky.next(q.topic, count, q.partition);
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
    const now = performance.now();
    const byLeader = new Map<number, Batch[]>();
    let refresh = false;
    let nextRetryMs = Number.POSITIVE_INFINITY;
    for (const q of this.queues) {
      if (q.inFlight || q.ready.length === 0) continue;
      if (q.retryAtMs > now) {
        nextRetryMs = Math.min(nextRetryMs, q.retryAtMs);
        continue;
      }
      const batch = q.ready[0] as Batch;
      this.mergeQueued(q, batch);
      if (now >= batch.deadlineMs) {
        q.ready.shift();
        this.fail(
          batch,
          new KafkaError(ErrorCode.REQUEST_TIMED_OUT, expiredMessage(batch, this.deliveryTimeoutMs)),
        );
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

  /**
   * Batches that queued up behind the one in flight go out as one (up to max.request.size): with
   * one request in flight per partition, a batch per round trip would cap a busy partition at
   * batch.size per round trip. Only batches never sent are merged, so a retry resends its bytes.
   */
  private mergeQueued(q: PartitionQueue, batch: Batch): void {
    if (batch.encoded !== null) return;
    for (;;) {
      const next = q.ready[1];
      if (next === undefined || next.encoded !== null || batch.bytes + next.bytes > MERGED_BATCH_BYTES_MAX)
        return;
      for (const r of next.records) batch.records.push(r);
      for (const w of next.waiters) batch.waiters.push(w);
      batch.bytes += next.bytes - BATCH_OVERHEAD_BYTES;
      q.ready.splice(1, 1);
    }
  }

  private refreshQueued(): void {
    const topics = new Set<string>();
    for (const q of this.queues) if (q.ready.length > 0) topics.add(q.topic);
    this.cluster.refresh([...topics], true).catch(() => {
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
      if (this.idempotent && this.producerId < 0n) await this.initProducerId(connection);
      const byTopic = new Map<string, { index: number; records: Buffer }[]>();
      for (const b of batches) {
        b.encoded ??= this.encode(b);
        const entry = { index: b.partition, records: b.encoded };
        const list = byTopic.get(b.topic);
        if (list === undefined) byTopic.set(b.topic, [entry]);
        else list.push(entry);
      }
      const body: ProduceRequestInput = {
        transactionalId: null,
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
      if (this.idempotent && PRODUCER_STATE_LOST.has(answer.errorCode)) this.resetProducerId();
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
    for (const q of this.queues) {
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

function recordBytes(r: RecordInput): number {
  let n = RECORD_OVERHEAD_BYTES + (r.key?.length ?? 0) + (r.value?.length ?? 0);
  for (const h of r.headers ?? []) n += 2 + Buffer.byteLength(h.key) + (h.value?.length ?? 0);
  return n;
}

function expiredMessage(b: Batch, deliveryTimeoutMs: number): string {
  return `Expiring ${b.records.length} record(s) for ${b.topic}-${b.partition}: ${deliveryTimeoutMs} ms has passed since batch creation`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
