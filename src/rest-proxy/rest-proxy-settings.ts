import type { ClientSecurity, CompressionName, IsolationLevel } from "../client/index.js";

/**
 * What the REST Proxy is configured with: kafka-rest's settings under `rest.proxy.` in the
 * broker's server.properties (`rest.proxy.consumer.instance.timeout.ms` is kafka-rest's
 * `consumer.instance.timeout.ms`), read by the process that hosts it. The proxy is a client of
 * the cluster its node belongs to: `bootstrap` is that node's own listener.
 */
export interface RestProxySettings {
  /** host:port of a listener of this node: the proxy's clients connect there. */
  readonly bootstrap: string;
  /** How they connect (`rest.proxy.client.*`): TLS and SASL, or neither. */
  readonly security: ProxyClientSecurity;
  readonly clusterId: string;
  /** `rest.proxy.advertised.listeners`: the base URLs of links (base_uri, metadata.self); empty: the request's Host. */
  readonly advertisedListeners: readonly string[];
  /** The Schema Registry for avro, jsonschema and protobuf records; null: none (those formats are refused). */
  readonly schemaRegistryUrl: string | null;
  /** A consumer instance unused this long is closed (kafka-rest's consumer.instance.timeout.ms, 300000). */
  readonly consumerInstanceTimeoutMs: number;
  /** The longest a records read waits (consumer.request.timeout.ms, 1000). */
  readonly consumerRequestTimeoutMs: number;
  /** Bytes a records read answers at most (consumer.request.max.bytes, 64 MiB). */
  readonly consumerRequestMaxBytes: number;
  /** A records read answers once it has more than this many bytes; -1: only at its timeout (fetch.min.bytes). */
  readonly fetchMinBytes: number;
  /** Consumer instances open at once; more are refused with 429 until some are deleted or expire. */
  readonly consumerInstancesMax: number;
  /** The largest request body; a v3 produce stream may carry any number of records of this size each. */
  readonly requestBytesMax: number;
  readonly producer: ProxyProducerSettings;
  readonly consumer: ProxyConsumerSettings;
}

/** TLS and SASL of every client the proxy makes (admin, producer, consumer instances). */
export type ProxyClientSecurity = Pick<ClientSecurity, "ssl" | "sasl">;

/** The shared producer's settings (`rest.proxy.producer.*`, Kafka's producer keys). */
export interface ProxyProducerSettings {
  /** Record bytes accepted and not yet acknowledged, at most (buffer.memory); past it, 429. */
  readonly bufferMemory: number;
  readonly acks: 0 | 1 | -1;
  readonly lingerMs: number;
  readonly batchSize: number;
  readonly compression: CompressionName;
  readonly deliveryTimeoutMs: number;
}

/** Defaults for every consumer instance (`rest.proxy.consumer.*`, Kafka's consumer keys). */
export interface ProxyConsumerSettings {
  readonly sessionTimeoutMs: number;
  readonly maxPollRecords: number;
  readonly isolationLevel: IsolationLevel;
}

/** What the settings are read from: the broker's parsed configuration has this shape. */
export interface ConfigReader {
  int(name: string): number;
  string(name: string): string | null;
  list(name: string): readonly string[];
}

export const REST_PROXY_CONFIG_PREFIX = "rest.proxy.";

/** Reads the `rest.proxy.*` keys (validated when the configuration was parsed). */
export function readRestProxySettings(
  config: ConfigReader,
  node: {
    bootstrap: string;
    security?: ProxyClientSecurity;
    clusterId: string;
    registryUrl: string | null;
  },
): RestProxySettings {
  const key = (name: string) => `${REST_PROXY_CONFIG_PREFIX}${name}`;
  const acks = config.string(key("producer.acks")) ?? "all";
  return {
    bootstrap: node.bootstrap,
    security: { ssl: node.security?.ssl, sasl: node.security?.sasl },
    clusterId: node.clusterId,
    advertisedListeners: config.list(key("advertised.listeners")).map((u) => u.replace(/\/+$/, "")),
    schemaRegistryUrl: config.string(key("schema.registry.url")) ?? node.registryUrl,
    consumerInstanceTimeoutMs: config.int(key("consumer.instance.timeout.ms")),
    consumerRequestTimeoutMs: config.int(key("consumer.request.timeout.ms")),
    consumerRequestMaxBytes: config.int(key("consumer.request.max.bytes")),
    fetchMinBytes: config.int(key("fetch.min.bytes")),
    consumerInstancesMax: config.int(key("consumer.instances.max")),
    requestBytesMax: config.int(key("request.max.bytes")),
    producer: {
      bufferMemory: config.int(key("producer.buffer.memory")),
      acks: acks === "all" ? -1 : (Number(acks) as 0 | 1 | -1),
      lingerMs: config.int(key("producer.linger.ms")),
      batchSize: config.int(key("producer.batch.size")),
      compression: (config.string(key("producer.compression.type")) ?? "none") as CompressionName,
      deliveryTimeoutMs: config.int(key("producer.delivery.timeout.ms")),
    },
    consumer: {
      sessionTimeoutMs: config.int(key("consumer.session.timeout.ms")),
      maxPollRecords: config.int(key("consumer.max.poll.records")),
      isolationLevel: (config.string(key("consumer.isolation.level")) ??
        "read_uncommitted") as IsolationLevel,
    },
  };
}
