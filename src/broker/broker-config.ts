import {
  atLeast,
  between,
  ConfigError,
  type ConfigKey,
  type ConfigProblem,
  type ConfigType,
  type ConfigValue,
  configValueProblem,
  oneOf,
  type ParsedConfig,
  parseConfig,
  parseConfigValue,
} from "../base/index.js";
import { LOG_CONFIG_KEYS, SEGMENT_BYTES_MIN } from "../storage/index.js";
import { REST_PROXY_CONFIG_KEYS } from "./rest-proxy-config-keys.js";

/**
 * The broker's configuration, with Kafka 4.0's key names, types, defaults and validators
 * (`server.properties`), so an operator's files carry over and a value Kafka refuses at start is
 * refused here with Kafka's message. Keys Kafka has but Brook does not act on (thread counts,
 * socket buffer sizes) are still known, so they produce no warning. Brook's own keys: the Schema
 * Registry, console and REST Proxy listeners (the proxy's in rest-proxy-config-keys.ts).
 */
/** Kafka's Long.MAX_VALUE ("never"); held as 2^63, which formatConfigValue prints back as Kafka does. */
export const LONG_MAX = 2 ** 63;
/** Kafka's replica selectors (replica.selector.class), by their Java class names. */
export const RACK_AWARE_REPLICA_SELECTOR = "org.apache.kafka.common.replica.RackAwareReplicaSelector";
export const LEADER_REPLICA_SELECTOR = "org.apache.kafka.common.replica.LeaderSelector";
const HOUR_MS = 3_600_000;

function key(
  name: string,
  type: ConfigType,
  defaultValue: ConfigValue | undefined,
  doc: string,
  validate?: (v: ConfigValue) => ConfigProblem | null,
): ConfigKey {
  return validate === undefined
    ? { name, type, default: defaultValue, doc }
    : { name, type, default: defaultValue, doc, validate };
}

/** Kafka's security protocols, in the order of their ids (SecurityProtocol.id, as broker registrations carry them). */
export const SECURITY_PROTOCOLS = ["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] as const;
export type SecurityProtocol = (typeof SECURITY_PROTOCOLS)[number];

/**
 * Kafka's TLS settings (SslConfigs and BrokerSecurityConfigs' ssl.client.auth), global or per
 * listener (`listener.name.<name>.ssl.*`). What they mean for Brook: listener-security.ts.
 */
const SSL_CONFIG_KEYS: readonly ConfigKey[] = [
  key(
    "ssl.keystore.type",
    "string",
    "JKS",
    "The file format of the key store: PEM or PKCS12. JKS (the default) reads a PKCS12 file, as Java does; Java's own JKS format is refused with how to convert it.",
  ),
  key(
    "ssl.keystore.location",
    "string",
    null,
    "The key store file; with PEM, one file holding the private key and its certificate chain.",
  ),
  key("ssl.keystore.password", "password", null, "The key store's password (not with PEM)."),
  key(
    "ssl.key.password",
    "password",
    null,
    "The password of the private key (in the key store, or ssl.keystore.key).",
  ),
  key("ssl.keystore.key", "password", null, "The private key in PEM (PKCS#8), with ssl.keystore.type=PEM."),
  key(
    "ssl.keystore.certificate.chain",
    "password",
    null,
    "The certificate chain in PEM, leaf first, with ssl.keystore.type=PEM.",
  ),
  key(
    "ssl.truststore.type",
    "string",
    "JKS",
    "The file format of the trust store: PEM or PKCS12 (JKS as for the key store).",
  ),
  key(
    "ssl.truststore.location",
    "string",
    null,
    "The trust store file: the CAs whose client and broker certificates are trusted.",
  ),
  key("ssl.truststore.password", "password", null, "The trust store's password (not with PEM)."),
  key(
    "ssl.truststore.certificates",
    "password",
    null,
    "Trusted certificates in PEM, with ssl.truststore.type=PEM.",
  ),
  key(
    "ssl.client.auth",
    "string",
    "none",
    "Whether SSL listeners ask clients for a certificate: none, requested (checked if sent) or required.",
    oneOf("required", "requested", "none"),
  ),
  key(
    "ssl.protocol",
    "string",
    "TLSv1.3",
    "The newest TLS version Brook's own connections to other brokers offer (TLS: no cap).",
  ),
  key(
    "ssl.enabled.protocols",
    "list",
    ["TLSv1.2", "TLSv1.3"],
    "The TLS versions accepted: TLSv1.2, TLSv1.3.",
  ),
  key(
    "ssl.cipher.suites",
    "list",
    null,
    "The cipher suites accepted (Java's or OpenSSL's names); unset: Node's default.",
  ),
  key(
    "ssl.endpoint.identification.algorithm",
    "string",
    "https",
    "https: connections to other brokers check their host name against their certificate; empty: they do not.",
  ),
  key("ssl.provider", "string", null, "Java's security provider; Brook uses Node's OpenSSL and ignores it."),
  key("ssl.keymanager.algorithm", "string", "SunX509", "Java's key manager algorithm; Brook ignores it."),
  key("ssl.trustmanager.algorithm", "string", "PKIX", "Java's trust manager algorithm; Brook ignores it."),
  key("ssl.secure.random.implementation", "string", null, "Java's SecureRandom; Brook ignores it."),
];

/**
 * The security of the REST Proxy's clients (kafka-rest's `client.*` keys, under `rest.proxy.`):
 * Kafka's client keys security.protocol, sasl.mechanism, sasl.jaas.config and ssl.*. The proxy
 * connects to this node's advertised listener of that protocol, so that a node with only TLS or
 * SASL listeners can host it too.
 */
export const REST_PROXY_CLIENT_PREFIX = "rest.proxy.client.";
const REST_PROXY_CLIENT_KEYS: readonly ConfigKey[] = [
  key(
    `${REST_PROXY_CLIENT_PREFIX}security.protocol`,
    "string",
    "PLAINTEXT",
    "The protocol the REST Proxy's clients use; they connect to this node's advertised listener of that protocol.",
    (v) =>
      typeof v === "string" && (SECURITY_PROTOCOLS as readonly string[]).includes(v.trim().toUpperCase())
        ? null
        : { message: `String must be one of: ${SECURITY_PROTOCOLS.join(", ")}` },
  ),
  key(
    `${REST_PROXY_CLIENT_PREFIX}sasl.mechanism`,
    "string",
    null,
    "The SASL mechanism of the REST Proxy's clients (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512).",
  ),
  key(
    `${REST_PROXY_CLIENT_PREFIX}sasl.jaas.config`,
    "password",
    null,
    "The REST Proxy's clients' login: a PlainLoginModule or ScramLoginModule entry with username and password.",
  ),
  ...SSL_CONFIG_KEYS.filter((k) => k.name !== "ssl.client.auth").map((k) => ({
    ...k,
    name: `${REST_PROXY_CLIENT_PREFIX}${k.name}`,
    doc: `The REST Proxy's clients' ${k.name}: ${k.doc}`,
  })),
];

/**
 * Kafka's SASL settings for SASL_PLAINTEXT and SASL_SSL listeners, global or per listener
 * (`listener.name.<name>.sasl.enabled.mechanisms`, `listener.name.<name>.<mechanism>.sasl.jaas.config`).
 * What they mean for Brook: listener-security.ts and sasl-settings.ts.
 */
export const SASL_CONFIG_KEYS: readonly ConfigKey[] = [
  key(
    "sasl.enabled.mechanisms",
    "list",
    ["GSSAPI"],
    "The SASL mechanisms SASL listeners accept: PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 (Kafka's default GSSAPI is not supported).",
  ),
  key(
    "sasl.mechanism.inter.broker.protocol",
    "string",
    "GSSAPI",
    "The SASL mechanism Brook's own connections use towards a SASL inter-broker listener.",
  ),
  key("sasl.jaas.config", "password", null, "A JAAS login module entry (Kafka's JAAS syntax)."),
  key(
    "sasl.server.max.receive.size",
    "int",
    524288,
    "The largest request a SASL listener reads before the client authenticated; larger closes the connection.",
  ),
  key(
    "plain.sasl.jaas.config",
    "password",
    null,
    "PlainLoginModule's entry: username/password for Brook's own connections, user_<name>=\"<password>\" for clients.",
  ),
  key(
    "scram-sha-256.sasl.jaas.config",
    "password",
    null,
    "ScramLoginModule's entry: username/password for Brook's own connections.",
  ),
  key(
    "scram-sha-512.sasl.jaas.config",
    "password",
    null,
    "ScramLoginModule's entry: username/password for Brook's own connections.",
  ),
];

/** `listener.name.<name>.<key>`: a setting for one listener. */
const LISTENER_PREFIX = /^listener\.name\.([^.]+)\.(.+)$/;
/** The keys a listener prefix may set. */
const LISTENER_KEYS: ReadonlyMap<string, ConfigKey> = new Map(
  [...SSL_CONFIG_KEYS, ...SASL_CONFIG_KEYS].map((k) => [k.name, k]),
);

/** Kafka keeps some lists as comma-separated strings (listeners, log.dirs, ...): split like its CSV. */
export function csvItems(value: ConfigValue): string[] {
  if (typeof value !== "string") return Array.isArray(value) ? value : [];
  return value.trim() === "" ? [] : value.split(",").map((s) => s.trim());
}

const listenerList = (v: ConfigValue): ConfigProblem | null => {
  for (const item of csvItems(v)) {
    if (!/^[A-Za-z0-9_]+:\/\/(\[[^\]]*\]|[^:/]*):\d+$/.test(item))
      return { message: `'${item}' is not NAME://host:port` };
  }
  return null;
};

