import assert from "node:assert/strict";
import { test } from "node:test";
import { ConfigError } from "../../src/base/index.js";
import {
  defaultRetentionMs,
  parseBrokerConfig,
  parseConnectionOverrides,
  SINGLE_NODE_PROPERTIES,
} from "../../src/broker/broker-config.js";
import { topicDefaults } from "../../src/broker/topic-config.js";

const withProps = (extra: Record<string, string>) =>
  parseBrokerConfig(new Map([...SINGLE_NODE_PROPERTIES, ...Object.entries(extra)]));

test("the single-node defaults describe a broker+controller on localhost:9092", () => {
  const config = withProps({});
  assert.equal(config.nodeId, 1);
  assert.deepEqual(config.processRoles, ["broker", "controller"]);
  assert.deepEqual(config.advertisedListeners, [{ name: "PLAINTEXT", host: "localhost", port: 9092 }]);
  assert.deepEqual(config.logDirs, ["./brook-data"]);
  assert.equal(config.int("num.partitions"), 1);
  assert.equal(config.int("offsets.topic.num.partitions"), 50);
  assert.equal(config.int("message.max.bytes"), 1048588);
  assert.deepEqual(config.warnings, []);
});

test("retention synonyms resolve as Kafka's do: ms over minutes over hours", () => {
  assert.equal(defaultRetentionMs(withProps({})), 168 * 3_600_000);
  assert.equal(defaultRetentionMs(withProps({ "log.retention.hours": "1" })), 3_600_000);
  assert.equal(
    defaultRetentionMs(withProps({ "log.retention.hours": "1", "log.retention.minutes": "2" })),
    120_000,
  );
  assert.equal(defaultRetentionMs(withProps({ "log.retention.minutes": "2", "log.retention.ms": "5" })), 5);
  // KafkaConfig.logRetentionTimeMillis: any negative value is -1, keep forever.
  assert.equal(defaultRetentionMs(withProps({ "log.retention.ms": "-5" })), -1);
  assert.equal(topicDefaults(withProps({ "log.retention.hours": "-1" })).retentionMs, -1);
});

test("unknown keys warn; invalid values fail with a message naming the key", () => {
  assert.match(withProps({ "no.such.key": "1" }).warnings[0] ?? "", /no\.such\.key/);
  assert.throws(
    () => withProps({ "num.partitions": "zero" }),
    (e: unknown) => {
      assert.ok(e instanceof ConfigError);
      assert.match(e.message, /num\.partitions/);
      return true;
    },
  );
  assert.throws(() => withProps({ "num.partitions": "0" }), /at least 1/);
  assert.throws(() => withProps({ listeners: "localhost:9092" }), /NAME:\/\/host:port/);
  assert.throws(() => withProps({ "auto.create.topics.enable": "yes" }), /true or false/);
  assert.throws(() => withProps({ "log.cleanup.policy": "delete,shred" }), /shred/);
  assert.throws(() => parseBrokerConfig(new Map([["process.roles", "broker"]])), /node\.id/);
});

test("Kafka 4.0's defaults, validators and messages (KIP-1030 and the rest of the audit)", () => {
  const config = withProps({});
  assert.equal(config.int("log.message.timestamp.after.max.ms"), 3_600_000, "KIP-1030: one hour");
  assert.equal(config.int("num.recovery.threads.per.data.dir"), 2, "KIP-1030");
  assert.equal(config.int("log.segment.bytes"), 1073741824);
  assert.equal(config.values.get("controller.listener.names"), "CONTROLLER");
  assert.equal(
    parseBrokerConfig(new Map([["log.dir", "/tmp/x"]])).values.get("listener.security.protocol.map"),
    "SASL_SSL:SASL_SSL,PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT",
  );
  const refused: [Record<string, string>, string][] = [
    [
      { "log.segment.bytes": "1048575" },
      "Invalid value 1048575 for configuration log.segment.bytes: Value must be at least 1048576",
    ],
    [{ "log.message.timestamp.before.max.ms": "-1" }, "Value must be at least 0"],
    [{ "num.io.threads": "0" }, "Invalid value 0 for configuration num.io.threads: Value must be at least 1"],
    [{ "node.id": "-1" }, "Invalid value -1 for configuration node.id: Value must be at least 0"],
    [{ "transaction.max.timeout.ms": "0" }, "Value must be at least 1"],
    [{ "log.local.retention.ms": "-3" }, "Value must be at least -2"],
    [
      { "compression.zstd.level": "23" },
      "Invalid value 23 for configuration compression.zstd.level: Value must be no more than 22",
    ],
    [
      { "log.cleanup.policy": "delete,shred" },
      "Invalid value shred for configuration log.cleanup.policy: String must be one of: compact, delete",
    ],
    [
      { "process.roles": "broker,voter" },
      "Invalid value voter for configuration process.roles: String must be one of: broker, controller",
    ],
    [
      { "num.partitions": "many" },
      "Invalid value many for configuration num.partitions: Not a number of type INT",
    ],
    [{ "log.retention.bytes": "9223372036854775808" }, "Not a number of type LONG"],
    [{ "transaction.state.log.replication.factor": "32768" }, "Not a number of type SHORT"],
    [
      { "log.preallocate": "yes" },
      "Invalid value yes for configuration log.preallocate: Expected value to be either true or false",
    ],
  ];
  for (const [props, message] of refused) {
    assert.throws(
      () => withProps(props),
      (e: unknown) => e instanceof ConfigError && e.message.includes(message),
      JSON.stringify(props),
    );
  }
  // Kafka has no validator on default.replication.factor: 0 starts, and topic creation refuses it.
  assert.equal(withProps({ "default.replication.factor": "0" }).int("default.replication.factor"), 0);
  // listeners and log.dirs are comma-separated strings in Kafka, split where they are used.
  const dirs = withProps({ "log.dirs": " /a , /b " });
  assert.deepEqual(dirs.logDirs, ["/a", "/b"]);
  assert.equal(dirs.values.get("log.dirs"), "/a , /b", "kept as written, trimmed, as Kafka shows it");
});

