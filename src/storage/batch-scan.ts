import {
  BATCH_HEADER_BYTES,
  BATCH_OFFSET_LAST_OFFSET_DELTA,
  batchBaseOffset,
  batchCrcIsValid,
  batchLastOffsetDelta,
  batchMagic,
  batchSizeBytes,
  LOG_OVERHEAD_BYTES,
} from "../protocol/index.js";
import { readAtSync, readIntoSync, scanScratch } from "./file-read.js";

/**
 * Walks the record batches stored in a segment file, a chunk of bytes per read syscall. Batches
 * are checked for framing (length, magic 2) and, when asked, fully (CRC32C, offsets increasing):
 * what recovery keeps is exactly the prefix that passes. Nothing here decodes records.
 */
const BATCH_LENGTH_MIN = BATCH_HEADER_BYTES - LOG_OVERHEAD_BYTES;
/** Bytes needed to learn a batch's offsets: up to and including lastOffsetDelta. */
export const BATCH_OFFSETS_PREFIX_BYTES = BATCH_OFFSET_LAST_OFFSET_DELTA + 4;

export type ScanStop = "end" | "torn" | "corrupt" | "visitor";

export interface ScanResult {
  /** File position where the scan stopped: the end of the last batch accepted. */
  position: number;
  stop: ScanStop;
}

/**
 * Called per batch with the bytes holding it (`buf` at `at`; the whole batch when `whole` was
 * asked, else at least its header) and its file position. Return false to stop before it. `buf`
 * is a shared scratch buffer, valid only during the call: copy what must outlive it. A visitor
 * must not start another scan.
 */
export type BatchVisitor = (buf: Buffer, at: number, position: number, sizeBytes: number) => boolean;

/** Framing check of the header at `at`: the batch size, or -1 when the header is not a v2 batch. */
export function framedBatchSize(buf: Buffer, at: number): number {
  if (buf.length - at < BATCH_HEADER_BYTES) return -1;
  const size = batchSizeBytes(buf, at);
  if (size - LOG_OVERHEAD_BYTES < BATCH_LENGTH_MIN || batchMagic(buf, at) !== 2) return -1;
  return size;
}

export function scanBatches(
  fd: number,
  from: number,
  end: number,
  chunkBytes: number,
  whole: boolean,
  visit: BatchVisitor,
): ScanResult {
  let position = from;
  const scratch = scanScratch(chunkBytes);
  while (position < end) {
    const chunk = readIntoSync(fd, scratch, position, Math.min(chunkBytes, end - position));
    if (chunk.length < BATCH_HEADER_BYTES) return { position, stop: chunk.length === 0 ? "end" : "torn" };
    let at = 0;
    while (at + BATCH_HEADER_BYTES <= chunk.length) {
      const size = framedBatchSize(chunk, at);
      if (size < 0) return { position: position + at, stop: "corrupt" };
      if (position + at + size > end) return { position: position + at, stop: "torn" };
      let buf = chunk;
      let bufAt = at;
      if (at + size > chunk.length) {
        if (at > 0) break; // re-read from this batch with a fresh chunk
        if (whole) {
          buf = readAtSync(fd, position, size);
          bufAt = 0;
          if (buf.length < size) return { position, stop: "torn" };
        }
      }
      if (!visit(buf, bufAt, position + at, size)) return { position: position + at, stop: "visitor" };
      at += size;
      if (at >= chunk.length) break;
    }
    if (at === 0) return { position, stop: "torn" };
    position += at;
  }
  return { position, stop: "end" };
}

export interface RecoveredBatch {
  baseOffset: bigint;
  lastOffset: bigint;
}

/**
 * The full check recovery applies to a stored batch: CRC32C valid, lastOffsetDelta not negative,
 * base offset at or after `nextOffsetMin`. Returns the batch's offsets, or null when it fails.
 */
export function checkStoredBatch(buf: Buffer, at: number, nextOffsetMin: bigint): RecoveredBatch | null {
  const delta = batchLastOffsetDelta(buf, at);
  const baseOffset = batchBaseOffset(buf, at);
  if (delta < 0 || baseOffset < nextOffsetMin) return null;
  if (!batchCrcIsValid(buf, at)) return null;
  return { baseOffset, lastOffset: baseOffset + BigInt(delta) };
}
