import { randomUUID } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { type Clock, ConfigError } from "../base/index.js";
import { ErrorCode, KafkaError } from "../protocol/index.js";
import {
  createCheckpointIfAbsent,
  type OffsetCheckpointEntry,
  readOffsetCheckpoint,
  writeOffsetCheckpoint,
} from "./checkpoint-file.js";
import { fsyncDirectorySync, writeFileAtomicSync } from "./durable-file.js";
import type { Log } from "./log.js";
import { LogCleaner } from "./log-cleaner.js";
import { DEFAULT_LOG_CONFIG, LONG_MAX, type LogConfig } from "./log-config.js";
import { createLog, type LoadLogStats, loadLog } from "./log-loader.js";
import { writePartitionMetadata } from "./partition-metadata-file.js";
import {
  CLEAN_SHUTDOWN_FILE,
  CLEANER_OFFSET_CHECKPOINT_FILE,
  DELETE_DIR_SUFFIX,
  deletedPartitionDirName,
  LOG_START_OFFSET_CHECKPOINT_FILE,
  parsePartitionDirName,
  partitionDirName,
  RECOVERY_POINT_CHECKPOINT_FILE,
  REPLICATION_OFFSET_CHECKPOINT_FILE,
} from "./segment-files.js";
import { createStorageEnv, isIoError, logDirEnv, type StorageEnv } from "./storage-env.js";
import { StorageError } from "./storage-error.js";
import type { StorageFaults } from "./storage-faults.js";
import type { StorageLimits } from "./storage-limits.js";
import { type TopicPartition, topicPartitionKey } from "./topic-partition.js";

/**
 * All partition logs of a broker, over one or more log directories (Kafka's LogManager).
 *
 * Per log directory it keeps Kafka's files: `recovery-point-offset-checkpoint`,
 * `log-start-offset-checkpoint`, `replication-offset-checkpoint` (high watermarks),
 * `cleaner-offset-checkpoint` (created empty at start-up when absent, as Kafka does, then written
 * periodically and at shutdown) and the `.kafka_cleanshutdown` marker, which `shutdown()` writes
 * after flushing every log and `open()` removes once the logs are loaded, so that its presence
 * at start-up means "nothing to recover".
 *
 * Background work (retention, flush.ms, checkpoints, file deletion, compaction) runs in `tick()`,
 * which the broker calls or which `backgroundIntervalMs` schedules on an unref'd timer; one tick
 * runs at a time.
 *
 * Log dir failure (Kafka's LogDirFailureChannel and LogManager.handleLogDirFailure): an I/O error
 * on any file of a log dir (a segment or index write, a read, an fsync, a checkpoint: ENOSPC, EIO,
 * EROFS...) takes the whole dir offline, once, until the next start: its logs fail every call with
 * KAFKA_STORAGE_ERROR, its write channel takes no more writes (what the writer thread holds still
 * reaches the files, in order, so a file never gets data past a hole), nothing counts as written
 * any more (so nothing more is acknowledged), its checkpoints and clean-shutdown marker are no
 * longer written, its logs are not cleaned, their descriptors are closed, and new logs go to the
 * other dirs. Listeners (`onLogDirFailure`) hear of it after the failing call. The files stay as
 * the failure left them: the next start recovers them (truncating a torn tail to the last valid
 * batch), as after a crash. Unlike Kafka, which halts when its last log dir fails, the manager
 * keeps going with none online: the broker keeps serving metadata and refuses writes.
 */
export interface LogManagerIntervals {
  /** log.retention.check.interval.ms */
  readonly retentionCheckIntervalMs: number;
  /** log.flush.offset.checkpoint.interval.ms */
  readonly recoveryPointCheckpointIntervalMs: number;
  /** log.flush.start.offset.checkpoint.interval.ms */
  readonly logStartOffsetCheckpointIntervalMs: number;
  /** replica.high.watermark.checkpoint.interval.ms */
  readonly highWatermarkCheckpointIntervalMs: number;
  /** log.cleaner.backoff.ms */
  readonly cleanerBackoffMs: number;
}

