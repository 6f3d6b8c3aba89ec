import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { ConfigError } from "../../src/base/index.js";
import { parseBrokerConfig, SINGLE_NODE_PROPERTIES } from "../../src/broker/broker-config.js";
import { listenerSecurity, securityProtocolId } from "../../src/broker/listener-security.js";
import { KEY_PASSWORD, STORE_PASSWORD, testCerts } from "../helpers/test-certs.js";

const certs = testCerts();
const config = (extra: Record<string, string>) =>
  parseBrokerConfig(new Map([...SINGLE_NODE_PROPERTIES, ...Object.entries(extra)]));
/** PLAINTEXT and SSL beside the controller, as an operator adds TLS to the single-node setup. */
const WITH_SSL = {
  listeners: "PLAINTEXT://localhost:9092,SSL://localhost:9094,CONTROLLER://localhost:9093",
  "advertised.listeners": "PLAINTEXT://localhost:9092,SSL://localhost:9094",
  "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,SSL:SSL,CONTROLLER:PLAINTEXT",
};
const PEM_KEYSTORE = { "ssl.keystore.type": "PEM", "ssl.keystore.location": certs.serverKeystorePem };

function refused(action: () => unknown, text: string | RegExp): void {
  assert.throws(action, (e: unknown) => {
    assert.ok(e instanceof ConfigError, String(e));
    if (typeof text === "string")
      assert.ok(e.message.includes(text), `"${e.message}" should include "${text}"`);
    else assert.match(e.message, text);
    return true;
  });
}

test("without TLS every listener is PLAINTEXT, the controller's included, as before", () => {
  const c = config({});
  assert.deepEqual(
    [...c.listenerSecurityProtocols],
    [
      ["PLAINTEXT", "PLAINTEXT"],
      ["CONTROLLER", "PLAINTEXT"],
    ],
  );
  assert.equal(c.interBrokerListenerName, "PLAINTEXT");
  const security = listenerSecurity(c);
  assert.equal(security.get("PLAINTEXT")?.server, null);
  assert.equal(securityProtocolId("PLAINTEXT"), 0);
  assert.equal(securityProtocolId("SSL"), 1);
});

test("listener.security.protocol.map applies per listener name; the default map stops covering the controller once SSL is in use", () => {
  const c = config({ ...WITH_SSL, ...PEM_KEYSTORE });
  assert.equal(c.listenerSecurityProtocols.get("SSL"), "SSL");
  assert.equal(c.listenerSecurityProtocols.get("CONTROLLER"), "PLAINTEXT");
  // A listener named anything may be SSL.
  const renamed = config({
    listeners: "EXTERNAL://localhost:9094,CONTROLLER://localhost:9093",
    "advertised.listeners": "EXTERNAL://localhost:9094",
    "listener.security.protocol.map": "EXTERNAL:ssl,CONTROLLER:PLAINTEXT",
    ...PEM_KEYSTORE,
  });
  assert.equal(renamed.listenerSecurityProtocols.get("EXTERNAL"), "SSL");
  assert.equal(renamed.interBrokerListenerName, "EXTERNAL");
  // Kafka's KRaft default: without an explicit map, a listener named SSL makes the map strict.
  refused(
    () => config({ listeners: WITH_SSL.listeners, "advertised.listeners": WITH_SSL["advertised.listeners"] }),
    "No security protocol defined for listener CONTROLLER",
  );
  refused(
    () =>
      config({
        ...WITH_SSL,
        "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,SSL:TLS,CONTROLLER:PLAINTEXT",
      }),
    "Invalid security protocol `TLS` defined in listener.security.protocol.map",
  );
});

test("an SSL listener serves its key store; ssl.client.auth and the trust store go with it", () => {
  const c = config({
    ...WITH_SSL,
    ...PEM_KEYSTORE,
    "ssl.truststore.type": "PEM",
    "ssl.truststore.location": certs.caPem,
    "ssl.client.auth": "required",
  });
  const ssl = listenerSecurity(c).get("SSL");
  assert.equal(ssl?.protocol, "SSL");
  assert.equal(ssl?.server?.clientAuth, "required");
  assert.ok(String(ssl?.server?.context.cert).includes("BEGIN CERTIFICATE"));
  assert.equal((ssl?.server?.context.ca as string[] | undefined)?.length, 1);
  assert.match(ssl?.certificate ?? "", /CN=localhost/);
  // The broker's own connections to SSL listeners present the same certificate and check names.
  assert.equal(ssl?.client?.verifyHostname, true);
  assert.ok(ssl?.client?.cert !== undefined && ssl.client.key !== undefined);
  assert.equal(listenerSecurity(c).get("PLAINTEXT")?.server, null);
  refused(
    () => config({ ...WITH_SSL, "ssl.client.auth": "always" }),
    "Invalid value always for configuration ssl.client.auth: String must be one of: required, requested, none",
  );
});

