import { assert } from "../base/index.js";
import type { Uuid } from "../protocol/index.js";
import {
  type BrokerRegistration,
  MetadataImage,
  type PartitionRegistration,
  type TopicImage,
} from "./metadata-image.js";
import { type ConfigResourceType, type MetadataRecord, NO_LEADER_CHANGE } from "./metadata-records.js";

/**
 * Changes to a MetadataImage, accumulated record by record and turned into a new image by
 * `apply()`. Only what changed is copied, so replaying a small batch over a large image is cheap.
 * Records are trusted here (the controller validated them); a record that contradicts the image
 * is a bug and fails an assertion.
 */
export class MetadataDelta {
  private readonly base: MetadataImage;
  private offset: bigint;
  private brokers: Map<number, BrokerRegistration> | null = null;
  private topicsById: Map<Uuid, TopicImage> | null = null;
  private configs: Map<ConfigResourceType, Map<string, Map<string, string>>> | null = null;
  private nextProducerId: bigint;
  private features: Map<string, number> | null = null;

  constructor(base: MetadataImage) {
    this.base = base;
    this.offset = base.offset;
    this.nextProducerId = base.nextProducerId;
  }

  replay(record: MetadataRecord, offset: bigint): void {
    assert(offset > this.offset, () => `metadata offsets must increase: ${offset} after ${this.offset}`);
    this.offset = offset;
    switch (record.type) {
      case "RegisterBroker":
        this.mutableBrokers().set(record.brokerId, {
          id: record.brokerId,
          epoch: record.brokerEpoch,
          incarnationId: record.incarnationId,
          endPoints: record.endPoints,
          rack: record.rack,
          fenced: record.fenced,
        });
        return;
      case "UnregisterBroker":
        this.mutableBrokers().delete(record.brokerId);
        return;
      case "FenceBroker":
      case "UnfenceBroker": {
        const broker = this.mutableBrokers().get(record.id);
        assert(broker !== undefined, `fencing unknown broker ${record.id}`);
        this.mutableBrokers().set(record.id, { ...broker, fenced: record.type === "FenceBroker" });
        return;
      }
      case "Topic":
        assert(!this.mutableTopics().has(record.topicId), `topic id ${record.topicId} exists`);
        this.mutableTopics().set(record.topicId, { id: record.topicId, name: record.name, partitions: [] });
        return;
      case "Partition":
        this.replayPartition(record);
        return;
      case "PartitionChange":
        this.replayPartitionChange(record);
        return;
      case "RemoveTopic": {
        const topic = this.mutableTopics().get(record.topicId);
        assert(topic !== undefined, `removing unknown topic id ${record.topicId}`);
        this.mutableTopics().delete(record.topicId);
        this.mutableConfigs(2).delete(topic.name);
        return;
      }
      case "Config":
        this.replayConfig(record.resourceType, record.resourceName, record.name, record.value);
        return;
      case "ProducerIds":
        assert(record.nextProducerId >= this.nextProducerId, "producer id blocks only move forward");
        this.nextProducerId = record.nextProducerId;
        return;
      case "FeatureLevel":
        if (this.features === null) this.features = new Map(this.base.features);
        this.features.set(record.name, record.featureLevel);
        return;
      case "NoOp":
        return;
    }
  }

  private replayPartition(record: Extract<MetadataRecord, { type: "Partition" }>): void {
    const topic = this.mutableTopics().get(record.topicId);
    assert(topic !== undefined, `partition of unknown topic id ${record.topicId}`);
    assert(record.partitionId === topic.partitions.length, "partitions are created in order");
    const partition: PartitionRegistration = {
      partitionId: record.partitionId,
      replicas: record.replicas,
      isr: record.isr,
      leader: record.leader,
      leaderEpoch: record.leaderEpoch,
      partitionEpoch: record.partitionEpoch,
    };
    this.mutableTopics().set(record.topicId, { ...topic, partitions: [...topic.partitions, partition] });
  }

  private replayPartitionChange(record: Extract<MetadataRecord, { type: "PartitionChange" }>): void {
    const topic = this.mutableTopics().get(record.topicId);
    const current = topic?.partitions[record.partitionId];
    assert(topic !== undefined && current !== undefined, "change of an unknown partition");
    const leaderChanged = record.leader !== NO_LEADER_CHANGE && record.leader !== current.leader;
    const next: PartitionRegistration = {
      partitionId: current.partitionId,
      replicas: record.replicas ?? current.replicas,
      isr: record.isr ?? current.isr,
      leader: record.leader === NO_LEADER_CHANGE ? current.leader : record.leader,
      // Kafka bumps the leader epoch on a leader change (and on replica removal), and the
      // partition epoch on every change.
      leaderEpoch: leaderChanged ? current.leaderEpoch + 1 : current.leaderEpoch,
      partitionEpoch: current.partitionEpoch + 1,
    };
    const partitions = [...topic.partitions];
    partitions[record.partitionId] = next;
    this.mutableTopics().set(record.topicId, { ...topic, partitions });
  }

  private replayConfig(type: ConfigResourceType, resource: string, name: string, value: string | null): void {
    const byResource = this.mutableConfigs(type);
    const current = new Map(byResource.get(resource) ?? []);
    if (value === null) current.delete(name);
    else current.set(name, value);
    if (current.size === 0) byResource.delete(resource);
    else byResource.set(resource, current);
  }

  private mutableBrokers(): Map<number, BrokerRegistration> {
    if (this.brokers === null) this.brokers = new Map(this.base.brokers);
    return this.brokers;
  }

  private mutableTopics(): Map<Uuid, TopicImage> {
    if (this.topicsById === null) this.topicsById = new Map(this.base.topicsById);
    return this.topicsById;
  }

  private mutableConfigs(type: ConfigResourceType): Map<string, Map<string, string>> {
    if (this.configs === null) {
      this.configs = new Map();
      for (const [t, byResource] of this.base.configs) {
        this.configs.set(t, new Map([...byResource].map(([r, m]) => [r, new Map(m)])));
      }
    }
    let byResource = this.configs.get(type);
    if (byResource === undefined) {
      byResource = new Map();
      this.configs.set(type, byResource);
    }
    return byResource;
  }

  apply(): MetadataImage {
    const topicsById = this.topicsById ?? this.base.topicsById;
    const topicsByName =
      this.topicsById === null
        ? this.base.topicsByName
        : new Map([...topicsById.values()].map((t) => [t.name, t]));
    return new MetadataImage({
      offset: this.offset,
      brokers: this.brokers ?? this.base.brokers,
      topicsById,
      topicsByName,
      configs: this.configs ?? this.base.configs,
      nextProducerId: this.nextProducerId,
      features: this.features ?? this.base.features,
    });
  }
}