/**
 * max.connections.per.ip.overrides as Kafka reads it (Csv.parseCsvMap: entries split at their last
 * colon, so IPv6 addresses work; counts are ints). Throws ConfigError with Kafka's messages.
 */
export function parseConnectionOverrides(value: string): Map<string, number> {
  const overrides = new Map<string, number>();
  if (value.trim() === "") return overrides;
  for (const entry of value.split(/\s*,\s*/)) {
    const at = entry.lastIndexOf(":");
    const host = entry.slice(0, Math.max(at, 0)).trim();
    const count = entry.slice(at + 1).trim();
    if (at < 0 || !/^[-+]?\d+$/.test(count) || Math.abs(Number(count)) > 2 ** 31 - 1) {
      throw new ConfigError(
        `Error parsing configuration property 'max.connections.per.ip.overrides': '${entry}' is not host:count`,
      );
    }
    overrides.set(host, Number(count));
  }
  const invalid = [...overrides.keys()].filter((host) => !/^[0-9a-zA-Z\-%._:]*$/.test(host));
  if (invalid.length > 0) {
    throw new ConfigError(
      `max.connections.per.ip.overrides contains invalid addresses : ${invalid.join(",")}`,
    );
  }
  return overrides;
}

const connectionOverridesValidator = (v: ConfigValue): ConfigProblem | null => {
  try {
    parseConnectionOverrides(typeof v === "string" ? v : "");
    return null;
  } catch (error) {
    return { message: error instanceof Error ? error.message : String(error) };
  }
};

/** The validator of the topic config a broker property is the default of (one rule for both). */
const topicValidator = (topicKey: string) => {
  const validate = LOG_CONFIG_KEYS.get(topicKey)?.validate;
  if (validate === undefined) throw new Error(`${topicKey} has no validator`);
  return validate;
};

/** The authorizer Kafka's KRaft brokers run, and the ZooKeeper-era name Brook takes for it. */
export const STANDARD_AUTHORIZER_CLASS = "org.apache.kafka.metadata.authorizer.StandardAuthorizer";
export const ACL_AUTHORIZER_CLASS = "kafka.security.authorizer.AclAuthorizer";

/**
 * Kafka's authorizer settings: authorizer.class.name (a KafkaConfig key), and the two keys its
 * StandardAuthorizer reads from the broker's properties (super.users, allow.everyone.if.no.acl.found;
 * not KafkaConfig keys, which is why DescribeConfigs shows them as Kafka does: only when set, as
 * sensitive values of unknown type; see broker-config-describe.ts). What they mean: authorizer-config.ts.
 */
