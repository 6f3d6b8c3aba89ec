/**
 * Brook's web console and metrics: one HTTP listener (`console.listeners`) serving
 *   /                  the single-page UI (static/index.html, app.js, style.css)
 *   /api/...           JSON: cluster, brokers, topics, topic detail, groups, group detail, metrics
 *                      (with replication health: live and fenced brokers, the active controller,
 *                      under-replicated, under-min-ISR and offline partitions)
 *   /metrics           Prometheus text format 0.0.4: Brook's metrics and Kafka's, under the names
 *                      the Prometheus JMX exporter gives them (docs/metrics.md)
 * It reads the broker and, through `GroupsView`, the group coordinator; it changes nothing.
 */
export { type ConsoleListener, listenerUrl, parseConsoleListeners } from "./console-listeners.js";
export { PROMETHEUS_CONTENT_TYPE } from "./console-routes.js";
export { ConsoleServer, type ConsoleServerOptions } from "./console-server.js";
export { decodeConsumerAssignment } from "./consumer-assignment.js";
export type { GroupsView } from "./groups-view.js";
export { formatPrometheusText, type MetricFamily } from "./prometheus-text.js";
