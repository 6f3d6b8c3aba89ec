import {
  atLeast,
  between,
  type ConfigKey,
  type ConfigProblem,
  type ConfigValue,
  configValueProblem,
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
  /** The public segment size, at least SEGMENT_BYTES_MIN; the log rolls at `segmentSize(config)`. */
  readonly segmentBytes: number;
  /** Kafka's internal.segment.bytes: a smaller segment size for tests; null when unset. */
  readonly internalSegmentBytes: number | null;
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
  readonly remoteLogCopyDisable: boolean;
  readonly remoteLogDeleteOnDisable: boolean;
  readonly localRetentionMs: number;
  readonly localRetentionBytes: number;
}

const HOUR_MS = 60 * 60 * 1000;
const DAY_MS = 24 * HOUR_MS;

/**
 * The smallest segment.bytes (and log.segment.bytes) Kafka 4 accepts (KIP-1030: 14 bytes before):
 * smaller segments only multiply files and rolls, and a segment below the batch size a client
 * sends makes every such batch fail with RECORD_LIST_TOO_LARGE.
 */
export const SEGMENT_BYTES_MIN = 1024 * 1024;
/**
 * The floor of internal.segment.bytes. Kafka gives its internal key no validator; Brook keeps the
 * pre-4.0 floor (a v0 record's overhead) so that a client cannot set a zero or negative size.
 */
const INTERNAL_SEGMENT_BYTES_MIN = 14;

export const DEFAULT_LOG_CONFIG: LogConfig = Object.freeze({
  segmentBytes: 1024 * 1024 * 1024,
  internalSegmentBytes: null,
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
  // KIP-1030 (Kafka 4.0): one hour, where it was unbounded; timestamps further ahead are refused.
  messageTimestampAfterMaxMs: HOUR_MS,
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
  remoteLogCopyDisable: false,
  remoteLogDeleteOnDisable: false,
  localRetentionMs: -2,
  localRetentionBytes: -2,
});

interface LogConfigKey extends ConfigKey {
  readonly field: keyof LogConfig;
  /** The broker-wide property that supplies the default (Kafka's ServerTopicConfigSynonyms), if any. */
  readonly serverSynonym: string | null;
  /** Internal keys are also left out of CreateTopics answers unless the topic sets them. */
  readonly internal: boolean;
}

type Validator = (v: ConfigValue) => ConfigProblem | null;

const key = (
  name: string,
  field: keyof LogConfig,
  type: ConfigKey["type"],
  serverSynonym: string | null,
  doc: string,
  validate?: Validator,
  internal = false,
): LogConfigKey => ({
  name,
  field,
  type,
  default: DEFAULT_LOG_CONFIG[field] as ConfigValue,
  doc,
  serverSynonym,
  internal,
  ...(validate === undefined ? {} : { validate }),
});

/** Kafka's ThrottledReplicaListValidator: "*" alone, or partitionId:brokerId entries. */
const throttledList =
  (name: string): Validator =>
  (v) => {
    const items = Array.isArray(v) ? v : [];
    if (items.join("") === "*" || items.every((i) => /^(\d+:\d+)?$/.test(i))) return null;
    return {
      message: `${name} must be the literal '*' or a list of replicas in the following format: [partitionId]:[brokerId],[partitionId]:[brokerId],...`,
    };
  };

/** Kafka's gzip level validator: Deflater's levels 1 to 9, or -1 for its default. */
const gzipLevel: Validator = (v) =>
  v === -1 || (typeof v === "number" && v >= 1 && v <= 9)
    ? null
    : { message: "Value must be between 1 and 9 or equal to -1" };

