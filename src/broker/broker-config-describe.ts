import { formatConfigValue } from "../base/index.js";
import { type BrokerConfig, brokerConfigKeys } from "./broker-config.js";
import {
  brokerSynonyms,
  ConfigSource,
  configSynonyms,
  configTypeId,
  type DescribedConfig,
} from "./config-synonyms.js";

/**
 * The broker properties Kafka 4.0 can change at runtime (DynamicBrokerConfig.ALL_DYNAMIC_CONFIGS,
 * the "per-broker" and "cluster-wide" update modes of its documentation, restricted to the keys
 * Brook knows; advertised.listeners is read-only in KRaft). DescribeConfigs reports every other
 * key read-only, as Kafka does. Brook itself applies no dynamic broker config yet (see
 * config-alteration.ts).
 */
export const KAFKA_DYNAMIC_BROKER_CONFIGS: ReadonlySet<string> = new Set([
  "listeners",
  "listener.security.protocol.map",
  "num.io.threads",
  "num.network.threads",
  "num.replica.fetchers",
  "num.recovery.threads.per.data.dir",
  "max.connections",
  "max.connections.per.ip",
  "max.connections.per.ip.overrides",
  "message.max.bytes",
  "min.insync.replicas",
  "unclean.leader.election.enable",
  "compression.type",
  "compression.gzip.level",
  "compression.lz4.level",
  "compression.zstd.level",
  "log.cleaner.threads",
  "log.cleaner.backoff.ms",
  "log.segment.bytes",
  "log.roll.ms",
  "log.roll.jitter.ms",
  "log.index.size.max.bytes",
  "log.flush.interval.messages",
  "log.flush.interval.ms",
  "log.retention.bytes",
  "log.retention.ms",
  "log.index.interval.bytes",
  "log.cleaner.delete.retention.ms",
  "log.cleaner.min.compaction.lag.ms",
  "log.cleaner.max.compaction.lag.ms",
  "log.segment.delete.delay.ms",
  "log.cleaner.min.cleanable.ratio",
  "log.cleanup.policy",
  "log.preallocate",
  "log.message.timestamp.type",
  "log.message.timestamp.before.max.ms",
  "log.message.timestamp.after.max.ms",
  "log.local.retention.ms",
  "log.local.retention.bytes",
  "producer.id.expiration.ms",
  // DynamicSecurityConfigs: Kafka reloads key and trust stores per listener at runtime.
  "ssl.keystore.type",
  "ssl.keystore.location",
  "ssl.keystore.password",
  "ssl.key.password",
  "ssl.keystore.certificate.chain",
  "ssl.keystore.key",
  "ssl.truststore.type",
  "ssl.truststore.location",
  "ssl.truststore.password",
  "ssl.truststore.certificates",
]);

/**
 * The StandardAuthorizer's own properties: Kafka's broker passes them to its authorizer from
 * server.properties, and its DescribeConfigs lists them (they are among the properties it was
 * given) only when set, sensitive, of unknown type, without documentation.
 */
const AUTHORIZER_PROPERTIES: ReadonlySet<string> = new Set(["super.users", "allow.everyone.if.no.acl.found"]);
/** DescribeConfigsResponse's ConfigType UNKNOWN. */
const CONFIG_TYPE_UNKNOWN = 0;

/**
 * DescribeConfigs of this broker (resource name = its node id), as Kafka's ConfigHelper answers
 * it: every broker property with its value (null when unset and without default), the source of
 * its first synonym (STATIC_BROKER_CONFIG when server.properties sets it, else DEFAULT_CONFIG),
 * password-typed properties sensitive with a null value; internal properties only when set
 * (Kafka lists the originals and the non-internal values). `keys` null or empty means all.
 */
export function describeBrokerConfigs(
  config: BrokerConfig,
  options: { includeSynonyms: boolean; includeDocumentation: boolean; keys: readonly string[] | null },
): DescribedConfig[] {
  const wanted = options.keys === null || options.keys.length === 0 ? null : new Set(options.keys);
  const out: DescribedConfig[] = [];
  for (const [name, key] of brokerConfigKeys) {
    if (wanted !== null && !wanted.has(name)) continue;
    const kafkaKnows = !AUTHORIZER_PROPERTIES.has(name);
    if ((key.internal === true || !kafkaKnows) && !config.explicit.has(name)) continue;
    // Kafka treats a property its KafkaConfig does not define as sensitive, of unknown type.
    const isSensitive = key.type === "password" || !kafkaKnows;
    const synonyms = configSynonyms(config, name, brokerSynonyms(name), isSensitive);
    out.push({
      name,
      value: isSensitive ? null : formatConfigValue(config.values.get(name) ?? null, key.type),
      source: synonyms[0]?.source ?? ConfigSource.DEFAULT_CONFIG,
      isSensitive,
      readOnly: !KAFKA_DYNAMIC_BROKER_CONFIGS.has(name),
      synonyms: options.includeSynonyms ? synonyms : [],
      configType: kafkaKnows ? configTypeId(key.type) : CONFIG_TYPE_UNKNOWN,
      documentation: options.includeDocumentation && kafkaKnows ? key.doc : null,
    });
  }
  return out;
}
