import { ConfigError, type ConfigValue, formatConfigValue } from "../base/index.js";
import { KafkaError } from "../protocol/index.js";
import { LOG_CONFIG_KEYS, type LogConfig, parseLogConfig } from "../storage/index.js";
import { type BrokerConfig, defaultRetentionMs, defaultSegmentMs } from "./broker-config.js";
import {
  brokerSynonyms,
  ConfigSource,
  type ConfigSynonym,
  configSynonyms,
  configTypeId,
  type DescribedConfig,
} from "./config-synonyms.js";

export { ConfigSource, type DescribedConfig } from "./config-synonyms.js";

/**
 * The broker properties that supply a topic config's default, most specific first. Topic configs
 * without a broker-wide default in Kafka (ServerTopicConfigSynonyms lists none: the throttled
 * replica lists, the remote.* keys, internal keys) have none, so DescribeConfigs shows no synonyms.
 */
function serverSynonyms(topicKey: string): readonly string[] {
  const synonym = LOG_CONFIG_KEYS.get(topicKey)?.serverSynonym ?? null;
  return synonym === null ? [] : brokerSynonyms(synonym);
}

/** A broker synonym's value in the topic key's unit, or null when it is not set. */
function synonymValue(config: BrokerConfig, synonym: string): string | null {
  const raw = config.values.get(synonym);
  if (raw === undefined || raw === null) return null;
  if (synonym.endsWith(".hours") && typeof raw === "number") return String(raw * 3_600_000);
  if (synonym.endsWith(".minutes") && typeof raw === "number") return String(raw * 60_000);
  return formatConfigValue(raw);
}

/**
 * Topic defaults from the broker's `log.*` properties: what a topic without overrides gets. A
 * value the topic config refuses (log.roll.ms=0 gives segment.ms=0) stops the start like any bad
 * server.properties value, naming the topic config as Kafka's LogConfig does.
 */
export function topicDefaults(config: BrokerConfig): LogConfig {
  const props = new Map<string, string>();
  for (const name of LOG_CONFIG_KEYS.keys()) {
    const synonym = serverSynonyms(name).find((s) => synonymValue(config, s) !== null);
    if (synonym === undefined) continue;
    props.set(name, synonymValue(config, synonym) as string);
  }
  props.set("retention.ms", String(defaultRetentionMs(config)));
  props.set("segment.ms", String(defaultSegmentMs(config)));
  try {
    return parseLogConfig(props);
  } catch (error) {
    if (error instanceof KafkaError) throw new ConfigError(error.message);
    throw error;
  }
}

/**
 * The effective config of one topic: broker defaults with its stored overrides on top. The
 * overrides were checked when they were written; their values are not checked again (see
 * parseLogConfig's `checkValues`), so a topic created before a validator tightened stays usable.
 */
export function topicLogConfig(defaults: LogConfig, overrides: ReadonlyMap<string, string>): LogConfig {
  return overrides.size === 0 ? defaults : parseLogConfig(overrides, defaults, { checkValues: false });
}

const defaultsByConfig = new WeakMap<BrokerConfig, LogConfig>();

function cachedTopicDefaults(config: BrokerConfig): LogConfig {
  let defaults = defaultsByConfig.get(config);
  if (defaults === undefined) {
    defaults = topicDefaults(config);
    defaultsByConfig.set(config, defaults);
  }
  return defaults;
}

/**
 * A topic's configs as Kafka reports them, each with its effective value.
 *
 * `sourceRule` "describeConfigs" (the default) is Kafka's ConfigHelper: the source is the first
 * synonym's (the topic override, else the broker synonyms anchored at the topic key's first broker
 * property, else DEFAULT_CONFIG). "createTopics" is what CreateTopics v5+ answers (Kafka's
 * KafkaConfigSchema.resolveEffectiveTopicConfigs): the override, else any broker synonym set in
 * server.properties (STATIC_BROKER_CONFIG), else DEFAULT_CONFIG, and never synonyms.
 * `keys` null or empty means every config; unknown keys are left out, not refused.
 */
export function describeTopicConfigs(
  config: BrokerConfig,
  overrides: ReadonlyMap<string, string>,
  options: {
    includeSynonyms: boolean;
    includeDocumentation: boolean;
    keys: readonly string[] | null;
    sourceRule?: "describeConfigs" | "createTopics";
  },
): DescribedConfig[] {
  const createTopics = options.sourceRule === "createTopics";
  const effective = topicLogConfig(cachedTopicDefaults(config), overrides);
  const wanted = options.keys === null || options.keys.length === 0 ? null : new Set(options.keys);
  const out: DescribedConfig[] = [];
  for (const [name, key] of LOG_CONFIG_KEYS) {
    if (wanted !== null && !wanted.has(name)) continue;
    if (key.internal && !overrides.has(name)) continue;
    const isSensitive = key.type === "password";
    const value = isSensitive ? null : formatConfigValue(effective[key.field] as ConfigValue, key.type);
    const server = serverSynonyms(name);
    const synonyms: ConfigSynonym[] =
      server.length === 0 ? [] : configSynonyms(config, server[0] as string, server, isSensitive);
    if (overrides.has(name)) synonyms.unshift({ name, value, source: ConfigSource.DYNAMIC_TOPIC_CONFIG });
    const source = createTopics
      ? createTopicsSource(config, overrides.has(name), server)
      : (synonyms[0]?.source ?? ConfigSource.DEFAULT_CONFIG);
    out.push({
      name,
      value,
      source,
      isSensitive,
      readOnly: false,
      synonyms: options.includeSynonyms && !createTopics ? synonyms : [],
      configType: configTypeId(key.type),
      documentation: options.includeDocumentation ? key.doc : null,
    });
  }
  return out;
}

/** CreateTopics' source: the override, else a broker synonym set in server.properties, else the default. */
function createTopicsSource(config: BrokerConfig, overridden: boolean, server: readonly string[]): number {
  if (overridden) return ConfigSource.DYNAMIC_TOPIC_CONFIG;
  return server.some((s) => config.explicit.has(s))
    ? ConfigSource.STATIC_BROKER_CONFIG
    : ConfigSource.DEFAULT_CONFIG;
}
