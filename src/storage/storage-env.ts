import { type Clock, systemClock } from "../base/index.js";
import { FileDeleter } from "./file-deleter.js";
import { FileHandlePool } from "./file-handles.js";
import { IndexBudget } from "./index-budget.js";
import type { SegmentEnv } from "./log-segment.js";
import { ReadBufferPool } from "./read-buffer-pool.js";
import { SegmentWriter } from "./segment-writer.js";
import { StorageFaults } from "./storage-faults.js";
import { DEFAULT_STORAGE_LIMITS, type StorageLimits } from "./storage-limits.js";
import { TailCacheArena } from "./tail-cache.js";

/**
 * What every log of one LogManager shares: the clock, the limits and the bounded resources (open
 * files, sealed-index memory, tail-cache memory, the queue of files to delete), and where errors of
 * background work (async flushes, cleaning) are reported. Each log dir has its own env on top
 * (`logDirEnv`): its write channel, and where its I/O errors go (the LogManager takes the dir
 * offline, as Kafka's LogDirFailureChannel does).
 */
export interface StorageEnv extends SegmentEnv {
  readonly clock: Clock;
  readonly tailArena: TailCacheArena;
  /** Buffers for segment reads that answer fetches, given back when the response is written. */
  readonly readPool: ReadBufferPool;
  readonly deleter: FileDeleter;
  readonly onBackgroundError: (error: unknown, context: string) => void;
  /**
   * An I/O error (a failed write, read, fsync or checkpoint) hit a file of this env's log dir: the
   * LogManager takes the whole dir offline. Called once per failing operation; repeated calls for
   * a dir already offline do nothing.
   */
  readonly onIoError: (error: unknown, context: string) => void;
}

export interface StorageEnvOptions {
  clock?: Clock;
  limits?: Partial<StorageLimits>;
  onBackgroundError?: (error: unknown, context: string) => void;
  /** Injected I/O errors (tests); default none. */
  faults?: StorageFaults;
}

/**
 * One pooled read buffer holds a default fetch's partition (max.partition.fetch.bytes and
 * replica.fetch.max.bytes are 1 MiB); 16 idle ones at most (16 MiB) stay pooled.
 */
const READ_POOL_BUFFER_BYTES = 1024 * 1024;
const READ_POOL_FREE_MAX = 16;

/** Files queued for delayed deletion at most; beyond it the oldest go at once. */
const PENDING_DELETIONS_MAX = 1_000_000;

export function createStorageEnv(options: StorageEnvOptions = {}): StorageEnv {
  const limits: StorageLimits = Object.freeze({ ...DEFAULT_STORAGE_LIMITS, ...options.limits });
  return {
    clock: options.clock ?? systemClock,
    limits,
    handles: new FileHandlePool(limits.openSegmentFilesMax, options.faults ?? new StorageFaults()),
    writes: SegmentWriter.shared().channel(),
    indexBudget: new IndexBudget(limits.sealedIndexBytesMax),
    tailArena: new TailCacheArena(limits.tailCacheBytesMax),
    readPool: new ReadBufferPool(READ_POOL_BUFFER_BYTES, READ_POOL_FREE_MAX),
    deleter: new FileDeleter(PENDING_DELETIONS_MAX),
    onBackgroundError:
      options.onBackgroundError ??
      ((error, context) => {
        console.error(`brook storage: ${context}:`, error);
      }),
    onIoError: () => {},
  };
}

/** The env of one log dir: the shared resources, its own write channel and I/O error handling. */
export function logDirEnv(
  shared: StorageEnv,
  onIoError: (error: unknown, context: string) => void,
): StorageEnv {
  return { ...shared, writes: SegmentWriter.shared().channel(), onIoError };
}

/**
 * Whether `error` (or what caused it) is a failure of the disk or file system rather than a bug or
 * bad input: an error of a system call (ENOSPC, EIO, EROFS, ...) or a failed segment write. Kafka
 * takes a log dir offline on any IOException; this is that test.
 */
export function isIoError(error: unknown): boolean {
  for (let e = error, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "BRK_ERR_STORAGE_IO") return true;
    if (typeof code === "string" && /^E[A-Z0-9]+$/.test(code)) return true;
  }
  return false;
}
