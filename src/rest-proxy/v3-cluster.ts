import {
  type BrokerDescription,
  type ConfigEntry,
  ConfigResourceType,
  ConfigSource,
} from "../client/index.js";
import { ErrorCode } from "../protocol/index.js";
import {
  ok,
  type ProxyReply,
  type ProxyRequest,
  type ProxyRoute,
  type ProxyServices,
} from "./proxy-route.js";
import { clusterCall, kafkaErrorAnswer, restErrors } from "./rest-error.js";
import {
  clusterIdOf,
  collection,
  configSourceName,
  crn,
  intParam,
  related,
  resource,
  v3Url,
} from "./v3-resources.js";

/**
 * API v3's cluster and broker resources (kafka-rest's ClustersResource, BrokersResource,
 * BrokerConfigsResource, ClusterConfigsResource): the one cluster the proxy serves, its brokers
 * and their configs. Broker configs are read-only here: Brook's broker configs are static (its
 * `configs` tool says so too).
 */

function clusterData(request: ProxyRequest, clusterId: string, controllerId: number) {
  const url = (...s: (string | number)[]) => v3Url(request, "clusters", clusterId, ...s);
  return {
    ...resource("KafkaCluster", url(), crn("kafka", clusterId)),
    cluster_id: clusterId,
    controller: controllerId < 0 ? null : related(url("brokers", controllerId)),
    acls: related(url("acls")),
    brokers: related(url("brokers")),
    broker_configs: related(url("broker-configs")),
    consumer_groups: related(url("consumer-groups")),
    topics: related(url("topics")),
    partition_reassignments: related(url("topics", "-", "partitions", "-", "reassignment")),
  };
}

async function listClusters(request: ProxyRequest, { admin, settings }: ProxyServices): Promise<ProxyReply> {
  const described = await clusterCall(() => admin.describeCluster());
  return ok(
    collection("KafkaClusterList", v3Url(request, "clusters"), [
      clusterData(request, settings.clusterId, described.controllerId),
    ]),
  );
}

async function getCluster(request: ProxyRequest, services: ProxyServices): Promise<ProxyReply> {
  const clusterId = clusterIdOf(request, services);
  const described = await clusterCall(() => services.admin.describeCluster());
  return ok(clusterData(request, clusterId, described.controllerId));
}

function brokerData(request: ProxyRequest, clusterId: string, broker: BrokerDescription) {
  const url = (...s: (string | number)[]) =>
    v3Url(request, "clusters", clusterId, "brokers", broker.nodeId, ...s);
  return {
    ...resource("KafkaBroker", url(), crn("kafka", clusterId, "broker", broker.nodeId)),
    cluster_id: clusterId,
    broker_id: broker.nodeId,
    host: broker.host,
    port: broker.port,
    rack: broker.rack,
    configs: related(url("configs")),
    partition_replicas: related(url("partition-replicas")),
  };
}

async function brokers(request: ProxyRequest, services: ProxyServices): Promise<BrokerDescription[]> {
  clusterIdOf(request, services);
  const described = await clusterCall(() => services.admin.describeCluster());
  return [...described.brokers].sort((a, b) => a.nodeId - b.nodeId);
}

async function listBrokers(request: ProxyRequest, services: ProxyServices): Promise<ProxyReply> {
  const clusterId = services.settings.clusterId;
  const all = await brokers(request, services);
  return ok(
    collection(
      "KafkaBrokerList",
      v3Url(request, "clusters", clusterId, "brokers"),
      all.map((b) => brokerData(request, clusterId, b)),
    ),
  );
}

async function getBroker(request: ProxyRequest, services: ProxyServices): Promise<ProxyReply> {
  const brokerId = intParam(request, "broker");
  const found = (await brokers(request, services)).find((b) => b.nodeId === brokerId);
  if (found === undefined) throw restErrors.notFound();
  return ok(brokerData(request, services.settings.clusterId, found));
}

/** The fields every v3 config resource shares (kafka-rest's AbstractConfigData). */
export function configFields(clusterId: string, entry: ConfigEntry) {
  return {
    cluster_id: clusterId,
    name: entry.name,
    value: entry.value,
    is_default: entry.isDefault,
    is_read_only: entry.readOnly,
    is_sensitive: entry.isSensitive,
    source: configSourceName(entry.source),
    synonyms: entry.synonyms.map((s) => ({
      name: s.name,
      value: s.value,
      source: configSourceName(s.source),
    })),
  };
}

