import assert from "node:assert/strict";
import { test } from "node:test";
import { ConfigError } from "../../src/base/index.js";
import { parseBrokerConfig, SINGLE_NODE_PROPERTIES } from "../../src/broker/index.js";
import { planRestProxy } from "../../src/server/rest-proxy-host.js";
import { testCerts } from "../helpers/test-certs.js";

/**
 * Which of its node's listeners the REST Proxy's clients use, and how they log in
 * (`rest.proxy.client.*`, kafka-rest's `client.*` keys), decided before anything starts.
 */

const certs = testCerts();
const plan = (extra: Record<string, string>) =>
  planRestProxy(
    parseBrokerConfig(
      new Map([
        ...SINGLE_NODE_PROPERTIES,
        ["rest.proxy.enable", "true"],
        ["rest.proxy.listeners", "http://127.0.0.1:0"],
        ["ssl.keystore.type", "PEM"],
        ["ssl.keystore.location", certs.serverKeystorePem],
        ...Object.entries(extra),
      ]),
    ),
  );
const TWO_LISTENERS = {
  listeners: "PLAINTEXT://127.0.0.1:0,SSL://127.0.0.1:0,CONTROLLER://127.0.0.1:0",
  "advertised.listeners": "PLAINTEXT://127.0.0.1:0,SSL://127.0.0.1:0",
  "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,SSL:SSL,CONTROLLER:PLAINTEXT",
};

test("by default the proxy is a PLAINTEXT client, without TLS or SASL", () => {
  const p = plan(TWO_LISTENERS);
  assert.equal(p?.listenerName, "PLAINTEXT");
  assert.equal(p?.security.ssl, undefined);
  assert.equal(p?.security.sasl, undefined);
});

test("security.protocol=SSL picks the SSL listener and trusts what ssl.truststore.* names", () => {
  const p = plan({
    ...TWO_LISTENERS,
    "rest.proxy.client.security.protocol": "ssl",
    "rest.proxy.client.ssl.truststore.type": "PEM",
    "rest.proxy.client.ssl.truststore.location": certs.caPem,
  });
  assert.equal(p?.listenerName, "SSL");
  assert.ok(p?.security.ssl !== undefined, "TLS material loaded");
  assert.equal(p?.security.sasl, undefined);
});

test("bad client settings stop the start with the key in the message", () => {
  assert.throws(
    () => plan({ ...TWO_LISTENERS, "rest.proxy.client.security.protocol": "SASL_PLAINTEXT" }),
    (e: Error) =>
      e instanceof ConfigError &&
      /needs a SASL_PLAINTEXT listener in advertised\.listeners/.test(e.message) &&
      /PLAINTEXT \(PLAINTEXT\), SSL \(SSL\)/.test(e.message),
  );
  assert.throws(
    () =>
      plan({
        ...TWO_LISTENERS,
        "rest.proxy.client.security.protocol": "SSL",
        "rest.proxy.client.ssl.truststore.type": "PEM",
        "rest.proxy.client.ssl.truststore.location": "/nonexistent/ca.pem",
      }),
    (e: Error) =>
      e instanceof ConfigError && /REST Proxy clients \(rest\.proxy\.client\.\*\)/.test(e.message),
  );
  assert.throws(
    () => plan({ ...TWO_LISTENERS, "rest.proxy.client.security.protocol": "TLS" }),
    /Invalid value TLS for configuration rest\.proxy\.client\.security\.protocol/,
  );
});
