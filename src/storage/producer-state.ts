import { assert } from "../base/index.js";
import {
  batchBaseOffset,
  batchBaseSequence,
  batchIsControl,
  batchIsTransactional,
  batchLastOffsetDelta,
  batchMaxTimestamp,
  batchProducerEpoch,
  batchProducerId,
  ErrorCode,
  KafkaError,
} from "../protocol/index.js";
import type { AppendOrigin } from "./append-validation.js";
import { DuplicateBatchError } from "./duplicate-batch-error.js";
import {
  type BatchMetadata,
  incrementSequence,
  inSequence,
  NO_EPOCH,
  NO_SEQUENCE,
  ProducerStateEntry,
} from "./producer-state-entry.js";

/**
 * The idempotent-producer rules of one partition, without I/O (Kafka's ProducerStateManager and
 * ProducerAppendInfo): a table producer id -> ProducerStateEntry, the checks a batch must pass
 * before it is written, and the update once it is.
 *
 * An append is validated batch by batch (`beginAppend`, then `validate` per batch), before offsets
 * are assigned; what the batches of that append would do to a producer is kept aside ("pending")
 * so that its later batches are checked against its earlier ones, and is dropped when the next
 * append begins. Nothing in the table changes until `apply` records a written batch with its final
 * offsets, so a refused append leaves the state as it was.
 *
 * Checks, by origin (Kafka's rules as of KIP-360):
 * - "client": a retry of one of the producer's last five batches (same epoch and sequence range)
 *   throws DuplicateBatchError carrying the original offsets; an epoch below the current one is
 *   INVALID_PRODUCER_EPOCH (what Kafka answers Produce with since 2.7; PRODUCER_FENCED is for the
 *   transaction coordinator); a new epoch must start at sequence 0 and the current epoch must
 *   continue at last sequence + 1 (wrapping at Int32.MAX), else OUT_OF_ORDER_SEQUENCE_NUMBER. A
 *   producer the partition does not know (never seen, expired, or its batches deleted) may start at
 *   any sequence: Kafka no longer answers UNKNOWN_PRODUCER_ID for it.
 * - "coordinator": the epoch check only. "replication": no checks (the leader made them).
 * Batches without a producer id (-1) and control batches are not checked and not recorded.
 */
export interface ProducerBatch {
  producerId: bigint;
  producerEpoch: number;
  firstSeq: number;
  lastSeq: number;
  /** The batch's offsets: final once written, as the client sent them before. */
  firstOffset: bigint;
  lastOffset: bigint;
  maxTimestamp: bigint;
  isTransactional: boolean;
  isControl: boolean;
}

/** The producer fields of the batch header at `at`. */
export function producerBatchAt(records: Buffer, at: number): ProducerBatch {
  const firstSeq = batchBaseSequence(records, at);
  const delta = batchLastOffsetDelta(records, at);
  const firstOffset = batchBaseOffset(records, at);
  return {
    producerId: batchProducerId(records, at),
    producerEpoch: batchProducerEpoch(records, at),
    firstSeq,
    lastSeq: firstSeq < 0 || delta < 0 ? firstSeq : incrementSequence(firstSeq, delta),
    firstOffset,
    lastOffset: firstOffset + BigInt(delta),
    maxTimestamp: batchMaxTimestamp(records, at),
    isTransactional: batchIsTransactional(records, at),
    isControl: batchIsControl(records, at),
  };
}

/** Whether the producer state tracks this batch at all. */
export const isIdempotentData = (batch: ProducerBatch): boolean => batch.producerId >= 0n && !batch.isControl;

interface PendingProducer {
  epoch: number;
  lastSeq: number;
}

export class ProducerState {
  /** Where errors and logs say they come from (the partition's name). */
  readonly name: string;
  readonly producersMax: number;
  private readonly producers = new Map<bigint, ProducerStateEntry>();
  private readonly pending = new Map<bigint, PendingProducer>();

  constructor(name: string, producersMax: number) {
    assert(producersMax > 0, "the producer table needs room for one producer");
    this.name = name;
    this.producersMax = producersMax;
  }

  get size(): number {
    return this.producers.size;
  }

  get(producerId: bigint): ProducerStateEntry | undefined {
    return this.producers.get(producerId);
  }

  entries(): IterableIterator<ProducerStateEntry> {
    return this.producers.values();
  }

  /** Forgets what an earlier (possibly refused) append validated. */
  beginAppend(): void {
    this.pending.clear();
  }