/** A broker's configs (broker id "" : the cluster-wide defaults), sorted by name. */
async function brokerConfigs(services: ProxyServices, resourceName: string): Promise<ConfigEntry[]> {
  const [described] = await clusterCall(() =>
    services.admin.describeConfigs([{ resourceType: ConfigResourceType.broker, resourceName }], {
      includeSynonyms: true,
    }),
  );
  if (described === undefined) return [];
  if (described.errorCode !== ErrorCode.NONE)
    throw kafkaErrorAnswer(described.errorCode, described.errorMessage);
  return [...described.configs].sort((a, b) => a.name.localeCompare(b.name));
}

function brokerConfigData(request: ProxyRequest, clusterId: string, brokerId: number, entry: ConfigEntry) {
  return {
    ...resource(
      "KafkaBrokerConfig",
      v3Url(request, "clusters", clusterId, "brokers", brokerId, "configs", entry.name),
      crn("kafka", clusterId, "broker", brokerId, "config", entry.name),
    ),
    ...configFields(clusterId, entry),
    broker_id: brokerId,
  };
}

async function brokerOf(request: ProxyRequest, services: ProxyServices): Promise<number> {
  const brokerId = intParam(request, "broker");
  if (!(await brokers(request, services)).some((b) => b.nodeId === brokerId)) throw restErrors.notFound();
  return brokerId;
}

async function listBrokerConfigs(request: ProxyRequest, services: ProxyServices): Promise<ProxyReply> {
  const brokerId = await brokerOf(request, services);
  const clusterId = services.settings.clusterId;
  const entries = await brokerConfigs(services, String(brokerId));
  return ok(
    collection(
      "KafkaBrokerConfigList",
      v3Url(request, "clusters", clusterId, "brokers", brokerId, "configs"),
      entries.map((e) => brokerConfigData(request, clusterId, brokerId, e)),
    ),
  );
}

async function getBrokerConfig(request: ProxyRequest, services: ProxyServices): Promise<ProxyReply> {
  const brokerId = await brokerOf(request, services);
  const entry = (await brokerConfigs(services, String(brokerId))).find(
    (e) => e.name === request.params["name"],
  );
  if (entry === undefined) throw restErrors.notFound();
  return ok(brokerConfigData(request, services.settings.clusterId, brokerId, entry));
}

/** GET /v3/clusters/{c}/broker-configs: the dynamic cluster-wide defaults (none, with Brook's static configs). */
async function listClusterConfigs(request: ProxyRequest, services: ProxyServices): Promise<ProxyReply> {
  const clusterId = clusterIdOf(request, services);
  const entries = (await brokerConfigs(services, "")).filter(
    (e) => e.source === ConfigSource.dynamicDefaultBrokerConfig,
  );
  return ok(
    collection(
      "KafkaClusterConfigList",
      v3Url(request, "clusters", clusterId, "broker-configs"),
      entries.map((e) => ({
        ...resource(
          "KafkaClusterConfig",
          v3Url(request, "clusters", clusterId, "broker-configs", e.name),
          crn("kafka", clusterId, "broker-config", e.name),
        ),
        ...configFields(clusterId, e),
        config_type: "BROKER",
      })),
    ),
  );
}

const cluster = "/v3/clusters/:cluster";

export const v3ClusterRoutes: readonly ProxyRoute[] = [
  { method: "GET", path: "/v3/clusters", api: "v3", handle: listClusters },
  { method: "GET", path: cluster, api: "v3", handle: getCluster },
  { method: "GET", path: `${cluster}/brokers`, api: "v3", handle: listBrokers },
  { method: "GET", path: `${cluster}/brokers/:broker`, api: "v3", handle: getBroker },
  { method: "GET", path: `${cluster}/brokers/:broker/configs`, api: "v3", handle: listBrokerConfigs },
  { method: "GET", path: `${cluster}/brokers/:broker/configs/:name`, api: "v3", handle: getBrokerConfig },
  { method: "GET", path: `${cluster}/broker-configs`, api: "v3", handle: listClusterConfigs },
];
