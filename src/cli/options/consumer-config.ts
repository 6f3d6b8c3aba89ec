import { CLIENT_SECURITY_KEYS, type ConsumerOptions, clientSecurityFrom } from "../../client/index.js";

/*
 * Kafka consumer properties (`--consumer-property`, `--consumer.config`) as Brook's consumer
 * options, checked with Kafka's ConfigException messages (made by the caller's `fail`).
 */

function numberProp(
  props: ReadonlyMap<string, string>,
  key: string,
  type: "INT" | "LONG",
  fail: (message: string) => Error,
): number | undefined {
  const value = props.get(key);
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  if (!/^-?\d+$/.test(trimmed))
    throw fail(`Invalid value ${value} for configuration ${key}: Not a number of type ${type}`);
  return Number(trimmed);
}

function oneOf<T extends string>(
  props: ReadonlyMap<string, string>,
  key: string,
  allowed: readonly T[],
  fail: (message: string) => Error,
): T | undefined {
  const value = props.get(key);
  if (value === undefined) return undefined;
  const lower = value.trim().toLowerCase() as T;
  if (!allowed.includes(lower))
    throw fail(
      `Invalid value ${value} for configuration ${key}: String must be one of: ${allowed.join(", ")}`,
    );
  return lower;
}

const USED_KEYS = new Set([
  "bootstrap.servers",
  "group.id",
  "group.instance.id",
  "group.protocol",
  "group.remote.assignor",
  "client.id",
  "auto.offset.reset",
  "enable.auto.commit",
  "auto.commit.interval.ms",
  "session.timeout.ms",
  "heartbeat.interval.ms",
  "max.poll.interval.ms",
  "fetch.max.wait.ms",
  "fetch.min.bytes",
  "fetch.max.bytes",
  "max.partition.fetch.bytes",
  "max.poll.records",
  "isolation.level",
  "request.timeout.ms",
  "retry.backoff.ms",
  "key.deserializer",
  "value.deserializer",
]);

/** The properties given that Brook's consumer does not use, for a warning (ssl.* with PLAINTEXT among them). */
export function unusedConsumerProperties(props: ReadonlyMap<string, string>): string[] {
  const plaintext = (props.get("security.protocol") ?? "PLAINTEXT").trim().toUpperCase() === "PLAINTEXT";
  return [...props.keys()].filter(
    (k) => !USED_KEYS.has(k) && !(CLIENT_SECURITY_KEYS.has(k) && (k === "security.protocol" || !plaintext)),
  );
}

/** The consumer's options from Kafka's consumer property names. */
export function consumerOptionsFrom(
  props: ReadonlyMap<string, string>,
  fail: (message: string) => Error,
): ConsumerOptions {
  const o: ConsumerOptions = {
    bootstrap: props.get("bootstrap.servers") as string,
    clientId: props.get("client.id") as string,
    groupId: props.get("group.id") as string,
  };
  const instance = props.get("group.instance.id")?.trim();
  if (instance !== undefined && instance !== "") o.groupInstanceId = instance;
  const protocol = oneOf(props, "group.protocol", ["classic", "consumer"] as const, fail);
  if (protocol !== undefined) o.groupProtocol = protocol;
  const assignor = props.get("group.remote.assignor")?.trim();
  if (assignor !== undefined && assignor !== "") o.groupRemoteAssignor = assignor;
  const security = clientSecurityFrom(props, fail);
  if (security.ssl !== undefined) o.ssl = security.ssl;
  if (security.sasl !== undefined) o.sasl = security.sasl;
  const reset = oneOf(props, "auto.offset.reset", ["latest", "earliest", "none"] as const, fail);
  if (reset === "none") throw fail("auto.offset.reset=none is not supported by Brook's consumer");
  if (reset !== undefined) o.autoOffsetReset = reset;
  const autoCommit = oneOf(props, "enable.auto.commit", ["true", "false"] as const, fail);
  if (autoCommit !== undefined) o.enableAutoCommit = autoCommit === "true";
  const isolation = oneOf(props, "isolation.level", ["read_committed", "read_uncommitted"] as const, fail);
  if (isolation !== undefined) o.isolationLevel = isolation;
  const numbers: [string, keyof ConsumerOptions, "INT" | "LONG"][] = [
    ["auto.commit.interval.ms", "autoCommitIntervalMs", "INT"],
    ["session.timeout.ms", "sessionTimeoutMs", "INT"],
    ["heartbeat.interval.ms", "heartbeatIntervalMs", "INT"],
    ["max.poll.interval.ms", "rebalanceTimeoutMs", "INT"],
    ["fetch.max.wait.ms", "fetchMaxWaitMs", "INT"],
    ["fetch.min.bytes", "fetchMinBytes", "INT"],
    ["fetch.max.bytes", "fetchMaxBytes", "INT"],
    ["max.partition.fetch.bytes", "maxPartitionFetchBytes", "INT"],
    ["max.poll.records", "maxPollRecords", "INT"],
    ["request.timeout.ms", "requestTimeoutMs", "INT"],
    ["retry.backoff.ms", "retryBackoffMs", "LONG"],
  ];
  for (const [key, field, type] of numbers) {
    const value = numberProp(props, key, type, fail);
    if (value !== undefined) (o as unknown as Record<string, number>)[field] = value;
  }
  return o;
}