test("an SSL listener without a key store refuses to start, naming the keys it needs", () => {
  refused(
    () => listenerSecurity(config(WITH_SSL)),
    /Invalid value null for configuration ssl\.keystore\.location: the SSL listener SSL needs a key store.*listener\.name\.ssl\.ssl\.\*/,
  );
  refused(
    () =>
      listenerSecurity(
        config({
          ...WITH_SSL,
          "ssl.keystore.type": "PKCS12",
          "ssl.keystore.location": certs.serverP12,
          "ssl.keystore.password": "wrong",
        }),
      ),
    "the SSL listener SSL: Failed to load SSL keystore",
  );
});

const SASL = {
  listeners: "PLAINTEXT://localhost:9092,SASL_PLAINTEXT://localhost:9095,CONTROLLER://localhost:9093",
  "advertised.listeners": "PLAINTEXT://localhost:9092,SASL_PLAINTEXT://localhost:9095",
  "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT,CONTROLLER:PLAINTEXT",
};
const PLAIN_JAAS =
  'org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="admin-secret" user_admin="admin-secret" user_alice="alice-secret";';

test("a SASL_PLAINTEXT listener: its mechanisms and PLAIN users from the listener's JAAS entry", () => {
  const security = listenerSecurity(
    config({
      ...SASL,
      "listener.name.sasl_plaintext.sasl.enabled.mechanisms": "PLAIN,SCRAM-SHA-512",
      "listener.name.sasl_plaintext.plain.sasl.jaas.config": PLAIN_JAAS,
    }),
  );
  const sasl = security.get("SASL_PLAINTEXT")?.sasl;
  assert.ok(sasl);
  assert.deepEqual(sasl.enabledMechanisms, ["PLAIN", "SCRAM-SHA-512"]);
  assert.equal(security.get("SASL_PLAINTEXT")?.server, null, "no TLS on SASL_PLAINTEXT");
  assert.equal(security.get("PLAINTEXT")?.sasl, null);
  const plain = sasl.createServer("PLAIN");
  plain.evaluate(Buffer.from("\u0000alice\u0000alice-secret"));
  assert.equal(plain.username, "alice");
  assert.throws(
    () => sasl.createServer("PLAIN").evaluate(Buffer.from("\u0000alice\u0000admin-secret")),
    /Authentication failed: Invalid username or password/,
  );
});

test("SASL listeners Brook cannot serve refuse to start, saying why", () => {
  refused(
    () => listenerSecurity(config(SASL)),
    "SASL mechanism GSSAPI in sasl.enabled.mechanisms is not supported by Brook",
  );
  refused(
    () => listenerSecurity(config({ ...SASL, "sasl.enabled.mechanisms": "PLAIN,OAUTHBEARER" })),
    "SASL mechanism OAUTHBEARER",
  );
  refused(
    () => listenerSecurity(config({ ...SASL, "sasl.enabled.mechanisms": "PLAIN" })),
    "PLAIN is enabled but no JAAS configuration names its users: set listener.name.sasl_plaintext.plain.sasl.jaas.config=",
  );
  refused(
    () =>
      listenerSecurity(
        config({
          ...SASL,
          "sasl.enabled.mechanisms": "PLAIN",
          "listener.name.sasl_plaintext.plain.sasl.jaas.config": 'a.B required user_x="y"',
        }),
      ),
    "Invalid value for configuration listener.name.sasl_plaintext.plain.sasl.jaas.config",
  );
  // SASL_SSL needs a key store like SSL.
  refused(
    () =>
      listenerSecurity(
        config({
          ...SASL,
          "listener.security.protocol.map":
            "PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_SSL,CONTROLLER:PLAINTEXT",
          "sasl.enabled.mechanisms": "PLAIN",
          "plain.sasl.jaas.config": PLAIN_JAAS,
        }),
      ),
    "needs a key store",
  );
});

test("an inter-broker SASL listener needs sasl.mechanism.inter.broker.protocol and the JAAS login", () => {
  const interBroker = {
    ...SASL,
    "inter.broker.listener.name": "SASL_PLAINTEXT",
    "sasl.enabled.mechanisms": "PLAIN",
  };
  refused(
    () => listenerSecurity(config({ ...interBroker, "plain.sasl.jaas.config": PLAIN_JAAS })),
    "The inter-broker listener SASL_PLAINTEXT is SASL_PLAINTEXT: set sasl.mechanism.inter.broker.protocol",
  );
  const security = listenerSecurity(
    config({
      ...interBroker,
      "sasl.mechanism.inter.broker.protocol": "PLAIN",
      "listener.name.sasl_plaintext.plain.sasl.jaas.config": PLAIN_JAAS,
    }),
  );
  assert.deepEqual(security.get("SASL_PLAINTEXT")?.clientSasl, {
    mechanism: "PLAIN",
    username: "admin",
    password: "admin-secret",
  });
});

