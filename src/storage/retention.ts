/**
 * Which old segments retention deletes: Kafka's rules as a pure function. Segments are deleted
 * whole, oldest first, and only while every offset in them is below the high watermark (never
 * data a replica or consumer has not been allowed to see yet).
 *
 * With cleanup.policy containing `delete`: segments whose largest timestamp is older than
 * retention.ms, then the oldest while the log stays above retention.bytes. Always: segments
 * wholly below the log start offset (after DeleteRecords). The active segment may qualify too;
 * the log then rolls a new empty one first.
 */
export interface RetentionSegment {
  readonly baseOffset: bigint;
  readonly sizeBytes: number;
  /** The segment's largest record timestamp, or its file's modification time when it has none. */
  readonly largestTimestampMs: number;
}

export interface RetentionInput {
  readonly segments: readonly RetentionSegment[];
  readonly logEndOffset: bigint;
  readonly logStartOffset: bigint;
  readonly highWatermark: bigint;
  readonly nowMs: number;
  readonly deletePolicy: boolean;
  readonly retentionMs: number;
  readonly retentionBytes: number;
}

export type RetentionReason = "retention.ms" | "retention.bytes" | "log-start-offset";

export interface RetentionDecision {
  /** How many of the oldest segments to delete. */
  count: number;
  reason: RetentionReason | null;
}

export function segmentsToDelete(input: RetentionInput): RetentionDecision {
  let count = 0;
  let reason: RetentionReason | null = null;
  const advance = (why: RetentionReason, predicate: (index: number) => boolean) => {
    const before = count;
    count = countPrefix(input, count, predicate);
    if (count > before) reason = why;
  };
  if (input.deletePolicy && input.retentionMs >= 0) {
    advance(
      "retention.ms",
      (i) => input.nowMs - (input.segments[i] as RetentionSegment).largestTimestampMs > input.retentionMs,
    );
  }
  if (input.deletePolicy && input.retentionBytes >= 0) {
    let excess = input.segments.slice(count).reduce((sum, s) => sum + s.sizeBytes, 0) - input.retentionBytes;
    advance("retention.bytes", (i) => {
      const size = (input.segments[i] as RetentionSegment).sizeBytes;
      if (excess - size < 0) return false;
      excess -= size;
      return true;
    });
  }
  advance("log-start-offset", (i) => {
    const next = input.segments[i + 1];
    return next !== undefined && next.baseOffset <= input.logStartOffset;
  });
  return { count, reason };
}

function countPrefix(input: RetentionInput, from: number, predicate: (index: number) => boolean): number {
  let i = from;
  for (; i < input.segments.length; i++) {
    const segment = input.segments[i] as RetentionSegment;
    const next = input.segments[i + 1];
    const upperBound = next === undefined ? input.logEndOffset : next.baseOffset;
    const lastAndEmpty = next === undefined && segment.sizeBytes === 0;
    if (input.highWatermark < upperBound || lastAndEmpty || !predicate(i)) break;
  }
  return i;
}
