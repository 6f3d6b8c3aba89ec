import type { Uuid } from "../protocol/index.js";
import { AclsImage } from "./authorizer/acls-image.js";
import type { ClientQuotas } from "./client-quotas-image.js";
import type { BrokerEndpoint, ConfigResourceType } from "./metadata-records.js";

export interface BrokerRegistration {
  readonly id: number;
  readonly epoch: bigint;
  readonly incarnationId: Uuid;
  readonly endPoints: readonly BrokerEndpoint[];
  readonly rack: string | null;
  readonly fenced: boolean;
}

export interface PartitionRegistration {
  readonly partitionId: number;
  readonly replicas: readonly number[];
  readonly isr: readonly number[];
  readonly leader: number;
  readonly leaderEpoch: number;
  readonly partitionEpoch: number;
  /** A reassignment in progress (KIP-455): replicas being added, and replicas to remove once they are in sync. */
  readonly addingReplicas: readonly number[];
  readonly removingReplicas: readonly number[];
  /**
   * Eligible leader replicas (KIP-966): out of the ISR, never cleanly shut down since, and holding
   * everything the high watermark covers (it does not advance while the ISR is below
   * min.insync.replicas, and only then is this non-empty); a leader comes from here when the ISR
   * is empty.
   */
  readonly elr: readonly number[];
  /** The last leader of a partition whose ISR and ELR became empty (KIP-966's balanced recovery). */
  readonly lastKnownElr: readonly number[];
}

export interface TopicImage {
  readonly id: Uuid;
  readonly name: string;
  /** Indexed by partition id: partitions are 0..n-1. */
  readonly partitions: readonly PartitionRegistration[];
}

/**
 * An immutable view of the cluster metadata at one offset of the metadata log. Readers hold an
 * image for the length of a request and never see it change; a delta builds the next one.
 */
export class MetadataImage {
  readonly offset: bigint;
  readonly brokers: ReadonlyMap<number, BrokerRegistration>;
  readonly topicsById: ReadonlyMap<Uuid, TopicImage>;
  readonly topicsByName: ReadonlyMap<string, TopicImage>;
  /** resourceType -> resourceName -> config name -> value. */
  readonly configs: ReadonlyMap<ConfigResourceType, ReadonlyMap<string, ReadonlyMap<string, string>>>;
  readonly nextProducerId: bigint;
  readonly features: ReadonlyMap<string, number>;
  /** Client quotas by entity (clientQuotaEntityKey). */
  readonly clientQuotas: ClientQuotas;
  /** SCRAM credentials: user name -> mechanism type (1 SCRAM-SHA-256, 2 SCRAM-SHA-512) -> credential. */
  readonly scramCredentials: ScramCredentials;
  /** The ACLs (AccessControlEntry records), with their authorization index. */
  readonly acls: AclsImage;

  constructor(fields: {
    offset: bigint;
    brokers: ReadonlyMap<number, BrokerRegistration>;
    topicsById: ReadonlyMap<Uuid, TopicImage>;
    topicsByName: ReadonlyMap<string, TopicImage>;
    configs: ReadonlyMap<ConfigResourceType, ReadonlyMap<string, ReadonlyMap<string, string>>>;
    nextProducerId: bigint;
    features: ReadonlyMap<string, number>;
    clientQuotas: ClientQuotas;
    scramCredentials?: ScramCredentials;
    acls?: AclsImage;
  }) {
    this.offset = fields.offset;
    this.brokers = fields.brokers;
    this.topicsById = fields.topicsById;
    this.topicsByName = fields.topicsByName;
    this.configs = fields.configs;
    this.nextProducerId = fields.nextProducerId;
    this.features = fields.features;
    this.clientQuotas = fields.clientQuotas;
    // A new map per image without credentials: a module constant is not yet initialised when EMPTY is built.
    this.scramCredentials = fields.scramCredentials ?? new Map();
    this.acls = fields.acls ?? AclsImage.EMPTY;
  }

  static readonly EMPTY = new MetadataImage({
    offset: -1n,
    brokers: new Map(),
    topicsById: new Map(),
    topicsByName: new Map(),
    configs: new Map(),
    nextProducerId: 0n,
    features: new Map(),
    clientQuotas: new Map(),
  });

  topic(name: string): TopicImage | undefined {
    return this.topicsByName.get(name);
  }

  partition(topic: string, partition: number): PartitionRegistration | undefined {
    return this.topicsByName.get(topic)?.partitions[partition];
  }

  topicConfig(name: string): ReadonlyMap<string, string> {
    return this.configs.get(2)?.get(name) ?? EMPTY_CONFIG;
  }

  brokerConfig(brokerId: number | ""): ReadonlyMap<string, string> {
    return this.configs.get(4)?.get(String(brokerId)) ?? EMPTY_CONFIG;
  }

  /** Brokers that may lead partitions: registered and not fenced. */
  liveBrokers(): BrokerRegistration[] {
    return [...this.brokers.values()].filter((b) => !b.fenced).sort((a, b) => a.id - b.id);
  }
}

const EMPTY_CONFIG: ReadonlyMap<string, string> = new Map();

/** What a broker keeps of a user's password for one SCRAM mechanism (never the password). */
export interface ScramCredentialEntry {
  readonly salt: Buffer;
  readonly storedKey: Buffer;
  readonly serverKey: Buffer;
  readonly iterations: number;
}

export type ScramCredentials = ReadonlyMap<string, ReadonlyMap<number, ScramCredentialEntry>>;