  /** Throws DuplicateBatchError or the KafkaError Kafka answers with; else notes the batch as pending. */
  validate(batch: ProducerBatch, origin: AppendOrigin): void {
    if (!isIdempotentData(batch)) return;
    const current = this.producers.get(batch.producerId);
    if (origin === "client" && current !== undefined) {
      const duplicate = current.findDuplicate(batch.producerEpoch, batch.firstSeq, batch.lastSeq);
      if (duplicate !== undefined)
        throw new DuplicateBatchError(batch.producerId, batch.producerEpoch, duplicate);
    }
    const pending = this.pending.get(batch.producerId);
    const currentEpoch = current?.producerEpoch ?? NO_EPOCH;
    const epoch = pending?.epoch ?? currentEpoch;
    if (origin !== "replication" && batch.producerEpoch < epoch) {
      throw new KafkaError(
        ErrorCode.INVALID_PRODUCER_EPOCH,
        `Epoch of producer ${batch.producerId} in ${this.name} is ${batch.producerEpoch}, which is smaller than the last seen epoch ${epoch}`,
      );
    }
    if (origin === "client")
      this.checkSequence(batch, epoch, currentEpoch, pending?.lastSeq ?? current?.lastSeq);
    this.pending.set(batch.producerId, { epoch: batch.producerEpoch, lastSeq: batch.lastSeq });
  }

  private checkSequence(
    batch: ProducerBatch,
    epoch: number,
    currentEpoch: number,
    lastSeq: number | undefined,
  ): void {
    if (batch.producerEpoch !== epoch) {
      if (batch.firstSeq !== 0 && epoch !== NO_EPOCH) {
        throw new KafkaError(
          ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
          `Invalid sequence number for new epoch of producer ${batch.producerId} in ${this.name}: ${batch.producerEpoch} (request epoch), ${batch.firstSeq} (seq. number), ${epoch} (current producer epoch)`,
        );
      }
      return;
    }
    const last = lastSeq ?? NO_SEQUENCE;
    if (currentEpoch !== NO_EPOCH && !inSequence(last, batch.firstSeq)) {
      throw new KafkaError(
        ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
        `Out of order sequence number for producer ${batch.producerId} in ${this.name}: ${batch.firstSeq} (incoming seq. number), ${last} (current end sequence number)`,
      );
    }
  }

  /** Records a batch that was written, with its final offsets (no checks: `validate` made them). */
  apply(batch: ProducerBatch): void {
    if (!isIdempotentData(batch)) return;
    let entry = this.producers.get(batch.producerId);
    if (entry === undefined) {
      if (this.producers.size >= this.producersMax) this.evictLeastRecent();
      entry = new ProducerStateEntry(batch.producerId);
      this.producers.set(batch.producerId, entry);
    }
    entry.addBatch(batch.producerEpoch, metadataOf(batch));
  }

  /** Adds an entry read from a snapshot, replacing any entry of that producer. */
  load(entry: ProducerStateEntry): void {
    if (!this.producers.has(entry.producerId) && this.producers.size >= this.producersMax)
      this.evictLeastRecent();
    this.producers.set(entry.producerId, entry);
  }

  clear(): void {
    this.producers.clear();
    this.pending.clear();
  }

  /**
   * Drops producers whose last write is `expirationMs` or more before `nowMs` and that have no
   * open transaction (producer.id.expiration.ms); returns how many went.
   */
  removeExpired(nowMs: number, expirationMs: number): number {
    let removed = 0;
    for (const [id, entry] of this.producers) {
      if (isExpired(entry, nowMs, expirationMs)) {
        this.producers.delete(id);
        removed++;
      }
    }
    return removed;
  }

  /**
   * The table is full: the producer that wrote least recently goes, as if it had expired. Kafka has
   * no such bound; ours keeps a partition's memory finite under a flood of producer ids.
   */
  private evictLeastRecent(): void {
    let victim: ProducerStateEntry | undefined;
    for (const entry of this.producers.values()) {
      if (victim === undefined || entry.lastTimestamp < victim.lastTimestamp) victim = entry;
    }
    if (victim !== undefined) this.producers.delete(victim.producerId);
  }
}

export function isExpired(entry: ProducerStateEntry, nowMs: number, expirationMs: number): boolean {
  return entry.currentTxnFirstOffset < 0n && BigInt(nowMs) - entry.lastTimestamp >= BigInt(expirationMs);
}

function metadataOf(batch: ProducerBatch): BatchMetadata {
  return {
    firstSeq: batch.firstSeq,
    lastSeq: batch.lastSeq,
    firstOffset: batch.firstOffset,
    lastOffset: batch.lastOffset,
    timestamp: batch.maxTimestamp,
  };
}