export const DEFAULT_LOG_MANAGER_INTERVALS: LogManagerIntervals = Object.freeze({
  retentionCheckIntervalMs: 300_000,
  recoveryPointCheckpointIntervalMs: 60_000,
  logStartOffsetCheckpointIntervalMs: 60_000,
  highWatermarkCheckpointIntervalMs: 5_000,
  cleanerBackoffMs: 15_000,
});

/** The checkpoints of a log dir, in Kafka's names. */
const DIR_CHECKPOINT_FILES = [
  RECOVERY_POINT_CHECKPOINT_FILE,
  LOG_START_OFFSET_CHECKPOINT_FILE,
  REPLICATION_OFFSET_CHECKPOINT_FILE,
  CLEANER_OFFSET_CHECKPOINT_FILE,
] as const;

/** Logs flushed concurrently at shutdown (the fsyncs run on libuv's thread pool). */
const SHUTDOWN_FLUSHES_IN_FLIGHT = 16;

export interface LogManagerOptions {
  logDirs: readonly string[];
  /** Config of logs without their own (and of logs found at start-up until the broker sets theirs). */
  defaults?: LogConfig;
  /** Config of a topic's logs found at start-up. */
  configForTopic?: (topic: string) => LogConfig | undefined;
  clock?: Clock;
  limits?: Partial<StorageLimits>;
  intervals?: Partial<LogManagerIntervals>;
  /** log.cleaner.enable (default true). */
  cleanerEnabled?: boolean;
  /** Calls `tick()` every this many milliseconds on an unref'd timer; omit to call tick yourself. */
  backgroundIntervalMs?: number;
  onBackgroundError?: (error: unknown, context: string) => void;
  /** I/O errors to inject (tests; see storage-faults.ts). */
  faults?: StorageFaults;
}

/** A log dir that went offline: what failed, and the partitions it took with it. */
export interface LogDirFailure {
  readonly dir: string;
  readonly cause: unknown;
  /** The operation that failed ("append on t-0", "recovery point checkpoint", ...). */
  readonly context: string;
  readonly partitions: readonly TopicPartition[];
  /** Log dirs still online after this one failed. */
  readonly onlineDirs: number;
}

export type LogDirFailureListener = (failure: LogDirFailure) => void;

export interface LogManagerStartupStats extends LoadLogStats {
  logsLoaded: number;
  cleanShutdownDirs: number;
  durationMs: number;
}

interface LogDir {
  readonly path: string;
  readonly logs: Map<string, Log>;
  /** Its own write channel and I/O error handling over the shared env. */
  env: StorageEnv;
  offline: LogDirFailure | null;
}

export class LogManager {
  readonly env: StorageEnv;
  readonly defaults: LogConfig;
  readonly startupStats: LogManagerStartupStats;
  private readonly dirs: LogDir[];
  private readonly logs = new Map<string, { log: Log; dir: LogDir }>();
  private readonly intervals: LogManagerIntervals;
  private readonly cleaner: LogCleaner | null;
  /** Per log dir loaded: the broker epoch its clean-shutdown marker held (null: no marker). */
  private readonly markerEpochs: (bigint | null)[] = [];
  private readonly failureListeners = new Set<LogDirFailureListener>();
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private closed = false;
  private nextDue = { retention: 0, recoveryPoints: 0, logStartOffsets: 0, highWatermarks: 0, cleaner: 0 };

  private constructor(options: LogManagerOptions, env: StorageEnv, stats: LogManagerStartupStats) {
    this.env = env;
    this.defaults = options.defaults ?? DEFAULT_LOG_CONFIG;
    this.dirs = options.logDirs.map((path) => {
      const dir: LogDir = { path, logs: new Map(), env, offline: null };
      dir.env = logDirEnv(env, (error, context) => this.failLogDir(dir, error, context));
      return dir;
    });
    this.startupStats = stats;
    this.intervals = { ...DEFAULT_LOG_MANAGER_INTERVALS, ...options.intervals };
    this.cleaner = options.cleanerEnabled === false ? null : new LogCleaner(env);
    const now = env.clock.nowMs();
    this.nextDue = {
      retention: now + this.intervals.retentionCheckIntervalMs,
      recoveryPoints: now + this.intervals.recoveryPointCheckpointIntervalMs,
      logStartOffsets: now + this.intervals.logStartOffsetCheckpointIntervalMs,
      highWatermarks: now + this.intervals.highWatermarkCheckpointIntervalMs,
      cleaner: now,
    };
  }

