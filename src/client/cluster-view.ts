import { ErrorCode, ZERO_UUID } from "../protocol/index.js";
import { AdminClient } from "./admin-client.js";
import type { BrokerDescription, ClusterMetadata, TopicMetadata } from "./admin-results.js";
import { ClientError, ClientErrorCode } from "./client-error.js";
import type { ClientSasl } from "./client-sasl.js";
import type { ClientTls } from "./client-tls.js";
import { BrokerConnections, CONNECT_TIMEOUT_MS_DEFAULT } from "./connection-pool.js";
import type { KafkaConnection } from "./kafka-connection.js";

export interface ClusterViewOptions {
  /** `host:port` addresses, as an array or comma-separated. */
  bootstrap: string | readonly string[];
  clientId: string;
  /** One request's limit (request.timeout.ms). */
  requestTimeoutMs: number;
  connectTimeoutMs?: number;
  /** Connect with TLS (Kafka's security.protocol=SSL); default plaintext. */
  ssl?: ClientTls;
  /** Authenticate with SASL (security.protocol=SASL_PLAINTEXT or SASL_SSL). */
  sasl?: ClientSasl;
  /** Metadata older than this is fetched again before use (metadata.max.age.ms). */
  metadataMaxAgeMs?: number;
  clientSoftwareVersion?: string;
}

export const METADATA_MAX_AGE_MS_DEFAULT = 5 * 60_000;

interface TopicEntry {
  metadata: TopicMetadata;
  fetchedMs: number;
}

/**
 * What a producer or a consumer knows of the cluster: the topics it uses, with each partition's
 * leader, and connections to brokers by node id. Metadata comes through an admin client (its
 * own connection, so a metadata refresh never waits behind a long-poll fetch); produce and fetch
 * requests go over data connections, one per broker and purpose.
 */
export class ClusterView {
  readonly admin: AdminClient;
  private readonly data: BrokerConnections;
  private readonly maxAgeMs: number;
  private readonly topics = new Map<string, TopicEntry>();
  private readonly brokers = new Map<number, BrokerDescription>();
  /** One refresh per topic set at a time: concurrent callers share it. */
  private readonly refreshing = new Map<string, Promise<ClusterMetadata>>();

  constructor(options: ClusterViewOptions) {
    this.maxAgeMs = options.metadataMaxAgeMs ?? METADATA_MAX_AGE_MS_DEFAULT;
    const software =
      options.clientSoftwareVersion === undefined
        ? {}
        : { clientSoftwareVersion: options.clientSoftwareVersion };
    const ssl = {
      ...(options.ssl === undefined ? {} : { ssl: options.ssl }),
      ...(options.sasl === undefined ? {} : { sasl: options.sasl }),
    };
    this.admin = new AdminClient({
      bootstrap: options.bootstrap,
      clientId: options.clientId,
      timeoutMs: options.requestTimeoutMs,
      ...(options.connectTimeoutMs === undefined ? {} : { connectTimeoutMs: options.connectTimeoutMs }),
      ...ssl,
      ...software,
    });
    this.data = new BrokerConnections({
      clientId: options.clientId,
      requestTimeoutMs: options.requestTimeoutMs,
      connectTimeoutMs: options.connectTimeoutMs ?? CONNECT_TIMEOUT_MS_DEFAULT,
      ...ssl,
      ...software,
    });
  }

  /**
   * Fetches the topics' metadata now (a leader moved, a topic is new). `allowAutoTopicCreation`:
   * a producer's request, which creates missing topics where the broker allows it.
   */
  refresh(topics: readonly string[], allowAutoTopicCreation = false): Promise<ClusterMetadata> {
    const key = `${allowAutoTopicCreation}\u0000${[...topics].sort().join("\u0000")}`;
    let pending = this.refreshing.get(key);
    if (pending === undefined) {
      pending = this.admin.metadata(topics, { allowAutoTopicCreation }).then(
        (metadata) => {
          this.refreshing.delete(key);
          this.learn(metadata);
          return metadata;
        },
        (error: unknown) => {
          this.refreshing.delete(key);
          throw error;
        },
      );
      this.refreshing.set(key, pending);
    }
    return pending;
  }

  /**
   * The topic's metadata, fetched when unknown, older than metadata.max.age.ms, or in error (a
   * topic being created answers LEADER_NOT_AVAILABLE or UNKNOWN_TOPIC_OR_PARTITION for a moment).
   */
  async topic(name: string, allowAutoTopicCreation = false): Promise<TopicMetadata> {
    const known = this.freshTopic(name);
    if (known !== undefined) return known;
    await this.refresh([name], allowAutoTopicCreation);
    return (
      this.topics.get(name)?.metadata ?? {
        errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
        name,
        topicId: ZERO_UUID,
        isInternal: false,
        partitions: [],
      }
    );
  }

  /** The topic's metadata when known without an error and younger than metadata.max.age.ms. */
  freshTopic(name: string): TopicMetadata | undefined {
    const known = this.topics.get(name);
    return known !== undefined &&
      known.metadata.errorCode === ErrorCode.NONE &&
      performance.now() - known.fetchedMs < this.maxAgeMs
      ? known.metadata
      : undefined;
  }

  /** The topic's partition count as last known, or null. */
  partitionCountOf(topic: string): number | null {
    const t = this.topics.get(topic)?.metadata;
    return t === undefined || t.errorCode !== ErrorCode.NONE ? null : t.partitions.length;
  }

  /** The partition's leader as last known, or null (no leader, or an unknown partition). */
  leaderOf(topic: string, partition: number): number | null {
    const p = this.topics.get(topic)?.metadata.partitions[partition];
    return p === undefined || p.leaderId < 0 ? null : p.leaderId;
  }

  /** The data connection to a broker of the latest metadata, for `purpose` (produce, fetch, ...). */
  connection(nodeId: number, purpose: string): Promise<KafkaConnection> {
    const broker = this.brokers.get(nodeId);
    if (broker === undefined)
      return Promise.reject(
        new ClientError(ClientErrorCode.connectFailed, `broker ${nodeId} is not in the cluster's metadata`),
      );
    return this.data.connection({ host: broker.host, port: broker.port }, purpose);
  }

  /** The broker a FindCoordinator answer named, so that `connection` reaches it by id. */
  learnBroker(broker: BrokerDescription): void {
    this.brokers.set(broker.nodeId, broker);
  }

  close(): void {
    this.data.close();
    this.admin.close();
  }

  private learn(metadata: ClusterMetadata): void {
    for (const b of metadata.brokers) this.brokers.set(b.nodeId, b);
    const now = performance.now();
    for (const t of metadata.topics) this.topics.set(t.name, { metadata: t, fetchedMs: now });
  }
}
