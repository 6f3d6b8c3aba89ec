import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { ConfigError } from "../../src/base/index.js";
import {
  clientTlsOf,
  loadTlsMaterial,
  type SslSettings,
  sslSettingsFromProperties,
} from "../../src/client/index.js";
import { KEY_PASSWORD, STORE_PASSWORD, testCerts } from "../helpers/test-certs.js";

const certs = testCerts();
const settings = (props: Record<string, string>): SslSettings =>
  sslSettingsFromProperties(new Map(Object.entries(props)));
const load = (props: Record<string, string>) => loadTlsMaterial(settings(props));
const fingerprint = (pem: string) => new X509Certificate(pem).fingerprint256;
const serverFingerprint = fingerprint(readFileSync(certs.serverCertPem, "utf8"));

/** Asserts a ConfigError whose message includes `text`. */
function refused(props: Record<string, string>, text: string): void {
  assert.throws(
    () => load(props),
    (e: unknown) => {
      assert.ok(e instanceof ConfigError, String(e));
      assert.ok(e.message.includes(text), `"${e.message}" should include "${text}"`);
      return true;
    },
  );
}

test("without stores: no key, Node's root CAs, TLS 1.2 to 1.3, host names checked", () => {
  const material = load({});
  assert.equal(material.keyStore, null);
  assert.equal(material.ca, null);
  assert.equal(material.minVersion, "TLSv1.2");
  assert.equal(material.maxVersion, "TLSv1.3");
  const tls = clientTlsOf(material, settings({}));
  assert.equal(tls.verifyHostname, true);
  assert.equal(tls.key, undefined);
});

test("PEM key stores: one file with key and chain, inline key and chain, an encrypted key", () => {
  const file = load({ "ssl.keystore.type": "PEM", "ssl.keystore.location": certs.serverKeystorePem });
  assert.equal(fingerprint(file.keyStore?.chain ?? ""), serverFingerprint, "the leaf comes first");
  assert.match(file.keyStore?.subject ?? "", /CN=localhost/);
  const inline = load({
    "ssl.keystore.type": "PEM",
    "ssl.keystore.key": readFileSync(certs.serverKeyPem, "utf8"),
    "ssl.keystore.certificate.chain": readFileSync(certs.serverCertPem, "utf8"),
  });
  assert.equal(inline.keyStore?.key, file.keyStore?.key);
  const encrypted = {
    "ssl.keystore.type": "PEM",
    "ssl.keystore.key": readFileSync(certs.serverEncryptedKeyPem, "utf8"),
    "ssl.keystore.certificate.chain": readFileSync(certs.serverCertPem, "utf8"),
  };
  assert.equal(load({ ...encrypted, "ssl.key.password": KEY_PASSWORD }).keyStore?.key, file.keyStore?.key);
  refused(encrypted, "the private key is encrypted, but ssl.key.password is not specified");
  refused({ ...encrypted, "ssl.key.password": "wrong" }, "Private key could not be loaded");
});

test("Kafka's rules for which key store settings go together, with its messages", () => {
  const key = readFileSync(certs.serverKeyPem, "utf8");
  const chain = readFileSync(certs.serverCertPem, "utf8");
  refused(
    { "ssl.keystore.type": "PKCS12", "ssl.keystore.key": key, "ssl.keystore.certificate.chain": chain },
    "SSL private key can be specified only for PEM, but key store type is PKCS12.",
  );
  refused(
    { "ssl.keystore.type": "PEM", "ssl.keystore.key": key },
    "SSL private key is specified, but certificate chain is not specified.",
  );
  refused(
    { "ssl.keystore.certificate.chain": chain },
    "SSL certificate chain is specified, but private key is not specified",
  );
  refused(
    {
      "ssl.keystore.type": "PEM",
      "ssl.keystore.location": certs.serverKeystorePem,
      "ssl.keystore.password": "x",
    },
    "SSL key store password cannot be specified with PEM format",
  );
  refused(
    { "ssl.keystore.type": "PKCS12", "ssl.keystore.location": certs.serverP12 },
    "SSL key store is specified, but key store password is not specified.",
  );
  refused(
    { "ssl.keystore.password": "x" },
    "SSL key store is not specified, but key store password is specified.",
  );
  refused(
    { "ssl.truststore.type": "PEM", "ssl.truststore.location": certs.caPem, "ssl.truststore.password": "x" },
    "SSL trust store password cannot be specified for PEM format.",
  );
  // A key that is not the chain's: the handshake would fail later with a worse message.
  refused(
    {
      "ssl.keystore.type": "PEM",
      "ssl.keystore.key": readFileSync(certs.clientKeyPem, "utf8"),
      "ssl.keystore.certificate.chain": chain,
    },
    "the private key does not belong to the first certificate of the chain (CN=localhost)",
  );
});