  /** Opens every log directory and loads (recovering where needed) every partition found. */
  static async open(options: LogManagerOptions): Promise<LogManager> {
    if (options.logDirs.length === 0) throw new ConfigError("log.dirs must name at least one directory");
    const env = createStorageEnv({
      ...(options.clock === undefined ? {} : { clock: options.clock }),
      ...(options.limits === undefined ? {} : { limits: options.limits }),
      ...(options.onBackgroundError === undefined ? {} : { onBackgroundError: options.onBackgroundError }),
      ...(options.faults === undefined ? {} : { faults: options.faults }),
    });
    const started = performance.now();
    const stats: LogManagerStartupStats = {
      logsLoaded: 0,
      cleanShutdownDirs: 0,
      recoveredSegments: 0,
      truncatedBytes: 0,
      durationMs: 0,
    };
    const manager = new LogManager(options, env, stats);
    for (const dir of manager.dirs) {
      try {
        manager.loadDir(dir, options, stats);
      } catch (error) {
        // Kafka's: a dir that cannot be read at start-up is offline; the others are served.
        if (!isIoError(error)) throw error;
        manager.failLogDir(dir, error, "loading the log dir");
      }
    }
    if (manager.dirs.every((d) => d.offline !== null)) {
      const first = manager.dirs[0]?.offline;
      throw new StorageError("BRK_ERR_STORAGE_IO", "no log dir could be loaded", { cause: first?.cause });
    }
    stats.durationMs = performance.now() - started;
    if (options.backgroundIntervalMs !== undefined) manager.startTimer(options.backgroundIntervalMs);
    return manager;
  }

  private loadDir(dir: LogDir, options: LogManagerOptions, stats: LogManagerStartupStats): void {
    mkdirSync(dir.path, { recursive: true });
    const markerPath = join(dir.path, CLEAN_SHUTDOWN_FILE);
    const hadCleanShutdown = existsSync(markerPath);
    if (hadCleanShutdown) stats.cleanShutdownDirs++;
    this.markerEpochs.push(hadCleanShutdown ? readMarkerEpoch(markerPath) : null);
    const recoveryPoints = this.readCheckpoint(dir, RECOVERY_POINT_CHECKPOINT_FILE);
    const logStartOffsets = this.readCheckpoint(dir, LOG_START_OFFSET_CHECKPOINT_FILE);
    const highWatermarks = this.readCheckpoint(dir, REPLICATION_OFFSET_CHECKPOINT_FILE);
    const cleanerOffsets = this.readCheckpoint(dir, CLEANER_OFFSET_CHECKPOINT_FILE);
    // Kafka creates them at start-up (empty), before its first periodic write: tools expect them.
    for (const file of DIR_CHECKPOINT_FILES) createCheckpointIfAbsent(join(dir.path, file));
    for (const entry of readdirSync(dir.path, { withFileTypes: true })) {
      if (!entry.isDirectory()) continue;
      const name = entry.name;
      const path = join(dir.path, name);
      if (name.endsWith(DELETE_DIR_SUFFIX)) {
        rmSync(path, { recursive: true, force: true });
        continue;
      }
      const tp = parsePartitionDirName(name);
      if (tp === null) continue;
      const key = topicPartitionKey(tp);
      if (this.logs.has(key)) {
        throw new StorageError(
          "BRK_ERR_STORAGE_CORRUPT",
          `duplicate log directories for ${key}: ${path} and another log dir`,
        );
      }
      const log = loadLog(
        {
          env: dir.env,
          dir: path,
          tp,
          config: options.configForTopic?.(tp.topic) ?? this.defaults,
          hadCleanShutdown,
          recoveryPointCheckpoint: recoveryPoints.get(key)?.offset ?? null,
          logStartOffsetCheckpoint: logStartOffsets.get(key)?.offset ?? null,
          highWatermarkCheckpoint: highWatermarks.get(key)?.offset ?? null,
          persistLogStartOffset: () => this.checkpointLogStartOffsets(dir),
        },
        stats,
      );
      log.cleanerCheckpoint = cleanerOffsets.get(key)?.offset ?? null;
      this.register(dir, log);
      stats.logsLoaded++;
    }
    if (hadCleanShutdown) {
      rmSync(markerPath, { force: true });
      fsyncDirectorySync(dir.path);
    }
  }

