import { atLeast, type ConfigKey, oneOf } from "../base/index.js";

/**
 * The REST Proxy's keys in server.properties: kafka-rest's own names under `rest.proxy.`
 * (`rest.proxy.consumer.instance.timeout.ms` is its `consumer.instance.timeout.ms`, with its
 * default), Kafka's producer and consumer keys under `rest.proxy.producer.` and
 * `rest.proxy.consumer.` (kafka-rest's `producer.*` and `consumer.*` overrides), and a few of
 * Brook's own limits. Defined here so that the broker's configuration checks them with every other
 * key before anything starts; the proxy reads them (`readRestProxySettings`).
 */
function key(
  name: string,
  type: ConfigKey["type"],
  defaultValue: ConfigKey["default"],
  doc: string,
  validate?: ConfigKey["validate"],
): ConfigKey {
  const full = `rest.proxy.${name}`;
  return validate === undefined
    ? { name: full, type, default: defaultValue, doc }
    : { name: full, type, default: defaultValue, doc, validate };
}

export const REST_PROXY_CONFIG_KEYS: readonly ConfigKey[] = [
  key(
    "enable",
    "boolean",
    false,
    "Serve Confluent's REST Proxy API (v2 and v3) from the broker process; on in the single-node setup without a properties file.",
  ),
  key("listeners", "list", ["http://0.0.0.0:8082"], "REST Proxy listener URLs (Confluent's port 8082)."),
  key(
    "advertised.listeners",
    "list",
    [],
    "The base URLs the proxy's answers link to (base_uri, metadata.self); empty: the Host of each request.",
  ),
  key(
    "schema.registry.url",
    "string",
    null,
    "The Schema Registry for avro, jsonschema and protobuf records; default: this node's (schema.registry.listeners).",
  ),
  key(
    "consumer.instance.timeout.ms",
    "int",
    300000,
    "A consumer instance not used for this long is closed and leaves its group.",
    atLeast(1),
  ),
  key(
    "consumer.request.timeout.ms",
    "int",
    1000,
    "The longest a records read waits for records.",
    atLeast(0),
  ),
  key(
    "consumer.request.max.bytes",
    "int",
    67108864,
    "The most record bytes one records read answers with.",
    atLeast(1),
  ),
  key(
    "fetch.min.bytes",
    "int",
    -1,
    "A records read answers as soon as it has more than this many bytes; -1: at its timeout.",
    atLeast(-1),
  ),
  key(
    "consumer.instances.max",
    "int",
    1000,
    "Brook's own: consumer instances open at once on this proxy; past it, creating one answers 429.",
    atLeast(1),
  ),
  key(
    "request.max.bytes",
    "int",
    16777216,
    "Brook's own: the largest request body (413 past it); in a streamed v3 produce, the largest record.",
    atLeast(1024),
  ),
  key(
    "producer.buffer.memory",
    "int",
    33554432,
    "Record bytes the proxy's producer holds unacknowledged, at most; past it, produce requests answer 429 (v3 streams wait).",
    atLeast(1024),
  ),
  key("producer.acks", "string", "all", "The proxy's producer acks.", oneOf("all", "-1", "0", "1")),
  key("producer.linger.ms", "int", 5, "The proxy's producer linger.ms.", atLeast(0)),
  key("producer.batch.size", "int", 16384, "The proxy's producer batch.size.", atLeast(1)),
  key(
    "producer.compression.type",
    "string",
    "none",
    "The proxy's producer compression.type.",
    oneOf("none", "gzip", "snappy", "lz4", "zstd"),
  ),
  key("producer.delivery.timeout.ms", "int", 120000, "The proxy's producer delivery.timeout.ms.", atLeast(1)),
  key("consumer.session.timeout.ms", "int", 45000, "session.timeout.ms of consumer instances.", atLeast(1)),
  key("consumer.max.poll.records", "int", 500, "max.poll.records of consumer instances.", atLeast(1)),
  key(
    "consumer.isolation.level",
    "string",
    "read_uncommitted",
    "isolation.level of consumer instances.",
    oneOf("read_uncommitted", "read_committed"),
  ),
];