test("PKCS12 stores, under PKCS12 or Kafka's default type JKS (which Java reads PKCS12 under)", () => {
  for (const type of ["PKCS12", "JKS"]) {
    const material = load({
      "ssl.keystore.type": type,
      "ssl.keystore.location": certs.serverP12,
      "ssl.keystore.password": STORE_PASSWORD,
      "ssl.truststore.type": type,
      "ssl.truststore.location": certs.truststoreP12,
      "ssl.truststore.password": STORE_PASSWORD,
    });
    assert.equal(fingerprint(material.keyStore?.chain ?? ""), serverFingerprint);
    assert.deepEqual(material.ca?.map(fingerprint), [fingerprint(readFileSync(certs.caPem, "utf8"))]);
  }
  refused(
    {
      "ssl.keystore.type": "PKCS12",
      "ssl.keystore.location": certs.serverP12,
      "ssl.keystore.password": "wrong",
    },
    `Failed to load SSL keystore ${certs.serverP12} of type PKCS12: keystore password was incorrect`,
  );
  refused(
    {
      "ssl.keystore.type": "PKCS12",
      "ssl.keystore.location": join(certs.dir, "missing.p12"),
      "ssl.keystore.password": "x",
    },
    "Failed to load SSL keystore",
  );
});

test("a Java JKS file is refused with how to convert it; PEM text under a binary type says to set PEM", () => {
  const jks = join(certs.dir, "server.jks");
  writeFileSync(jks, Buffer.from([0xfe, 0xed, 0xfe, 0xed, 0, 0, 0, 2]));
  refused({ "ssl.keystore.location": jks, "ssl.keystore.password": "x" }, "keytool -importkeystore");
  refused({ "ssl.truststore.location": jks, "ssl.truststore.password": "x" }, "ssl.truststore.type=PKCS12");
  refused({ "ssl.truststore.location": certs.caPem }, "the file is PEM text: set ssl.truststore.type=PEM");
  refused(
    { "ssl.keystore.type": "BCFKS", "ssl.keystore.location": certs.serverP12, "ssl.keystore.password": "x" },
    "Brook reads PEM and PKCS12 stores",
  );
});

test("PEM trust stores: a file or inline certificates", () => {
  const ca = fingerprint(readFileSync(certs.caPem, "utf8"));
  assert.deepEqual(
    load({ "ssl.truststore.type": "PEM", "ssl.truststore.location": certs.caPem }).ca?.map(fingerprint),
    [ca],
  );
  assert.deepEqual(
    load({
      "ssl.truststore.type": "PEM",
      "ssl.truststore.certificates": readFileSync(certs.caPem, "utf8"),
    }).ca?.map(fingerprint),
    [ca],
  );
  refused(
    { "ssl.truststore.type": "PEM", "ssl.truststore.certificates": "nothing" },
    "No matching CERTIFICATE entries in PEM file",
  );
});

test("a PEM value from a properties file's continued lines (one line, spaces) is read", () => {
  const oneLine = (path: string) => readFileSync(path, "utf8").trim().split("\n").join(" ");
  const material = load({
    "ssl.keystore.type": "PEM",
    "ssl.keystore.key": oneLine(certs.serverKeyPem),
    "ssl.keystore.certificate.chain": oneLine(certs.serverCertPem),
    "ssl.truststore.type": "PEM",
    "ssl.truststore.certificates": oneLine(certs.caPem),
  });
  assert.equal(fingerprint(material.keyStore?.chain ?? ""), serverFingerprint);
  assert.equal(material.ca?.length, 1);
});

test("protocols, ssl.protocol's cap on what a client offers, cipher names and host name checks", () => {
  refused({ "ssl.enabled.protocols": "TLSv1.1,TLSv1.2" }, "TLSv1.1 is not supported");
  refused({ "ssl.protocol": "SSLv3" }, "Invalid value SSLv3 for configuration ssl.protocol");
  const capped = load({ "ssl.protocol": "TLSv1.2" });
  assert.equal(capped.maxVersion, "TLSv1.3", "a listener still accepts what ssl.enabled.protocols allows");
  assert.equal(capped.clientMaxVersion, "TLSv1.2");
  assert.equal(load({ "ssl.enabled.protocols": "TLSv1.3" }).minVersion, "TLSv1.3");
  refused(
    { "ssl.protocol": "TLSv1.2", "ssl.enabled.protocols": "TLSv1.3" },
    "allows none of ssl.enabled.protocols=TLSv1.3",
  );
  assert.equal(
    load({ "ssl.cipher.suites": "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,TLS_AES_128_GCM_SHA256" }).ciphers,
    "ECDHE-ECDSA-AES128-GCM-SHA256:TLS_AES_128_GCM_SHA256",
  );
  refused({ "ssl.cipher.suites": "TLS_NO_SUCH_SUITE" }, "Unsupported CipherSuite: TLS_NO_SUCH_SUITE");
  assert.equal(
    clientTlsOf(load({}), settings({ "ssl.endpoint.identification.algorithm": "" })).verifyHostname,
    false,
  );
  refused({ "ssl.endpoint.identification.algorithm": "dns" }, "ssl.endpoint.identification.algorithm");
});
