import assert from "node:assert/strict";
import { test } from "node:test";
import { javaHostAddress } from "../../src/network/index.js";

test("client addresses as Java's getHostAddress prints them, which ACL hosts are compared with", () => {
  assert.equal(javaHostAddress("127.0.0.1"), "127.0.0.1");
  assert.equal(javaHostAddress("::ffff:10.0.0.7"), "10.0.0.7", "an IPv4 client of a dual-stack listener");
  assert.equal(javaHostAddress("::1"), "0:0:0:0:0:0:0:1");
  assert.equal(javaHostAddress("fe80::1%eth0"), "fe80:0:0:0:0:0:0:1%eth0");
  assert.equal(javaHostAddress("2001:DB8:0:0:8:800:200C:417A"), "2001:db8:0:0:8:800:200c:417a");
  assert.equal(javaHostAddress("::"), "0:0:0:0:0:0:0:0");
  assert.equal(javaHostAddress("64:ff9b::192.0.2.33"), "64:ff9b:0:0:0:0:c000:221");
  assert.equal(javaHostAddress(undefined), "");
});
