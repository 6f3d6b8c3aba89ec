import { hostname } from "node:os";
import { ConfigError, describeError, type Logger } from "../base/index.js";
import type { Broker, BrokerConfig } from "../broker/index.js";
import { type BrokerEndpoint, SCHEMA_REGISTRY_LISTENER_NAME } from "../metadata/index.js";
import {
  listenSchemaRegistry,
  type RunningSchemaRegistry,
  type SchemaRegistryListener,
} from "../registry/index.js";
import { SchemasLeadership } from "./registry-leadership.js";
import { SchemasTopicBackend } from "./schemas-topic.js";

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

/** The registry's socket, bound before the broker starts, and the endpoint the broker registers for it. */
export interface BoundRegistry {
  readonly listener: SchemaRegistryListener;
  readonly endPoint: BrokerEndpoint;
}

/**
 * Binds the Schema Registry's port when `schema.registry.enable` is true (null otherwise), before
 * the broker starts: the broker registers it as its SCHEMA_REGISTRY endpoint, so every node's
 * image says where each registry listens, and followers forward writes to the leader's. Requests
 * that arrive before `serveRegistry` wait for it.
 */
export async function bindRegistry(config: BrokerConfig, log: Logger): Promise<BoundRegistry | null> {
  if (!config.bool("schema.registry.enable")) return null;
  const [listener] = parseHttpListeners(
    "schema.registry.listeners",
    config.list("schema.registry.listeners"),
  );
  if (listener === undefined) return null;
  const registryLog = log.child("registry");
  const bound = await listenSchemaRegistry({
    host: listener.host,
    port: listener.port,
    onInternalError: (error) => registryLog.error(describeError(error)),
  });
  return {
    listener: bound,
    endPoint: {
      name: SCHEMA_REGISTRY_LISTENER_NAME,
      host: advertisedHost(listener.host, config),
      port: bound.port,
      securityProtocol: 0,
    },
  };
}

/**
 * Serves the Schema Registry from the broker's `_schemas` topic on the bound socket: reads from
 * this node's replica, writes on (or forwarded to) the node that leads it.
 */
export async function serveRegistry(bound: BoundRegistry, broker: Broker): Promise<RunningSchemaRegistry> {
  const backend = new SchemasTopicBackend(broker);
  backend.start();
  let running: RunningSchemaRegistry;
  try {
    running = await bound.listener.serve({
      store: backend,
      leadership: new SchemasLeadership(broker, backend),
      clusterId: broker.clusterId,
      instanceName: `node ${broker.nodeId}`,
    });
  } catch (error) {
    backend.close();
    throw error;
  }
  return {
    ...running,
    close: async () => {
      backend.close();
      await running.close();
    },
  };
}

/**
 * Where other nodes reach this registry: its listener's host, or for a wildcard listener the host
 * the broker advertises (else this machine's name), as Confluent's `host.name` defaults.
 */
function advertisedHost(listenerHost: string, config: BrokerConfig): string {
  if (listenerHost !== "0.0.0.0" && listenerHost !== "::" && listenerHost !== "") return listenerHost;
  const advertised = config.advertisedListeners[0]?.host ?? "";
  return advertised !== "" && advertised !== "0.0.0.0" && advertised !== "::" ? advertised : hostname();
}
