import assert from "node:assert/strict";
import { test } from "node:test";
import { ConfigError } from "../../../src/base/index.js";
import {
  parseJaasConfig,
  parsePlainToken,
  plainUsersOf,
  SaslAuthenticationError,
} from "../../../src/protocol/index.js";

test("a broker's PlainLoginModule entry: its own login and the users it accepts", () => {
  const module = parseJaasConfig(
    'org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="admin-secret" ' +
      'user_admin="admin-secret" user_alice="alice;secret=\\"quoted\\"";',
  );
  assert.equal(module.loginModule, "org.apache.kafka.common.security.plain.PlainLoginModule");
  assert.equal(module.controlFlag, "required");
  assert.equal(module.options.get("username"), "admin");
  assert.equal(module.options.get("password"), "admin-secret");
  assert.deepEqual(
    [...plainUsersOf(module)],
    [
      ["admin", "admin-secret"],
      ["alice", 'alice;secret="quoted"'],
    ],
  );
});

test("JAAS syntax as Java reads it: bare values, comments, line breaks", () => {
  const module = parseJaasConfig(`org.apache.kafka.common.security.scram.ScramLoginModule
      sufficient // the client's login
      username=alice /* no quotes needed */ password="alice-secret"
      ;`);
  assert.equal(module.controlFlag, "sufficient");
  assert.equal(module.options.get("username"), "alice");
  assert.equal(module.options.get("password"), "alice-secret");
});

test("malformed entries are ConfigErrors naming the key; Kafka wants exactly one module", () => {
  const key = "listener.name.sasl_plaintext.plain.sasl.jaas.config";
  assert.throws(
    () => parseJaasConfig('x.Module required username="a"', key),
    (e: Error) =>
      e instanceof ConfigError && e.message.includes(key) && e.message.includes("does not end with ';'"),
  );
  assert.throws(
    () => parseJaasConfig('x.Module mandatory username="a";', key),
    /invalid control flag mandatory/,
  );
  assert.throws(() => parseJaasConfig('x.Module required username "a";', key), /has no '='/);
  assert.throws(
    () => parseJaasConfig('x.Module required password="unterminated;', key),
    /unterminated quoted/,
  );
  assert.throws(
    () => parseJaasConfig("a.B required; c.D required;"),
    /JAAS config property contains 2 login modules, should be 1 module/,
  );
  assert.throws(() => parseJaasConfig("  "), /contains 0 login modules/);
});

test("PLAIN tokens are split as Kafka's PlainSaslServer splits them, with its messages", () => {
  const token = (text: string) => Buffer.from(text, "utf8");
  assert.deepEqual(parsePlainToken(token("\u0000alice\u0000pw")), {
    authorizationId: "",
    username: "alice",
    password: "pw",
  });
  assert.equal(parsePlainToken(token("alice\u0000alice\u0000pw")).username, "alice");
  const refused = (text: string, message: string) =>
    assert.throws(
      () => parsePlainToken(token(text)),
      (e: Error) => e instanceof SaslAuthenticationError && e.message === message,
    );
  refused("alice\u0000pw", "Invalid SASL/PLAIN response: expected 3 tokens, got 2");
  refused("\u0000\u0000pw", "Authentication failed: username not specified");
  refused("\u0000alice\u0000", "Authentication failed: password not specified");
  refused(
    "bob\u0000alice\u0000pw",
    "Authentication failed: Client requested an authorization id that is different from username",
  );
});
