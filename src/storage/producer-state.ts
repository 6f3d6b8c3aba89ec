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

/** A transaction whose marker was written (Kafka's CompletedTxn). */
export interface CompletedTxn {
  readonly producerId: bigint;
  readonly firstOffset: bigint;
  /** The marker's offset. */
  readonly lastOffset: bigint;
  readonly isAborted: boolean;
}

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
  /** Producer id -> first offset of its open transaction (the entries' currentTxnFirstOffset). */
  private readonly ongoing = new Map<bigint, bigint>();
  /** Completed transactions whose marker the high watermark has not passed yet: still unstable. */
  private unreplicated: CompletedTxn[] = [];

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
    if (batch.isTransactional && entry.currentTxnFirstOffset < 0n) {
      entry.currentTxnFirstOffset = batch.firstOffset;
      this.ongoing.set(batch.producerId, batch.firstOffset);
    }
  }

  /**
   * Checks a transaction marker before it is written (Kafka's appendEndTxnMarker checks): an epoch
   * below the producer's is INVALID_PRODUCER_EPOCH, a coordinator epoch below the last marker's
   * TRANSACTION_COORDINATOR_FENCED.
   */
  validateMarker(batch: ProducerBatch, coordinatorEpoch: number, origin: AppendOrigin): void {
    if (origin === "replication") return;
    const current = this.producers.get(batch.producerId);
    if (current === undefined) return;
    if (batch.producerEpoch < current.producerEpoch) {
      throw new KafkaError(
        ErrorCode.INVALID_PRODUCER_EPOCH,
        `Epoch of producer ${batch.producerId} in ${this.name} is ${batch.producerEpoch}, which is smaller than the last seen epoch ${current.producerEpoch} (transaction marker)`,
      );
    }
    if (coordinatorEpoch < current.coordinatorEpoch) {
      throw new KafkaError(
        ErrorCode.TRANSACTION_COORDINATOR_FENCED,
        `Coordinator epoch ${coordinatorEpoch} of a marker for producer ${batch.producerId} in ${this.name} is below ${current.coordinatorEpoch}`,
      );
    }
  }

  /** Records a written marker: ends the producer's open transaction, if any, and returns it. */
  applyMarker(batch: ProducerBatch, coordinatorEpoch: number, isAborted: boolean): CompletedTxn | null {
    let entry = this.producers.get(batch.producerId);
    if (entry === undefined) {
      if (this.producers.size >= this.producersMax) this.evictLeastRecent();
      entry = new ProducerStateEntry(batch.producerId);
      this.producers.set(batch.producerId, entry);
    }
    entry.markerAppended(batch.producerEpoch, coordinatorEpoch, batch.maxTimestamp);
    const firstOffset = entry.currentTxnFirstOffset;
    if (firstOffset < 0n) return null;
    entry.currentTxnFirstOffset = -1n;
    this.ongoing.delete(batch.producerId);
    const completed = { producerId: batch.producerId, firstOffset, lastOffset: batch.firstOffset, isAborted };
    this.unreplicated.push(completed);
    return completed;
  }

  /**
   * The first offset a read_committed reader may not pass (Kafka's firstUnstableOffset): the
   * earliest open transaction, or completed one whose marker the high watermark has not passed;
   * null when there is none.
   */
  firstUnstableOffset(highWatermark: bigint): bigint | null {
    if (this.unreplicated.length > 0 && (this.unreplicated[0] as CompletedTxn).lastOffset < highWatermark)
      this.unreplicated = this.unreplicated.filter((t) => t.lastOffset >= highWatermark);
    let first: bigint | null = null;
    for (const offset of this.ongoing.values()) if (first === null || offset < first) first = offset;
    for (const t of this.unreplicated) if (first === null || t.firstOffset < first) first = t.firstOffset;
    return first;
  }

  /** The earliest open transaction's first offset, or `fallback` when it is earlier or there is none. */
  firstOngoingOffset(fallback: bigint): bigint {
    let first = fallback;
    for (const offset of this.ongoing.values()) if (offset < first) first = offset;
    return first;
  }

  /** Producers with an open transaction: producer id -> first offset. */
  ongoingTransactions(): ReadonlyMap<bigint, bigint> {
    return this.ongoing;
  }

  /** Adds an entry read from a snapshot, replacing any entry of that producer. */
  load(entry: ProducerStateEntry): void {
    if (!this.producers.has(entry.producerId) && this.producers.size >= this.producersMax)
      this.evictLeastRecent();
    this.producers.set(entry.producerId, entry);
    if (entry.currentTxnFirstOffset >= 0n) this.ongoing.set(entry.producerId, entry.currentTxnFirstOffset);
    else this.ongoing.delete(entry.producerId);
  }

  clear(): void {
    this.producers.clear();
    this.pending.clear();
    this.ongoing.clear();
    this.unreplicated = [];
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
    // A producer with an open transaction goes only when every one has one (it holds the LSO).
    let victim: ProducerStateEntry | undefined;
    for (const entry of this.producers.values()) {
      const better =
        victim === undefined || entry.currentTxnFirstOffset < 0n !== victim.currentTxnFirstOffset < 0n
          ? victim === undefined || entry.currentTxnFirstOffset < 0n
          : entry.lastTimestamp < victim.lastTimestamp;
      if (better) victim = entry;
    }
    if (victim !== undefined) {
      this.producers.delete(victim.producerId);
      this.ongoing.delete(victim.producerId);
    }
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
