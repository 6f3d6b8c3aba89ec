import {
  decodeMetadataRecord,
  encodeMetadataRecord,
  Reader,
  type MetadataRecord as WireRecord,
  type MetadataRecordInput as WireRecordInput,
  Writer,
  ZERO_UUID,
} from "../protocol/index.js";
import { ConfigResourceType, type MetadataRecord } from "./metadata-records.js";

/**
 * Maps Brook's metadata records to the wire form of Kafka's metadata log (frame version, record
 * type and version as varints, then the record at that version), so `__cluster_metadata` holds
 * exactly what a KRaft controller writes.
 */
export function encodeMetadataRecordValue(record: MetadataRecord): Buffer {
  const w = new Writer(64);
  encodeMetadataRecord(w, toWire(record));
  return w.toBuffer();
}

export function decodeMetadataRecordValue(value: Buffer): MetadataRecord | null {
  return fromWire(decodeMetadataRecord(new Reader(value)));
}

function toWire(record: MetadataRecord): WireRecordInput {
  switch (record.type) {
    case "RegisterBroker":
      return {
        type: "RegisterBrokerRecord",
        version: 3,
        data: {
          brokerId: record.brokerId,
          incarnationId: record.incarnationId,
          brokerEpoch: record.brokerEpoch,
          endPoints: record.endPoints,
          rack: record.rack,
          fenced: record.fenced,
        },
      };
    case "UnregisterBroker":
      return {
        type: "UnregisterBrokerRecord",
        version: 0,
        data: { brokerId: record.brokerId, brokerEpoch: record.brokerEpoch },
      };
    case "FenceBroker":
      return { type: "FenceBrokerRecord", version: 0, data: { id: record.id, epoch: record.epoch } };
    case "UnfenceBroker":
      return { type: "UnfenceBrokerRecord", version: 0, data: { id: record.id, epoch: record.epoch } };
    case "Topic":
      return { type: "TopicRecord", version: 0, data: { name: record.name, topicId: record.topicId } };
    case "Partition": {
      // Version 2 carries the ELR fields (KIP-966) and, from version 1, a log directory per
      // replica: Brook assigns none (Kafka's DirectoryId.UNASSIGNED, the zero UUID).
      const elr = record.eligibleLeaderReplicas ?? [];
      const lastKnownElr = record.lastKnownElr ?? [];
      const withElr = elr.length > 0 || lastKnownElr.length > 0;
      return {
        type: "PartitionRecord",
        version: withElr ? 2 : 0,
        data: {
          ...(withElr
            ? { directories: record.replicas.map(() => ZERO_UUID), eligibleLeaderReplicas: elr, lastKnownElr }
            : {}),
          partitionId: record.partitionId,
          topicId: record.topicId,
          replicas: record.replicas,
          isr: record.isr,
          removingReplicas: record.removingReplicas ?? [],
          addingReplicas: record.addingReplicas ?? [],
          leader: record.leader,
          leaderEpoch: record.leaderEpoch,
          partitionEpoch: record.partitionEpoch,
        },
      };
    }
    case "PartitionChange": {
      const elr = record.eligibleLeaderReplicas ?? null;
      const lastKnownElr = record.lastKnownElr ?? null;
      const withElr = elr !== null || lastKnownElr !== null;
      return {
        type: "PartitionChangeRecord",
        version: withElr ? 2 : 0,
        data: {
          ...(withElr ? { eligibleLeaderReplicas: elr, lastKnownElr } : {}),
          partitionId: record.partitionId,
          topicId: record.topicId,
          leader: record.leader,
          isr: record.isr,
          replicas: record.replicas,
          addingReplicas: record.addingReplicas ?? null,
          removingReplicas: record.removingReplicas ?? null,
        },
      };
    }
    case "RemoveTopic":
      return { type: "RemoveTopicRecord", version: 0, data: { topicId: record.topicId } };
    case "Config":
      return {
        type: "ConfigRecord",
        version: 0,
        data: {
          resourceType: record.resourceType,
          resourceName: record.resourceName,
          name: record.name,
          value: record.value,
        },
      };
    case "ClientQuota":
      return {
        type: "ClientQuotaRecord",
        version: 0,
        data: {
          entity: record.entity.map((e) => ({ entityType: e.entityType, entityName: e.entityName })),
          key: record.key,
          value: record.value,
          remove: record.remove,
        },
      };
    case "UserScramCredential":
      return {
        type: "UserScramCredentialRecord",
        version: 0,
        data: {
          name: record.name,
          mechanism: record.mechanism,
          salt: record.salt,
          storedKey: record.storedKey,
          serverKey: record.serverKey,
          iterations: record.iterations,
        },
      };
    case "RemoveUserScramCredential":
      return {
        type: "RemoveUserScramCredentialRecord",
        version: 0,
        data: { name: record.name, mechanism: record.mechanism },
      };
    case "AccessControlEntry": {
      const { type: _, ...data } = record;
      return { type: "AccessControlEntryRecord", version: 0, data };
    }
    case "RemoveAccessControlEntry":
      return { type: "RemoveAccessControlEntryRecord", version: 0, data: { id: record.id } };
    case "ProducerIds":
      return {
        type: "ProducerIdsRecord",
        version: 0,
        data: {
          brokerId: record.brokerId,
          brokerEpoch: record.brokerEpoch,
          nextProducerId: record.nextProducerId,
        },
      };
    case "FeatureLevel":
      return {
        type: "FeatureLevelRecord",
        version: 0,
        data: { name: record.name, featureLevel: record.featureLevel },
      };
    case "NoOp":
      return { type: "NoOpRecord", version: 0, data: {} };
  }
}