const AUTHORIZER_CONFIG_KEYS: readonly ConfigKey[] = [
  key(
    "authorizer.class.name",
    "string",
    "",
    "The fully qualified name of a class that implements org.apache.kafka.server.authorizer.Authorizer interface, which is used by the broker for authorization. Empty: no authorization. Brook runs Kafka's StandardAuthorizer (ACLs in the metadata log) for org.apache.kafka.metadata.authorizer.StandardAuthorizer and for kafka.security.authorizer.AclAuthorizer; other classes are refused at start.",
    (v) =>
      v === "" || v === STANDARD_AUTHORIZER_CLASS || v === ACL_AUTHORIZER_CLASS
        ? null
        : {
            message: `Brook's authorizer is ${STANDARD_AUTHORIZER_CLASS} (${ACL_AUTHORIZER_CLASS} is taken as it); other authorizer classes cannot be loaded`,
          },
  ),
  key(
    "super.users",
    "string",
    null,
    "Principals allowed every operation on every resource whatever the ACLs say, separated by ';' (User:admin;User:broker).",
    (v) => {
      for (const entry of typeof v === "string" ? v.split(";") : []) {
        const principal = entry.trim();
        if (principal !== "" && !principal.includes(":"))
          return {
            message: `expected a string in format principalType:principalName but got ${principal}`,
            value: principal,
          };
      }
      return null;
    },
  ),
  key(
    "allow.everyone.if.no.acl.found",
    "string",
    null,
    "true: a resource without any ACL is open to everyone; otherwise (the default) only super users may use it.",
  ),
];

