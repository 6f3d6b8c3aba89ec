import { ConfigError } from "../base/index.js";

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
});

/** Kafka's defaults with `overrides` applied, validated. */
export function groupCoordinatorConfig(
  overrides: Partial<GroupCoordinatorConfig> = {},
): GroupCoordinatorConfig {
  const config = { ...GROUP_COORDINATOR_DEFAULTS, ...overrides };
  for (const [name, value] of Object.entries(config)) {
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
  return Object.freeze(config);
}