  /** A checkpoint that does not parse counts as absent: everything is recovered, nothing trusted. */
  private readCheckpoint(dir: LogDir, file: string): Map<string, OffsetCheckpointEntry> {
    try {
      return readOffsetCheckpoint(join(dir.path, file));
    } catch (e) {
      this.env.onBackgroundError(e, `reading ${file} in ${dir.path} (ignored)`);
      return new Map();
    }
  }

  private register(dir: LogDir, log: Log): void {
    if (dir.logs.size >= this.env.limits.logsPerDirMax) {
      throw new StorageError(
        "BRK_ERR_STORAGE_LOG_OFFLINE",
        `log dir ${dir.path} holds the maximum number of logs`,
      );
    }
    const key = topicPartitionKey(log.tp);
    dir.logs.set(key, log);
    this.logs.set(key, { log, dir });
  }

  // ---- logs ------------------------------------------------------------------------------------

  getLog(tp: TopicPartition): Log | undefined {
    return this.logs.get(topicPartitionKey(tp))?.log;
  }

  allLogs(): Log[] {
    return [...this.logs.values()].map((entry) => entry.log);
  }

  get logDirs(): string[] {
    return this.dirs.map((d) => d.path);
  }

  /**
   * The partition's log, created empty in the log dir holding the fewest logs when absent. With a
   * config, an existing log takes it; with a topic id, a log without one records it, and a log of
   * another incarnation of the topic is refused (INCONSISTENT_TOPIC_ID).
   */
  getOrCreateLog(tp: TopicPartition, config?: LogConfig, topicId?: string): Log {
    this.checkOpen();
    const existing = this.getLog(tp);
    if (existing !== undefined) {
      if (existing.isOffline) return existing;
      if (config !== undefined && config !== existing.config) existing.updateConfig(config);
      if (topicId !== undefined) this.checkTopicId(existing, topicId);
      return existing;
    }
    const online = this.dirs.filter((d) => d.offline === null);
    if (online.length === 0) {
      throw new KafkaError(
        ErrorCode.KAFKA_STORAGE_ERROR,
        `cannot create a log for ${topicPartitionKey(tp)}: no log dir is online`,
      );
    }
    const dir = online.reduce((best, d) => (d.logs.size < best.logs.size ? d : best));
    const log = this.guardDir(dir, `creating the log of ${topicPartitionKey(tp)}`, () =>
      createLog({
        env: dir.env,
        dir: join(dir.path, partitionDirName(tp)),
        tp,
        config: config ?? this.defaults,
        topicId: topicId ?? null,
        recoveryPointCheckpoint: null,
        logStartOffsetCheckpoint: null,
        highWatermarkCheckpoint: null,
        persistLogStartOffset: () => this.checkpointLogStartOffsets(dir),
      }),
    );
    this.register(dir, log);
    return log;
  }

  private checkTopicId(log: Log, topicId: string): void {
    if (log.topicId === null) {
      writePartitionMetadata(log.dir, topicId);
      log.topicId = topicId;
    } else if (log.topicId !== topicId) {
      throw new KafkaError(
        ErrorCode.INCONSISTENT_TOPIC_ID,
        `log ${log.name} belongs to topic id ${log.topicId}, not ${topicId}`,
      );
    }
  }

  /**
   * Removes a partition's log: the directory is renamed `<topic>-<partition>.<id>-delete` at once
   * (so a restart never loads it) and removed after file.delete.delay.ms.
   */
  deleteLog(tp: TopicPartition): boolean {
    const key = topicPartitionKey(tp);
    const entry = this.logs.get(key);
    if (entry === undefined) return false;
    const { log, dir } = entry;
    this.cleaner?.abort(log);
    log.close();
    this.logs.delete(key);
    dir.logs.delete(key);
    // An offline dir is not touched: the directory stays, a stray for the next start to delete.
    if (dir.offline !== null) return true;
    const target = join(dir.path, deletedPartitionDirName(tp, randomUUID().replaceAll("-", "")));
    try {
      this.guardDir(dir, `deleting the log of ${key}`, () => {
        renameSync(log.dir, target);
        fsyncDirectorySync(dir.path);
      });
    } catch (error) {
      if (dir.offline === null) throw error;
      return true; // the dir failed: as above
    }
    this.env.deleter.schedule([target], this.env.clock.nowMs() + log.config.fileDeleteDelayMs);
    this.writeDirCheckpoints(dir);
    return true;
  }

