/**
 * Brook's web console and metrics: one HTTP listener (`console.listeners`) serving
 *   /                  the single-page UI (static/index.html, app.js, style.css)
 *   /api/...           JSON: cluster, brokers, topics, topic detail, groups, group detail, metrics
 *   /metrics           Prometheus text format 0.0.4
 * It reads the broker and, through `GroupsView`, the group coordinator; it changes nothing.
 */
export { type ConsoleListener, listenerUrl, parseConsoleListeners } from "./console-listeners.js";
export { PROMETHEUS_CONTENT_TYPE } from "./console-routes.js";
export { ConsoleServer, type ConsoleServerOptions } from "./console-server.js";
export { decodeConsumerAssignment } from "./consumer-assignment.js";
export type { GroupsView } from "./groups-view.js";
export { formatPrometheusText, type MetricFamily } from "./prometheus-text.js";
