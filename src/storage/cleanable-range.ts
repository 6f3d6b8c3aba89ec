import type { Log } from "./log.js";
import { isCompacted, LONG_MAX } from "./log-config.js";
import type { LogSegment } from "./log-segment.js";

/**
 * What the cleaner may compact in a log now (Kafka's LogCleanerManager.cleanableOffsets and
 * LogToClean): the dirty range starts at the cleaner checkpoint (or the log start) and ends before
 * the first uncleanable offset: the active segment, the last stable offset, and the first segment
 * younger than min.compaction.lag.ms. The log is worth cleaning when its dirty ratio exceeds
 * min.cleanable.dirty.ratio, when a dirty segment is older than max.compaction.lag.ms, or when
 * tombstones or transaction markers it holds have passed their delete horizon (Brook's addition:
 * Kafka waits for new dirt).
 */
export interface CleanableRange {
  firstDirtyOffset: bigint;
  firstUncleanableOffset: bigint;
  cleanBytes: number;
  dirtyBytes: number;
  /** dirty / (clean + dirty), 0 for an empty log. */
  dirtyRatio: number;
  /** A dirty segment waited longer than max.compaction.lag.ms. */
  needCompactionNow: boolean;
  /** Tombstones or markers in the log reached their delete horizon. */
  tombstonesDue: boolean;
}

export function cleanableRange(log: Log, nowMs: number, tombstonesDueMs: number | null): CleanableRange {
  const active = log.activeSegment;
  const config = log.config;
  let firstDirty = log.cleanerCheckpoint ?? log.logStartOffset;
  if (firstDirty < log.logStartOffset || firstDirty > active.baseOffset) firstDirty = log.logStartOffset;
  // biome-ignore lint/complexity/useMathMinMax: bigint
  let uncleanable = active.baseOffset < log.lastStableOffset ? active.baseOffset : log.lastStableOffset;
  const dirtySegments = overlapping(log, firstDirty, uncleanable);
  if (config.minCompactionLagMs > 0) {
    const young = dirtySegments.find(
      (s) => Number(s.maxTimestampAndOffset().timestamp) > nowMs - config.minCompactionLagMs,
    );
    if (young !== undefined && young.baseOffset < uncleanable) uncleanable = young.baseOffset;
  }
  if (uncleanable < firstDirty) uncleanable = firstDirty;
  const cleanBytes = sum(overlapping(log, -1n, firstDirty));
  const dirty = overlapping(log, firstDirty, uncleanable);
  const dirtyBytes = sum(dirty);
  let needCompactionNow = false;
  if (config.maxCompactionLagMs < LONG_MAX) {
    const firstTimestamps = dirty
      .map((s) => s.rollingBaseTimestamp())
      .filter((t): t is number => t !== null && t >= 0);
    needCompactionNow =
      firstTimestamps.length > 0 && nowMs - Math.min(...firstTimestamps) > config.maxCompactionLagMs;
  }
  const total = cleanBytes + dirtyBytes;
  return {
    firstDirtyOffset: firstDirty,
    firstUncleanableOffset: uncleanable,
    cleanBytes,
    dirtyBytes,
    dirtyRatio: total === 0 ? 0 : dirtyBytes / total,
    needCompactionNow,
    tombstonesDue: tombstonesDueMs !== null && nowMs >= tombstonesDueMs,
  };
}

/** Whether the cleaner should take this log now. */
export function isCleanable(log: Log, range: CleanableRange): boolean {
  if (!isCompacted(log.config) || log.isOffline) return false;
  if (range.tombstonesDue) return true;
  return (
    range.dirtyBytes > 0 && (range.dirtyRatio > log.config.minCleanableDirtyRatio || range.needCompactionNow)
  );
}

/** Non-active segments holding offsets in [from, to). */
function overlapping(log: Log, from: bigint, to: bigint): LogSegment[] {
  const segments = log.segmentList;
  const out: LogSegment[] = [];
  for (let i = 0; i < segments.length - 1; i++) {
    const segment = segments[i] as LogSegment;
    const end = (segments[i + 1] as LogSegment).baseOffset;
    if (segment.baseOffset < to && end > from) out.push(segment);
  }
  return out;
}

function sum(segments: readonly LogSegment[]): number {
  return segments.reduce((total, s) => total + s.sizeBytes, 0);
}
