import { registryErrors } from "./registry-error.js";

/**
 * Data contracts as Confluent's registry stores them next to a schema (client/rest/entities
 * Metadata and RuleSet): `metadata` (`tags`: path -> tag set, `properties`: key -> value,
 * `sensitive`: property names) and `ruleSet` (`migrationRules`, `domainRules`, `encodingRules`,
 * lists of rules with a `name`, and `enableAt`). Metadata is kept as Confluent's Jackson emits
 * it: maps with sorted keys, sets sorted, empty parts left out (NON_EMPTY), so that equal
 * metadata serializes to equal text, which is what schema identity compares. Rules are kept as
 * sent (their fields are Confluent's business: kind, mode, type, expr, params, onSuccess, ...).
 */

export interface Metadata {
  tags?: Record<string, string[]>;
  properties?: Record<string, string>;
  sensitive?: string[];
}

export type Rule = Record<string, unknown> & { name: string };

export interface RuleSet {
  migrationRules?: Rule[];
  domainRules?: Rule[];
  encodingRules?: Rule[];
  enableAt?: string;
}

/** Metadata's property naming the version a schema was registered as (set by Confluent). */
export const CONFLUENT_VERSION = "confluent:version";

const RULE_LISTS = ["migrationRules", "domainRules", "encodingRules"] as const;

function sortedKeys<T>(map: Record<string, T>): Record<string, T> {
  return Object.fromEntries(
    Object.keys(map)
      .sort()
      .map((k) => [k, map[k] as T]),
  );
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function stringList(value: unknown, what: string): string[] {
  if (!Array.isArray(value) || value.some((v) => typeof v !== "string")) {
    throw registryErrors.invalidSchema(`Invalid metadata: ${what} must be a list of strings`);
  }
  return [...new Set(value as string[])].sort();
}

/** Metadata in Confluent's stored form; undefined when absent, null or empty. */
export function parseMetadata(value: unknown): Metadata | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isObject(value)) throw registryErrors.invalidSchema("Invalid metadata: must be an object");
  const out: Metadata = {};
  if (isObject(value["tags"])) {
    const tags: Record<string, string[]> = {};
    for (const [path, set] of Object.entries(value["tags"])) tags[path] = stringList(set, `tags.${path}`);
    if (Object.keys(tags).length > 0) out.tags = sortedKeys(tags);
  }
  if (isObject(value["properties"])) {
    const properties: Record<string, string> = {};
    for (const [key, text] of Object.entries(value["properties"])) {
      if (typeof text !== "string") throw registryErrors.invalidSchema(`Invalid metadata: property ${key}`);
      properties[key] = text;
    }
    if (Object.keys(properties).length > 0) out.properties = sortedKeys(properties);
  }
  if (value["sensitive"] !== undefined && value["sensitive"] !== null) {
    const sensitive = stringList(value["sensitive"], "sensitive");
    if (sensitive.length > 0) out.sensitive = sensitive;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/** A rule set as sent, empty lists left out; undefined when absent or empty. */
export function parseRuleSet(value: unknown): RuleSet | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isObject(value)) throw registryErrors.invalidSchema("Invalid ruleSet: must be an object");
  const out: RuleSet = {};
  for (const list of RULE_LISTS) {
    const rules = value[list];
    if (rules === undefined || rules === null) continue;
    if (!Array.isArray(rules) || rules.some((r) => !isObject(r) || typeof r["name"] !== "string")) {
      throw registryErrors.invalidSchema(`Invalid ruleSet: ${list} must be a list of named rules`);
    }
    if (rules.length > 0) out[list] = rules as Rule[];
  }
  if (typeof value["enableAt"] === "string") out.enableAt = value["enableAt"];
  return Object.keys(out).length > 0 ? out : undefined;
}

function mergeMaps<T>(
  older: Record<string, T> | undefined,
  newer: Record<string, T> | undefined,
): Record<string, T> | undefined {
  if (!older || Object.keys(older).length === 0) return newer;
  if (!newer || Object.keys(newer).length === 0) return older;
  return sortedKeys({ ...older, ...newer });
}

/** Confluent's `Metadata.mergeMetadata`: the newer's entries win, sets and maps are unioned. */
export function mergeMetadata(
  older: Metadata | undefined,
  newer: Metadata | undefined,
): Metadata | undefined {
  if (!older) return newer;
  if (!newer) return older;
  const sensitive =
    older.sensitive && newer.sensitive
      ? [...new Set([...older.sensitive, ...newer.sensitive])].sort()
      : undefined;
  return parseMetadata({
    tags: mergeMaps(older.tags, newer.tags),
    properties: mergeMaps(older.properties, newer.properties),
    sensitive: sensitive ?? newer.sensitive ?? older.sensitive,
  });
}

/** Confluent's `RuleSet.mergeRuleSets`: per list, older rules named like a newer one give way. */
export function mergeRuleSets(older: RuleSet | undefined, newer: RuleSet | undefined): RuleSet | undefined {
  if (!older) return newer;
  if (!newer) return older;
  const out: RuleSet = {};
  for (const list of RULE_LISTS) {
    const before = older[list] ?? [];
    const after = newer[list] ?? [];
    const names = new Set(after.map((r) => r.name));
    const merged = after.length === 0 ? before : [...before.filter((r) => !names.has(r.name)), ...after];
    if (merged.length > 0) out[list] = merged;
  }
  const enableAt = newer.enableAt ?? older.enableAt;
  if (enableAt !== undefined) out.enableAt = enableAt;
  return out;
}

export function withConfluentVersion(metadata: Metadata | undefined, version: number): Metadata {
  return parseMetadata({
    ...metadata,
    properties: { ...metadata?.properties, [CONFLUENT_VERSION]: String(version) },
  }) as Metadata;
}

export function withoutConfluentVersion(metadata: Metadata | undefined): Metadata | undefined {
  if (metadata?.properties?.[CONFLUENT_VERSION] === undefined) return metadata;
  const { [CONFLUENT_VERSION]: _, ...properties } = metadata.properties;
  return parseMetadata({ ...metadata, properties });
}

/** True when every key/value pair is among the metadata's properties. */
export function metadataMatches(metadata: Metadata | undefined, pairs: ReadonlyMap<string, string>): boolean {
  if (!metadata?.properties) return false;
  for (const [key, value] of pairs) if (metadata.properties[key] !== value) return false;
  return true;
}
