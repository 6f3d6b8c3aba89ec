import { type BrokerDescription, ConfigResourceType, ConfigSource } from "../client/index.js";
import {
  intParam,
  ok,
  type ProxyReply,
  type ProxyRequest,
  type ProxyRoute,
  type ProxyServices,
} from "./proxy-route.js";
import { clusterCall, restErrors } from "./rest-error.js";
import {
  configData,
  configEntries,
  configReply,
  configsReply,
  type OwnedConfigs,
  ownedConfigs,
} from "./v3-configs.js";
import { V3Links, v3Links, v3Url } from "./v3-resources.js";

/**
 * API v3's cluster and broker resources (kafka-rest's ClustersResource, BrokersResource,
 * BrokerConfigsResource, ClusterConfigsResource): the one cluster the proxy serves, its brokers
 * and their configs. Broker configs are read-only here: Brook's broker configs are static (its
 * `configs` tool says so too).
 */

function clusterData(links: V3Links, controllerId: number) {
  return {
    ...links.resource("KafkaCluster", [], []),
    controller: controllerId < 0 ? null : links.related("brokers", controllerId),
    acls: links.related("acls"),
    brokers: links.related("brokers"),
    broker_configs: links.related("broker-configs"),
    consumer_groups: links.related("consumer-groups"),
    topics: links.related("topics"),
    partition_reassignments: links.related("topics", "-", "partitions", "-", "reassignment"),
  };
}

async function listClusters(request: ProxyRequest, { admin, settings }: ProxyServices): Promise<ProxyReply> {
  const described = await clusterCall(() => admin.describeCluster());
  const data = clusterData(new V3Links(request, settings.clusterId), described.controllerId);
  return ok({
    kind: "KafkaClusterList",
    metadata: { self: v3Url(request, "clusters"), next: null },
    data: [data],
  });
}

async function getCluster(request: ProxyRequest, services: ProxyServices): Promise<ProxyReply> {
  const links = v3Links(request, services);
  const described = await clusterCall(() => services.admin.describeCluster());
  return ok(clusterData(links, described.controllerId));
}

function brokerData(links: V3Links, broker: BrokerDescription) {
  return {
    ...links.resource("KafkaBroker", ["brokers", broker.nodeId], ["broker", broker.nodeId]),
    broker_id: broker.nodeId,
    host: broker.host,
    port: broker.port,
    rack: broker.rack,
    configs: links.related("brokers", broker.nodeId, "configs"),
    partition_replicas: links.related("brokers", broker.nodeId, "partition-replicas"),
  };
}

async function brokers(services: ProxyServices): Promise<BrokerDescription[]> {
  const described = await clusterCall(() => services.admin.describeCluster());
  return [...described.brokers].sort((a, b) => a.nodeId - b.nodeId);
}

async function listBrokers(request: ProxyRequest, services: ProxyServices): Promise<ProxyReply> {
  const links = v3Links(request, services);
  const all = await brokers(services);
  return links.list(
    "KafkaBrokerList",
    ["brokers"],
    all.map((b) => brokerData(links, b)),
  );
}

/** The broker of the path; 404 when the cluster has no such broker. */
async function brokerOf(
  request: ProxyRequest,
  services: ProxyServices,
): Promise<[V3Links, BrokerDescription]> {
  const links = v3Links(request, services);
  const brokerId = intParam(request, "broker");
  const found = (await brokers(services)).find((b) => b.nodeId === brokerId);
  if (found === undefined) throw restErrors.notFound();
  return [links, found];
}

async function getBroker(request: ProxyRequest, services: ProxyServices): Promise<ProxyReply> {
  const [links, broker] = await brokerOf(request, services);
  return ok(brokerData(links, broker));
}

async function brokerConfigs(request: ProxyRequest, services: ProxyServices): Promise<OwnedConfigs> {
  const [links, broker] = await brokerOf(request, services);
  const id = broker.nodeId;
  const entries = await configEntries(services, {
    resourceType: ConfigResourceType.broker,
    resourceName: String(id),
  });
  const at = { segments: ["brokers", id, "configs"], names: ["broker", id] };
  return ownedConfigs(links, "KafkaBrokerConfig", at, entries, { broker_id: id });
}

async function listBrokerConfigs(request: ProxyRequest, services: ProxyServices): Promise<ProxyReply> {
  return configsReply(await brokerConfigs(request, services));
}

async function getBrokerConfig(request: ProxyRequest, services: ProxyServices): Promise<ProxyReply> {
  return configReply(await brokerConfigs(request, services), request.params["name"]);
}

/** GET /v3/clusters/{c}/broker-configs: the dynamic cluster-wide defaults (none, with Brook's static configs). */
async function listClusterConfigs(request: ProxyRequest, services: ProxyServices): Promise<ProxyReply> {
  const links = v3Links(request, services);
  const entries = await configEntries(services, {
    resourceType: ConfigResourceType.broker,
    resourceName: "",
  });
  const data = entries
    .filter((e) => e.source === ConfigSource.dynamicDefaultBrokerConfig)
    .map((e) => ({
      ...configData(links, "KafkaClusterConfig", { segments: ["broker-configs"], names: [] }, e, {
        config_type: "BROKER",
      }),
      // kafka-rest names these `broker-config=<name>`, not `config=<name>`.
      ...links.resource("KafkaClusterConfig", ["broker-configs", e.name], ["broker-config", e.name]),
    }));
  return links.list("KafkaClusterConfigList", ["broker-configs"], data);
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
