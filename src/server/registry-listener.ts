import { ConfigError, describeError, type Logger } from "../base/index.js";
import type { Broker, BrokerConfig } from "../broker/index.js";
import { type RunningSchemaRegistry, startSchemaRegistry } from "../registry/index.js";
import { SCHEMAS_TOPIC, SchemasTopicBackend } from "./schemas-topic.js";

export interface HttpListener {
  host: string;
  port: number;
}

/** `http://host:port` listeners (schema.registry.listeners); checked before anything starts. */
export function parseHttpListeners(key: string, urls: readonly string[]): HttpListener[] {
  return urls.map((url) => {
    const match = /^http:\/\/(\[[^\]]*\]|[^:/]*):(\d+)\/?$/.exec(url.trim());
    if (match === null) throw new ConfigError(`Invalid ${key} entry '${url}': expected http://host:port`);
    const port = Number(match[2]);
    if (port > 65535) throw new ConfigError(`Invalid ${key} entry '${url}': port out of range`);
    const host = (match[1] as string).replace(/^\[|\]$/g, "");
    return { host: host === "" ? "0.0.0.0" : host, port };
  });
}

/**
 * Starts the Schema Registry REST API on the broker's `_schemas` topic, when
 * `schema.registry.enable` is true. Returns null when disabled.
 */
export async function startRegistry(
  broker: Broker,
  config: BrokerConfig,
  log: Logger,
): Promise<RunningSchemaRegistry | null> {
  if (!config.bool("schema.registry.enable")) return null;
  const [listener] = parseHttpListeners(
    "schema.registry.listeners",
    config.list("schema.registry.listeners"),
  );
  if (listener === undefined) return null;
  const backend = new SchemasTopicBackend(broker);
  await backend.ensureTopic();
  const leader = broker.image.partition(SCHEMAS_TOPIC, 0)?.leader ?? -1;
  if (leader !== broker.nodeId) {
    // The registry reads and writes `_schemas` in process, so it runs where that partition is
    // led; serving it from every node of a cluster comes with partition replication.
    log.warn(
      `Schema Registry not started on node ${broker.nodeId}: ${SCHEMAS_TOPIC} is led by node ${leader}`,
    );
    return null;
  }
  const registryLog = log.child("registry");
  return startSchemaRegistry({
    store: backend,
    host: listener.host,
    port: listener.port,
    clusterId: broker.clusterId,
    onInternalError: (error) => registryLog.error(describeError(error)),
  });
}
