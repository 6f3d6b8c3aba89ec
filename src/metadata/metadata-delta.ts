import { assert } from "../base/index.js";
import type { Uuid } from "../protocol/index.js";
import { AclsImage } from "./authorizer/acls-image.js";
import type { StandardAcl } from "./authorizer/standard-acl.js";
import { type ClientQuotaEntry, clientQuotaEntityKey } from "./client-quotas-image.js";
import {
  type BrokerRegistration,
  MetadataImage,
  type PartitionRegistration,
  type ScramCredentialEntry,
  type TopicImage,
} from "./metadata-image.js";
import { type ConfigResourceType, type MetadataRecord, NO_LEADER_CHANGE } from "./metadata-records.js";

/**
 * Changes to a MetadataImage, accumulated record by record and turned into a new image by
 * `apply()`. A map of the image (brokers, topics, configs) is copied the first time a record
 * changes it, so a delta costs O(size of the maps it changes) once, however many records it holds:
 * replay a batch in one delta rather than one delta per record.
 * Records are trusted here (the controller validated them); a record that contradicts the image
 * is a bug and fails an assertion.
 */
/**
 * What a delta changed, for listeners that touch only that (the replica manager, the
 * coordinators). `snapshot`: the image was rebuilt from a snapshot; compare against the previous
 * image instead.
 */
export interface MetadataChanges {
  readonly snapshot: boolean;
  /** Topics created or whose partitions changed: topic id -> the partition ids that changed. */
  readonly topics: ReadonlyMap<Uuid, ReadonlySet<number>>;
  /** Topics removed: id -> name. */
  readonly removedTopics: ReadonlyMap<Uuid, string>;
  readonly brokers: ReadonlySet<number>;
  /** Config resources changed, as `${resourceType}:${resourceName}`. */
  readonly configs: ReadonlySet<string>;
  /** Client quota entities whose quotas changed (clientQuotaEntityKey); absent when none did. */
  readonly clientQuotas?: ReadonlySet<string>;
}

export class MetadataDelta {
  private readonly base: MetadataImage;
  private lastOffset: bigint;
  private brokers: Map<number, BrokerRegistration> | null = null;
  private topicsById: Map<Uuid, TopicImage> | null = null;
  /** Kept in step with topicsById (same objects, same order), so that apply() need not rebuild it. */
  private topicsByName: Map<string, TopicImage> | null = null;
  private configs: Map<ConfigResourceType, Map<string, Map<string, string>>> | null = null;
  private nextProducerId: bigint;
  private features: Map<string, number> | null = null;
  private clientQuotas: Map<string, ClientQuotaEntry> | null = null;
  private scramCredentials: Map<string, ReadonlyMap<number, ScramCredentialEntry>> | null = null;
  private acls: Map<Uuid, StandardAcl> | null = null;
  private snapshot = false;
  private readonly changedTopics = new Map<Uuid, Set<number>>();
  private readonly removedTopics = new Map<Uuid, string>();
  private readonly changedBrokers = new Set<number>();
  private readonly changedConfigs = new Set<string>();
  private readonly changedClientQuotas = new Set<string>();

  constructor(base: MetadataImage) {
    this.base = base;
    this.lastOffset = base.offset;
    this.nextProducerId = base.nextProducerId;
  }

  replay(record: MetadataRecord, offset: bigint): void {
    assert(
      offset > this.lastOffset,
      () => `metadata offsets must increase: ${offset} after ${this.lastOffset}`,
    );
    this.lastOffset = offset;
    this.replayRecord(record);
  }

  /**
   * Replays a snapshot's records over an empty image: they describe the image at `offset` and
   * carry no offsets of their own.
   */
  replaySnapshot(records: readonly MetadataRecord[], offset: bigint): void {
    assert(this.base.offset === -1n && this.lastOffset === -1n, "a snapshot replays over the empty image");
    for (const record of records) this.replayRecord(record);
    this.lastOffset = offset;
    this.snapshot = true;
  }

  /** The offset of the last record replayed (the base image's offset before any). */
  get offset(): bigint {
    return this.lastOffset;
  }

  get changes(): MetadataChanges {
    return {
      snapshot: this.snapshot,
      topics: this.changedTopics,
      removedTopics: this.removedTopics,
      brokers: this.changedBrokers,
      configs: this.changedConfigs,
      ...(this.changedClientQuotas.size > 0 ? { clientQuotas: this.changedClientQuotas } : {}),
    };
  }

  private touchPartition(topicId: Uuid, partitionId: number): void {
    let set = this.changedTopics.get(topicId);
    if (set === undefined) {
      set = new Set();
      this.changedTopics.set(topicId, set);
    }
    set.add(partitionId);
  }

