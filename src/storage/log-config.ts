import {
  atLeast,
  between,
  type ConfigKey,
  type ConfigValue,
  formatConfigValue,
  oneOf,
  parseConfigValue,
} from "../base/index.js";
import { ErrorCode, KafkaError } from "../protocol/index.js";

/**
 * A partition log's configuration: Kafka's topic configs under their Kafka names, typed. The
 * storage engine reads the log-related fields; the rest (min.insync.replicas,
 * unclean.leader.election.enable, compression.type, throttled replicas, remote storage) are carried
 * so that the broker can use one parser and one DescribeConfigs table for every topic config.
 *
 * Kafka's Long.MAX_VALUE ("never") is held as 2^63, which is what the decimal text parses to in a
 * double and what `formatConfigValue` prints back as 9223372036854775807.
 */
export const LONG_MAX = 2 ** 63;

export type CleanupPolicy = "delete" | "compact";
export type MessageTimestampType = "CreateTime" | "LogAppendTime";
export type TopicCompressionType = "producer" | "uncompressed" | "gzip" | "snappy" | "lz4" | "zstd";

export interface LogConfig {
  readonly segmentBytes: number;
  readonly segmentMs: number;
  readonly segmentJitterMs: number;
  readonly segmentIndexBytes: number;
  readonly indexIntervalBytes: number;
  /** -1: no time limit. */
  readonly retentionMs: number;
  /** -1: no size limit. */
  readonly retentionBytes: number;
  readonly cleanupPolicy: readonly CleanupPolicy[];
  readonly deleteRetentionMs: number;
  readonly minCleanableDirtyRatio: number;
  readonly minCompactionLagMs: number;
  readonly maxCompactionLagMs: number;
  readonly maxMessageBytes: number;
  readonly messageTimestampType: MessageTimestampType;
  readonly messageTimestampBeforeMaxMs: number;
  readonly messageTimestampAfterMaxMs: number;
  readonly flushMessages: number;
  readonly flushMs: number;
  readonly fileDeleteDelayMs: number;
  readonly preallocate: boolean;
  readonly compressionType: TopicCompressionType;
  readonly compressionGzipLevel: number;
  readonly compressionLz4Level: number;
  readonly compressionZstdLevel: number;
  readonly minInsyncReplicas: number;
  readonly uncleanLeaderElectionEnable: boolean;
  readonly leaderReplicationThrottledReplicas: readonly string[];
  readonly followerReplicationThrottledReplicas: readonly string[];
  readonly remoteStorageEnable: boolean;
  readonly localRetentionMs: number;
  readonly localRetentionBytes: number;
}

const DAY_MS = 24 * 60 * 60 * 1000;

export const DEFAULT_LOG_CONFIG: LogConfig = Object.freeze({
  segmentBytes: 1024 * 1024 * 1024,
  segmentMs: 7 * DAY_MS,
  segmentJitterMs: 0,
  segmentIndexBytes: 10 * 1024 * 1024,
  indexIntervalBytes: 4096,
  retentionMs: 7 * DAY_MS,
  retentionBytes: -1,
  cleanupPolicy: Object.freeze(["delete"]) as readonly CleanupPolicy[],
  deleteRetentionMs: DAY_MS,
  minCleanableDirtyRatio: 0.5,
  minCompactionLagMs: 0,
  maxCompactionLagMs: LONG_MAX,
  maxMessageBytes: 1024 * 1024 + 12,
  messageTimestampType: "CreateTime",
  messageTimestampBeforeMaxMs: LONG_MAX,
  messageTimestampAfterMaxMs: LONG_MAX,
  flushMessages: LONG_MAX,
  flushMs: LONG_MAX,
  fileDeleteDelayMs: 60_000,
  preallocate: false,
  compressionType: "producer",
  compressionGzipLevel: -1,
  compressionLz4Level: 9,
  compressionZstdLevel: 3,
  minInsyncReplicas: 1,
  uncleanLeaderElectionEnable: false,
  leaderReplicationThrottledReplicas: Object.freeze([]) as readonly string[],
  followerReplicationThrottledReplicas: Object.freeze([]) as readonly string[],
  remoteStorageEnable: false,
  localRetentionMs: -2,
  localRetentionBytes: -2,
});

interface LogConfigKey extends ConfigKey {
  readonly field: keyof LogConfig;
  /** The broker-wide property that supplies the default (Kafka's ServerTopicConfigSynonyms). */
  readonly serverSynonym: string;
}

const key = (
  name: string,
  field: keyof LogConfig,
  type: ConfigKey["type"],
  serverSynonym: string,
  doc: string,
  validate?: (v: ConfigValue) => string | null,
): LogConfigKey => ({
  name,
  field,
  type,
  default: DEFAULT_LOG_CONFIG[field] as ConfigValue,
  doc,
  serverSynonym,
  ...(validate === undefined ? {} : { validate }),
});

