import { formatConfigValue } from "../base/index.js";
import { LOG_CONFIG_KEYS, type LogConfig, parseLogConfig } from "../storage/index.js";
import { type BrokerConfig, defaultRetentionMs, defaultSegmentMs } from "./broker-config.js";

/** DescribeConfigs sources, Kafka's numbering. */
export const ConfigSource = {
  UNKNOWN: 0,
  DYNAMIC_TOPIC_CONFIG: 1,
  DYNAMIC_BROKER_LOGGER_CONFIG: 2,
  DYNAMIC_BROKER_CONFIG: 3,
  DYNAMIC_DEFAULT_BROKER_CONFIG: 4,
  STATIC_BROKER_CONFIG: 5,
  DEFAULT_CONFIG: 6,
} as const;

export interface DescribedConfig {
  name: string;
  value: string | null;
  source: number;
  isSensitive: boolean;
  readOnly: boolean;
  synonyms: { name: string; value: string | null; source: number }[];
  configType: number;
  documentation: string | null;
}

/** The broker properties that stand for a topic config, most specific first (Kafka's synonyms). */
function serverSynonyms(topicKey: string, fallback: string): string[] {
  switch (topicKey) {
    case "retention.ms":
      return ["log.retention.ms", "log.retention.minutes", "log.retention.hours"];
    case "segment.ms":
      return ["log.roll.ms", "log.roll.hours"];
    case "segment.jitter.ms":
      return ["log.roll.jitter.ms", "log.roll.jitter.hours"];
    default:
      return [fallback];
  }
}

/** A broker synonym's value in the topic key's unit, or null when it is not set. */
function synonymValue(config: BrokerConfig, synonym: string): string | null {
  const raw = config.values.get(synonym);
  if (raw === undefined || raw === null) return null;
  if (synonym.endsWith(".hours") && typeof raw === "number") return String(raw * 3_600_000);
  if (synonym.endsWith(".minutes") && typeof raw === "number") return String(raw * 60_000);
  return formatConfigValue(raw);
}

/** Topic defaults from the broker's `log.*` properties: what a topic without overrides gets. */
export function topicDefaults(config: BrokerConfig): LogConfig {
  const props = new Map<string, string>();
  for (const [name, key] of LOG_CONFIG_KEYS) {
    const synonym = serverSynonyms(name, key.serverSynonym).find((s) => synonymValue(config, s) !== null);
    if (synonym === undefined) continue;
    props.set(name, synonymValue(config, synonym) as string);
  }
  props.set("retention.ms", String(defaultRetentionMs(config)));
  props.set("segment.ms", String(defaultSegmentMs(config)));
  return parseLogConfig(props);
}

/** The effective config of one topic: broker defaults with its overrides on top. */
export function topicLogConfig(defaults: LogConfig, overrides: ReadonlyMap<string, string>): LogConfig {
  return overrides.size === 0 ? defaults : parseLogConfig(overrides, defaults);
}

const TYPE_IDS: Record<string, number> = {
  boolean: 1,
  string: 2,
  int: 3,
  short: 4,
  long: 5,
  double: 6,
  list: 7,
  class: 8,
  password: 9,
};

/** DescribeConfigs of a topic: every topic config with its value, source and synonyms. */
export function describeTopicConfigs(
  config: BrokerConfig,
  overrides: ReadonlyMap<string, string>,
  options: { includeSynonyms: boolean; includeDocumentation: boolean; keys: readonly string[] | null },
): DescribedConfig[] {
  const out: DescribedConfig[] = [];
  for (const [name, key] of LOG_CONFIG_KEYS) {
    if (options.keys !== null && !options.keys.includes(name)) continue;
    // Synonyms show each property's own value (log.retention.hours=168); the effective value is
    // in the topic key's unit.
    const synonyms: DescribedConfig["synonyms"] = [];
    let effective: { value: string | null; source: number } | null = null;
    const override = overrides.get(name);
    if (override !== undefined) {
      synonyms.push({ name, value: override, source: ConfigSource.DYNAMIC_TOPIC_CONFIG });
      effective = { value: override, source: ConfigSource.DYNAMIC_TOPIC_CONFIG };
    }
    for (const s of serverSynonyms(name, key.serverSynonym)) {
      const value = synonymValue(config, s);
      if (value === null || !config.explicit.has(s)) continue;
      synonyms.push({
        name: s,
        value: formatConfigValue(config.values.get(s) ?? null),
        source: ConfigSource.STATIC_BROKER_CONFIG,
      });
      effective ??= { value, source: ConfigSource.STATIC_BROKER_CONFIG };
    }
    const defaultValue = formatConfigValue(key.default ?? null);
    synonyms.push({ name, value: defaultValue, source: ConfigSource.DEFAULT_CONFIG });
    effective ??= { value: defaultValue, source: ConfigSource.DEFAULT_CONFIG };
    out.push({
      name,
      value: effective.value,
      source: effective.source,
      isSensitive: false,
      readOnly: false,
      synonyms: options.includeSynonyms ? synonyms : [],
      configType: TYPE_IDS[key.type] ?? 0,
      documentation: options.includeDocumentation ? key.doc : null,
    });
  }
  return out;
}
