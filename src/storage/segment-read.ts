import { assert } from "../base/index.js";
import { BATCH_HEADER_BYTES, batchBaseOffset, batchLastOffsetDelta } from "../protocol/index.js";
import { framedBatchSize } from "./batch-scan.js";
import type { LogSegment } from "./log-segment.js";
import { StorageError } from "./storage-error.js";

/**
 * Reads whole batches from one segment for a fetch: from the batch holding `fetchOffset` (or the
 * first after it), up to `maxBytes` (the first batch always, with minOneMessage, as Kafka does)
 * and stopping before the first batch that reaches `maxOffset` (the high watermark). One read
 * syscall in the common case: the bytes from the index entry below the fetch offset to maxBytes
 * plus `slackBytes` past it, sliced to whole batches.
 */
export interface SegmentRead {
  records: Buffer;
  firstOffset: bigint;
  nextOffset: bigint;
}

/** Rounds of re-reading when the skipped prefix is longer than the slack (bounded by segment size). */
const READ_ROUNDS_MAX = 1_000_000;

export function readSegment(
  segment: LogSegment,
  fetchOffset: bigint,
  maxBytes: number,
  maxOffset: bigint,
  minOneMessage: boolean,
  slackBytes: number,
): SegmentRead | null {
  const end = segment.sizeBytes;
  let position = segment.indexLookup(fetchOffset);
  for (let round = 0; position < end; round++) {
    assert(round < READ_ROUNDS_MAX, "segment read made no progress");
    const buf = segment.readBytes(position, Math.min(end - position, maxBytes + slackBytes));
    const found = findFirstBatch(buf, fetchOffset, segment);
    if (found.at < 0) {
      position += found.skippedBytes;
      continue;
    }
    return collect(segment, buf, position, found.at, maxBytes, maxOffset, minOneMessage);
  }
  return null;
}

function findFirstBatch(
  buf: Buffer,
  fetchOffset: bigint,
  segment: LogSegment,
): { at: number; skippedBytes: number } {
  let at = 0;
  while (at + BATCH_HEADER_BYTES <= buf.length) {
    const size = framedBatchSizeOrThrow(segment, buf, at);
    const last = batchBaseOffset(buf, at) + BigInt(batchLastOffsetDelta(buf, at));
    if (last >= fetchOffset) return { at, skippedBytes: at };
    at += size;
  }
  // Not even one whole header in the buffer: the segment ends inside a batch header.
  if (at === 0) throw corruptAt(segment, 0);
  return { at: -1, skippedBytes: at };
}

function collect(
  segment: LogSegment,
  bufIn: Buffer,
  bufPosition: number,
  startIn: number,
  maxBytes: number,
  maxOffset: bigint,
  minOneMessage: boolean,
): SegmentRead {
  let buf = bufIn;
  let start = startIn;
  const firstSize = framedBatchSizeOrThrow(segment, buf, start);
  const firstOffset = batchBaseOffset(buf, start);
  const firstLast = firstOffset + BigInt(batchLastOffsetDelta(buf, start));
  if (firstLast >= maxOffset || (firstSize > maxBytes && !minOneMessage)) {
    return { records: buf.subarray(start, start), firstOffset, nextOffset: firstOffset };
  }
  if (start + firstSize > buf.length) {
    // The first batch is not all in the buffer: read it (and what follows, up to maxBytes) alone.
    const position = bufPosition + start;
    buf = segment.readBytes(position, Math.max(firstSize, Math.min(maxBytes, segment.sizeBytes - position)));
    start = 0;
    if (buf.length < firstSize) throw corruptAt(segment, position);
  }
  let at = start + firstSize;
  let nextOffset = firstLast + 1n;
  while (at + BATCH_HEADER_BYTES <= buf.length) {
    const size = framedBatchSizeOrThrow(segment, buf, at);
    const last = batchBaseOffset(buf, at) + BigInt(batchLastOffsetDelta(buf, at));
    if (last >= maxOffset || at + size - start > maxBytes || at + size > buf.length) break;
    at += size;
    nextOffset = last + 1n;
  }
  return { records: buf.subarray(start, at), firstOffset, nextOffset };
}

function framedBatchSizeOrThrow(segment: LogSegment, buf: Buffer, at: number): number {
  const size = framedBatchSize(buf, at);
  if (size < 0) throw corruptAt(segment, at);
  return size;
}

function corruptAt(segment: LogSegment, at: number): StorageError {
  return new StorageError(
    "BRK_ERR_STORAGE_CORRUPT",
    `segment ${segment.file.path} holds a malformed batch near position ${at} of a read`,
  );
}
