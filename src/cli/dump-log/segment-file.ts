import { closeSync, fstatSync, openSync, readFileSync, readSync } from "node:fs";
import { resolve } from "node:path";
import { CorruptRecordError, iterateBatches } from "../../protocol/index.js";
import { DumpLogError } from "./dump-output.js";

/**
 * One batch (or magic 0/1 entry) of a file: its bytes are `buf` from `at`. Each read fills a fresh
 * buffer, so a batch stays readable after the walk moves on.
 */
export interface FileBatch {
  file: string;
  position: number;
  buf: Buffer;
  at: number;
  size: number;
  magic: number;
}

/** Bytes read per step: segments run to a gigabyte, so they are walked, not loaded. */
const WINDOW_BYTES = 1024 * 1024;

/** A file's bytes, or a DumpLogError naming it (Kafka's tool dies of NoSuchFileException there). */
export function readWholeFile(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw unreadable(path, error);
  }
}

function unreadable(path: string, error: unknown): DumpLogError {
  return new DumpLogError(`Cannot read ${path}: ${(error as Error).message}`, { cause: error });
}

/** Kafka prints summaries under a file's absolute path (File.getAbsolutePath). */
export function absolutePath(path: string): string {
  return resolve(path);
}

/**
 * A segment file read in windows, its batches walked with Brook's framing (iterateBatches, any
 * magic), as Kafka's FileLogInputStream walks a FileRecords slice.
 */
export class SegmentFile {
  readonly path: string;
  readonly size: number;
  private readonly fd: number;

  private constructor(path: string, fd: number, size: number) {
    this.path = path;
    this.fd = fd;
    this.size = size;
  }

  static open(path: string): SegmentFile {
    let fd: number;
    try {
      fd = openSync(path, "r");
    } catch (error) {
      throw unreadable(path, error);
    }
    try {
      return new SegmentFile(path, fd, fstatSync(fd).size);
    } catch (error) {
      closeSync(fd);
      throw unreadable(path, error);
    }
  }

  close(): void {
    closeSync(this.fd);
  }

  /**
   * The whole batches between `from` and `end` (a file position, clamped to the size); returns
   * where the last whole one ends, so that what follows is a batch cut short. Bytes that cannot
   * start a batch (an unknown magic, a length below any batch's) end the walk with a DumpLogError.
   */
  *batches(from: number, end: number): Generator<FileBatch, number, undefined> {
    const limit = Math.min(end, this.size);
    let position = from;
    let window = WINDOW_BYTES;
    while (position < limit) {
      const buf = this.read(position, Math.min(window, limit - position));
      let consumed = 0;
      try {
        for (const b of iterateBatches(buf)) {
          yield { file: this.path, position: position + b.at, buf, at: b.at, size: b.size, magic: b.magic };
          consumed = b.at + b.size;
        }
      } catch (error) {
        if (!(error instanceof CorruptRecordError)) throw error;
        // iterateBatches names a position in the window it was given; the file position is ours.
        const why = error.message.replace(/ at \d+$/, "");
        throw new DumpLogError(`Found ${why} at position ${position + consumed} of ${this.path}`, {
          cause: error,
        });
      }
      if (consumed === 0) {
        // A batch larger than the window, or the cut-off end of the file.
        if (position + buf.length >= limit) break;
        window *= 2;
        continue;
      }
      position += consumed;
    }
    return position;
  }

  /** Up to `length` bytes at `position` (fewer only at the end of the file). */
  read(position: number, length: number): Buffer {
    const buf = Buffer.allocUnsafe(length);
    let done = 0;
    try {
      while (done < length) {
        const n = readSync(this.fd, buf, done, length - done, position + done);
        if (n === 0) break;
        done += n;
      }
    } catch (error) {
      throw unreadable(this.path, error);
    }
    return buf.subarray(0, done);
  }
}
