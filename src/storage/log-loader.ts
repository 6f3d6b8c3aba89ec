import { mkdirSync, readdirSync, rmSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { assert } from "../base/index.js";
import { batchBaseOffset, batchPartitionLeaderEpoch } from "../protocol/index.js";
import { fsyncDirectorySync } from "./durable-file.js";
import { LeaderEpochCache } from "./leader-epoch-cache.js";
import { Log } from "./log.js";
import type { LogConfig } from "./log-config.js";
import { LogSegment, type SegmentSettings } from "./log-segment.js";
import { readPartitionMetadata, writePartitionMetadata } from "./partition-metadata-file.js";
import {
  CLEANED_FILE_SUFFIX,
  DELETED_FILE_SUFFIX,
  INDEX_FILE_SUFFIX,
  LEADER_EPOCH_CHECKPOINT_FILE,
  LOG_FILE_SUFFIX,
  parseSegmentFileName,
  SWAP_FILE_SUFFIX,
  segmentFilePath,
  TIME_INDEX_FILE_SUFFIX,
  TMP_FILE_SUFFIX,
} from "./segment-files.js";
import type { StorageEnv } from "./storage-env.js";
import type { TopicPartition } from "./topic-partition.js";

/**
 * Opens a partition directory (Kafka's LogLoader):
 * 1. removes leftovers: `.tmp`, `.deleted` and `.cleaned` files, index files without a log;
 * 2. completes an interrupted compaction swap: a `.swap` segment is a finished cleaned copy, so
 *    the old segments inside its offset range are deleted and it takes their place;
 * 3. after a clean shutdown trusts the files (the active segment's index and tail tell the log
 *    end); after a crash re-checks every batch from the segment holding the recovery point on,
 *    truncating at the first torn or corrupt batch and dropping the segments after it;
 * 4. restores the log start offset, high watermark and leader-epoch history within the result.
 */
export interface LoadLogParams {
  env: StorageEnv;
  dir: string;
  tp: TopicPartition;
  config: LogConfig;
  hadCleanShutdown: boolean;
  recoveryPointCheckpoint: bigint | null;
  logStartOffsetCheckpoint: bigint | null;
  highWatermarkCheckpoint: bigint | null;
  persistLogStartOffset: () => void;
}

export interface LoadLogStats {
  /** Segments whose batches were re-checked. */
  recoveredSegments: number;
  /** Bytes cut from torn or corrupt tails. */
  truncatedBytes: number;
}

export function createLog(
  params: Omit<LoadLogParams, "hadCleanShutdown"> & { topicId: string | null; startOffset?: bigint },
): Log {
  mkdirSync(params.dir, { recursive: true });
  if (params.topicId !== null) writePartitionMetadata(params.dir, params.topicId);
  fsyncDirectorySync(dirname(params.dir));
  const start = params.startOffset ?? 0n;
  const segment = LogSegment.create(
    params.env,
    params.dir,
    start,
    settingsOf(params.config),
    params.env.clock.nowMs(),
  );
  return new Log({
    tp: params.tp,
    dir: params.dir,
    topicId: params.topicId,
    config: params.config,
    env: params.env,
    segments: [segment],
    logStartOffset: start,
    logEndOffset: start,
    recoveryPoint: start,
    highWatermark: start,
    leaderEpochCache: LeaderEpochCache.load(join(params.dir, LEADER_EPOCH_CHECKPOINT_FILE)),
    persistLogStartOffset: params.persistLogStartOffset,
  });
}

export function loadLog(
  params: LoadLogParams,
  stats: LoadLogStats = { recoveredSegments: 0, truncatedBytes: 0 },
): Log {
  const { env, dir, config } = params;
  const settings = settingsOf(config);
  const nowMs = env.clock.nowMs();
  const bases = cleanDirectory(env, dir, settings);
  const epochCache = LeaderEpochCache.load(join(dir, LEADER_EPOCH_CHECKPOINT_FILE));
  const segments = bases.map((base, i) =>
    LogSegment.open(
      env,
      dir,
      base,
      statSync(segmentFilePath(dir, base, LOG_FILE_SUFFIX)).size,
      settings,
      nowMs,
      i < bases.length - 1,
    ),
  );
  if (segments.length === 0) {
    segments.push(LogSegment.create(env, dir, params.logStartOffsetCheckpoint ?? 0n, settings, nowMs));
  }
  if (!params.hadCleanShutdown) {
    recoverSegments(segments, params.recoveryPointCheckpoint ?? 0n, epochCache, stats);
  }
  const active = segments[segments.length - 1] as LogSegment;
  if (active.sealed) active.unseal();
  // After a clean shutdown the recovery point is the log end (everything was flushed): trusting it
  // lets start-up skip the active segment's index and tail until the log is first used.
  const cleanEnd = params.hadCleanShutdown ? params.recoveryPointCheckpoint : null;
  let logEndOffset = cleanEnd !== null && cleanEnd >= active.baseOffset ? cleanEnd : active.nextOffset();
  const logStartOffset = maxOf(params.logStartOffsetCheckpoint ?? 0n, (segments[0] as LogSegment).baseOffset);
  if (logStartOffset > logEndOffset) {
    // The data below the checkpointed start is gone: start empty there, as Kafka does.
    for (const segment of segments.splice(0)) deleteSegmentNow(segment);
    segments.push(LogSegment.create(env, dir, logStartOffset, settings, nowMs));
    logEndOffset = logStartOffset;
  }
  const recoveryPoint = params.hadCleanShutdown
    ? logEndOffset
    : minOf(params.recoveryPointCheckpoint ?? 0n, logEndOffset);
  epochCache.truncateFromEnd(logEndOffset);
  epochCache.truncateFromStart(logStartOffset);
  const hw = params.highWatermarkCheckpoint ?? logStartOffset;
  return new Log({
    tp: params.tp,
    dir,
    topicId: readPartitionMetadata(dir),
    config,
    env,
    segments,
    logStartOffset,
    logEndOffset,
    recoveryPoint: maxOf(recoveryPoint, minOf(logStartOffset, logEndOffset)),
    highWatermark: minOf(maxOf(hw, logStartOffset), logEndOffset),
    leaderEpochCache: epochCache,
    persistLogStartOffset: params.persistLogStartOffset,
  });
}

function settingsOf(config: LogConfig): SegmentSettings {
  return { indexIntervalBytes: config.indexIntervalBytes, segmentIndexBytes: config.segmentIndexBytes };
}

const maxOf = (a: bigint, b: bigint): bigint => (a > b ? a : b);
const minOf = (a: bigint, b: bigint): bigint => (a < b ? a : b);

/** Removes leftovers, completes swaps; returns the base offsets of the segments, ascending. */
function cleanDirectory(env: StorageEnv, dir: string, settings: SegmentSettings): bigint[] {
  const logBases = new Set<bigint>();
  const swapBases: bigint[] = [];
  const indexFiles: { name: string; baseOffset: bigint; extra: string }[] = [];
  for (const name of readdirSync(dir)) {
    const parsed = parseSegmentFileName(name);
    if (
      name.endsWith(TMP_FILE_SUFFIX) ||
      parsed?.extra === DELETED_FILE_SUFFIX ||
      parsed?.extra === CLEANED_FILE_SUFFIX
    ) {
      rmSync(join(dir, name), { force: true });
    } else if (parsed?.suffix === LOG_FILE_SUFFIX) {
      if (parsed.extra === SWAP_FILE_SUFFIX) swapBases.push(parsed.baseOffset);
      else if (parsed.extra === "") logBases.add(parsed.baseOffset);
    } else if (
      parsed !== null &&
      (parsed.suffix === INDEX_FILE_SUFFIX || parsed.suffix === TIME_INDEX_FILE_SUFFIX)
    ) {
      indexFiles.push({ name, baseOffset: parsed.baseOffset, extra: parsed.extra });
    }
  }
  for (const base of swapBases.sort(compareBigint)) completeSwap(env, dir, base, settings, logBases);
  // Index files without their log (a swap left them, or a crash mid-deletion): remove.
  for (const index of indexFiles) {
    if (index.extra !== "" || !logBases.has(index.baseOffset)) rmSync(join(dir, index.name), { force: true });
  }
  return [...logBases].sort(compareBigint);
}

function compareBigint(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * A `.swap` segment is a complete cleaned replacement for the old segments inside its offset
 * range (its files were renamed from `.cleaned` only once fully written and fsynced).
 */
function completeSwap(
  env: StorageEnv,
  dir: string,
  base: bigint,
  settings: SegmentSettings,
  logBases: Set<bigint>,
): void {
  const size = statSync(segmentFilePath(dir, base, LOG_FILE_SUFFIX, SWAP_FILE_SUFFIX)).size;
  const swap = LogSegment.open(env, dir, base, size, settings, env.clock.nowMs(), true);
  swap.useSuffix(SWAP_FILE_SUFFIX);
  swap.recover(() => {});
  const end = swap.nextOffset();
  if (end === base && logBases.has(base)) {
    // An empty replacement whose originals were not yet touched: keep the originals.
    swap.close();
    for (const path of swap.filePaths()) rmSync(path, { force: true });
    return;
  }
  for (const old of [...logBases]) {
    if (old >= base && old < maxOf(end, base + 1n)) {
      for (const suffix of [LOG_FILE_SUFFIX, INDEX_FILE_SUFFIX, TIME_INDEX_FILE_SUFFIX]) {
        rmSync(segmentFilePath(dir, old, suffix), { force: true });
      }
      logBases.delete(old);
    }
  }
  swap.close();
  swap.renameSuffix("");
  fsyncDirectorySync(dir);
  logBases.add(base);
}

/** Re-checks every batch from the segment holding `recoveryPoint` on (the crash path). */
function recoverSegments(
  segments: LogSegment[],
  recoveryPoint: bigint,
  epochCache: LeaderEpochCache,
  stats: LoadLogStats,
): void {
  let i = 0;
  while (i + 1 < segments.length && (segments[i + 1] as LogSegment).baseOffset <= recoveryPoint) i++;
  for (; i < segments.length; i++) {
    const segment = segments[i] as LogSegment;
    const result = segment.recover((buf, at) => {
      const epoch = batchPartitionLeaderEpoch(buf, at);
      if (epoch >= 0 && epoch > epochCache.latestEpoch) epochCache.assign(epoch, batchBaseOffset(buf, at));
    });
    stats.recoveredSegments++;
    stats.truncatedBytes += result.truncatedBytes;
    const next = segments[i + 1];
    if (next !== undefined && segment.nextOffset() > next.baseOffset) {
      stats.truncatedBytes += segment.truncateTo(next.baseOffset);
    }
    if (result.truncatedBytes > 0) {
      for (const dropped of segments.splice(i + 1)) {
        stats.truncatedBytes += dropped.sizeBytes;
        deleteSegmentNow(dropped);
      }
      break;
    }
  }
  assert(segments.length > 0, "recovery keeps at least one segment");
}

function deleteSegmentNow(segment: LogSegment): void {
  segment.close();
  for (const path of segment.filePaths()) rmSync(path, { force: true });
}