  // ---- log dir failure -------------------------------------------------------------------------

  /** Log dirs that went offline since start (at start-up included), with what failed. */
  offlineLogDirs(): LogDirFailure[] {
    return this.dirs.flatMap((d) => (d.offline === null ? [] : [d.offline]));
  }

  isLogDirOnline(path: string): boolean {
    return this.dirs.some((d) => d.path === path && d.offline === null);
  }

  /** The log dir holding the partition's log, or undefined. */
  logDirOf(tp: TopicPartition): string | undefined {
    return this.logs.get(topicPartitionKey(tp))?.dir.path;
  }

  /** Calls `listener` when a log dir goes offline (after the failing call); returns the unsubscribe. */
  onLogDirFailure(listener: LogDirFailureListener): () => void {
    this.failureListeners.add(listener);
    return () => this.failureListeners.delete(listener);
  }

  /** The injected I/O errors (tests). */
  get faults(): StorageFaults {
    return this.env.handles.faults;
  }

  /** Runs a file operation on `dir`: an I/O error takes the dir offline and goes up as KAFKA_STORAGE_ERROR. */
  private guardDir<T>(dir: LogDir, context: string, action: () => T): T {
    if (dir.offline !== null) {
      throw new KafkaError(ErrorCode.KAFKA_STORAGE_ERROR, `log dir ${dir.path} is offline`, {
        cause: dir.offline.cause,
      });
    }
    try {
      return action();
    } catch (error) {
      if (!isIoError(error)) throw error;
      this.failLogDir(dir, error, context);
      throw new KafkaError(ErrorCode.KAFKA_STORAGE_ERROR, `${context} failed in ${dir.path}`, {
        cause: error,
      });
    }
  }

  /**
   * Takes `dir` offline (once): its logs stop serving at once and nothing more is written there or
   * counted as written; descriptors are closed and listeners told after the failing call returns.
   */
  private failLogDir(dir: LogDir, cause: unknown, context: string): void {
    if (dir.offline !== null) return;
    const logs = [...dir.logs.values()];
    const failure: LogDirFailure = {
      dir: dir.path,
      cause,
      context,
      partitions: logs.map((log) => log.tp),
      onlineDirs: this.dirs.filter((d) => d.offline === null && d !== dir).length,
    };
    dir.offline = failure;
    dir.env.writes.close(`log dir ${dir.path} is offline`);
    for (const log of logs) {
      this.cleaner?.abort(log);
      log.markOffline(cause);
    }
    queueMicrotask(() => {
      for (const log of logs) {
        try {
          log.closeHandlers();
        } catch (error) {
          this.env.onBackgroundError(error, `closing ${log.name} in offline log dir ${dir.path}`);
        }
      }
      for (const listener of this.failureListeners) {
        try {
          listener(failure);
        } catch (error) {
          this.env.onBackgroundError(error, "log dir failure listener");
        }
      }
    });
  }

  // ---- background work -------------------------------------------------------------------------

  /** Runs the background work that is due at `nowMs`; one tick at a time (a second call waits). */
  async tick(nowMs: number = this.env.clock.nowMs()): Promise<void> {
    if (this.closed) return;
    while (this.running !== null) await this.running;
    const run = this.runTick(nowMs);
    this.running = run;
    try {
      await run;
    } finally {
      this.running = null;
    }
  }

