import { readSync } from "node:fs";

/**
 * Reads up to `length` bytes at `position` into a new buffer; shorter only at end of file. The
 * buffer is freshly allocated and never reused, so slices of it may be handed to the network layer.
 */
export function readAtSync(fd: number, position: number, length: number): Buffer {
  return readIntoSync(fd, Buffer.allocUnsafe(length), position, length);
}

/** Reads up to `length` bytes at `position` into `target` (from its start); returns the bytes read. */
export function readIntoSync(fd: number, target: Buffer, position: number, length: number): Buffer {
  let done = 0;
  while (done < length) {
    const n = readSync(fd, target, done, length - done, position + done);
    if (n === 0) break;
    done += n;
  }
  return target.subarray(0, done);
}

/**
 * One reusable buffer for scans whose visitors never keep what they are shown (recovery, index
 * rebuilds, compaction): a fresh multi-megabyte buffer per chunk would cost a page fault per 4 KiB.
 */
let scratch: Buffer | null = null;

export function scanScratch(bytes: number): Buffer {
  if (scratch === null || scratch.length < bytes) scratch = Buffer.allocUnsafeSlow(bytes);
  return scratch;
}
