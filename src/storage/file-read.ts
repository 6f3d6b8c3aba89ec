import { readSync } from "node:fs";

/**
 * Reads up to `length` bytes at `position` into a new buffer; shorter only at end of file. The
 * buffer is freshly allocated and never reused, so slices of it may be handed to the network layer.
 */
export function readAtSync(fd: number, position: number, length: number): Buffer {
  const out = Buffer.allocUnsafe(length);
  let done = 0;
  while (done < length) {
    const n = readSync(fd, out, done, length - done, position + done);
    if (n === 0) break;
    done += n;
  }
  return done === length ? out : out.subarray(0, done);
}
