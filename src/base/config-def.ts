import { ConfigError } from "./errors.js";

/**
 * Typed configuration in Kafka's manner: every key has a type, a default (or is required), and an
 * optional validator; values arrive as strings (properties files, `--override`, AlterConfigs) and
 * are parsed and validated before anything starts, so a bad value is one clear message.
 */
export type ConfigType = "int" | "long" | "double" | "boolean" | "string" | "list" | "password";
export type ConfigValue = number | boolean | string | string[] | null;

export interface ConfigKey {
  readonly name: string;
  readonly type: ConfigType;
  /** undefined: the key is required. */
  readonly default: ConfigValue | undefined;
  readonly doc: string;
  /** Returns a message when the value is not acceptable. */
  readonly validate?: (value: ConfigValue) => string | null;
}

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

export function parseConfigValue(key: ConfigKey, raw: string): ConfigValue {
  const text = raw.trim();
  switch (key.type) {
    case "int":
    case "long": {
      if (!/^[-+]?\d+$/.test(text)) throw invalid(key, raw, "an integer is expected");
      const n = Number(text);
      if (key.type === "int" && (n < INT32_MIN || n > INT32_MAX)) throw invalid(key, raw, "out of int range");
      return n;
    }
    case "double": {
      const n = Number(text);
      if (text === "" || Number.isNaN(n)) throw invalid(key, raw, "a number is expected");
      return n;
    }
    case "boolean":
      if (text.toLowerCase() === "true") return true;
      if (text.toLowerCase() === "false") return false;
      throw invalid(key, raw, "true or false is expected");
    case "list":
      return text === "" ? [] : text.split(",").map((s) => s.trim());
    case "string":
    case "password":
      return raw;
  }
}

function invalid(key: ConfigKey, raw: string, why: string): ConfigError {
  return new ConfigError(`Invalid value ${JSON.stringify(raw)} for configuration ${key.name}: ${why}`);
}

export interface ParsedConfig {
  readonly values: ReadonlyMap<string, ConfigValue>;
  /** Keys that were given explicitly (the rest are defaults). */
  readonly explicit: ReadonlySet<string>;
  readonly warnings: readonly string[];
}

/**
 * Parses raw string properties against the definitions. Unknown keys become warnings (as Kafka
 * logs "The configuration X was supplied but isn't a known config"); a bad value throws.
 */
export function parseConfig(
  definitions: ReadonlyMap<string, ConfigKey>,
  raw: ReadonlyMap<string, string>,
): ParsedConfig {
  const values = new Map<string, ConfigValue>();
  const explicit = new Set<string>();
  const warnings: string[] = [];
  for (const [name, text] of raw) {
    const key = definitions.get(name);
    if (key === undefined) {
      warnings.push(`The configuration '${name}' was supplied but isn't a known config.`);
      continue;
    }
    const value = parseConfigValue(key, text);
    const problem = key.validate?.(value) ?? null;
    if (problem !== null) throw invalid(key, text, problem);
    values.set(name, value);
    explicit.add(name);
  }
  for (const [name, key] of definitions) {
    if (values.has(name)) continue;
    if (key.default === undefined)
      throw new ConfigError(`Missing required configuration "${name}": ${key.doc}`);
    values.set(name, key.default);
  }
  return { values, explicit, warnings };
}

export const atLeast =
  (min: number) =>
  (v: ConfigValue): string | null =>
    typeof v === "number" && v < min ? `must be at least ${min}` : null;

export const between =
  (min: number, max: number) =>
  (v: ConfigValue): string | null =>
    typeof v === "number" && (v < min || v > max) ? `must be between ${min} and ${max}` : null;

export const oneOf =
  (...allowed: string[]) =>
  (v: ConfigValue): string | null => {
    const items = Array.isArray(v) ? v : [String(v)];
    const bad = items.find((item) => !allowed.includes(item));
    return bad === undefined ? null : `'${bad}' is not one of ${allowed.join(", ")}`;
  };

/** Formats a value as Kafka shows it (DescribeConfigs): lists comma-joined, Long.MAX_VALUE exact. */
export function formatConfigValue(value: ConfigValue): string | null {
  if (value === null) return null;
  if (Array.isArray(value)) return value.join(",");
  if (typeof value === "number" && value >= 2 ** 63) return "9223372036854775807";
  return String(value);
}
