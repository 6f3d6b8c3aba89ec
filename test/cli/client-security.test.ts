import assert from "node:assert/strict";
import { test } from "node:test";
import { clientSecurityFrom } from "../../src/client/index.js";

const fail = (message: string) => new Error(message);
const read = (props: Record<string, string>) => clientSecurityFrom(new Map(Object.entries(props)), fail);
const SCRAM_JAAS =
  'org.apache.kafka.common.security.scram.ScramLoginModule required username="carol" password="carol-secret";';

test("SASL_PLAINTEXT with sasl.mechanism and sasl.jaas.config: the login, no TLS", () => {
  const security = read({
    "security.protocol": "sasl_plaintext",
    "sasl.mechanism": "SCRAM-SHA-512",
    "sasl.jaas.config": SCRAM_JAAS,
  });
  assert.deepEqual(security, {
    ssl: undefined,
    sasl: { mechanism: "SCRAM-SHA-512", username: "carol", password: "carol-secret" },
    unused: [],
  });
});

test("sasl.* keys with PLAINTEXT are unused (a warning), not an error", () => {
  const security = read({ "sasl.mechanism": "PLAIN", "sasl.jaas.config": SCRAM_JAAS });
  assert.equal(security.sasl, undefined);
  assert.deepEqual(security.unused, ["sasl.mechanism", "sasl.jaas.config"]);
});

test("what Brook's clients cannot log in with is refused, saying why", () => {
  assert.throws(
    () => read({ "security.protocol": "SASL_PLAINTEXT", "sasl.jaas.config": SCRAM_JAAS }),
    /sasl\.mechanism=GSSAPI is not supported by Brook's clients \(PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 are; Kafka's default is GSSAPI\)/,
  );
  assert.throws(
    () => read({ "security.protocol": "SASL_PLAINTEXT", "sasl.mechanism": "OAUTHBEARER" }),
    /sasl\.mechanism=OAUTHBEARER is not supported/,
  );
  assert.throws(
    () => read({ "security.protocol": "SASL_PLAINTEXT", "sasl.mechanism": "PLAIN" }),
    /sasl\.jaas\.config is not set: the PLAIN login needs it/,
  );
  assert.throws(
    () =>
      read({
        "security.protocol": "SASL_PLAINTEXT",
        "sasl.mechanism": "PLAIN",
        "sasl.jaas.config": 'org.apache.kafka.common.security.plain.PlainLoginModule required username="x";',
      }),
    /sasl\.jaas\.config must set username and password for PLAIN/,
  );
  assert.throws(
    () => read({ "security.protocol": "SASL_PLAINTEXT", "sasl.mechanism": "PLAIN", "sasl.jaas.config": "x" }),
    /invalid JAAS configuration/,
  );
});