const throttledList = (v: ConfigValue): string | null => {
  const items = Array.isArray(v) ? v : [];
  const ok = items.every((i) => i === "*" || /^\d+:\d+$/.test(i));
  return ok ? null : "must be * or a list of partitionId:brokerId";
};

/** Every topic config Kafka defines, in Kafka's names, with types, validators and server synonyms. */
export const LOG_CONFIG_KEYS: ReadonlyMap<string, LogConfigKey> = new Map(
  [
    key("segment.bytes", "segmentBytes", "int", "log.segment.bytes", "Segment file size.", atLeast(14)),
    key("segment.ms", "segmentMs", "long", "log.roll.ms", "Time before a segment is rolled.", atLeast(1)),
    key("segment.jitter.ms", "segmentJitterMs", "long", "log.roll.jitter.ms", "Roll jitter.", atLeast(0)),
    key(
      "segment.index.bytes",
      "segmentIndexBytes",
      "int",
      "log.index.size.max.bytes",
      "Offset index size.",
      atLeast(4),
    ),
    key(
      "index.interval.bytes",
      "indexIntervalBytes",
      "int",
      "log.index.interval.bytes",
      "Index density.",
      atLeast(0),
    ),
    key(
      "retention.ms",
      "retentionMs",
      "long",
      "log.retention.ms",
      "Time to keep data (-1: forever).",
      atLeast(-1),
    ),
    key("retention.bytes", "retentionBytes", "long", "log.retention.bytes", "Bytes to keep (-1: no limit)."),
    key(
      "cleanup.policy",
      "cleanupPolicy",
      "list",
      "log.cleanup.policy",
      "delete, compact or both.",
      oneOf("delete", "compact"),
    ),
    key(
      "delete.retention.ms",
      "deleteRetentionMs",
      "long",
      "log.cleaner.delete.retention.ms",
      "Tombstone retention.",
      atLeast(0),
    ),
    key(
      "min.cleanable.dirty.ratio",
      "minCleanableDirtyRatio",
      "double",
      "log.cleaner.min.cleanable.ratio",
      "Dirty ratio to compact.",
      between(0, 1),
    ),
    key(
      "min.compaction.lag.ms",
      "minCompactionLagMs",
      "long",
      "log.cleaner.min.compaction.lag.ms",
      "Minimum age before compaction.",
      atLeast(0),
    ),
    key(
      "max.compaction.lag.ms",
      "maxCompactionLagMs",
      "long",
      "log.cleaner.max.compaction.lag.ms",
      "Maximum age before compaction.",
      atLeast(1),
    ),
    key(
      "max.message.bytes",
      "maxMessageBytes",
      "int",
      "message.max.bytes",
      "Largest record batch.",
      atLeast(0),
    ),
    key(
      "message.timestamp.type",
      "messageTimestampType",
      "string",
      "log.message.timestamp.type",
      "CreateTime or LogAppendTime.",
      oneOf("CreateTime", "LogAppendTime"),
    ),
    key(
      "message.timestamp.before.max.ms",
      "messageTimestampBeforeMaxMs",
      "long",
      "log.message.timestamp.before.max.ms",
      "Largest allowed age of a timestamp.",
      atLeast(0),
    ),
    key(
      "message.timestamp.after.max.ms",
      "messageTimestampAfterMaxMs",
      "long",
      "log.message.timestamp.after.max.ms",
      "Largest allowed lead of a timestamp.",
      atLeast(0),
    ),
    key(
      "flush.messages",
      "flushMessages",
      "long",
      "log.flush.interval.messages",
      "Records between forced fsyncs.",
      atLeast(1),
    ),
    key("flush.ms", "flushMs", "long", "log.flush.interval.ms", "Time between forced fsyncs.", atLeast(0)),
    key(
      "file.delete.delay.ms",
      "fileDeleteDelayMs",
      "long",
      "log.segment.delete.delay.ms",
      "Delay before a file is removed.",
      atLeast(0),
    ),
    key("preallocate", "preallocate", "boolean", "log.preallocate", "Preallocate segment files."),
    key(
      "compression.type",
      "compressionType",
      "string",
      "compression.type",
      "Final compression codec.",
      oneOf("producer", "uncompressed", "gzip", "snappy", "lz4", "zstd"),
    ),
    key(
      "compression.gzip.level",
      "compressionGzipLevel",
      "int",
      "compression.gzip.level",
      "gzip level.",
      (v) =>
        v === -1 || (typeof v === "number" && v >= 1 && v <= 9) ? null : "must be -1 or between 1 and 9",
    ),
    key(
      "compression.lz4.level",
      "compressionLz4Level",
      "int",
      "compression.lz4.level",
      "lz4 level.",
      between(1, 17),
    ),
    key(
      "compression.zstd.level",
      "compressionZstdLevel",
      "int",
      "compression.zstd.level",
      "zstd level.",
      between(-131072, 22),
    ),
    key(
      "min.insync.replicas",
      "minInsyncReplicas",
      "int",
      "min.insync.replicas",
      "Replicas that must acknowledge acks=all.",
      atLeast(1),
    ),
    key(
      "unclean.leader.election.enable",
      "uncleanLeaderElectionEnable",
      "boolean",
      "unclean.leader.election.enable",
      "Allow out-of-sync leaders.",
    ),
    key(
      "leader.replication.throttled.replicas",
      "leaderReplicationThrottledReplicas",
      "list",
      "leader.replication.throttled.replicas",
      "Throttled leader replicas.",
      throttledList,
    ),
    key(
      "follower.replication.throttled.replicas",
      "followerReplicationThrottledReplicas",
      "list",
      "follower.replication.throttled.replicas",
      "Throttled follower replicas.",
      throttledList,
    ),
    key(
      "remote.storage.enable",
      "remoteStorageEnable",
      "boolean",
      "remote.storage.enable",
      "Tiered storage (not supported by Brook).",
    ),
    key(
      "local.retention.ms",
      "localRetentionMs",
      "long",
      "log.local.retention.ms",
      "Local retention with tiered storage.",
      atLeast(-2),
    ),
    key(
      "local.retention.bytes",
      "localRetentionBytes",
      "long",
      "log.local.retention.bytes",
      "Local retention with tiered storage.",
      atLeast(-2),
    ),
  ].map((k) => [k.name, k]),
);

