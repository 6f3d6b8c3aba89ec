import type { Uuid } from "../protocol/index.js";
import type { StandardAcl } from "./authorizer/standard-acl.js";

/**
 * The records of the cluster metadata log, with the fields of Kafka's metadata record specs
 * (`specs/kafka-protocol/metadata/`). Cluster state changes only by appending these records and
 * replaying them into the image; the controller validates requests and emits records.
 */
export const ConfigResourceType = { topic: 2, broker: 4 } as const;
export type ConfigResourceType = (typeof ConfigResourceType)[keyof typeof ConfigResourceType];

export interface BrokerEndpoint {
  name: string;
  host: string;
  port: number;
  securityProtocol: number;
}

/** One part of a client quota entity: its type (user, client-id, ip) and name (null: the default). */
export interface ClientQuotaEntityData {
  entityType: string;
  entityName: string | null;
}

export type MetadataRecord =
  | {
      type: "RegisterBroker";
      brokerId: number;
      incarnationId: Uuid;
      brokerEpoch: bigint;
      endPoints: BrokerEndpoint[];
      rack: string | null;
      fenced: boolean;
    }
  | { type: "UnregisterBroker"; brokerId: number; brokerEpoch: bigint }
  | { type: "FenceBroker"; id: number; epoch: bigint }
  | { type: "UnfenceBroker"; id: number; epoch: bigint }
  | { type: "Topic"; name: string; topicId: Uuid }
  | {
      type: "Partition";
      topicId: Uuid;
      partitionId: number;
      replicas: number[];
      isr: number[];
      leader: number;
      leaderEpoch: number;
      partitionEpoch: number;
      /** A reassignment in progress: replicas joining, and replicas leaving once they have. */
      addingReplicas?: number[];
      removingReplicas?: number[];
      /**
       * KIP-966: replicas out of the ISR that still hold everything the high watermark covers,
       * kept while the ISR is below min.insync.replicas, from which a leader may be elected when the
       * ISR is empty; and the last known leader, for when none of them is left (balanced recovery).
       */
      eligibleLeaderReplicas?: number[];
      lastKnownElr?: number[];
    }
  | {
      type: "PartitionChange";
      topicId: Uuid;
      partitionId: number;
      /** -2: no change (Kafka's NO_LEADER_CHANGE); -1: no leader. */
      leader: number;
      isr: number[] | null;
      replicas: number[] | null;
      /** null (or absent): unchanged. */
      addingReplicas?: number[] | null;
      removingReplicas?: number[] | null;
      eligibleLeaderReplicas?: number[] | null;
      lastKnownElr?: number[] | null;
    }
  | { type: "RemoveTopic"; topicId: Uuid }
  | {
      type: "Config";
      resourceType: ConfigResourceType;
      resourceName: string;
      name: string;
      value: string | null;
    }
  | {
      /** Sets (or removes) one quota of a client quota entity (Kafka's ClientQuotaRecord). */
      type: "ClientQuota";
      entity: ClientQuotaEntityData[];
      key: string;
      value: number;
      remove: boolean;
    }
  | {
      /** A user's SCRAM credential for one mechanism (Kafka's UserScramCredentialRecord); replaces any earlier. */
      type: "UserScramCredential";
      name: string;
      /** ScramMechanism's type: 1 SCRAM-SHA-256, 2 SCRAM-SHA-512. */
      mechanism: number;
      salt: Buffer;
      storedKey: Buffer;
      serverKey: Buffer;
      iterations: number;
    }
  | { type: "RemoveUserScramCredential"; name: string; mechanism: number }
  | ({
      /** An ACL (Kafka's AccessControlEntryRecord), under the id DeleteAcls removes it by. */
      type: "AccessControlEntry";
      id: Uuid;
    } & StandardAcl)
  | { type: "RemoveAccessControlEntry"; id: Uuid }
  | { type: "ProducerIds"; brokerId: number; brokerEpoch: bigint; nextProducerId: bigint }
  | { type: "FeatureLevel"; name: string; featureLevel: number }
  | { type: "NoOp" };

export const NO_LEADER = -1;
export const NO_LEADER_CHANGE = -2;