  private replayRecord(record: MetadataRecord): void {
    switch (record.type) {
      case "RegisterBroker":
        this.changedBrokers.add(record.brokerId);
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
        this.changedBrokers.add(record.brokerId);
        this.mutableBrokers().delete(record.brokerId);
        return;
      case "FenceBroker":
      case "UnfenceBroker": {
        const broker = this.mutableBrokers().get(record.id);
        assert(broker !== undefined, `fencing unknown broker ${record.id}`);
        this.changedBrokers.add(record.id);
        this.mutableBrokers().set(record.id, { ...broker, fenced: record.type === "FenceBroker" });
        return;
      }
      case "Topic":
        assert(!this.topics().has(record.topicId), `topic id ${record.topicId} exists`);
        this.setTopic({ id: record.topicId, name: record.name, partitions: [] });
        this.changedTopics.set(record.topicId, new Set());
        return;
      case "Partition":
        this.replayPartition(record);
        return;
      case "PartitionChange":
        this.replayPartitionChange(record);
        return;
      case "RemoveTopic": {
        const topic = this.topics().get(record.topicId);
        assert(topic !== undefined, `removing unknown topic id ${record.topicId}`);
        this.mutableTopics().delete(record.topicId);
        const byName = this.mutableTopicsByName();
        if (byName.get(topic.name)?.id === topic.id) byName.delete(topic.name);
        this.mutableConfigs(2).delete(topic.name);
        this.changedTopics.delete(record.topicId);
        this.removedTopics.set(record.topicId, topic.name);
        this.changedConfigs.add(`2:${topic.name}`);
        return;
      }
      case "Config":
        this.replayConfig(record.resourceType, record.resourceName, record.name, record.value);
        return;
      case "ClientQuota":
        this.replayClientQuota(record);
        return;
      case "UserScramCredential":
      case "RemoveUserScramCredential": {
        if (this.scramCredentials === null) this.scramCredentials = new Map(this.base.scramCredentials);
        const byMechanism = new Map(this.scramCredentials.get(record.name) ?? []);
        if (record.type === "UserScramCredential") {
          const { salt, storedKey, serverKey, iterations } = record;
          byMechanism.set(record.mechanism, { salt, storedKey, serverKey, iterations });
        } else {
          byMechanism.delete(record.mechanism);
        }
        if (byMechanism.size === 0) this.scramCredentials.delete(record.name);
        else this.scramCredentials.set(record.name, byMechanism);
        return;
      }
      case "AccessControlEntry": {
        if (this.acls === null) this.acls = new Map(this.base.acls.byId);
        assert(!this.acls.has(record.id), () => `an ACL with id ${record.id} exists`);
        const { type: _, id, ...acl } = record;
        this.acls.set(id, acl);
        return;
      }
      case "RemoveAccessControlEntry":
        if (this.acls === null) this.acls = new Map(this.base.acls.byId);
        assert(this.acls.delete(record.id), () => `no ACL with id ${record.id} to remove`);
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
    const topic = this.topics().get(record.topicId);
    assert(topic !== undefined, `partition of unknown topic id ${record.topicId}`);
    assert(record.partitionId === topic.partitions.length, "partitions are created in order");
    const partition: PartitionRegistration = {
      partitionId: record.partitionId,
      replicas: record.replicas,
      isr: record.isr,
      leader: record.leader,
      leaderEpoch: record.leaderEpoch,
      partitionEpoch: record.partitionEpoch,
      addingReplicas: record.addingReplicas ?? [],
      removingReplicas: record.removingReplicas ?? [],
      elr: record.eligibleLeaderReplicas ?? [],
      lastKnownElr: record.lastKnownElr ?? [],
    };
    assertElr(partition);
    this.setTopic({ ...topic, partitions: [...topic.partitions, partition] });
    this.touchPartition(record.topicId, record.partitionId);
  }

  private replayPartitionChange(record: Extract<MetadataRecord, { type: "PartitionChange" }>): void {
    const topic = this.topics().get(record.topicId);
    const current = topic?.partitions[record.partitionId];
    assert(topic !== undefined && current !== undefined, "change of an unknown partition");
    const leaderChanged = record.leader !== NO_LEADER_CHANGE && record.leader !== current.leader;
    const replicasRemoved =
      record.replicas != null && current.replicas.some((r) => !record.replicas?.includes(r));
    const next: PartitionRegistration = {
      partitionId: current.partitionId,
      replicas: record.replicas ?? current.replicas,
      isr: record.isr ?? current.isr,
      leader: record.leader === NO_LEADER_CHANGE ? current.leader : record.leader,
      // Kafka bumps the leader epoch on a leader change (and on replica removal), and the
      // partition epoch on every change.
      leaderEpoch: leaderChanged || replicasRemoved ? current.leaderEpoch + 1 : current.leaderEpoch,
      partitionEpoch: current.partitionEpoch + 1,
      addingReplicas: record.addingReplicas ?? current.addingReplicas,
      removingReplicas: record.removingReplicas ?? current.removingReplicas,
      elr: record.eligibleLeaderReplicas ?? current.elr,
      lastKnownElr: record.lastKnownElr ?? current.lastKnownElr,
    };
    assertElr(next);
    const partitions = [...topic.partitions];
    partitions[record.partitionId] = next;
    this.setTopic({ ...topic, partitions });
    this.touchPartition(record.topicId, record.partitionId);
  }

  private replayConfig(type: ConfigResourceType, resource: string, name: string, value: string | null): void {
    this.changedConfigs.add(`${type}:${resource}`);
    const byResource = this.mutableConfigs(type);
    const current = new Map(byResource.get(resource) ?? []);
    if (value === null) current.delete(name);
    else current.set(name, value);
    if (current.size === 0) byResource.delete(resource);
    else byResource.set(resource, current);
  }

  /** As Kafka's ClientQuotaDelta: a removal of the last value drops the entity. */
  private replayClientQuota(record: Extract<MetadataRecord, { type: "ClientQuota" }>): void {
    const entity = new Map(record.entity.map((e) => [e.entityType, e.entityName] as const));
    assert(
      entity.size > 0 && entity.size === record.entity.length,
      "a client quota entity names each type once",
    );
    const key = clientQuotaEntityKey(entity);
    if (this.clientQuotas === null) this.clientQuotas = new Map(this.base.clientQuotas);
    const values = new Map(this.clientQuotas.get(key)?.values ?? []);
    if (record.remove) values.delete(record.key);
    else values.set(record.key, record.value);
    if (values.size === 0) this.clientQuotas.delete(key);
    else this.clientQuotas.set(key, { entity, values });
    this.changedClientQuotas.add(key);
  }

  private mutableBrokers(): Map<number, BrokerRegistration> {
    if (this.brokers === null) this.brokers = new Map(this.base.brokers);
    return this.brokers;
  }

  /** The topics as replayed so far, for reading (copies nothing). */
  private topics(): ReadonlyMap<Uuid, TopicImage> {
    return this.topicsById ?? this.base.topicsById;
  }

  private mutableTopics(): Map<Uuid, TopicImage> {
    if (this.topicsById === null) this.topicsById = new Map(this.base.topicsById);
    return this.topicsById;
  }

  private mutableTopicsByName(): Map<string, TopicImage> {
    if (this.topicsByName === null) this.topicsByName = new Map(this.base.topicsByName);
    return this.topicsByName;
  }

  /** Adds or replaces a topic in both indexes (a replaced topic keeps its place in iteration order). */
  private setTopic(topic: TopicImage): void {
    this.mutableTopics().set(topic.id, topic);
    this.mutableTopicsByName().set(topic.name, topic);
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

  /**
   * The image with every record replayed so far. It shares the delta's maps, copied from the base
   * image on their first change: the base image is never changed, but records replayed after
   * `apply()` change the images it returned. Only RecordBuilder does that (its images are valid
   * until its next add, which keeps a controller's batch of decisions from copying the whole
   * image per decision); every other owner of a delta applies it once and drops it.
   */
  apply(): MetadataImage {
    return new MetadataImage({
      offset: this.lastOffset,
      brokers: this.brokers ?? this.base.brokers,
      topicsById: this.topicsById ?? this.base.topicsById,
      topicsByName: this.topicsByName ?? this.base.topicsByName,
      configs: this.configs ?? this.base.configs,
      nextProducerId: this.nextProducerId,
      features: this.features ?? this.base.features,
      clientQuotas: this.clientQuotas ?? this.base.clientQuotas,
      scramCredentials: this.scramCredentials ?? this.base.scramCredentials,
      // A new AclsImage (and index) only when an ACL changed; it copies the map, which records
      // replayed after apply() may still change (see above).
      acls: this.acls === null ? this.base.acls : new AclsImage(new Map(this.acls)),
    });
  }
}

/** KIP-966's invariants: eligible leader replicas are replicas, and never ISR members too. */
function assertElr(p: PartitionRegistration): void {
  for (const b of p.elr) {
    assert(
      p.replicas.includes(b),
      `eligible leader replica ${b} is not a replica of partition ${p.partitionId}`,
    );
    assert(!p.isr.includes(b), `eligible leader replica ${b} is in the ISR of partition ${p.partitionId}`);
  }
}
