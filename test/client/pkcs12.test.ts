import assert from "node:assert/strict";
import { createPrivateKey, X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { Pkcs12Error, readPkcs12 } from "../../src/client/pkcs12.js";
import { STORE_PASSWORD, testCerts } from "../helpers/test-certs.js";

const certs = testCerts();
const fingerprint = (pemOrDer: string | Buffer) => new X509Certificate(pemOrDer).fingerprint256;

test("a key store from openssl pkcs12 -export (AES-256, PBKDF2, SHA-256 MAC) gives its key and chain", () => {
  const store = readPkcs12(readFileSync(certs.serverP12), STORE_PASSWORD);
  assert.deepEqual(
    store.certificates.map((c) => fingerprint(c)).sort(),
    [fingerprint(readFileSync(certs.serverCertPem)), fingerprint(readFileSync(certs.caPem))].sort(),
  );
  assert.equal(store.keys.length, 1);
  const key = createPrivateKey({ key: store.keys[0] as Buffer, format: "der", type: "pkcs8" });
  assert.ok(new X509Certificate(readFileSync(certs.serverCertPem)).checkPrivateKey(key));
});

test("a wrong password fails the MAC check with Java's message", () => {
  assert.throws(
    () => readPkcs12(readFileSync(certs.serverP12), "not-it"),
    (e: unknown) => e instanceof Pkcs12Error && e.message === "keystore password was incorrect",
  );
});

test("trust stores: certificates without a key, in openssl 3's and openssl 1's encryption and in none", () => {
  const ca = fingerprint(readFileSync(certs.caPem));
  for (const file of [certs.truststoreP12, certs.truststore3desP12]) {
    const store = readPkcs12(readFileSync(file), STORE_PASSWORD);
    assert.deepEqual(
      store.certificates.map((c) => fingerprint(c)),
      [ca],
      file,
    );
    assert.equal(store.keys.length, 0);
  }
  const plain = readPkcs12(readFileSync(certs.truststorePlainP12), null);
  assert.deepEqual(
    plain.certificates.map((c) => fingerprint(c)),
    [ca],
  );
});

test("encrypted certificates without a password, and bytes that are not PKCS#12, are refused", () => {
  assert.throws(() => readPkcs12(readFileSync(certs.truststoreP12), null), /password is needed/);
  assert.throws(() => readPkcs12(readFileSync(certs.caPem), "x"), /not a readable PKCS#12 file/);
  assert.throws(() => readPkcs12(Buffer.from([0x30, 0x82, 0xff]), "x"), Pkcs12Error);
});
