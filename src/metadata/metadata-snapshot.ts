import { MetadataDelta } from "./metadata-delta.js";
import { MetadataImage } from "./metadata-image.js";
import type { ConfigResourceType, MetadataRecord } from "./metadata-records.js";

/**
 * The records that rebuild an image from nothing, as KRaft writes a snapshot: features, brokers
 * (with their fencing), topics with their partitions as they are now, configs, client quotas, SCRAM credentials, ACLs, and the next
 * producer id. Replaying them over the empty image gives an equal image (see imageFromSnapshot).
 */
export function snapshotRecords(image: MetadataImage): MetadataRecord[] {
  const records: MetadataRecord[] = [];
  for (const [name, featureLevel] of image.features)
    records.push({ type: "FeatureLevel", name, featureLevel });
  for (const b of [...image.brokers.values()].sort((x, y) => x.id - y.id)) {
    records.push({
      type: "RegisterBroker",
      brokerId: b.id,
      incarnationId: b.incarnationId,
      brokerEpoch: b.epoch,
      endPoints: [...b.endPoints],
      rack: b.rack,
      fenced: b.fenced,
    });
  }
  for (const topic of image.topicsById.values()) {
    records.push({ type: "Topic", name: topic.name, topicId: topic.id });
    for (const p of topic.partitions) {
      records.push({
        type: "Partition",
        topicId: topic.id,
        partitionId: p.partitionId,
        replicas: [...p.replicas],
        isr: [...p.isr],
        leader: p.leader,
        leaderEpoch: p.leaderEpoch,
        partitionEpoch: p.partitionEpoch,
        ...(p.addingReplicas.length > 0 ? { addingReplicas: [...p.addingReplicas] } : {}),
        ...(p.removingReplicas.length > 0 ? { removingReplicas: [...p.removingReplicas] } : {}),
        ...(p.elr.length > 0 ? { eligibleLeaderReplicas: [...p.elr] } : {}),
        ...(p.lastKnownElr.length > 0 ? { lastKnownElr: [...p.lastKnownElr] } : {}),
      });
    }
  }
  for (const [resourceType, byResource] of image.configs) {
    for (const [resourceName, entries] of byResource) {
      for (const [name, value] of entries) {
        records.push({
          type: "Config",
          resourceType: resourceType as ConfigResourceType,
          resourceName,
          name,
          value,
        });
      }
    }
  }
  for (const { entity, values } of image.clientQuotas.values()) {
    for (const [key, value] of values) {
      records.push({
        type: "ClientQuota",
        entity: [...entity].map(([entityType, entityName]) => ({ entityType, entityName })),
        key,
        value,
        remove: false,
      });
    }
  }
  for (const [name, byMechanism] of image.scramCredentials) {
    for (const [mechanism, c] of byMechanism) {
      records.push({ type: "UserScramCredential", name, mechanism, ...c });
    }
  }
  for (const [id, acl] of image.acls.byId) records.push({ type: "AccessControlEntry", id, ...acl });
  if (image.nextProducerId > 0n) {
    records.push({
      type: "ProducerIds",
      brokerId: -1,
      brokerEpoch: -1n,
      nextProducerId: image.nextProducerId,
    });
  }
  return records;
}

export function imageFromSnapshot(records: readonly MetadataRecord[], offset: bigint): MetadataImage {
  const delta = new MetadataDelta(MetadataImage.EMPTY);
  delta.replaySnapshot(records, offset);
  return delta.apply();
}
