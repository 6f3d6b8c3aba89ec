import type { BufferLease } from "../base/index.js";
import { BATCH_HEADER_BYTES, batchBaseOffset, batchLastOffsetDelta } from "../protocol/index.js";
import { framedBatchSize } from "./batch-scan.js";
import type { LogSegment } from "./log-segment.js";
import type { ReadBufferPool } from "./read-buffer-pool.js";
import { StorageError } from "./storage-error.js";

/**
 * Reads whole batches from one segment for a fetch: from the batch holding `fetchOffset` (or the
 * first after it), up to `maxBytes` (the first batch always, with minOneMessage, as Kafka does)
 * and stopping before the first batch that reaches `maxOffset` (the high watermark).
 *
 * The batch is located first (the log's position hint of its previous read, or the offset index
 * then headers), and the data read from exactly there: one read of at most maxBytes, into a
 * buffer the result slices: a pooled one held by `lease` when the caller has one (a response that
 * gives it back once written), else a fresh one. Reading from the index entry instead, with slack to cover the skip,
 * would make every 1 MiB fetch allocate a bit more than 1 MiB, which glibc then serves with fresh
 * mmap'd pages: measured, that alone doubled the CPU cost of a fetch.
 */
export interface SegmentRead {
  records: Buffer;
  firstOffset: bigint;
  nextOffset: bigint;
  /** File position after the last batch returned (the next fetch's start). */
  nextPosition: number;
}

export function readSegment(
  segment: LogSegment,
  position: number,
  maxBytes: number,
  maxOffset: bigint,
  minOneMessage: boolean,
  pool?: ReadBufferPool,
  lease?: BufferLease,
): SegmentRead {
  const available = segment.sizeBytes - position;
  const length = Math.min(available, Math.max(maxBytes, BATCH_HEADER_BYTES));
  let buf =
    pool === undefined || lease === undefined
      ? segment.readBytes(position, length)
      : segment.readBytes(position, length, pool.take(length, lease));
  const firstSize = framedBatchSize(buf, 0);
  if (firstSize < 0) throw corruptAt(segment, position);
  const firstOffset = batchBaseOffset(buf, 0);
  const firstLast = firstOffset + BigInt(batchLastOffsetDelta(buf, 0));
  if (firstLast >= maxOffset || (firstSize > maxBytes && !minOneMessage)) {
    return { records: buf.subarray(0, 0), firstOffset, nextOffset: firstOffset, nextPosition: position };
  }
  if (firstSize > buf.length) {
    buf = segment.readBytes(position, firstSize);
    if (buf.length < firstSize) throw corruptAt(segment, position);
  }
  let at = firstSize;
  let nextOffset = firstLast + 1n;
  while (at + BATCH_HEADER_BYTES <= buf.length) {
    const size = framedBatchSize(buf, at);
    if (size < 0) throw corruptAt(segment, position + at);
    const last = batchBaseOffset(buf, at) + BigInt(batchLastOffsetDelta(buf, at));
    if (last >= maxOffset || at + size > maxBytes || at + size > buf.length) break;
    at += size;
    nextOffset = last + 1n;
  }
  return { records: buf.subarray(0, at), firstOffset, nextOffset, nextPosition: position + at };
}

function corruptAt(segment: LogSegment, position: number): StorageError {
  return new StorageError(
    "BRK_ERR_STORAGE_CORRUPT",
    `segment ${segment.file.path} holds a malformed batch at position ${position}`,
  );
}
