import { type AdminClientOptions, CLIENT_SECURITY_KEYS, clientSecurityFrom } from "../../client/index.js";
import { CommandError } from "./errors.js";
import { readPropertiesFile } from "./properties.js";

/** Kafka's admin client defaults (default.api.timeout.ms, request.timeout.ms). */
const DEFAULT_API_TIMEOUT_MS = 60_000;
const REQUEST_TIMEOUT_MS = 30_000;

/** The admin client settings Brook's client has, by their Kafka names. */
const NUMERIC_KEYS = {
  "default.api.timeout.ms": { field: "timeoutMs", type: "INT" },
  "request.timeout.ms": { field: "requestTimeoutMs", type: "INT" },
  "retry.backoff.ms": { field: "retryBackoffMs", type: "LONG" },
  "socket.connection.setup.timeout.ms": { field: "connectTimeoutMs", type: "LONG" },
} as const;

/** A tool's own defaults for default.api.timeout.ms and request.timeout.ms (kafka-leader-election.sh's 30 s and 15 s). */
export interface AdminTimeouts {
  apiTimeoutMs: number;
  requestTimeoutMs: number;
}

export interface AdminSettings {
  options: AdminClientOptions;
  /** One line each, for stderr: the keys given that Brook's client does not use. */
  warnings: string[];
}

/**
 * The admin client's options: `--bootstrap-server`, then the `--command-config` file's keys that
 * Brook's client has (client.id, the timeouts, security.protocol with the ssl.* and sasl.* keys);
 * the others are ignored with a warning, and `bootstrap.servers` gives way to
 * --bootstrap-server, as in Kafka.
 */
export function adminSettings(
  bootstrap: string,
  commandConfig: string | undefined,
  clientId: string,
  timeouts: AdminTimeouts = { apiTimeoutMs: DEFAULT_API_TIMEOUT_MS, requestTimeoutMs: REQUEST_TIMEOUT_MS },
): AdminSettings {
  const options: AdminClientOptions = {
    bootstrap,
    clientId,
    timeoutMs: timeouts.apiTimeoutMs,
    requestTimeoutMs: timeouts.requestTimeoutMs,
  };
  const warnings: string[] = [];
  if (commandConfig === undefined) return { options, warnings };
  const properties = readPropertiesFile(commandConfig, (message) => new CommandError(message));
  const security = clientSecurityFrom(properties, (message) => new CommandError(message));
  if (security.ssl !== undefined) options.ssl = security.ssl;
  if (security.sasl !== undefined) options.sasl = security.sasl;
  for (const [key, value] of properties) {
    if (key === "bootstrap.servers") continue;
    if (key === "client.id") {
      options.clientId = value;
    } else if (CLIENT_SECURITY_KEYS.has(key) && !security.unused.includes(key)) {
      // Read by clientSecurityFrom.
    } else if (key in NUMERIC_KEYS) {
      const { field, type } = NUMERIC_KEYS[key as keyof typeof NUMERIC_KEYS];
      const trimmed = value.trim();
      if (!/^\d+$/.test(trimmed)) {
        throw new CommandError(
          `Invalid value ${value} for configuration ${key}: Not a number of type ${type}`,
        );
      }
      options[field] = Number(trimmed);
    } else {
      const protocol = (properties.get("security.protocol") ?? "PLAINTEXT").trim().toUpperCase();
      const why = security.unused.includes(key) ? ` (security.protocol is ${protocol})` : "";
      warnings.push(
        `WARN The configuration '${key}' was supplied but isn't used by Brook's admin client; ignored${why}.`,
      );
    }
  }
  return { options, warnings };
}