const invalidConfig = (message: string) => new KafkaError(ErrorCode.INVALID_CONFIG, message);

/**
 * Applies Kafka-named string properties over `base` (the broker defaults, or a topic's current
 * config) and validates the result. Unknown names and bad values are refused with
 * KafkaError(INVALID_CONFIG) and a message naming the key, as Kafka answers CreateTopics and
 * AlterConfigs.
 */
export function parseLogConfig(
  properties: ReadonlyMap<string, string> | Readonly<Record<string, string>>,
  base: LogConfig = DEFAULT_LOG_CONFIG,
): LogConfig {
  const entries = properties instanceof Map ? [...properties] : Object.entries(properties);
  const out: Record<string, unknown> = { ...base };
  for (const [name, text] of entries) {
    const def = LOG_CONFIG_KEYS.get(name);
    if (def === undefined) throw invalidConfig(`Unknown topic config name: ${name}`);
    let value: ConfigValue;
    try {
      value = parseConfigValue(def, text);
    } catch (e) {
      throw invalidConfig(e instanceof Error ? e.message : String(e));
    }
    const problem = def.validate?.(value) ?? null;
    if (problem !== null) {
      throw invalidConfig(`Invalid value ${JSON.stringify(text)} for configuration ${name}: ${problem}`);
    }
    out[def.field] = value;
  }
  return validateLogConfig(out as unknown as LogConfig);
}

/** Checks every field against its key's validator and the cross-field rules; returns the config. */
export function validateLogConfig(config: LogConfig): LogConfig {
  for (const def of LOG_CONFIG_KEYS.values()) {
    const value = config[def.field] as ConfigValue;
    const problem = def.validate?.(value) ?? null;
    if (problem !== null) {
      throw invalidConfig(
        `Invalid value ${formatConfigValue(value)} for configuration ${def.name}: ${problem}`,
      );
    }
  }
  if (config.minCompactionLagMs > config.maxCompactionLagMs) {
    throw invalidConfig(
      `conflict topic config setting min.compaction.lag.ms (${config.minCompactionLagMs}) > ` +
        `max.compaction.lag.ms (${formatConfigValue(config.maxCompactionLagMs)})`,
    );
  }
  if (config.cleanupPolicy.length === 0)
    throw invalidConfig("cleanup.policy must name delete, compact or both");
  return Object.freeze({ ...config });
}

/** A config from typed overrides over the defaults (for code and tests), validated. */
export function logConfig(
  overrides: Partial<LogConfig> = {},
  base: LogConfig = DEFAULT_LOG_CONFIG,
): LogConfig {
  return validateLogConfig({ ...base, ...overrides });
}

/** The config as Kafka-named strings, as DescribeConfigs shows it. */
export function logConfigToProperties(config: LogConfig): Map<string, string> {
  const out = new Map<string, string>();
  for (const def of LOG_CONFIG_KEYS.values()) {
    out.set(def.name, formatConfigValue(config[def.field] as ConfigValue) ?? "");
  }
  return out;
}

export const isCompacted = (config: LogConfig): boolean => config.cleanupPolicy.includes("compact");
export const isDeleteRetained = (config: LogConfig): boolean => config.cleanupPolicy.includes("delete");