export const brokerConfigKeys: ReadonlyMap<string, ConfigKey> = new Map(
  [
    key("node.id", "int", -1, "The node id of this server in the cluster.", atLeast(0)),
    key(
      "process.roles",
      "list",
      [],
      "The roles of this process: broker, controller, or both.",
      oneOf("broker", "controller"),
    ),
    key("listeners", "string", "PLAINTEXT://:9092", "Listener URIs to bind.", listenerList),
    key(
      "advertised.listeners",
      "string",
      null,
      "Listeners published to clients, if different from listeners.",
    ),
    key(
      "listener.security.protocol.map",
      "string",
      "SASL_SSL:SASL_SSL,PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT",
      "Listener name to security protocol (controller listeners default to PLAINTEXT).",
    ),
    key("controller.listener.names", "string", null, "Listeners used by the controller."),
    key("inter.broker.listener.name", "string", null, "Listener used between brokers."),
    key(
      "security.inter.broker.protocol",
      "string",
      "PLAINTEXT",
      "Security protocol used between brokers: the listener of that name (set this or inter.broker.listener.name, not both).",
      oneOf(...SECURITY_PROTOCOLS),
    ),
    key("controller.quorum.voters", "list", [], "id@host:port of each controller voter."),
    key("controller.quorum.bootstrap.servers", "list", [], "host:port of controllers to bootstrap from."),
    key(
      "etcd.connect",
      "string",
      null,
      "The etcd cluster holding the metadata quorum: host:port[,host:port...][/chroot], as zookeeper.connect. Unset: a single node with its own metadata log.",
    ),
    key(
      "etcd.session.timeout.ms",
      "int",
      9000,
      "A broker or controller cut off from etcd this long loses its session.",
      atLeast(1000),
    ),
    key(
      "etcd.connection.timeout.ms",
      "int",
      18000,
      "How long to wait for etcd at start and per request.",
      atLeast(100),
    ),
    key("etcd.ssl.ca.file", "string", null, "CA certificate (PEM) to verify etcd's TLS certificate."),
    key(
      "etcd.ssl.cert.file",
      "string",
      null,
      "Client certificate (PEM) for etcd's TLS client authentication.",
    ),
    key("etcd.ssl.key.file", "string", null, "Private key (PEM) of etcd.ssl.cert.file."),
    key("etcd.username", "string", null, "User for etcd authentication."),
    key("etcd.password", "password", null, "Password of etcd.username."),
    ...SSL_CONFIG_KEYS,
    ...SASL_CONFIG_KEYS,
    ...REST_PROXY_CONFIG_KEYS,
    ...REST_PROXY_CLIENT_KEYS,
    key("broker.rack", "string", null, "The rack of this broker, for rack-aware replica placement."),
    key(
      "replica.selector.class",
      "string",
      null,
      `Where consumers read from (KIP-392): ${RACK_AWARE_REPLICA_SELECTOR} sends a consumer that sets client.rack to an in-sync replica in its rack; unset or ${LEADER_REPLICA_SELECTOR}, the leader.`,
      (v) => (v === null ? null : oneOf(RACK_AWARE_REPLICA_SELECTOR, LEADER_REPLICA_SELECTOR)(v)),
    ),
    key(
      "controlled.shutdown.enable",
      "boolean",
      true,
      "On shutdown, ask the controller to move this broker's leaderships first.",
    ),
    key(
      "metadata.log.max.record.bytes.between.snapshots",
      "long",
      20971520,
      "The controller writes a metadata snapshot after this many bytes of new records.",
      atLeast(1),
    ),
    key(
      "metadata.log.max.snapshot.interval.ms",
      "long",
      3600000,
      "The controller writes a metadata snapshot this long after the last, when there are new records.",
      atLeast(0),
    ),
    key("log.dirs", "string", null, "Directories holding the partition logs, comma-separated."),
    key("log.dir", "string", "/tmp/kafka-logs", "Log directory, used when log.dirs is not set."),
    key("num.partitions", "int", 1, "Default number of partitions of a new topic.", atLeast(1)),
    key("default.replication.factor", "int", 1, "Default replication factor of a new topic."),
    key(
      "auto.create.topics.enable",
      "boolean",
      true,
      "Create a topic when a client asks for an unknown one.",
    ),
    key("delete.topic.enable", "boolean", true, "Allow topics to be deleted."),
    ...AUTHORIZER_CONFIG_KEYS,
    key("message.max.bytes", "int", 1048588, "Largest record batch the broker accepts.", atLeast(0)),
    key("socket.request.max.bytes", "int", 104857600, "Largest request the broker accepts.", atLeast(1)),
    key(
      "connections.max.idle.ms",
      "long",
      600000,
      "Connections with nothing in flight are closed after this long idle; negative: never.",
    ),
    key(
      "max.connections",
      "int",
      2147483647,
      "Maximum connections at once, all listeners together; past it new connections are refused.",
      atLeast(0),
    ),
    key(
      "max.connections.per.ip",
      "int",
      2147483647,
      "Maximum connections from one address; past it new connections from it are closed. May be 0 when max.connections.per.ip.overrides is set.",
      atLeast(0),
    ),
    key(
      "max.connections.per.ip.overrides",
      "string",
      "",
      'Per-address (or host name) overrides of max.connections.per.ip, e.g. "hostName:100,127.0.0.1:200".',
      connectionOverridesValidator,
    ),
    key(
      "queued.max.requests",
      "int",
      500,
      "Requests queued in the broker (read, not answered, not waiting in purgatory), all connections together, before it stops reading from clients; also the most one connection may have in flight.",
      atLeast(1),
    ),
    key(
      "socket.connection.buffer.max.bytes",
      "long",
      64 * 1024 * 1024,
      "Brook's own: bytes one client connection may hold in the broker: requests read and not yet answered, plus responses not yet sent (queued in the socket, or finished behind an earlier request). Past it the broker stops reading that connection until its client reads its responses (TCP then pushes back on the client), so a slow or stuck client costs at most about this much memory. A single larger request or response still goes through.",
      atLeast(1024),
    ),
    key(
      "quota.window.num",
      "int",
      11,
      "The number of samples to retain in memory for client quotas.",
      atLeast(1),
    ),
    key("quota.window.size.seconds", "int", 1, "The time span of each sample for client quotas.", atLeast(1)),
    key("min.insync.replicas", "int", 1, "Replicas that must acknowledge an acks=all write.", atLeast(1)),
    key("unclean.leader.election.enable", "boolean", false, "Allow an out-of-sync replica to become leader."),
    key("offsets.topic.num.partitions", "int", 50, "Partitions of __consumer_offsets.", atLeast(1)),
    key(
      "offsets.topic.replication.factor",
      "short",
      3,
      "Replication factor of __consumer_offsets.",
      atLeast(1),
    ),
    key("offsets.topic.segment.bytes", "int", 104857600, "Segment size of __consumer_offsets.", atLeast(1)),
    key(
      "offsets.retention.minutes",
      "int",
      10080,
      "Committed offsets of an empty group are kept this long.",
      atLeast(1),
    ),
    key(
      "offsets.retention.check.interval.ms",
      "long",
      600000,
      "How often stale offsets are checked.",
      atLeast(1),
    ),
    key("offset.metadata.max.bytes", "int", 4096, "Largest metadata string of a committed offset."),
    key(
      "offsets.commit.timeout.ms",
      "int",
      5000,
      "Offset commits wait this long for the append.",
      atLeast(1),
    ),
    key("offsets.load.buffer.size", "int", 5242880, "Read size when loading offsets.", atLeast(1)),
    key("group.initial.rebalance.delay.ms", "int", 3000, "Delay of a new group's first rebalance."),
    key("group.min.session.timeout.ms", "int", 6000, "Smallest session timeout a member may ask for."),
    key("group.max.session.timeout.ms", "int", 1800000, "Largest session timeout a member may ask for."),
    key("group.max.size", "int", 2147483647, "Largest number of members in a group.", atLeast(1)),
    key(
      "group.coordinator.rebalance.protocols",
      "list",
      ["classic", "consumer"],
      "The group protocols the coordinator serves; without consumer, KIP-848 APIs are not offered.",
      oneOf("classic", "consumer"),
    ),
    key(
      "group.consumer.heartbeat.interval.ms",
      "int",
      5000,
      "How often consumer group (KIP-848) members heartbeat.",
      atLeast(1),
    ),
    key(
      "group.consumer.session.timeout.ms",
      "int",
      45000,
      "A consumer group member silent this long is removed.",
      atLeast(1),
    ),
    key(
      "group.consumer.min.session.timeout.ms",
      "int",
      45000,
      "Lowest group.consumer.session.timeout.ms.",
      atLeast(1),
    ),
    key(
      "group.consumer.max.session.timeout.ms",
      "int",
      60000,
      "Highest group.consumer.session.timeout.ms.",
      atLeast(1),
    ),
    key(
      "group.consumer.min.heartbeat.interval.ms",
      "int",
      5000,
      "Lowest group.consumer.heartbeat.interval.ms.",
      atLeast(1),
    ),
    key(
      "group.consumer.max.heartbeat.interval.ms",
      "int",
      15000,
      "Highest group.consumer.heartbeat.interval.ms.",
      atLeast(1),
    ),
    key(
      "group.consumer.max.size",
      "int",
      2147483647,
      "Largest number of members in a consumer group.",
      atLeast(1),
    ),
    key(
      "group.consumer.assignors",
      "list",
      ["uniform", "range"],
      "The server assignors of consumer groups; the first is the default.",
      oneOf("uniform", "range"),
    ),
    key("transaction.state.log.num.partitions", "int", 50, "Partitions of __transaction_state.", atLeast(1)),
    key(
      "transaction.state.log.replication.factor",
      "short",
      3,
      "Replication factor of __transaction_state.",
      atLeast(1),
    ),
    key("transaction.state.log.min.isr", "int", 2, "min.insync.replicas of __transaction_state.", atLeast(1)),
    key(
      "transaction.state.log.segment.bytes",
      "int",
      104857600,
      "Segment size of __transaction_state.",
      atLeast(1),
    ),
    key(
      "transaction.version",
      "int",
      2,
      "The finalized transaction.version feature level ApiVersions advertises: 2 lets clients use transactions version 2 (KIP-890 part 2: Produce v12, EndTxn v5 with an epoch bump, TxnOffsetCommit v5), 0 keeps them on the classic protocol.",
      between(0, 2),
    ),
    key(
      "transaction.max.timeout.ms",
      "int",
      900000,
      "Largest transaction timeout a producer may ask for.",
      atLeast(1),
    ),
    key(
      "transactional.id.expiration.ms",
      "int",
      604800000,
      "Idle transactional ids expire after this.",
      atLeast(1),
    ),
    key(
      "transaction.abort.timed.out.transaction.cleanup.interval.ms",
      "int",
      10000,
      "How often transactions older than their timeout are aborted.",
      atLeast(1),
    ),
    key(
      "transaction.remove.expired.transaction.cleanup.interval.ms",
      "int",
      3600000,
      "How often expired transactional ids are removed.",
      atLeast(1),
    ),
    key(
      "transaction.state.log.load.buffer.size",
      "int",
      5242880,
      "Read size when loading __transaction_state.",
      atLeast(1),
    ),
    key(
      "producer.id.expiration.ms",
      "int",
      86400000,
      "Idle idempotent producer state expires after this.",
      atLeast(1),
    ),
    {
      ...key(
        "producer.id.expiration.check.interval.ms",
        "int",
        600000,
        "How often idle producer state is looked for.",
        atLeast(1),
      ),
      internal: true,
    },
    key("replica.lag.time.max.ms", "long", 30000, "A follower that lags this long leaves the ISR."),
    key("replica.fetch.max.bytes", "int", 1048576, "Bytes a follower fetches per partition.", atLeast(0)),
    key("replica.fetch.wait.max.ms", "int", 500, "Longest wait of a follower fetch."),
    key("replica.fetch.min.bytes", "int", 1, "Least bytes a follower fetch waits for."),
    key(
      "replica.fetch.response.max.bytes",
      "int",
      10485760,
      "Bytes a follower fetch returns in all.",
      atLeast(0),
    ),
    key("num.replica.fetchers", "int", 1, "Follower fetcher count."),
    key("replica.fetch.backoff.ms", "int", 1000, "The pause of a follower after a failed fetch.", atLeast(0)),
    key(
      "auto.leader.rebalance.enable",
      "boolean",
      true,
      "The controller moves leadership back to preferred replicas.",
    ),
    key(
      "leader.imbalance.check.interval.seconds",
      "long",
      300,
      "How often the controller checks leader balance.",
      atLeast(1),
    ),
    key(
      "leader.imbalance.per.broker.percentage",
      "int",
      10,
      "The share of a broker's preferred partitions it may not lead before the controller rebalances.",
      atLeast(0),
    ),
    key("log.retention.check.interval.ms", "long", 300000, "How often retention runs.", atLeast(1)),
    key("log.cleaner.enable", "boolean", true, "Run the log cleaner (compaction)."),
    key(
      "log.cleaner.backoff.ms",
      "long",
      15000,
      "Sleep of the cleaner when there is nothing to clean.",
      atLeast(0),
    ),
    key("log.cleaner.threads", "int", 1, "Cleaner threads.", atLeast(0)),
    key("log.flush.scheduler.interval.ms", "long", LONG_MAX, "How often logs are checked for a flush."),
    key(
      "log.flush.offset.checkpoint.interval.ms",
      "int",
      60000,
      "How often recovery points are written.",
      atLeast(0),
    ),
    key(
      "log.flush.start.offset.checkpoint.interval.ms",
      "int",
      60000,
      "How often log start offsets are written.",
      atLeast(0),
    ),
    key(
      "replica.high.watermark.checkpoint.interval.ms",
      "long",
      5000,
      "How often high watermarks are written.",
    ),
    key(
      "num.recovery.threads.per.data.dir",
      "int",
      2,
      "Recovery threads (Brook recovers on its event loop).",
      atLeast(1),
    ),
    key("num.network.threads", "int", 3, "Network threads (Brook uses one event loop).", atLeast(1)),
    key("num.io.threads", "int", 8, "I/O threads (Brook uses one event loop).", atLeast(1)),
    key("socket.send.buffer.bytes", "int", 102400, "SO_SNDBUF; -1 for the OS default."),
    key("socket.receive.buffer.bytes", "int", 102400, "SO_RCVBUF; -1 for the OS default."),
    key("log.segment.bytes", "int", 1073741824, "Default segment.bytes.", atLeast(SEGMENT_BYTES_MIN)),
    key("log.roll.ms", "long", null, "Default segment.ms."),
    key("log.roll.hours", "int", 168, "Default segment.ms, in hours.", atLeast(1)),
    key("log.roll.jitter.ms", "long", null, "Default segment.jitter.ms."),
    key("log.roll.jitter.hours", "int", 0, "Default segment.jitter.ms, in hours.", atLeast(0)),
    key("log.local.retention.ms", "long", -2, "Default local.retention.ms.", atLeast(-2)),
    key("log.local.retention.bytes", "long", -2, "Default local.retention.bytes.", atLeast(-2)),
    key(
      "compression.gzip.level",
      "int",
      -1,
      "Default compression.gzip.level.",
      topicValidator("compression.gzip.level"),
    ),
    key(
      "compression.lz4.level",
      "int",
      9,
      "Default compression.lz4.level.",
      topicValidator("compression.lz4.level"),
    ),
    key(
      "compression.zstd.level",
      "int",
      3,
      "Default compression.zstd.level.",
      topicValidator("compression.zstd.level"),
    ),
    key("log.retention.ms", "long", null, "Default retention.ms."),
    key("log.retention.minutes", "int", null, "Default retention.ms, in minutes."),
    key("log.retention.hours", "int", 168, "Default retention.ms, in hours."),
    key("log.retention.bytes", "long", -1, "Default retention.bytes."),
    key("log.cleanup.policy", "list", ["delete"], "Default cleanup.policy.", oneOf("compact", "delete")),
    key("log.index.interval.bytes", "int", 4096, "Default index.interval.bytes.", atLeast(0)),
    key("log.index.size.max.bytes", "int", 10485760, "Default segment.index.bytes.", atLeast(4)),
    key("log.cleaner.delete.retention.ms", "long", 86400000, "Default delete.retention.ms.", atLeast(0)),
    key(
      "log.cleaner.min.cleanable.ratio",
      "double",
      0.5,
      "Default min.cleanable.dirty.ratio.",
      between(0, 1),
    ),
    key("log.cleaner.min.compaction.lag.ms", "long", 0, "Default min.compaction.lag.ms.", atLeast(0)),
    key("log.cleaner.max.compaction.lag.ms", "long", LONG_MAX, "Default max.compaction.lag.ms.", atLeast(1)),
    key("log.flush.interval.messages", "long", LONG_MAX, "Default flush.messages.", atLeast(1)),
    key("log.flush.interval.ms", "long", null, "Default flush.ms."),
    key(
      "log.message.timestamp.type",
      "string",
      "CreateTime",
      "Default message.timestamp.type.",
      oneOf("CreateTime", "LogAppendTime"),
    ),
    key(
      "log.message.timestamp.before.max.ms",
      "long",
      LONG_MAX,
      "Default message.timestamp.before.max.ms.",
      atLeast(0),
    ),
    // KIP-1030 (Kafka 4.0): one hour, where it was unbounded.
    key(
      "log.message.timestamp.after.max.ms",
      "long",
      HOUR_MS,
      "Default message.timestamp.after.max.ms.",
      atLeast(0),
    ),
    key("log.preallocate", "boolean", false, "Default preallocate."),
    key(
      "log.tail.cache.bytes",
      "long",
      32 * 1024 * 1024,
      "Brook's own: recently appended bytes kept in memory, across all partitions, to serve consumers and followers at the tail without reading the files (allocated as readers need it). Raise it when followers or consumers lag by more than that.",
      atLeast(0),
    ),
    key("log.segment.delete.delay.ms", "long", 60000, "Default file.delete.delay.ms.", atLeast(0)),
    key(
      "compression.type",
      "string",
      "producer",
      "Default compression.type.",
      oneOf("uncompressed", "zstd", "lz4", "snappy", "gzip", "producer"),
    ),
    key(
      "schema.registry.enable",
      "boolean",
      true,
      "Serve the Schema Registry REST API from the broker process.",
    ),
    key("schema.registry.listeners", "list", ["http://localhost:8081"], "Schema Registry listener URLs."),
    key("console.enable", "boolean", true, "Serve the web console and metrics from the broker process."),
    key("console.listeners", "list", ["http://localhost:8080"], "Web console listener URLs."),
  ].map((k) => [k.name, k]),
);

