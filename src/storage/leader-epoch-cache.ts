import { assert } from "../base/index.js";
import {
  createCheckpointIfAbsent,
  type EpochEntry,
  formatCheckpoint,
  formatLeaderEpochEntries,
  parseLeaderEpochCheckpoint,
  readCheckpointLines,
} from "./checkpoint-file.js";
import { writeFileAtomicSync } from "./durable-file.js";

/**
 * The partition's leader-epoch history: for each leader epoch, the first offset written in it
 * (Kafka's LeaderEpochFileCache, persisted as `leader-epoch-checkpoint`). It answers
 * OffsetForLeaderEpoch and tells a follower where to truncate after a leader change.
 *
 * Invariants: epochs and start offsets both strictly increase along the list. Every change is
 * written through to the checkpoint file (atomically) before the call returns; changes are rare
 * (one per leader election, truncation or log-start advance).
 */
export const UNDEFINED_EPOCH = -1;
export const UNDEFINED_EPOCH_OFFSET = -1n;

export interface EpochEndOffset {
  epoch: number;
  endOffset: bigint;
}

export class LeaderEpochCache {
  private entries: EpochEntry[];
  private readonly path: string | null;
  /** The file's content (as loaded, or as last written, always with an fsync). */
  private fileContent: string;
  /** A change not written yet: `flush` or the next durable change writes it. */
  private dirty = false;

  /** `path` null keeps the history in memory only (tests, or before the directory exists). */
  constructor(path: string | null, entries: EpochEntry[] = []) {
    this.path = path;
    this.entries = entries.slice();
    this.checkInvariants();
    this.fileContent = this.content();
  }

  /**
   * Loads the checkpoint; a missing or malformed file gives an empty history (recovery refills it).
   * A missing one is created empty, as Kafka creates it with the log.
   */
  static load(path: string): LeaderEpochCache {
    let entries: EpochEntry[] = [];
    try {
      const lines = readCheckpointLines(path);
      if (lines === null) createCheckpointIfAbsent(path);
      entries = parseLeaderEpochCheckpoint(lines ?? [], path);
    } catch {
      entries = [];
    }
    return new LeaderEpochCache(path, entries);
  }

  get latestEpoch(): number {
    return this.entries[this.entries.length - 1]?.epoch ?? UNDEFINED_EPOCH;
  }

  snapshot(): readonly EpochEntry[] {
    return this.entries.slice();
  }

  /**
   * Records that `epoch` starts at `startOffset`, dropping entries it contradicts. `durable: false`
   * leaves the fsync to the next `flush()`: for a new leader's epoch, which the log's flush makes
   * durable before its recovery point passes the epoch's start, and which recovery otherwise finds
   * again in the batches it replays.
   */
  assign(epoch: number, startOffset: bigint, durable = true): void {
    if (epoch < 0 || startOffset < 0n) return;
    const latest = this.entries[this.entries.length - 1];
    if (latest !== undefined && latest.epoch === epoch && latest.startOffset <= startOffset) return;
    this.entries = this.entries.filter((e) => e.epoch < epoch && e.startOffset < startOffset);
    this.entries.push({ epoch, startOffset });
    this.persist(durable);
  }

  /** Writes (and fsyncs) the changes made without `durable`. */
  flush(): void {
    if (this.dirty) this.persist(true);
  }

  /** The epoch of the leader that wrote `offset`, or UNDEFINED_EPOCH before the first entry. */
  epochForOffset(offset: bigint): number {
    let epoch = UNDEFINED_EPOCH;
    for (const e of this.entries) {
      if (e.startOffset > offset) break;
      epoch = e.epoch;
    }
    return epoch;
  }

  /** OffsetForLeaderEpoch, with Kafka's answers for every case. */
  endOffsetFor(requestedEpoch: number, logEndOffset: bigint): EpochEndOffset {
    const undefinedAnswer = { epoch: UNDEFINED_EPOCH, endOffset: UNDEFINED_EPOCH_OFFSET };
    if (requestedEpoch === UNDEFINED_EPOCH) return undefinedAnswer;
    if (requestedEpoch === this.latestEpoch) return { epoch: requestedEpoch, endOffset: logEndOffset };
    const higher = this.entries.find((e) => e.epoch > requestedEpoch);
    if (higher === undefined) return undefinedAnswer;
    const floor = this.entries.filter((e) => e.epoch <= requestedEpoch).pop();
    // Below the oldest known epoch: the data is gone; answer the first later epoch's start so the
    // follower replicates from the leader's start.
    if (floor === undefined) return { epoch: requestedEpoch, endOffset: higher.startOffset };
    return { epoch: floor.epoch, endOffset: higher.startOffset };
  }

  /** Drops entries starting at or after `endOffset` (the log was truncated there). */
  truncateFromEnd(endOffset: bigint): void {
    const kept = this.entries.filter((e) => e.startOffset < endOffset);
    if (kept.length === this.entries.length) return;
    this.entries = kept;
    // Not flushed, as Kafka's truncateFromEnd is not: the loader truncates the cache to the log end
    // at every start, so a truncation a crash undid is done again. (A start truncates every empty
    // partition's entry and its leader assigns it again: writing both cost ~0.2 ms per partition,
    // fsyncing them ~1 ms.)
    this.persist(false);
  }

  /** The log now starts at `startOffset`: the epoch covering it starts there, older ones go. */
  truncateFromStart(startOffset: bigint): void {
    let lastBelow = -1;
    for (
      let i = 0;
      i < this.entries.length && (this.entries[i] as EpochEntry).startOffset <= startOffset;
      i++
    ) {
      lastBelow = i;
    }
    if (lastBelow < 0) return;
    const covering = this.entries[lastBelow] as EpochEntry;
    if (lastBelow === 0 && covering.startOffset === startOffset) return;
    this.entries = [{ epoch: covering.epoch, startOffset }, ...this.entries.slice(lastBelow + 1)];
    this.persist();
  }

  /**
   * Writes the checkpoint with an fsync, unless the file holds this content already (an entry a
   * truncation removed and an assignment put back); `durable: false` only notes the change for
   * `flush` (what a crash loses of it, recovery finds again).
   */
  private persist(durable = true): void {
    this.checkInvariants();
    if (this.path === null) return;
    if (!durable) {
      this.dirty = true;
      return;
    }
    this.dirty = false;
    const content = this.content();
    if (content === this.fileContent) return;
    writeFileAtomicSync(this.path, content);
    this.fileContent = content;
  }

  private content(): string {
    return formatCheckpoint(formatLeaderEpochEntries(this.entries));
  }

  private checkInvariants(): void {
    for (let i = 1; i < this.entries.length; i++) {
      const prev = this.entries[i - 1] as EpochEntry;
      const cur = this.entries[i] as EpochEntry;
      assert(
        cur.epoch > prev.epoch && cur.startOffset > prev.startOffset,
        "leader epoch entries must increase",
      );
    }
  }
}
