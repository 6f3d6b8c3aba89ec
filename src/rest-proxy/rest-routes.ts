import type { ProxyRoute } from "./proxy-route.js";
import { v2ConsumerRoutes } from "./v2-consumers.js";
import { v2MetadataRoutes } from "./v2-metadata.js";
import { v2ProduceRoutes } from "./v2-produce.js";
import { v3ClusterRoutes } from "./v3-cluster.js";
import { v3ConsumerGroupRoutes } from "./v3-consumer-groups.js";
import { v3RecordRoutes } from "./v3-records.js";
import { v3TopicConfigRoutes } from "./v3-topic-configs.js";
import { v3TopicRoutes } from "./v3-topics.js";

/** Every route of the proxy: API v2 at the root, API v3 under /v3. */
export const restProxyRoutes: readonly ProxyRoute[] = [
  ...v2MetadataRoutes,
  ...v2ProduceRoutes,
  ...v2ConsumerRoutes,
  ...v3ClusterRoutes,
  ...v3TopicRoutes,
  ...v3TopicConfigRoutes,
  ...v3RecordRoutes,
  ...v3ConsumerGroupRoutes,
];
