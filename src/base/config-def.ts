import { ConfigError } from "./errors.js";

/**
 * Typed configuration in Kafka's manner: every key has a type, a default (or is required), and an
 * optional validator; values arrive as strings (properties files, `--override`, AlterConfigs) and
 * are parsed and validated before anything starts, so a bad value is one clear message. The
 * messages are Kafka's (ConfigDef and ConfigException), because operators and client tests match
 * on them: `Invalid value 20000 for configuration segment.bytes: Value must be at least 1048576`.
 */
export type ConfigType = "int" | "short" | "long" | "double" | "boolean" | "string" | "list" | "password";
export type ConfigValue = number | boolean | string | string[] | null;

/**
 * What a validator found wrong: Kafka's message, and the value the message names when it is not
 * the whole value (a list validator names the element it refused, as Kafka's ValidList does).
 */
export interface ConfigProblem {
  readonly message: string;
  readonly value?: string;
}

export interface ConfigKey {
  readonly name: string;
  readonly type: ConfigType;
  /** undefined: the key is required. */
  readonly default: ConfigValue | undefined;
  readonly doc: string;
  /** Returns what is wrong with the value, or null when it is acceptable. */
  readonly validate?: (value: ConfigValue) => ConfigProblem | null;
  /**
   * Kafka's defineInternal: accepted like any key, but undocumented, and DescribeConfigs shows it
   * only where it is set.
   */
  readonly internal?: boolean;
}

const INT_RANGES: Record<"int" | "short" | "long", readonly [bigint, bigint]> = {
  short: [-(2n ** 15n), 2n ** 15n - 1n],
  int: [-(2n ** 31n), 2n ** 31n - 1n],
  long: [-(2n ** 63n), 2n ** 63n - 1n],
};

/** Parses one value as Kafka's ConfigDef.parseType does: trimmed, with its messages on failure. */
export function parseConfigValue(key: ConfigKey, raw: string): ConfigValue {
  const text = raw.trim();
  switch (key.type) {
    case "int":
    case "short":
    case "long": {
      const [min, max] = INT_RANGES[key.type];
      if (!/^[-+]?\d+$/.test(text) || BigInt(text) < min || BigInt(text) > max) {
        throw invalid(key, raw, `Not a number of type ${key.type.toUpperCase()}`);
      }
      return Number(text);
    }
    case "double": {
      const n = Number(text);
      if (text === "" || Number.isNaN(n)) throw invalid(key, raw, "Not a number of type DOUBLE");
      return n;
    }
    case "boolean":
      if (text.toLowerCase() === "true") return true;
      if (text.toLowerCase() === "false") return false;
      throw invalid(key, raw, "Expected value to be either true or false");
    case "list":
      return text === "" ? [] : text.split(",").map((s) => s.trim());
    case "string":
      return text;
    case "password":
      return raw;
  }
}

function invalid(key: ConfigKey, shown: string, why: string): ConfigError {
  return new ConfigError(invalidValueMessage(key.name, shown, why));
}

/** Kafka's ConfigException(name, value, message) text. */
export function invalidValueMessage(name: string, shown: string, message: string): string {
  return `Invalid value ${shown} for configuration ${name}: ${message}`;
}

/** The validator's complaint about a parsed value as Kafka words it, or null when it is fine. */
export function configValueProblem(key: ConfigKey, value: ConfigValue): string | null {
  const problem = key.validate?.(value) ?? null;
  if (problem === null) return null;
  return invalidValueMessage(key.name, problem.value ?? javaValueText(value, key.type), problem.message);
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
    const problem = configValueProblem(key, value);
    if (problem !== null) throw new ConfigError(problem);
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

/** Kafka's Range.atLeast. */
export const atLeast =
  (min: number) =>
  (v: ConfigValue): ConfigProblem | null =>
    typeof v === "number" && v < min ? { message: `Value must be at least ${min}` } : null;

/** Kafka's Range.between. */
export const between =
  (min: number, max: number) =>
  (v: ConfigValue): ConfigProblem | null => {
    if (typeof v !== "number") return null;
    if (v < min) return { message: `Value must be at least ${min}` };
    if (v > max) return { message: `Value must be no more than ${max}` };
    return null;
  };

/** Kafka's ValidString.in, and ValidList.in for lists (which names the element it refuses). */
export const oneOf =
  (...allowed: string[]) =>
  (v: ConfigValue): ConfigProblem | null => {
    const items = Array.isArray(v) ? v : [String(v)];
    const bad = items.find((item) => !allowed.includes(item));
    return bad === undefined ? null : { message: `String must be one of: ${allowed.join(", ")}`, value: bad };
  };

/**
 * Formats a value as Kafka shows it (DescribeConfigs): lists comma-joined, Long.MAX_VALUE exact,
 * doubles as Java prints them (1.0, not 1) when the key's type is known.
 */
export function formatConfigValue(value: ConfigValue, type?: ConfigType): string | null {
  if (value === null) return null;
  if (Array.isArray(value)) return value.join(",");
  if (typeof value === "number" && value >= 2 ** 63) return "9223372036854775807";
  if (typeof value === "number" && type === "double") return javaDoubleText(value);
  return String(value);
}

/** A parsed value as Java's toString prints it, which is how Kafka's messages show it. */
function javaValueText(value: ConfigValue, type: ConfigType): string {
  if (Array.isArray(value)) return `[${value.join(", ")}]`;
  return formatConfigValue(value, type) ?? "null";
}

/** Java's Double.toString: "1.0", "0.5", "1.0E7", "1.0E-4". */
export function javaDoubleText(n: number): string {
  if (!Number.isFinite(n)) return Number.isNaN(n) ? "NaN" : n > 0 ? "Infinity" : "-Infinity";
  const magnitude = Math.abs(n);
  if (magnitude === 0 || (magnitude >= 1e-3 && magnitude < 1e7)) {
    const text = String(n);
    return text.includes(".") ? text : `${text}.0`;
  }
  const [mantissa = "", exponent = ""] = n.toExponential().split("e");
  return `${mantissa.includes(".") ? mantissa : `${mantissa}.0`}E${exponent.replace("+", "")}`;
}