export interface ListenerConfig {
  name: string;
  host: string;
  port: number;
}

export interface VoterConfig {
  id: number;
  host: string;
  port: number;
}

/** The values code reads, typed; `values` keeps every key for DescribeConfigs. */
export interface BrokerConfig {
  readonly nodeId: number;
  readonly processRoles: readonly ("broker" | "controller")[];
  readonly listeners: readonly ListenerConfig[];
  readonly advertisedListeners: readonly ListenerConfig[];
  readonly controllerListenerNames: readonly string[];
  /** The security protocol of every listener named in listeners and advertised.listeners (Kafka's effective map). */
  readonly listenerSecurityProtocols: ReadonlyMap<string, SecurityProtocol>;
  /** The listener other brokers' replica fetchers and requests use to reach this one. */
  readonly interBrokerListenerName: string;
  /**
   * Per-listener settings (`listener.name.<name>.<key>`, the listener name in lower case as Kafka
   * reads it), parsed with their key's type; they override the global key for that listener.
   */
  readonly listenerOverrides: ReadonlyMap<string, ReadonlyMap<string, ConfigValue>>;
  readonly controllerQuorumVoters: readonly VoterConfig[];
  readonly logDirs: readonly string[];
  readonly values: ReadonlyMap<string, ConfigValue>;
  readonly explicit: ReadonlySet<string>;
  readonly warnings: readonly string[];
  int(name: string): number;
  bool(name: string): boolean;
  string(name: string): string | null;
  list(name: string): readonly string[];
}

