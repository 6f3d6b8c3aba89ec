/**
 * Brook's web console and metrics: one HTTP listener (`console.listeners`) serving
 *   /                  the single-page UI (static/index.html, app.js, style.css)
 *   /api/...           JSON: cluster, brokers, topics, topic detail, groups, group detail, metrics
 *                      (with replication health: live and fenced brokers, the active controller,
 *                      under-replicated, under-min-ISR and offline partitions), and a topic's
 *                      records (`/api/topics/{name}/messages?partition=&offset=earliest|latest|N`
 *                      `&timestamp=ms&limit=&isolation=&maxValueBytes=`) read from the logs this
 *                      node leads, Confluent-framed values decoded through the Schema Registry
 *   /metrics           Prometheus text format 0.0.4: Brook's metrics and Kafka's, under the names
 *                      the Prometheus JMX exporter gives them (docs/metrics.md)
 * It reads the broker, through `GroupsView` the group coordinator and through `SchemaRegistryView`
 * the registry's schemas; it changes nothing.
 */
export { type ConsoleListener, listenerUrl, parseConsoleListeners } from "./console-listeners.js";
export { PROMETHEUS_CONTENT_TYPE } from "./console-routes.js";
export { ConsoleServer, type ConsoleServerOptions } from "./console-server.js";
export { decodeConsumerAssignment } from "./consumer-assignment.js";
export type { GroupsView } from "./groups-view.js";
export { BROWSE_READ_BYTES_MAX } from "./messages-api.js";
export { MESSAGES_LIMIT_MAX } from "./messages-query.js";
export { formatPrometheusText, type MetricFamily } from "./prometheus-text.js";
export type { SchemaRegistryView } from "./schema-lookup.js";
