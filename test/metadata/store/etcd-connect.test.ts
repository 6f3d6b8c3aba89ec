import assert from "node:assert/strict";
import { test } from "node:test";
import { ConfigError } from "../../../src/base/index.js";
import { parseEtcdConnect } from "../../../src/metadata/store/etcd-connect.js";

test("etcd.connect: endpoints and chroot, Kafka's zookeeper.connect style", () => {
  assert.deepEqual(parseEtcdConnect("etcd1:2379"), { endpoints: ["etcd1:2379"], prefix: "/brook/" });
  assert.deepEqual(parseEtcdConnect(" a.example.com:2379, 10.0.0.2:12379 ,[::1]:2379/prod/brook "), {
    endpoints: ["a.example.com:2379", "10.0.0.2:12379", "[::1]:2379"],
    prefix: "/prod/brook/",
  });
  assert.deepEqual(parseEtcdConnect("h:1/chroot/"), { endpoints: ["h:1"], prefix: "/chroot/" });
  assert.deepEqual(parseEtcdConnect("h:1/"), { endpoints: ["h:1"], prefix: "/" });
  assert.deepEqual(
    parseEtcdConnect("h"),
    { endpoints: ["h:2379"], prefix: "/brook/" },
    "etcd's port by default",
  );
  assert.deepEqual(parseEtcdConnect("[fe80::1]"), { endpoints: ["[fe80::1]:2379"], prefix: "/brook/" });
});

test("etcd.connect: bad values are a ConfigError naming the key and the value", () => {
  for (const bad of [
    "",
    "  ",
    "h:2379,",
    ",h:2379",
    "h:0",
    "h:65536",
    "h:port",
    "h:2379:1",
    "http://h:2379",
    "h_1:2379",
    "-h:2379",
    "[::1",
    "[::1]x",
    "h:1,h:1",
    "h:1/a//b",
    "h:1/a/../b",
    "h:1/a b",
  ]) {
    assert.throws(
      () => parseEtcdConnect(bad),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError, `${bad}: ${String(error)}`);
        assert.match(error.message, /^etcd\.connect: /);
        assert.ok(error.message.includes(`"${bad}"`), error.message);
        return true;
      },
      bad,
    );
  }
  assert.throws(() => parseEtcdConnect("", "my.key"), /^ConfigError: my\.key: /);
});