  private async runTick(nowMs: number): Promise<void> {
    this.guard("file deletion", () => this.env.deleter.runDue(nowMs));
    if (nowMs >= this.nextDue.retention) {
      this.nextDue.retention = nowMs + this.intervals.retentionCheckIntervalMs;
      for (const log of this.allLogs()) this.guard(`retention of ${log.name}`, () => log.deleteOldSegments());
    }
    for (const log of this.allLogs()) {
      const flushMs = log.config.flushMs;
      if (
        flushMs < LONG_MAX &&
        log.msSinceLastFlush(nowMs) >= flushMs &&
        log.recoveryPoint < log.logEndOffset
      ) {
        await log.flushAsync().catch((e) => this.env.onBackgroundError(e, `flush.ms of ${log.name}`));
      }
    }
    for (const log of this.allLogs()) log.writeIndexEntries();
    this.checkpointsIfDue(nowMs);
    if (this.cleaner !== null && nowMs >= this.nextDue.cleaner) {
      const cleaned = await this.cleaner.cleanFilthiestLog(this.allLogs(), nowMs).catch((e) => {
        this.env.onBackgroundError(e, "log cleaner");
        return null;
      });
      if (cleaned !== null) this.checkpointCleanerOffsets();
      this.nextDue.cleaner = cleaned === null ? nowMs + this.intervals.cleanerBackoffMs : nowMs;
    }
  }

  private checkpointsIfDue(nowMs: number): void {
    if (nowMs >= this.nextDue.recoveryPoints) {
      this.nextDue.recoveryPoints = nowMs + this.intervals.recoveryPointCheckpointIntervalMs;
      this.guard("recovery point checkpoint", () => this.checkpointRecoveryPoints());
    }
    if (nowMs >= this.nextDue.logStartOffsets) {
      this.nextDue.logStartOffsets = nowMs + this.intervals.logStartOffsetCheckpointIntervalMs;
      this.guard("log start offset checkpoint", () => {
        for (const dir of this.dirs) this.checkpointLogStartOffsets(dir);
      });
    }
    if (nowMs >= this.nextDue.highWatermarks) {
      this.nextDue.highWatermarks = nowMs + this.intervals.highWatermarkCheckpointIntervalMs;
      this.guard("high watermark checkpoint", () => this.checkpointHighWatermarks());
    }
  }

  private guard(context: string, action: () => unknown): void {
    try {
      action();
    } catch (e) {
      this.env.onBackgroundError(e, context);
    }
  }

  private startTimer(intervalMs: number): void {
    this.timer = setInterval(() => {
      if (this.running === null) this.tick().catch((e) => this.env.onBackgroundError(e, "storage tick"));
    }, intervalMs);
    this.timer.unref();
  }

  // ---- checkpoints -----------------------------------------------------------------------------

  checkpointRecoveryPoints(): void {
    for (const dir of this.dirs)
      this.writeCheckpoint(dir, RECOVERY_POINT_CHECKPOINT_FILE, (log) => log.recoveryPoint);
  }

  checkpointHighWatermarks(): void {
    for (const dir of this.dirs)
      this.writeCheckpoint(dir, REPLICATION_OFFSET_CHECKPOINT_FILE, (log) => log.highWatermark);
  }

  checkpointCleanerOffsets(): void {
    for (const dir of this.dirs)
      this.writeCheckpoint(dir, CLEANER_OFFSET_CHECKPOINT_FILE, (log) => log.cleanerCheckpoint);
  }

  private checkpointLogStartOffsets(dir: LogDir): void {
    this.writeCheckpoint(dir, LOG_START_OFFSET_CHECKPOINT_FILE, (log) => log.logStartOffset);
  }

  private writeDirCheckpoints(dir: LogDir): void {
    this.writeCheckpoint(dir, RECOVERY_POINT_CHECKPOINT_FILE, (log) => log.recoveryPoint);
    this.checkpointLogStartOffsets(dir);
    this.writeCheckpoint(dir, REPLICATION_OFFSET_CHECKPOINT_FILE, (log) => log.highWatermark);
    this.writeCheckpoint(dir, CLEANER_OFFSET_CHECKPOINT_FILE, (log) => log.cleanerCheckpoint);
  }

