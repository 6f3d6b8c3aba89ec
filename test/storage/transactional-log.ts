import type { ManualClock } from "../../src/base/index.js";
import {
  ControlRecordType,
  decodeRecordBatch,
  encodeEndTxnMarkerBatch,
  encodeRecordBatch,
  type RecordBatch,
} from "../../src/protocol/index.js";
import { type Log, type LogConfig, type LogManager, ProducerStateManager } from "../../src/storage/index.js";
import { LogCleaner } from "../../src/storage/log-cleaner.js";
import type { AbortedTxn } from "../../src/storage/transaction-index.js";
import { openManager, readAll, tempDir } from "./helpers.js";

/** Helpers for the cleaner's transaction tests (not a test file itself): a compacted log with producer state. */

export const tp = { topic: "compacted-txn", partition: 0 };
export const DELETE_RETENTION_MS = 10_000;
export const txnCompactConfig: Partial<LogConfig> = {
  cleanupPolicy: ["compact"],
  internalSegmentBytes: 1 << 20,
  deleteRetentionMs: DELETE_RETENTION_MS,
  minCleanableDirtyRatio: 0.01,
  fileDeleteDelayMs: 0,
};

export interface TxnFixture {
  dir: { path: string; cleanup: () => void };
  clock: ManualClock;
  manager: LogManager;
  log: Log;
  producers: ProducerStateManager;
  cleaner: LogCleaner;
  /** Next sequence per producer. */
  sequences: Map<bigint, number>;
}

export async function openTxnLog(
  clock: ManualClock,
  dir = tempDir("brook-clean-txn-"),
  config: Partial<LogConfig> = {},
): Promise<TxnFixture> {
  const manager = await openManager(dir.path, clock, { ...txnCompactConfig, ...config });
  const log = manager.getOrCreateLog(tp);
  const producers = ProducerStateManager.attach(log, { producerIdExpirationMs: 86_400_000, clock });
  return { dir, clock, manager, log, producers, cleaner: new LogCleaner(manager.env), sequences: new Map() };
}

export type Entry = readonly [key: string, value: string | null];

/**
 * Appends one batch of `entries` for `producerId` (-1: no producer), transactional when `txn`, with
 * the producer's next sequence; the high watermark follows. Returns the batch's first offset.
 */
export function append(f: TxnFixture, producerId: bigint, entries: readonly Entry[], txn = false): bigint {
  const seq = f.sequences.get(producerId) ?? 0;
  const batch = encodeRecordBatch({
    producerId,
    producerEpoch: producerId < 0n ? -1 : 0,
    baseSequence: producerId < 0n ? -1 : seq,
    isTransactional: txn,
    records: entries.map(([key, value]) => ({
      key: Buffer.from(key),
      value: value === null ? null : Buffer.from(value),
      timestamp: BigInt(f.clock.nowMs()),
    })),
  });
  if (producerId >= 0n) f.sequences.set(producerId, seq + entries.length);
  const info = f.log.appendAsLeader(batch, 0);
  f.log.updateHighWatermark(f.log.logEndOffset);
  f.clock.advance(1);
  return info.firstOffset;
}

/** Writes `producerId`'s COMMIT or ABORT marker; returns its offset. */
export function endTxn(f: TxnFixture, producerId: bigint, commit: boolean): bigint {
  const batch = encodeEndTxnMarkerBatch({
    type: commit ? ControlRecordType.COMMIT : ControlRecordType.ABORT,
    coordinatorEpoch: 0,
    producerId,
    producerEpoch: 0,
    timestamp: BigInt(f.clock.nowMs()),
  });
  const info = f.log.appendAsLeader(batch, 0, { origin: "coordinator" });
  f.log.updateHighWatermark(f.log.logEndOffset);
  f.clock.advance(1);
  return info.firstOffset;
}

export function batches(log: Log): RecordBatch[] {
  const out: RecordBatch[] = [];
  for (const buf of readAll(log)) {
    for (let at = 0; at < buf.length; ) {
      const batch = decodeRecordBatch(buf, at);
      out.push(batch);
      at += batch.batchLength + 12;
    }
  }
  return out;
}

export interface Seen {
  offset: bigint;
  key: string;
  value: string | null;
}

/** What a read_uncommitted consumer reads: every data record up to the high watermark. */
export function readUncommitted(log: Log): Seen[] {
  return batches(log)
    .filter((b) => !b.isControl)
    .flatMap((b) => b.records.map(seen))
    .filter((r) => r.offset < log.highWatermark);
}

/**
 * What a read_committed consumer reads (the Java consumer's algorithm): up to the last stable
 * offset, told the aborted transactions the log reports for the range, skipping a producer's
 * transactional batches from the first offset of one of its aborted transactions to its ABORT marker.
 */
export function readCommitted(log: Log): Seen[] {
  const lso = log.lastStableOffset;
  const pending: AbortedTxn[] = [...log.abortedTransactions(log.logStartOffset, lso)].sort((a, b) =>
    a.firstOffset < b.firstOffset ? -1 : a.firstOffset > b.firstOffset ? 1 : 0,
  );
  const abortedProducers = new Set<bigint>();
  const out: Seen[] = [];
  for (const batch of batches(log)) {
    if (batch.baseOffset >= lso) break;
    const last = batch.baseOffset + BigInt(batch.lastOffsetDelta);
    if (batch.producerId >= 0n) {
      while (pending.length > 0 && (pending[0] as AbortedTxn).firstOffset <= last)
        abortedProducers.add((pending.shift() as AbortedTxn).producerId);
      if (batch.isControl && isAbortMarker(batch)) abortedProducers.delete(batch.producerId);
      else if (batch.isTransactional && abortedProducers.has(batch.producerId)) continue;
    }
    if (batch.isControl) continue;
    out.push(...batch.records.filter((r) => r.offset < lso).map(seen));
  }
  return out;
}

/** Key -> latest non-deleted record of what a reader saw (a compacted topic's meaning). */
export function latestValues(records: readonly Seen[]): Map<string, Seen> {
  const latest = new Map<string, Seen>();
  for (const r of records) {
    if (r.value === null) latest.delete(r.key);
    else latest.set(r.key, r);
  }
  return latest;
}

function isAbortMarker(batch: RecordBatch): boolean {
  const key = batch.records[0]?.key;
  return key !== undefined && key !== null && key.readInt16BE(2) === ControlRecordType.ABORT;
}

function seen(r: { offset: bigint; key: Buffer | null; value: Buffer | null }): Seen {
  return { offset: r.offset, key: r.key?.toString() ?? "", value: r.value?.toString() ?? null };
}
