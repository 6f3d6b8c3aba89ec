import { type Clock, systemClock } from "../base/index.js";
import { FileDeleter } from "./file-deleter.js";
import { FileHandlePool } from "./file-handles.js";
import { IndexBudget } from "./index-budget.js";
import type { SegmentEnv } from "./log-segment.js";
import { SegmentWriter } from "./segment-writer.js";
import { DEFAULT_STORAGE_LIMITS, type StorageLimits } from "./storage-limits.js";
import { TailCacheArena } from "./tail-cache.js";

/**
 * What every log of one LogManager shares: the clock, the limits and the bounded resources (open
 * files, sealed-index memory, tail-cache memory, the queue of files to delete), and where errors of
 * background work (async flushes, cleaning) are reported.
 */
export interface StorageEnv extends SegmentEnv {
  readonly clock: Clock;
  readonly tailArena: TailCacheArena;
  readonly deleter: FileDeleter;
  readonly onBackgroundError: (error: unknown, context: string) => void;
}

export interface StorageEnvOptions {
  clock?: Clock;
  limits?: Partial<StorageLimits>;
  onBackgroundError?: (error: unknown, context: string) => void;
}

/** Files queued for delayed deletion at most; beyond it the oldest go at once. */
const PENDING_DELETIONS_MAX = 1_000_000;

export function createStorageEnv(options: StorageEnvOptions = {}): StorageEnv {
  const limits: StorageLimits = Object.freeze({ ...DEFAULT_STORAGE_LIMITS, ...options.limits });
  return {
    clock: options.clock ?? systemClock,
    limits,
    handles: new FileHandlePool(limits.openSegmentFilesMax, SegmentWriter.shared().channel()),
    indexBudget: new IndexBudget(limits.sealedIndexBytesMax),
    tailArena: new TailCacheArena(limits.tailCacheBytesMax),
    deleter: new FileDeleter(PENDING_DELETIONS_MAX),
    onBackgroundError:
      options.onBackgroundError ??
      ((error, context) => {
        console.error(`brook storage: ${context}:`, error);
      }),
  };
}
