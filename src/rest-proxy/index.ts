/**
 * Brook's HTTP proxy, compatible with Confluent's REST Proxy (kafka-rest): API v2 (topics,
 * partitions, brokers, produce with embedded formats binary, json, avro, jsonschema and protobuf,
 * consumer instances with subscriptions, assignments, positions, offsets and records) and API v3
 * (clusters, brokers and their configs, topics and their configs, partitions, replicas, streamed
 * record production, consumer groups, their consumers and lags), with kafka-rest's content types,
 * bodies and error codes. It is a client of the cluster its node belongs to (Brook's admin client,
 * one shared producer, a consumer per instance) and of a Schema Registry.
 *
 * `listenRestProxy` binds its listeners; `serve` then makes the proxy (its clients, its consumer
 * instances' expiry) and answers on them: the host calls it after the node is ready.
 */
export {
  listenRestProxy,
  REST_PROXY_CONNECTIONS_MAX,
  type RestProxyListener,
  type RestProxyListenerAddress,
} from "./rest-proxy-listener.js";
export {
  type ConfigReader,
  type ProxyConsumerSettings,
  type ProxyProducerSettings,
  REST_PROXY_CONFIG_PREFIX,
  type RestProxySettings,
  readRestProxySettings,
} from "./rest-proxy-settings.js";
