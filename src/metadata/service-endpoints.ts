import type { BrokerRegistration } from "./metadata-image.js";
import type { BrokerEndpoint } from "./metadata-records.js";

/**
 * The listener name under which a node registers where its Schema Registry's REST API listens:
 * an extra endpoint of its broker registration (security protocol PLAINTEXT, i.e. plain HTTP),
 * so that every node's image knows every registry's address and a registry can forward writes to
 * the one on the node that leads `_schemas`. It is no Kafka listener: no Kafka listener may take
 * the name, and Metadata, DescribeCluster and the other Kafka answers only name endpoints on the
 * client's listener, so clients never see it.
 */
export const SCHEMA_REGISTRY_LISTENER_NAME = "SCHEMA_REGISTRY";

/** Confluent's `kafkastore.topic`: the single-partition, compacted topic the Schema Registry keeps its records in. */
export const SCHEMAS_TOPIC = "_schemas";

/** Listener names reserved for endpoints that are not Kafka listeners. */
const SERVICE_LISTENER_NAMES: ReadonlySet<string> = new Set([SCHEMA_REGISTRY_LISTENER_NAME]);

export function isServiceListenerName(name: string): boolean {
  return SERVICE_LISTENER_NAMES.has(name);
}

/** A broker's Kafka endpoints, in registration order (the service endpoints left out). */
export function kafkaEndPoints(registration: BrokerRegistration): BrokerEndpoint[] {
  return registration.endPoints.filter((e) => !isServiceListenerName(e.name));
}

/** `http://host:port` of the Schema Registry a broker registered, or null when it serves none. */
export function schemaRegistryUrl(registration: BrokerRegistration): string | null {
  const endpoint = registration.endPoints.find((e) => e.name === SCHEMA_REGISTRY_LISTENER_NAME);
  if (endpoint === undefined) return null;
  const host = endpoint.host.includes(":") ? `[${endpoint.host}]` : endpoint.host;
  return `http://${host}:${endpoint.port}`;
}
