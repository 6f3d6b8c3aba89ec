/**
 * The storage engine's named limits. Every cache, buffer and scan is bounded by one of these;
 * `LogManager.open({ limits })` overrides any of them.
 */
export interface StorageLimits {
  /** Segment files open at once across all logs; the least recently used idle ones are closed. */
  readonly openSegmentFilesMax: number;
  /** Bytes of offset and time index entries of sealed segments held in memory, least recently used dropped. */
  readonly sealedIndexBytesMax: number;
  /** Recently appended bytes kept in memory to serve tail reads without a read syscall, across all logs. */
  readonly tailCacheBytesMax: number;
  /** A fetch's maxBytes is clamped to this; a larger first batch is still returned whole (minOneMessage). */
  readonly readBytesMax: number;
  /** Bytes read per syscall when recovery or an index rebuild scans a segment. */
  readonly scanChunkBytes: number;
  /** Keys one compaction pass may hold in its offset map; a pass stops its dirty range there. */
  readonly cleanerOffsetMapKeysMax: number;
  /** Bytes of key material one compaction pass may hold in its offset map. */
  readonly cleanerOffsetMapBytesMax: number;
  /** Source bytes the cleaner processes between yields to the event loop. */
  readonly cleanerYieldBytes: number;
  /** Append listeners per log (long-poll fetches waiting on one partition). */
  readonly appendListenersMax: number;
  /** Partition directories one log dir may hold. */
  readonly logsPerDirMax: number;
}

export const DEFAULT_STORAGE_LIMITS: StorageLimits = Object.freeze({
  openSegmentFilesMax: 1024,
  sealedIndexBytesMax: 64 * 1024 * 1024,
  tailCacheBytesMax: 32 * 1024 * 1024,
  readBytesMax: 64 * 1024 * 1024,
  scanChunkBytes: 8 * 1024 * 1024,
  cleanerOffsetMapKeysMax: 4_000_000,
  cleanerOffsetMapBytesMax: 128 * 1024 * 1024,
  cleanerYieldBytes: 4 * 1024 * 1024,
  appendListenersMax: 100_000,
  logsPerDirMax: 100_000,
});
