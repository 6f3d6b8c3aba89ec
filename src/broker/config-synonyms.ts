import { type ConfigType, formatConfigValue } from "../base/index.js";
import { type BrokerConfig, brokerConfigKeys } from "./broker-config.js";

/** DescribeConfigs sources, Kafka's numbering (DescribeConfigsResponse.ConfigSource). */
export const ConfigSource = {
  UNKNOWN: 0,
  DYNAMIC_TOPIC_CONFIG: 1,
  DYNAMIC_BROKER_CONFIG: 2,
  DYNAMIC_DEFAULT_BROKER_CONFIG: 3,
  STATIC_BROKER_CONFIG: 4,
  DEFAULT_CONFIG: 5,
  // The admin client's ConfigEntry.ConfigSource lists this one second, but on the wire it is 6.
  DYNAMIC_BROKER_LOGGER_CONFIG: 6,
} as const;

/** DescribeConfigs v3+ ConfigType ids (DescribeConfigsResponse.ConfigType). */
const CONFIG_TYPE_IDS: Record<ConfigType, number> = {
  boolean: 1,
  string: 2,
  int: 3,
  short: 4,
  long: 5,
  double: 6,
  list: 7,
  password: 9,
};

export function configTypeId(type: ConfigType): number {
  return CONFIG_TYPE_IDS[type];
}

export interface ConfigSynonym {
  name: string;
  value: string | null;
  source: number;
}

/** One entry of a DescribeConfigs answer, before it is shaped for the wire. */
export interface DescribedConfig {
  name: string;
  value: string | null;
  source: number;
  isSensitive: boolean;
  readOnly: boolean;
  synonyms: ConfigSynonym[];
  configType: number;
  documentation: string | null;
}

/**
 * The broker properties that stand for one another, most specific first (Kafka's
 * DynamicBrokerConfig.brokerConfigSynonyms): `log.retention.hours` is a synonym of
 * `log.retention.ms`. Every other property is its own only synonym.
 */
export function brokerSynonyms(name: string): readonly string[] {
  switch (name) {
    case "log.roll.ms":
    case "log.roll.hours":
      return ["log.roll.ms", "log.roll.hours"];
    case "log.roll.jitter.ms":
    case "log.roll.jitter.hours":
      return ["log.roll.jitter.ms", "log.roll.jitter.hours"];
    case "log.flush.interval.ms":
      return ["log.flush.interval.ms", "log.flush.scheduler.interval.ms"];
    case "log.retention.ms":
    case "log.retention.minutes":
    case "log.retention.hours":
      return ["log.retention.ms", "log.retention.minutes", "log.retention.hours"];
    default:
      return [name];
  }
}

/** A property's text as set in server.properties (null: not set there). */
function staticValue(config: BrokerConfig, name: string): string | null {
  if (!config.explicit.has(name)) return null;
  return formatConfigValue(config.values.get(name) ?? null, brokerConfigKeys.get(name)?.type);
}

/** A property's built-in default as text (null: it has none). */
function defaultValue(name: string): string | null {
  const key = brokerConfigKeys.get(name);
  return key?.default === undefined ? null : formatConfigValue(key.default, key.type);
}

/**
 * Kafka's ConfigHelper.configSynonyms: the values of `synonyms` from each source, most
 * authoritative source first (static server.properties, then defaults; Brook has no dynamic broker
 * configs), each source in synonym order; then everything before the first entry for `name` is
 * dropped. That last step is why Kafka reports `retention.ms` with no synonyms and source
 * DEFAULT_CONFIG when only `log.retention.hours` is set: the list is anchored at `log.retention.ms`.
 */
export function configSynonyms(
  config: BrokerConfig,
  name: string,
  synonyms: readonly string[],
  isSensitive: boolean,
): ConfigSynonym[] {
  const found: ConfigSynonym[] = [];
  const sources = [
    { source: ConfigSource.STATIC_BROKER_CONFIG, lookup: (s: string) => staticValue(config, s) },
    { source: ConfigSource.DEFAULT_CONFIG, lookup: defaultValue },
  ];
  for (const { source, lookup } of sources) {
    for (const s of synonyms) {
      const value = lookup(s);
      if (value !== null) found.push({ name: s, value: isSensitive ? null : value, source });
    }
  }
  const anchor = found.findIndex((s) => s.name === name);
  return anchor === -1 ? [] : found.slice(anchor);
}
