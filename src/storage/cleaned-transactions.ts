import { ControlRecordType } from "../protocol/index.js";
import type { AbortedTxn } from "./transaction-index.js";

/**
 * What the cleaner knows of transactions while it walks a log in offset order (Kafka's
 * CleanedTransactionMetadata): which producers are inside an aborted transaction (from the log's
 * aborted-transaction index), which inside a transaction that is not aborted (so committed: the
 * cleaner never passes the last stable offset), and so which batches and markers may go.
 *
 * - Data of an aborted transaction is discarded, and never enters the offset map.
 * - An ABORT marker stays while this walk saw a batch of its transaction (the batch may be kept
 *   empty, or be kept because the walk was cut short); its index entry then goes with it into the
 *   cleaned segment's `.txnindex`. Otherwise it may go (once its delete horizon passed).
 * - A COMMIT marker may go when the walk saw no batch of its transaction since the last marker.
 * - An empty control batch (already cleaned) may always go.
 *
 * "May go" for a marker only starts its delete.retention.ms wait (the KIP-534 delete horizon the
 * cleaner stores in the batch); the cleaner removes it on a later pass.
 *
 * One instance serves one walk: the offset-map build, or the cleaning of all groups of a pass
 * (the state carries from one group to the next, as a transaction can span segments).
 */
export class CleanedTransactions {
  /** Aborted transactions not reached yet, by first offset, descending (next one last). */
  private pending: AbortedTxn[] = [];
  /** Marker offsets of the aborted transactions ever added (the same one comes once per segment). */
  private readonly known = new Set<bigint>();
  /** Producers inside an aborted transaction -> it, and the last offset of a batch seen of it. */
  private readonly ongoingAborted = new Map<bigint, { txn: AbortedTxn; lastSeenOffset: bigint | null }>();
  /** Producers whose batches of a not-aborted transaction were seen since their last marker. */
  private readonly ongoingCommitted = new Set<bigint>();
  /** The aborted transactions whose markers were kept, for the cleaned segment's index. */
  private retained: AbortedTxn[] = [];

  addAborted(txns: readonly AbortedTxn[]): void {
    let added = false;
    for (const txn of txns) {
      if (this.known.has(txn.lastOffset)) continue;
      this.known.add(txn.lastOffset);
      this.pending.push(txn);
      added = true;
    }
    if (added)
      this.pending.sort((a, b) =>
        a.firstOffset > b.firstOffset ? -1 : a.firstOffset < b.firstOffset ? 1 : 0,
      );
  }

  /** A data batch ending at `lastOffset` was read; true when it belongs to an aborted transaction. */
  onDataBatch(producerId: bigint, isTransactional: boolean, lastOffset: bigint): boolean {
    this.reach(lastOffset);
    if (!isTransactional) return false;
    const aborted = this.ongoingAborted.get(producerId);
    if (aborted !== undefined) {
      aborted.lastSeenOffset = lastOffset;
      return true;
    }
    this.ongoingCommitted.add(producerId);
    return false;
  }

  /**
   * A control batch ending at `lastOffset` was read, holding a control record of `type` (null:
   * the batch is empty); true when nothing of its transaction is left for it to mark.
   */
  onControlBatch(producerId: bigint, lastOffset: bigint, type: number | null): boolean {
    this.reach(lastOffset);
    if (type === null) return true;
    if (type === ControlRecordType.ABORT) {
      const aborted = this.ongoingAborted.get(producerId);
      this.ongoingAborted.delete(producerId);
      if (aborted === undefined || aborted.lastSeenOffset === null) return true;
      this.retained.push(aborted.txn);
      return false;
    }
    if (type === ControlRecordType.COMMIT) return !this.ongoingCommitted.delete(producerId);
    return false;
  }

  /** The aborted transactions whose markers were kept since the last call (for one cleaned segment). */
  takeRetained(): AbortedTxn[] {
    const out = this.retained;
    this.retained = [];
    return out;
  }

  /** Producers whose aborted transactions began at or before `offset` are now inside them. */
  private reach(offset: bigint): void {
    for (;;) {
      const next = this.pending[this.pending.length - 1];
      if (next === undefined || next.firstOffset > offset) return;
      this.pending.pop();
      if (!this.ongoingAborted.has(next.producerId))
        this.ongoingAborted.set(next.producerId, { txn: next, lastSeenOffset: null });
    }
  }
}