export function parseListener(uri: string): ListenerConfig {
  const match = /^([A-Za-z0-9_]+):\/\/(\[[^\]]*\]|[^:/]*):(\d+)$/.exec(uri.trim());
  if (match === null) throw new ConfigError(`Invalid listener '${uri}': expected NAME://host:port`);
  const port = Number(match[3]);
  if (port > 65535) throw new ConfigError(`Invalid listener '${uri}': port out of range`);
  return {
    name: (match[1] as string).toUpperCase(),
    host: (match[2] as string).replace(/^\[|\]$/g, ""),
    port,
  };
}

function parseVoter(text: string): VoterConfig {
  const match = /^(\d+)@(\[[^\]]*\]|[^:]+):(\d+)$/.exec(text.trim());
  if (match === null)
    throw new ConfigError(`Invalid controller.quorum.voters entry '${text}': expected id@host:port`);
  return { id: Number(match[1]), host: (match[2] as string).replace(/^\[|\]$/g, ""), port: Number(match[3]) };
}

/** Parses and cross-checks broker properties; throws ConfigError with one clear message. */
export function parseBrokerConfig(raw: ReadonlyMap<string, string>): BrokerConfig {
  const global = new Map<string, string>();
  const prefixed: { listener: string; key: string; name: string; text: string }[] = [];
  for (const [name, text] of raw) {
    const match = LISTENER_PREFIX.exec(name);
    if (match !== null && LISTENER_KEYS.has(match[2] as string)) {
      prefixed.push({ listener: match[1] as string, key: match[2] as string, name, text });
    } else {
      global.set(name, text);
    }
  }
  const parsed = parseConfig(brokerConfigKeys, global);
  const warnings = [...parsed.warnings];
  const overrides = new Map<string, Map<string, ConfigValue>>();
  for (const { listener, key, name, text } of prefixed) {
    if (listener !== listener.toLowerCase()) {
      // Kafka looks listener prefixes up in lower case only: this key would be ignored there.
      warnings.push(
        `The configuration '${name}' was supplied but isn't a known config: listener prefixes are lower case (listener.name.${listener.toLowerCase()}.${key}).`,
      );
      continue;
    }
    const definition = { ...(LISTENER_KEYS.get(key) as ConfigKey), name };
    const value = parseConfigValue(definition, text);
    const problem = configValueProblem(definition, value);
    if (problem !== null) throw new ConfigError(problem);
    let values = overrides.get(listener);
    if (values === undefined) {
      values = new Map();
      overrides.set(listener, values);
    }
    values.set(key, value);
  }
  return buildBrokerConfig({ ...parsed, warnings }, overrides);
}

