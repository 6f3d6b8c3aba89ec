import { assert } from "../base/index.js";

/**
 * What a partition remembers of one idempotent producer (Kafka's ProducerStateEntry): its epoch,
 * the metadata of its last few batches (for duplicate detection and the next expected sequence),
 * the time of its last write (for expiry), and the transaction fields kept for later (the epoch of
 * the last transaction coordinator that wrote a marker, the first offset of an open transaction).
 *
 * Invariants: at most BATCHES_RETAINED_MAX batches, oldest first, all of `producerEpoch` (an epoch
 * change forgets the batches of the old one); consecutive batches have increasing offsets.
 *
 * Sequences are int32 and wrap from Int32.MAX to 0 (Kafka's rule): a batch of n records starting at
 * sequence s ends at s + n - 1, wrapped.
 */
export const BATCHES_RETAINED_MAX = 5;
export const SEQUENCE_MAX = 0x7fffffff;
export const NO_SEQUENCE = -1;
export const NO_EPOCH = -1;

export interface BatchMetadata {
  readonly firstSeq: number;
  readonly lastSeq: number;
  readonly firstOffset: bigint;
  readonly lastOffset: bigint;
  /** The batch's max timestamp (the append time on LogAppendTime topics). */
  readonly timestamp: bigint;
}

/** `seq + increment`, wrapping past Int32.MAX to 0. */
export function incrementSequence(seq: number, increment: number): number {
  assert(seq >= 0 && increment >= 0, "sequences and increments are never negative");
  return seq > SEQUENCE_MAX - increment ? increment - (SEQUENCE_MAX - seq) - 1 : seq + increment;
}

/** `seq - decrement`, wrapping below 0 to Int32.MAX. */
export function decrementSequence(seq: number, decrement: number): number {
  assert(seq >= 0 && decrement >= 0, "sequences and decrements are never negative");
  return seq < decrement ? SEQUENCE_MAX - (decrement - seq) + 1 : seq - decrement;
}

/** Whether `nextSeq` directly follows `lastSeq` (NO_SEQUENCE is followed by 0). */
export function inSequence(lastSeq: number, nextSeq: number): boolean {
  return nextSeq === lastSeq + 1 || (nextSeq === 0 && lastSeq === SEQUENCE_MAX);
}

export class ProducerStateEntry {
  readonly producerId: bigint;
  producerEpoch: number;
  coordinatorEpoch: number;
  /** Max timestamp of the producer's last batch; expiry counts from it (as Kafka does). */
  lastTimestamp: bigint;
  /** First offset of the producer's open transaction, -1 when none. */
  currentTxnFirstOffset: bigint;
  private readonly batchList: BatchMetadata[] = [];

  constructor(
    producerId: bigint,
    producerEpoch = NO_EPOCH,
    coordinatorEpoch = -1,
    lastTimestamp = -1n,
    currentTxnFirstOffset = -1n,
  ) {
    this.producerId = producerId;
    this.producerEpoch = producerEpoch;
    this.coordinatorEpoch = coordinatorEpoch;
    this.lastTimestamp = lastTimestamp;
    this.currentTxnFirstOffset = currentTxnFirstOffset;
  }

  get batches(): readonly BatchMetadata[] {
    return this.batchList;
  }

  get isEmpty(): boolean {
    return this.batchList.length === 0;
  }

  get lastSeq(): number {
    return this.batchList[this.batchList.length - 1]?.lastSeq ?? NO_SEQUENCE;
  }

  get lastDataOffset(): bigint {
    return this.batchList[this.batchList.length - 1]?.lastOffset ?? -1n;
  }

  /** Records a batch written with `epoch`: a new epoch forgets the batches of the old one. */
  addBatch(epoch: number, batch: BatchMetadata): void {
    if (epoch !== this.producerEpoch) {
      this.batchList.length = 0;
      this.producerEpoch = epoch;
    }
    const last = this.batchList[this.batchList.length - 1];
    assert(
      last === undefined || batch.firstOffset > last.lastOffset,
      () => `producer ${this.producerId}: batch at ${batch.firstOffset} does not follow ${last?.lastOffset}`,
    );
    if (this.batchList.length === BATCHES_RETAINED_MAX) this.batchList.shift();
    this.batchList.push(batch);
    this.lastTimestamp = batch.timestamp;
  }

  /** A transaction marker with `epoch` was written (it may carry a bumped, fencing epoch). */
  markerAppended(epoch: number, coordinatorEpoch: number, timestamp: bigint): void {
    if (epoch !== this.producerEpoch) {
      this.batchList.length = 0;
      this.producerEpoch = epoch;
    }
    this.coordinatorEpoch = coordinatorEpoch;
    this.lastTimestamp = timestamp;
  }

  /** The retained batch of this epoch with exactly this sequence range: a retried batch. */
  findDuplicate(epoch: number, firstSeq: number, lastSeq: number): BatchMetadata | undefined {
    if (epoch !== this.producerEpoch) return undefined;
    return this.batchList.find((b) => b.firstSeq === firstSeq && b.lastSeq === lastSeq);
  }

  clone(): ProducerStateEntry {
    const copy = new ProducerStateEntry(
      this.producerId,
      this.producerEpoch,
      this.coordinatorEpoch,
      this.lastTimestamp,
      this.currentTxnFirstOffset,
    );
    copy.batchList.push(...this.batchList);
    return copy;
  }
}