/** Every topic config Kafka defines, in Kafka's names, with types, validators and server synonyms. */
export const LOG_CONFIG_KEYS: ReadonlyMap<string, LogConfigKey> = new Map(
  [
    key(
      "segment.bytes",
      "segmentBytes",
      "int",
      "log.segment.bytes",
      "Segment file size; retention and compaction work a whole segment at a time.",
      atLeast(SEGMENT_BYTES_MIN),
    ),
    key(
      "internal.segment.bytes",
      "internalSegmentBytes",
      "int",
      null,
      "Segment file size overriding segment.bytes, for tests only.",
      atLeast(INTERNAL_SEGMENT_BYTES_MIN),
      true,
    ),
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
      oneOf("compact", "delete"),
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
      oneOf("uncompressed", "zstd", "lz4", "snappy", "gzip", "producer"),
    ),
    key(
      "compression.gzip.level",
      "compressionGzipLevel",
      "int",
      "compression.gzip.level",
      "gzip level.",
      gzipLevel,
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
      null,
      "Throttled leader replicas.",
      throttledList("leader.replication.throttled.replicas"),
    ),
    key(
      "follower.replication.throttled.replicas",
      "followerReplicationThrottledReplicas",
      "list",
      null,
      "Throttled follower replicas.",
      throttledList("follower.replication.throttled.replicas"),
    ),
    key(
      "remote.storage.enable",
      "remoteStorageEnable",
      "boolean",
      null,
      "Tiered storage (Brook has none: true is refused).",
    ),
    key(
      "remote.log.copy.disable",
      "remoteLogCopyDisable",
      "boolean",
      null,
      "Stop copying to tiered storage (Brook has none).",
    ),
    key(
      "remote.log.delete.on.disable",
      "remoteLogDeleteOnDisable",
      "boolean",
      null,
      "Delete tiered data when tiered storage is turned off (Brook has none).",
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
 * KafkaError(INVALID_CONFIG) and Kafka's message naming the key, as Kafka answers CreateTopics and
 * AlterConfigs.
 *
 * `checkValues: false` is for overrides read back from the metadata log: they were valid when they
 * were written, and a validator tightened since (segment.bytes in Kafka 4) must not make a topic
 * unreadable. Names and types are still checked.
 */
export function parseLogConfig(
  properties: ReadonlyMap<string, string> | Readonly<Record<string, string>>,
  base: LogConfig = DEFAULT_LOG_CONFIG,
  options: { checkValues: boolean } = { checkValues: true },
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
    const problem = options.checkValues ? configValueProblem(def, value) : null;
    if (problem !== null) throw invalidConfig(problem);
    out[def.field] = value;
  }
  const config = out as unknown as LogConfig;
  return options.checkValues ? validateLogConfig(config) : Object.freeze({ ...config });
}

/**
 * A topic's overrides as CreateTopics and AlterConfigs check them (Kafka's LogConfig.validate with
 * the broker's defaults): every value, the cross-field rules, and tiered storage, which Brook does
 * not have, so it is refused as Kafka refuses it when remote.log.storage.system.enable is false.
 */
export function validateTopicConfigs(
  overrides: ReadonlyMap<string, string> | Readonly<Record<string, string>>,
  defaults: LogConfig,
): LogConfig {
  const config = parseLogConfig(overrides, defaults);
  if (config.remoteStorageEnable) {
    throw invalidConfig(
      "Tiered Storage functionality is disabled in the broker. Topic cannot be configured with remote log storage.",
    );
  }
  return config;
}

/** Checks every field against its key's validator and the cross-field rules; returns the config. */
export function validateLogConfig(config: LogConfig): LogConfig {
  for (const def of LOG_CONFIG_KEYS.values()) {
    const problem = configValueProblem(def, config[def.field] as ConfigValue);
    if (problem !== null) throw invalidConfig(problem);
  }
  if (config.minCompactionLagMs > config.maxCompactionLagMs) {
    throw invalidConfig(
      `conflict topic config setting min.compaction.lag.ms (${config.minCompactionLagMs}) > ` +
        `max.compaction.lag.ms (${formatConfigValue(config.maxCompactionLagMs)})`,
    );
  }
  // An empty cleanup.policy passes, as in Kafka 4.0: the log is then neither deleted nor compacted.
  return Object.freeze({ ...config });
}

/** A config from typed overrides over the defaults (for code and tests), validated. */
export function logConfig(
  overrides: Partial<LogConfig> = {},
  base: LogConfig = DEFAULT_LOG_CONFIG,
): LogConfig {
  return validateLogConfig({ ...base, ...overrides });
}

/**
 * The size at which the log rolls a segment, and the largest append it accepts: Kafka's
 * LogConfig.segmentSize(), internal.segment.bytes when set, else segment.bytes.
 */
export const segmentSize = (config: LogConfig): number => config.internalSegmentBytes ?? config.segmentBytes;

/** The config as Kafka-named strings, as DescribeConfigs shows it (internal keys only when set). */
export function logConfigToProperties(config: LogConfig): Map<string, string> {
  const out = new Map<string, string>();
  for (const def of LOG_CONFIG_KEYS.values()) {
    const value = config[def.field] as ConfigValue;
    if (def.internal && value === null) continue;
    out.set(def.name, formatConfigValue(value, def.type) ?? "");
  }
  return out;
}

export const isCompacted = (config: LogConfig): boolean => config.cleanupPolicy.includes("compact");
export const isDeleteRetained = (config: LogConfig): boolean => config.cleanupPolicy.includes("delete");
