import type { RecordInput } from "../protocol/index.js";
import { StickyPartitions } from "./partitioner.js";

/*
 * The producer's record accumulator (Kafka's RecordAccumulator): records gathered per partition
 * into batches, sealed when full, when linger.ms ends or on a flush; sealed batches wait in their
 * partition's queue for the sender, which takes them out in order.
 */

export interface RecordMetadata {
  topic: string;
  partition: number;
  /** -1 with acks=0, which gets no answer. */
  offset: bigint;
  /** The record's CreateTime, or the broker's LogAppendTime on topics that use it. */
  timestamp: bigint;
}

export interface Waiter {
  resolve(metadata: RecordMetadata): void;
  reject(error: Error): void;
}

export interface Batch {
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

export interface PartitionQueue {
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

export interface RecordAccumulatorOptions {
  lingerMs: number;
  batchSize: number;
  deliveryTimeoutMs: number;
  /** The sender, at once: a partition's linger ended (or, with linger.ms 0, its tick did). */
  drainNow: () => void;
  /** The sender, soon (after the current task): a batch filled up. */
  drainSoon: () => void;
  /** A topic's partition count if known, for moving sticky partitions on. */
  partitionCountOf: (topic: string) => number | null;
}

/** Bytes a record adds to a batch besides its key, value and headers (lengths, deltas, attributes). */
const RECORD_OVERHEAD_BYTES = 21;
const BATCH_OVERHEAD_BYTES = 61;
/** Queued batches of a partition are merged up to this (below Kafka's max.request.size and message.max.bytes). */
const MERGED_BATCH_BYTES_MAX = 1_000_000;

export class RecordAccumulator {
  /** Every partition's queue, in the order first used. */
  readonly queues: PartitionQueue[] = [];
  private readonly byTopic = new Map<string, PartitionQueue[]>();
  private readonly sticky = new StickyPartitions();
  private readonly options: RecordAccumulatorOptions;
  /** Flushes waiting; while there are any, new batches are sent without lingering. */
  private flushing = 0;

  constructor(options: RecordAccumulatorOptions) {
    this.options = options;
  }

  /** A keyless record's partition: the topic's sticky one (KIP-480). */
  stickyPartition(topic: string, partitions: number): number {
    return this.sticky.partition(topic, partitions);
  }

  /** Adds a record to its partition's open batch (a new one when it would overflow); `waiter` hears the outcome. */
  append(
    topic: string,
    partition: number,
    partitions: number,
    input: RecordInput,
    waiter: Waiter,
    bytes = recordBytes(input),
  ): void {
    const q = this.queue(topic, partition);
    if (q.open !== null && q.open.bytes + bytes > this.options.batchSize) this.seal(q, partitions);
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
        deadlineMs: performance.now() + this.options.deliveryTimeoutMs,
      };
      // While a flush waits, records that were still waiting for metadata do not linger.
      if (this.options.lingerMs > 0 && this.flushing === 0)
        q.lingerTimer = setTimeout(() => this.lingerEnded(q), this.options.lingerMs);
      else setImmediate(() => this.lingerEnded(q)); // linger.ms=0: one tick's records still go together
    }
    q.open.records.push(input);
    q.open.waiters.push(waiter);
    q.open.bytes += bytes;
    if (q.open.bytes >= this.options.batchSize) {
      this.seal(q, partitions);
      this.options.drainSoon();
    }
  }

  /** Seals every open batch, and keeps new ones from lingering until `endFlush`. */
  beginFlush(): void {
    this.flushing++;
    for (const q of this.queues) this.seal(q);
  }

  endFlush(): void {
    this.flushing--;
  }

  /** The open batch joins the ready ones; keyless records then move on to another partition (KIP-480). */
  seal(q: PartitionQueue, partitions?: number): void {
    if (q.lingerTimer !== null) clearTimeout(q.lingerTimer);
    q.lingerTimer = null;
    if (q.open === null) return;
    q.ready.push(q.open);
    q.open = null;
    const count = partitions ?? this.options.partitionCountOf(q.topic);
    if (count !== null) this.sticky.next(q.topic, count, q.partition);
  }

  /**
   * Batches that queued up behind the one in flight go out as one (up to max.request.size): with
   * one request in flight per partition, a batch per round trip would cap a busy partition at
   * batch.size per round trip. Only batches never sent are merged, so a retry resends its bytes.
   */
  mergeQueued(q: PartitionQueue, batch: Batch): void {
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

  /** Takes out every batch that is not in flight, open ones too (Kafka's abortUndrainedBatches). */
  takeUnsent(): Batch[] {
    const taken: Batch[] = [];
    for (const q of this.queues) {
      const inFlight = q.inFlight ? 1 : 0;
      if (q.open === null && q.ready.length === inFlight) continue;
      this.seal(q);
      for (const b of q.ready.splice(inFlight)) taken.push(b);
    }
    return taken;
  }

  /** Topics with batches waiting to be sent. */
  topicsWithReady(): string[] {
    const topics = new Set<string>();
    for (const q of this.queues) if (q.ready.length > 0) topics.add(q.topic);
    return [...topics];
  }

  private queue(topic: string, partition: number): PartitionQueue {
    let byPartition = this.byTopic.get(topic);
    if (byPartition === undefined) {
      byPartition = [];
      this.byTopic.set(topic, byPartition);
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
    return q;
  }

  private lingerEnded(q: PartitionQueue): void {
    this.seal(q);
    this.options.drainNow();
  }
}

/** The bytes a batch's records take in the buffer (what its records were charged together). */
export function batchRecordBytes(b: Batch): number {
  return b.bytes - BATCH_OVERHEAD_BYTES;
}

/** What a record takes in a batch (and in buffer.memory). */
export function recordBytes(r: RecordInput): number {
  let n = RECORD_OVERHEAD_BYTES + (r.key?.length ?? 0) + (r.value?.length ?? 0);
  for (const h of r.headers ?? []) n += 2 + Buffer.byteLength(h.key) + (h.value?.length ?? 0);
  return n;
}