  /** Kafka drops the checkpoints of an offline dir: nothing is written there any more. */
  private writeCheckpoint(dir: LogDir, file: string, offsetOf: (log: Log) => bigint | null): void {
    if (dir.offline !== null) return;
    const entries: OffsetCheckpointEntry[] = [];
    for (const log of dir.logs.values()) {
      const offset = offsetOf(log);
      if (offset !== null) entries.push({ tp: log.tp, offset });
    }
    const path = join(dir.path, file);
    this.guardDir(dir, file, () => {
      this.env.handles.faults.check(path, "write");
      writeOffsetCheckpoint(path, entries);
    });
  }

  // ---- shutdown --------------------------------------------------------------------------------

  /**
   * The broker epoch this broker had when it last shut down cleanly (KIP-966's PreviousBrokerEpoch):
   * the one every log dir's clean-shutdown marker holds, as Kafka's LogManager reads it; -1 when a
   * dir had none (a crash), could not be loaded, or they disagree.
   */
  get previousBrokerEpoch(): bigint {
    const epochs = this.markerEpochs;
    const first = epochs[0];
    if (first === undefined || first === null || first < 0n || epochs.length !== this.dirs.length) return -1n;
    if (this.dirs.some((d) => d.offline !== null)) return -1n;
    return epochs.every((e) => e === first) ? first : -1n;
  }

  /**
   * Clean shutdown: stops background work, flushes every log, writes all checkpoints, closes the
   * files and writes the clean-shutdown marker, with `brokerEpoch` (the broker's registration, -1
   * when it has none), in each log dir whose logs all flushed.
   */
  async shutdown(brokerEpoch = -1n): Promise<void> {
    if (this.closed) return;
    if (this.timer !== null) clearInterval(this.timer);
    this.cleaner?.abortAll();
    while (this.running !== null) await this.running;
    this.closed = true;
    await this.flushAllForShutdown();
    for (const dir of this.dirs) {
      if (dir.offline !== null) {
        // Nothing is written to a failed dir: the next start recovers it as after a crash.
        for (const log of dir.logs.values()) log.closeHandlers();
        continue;
      }
      const clean = [...dir.logs.values()].every(
        (log) => !log.isOffline && log.recoveryPoint === log.logEndOffset,
      );
      this.guard(`checkpoints of ${dir.path}`, () => this.writeDirCheckpoints(dir));
      for (const log of dir.logs.values()) log.close();
      if (clean && dir.offline === null) {
        this.guard(`clean shutdown marker of ${dir.path}`, () =>
          this.guardDir(dir, CLEAN_SHUTDOWN_FILE, () =>
            writeFileAtomicSync(
              join(dir.path, CLEAN_SHUTDOWN_FILE),
              JSON.stringify({ version: 0, brokerEpoch: Number(brokerEpoch) }),
            ),
          ),
        );
      }
    }
  }

  /** fsyncs every log, SHUTDOWN_FLUSHES_IN_FLIGHT at a time off the event loop (the disk works in parallel). */
  private async flushAllForShutdown(): Promise<void> {
    const pending = this.allLogs();
    const worker = async () => {
      for (let log = pending.pop(); log !== undefined; log = pending.pop()) {
        await log
          .flushAsync()
          .catch((e) => this.env.onBackgroundError(e, `flush of ${log.name} at shutdown`));
      }
    };
    await Promise.all(Array.from({ length: SHUTDOWN_FLUSHES_IN_FLIGHT }, worker));
  }

  /**
   * Closes the descriptors without writing anything: no flush, checkpoint, index file or
   * clean-shutdown marker (what a SIGKILL leaves, for tests).
   */
  closeUncleanly(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.cleaner?.abortAll();
    this.closed = true;
    for (const { log } of this.logs.values()) log.closeHandlers();
  }

  private checkOpen(): void {
    if (this.closed) throw new StorageError("BRK_ERR_STORAGE_LOG_OFFLINE", "the log manager is shut down");
  }
}

/** The broker epoch of a clean-shutdown marker (Kafka's `{"version":0,"brokerEpoch":N}`); null when unreadable. */
function readMarkerEpoch(path: string): bigint | null {
  try {
    const parsed = JSON.parse(readFileSync(path, "utf8")) as { brokerEpoch?: unknown };
    return typeof parsed.brokerEpoch === "number" && Number.isSafeInteger(parsed.brokerEpoch)
      ? BigInt(parsed.brokerEpoch)
      : null;
  } catch {
    return null;
  }
}