/** Records Brook does not act on yet (delegation tokens, ...) decode to null and are skipped. */
function fromWire(record: WireRecord): MetadataRecord | null {
  switch (record.type) {
    case "RegisterBrokerRecord": {
      const d = record.data;
      return {
        type: "RegisterBroker",
        brokerId: d.brokerId,
        incarnationId: d.incarnationId,
        brokerEpoch: d.brokerEpoch,
        endPoints: d.endPoints.map((e) => ({
          name: e.name,
          host: e.host,
          port: e.port,
          securityProtocol: e.securityProtocol,
        })),
        rack: d.rack,
        fenced: d.fenced,
      };
    }
    case "UnregisterBrokerRecord":
      return {
        type: "UnregisterBroker",
        brokerId: record.data.brokerId,
        brokerEpoch: record.data.brokerEpoch,
      };
    case "FenceBrokerRecord":
      return { type: "FenceBroker", id: record.data.id, epoch: record.data.epoch };
    case "UnfenceBrokerRecord":
      return { type: "UnfenceBroker", id: record.data.id, epoch: record.data.epoch };
    case "TopicRecord":
      return { type: "Topic", name: record.data.name, topicId: record.data.topicId };
    case "PartitionRecord": {
      const d = record.data;
      return {
        type: "Partition",
        topicId: d.topicId,
        partitionId: d.partitionId,
        replicas: d.replicas,
        isr: d.isr,
        leader: d.leader,
        leaderEpoch: d.leaderEpoch,
        partitionEpoch: d.partitionEpoch,
        ...(d.addingReplicas.length > 0 ? { addingReplicas: d.addingReplicas } : {}),
        ...(d.removingReplicas.length > 0 ? { removingReplicas: d.removingReplicas } : {}),
        ...(d.eligibleLeaderReplicas !== null && d.eligibleLeaderReplicas.length > 0
          ? { eligibleLeaderReplicas: d.eligibleLeaderReplicas }
          : {}),
        ...(d.lastKnownElr !== null && d.lastKnownElr.length > 0 ? { lastKnownElr: d.lastKnownElr } : {}),
      };
    }
    case "PartitionChangeRecord": {
      const d = record.data;
      return {
        type: "PartitionChange",
        topicId: d.topicId,
        partitionId: d.partitionId,
        leader: d.leader,
        isr: d.isr,
        replicas: d.replicas,
        ...(d.addingReplicas === null ? {} : { addingReplicas: d.addingReplicas }),
        ...(d.removingReplicas === null ? {} : { removingReplicas: d.removingReplicas }),
        ...(d.eligibleLeaderReplicas === null ? {} : { eligibleLeaderReplicas: d.eligibleLeaderReplicas }),
        ...(d.lastKnownElr === null ? {} : { lastKnownElr: d.lastKnownElr }),
      };
    }
    case "RemoveTopicRecord":
      return { type: "RemoveTopic", topicId: record.data.topicId };
    case "ConfigRecord": {
      const d = record.data;
      const resourceType =
        d.resourceType === ConfigResourceType.topic ? ConfigResourceType.topic : ConfigResourceType.broker;
      return { type: "Config", resourceType, resourceName: d.resourceName, name: d.name, value: d.value };
    }
    case "ClientQuotaRecord":
      return {
        type: "ClientQuota",
        entity: record.data.entity.map((e) => ({ entityType: e.entityType, entityName: e.entityName })),
        key: record.data.key,
        value: record.data.value,
        remove: record.data.remove,
      };
    case "UserScramCredentialRecord": {
      const d = record.data;
      // Copies: the record's bytes are views of a metadata log batch that is not kept.
      return {
        type: "UserScramCredential",
        name: d.name,
        mechanism: d.mechanism,
        salt: Buffer.from(d.salt),
        storedKey: Buffer.from(d.storedKey),
        serverKey: Buffer.from(d.serverKey),
        iterations: d.iterations,
      };
    }
    case "RemoveUserScramCredentialRecord":
      return { type: "RemoveUserScramCredential", name: record.data.name, mechanism: record.data.mechanism };
    case "AccessControlEntryRecord": {
      const d = record.data;
      return {
        type: "AccessControlEntry",
        id: d.id,
        resourceType: d.resourceType,
        resourceName: d.resourceName,
        patternType: d.patternType,
        principal: d.principal,
        host: d.host,
        operation: d.operation,
        permissionType: d.permissionType,
      };
    }
    case "RemoveAccessControlEntryRecord":
      return { type: "RemoveAccessControlEntry", id: record.data.id };
    case "ProducerIdsRecord":
      return {
        type: "ProducerIds",
        brokerId: record.data.brokerId,
        brokerEpoch: record.data.brokerEpoch,
        nextProducerId: record.data.nextProducerId,
      };
    case "FeatureLevelRecord":
      return { type: "FeatureLevel", name: record.data.name, featureLevel: record.data.featureLevel };
    case "NoOpRecord":
      return { type: "NoOp" };
    default:
      return null;
  }
}
