import { ConfigSource } from "../client/index.js";
import type { ProxyRequest, ProxyServices } from "./proxy-route.js";
import { restErrors } from "./rest-error.js";

/**
 * What every API v3 answer is built from (kafka-rest's Resource, ResourceCollection, UrlFactory
 * and CrnFactory): a resource has a `kind` and `metadata` with its `self` URL and its Confluent
 * resource name (`crn:///kafka=<cluster>/topic=<name>`, with kafka-rest's default empty
 * authority); a collection has `metadata.self` and `next: null` (no paging) and its `data`;
 * related resources are `{"related": url}`.
 */

/** A URL under the proxy's base: each segment URL-encoded. */
export function v3Url(request: ProxyRequest, ...segments: (string | number)[]): string {
  return `${request.baseUrl}/v3/${segments.map((s) => encodeURIComponent(String(s))).join("/")}`;
}

/** A Confluent resource name from type and id pairs (an id of null: the type alone). */
export function crn(...components: (string | number | null)[]): string {
  const parts: string[] = [];
  for (let i = 0; i < components.length; i += 2) {
    const id = components[i + 1];
    parts.push(id === null || id === undefined ? String(components[i]) : `${components[i]}=${id}`);
  }
  return `crn:///${parts.join("/")}`;
}

export function related(url: string): { related: string } {
  return { related: url };
}

export function resource(
  kind: string,
  self: string,
  resourceName: string,
): { kind: string; metadata: { self: string; resource_name: string } } {
  return { kind, metadata: { self, resource_name: resourceName } };
}

export function collection(kind: string, self: string, data: readonly unknown[]): Record<string, unknown> {
  return { kind, metadata: { self, next: null }, data };
}

/** The cluster id of the path, which must be this proxy's cluster (404 with kafka-rest's message). */
export function clusterIdOf(
  request: ProxyRequest,
  services: ProxyServices,
  wording = "cannot be found",
): string {
  const clusterId = request.params["cluster"] as string;
  if (clusterId !== services.settings.clusterId)
    throw restErrors.notFound(`Cluster ${clusterId} ${wording}.`);
  return clusterId;
}

/** Kafka's ConfigEntry.ConfigSource names, by DescribeConfigs' source numbers. */
const SOURCE_NAMES: Readonly<Record<number, string>> = {
  [ConfigSource.unknown]: "UNKNOWN",
  [ConfigSource.dynamicTopicConfig]: "DYNAMIC_TOPIC_CONFIG",
  [ConfigSource.dynamicBrokerConfig]: "DYNAMIC_BROKER_CONFIG",
  [ConfigSource.dynamicDefaultBrokerConfig]: "DYNAMIC_DEFAULT_BROKER_CONFIG",
  [ConfigSource.staticBrokerConfig]: "STATIC_BROKER_CONFIG",
  [ConfigSource.defaultConfig]: "DEFAULT_CONFIG",
  [ConfigSource.dynamicBrokerLoggerConfig]: "DYNAMIC_BROKER_LOGGER_CONFIG",
};

export function configSourceName(source: number): string {
  return SOURCE_NAMES[source] ?? "UNKNOWN";
}

/** A path parameter that must be an int (Jersey answers 404 when it does not parse). */
export function intParam(request: ProxyRequest, name: string): number {
  const text = request.params[name] ?? "";
  if (!/^-?\d{1,10}$/.test(text) || Math.abs(Number(text)) >= 2 ** 31) throw restErrors.notFound();
  return Number(text);
}

/** Java's Instant.toString: milliseconds only when there are some. */
export function instantText(ms: number): string {
  return new Date(ms).toISOString().replace(".000Z", "Z");
}