function buildBrokerConfig(
  parsed: ParsedConfig,
  listenerOverrides: ReadonlyMap<string, ReadonlyMap<string, ConfigValue>>,
): BrokerConfig {
  const v = parsed.values;
  const list = (name: string) => csvItems(v.get(name) ?? null);
  const listeners = list("listeners").map(parseListener);
  const names = new Set<string>();
  for (const l of listeners) {
    if (names.has(l.name))
      throw new ConfigError(`Each listener must have a different name; ${l.name} repeats`);
    names.add(l.name);
  }
  const advertisedRaw = v.get("advertised.listeners") ?? null;
  const controllerListenerNames = list("controller.listener.names").map((n) => n.toUpperCase());
  const advertisedListeners =
    advertisedRaw === null
      ? listeners.filter((l) => !controllerListenerNames.includes(l.name))
      : csvItems(advertisedRaw).map(parseListener);
  const processRoles = list("process.roles") as ("broker" | "controller")[];
  const nodeId = v.get("node.id") as number;
  if (processRoles.length > 0 && nodeId < 0) {
    throw new ConfigError(
      'Missing required configuration "node.id" (a non-negative integer) when process.roles is set',
    );
  }
  const logDirsRaw = v.get("log.dirs") ?? null;
  const logDirs = logDirsRaw === null ? [v.get("log.dir") as string] : csvItems(logDirsRaw);
  if (logDirs.length === 0 || logDirs.some((d) => d.trim() === ""))
    throw new ConfigError("log.dirs must name at least one directory");
  const voters = list("controller.quorum.voters").map(parseVoter);
  if (processRoles.includes("controller") && voters.length > 0 && !voters.some((x) => x.id === nodeId)) {
    throw new ConfigError(`node.id ${nodeId} has the controller role but is not in controller.quorum.voters`);
  }
  for (const name of controllerListenerNames) {
    if (processRoles.includes("controller") && !names.has(name)) {
      throw new ConfigError(`controller.listener.names names ${name}, which is not in listeners`);
    }
  }
  // Kafka 4.0's GroupCoordinatorConfig: the classic protocol cannot be turned off.
  if (!(v.get("group.coordinator.rebalance.protocols") as string[]).includes("classic")) {
    throw new ConfigError("group.coordinator.rebalance.protocols must contain classic");
  }
  checkConsumerGroupTimings(v);
  const sessionMin = v.get("group.min.session.timeout.ms") as number;
  if (sessionMin > (v.get("group.max.session.timeout.ms") as number)) {
    throw new ConfigError("group.min.session.timeout.ms must not exceed group.max.session.timeout.ms");
  }
  if (
    (v.get("max.connections.per.ip") as number) === 0 &&
    String(v.get("max.connections.per.ip.overrides")).trim() === ""
  ) {
    throw new ConfigError(
      "requirement failed: max.connections.per.ip can be set to zero only if max.connections.per.ip.overrides property is set.",
    );
  }
  const listenerSecurityProtocols = securityProtocolsOf(
    parsed,
    listeners,
    advertisedListeners,
    controllerListenerNames,
  );
  const interBrokerListenerName = interBrokerListener(
    parsed,
    advertisedListeners,
    controllerListenerNames,
    processRoles,
  );
  const warnings = [...parsed.warnings];
  for (const listener of listenerOverrides.keys()) {
    if (!listeners.some((l) => l.name.toLowerCase() === listener)) {
      warnings.push(`listener.name.${listener}.* settings name no listener of listeners; they are ignored.`);
    }
  }
  const get = <T>(name: string): T => {
    if (!v.has(name)) throw new ConfigError(`unknown broker configuration ${name}`);
    return v.get(name) as T;
  };
  return {
    nodeId,
    processRoles,
    listeners,
    advertisedListeners,
    controllerListenerNames,
    listenerSecurityProtocols,
    interBrokerListenerName,
    listenerOverrides,
    controllerQuorumVoters: voters,
    logDirs,
    values: v,
    explicit: parsed.explicit,
    warnings,
    int: (name) => get<number>(name),
    bool: (name) => get<boolean>(name),
    string: (name) => get<string | null>(name),
    list: (name) => csvItems(get<ConfigValue>(name)),
  };
}

/**
 * Every listener's security protocol, as KafkaConfig.effectiveListenerSecurityProtocolMap gives it:
 * listener.security.protocol.map, where a default map (not set explicitly) gives the controller
 * listeners PLAINTEXT unless a listener is named SSL or SASL_*. Brook extends that default to
 * every listener name the map lacks, as it served them before it had TLS; with an SSL or SASL
 * name in use, or an explicit map, a listener the map lacks is refused with Kafka's message.
 */
