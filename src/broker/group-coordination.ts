import {
  type GroupCoordinatorConfig,
  GroupCoordinatorRuntime,
  groupCoordinatorConfig,
  type TopicMetadataSource,
} from "../coordinator/index.js";
import type { MetadataImage } from "../metadata/index.js";
import type { BrokerConfig } from "./broker-config.js";
import { syncCoordinatorPartitions } from "./coordinator-partitions.js";
import type {
  BrokerSettings,
  ControllerAccess,
  GroupAccess,
  MetadataView,
  PartitionAccess,
} from "./handler-context.js";
import { CONSUMER_OFFSETS_TOPIC, PartitionOffsetsTopicLog } from "./offsets-topic-log.js";
import { ensureInternalTopic } from "./topic-creation.js";

const MINUTE_MS = 60_000;

/**
 * The coordinator's settings from server.properties. The partition count is the existing
 * `__consumer_offsets` topic's when there is one (as Kafka's KRaft brokers do), so that changing
 * `offsets.topic.num.partitions` later never moves a group to another partition.
 */
export function groupCoordinatorConfigOf(config: BrokerConfig, image: MetadataImage): GroupCoordinatorConfig {
  const existingPartitionCount = image.topic(CONSUMER_OFFSETS_TOPIC)?.partitions.length;
  return groupCoordinatorConfig({
    offsetsTopicPartitionCount: existingPartitionCount ?? config.int("offsets.topic.num.partitions"),
    groupMinSessionTimeoutMs: config.int("group.min.session.timeout.ms"),
    groupMaxSessionTimeoutMs: config.int("group.max.session.timeout.ms"),
    groupInitialRebalanceDelayMs: config.int("group.initial.rebalance.delay.ms"),
    groupMaxSize: config.int("group.max.size"),
    offsetMetadataMaxBytes: config.int("offset.metadata.max.bytes"),
    offsetsRetentionMs: config.int("offsets.retention.minutes") * MINUTE_MS,
    offsetsRetentionCheckIntervalMs: config.int("offsets.retention.check.interval.ms"),
    consumerGroupHeartbeatIntervalMs: config.int("group.consumer.heartbeat.interval.ms"),
    consumerGroupSessionTimeoutMs: config.int("group.consumer.session.timeout.ms"),
    consumerGroupMaxSize: config.int("group.consumer.max.size"),
    consumerGroupAssignors: config.list("group.consumer.assignors"),
  });
}

/** The broker's group coordinator, on its `__consumer_offsets` replicas. */
export function createGroupCoordinator(
  broker: MetadataView & Pick<PartitionAccess, "replicaManager"> & BrokerSettings,
): GroupCoordinatorRuntime {
  return new GroupCoordinatorRuntime({
    config: groupCoordinatorConfigOf(broker.config, broker.image),
    clock: broker.clock,
    log: new PartitionOffsetsTopicLog({
      partition: (p) => broker.replicaManager.get(CONSUMER_OFFSETS_TOPIC, p),
      clock: broker.clock,
      loadBufferBytes: broker.config.int("offsets.load.buffer.size"),
    }),
    // Read at each heartbeat, so consumer groups see topics and partitions as the image has them.
    topics: imageTopics(broker),
  });
}

/**
 * The image's topics as consumer groups read them. The version of the topic set (for regex
 * subscriptions) is the image offset at which a name first appeared that the previous look did not
 * have: found by comparing names, only when the image moved and a group asks.
 */
function imageTopics(broker: MetadataView): TopicMetadataSource {
  let seenOffset = -1n;
  let names = new Set<string>();
  let version = 0n;
  return {
    topicByName: (name) => {
      const topic = broker.image.topic(name);
      return topic === undefined ? undefined : { topicId: topic.id, numPartitions: topic.partitions.length };
    },
    topicNameById: (topicId) => broker.image.topicsById.get(topicId)?.name,
    topicNames: () => broker.image.topicsByName.keys(),
    topicsVersion: () => {
      const image = broker.image;
      if (image.offset === seenOffset) return version;
      seenOffset = image.offset;
      const current = image.topicsByName;
      let created = false;
      for (const name of current.keys()) {
        if (!names.has(name)) {
          created = true;
          break;
        }
      }
      if (created || current.size !== names.size) names = new Set(current.keys());
      if (created) version = image.offset;
      return version;
    },
  };
}

/** Whether `group.coordinator.rebalance.protocols` offers KIP-848 consumer groups. */
export function consumerGroupsEnabled(config: BrokerConfig): boolean {
  return config.list("group.coordinator.rebalance.protocols").includes("consumer");
}

/**
 * After a metadata change: the coordinator serves the `__consumer_offsets` partitions this broker
 * leads (loading each at its leader epoch; a no-op when already loaded at that epoch) and drops the
 * others. Called after the replica manager applied the same image, so the replicas exist.
 */
export function syncGroupCoordinatorPartitions(
  broker: MetadataView & Pick<GroupAccess, "groupCoordinator"> & BrokerSettings,
  image: MetadataImage,
): void {
  const runtime = broker.groupCoordinator;
  syncCoordinatorPartitions(
    broker,
    image,
    CONSUMER_OFFSETS_TOPIC,
    runtime.config.offsetsTopicPartitionCount,
    runtime,
    "its groups stay unavailable",
  );
}

/**
 * Creates `__consumer_offsets` when the first coordinator lookup needs it, with Kafka's settings:
 * compacted, `offsets.topic.segment.bytes` segments, batches kept as written. Fewer live brokers
 * than `offsets.topic.replication.factor` answer COORDINATOR_NOT_AVAILABLE, as Kafka does.
 */
export async function ensureOffsetsTopic(
  broker: MetadataView & ControllerAccess & BrokerSettings & Pick<GroupAccess, "groupCoordinator">,
): Promise<number> {
  const created = await ensureInternalTopic(
    broker,
    CONSUMER_OFFSETS_TOPIC,
    broker.groupCoordinator.config.offsetsTopicPartitionCount,
    broker.config.int("offsets.topic.replication.factor"),
    {
      "cleanup.policy": "compact",
      "segment.bytes": String(broker.config.int("offsets.topic.segment.bytes")),
      "compression.type": "producer",
    },
  );
  return created.errorCode;
}
