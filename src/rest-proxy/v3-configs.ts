import type { ConfigEntry, ConfigResource } from "../client/index.js";
import { configSourceName } from "../client/index.js";
import { ErrorCode } from "../protocol/index.js";
import { ok, type ProxyReply, type ProxyServices } from "./proxy-route.js";
import { clusterCall, kafkaErrorAnswer, restErrors } from "./rest-error.js";
import type { Segment, V3Links, V3Resource } from "./v3-resources.js";

/**
 * The config resources of API v3 (kafka-rest's AbstractConfigData and its broker, cluster and
 * topic kinds): DescribeConfigs' entries with their synonyms, sorted by name, each with its value,
 * source (Kafka's ConfigSource names), default, read-only and sensitive flags.
 */

/** A resource's config entries as DescribeConfigs answers them (with synonyms), by name. */
export async function configEntries(
  services: ProxyServices,
  resource: ConfigResource,
): Promise<ConfigEntry[]> {
  const [described] = await clusterCall(() =>
    services.admin.describeConfigs([resource], { includeSynonyms: true }),
  );
  if (described !== undefined && described.errorCode !== ErrorCode.NONE)
    throw kafkaErrorAnswer(described.errorCode, described.errorMessage);
  return [...(described?.configs ?? [])].sort((a, b) => a.name.localeCompare(b.name));
}

/** Where an owner's configs are: their URL segments and the resource name pairs of their owner. */
export interface ConfigsPlace {
  segments: readonly Segment[];
  names: readonly Segment[];
}

/** The configs of one owner (a broker, a topic) as v3 resources of `kind`. */
export interface OwnedConfigs {
  links: V3Links;
  kind: string;
  at: ConfigsPlace;
  data: (V3Resource & Record<string, unknown>)[];
}

export function ownedConfigs(
  links: V3Links,
  kind: string,
  at: ConfigsPlace,
  entries: readonly ConfigEntry[],
  owner: Record<string, unknown>,
): OwnedConfigs {
  return { links, kind, at, data: entries.map((e) => configData(links, kind, at, e, owner)) };
}

/** GET .../configs: all of them. */
export function configsReply(configs: OwnedConfigs): ProxyReply {
  return configs.links.list(`${configs.kind}List`, configs.at.segments, configs.data);
}

/** GET .../configs/{name}: one, or 404. */
export function configReply(configs: OwnedConfigs, name: string | undefined): ProxyReply {
  const found = configs.data.find((c) => c["name"] === name);
  if (found === undefined) throw restErrors.notFound();
  return ok(found);
}

/**
 * One config as a v3 resource of `kind`, at `segments` and the config's name, named by `names`
 * and `config=<name>`, with the fields of its owner (`topic_name`, `broker_id`, ...).
 */
export function configData(
  links: V3Links,
  kind: string,
  at: ConfigsPlace,
  entry: ConfigEntry,
  owner: Record<string, unknown>,
): V3Resource & Record<string, unknown> {
  return {
    ...links.resource(kind, [...at.segments, entry.name], [...at.names, "config", entry.name]),
    ...owner,
    name: entry.name,
    value: entry.value,
    is_default: entry.isDefault,
    is_read_only: entry.readOnly,
    is_sensitive: entry.isSensitive,
    source: configSourceName(entry.source),
    synonyms: entry.synonyms.map((s) => ({
      name: s.name,
      value: s.value,
      source: configSourceName(s.source),
    })),
  };
}