test("connection limits and quota windows: Kafka's defaults, validators and cross-checks", () => {
  const config = withProps({});
  assert.equal(config.int("max.connections"), 2147483647);
  assert.equal(config.int("max.connections.per.ip"), 2147483647);
  assert.equal(config.string("max.connections.per.ip.overrides"), "");
  assert.equal(config.int("queued.max.requests"), 500);
  assert.equal(config.int("connections.max.idle.ms"), 600000);
  assert.equal(config.int("quota.window.num"), 11);
  assert.equal(config.int("quota.window.size.seconds"), 1);
  assert.deepEqual(
    [...parseConnectionOverrides("hostName:100, 127.0.0.1:200,::1:3")],
    [
      ["hostName", 100],
      ["127.0.0.1", 200],
      ["::1", 3],
    ],
  );
  const refusals: [Record<string, string>, string][] = [
    [
      { "quota.window.num": "0" },
      "Invalid value 0 for configuration quota.window.num: Value must be at least 1",
    ],
    [
      { "quota.window.size.seconds": "0" },
      "Invalid value 0 for configuration quota.window.size.seconds: Value must be at least 1",
    ],
    [
      { "max.connections.per.ip": "0" },
      "requirement failed: max.connections.per.ip can be set to zero only if max.connections.per.ip.overrides property is set.",
    ],
    [
      { "max.connections.per.ip.overrides": "host:x" },
      "Invalid value host:x for configuration max.connections.per.ip.overrides: Error parsing configuration property 'max.connections.per.ip.overrides': 'host:x' is not host:count",
    ],
    [
      { "max.connections.per.ip.overrides": "bad/host:1" },
      "Invalid value bad/host:1 for configuration max.connections.per.ip.overrides: max.connections.per.ip.overrides contains invalid addresses : bad/host",
    ],
  ];
  for (const [props, message] of refusals) {
    assert.throws(
      () => withProps(props),
      (e: unknown) => e instanceof ConfigError && e.message === message,
      message,
    );
  }
  assert.equal(
    withProps({ "max.connections.per.ip": "0", "max.connections.per.ip.overrides": "127.0.0.1:5" }).int(
      "max.connections.per.ip",
    ),
    0,
  );
});

test("consumer groups (KIP-848): Kafka 4.0's defaults, and the checks across their keys", () => {
  const defaults = withProps({});
  assert.deepEqual(defaults.list("group.coordinator.rebalance.protocols"), ["classic", "consumer"]);
  assert.deepEqual(defaults.list("group.consumer.assignors"), ["uniform", "range"]);
  assert.equal(defaults.int("group.consumer.session.timeout.ms"), 45000);
  assert.equal(defaults.int("group.consumer.heartbeat.interval.ms"), 5000);
  assert.throws(
    () => withProps({ "group.coordinator.rebalance.protocols": "consumer" }),
    /must contain classic/,
  );
  assert.throws(
    () => withProps({ "group.coordinator.rebalance.protocols": "classic,share" }),
    /rebalance\.protocols/,
  );
  assert.throws(() => withProps({ "group.consumer.assignors": "sticky" }), /group\.consumer\.assignors/);
  assert.throws(
    () => withProps({ "group.consumer.heartbeat.interval.ms": "20000" }),
    /group\.consumer\.heartbeat\.interval\.ms must be less than or equal to group\.consumer\.max\.heartbeat\.interval\.ms/,
  );
  assert.throws(
    () => withProps({ "group.consumer.session.timeout.ms": "4000" }),
    /group\.consumer\.session\.timeout\.ms must be greater than or equal to group\.consumer\.min\.session\.timeout\.ms/,
  );
  assert.throws(
    () =>
      withProps({
        "group.consumer.min.session.timeout.ms": "1000",
        "group.consumer.session.timeout.ms": "4000",
        "group.consumer.min.heartbeat.interval.ms": "1000",
        "group.consumer.heartbeat.interval.ms": "4000",
      }),
    /group\.consumer\.heartbeat\.interval\.ms must be less than group\.consumer\.session\.timeout\.ms/,
  );
});

test("authorizer settings: Kafka's class (and its old name) or nothing; super.users must be type:name", () => {
  assert.equal(withProps({}).string("authorizer.class.name"), "");
  for (const name of [
    "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
    "kafka.security.authorizer.AclAuthorizer",
  ]) {
    assert.equal(withProps({ "authorizer.class.name": name }).string("authorizer.class.name"), name);
  }
  assert.throws(
    () => withProps({ "authorizer.class.name": "com.example.OpaAuthorizer" }),
    (e: unknown) =>
      e instanceof ConfigError &&
      e.message.startsWith(
        "Invalid value com.example.OpaAuthorizer for configuration authorizer.class.name: Brook's authorizer is org.apache.kafka.metadata.authorizer.StandardAuthorizer",
      ),
  );
  assert.equal(withProps({ "super.users": "User:admin; User:CN=broker,O=acme" }).warnings.length, 0);
  assert.throws(
    () => withProps({ "super.users": "User:admin;admin" }),
    /Invalid value admin for configuration super.users: expected a string in format principalType:principalName but got admin/,
  );
  // Java's Boolean.parseBoolean: no value is refused, only "true" allows.
  assert.equal(
    withProps({ "allow.everyone.if.no.acl.found": "yes" }).string("allow.everyone.if.no.acl.found"),
    "yes",
  );
});
