import { batchBaseOffset, batchLastOffsetDelta, batchMaxTimestamp } from "../protocol/index.js";
import type { LogSegment } from "./log-segment.js";
import { recordOffsetForTimestamp } from "./record-timestamps.js";

/**
 * ListOffsets by timestamp over a log's segments, as Kafka answers it: the first segment whose
 * largest timestamp reaches the target, its time index to skip ahead, then the first batch whose
 * max timestamp reaches it, then the first record in that batch that does (decoding that one batch).
 */
export interface TimestampAndOffset {
  timestamp: bigint;
  offset: bigint;
  leaderEpoch: number;
}

export const LIST_OFFSETS_LATEST = -1n;
export const LIST_OFFSETS_EARLIEST = -2n;
export const LIST_OFFSETS_MAX_TIMESTAMP = -3n;
export const LIST_OFFSETS_EARLIEST_LOCAL = -4n;

export function findOffsetByTimestamp(
  segments: readonly LogSegment[],
  target: bigint,
  logStartOffset: bigint,
): { timestamp: bigint; offset: bigint } | null {
  if (target === LIST_OFFSETS_MAX_TIMESTAMP) return findMaxTimestamp(segments, logStartOffset);
  if (target < 0n) return null;
  for (const segment of segments) {
    if (segment.nextOffset() <= logStartOffset || segment.maxTimestampAndOffset().timestamp < target)
      continue;
    let found: { position: number; sizeBytes: number } | null = null;
    segment.forEachBatchHeader(segment.lookupTimestampPosition(target), (buf, at, position, sizeBytes) => {
      const last = batchBaseOffset(buf, at) + BigInt(batchLastOffsetDelta(buf, at));
      if (last < logStartOffset || batchMaxTimestamp(buf, at) < target) return true;
      found = { position, sizeBytes };
      return false;
    });
    if (found === null) continue;
    const { position, sizeBytes } = found;
    const batch = segment.readBytes(position, sizeBytes);
    return recordOffsetForTimestamp(batch, (r) => r.timestamp >= target && r.offset >= logStartOffset);
  }
  return null;
}

function findMaxTimestamp(
  segments: readonly LogSegment[],
  logStartOffset: bigint,
): { timestamp: bigint; offset: bigint } | null {
  let best: LogSegment | null = null;
  for (const segment of segments) {
    if (segment.nextOffset() <= logStartOffset) continue;
    const max = segment.maxTimestampAndOffset();
    if (max.timestamp >= 0n && (best === null || max.timestamp > best.maxTimestampAndOffset().timestamp))
      best = segment;
  }
  if (best === null) return null;
  const { timestamp, offset } = best.maxTimestampAndOffset();
  const location = best.findBatch(offset);
  if (location === null) return { timestamp, offset };
  const batch = best.readBytes(location.position, location.sizeBytes);
  return recordOffsetForTimestamp(batch, (r) => r.timestamp === timestamp) ?? { timestamp, offset };
}
