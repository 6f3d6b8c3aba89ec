import {
  CLIENT_SECURITY_KEYS,
  type CompressionName,
  clientSecurityFrom,
  type ProducerOptions,
} from "../../client/index.js";
import { CommandError } from "./errors.js";

/*
 * Kafka producer properties (`--producer-property`, `--producer-props`, `--producer.config`) as
 * Brook's producer options, checked with Kafka's ConfigException messages.
 */

const NUMERIC_SETTINGS: Record<string, keyof ProducerOptions> = {
  "linger.ms": "lingerMs",
  "batch.size": "batchSize",
  "request.timeout.ms": "requestTimeoutMs",
  "delivery.timeout.ms": "deliveryTimeoutMs",
  retries: "retries",
  "retry.backoff.ms": "retryBackoffMs",
  "max.block.ms": "maxBlockMs",
  "metadata.max.age.ms": "metadataMaxAgeMs",
  "transaction.timeout.ms": "transactionTimeoutMs",
  "buffer.memory": "bufferMemory",
};
/** Kafka producer settings Brook's producer has no use for (socket and memory sizes): accepted silently. */
const ACCEPTED_UNUSED = new Set(["send.buffer.bytes", "key.serializer", "value.serializer"]);
const CODECS = new Set(["none", "gzip", "snappy", "lz4", "zstd"]);

export interface ProducerSettings {
  options: ProducerOptions;
  /** One line each for stderr: settings given that Brook's producer does not use. */
  warnings: string[];
}

/** The producer's options from Kafka's producer properties; `bootstrap.servers` must be among them. */
export function producerOptionsFrom(
  props: ReadonlyMap<string, string>,
  defaultClientId: string,
): ProducerSettings {
  const bootstrap = props.get("bootstrap.servers");
  if (bootstrap === undefined || bootstrap.trim() === "")
    throw new CommandError('Missing required configuration "bootstrap.servers" which has no default value.');
  const options: ProducerOptions = {
    bootstrap: bootstrap.trim(),
    clientId: props.get("client.id") ?? defaultClientId,
  };
  const warnings: string[] = [];
  const security = clientSecurityFrom(props, (message) => new CommandError(message));
  if (security.ssl !== undefined) options.ssl = security.ssl;
  if (security.sasl !== undefined) options.sasl = security.sasl;
  for (const [key, raw] of props) {
    const value = raw.trim();
    if (key === "bootstrap.servers" || key === "client.id") continue;
    if (CLIENT_SECURITY_KEYS.has(key) && !security.unused.includes(key)) continue;
    if (key === "transactional.id") {
      if (value !== "") options.transactionalId = value;
      continue;
    }
    if (key === "acks") {
      const acks = value.toLowerCase();
      if (acks !== "all" && acks !== "-1" && acks !== "0" && acks !== "1")
        throw new CommandError(
          `Invalid value ${raw} for configuration acks: String must be one of: all, -1, 0, 1`,
        );
      options.acks = acks === "all" ? -1 : (Number(acks) as 0 | 1 | -1);
    } else if (key === "compression.type") {
      if (!CODECS.has(value))
        throw new CommandError(
          `Invalid value ${raw} for configuration compression.type: String must be one of: none, gzip, snappy, lz4, zstd`,
        );
      options.compression = value as CompressionName;
    } else if (key === "enable.idempotence") {
      if (value !== "true" && value !== "false")
        throw new CommandError(
          `Invalid value ${raw} for configuration enable.idempotence: Expected value to be either true or false`,
        );
      options.idempotence = value === "true";
    } else if (key in NUMERIC_SETTINGS) {
      if (!/^\d+$/.test(value))
        throw new CommandError(`Invalid value ${raw} for configuration ${key}: Not a number of type LONG`);
      (options as unknown as Record<string, number>)[NUMERIC_SETTINGS[key] as string] = Number(value);
    } else if (!ACCEPTED_UNUSED.has(key)) {
      warnings.push(`WARN The configuration '${key}' was supplied but isn't used by Brook's producer.`);
    }
  }
  return { options, warnings };
}
