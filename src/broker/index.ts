export { type ApiHandler, defineHandler, NO_RESPONSE, type RequestContext } from "./api-handler.js";
export { Broker, type BrokerOptions } from "./broker.js";
export {
  type BrokerConfig,
  brokerConfigKeys,
  defaultRetentionMs,
  LEADER_REPLICA_SELECTOR,
  type ListenerConfig,
  LONG_MAX,
  parseBrokerConfig,
  parseListener,
  RACK_AWARE_REPLICA_SELECTOR,
  REST_PROXY_CLIENT_PREFIX,
  SINGLE_NODE_PROPERTIES,
} from "./broker-config.js";
export { ClientQuotaManager, QuotaType } from "./client-quota-manager.js";
export { ANONYMOUS_USER, ClientQuotas } from "./client-quotas.js";
export type { SharedMetadataStore } from "./etcd-connect.js";
export { brokerHandlers } from "./handlers/index.js";
export { REQUEST_LATENCY_BUCKETS_MS, type RequestStats } from "./request-dispatcher.js";
export { ConfigSource, describeTopicConfigs, topicDefaults } from "./topic-config.js";
export { ensureInternalTopic } from "./topic-creation.js";
