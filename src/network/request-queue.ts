import { assert } from "../base/index.js";

/** Whatever reads requests and can be told to look again whether it may read (a Connection). */
export interface QueueReader {
  updateFlowControl(): void;
}

/**
 * The broker's request queue, all connections together (Kafka's `queued.max.requests`): requests
 * read and not yet answered, except those parked waiting for something outside the broker's
 * control (a long-poll fetch waiting for data, a produce waiting for its replicas), which Kafka
 * keeps in purgatory rather than in its request queue. When the queue is full every connection
 * stops reading (TCP pushes back on the clients) until requests complete.
 *
 * Invariant: `queued` is the number of `enqueue()`s not yet matched by a `dequeue()`.
 */
export class RequestQueue {
  readonly requestsMax: number;
  private queuedCount = 0;
  /** Every reader sharing the queue: all are told to stop when it fills up. */
  private readonly readers = new Set<QueueReader>();
  /** Readers that stopped because the queue was full, told when it has room again. */
  private readonly blocked = new Set<QueueReader>();
  /** Times the queue filled up and reading stopped (a metric). */
  fullTotal = 0;
  private readonly onFull: (queued: number) => void;

  constructor(requestsMax: number, onFull: (queued: number) => void = () => {}) {
    assert(requestsMax >= 1, "queued.max.requests is at least 1");
    this.requestsMax = requestsMax;
    this.onFull = onFull;
  }

  get queued(): number {
    return this.queuedCount;
  }

  get full(): boolean {
    return this.queuedCount >= this.requestsMax;
  }

  enqueue(): void {
    const wasFull = this.full;
    this.queuedCount++;
    if (!wasFull && this.full) {
      this.fullTotal++;
      this.onFull(this.queuedCount);
      // Every connection stops now, not at its next read: only the chunk being read goes past.
      for (const r of this.readers) r.updateFlowControl();
    }
  }

  dequeue(count = 1): void {
    assert(count >= 0 && count <= this.queuedCount, "the request queue never holds fewer than 0 requests");
    this.queuedCount -= count;
    if (this.full || this.blocked.size === 0) return;
    const readers = [...this.blocked];
    this.blocked.clear();
    for (const r of readers) r.updateFlowControl();
  }

  register(reader: QueueReader): void {
    this.readers.add(reader);
  }

  /** A reader that stopped at a full queue; it is told once there is room. */
  block(reader: QueueReader): void {
    this.blocked.add(reader);
  }

  forget(reader: QueueReader): void {
    this.readers.delete(reader);
    this.blocked.delete(reader);
  }
}
