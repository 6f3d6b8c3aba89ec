import { ConfigError } from "../base/index.js";

/** The server assignors Brook has (consumer-group-assignor.ts); kept here so config stays a leaf. */
export const CONSUMER_GROUP_ASSIGNOR_NAMES = ["uniform", "range"] as const;

/**
 * The group coordinator's settings, named after Kafka's broker keys (units in the names). The
 * broker builds this from `server.properties` (`offsets.topic.num.partitions`,
 * `group.min.session.timeout.ms`, ...); tests build it from `groupCoordinatorConfig({...})`.
 */
export interface GroupCoordinatorConfig {
  /** offsets.topic.num.partitions */
  readonly offsetsTopicPartitionCount: number;
  /** group.min.session.timeout.ms */
  readonly groupMinSessionTimeoutMs: number;
  /** group.max.session.timeout.ms */
  readonly groupMaxSessionTimeoutMs: number;
  /** group.initial.rebalance.delay.ms */
  readonly groupInitialRebalanceDelayMs: number;
  /** group.max.size */
  readonly groupMaxSize: number;
  /**
   * How long a new member's JoinGroup may wait in a rebalance before the member is dropped (Kafka's
   * fixed 5 minutes): its socket is muted meanwhile, so a client that gave up cannot be detected.
   */
  readonly groupNewMemberJoinTimeoutMs: number;
  /** offset.metadata.max.bytes (Kafka compares the metadata string's length in UTF-16 units). */
  readonly offsetMetadataMaxBytes: number;
  /** offsets.retention.minutes, in milliseconds. */
  readonly offsetsRetentionMs: number;
  /** offsets.retention.check.interval.ms */
  readonly offsetsRetentionCheckIntervalMs: number;
  /** group.consumer.heartbeat.interval.ms: how often KIP-848 members heartbeat. */
  readonly consumerGroupHeartbeatIntervalMs: number;
  /** group.consumer.session.timeout.ms: a KIP-848 member silent this long is fenced. */
  readonly consumerGroupSessionTimeoutMs: number;
  /** group.consumer.max.size */
  readonly consumerGroupMaxSize: number;
  /** group.consumer.assignors: the server assignors by name; the first is the default. */
  readonly consumerGroupAssignors: readonly string[];
}

export const GROUP_COORDINATOR_DEFAULTS: GroupCoordinatorConfig = Object.freeze({
  offsetsTopicPartitionCount: 50,
  groupMinSessionTimeoutMs: 6_000,
  groupMaxSessionTimeoutMs: 1_800_000,
  groupInitialRebalanceDelayMs: 3_000,
  groupMaxSize: 2_147_483_647,
  groupNewMemberJoinTimeoutMs: 300_000,
  offsetMetadataMaxBytes: 4_096,
  offsetsRetentionMs: 7 * 24 * 60 * 60 * 1000,
  offsetsRetentionCheckIntervalMs: 600_000,
  consumerGroupHeartbeatIntervalMs: 5_000,
  consumerGroupSessionTimeoutMs: 45_000,
  consumerGroupMaxSize: 2_147_483_647,
  consumerGroupAssignors: ["uniform", "range"],
});

/** Kafka's defaults with `overrides` applied, validated. */
export function groupCoordinatorConfig(
  overrides: Partial<GroupCoordinatorConfig> = {},
): GroupCoordinatorConfig {
  const config = { ...GROUP_COORDINATOR_DEFAULTS, ...overrides };
  for (const [name, value] of Object.entries(config)) {
    if (typeof value !== "number") continue;
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new ConfigError(`group coordinator setting ${name} must be a non-negative integer, got ${value}`);
    }
  }
  if (config.offsetsTopicPartitionCount < 1)
    throw new ConfigError("offsets.topic.num.partitions must be >= 1");
  if (config.groupMaxSize < 1) throw new ConfigError("group.max.size must be >= 1");
  if (config.groupMinSessionTimeoutMs > config.groupMaxSessionTimeoutMs) {
    throw new ConfigError("group.min.session.timeout.ms must not exceed group.max.session.timeout.ms");
  }
  if (config.offsetsRetentionCheckIntervalMs < 1) {
    throw new ConfigError("offsets.retention.check.interval.ms must be >= 1");
  }
  if (config.consumerGroupMaxSize < 1) throw new ConfigError("group.consumer.max.size must be >= 1");
  if (config.consumerGroupHeartbeatIntervalMs >= config.consumerGroupSessionTimeoutMs) {
    throw new ConfigError(
      "group.consumer.heartbeat.interval.ms must be less than group.consumer.session.timeout.ms",
    );
  }
  const known = new Set<string>(CONSUMER_GROUP_ASSIGNOR_NAMES);
  if (config.consumerGroupAssignors.length === 0) throw new ConfigError("group.consumer.assignors is empty");
  for (const name of config.consumerGroupAssignors) {
    if (!known.has(name)) {
      throw new ConfigError(
        `group.consumer.assignors: unknown assignor ${name} (Brook has ${CONSUMER_GROUP_ASSIGNOR_NAMES.join(", ")})`,
      );
    }
  }
  return Object.freeze({
    ...config,
    consumerGroupAssignors: Object.freeze([...config.consumerGroupAssignors]),
  });
}