test("listener.name.<name>.ssl.* overrides the global keys for that listener; the name is lower case", () => {
  const twoSslListeners = {
    listeners:
      "PLAINTEXT://localhost:9092,INTERNAL://localhost:9095,EXTERNAL://localhost:9094,CONTROLLER://localhost:9093",
    "advertised.listeners": "PLAINTEXT://localhost:9092,INTERNAL://localhost:9095,EXTERNAL://localhost:9094",
    "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,INTERNAL:SSL,EXTERNAL:SSL,CONTROLLER:PLAINTEXT",
    // The global key store is PKCS12; EXTERNAL has its own, in PEM, and asks for client certificates.
    "ssl.keystore.type": "PKCS12",
    "ssl.keystore.location": certs.serverP12,
    "ssl.keystore.password": STORE_PASSWORD,
    "listener.name.external.ssl.keystore.type": "PEM",
    "listener.name.external.ssl.keystore.password": "",
    "listener.name.external.ssl.client.auth": "requested",
  };
  const c = config({
    ...twoSslListeners,
    "listener.name.external.ssl.keystore.location": "",
    "listener.name.external.ssl.keystore.key": readFileSync(certs.serverEncryptedKeyPem, "utf8"),
    "listener.name.external.ssl.keystore.certificate.chain": readFileSync(certs.serverCertPem, "utf8"),
    "listener.name.external.ssl.key.password": KEY_PASSWORD,
  });
  assert.deepEqual(c.warnings, []);
  assert.equal(c.listenerOverrides.get("external")?.get("ssl.client.auth"), "requested");
  const security = listenerSecurity(c);
  assert.equal(security.get("INTERNAL")?.server?.clientAuth, "none");
  assert.equal(security.get("EXTERNAL")?.server?.clientAuth, "requested");
  assert.ok(security.get("INTERNAL")?.server?.context.key !== undefined);
  // Without its key password, EXTERNAL's encrypted key cannot be read, whatever the global keys say.
  refused(
    () =>
      listenerSecurity(
        config({
          ...twoSslListeners,
          "listener.name.external.ssl.keystore.location": "",
          "listener.name.external.ssl.keystore.key": readFileSync(certs.serverEncryptedKeyPem, "utf8"),
          "listener.name.external.ssl.keystore.certificate.chain": readFileSync(certs.serverCertPem, "utf8"),
        }),
      ),
    "the SSL listener EXTERNAL: Invalid PEM keystore configs: the private key is encrypted, but ssl.key.password is not specified",
  );
  // Kafka reads listener prefixes in lower case only: an upper-case one is a warning, and ignored.
  const upper = config({ ...WITH_SSL, "listener.name.SSL.ssl.keystore.location": certs.serverKeystorePem });
  assert.match(
    upper.warnings.join("\n"),
    /listener\.name\.SSL\.ssl\.keystore\.location.*lower case \(listener\.name\.ssl\.ssl\.keystore\.location\)/,
  );
  refused(() => listenerSecurity(upper), "needs a key store");
  assert.match(
    config({ "listener.name.nope.ssl.client.auth": "required" }).warnings.join("\n"),
    /listener\.name\.nope\.\* settings name no listener/,
  );
  refused(
    () => config({ ...WITH_SSL, "listener.name.ssl.ssl.client.auth": "maybe" }),
    "Invalid value maybe for configuration listener.name.ssl.ssl.client.auth",
  );
});

test("the inter-broker listener: inter.broker.listener.name or security.inter.broker.protocol, advertised, not both", () => {
  assert.equal(
    config({ ...WITH_SSL, ...PEM_KEYSTORE, "inter.broker.listener.name": "ssl" }).interBrokerListenerName,
    "SSL",
  );
  assert.equal(
    config({ ...WITH_SSL, ...PEM_KEYSTORE, "security.inter.broker.protocol": "SSL" }).interBrokerListenerName,
    "SSL",
  );
  refused(
    () =>
      config({ ...WITH_SSL, "inter.broker.listener.name": "SSL", "security.inter.broker.protocol": "SSL" }),
    "Only one of inter.broker.listener.name and security.inter.broker.protocol should be set.",
  );
  refused(
    () => config({ "inter.broker.listener.name": "INTERNAL" }),
    "inter.broker.listener.name must be a listener name defined in advertised.listeners. The valid options based on currently configured listeners are PLAINTEXT",
  );
  refused(
    () => config({ "security.inter.broker.protocol": "TLS" }),
    "Invalid value TLS for configuration security.inter.broker.protocol",
  );
});