function securityProtocolsOf(
  parsed: ParsedConfig,
  listeners: readonly ListenerConfig[],
  advertised: readonly ListenerConfig[],
  controllerNames: readonly string[],
): Map<string, SecurityProtocol> {
  const key = "listener.security.protocol.map";
  const text = String(parsed.values.get(key) ?? "");
  const map = new Map<string, SecurityProtocol>();
  for (const entry of csvItems(text)) {
    const at = entry.lastIndexOf(":");
    if (at <= 0)
      throw new ConfigError(`Error parsing configuration property '${key}': '${entry}' is not NAME:PROTOCOL`);
    const protocol = entry
      .slice(at + 1)
      .trim()
      .toUpperCase();
    if (!(SECURITY_PROTOCOLS as readonly string[]).includes(protocol)) {
      throw new ConfigError(`Invalid security protocol \`${entry.slice(at + 1).trim()}\` defined in ${key}`);
    }
    map.set(entry.slice(0, at).trim().toUpperCase(), protocol as SecurityProtocol);
  }
  const isSecure = (name: string) => name === "SSL" || name === "SASL_SSL" || name === "SASL_PLAINTEXT";
  const lenient =
    !parsed.explicit.has(key) && !controllerNames.some(isSecure) && !listeners.some((l) => isSecure(l.name));
  const effective = new Map<string, SecurityProtocol>();
  for (const [property, list] of [
    ["listeners", listeners],
    ["advertised.listeners", advertised],
  ] as const) {
    for (const listener of list) {
      const protocol = map.get(listener.name) ?? (lenient ? "PLAINTEXT" : undefined);
      if (protocol === undefined) {
        const value = String(parsed.values.get(property) ?? "");
        throw new ConfigError(
          `Error creating broker listeners from '${value}': No security protocol defined for listener ${listener.name} (add ${listener.name}:<protocol> to ${key})`,
        );
      }
      effective.set(listener.name, protocol);
    }
  }
  for (const name of controllerNames) {
    const protocol = map.get(name) ?? (lenient ? "PLAINTEXT" : undefined);
    if (protocol !== undefined && !effective.has(name)) effective.set(name, protocol);
  }
  return effective;
}

/**
 * The inter-broker listener, as Kafka chooses it: inter.broker.listener.name, or the listener
 * named after security.inter.broker.protocol, which must be advertised. With neither set, Brook
 * takes PLAINTEXT when it is advertised, else the first advertised listener (Kafka would refuse).
 */
function interBrokerListener(
  parsed: ParsedConfig,
  advertised: readonly ListenerConfig[],
  controllerNames: readonly string[],
  roles: readonly string[],
): string {
  const byName = parsed.explicit.has("inter.broker.listener.name");
  const byProtocol = parsed.explicit.has("security.inter.broker.protocol");
  if (byName && byProtocol) {
    throw new ConfigError(
      "Only one of inter.broker.listener.name and security.inter.broker.protocol should be set.",
    );
  }
  const names = advertised.map((l) => l.name).filter((n) => !controllerNames.includes(n));
  if (!byName && !byProtocol) return names.includes("PLAINTEXT") ? "PLAINTEXT" : (names[0] ?? "PLAINTEXT");
  const chosen = String(
    parsed.values.get(byName ? "inter.broker.listener.name" : "security.inter.broker.protocol"),
  )
    .trim()
    .toUpperCase();
  const isBroker = roles.length === 0 || roles.includes("broker");
  if (isBroker && !names.includes(chosen)) {
    throw new ConfigError(
      `requirement failed: inter.broker.listener.name must be a listener name defined in advertised.listeners. The valid options based on currently configured listeners are ${names.join(",")}`,
    );
  }
  return chosen;
}

/**
 * The effective retention.ms default from the log.retention.{ms,minutes,hours} synonyms, as Kafka
 * picks it (KafkaConfig.logRetentionTimeMillis): any negative value means -1, keep forever.
 */
export function defaultRetentionMs(config: BrokerConfig): number {
  const ms = config.values.get("log.retention.ms");
  const minutes = config.values.get("log.retention.minutes");
  const chosen =
    typeof ms === "number"
      ? ms
      : typeof minutes === "number"
        ? minutes * 60_000
        : config.int("log.retention.hours") * HOUR_MS;
  return chosen < 0 ? -1 : chosen;
}

/** The effective segment.ms default from log.roll.{ms,hours}. */
export function defaultSegmentMs(config: BrokerConfig): number {
  const ms = config.values.get("log.roll.ms");
  return typeof ms === "number" ? ms : config.int("log.roll.hours") * HOUR_MS;
}

/** Properties of the single-node setup that `brook server start` uses when no file is given. */
export const SINGLE_NODE_PROPERTIES: ReadonlyMap<string, string> = new Map([
  ["node.id", "1"],
  ["process.roles", "broker,controller"],
  ["listeners", "PLAINTEXT://localhost:9092,CONTROLLER://localhost:9093"],
  ["advertised.listeners", "PLAINTEXT://localhost:9092"],
  ["controller.listener.names", "CONTROLLER"],
  ["controller.quorum.voters", "1@localhost:9093"],
  ["log.dirs", "./brook-data"],
  ["offsets.topic.replication.factor", "1"],
  ["transaction.state.log.replication.factor", "1"],
  ["transaction.state.log.min.isr", "1"],
  // The quickstart serves Confluent's REST Proxy on 8082 too, as Confluent's local quickstart does;
  // a properties file turns it on with rest.proxy.enable (its ports would collide in a cluster).
  ["rest.proxy.enable", "true"],
  ["rest.proxy.listeners", "http://localhost:8082"],
]);

/** Kafka 4.0's GroupCoordinatorConfig checks of the consumer group (KIP-848) heartbeat and session. */
function checkConsumerGroupTimings(v: ReadonlyMap<string, unknown>): void {
  const at = (name: string) => `group.consumer.${name}`;
  const n = (name: string) => v.get(at(name)) as number;
  const check = (ok: boolean, message: string) => {
    if (!ok) throw new ConfigError(message);
  };
  const atLeastOther = (a: string, b: string) =>
    check(n(a) >= n(b), `${at(a)} must be greater than or equal to ${at(b)}`);
  const atMostOther = (a: string, b: string) =>
    check(n(a) <= n(b), `${at(a)} must be less than or equal to ${at(b)}`);
  atLeastOther("max.heartbeat.interval.ms", "min.heartbeat.interval.ms");
  atLeastOther("heartbeat.interval.ms", "min.heartbeat.interval.ms");
  atMostOther("heartbeat.interval.ms", "max.heartbeat.interval.ms");
  atLeastOther("max.session.timeout.ms", "min.session.timeout.ms");
  atLeastOther("session.timeout.ms", "min.session.timeout.ms");
  atMostOther("session.timeout.ms", "max.session.timeout.ms");
  check(
    n("heartbeat.interval.ms") < n("session.timeout.ms"),
    `${at("heartbeat.interval.ms")} must be less than ${at("session.timeout.ms")}`,
  );
}
