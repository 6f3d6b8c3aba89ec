import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * A test CA and certificates made with `openssl`, as an operator would make them (the README's
 * commands): EC P-256 keys (fast), valid for two days, in a temporary directory removed when the
 * process exits. `server` names localhost and 127.0.0.1; `client` is signed by the same CA;
 * `rogue` by another CA, which the broker does not trust.
 */
export interface TestCerts {
  readonly dir: string;
  /** The CA's certificate (PEM): what clients and the broker trust. */
  readonly caPem: string;
  /** The other CA's certificate, which signs `rogue`. */
  readonly otherCaPem: string;
  /** Key, certificate and CA chain in one PEM file: ssl.keystore.type=PEM's ssl.keystore.location. */
  readonly serverKeystorePem: string;
  readonly serverCertPem: string;
  readonly serverKeyPem: string;
  /** The server key, PKCS#8 encrypted with KEY_PASSWORD. */
  readonly serverEncryptedKeyPem: string;
  /** Server key and chain in PKCS#12 (openssl's defaults: AES-256, PBKDF2, SHA-256 MAC), STORE_PASSWORD. */
  readonly serverP12: string;
  /** The CA alone in PKCS#12 (a trust store), STORE_PASSWORD. */
  readonly truststoreP12: string;
  /** The same with OpenSSL 1's encryption (PKCS#12's SHA-1/3DES scheme, SHA-1 MAC). */
  readonly truststore3desP12: string;
  /** The same without encryption or MAC (a password-less trust store). */
  readonly truststorePlainP12: string;
  readonly clientCertPem: string;
  readonly clientKeyPem: string;
  readonly clientKeystorePem: string;
  readonly rogueCertPem: string;
  readonly rogueKeyPem: string;
}

export const STORE_PASSWORD = "store-secret";
export const KEY_PASSWORD = "key-secret";

let made: TestCerts | null = null;

/** The certificates, made once per test process. */
export function testCerts(): TestCerts {
  if (made !== null) return made;
  const dir = mkdtempSync(join(tmpdir(), "brook-certs-"));
  process.on("exit", () => rmSync(dir, { recursive: true, force: true }));
  const path = (name: string) => join(dir, name);
  const openssl = (...args: string[]) =>
    execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  const ca = (name: string, subject: string) =>
    openssl(
      "req",
      "-x509",
      ...ec,
      "-keyout",
      `${name}.key`,
      "-out",
      `${name}.pem`,
      "-days",
      "2",
      "-subj",
      subject,
    );
  const signed = (name: string, subject: string, issuer: string, extensions: string) => {
    openssl("req", ...ec, "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", subject);
    writeFileSync(path(`${name}.ext`), extensions);
    openssl(
      "x509",
      "-req",
      "-in",
      `${name}.csr`,
      "-CA",
      `${issuer}.pem`,
      "-CAkey",
      `${issuer}.key`,
      "-CAcreateserial",
      "-out",
      `${name}.pem`,
      "-days",
      "2",
      "-extfile",
      `${name}.ext`,
    );
  };
  ca("ca", "/CN=Brook Test CA");
  ca("other-ca", "/CN=Some Other CA");
  signed(
    "server",
    "/CN=localhost",
    "ca",
    "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n",
  );
  signed("client", "/C=US/O=Acme, Inc./CN=client", "ca", "extendedKeyUsage=clientAuth\n");
  signed("rogue", "/CN=rogue", "other-ca", "extendedKeyUsage=clientAuth\n");
  const read = (name: string) => readFileSync(path(name), "utf8");
  writeFileSync(path("server-keystore.pem"), read("server.key") + read("server.pem") + read("ca.pem"));
  writeFileSync(path("client-keystore.pem"), read("client.key") + read("client.pem"));
  openssl(
    "pkcs8",
    "-topk8",
    "-in",
    "server.key",
    "-out",
    "server-encrypted.key",
    "-v2",
    "aes-256-cbc",
    "-passout",
    `pass:${KEY_PASSWORD}`,
  );
  const pass = `pass:${STORE_PASSWORD}`;
  openssl(
    "pkcs12",
    "-export",
    "-in",
    "server.pem",
    "-inkey",
    "server.key",
    "-certfile",
    "ca.pem",
    "-out",
    "server.p12",
    "-passout",
    pass,
  );
  openssl("pkcs12", "-export", "-nokeys", "-in", "ca.pem", "-out", "truststore.p12", "-passout", pass);
  openssl(
    "pkcs12",
    "-export",
    "-nokeys",
    "-in",
    "ca.pem",
    "-out",
    "truststore-3des.p12",
    "-passout",
    pass,
    "-certpbe",
    "PBE-SHA1-3DES",
    "-keypbe",
    "PBE-SHA1-3DES",
    "-macalg",
    "sha1",
  );
  openssl(
    "pkcs12",
    "-export",
    "-nokeys",
    "-in",
    "ca.pem",
    "-out",
    "truststore-plain.p12",
    "-passout",
    "pass:",
    "-certpbe",
    "NONE",
    "-nomac",
  );
  made = {
    dir,
    caPem: path("ca.pem"),
    otherCaPem: path("other-ca.pem"),
    serverKeystorePem: path("server-keystore.pem"),
    serverCertPem: path("server.pem"),
    serverKeyPem: path("server.key"),
    serverEncryptedKeyPem: path("server-encrypted.key"),
    serverP12: path("server.p12"),
    truststoreP12: path("truststore.p12"),
    truststore3desP12: path("truststore-3des.p12"),
    truststorePlainP12: path("truststore-plain.p12"),
    clientCertPem: path("client.pem"),
    clientKeyPem: path("client.key"),
    clientKeystorePem: path("client-keystore.pem"),
    rogueCertPem: path("rogue.pem"),
    rogueKeyPem: path("rogue.key"),
  };
  return made;
}
