import assert from "node:assert/strict";
import { test } from "node:test";
import { ConfigError } from "../../src/base/index.js";
import {
  defaultRetentionMs,
  parseBrokerConfig,
  SINGLE_NODE_PROPERTIES,
} from "../../src/broker/broker-config.js";

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
