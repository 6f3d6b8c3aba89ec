import { assert } from "../base/index.js";

/**
 * Bounds the memory taken by indexes of sealed segments. A segment registers the bytes its loaded
 * indexes take; past `bytesMax`, the least recently used are asked to drop theirs (they are on
 * disk and load again on the next lookup). Indexes of active segments are not counted here: there
 * is one active segment per partition and its index is bounded by segment.index.bytes.
 */
export interface IndexHolder {
  dropIndexes(): void;
}

export class IndexBudget {
  readonly bytesMax: number;
  private readonly lru = new Map<IndexHolder, number>();
  private totalBytes = 0;

  constructor(bytesMax: number) {
    assert(bytesMax >= 0, "index budget must not be negative");
    this.bytesMax = bytesMax;
  }

  get usedBytes(): number {
    return this.totalBytes;
  }

  /** Records (or refreshes) a holder's loaded indexes and evicts others past the budget. */
  touch(holder: IndexHolder, bytes: number): void {
    const previous = this.lru.get(holder);
    if (previous !== undefined) {
      this.totalBytes -= previous;
      this.lru.delete(holder);
    }
    this.lru.set(holder, bytes);
    this.totalBytes += bytes;
    for (const [candidate] of this.lru) {
      if (this.totalBytes <= this.bytesMax) break;
      if (candidate === holder) continue;
      this.release(candidate);
      candidate.dropIndexes();
    }
  }

  release(holder: IndexHolder): void {
    const bytes = this.lru.get(holder);
    if (bytes === undefined) return;
    this.totalBytes -= bytes;
    this.lru.delete(holder);
  }
}
