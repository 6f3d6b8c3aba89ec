import { createPrivateKey, type KeyObject, X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import { ConfigError } from "../base/index.js";
import { Pkcs12Error, readPkcs12 } from "./pkcs12.js";

/** The key and trust store settings (Kafka's `ssl.keystore.*`, `ssl.key.password`, `ssl.truststore.*`). */
export interface StoreSettings {
  readonly keystoreType: string;
  readonly keystoreLocation: string | null;
  readonly keystorePassword: string | null;
  readonly keyPassword: string | null;
  /** PEM private key given inline (`ssl.keystore.key`, KIP-651). */
  readonly keystoreKey: string | null;
  readonly keystoreCertificateChain: string | null;
  readonly truststoreType: string;
  readonly truststoreLocation: string | null;
  readonly truststorePassword: string | null;
  readonly truststoreCertificates: string | null;
}

/** A key store's private key (PEM PKCS#8, decrypted) and its certificate chain (PEM, leaf first). */
export interface KeyStoreMaterial {
  readonly key: string;
  readonly chain: string;
  /** The leaf certificate's subject, for log lines. */
  readonly subject: string;
}

const PEM = "PEM";
const PKCS12 = "PKCS12";
const JKS = "JKS";
const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g;

/**
 * The key store the settings name, with DefaultSslEngineFactory's rules and messages for which
 * keys go together (KIP-651's inline PEM, a PEM file, a PKCS#12 file with its password), or null
 * when there is none. JKS files are refused with how to convert them: Java's own format has no
 * reader in Node.
 */
export function loadKeyStore(s: StoreSettings): KeyStoreMaterial | null {
  const type = s.keystoreType.toUpperCase();
  const path = s.keystoreLocation;
  const password = s.keystorePassword;
  if (s.keystoreKey !== null) {
    if (type !== PEM)
      fail(`SSL private key can be specified only for PEM, but key store type is ${s.keystoreType}.`);
    if (s.keystoreCertificateChain === null)
      fail("SSL private key is specified, but certificate chain is not specified.");
    if (path !== null) fail("Both SSL key store location and separate private key are specified.");
    if (password !== null)
      fail("SSL key store password cannot be specified with PEM format, only key password may be specified.");
    return pemKeyStore(
      s.keystoreCertificateChain,
      s.keystoreKey,
      s.keyPassword,
      "Invalid PEM keystore configs",
    );
  }
  if (s.keystoreCertificateChain !== null)
    fail("SSL certificate chain is specified, but private key is not specified");
  if (type === PEM && path !== null) {
    if (password !== null)
      fail("SSL key store password cannot be specified with PEM format, only key password may be specified");
    const text = readStore(path, "keystore", PEM).toString("utf8");
    return pemKeyStore(text, text, s.keyPassword, `Failed to load PEM SSL keystore ${path}`);
  }
  if (path === null && password !== null)
    fail("SSL key store is not specified, but key store password is specified.");
  if (path !== null && password === null)
    fail("SSL key store is specified, but key store password is not specified.");
  if (path === null || password === null) return null;
  const bytes = readStore(path, "keystore", s.keystoreType);
  checkBinaryStoreType(bytes, path, "keystore", s.keystoreType);
  const context = `Failed to load SSL keystore ${path} of type ${s.keystoreType}`;
  const contents = openPkcs12(bytes, password, s.keyPassword, context);
  const certificates = contents.certificates.map((der) => new X509Certificate(der));
  const keyDer = contents.keys[0];
  if (keyDer === undefined) fail(`${context}: it holds no private key`);
  const key = createPrivateKey({ key: keyDer, format: "der", type: "pkcs8" });
  const leaf = certificates.find((c) => c.checkPrivateKey(key));
  if (leaf === undefined) fail(`${context}: no certificate in it matches its private key`);
  return material(key, [leaf, ...certificates.filter((c) => c !== leaf)]);
}

/** The trusted certificates (PEM) the settings name, or null for the default roots. */
export function loadTrustStore(s: StoreSettings): string[] | null {
  const type = s.truststoreType.toUpperCase();
  const path = s.truststoreLocation;
  const password = s.truststorePassword;
  if (s.truststoreCertificates !== null) {
    if (type !== PEM)
      fail(
        `SSL trust store certs can be specified only for PEM, but trust store type is ${s.truststoreType}.`,
      );
    if (path !== null) fail("Both SSL trust store location and separate trust certificates are specified.");
    if (password !== null) fail("SSL trust store password cannot be specified for PEM format.");
    return pemCertificates(s.truststoreCertificates, "Invalid PEM truststore configs").map(String);
  }
  if (type === PEM && path !== null) {
    if (password !== null) fail("SSL trust store password cannot be specified for PEM format.");
    const text = readStore(path, "truststore", PEM).toString("utf8");
    return pemCertificates(text, `Failed to load PEM SSL truststore ${path}`).map(String);
  }
  if (path === null && password !== null)
    fail("SSL trust store is not specified, but trust store password is specified.");
  if (path === null) return null;
  const bytes = readStore(path, "truststore", s.truststoreType);
  checkBinaryStoreType(bytes, path, "truststore", s.truststoreType);
  const context = `Failed to load SSL truststore ${path} of type ${s.truststoreType}`;
  const certificates = openPkcs12(bytes, password, null, context).certificates;
  if (certificates.length === 0) fail(`${context}: it holds no certificates`);
  return certificates.map((der) => new X509Certificate(der).toString());
}

function fail(message: string): never {
  throw new ConfigError(message);
}

function readStore(path: string, what: string, type: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    return fail(`Failed to load SSL ${what} ${path} of type ${type}: ${(error as Error).message}`);
  }
}

/**
 * Java reads a PKCS#12 file whatever type is named (keystore.type.compat); what it cannot be is
 * Java's own JKS/JCEKS format, or text.
 */
function checkBinaryStoreType(bytes: Buffer, path: string, what: string, type: string): void {
  const upper = type.toUpperCase();
  if (upper !== JKS && upper !== PKCS12) {
    fail(
      `Failed to load SSL ${what} ${path} of type ${type}: Brook reads PEM and PKCS12 stores (and JKS names a PKCS12 file, as Java allows)`,
    );
  }
  const magic = bytes.length >= 4 ? bytes.readUInt32BE(0) : 0;
  if (magic === 0xfeedfeed || magic === 0xcececece) {
    const key = what === "keystore" ? "ssl.keystore" : "ssl.truststore";
    fail(
      `SSL ${what} ${path} is a Java ${magic === 0xfeedfeed ? "JKS" : "JCEKS"} key store, which Brook cannot read: ` +
        `convert it to PKCS12 (keytool -importkeystore -srckeystore ${path} -destkeystore ${path}.p12 -deststoretype PKCS12) ` +
        `and set ${key}.location to the new file and ${key}.type=PKCS12, or use PEM (${key}.type=PEM)`,
    );
  }
  if (bytes.subarray(0, 64).toString("latin1").includes("-----BEGIN")) {
    const key = what === "keystore" ? "ssl.keystore.type" : "ssl.truststore.type";
    fail(`Failed to load SSL ${what} ${path} of type ${type}: the file is PEM text: set ${key}=PEM`);
  }
}

function openPkcs12(bytes: Buffer, password: string | null, keyPassword: string | null, context: string) {
  try {
    return readPkcs12(bytes, password, keyPassword);
  } catch (error) {
    if (error instanceof Pkcs12Error) fail(`${context}: ${error.message}`);
    throw error;
  }
}

/** Kafka's PemStore: one private key (PKCS#8, encrypted with ssl.key.password or not) and a chain. */
function pemKeyStore(
  chainPem: string,
  keyPem: string,
  keyPassword: string | null,
  context: string,
): KeyStoreMaterial {
  const keys = pemBlocks(keyPem).filter((b) => b.label.endsWith("PRIVATE KEY"));
  if (keys.length === 0) fail(`${context}: No matching PRIVATE KEY entries in PEM file`);
  if (keys.length !== 1) fail(`${context}: Expected one private key, but found ${keys.length}`);
  const block = keys[0] as { label: string; text: string };
  const encrypted = block.label === "ENCRYPTED PRIVATE KEY" || block.text.includes("ENCRYPTED");
  if (encrypted && keyPassword === null) {
    fail(`${context}: the private key is encrypted, but ssl.key.password is not specified`);
  }
  let key: KeyObject;
  try {
    key = createPrivateKey({
      key: block.text,
      format: "pem",
      ...(keyPassword === null ? {} : { passphrase: keyPassword }),
    });
  } catch (error) {
    const why = encrypted ? "is ssl.key.password right?" : (error as Error).message;
    return fail(`${context}: Private key could not be loaded (${why})`);
  }
  const chain = pemCertificates(chainPem, context);
  const leaf = chain[0] as X509Certificate;
  if (!leaf.checkPrivateKey(key)) {
    fail(
      `${context}: the private key does not belong to the first certificate of the chain (${oneLine(leaf.subject)})`,
    );
  }
  return material(key, chain);
}

function pemCertificates(pem: string, context: string): X509Certificate[] {
  const blocks = pemBlocks(pem).filter((b) => b.label === "CERTIFICATE" || b.label === "TRUSTED CERTIFICATE");
  if (blocks.length === 0) fail(`${context}: No matching CERTIFICATE entries in PEM file`);
  return blocks.map((block, i) => {
    try {
      return new X509Certificate(block.text);
    } catch (error) {
      return fail(`${context}: certificate ${i + 1} cannot be read (${(error as Error).message})`);
    }
  });
}

/**
 * The PEM blocks of a text, each re-wrapped as OpenSSL reads PEM: a value written in a properties
 * file over continued lines (`\` at each line's end, as Kafka's documentation shows inline PEM)
 * arrives as one line with spaces, which Java's parser takes and OpenSSL's does not.
 */
function pemBlocks(pem: string): { label: string; text: string }[] {
  return [...pem.matchAll(PEM_BLOCK)].map((m) => {
    const label = m[1] as string;
    const body = m[0].slice(`-----BEGIN ${label}-----`.length, -`-----END ${label}-----`.length);
    // Encryption headers (Proc-Type, DEK-Info) need their lines: leave such a block as it is.
    if (body.includes(":")) return { label, text: m[0] };
    const base64 = body.replace(/\s+/g, "");
    const lines = base64.match(/.{1,64}/g) ?? [];
    return { label, text: `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n` };
  });
}

function material(key: KeyObject, chain: readonly X509Certificate[]): KeyStoreMaterial {
  return {
    key: key.export({ type: "pkcs8", format: "pem" }) as string,
    chain: chain.map((c) => c.toString()).join(""),
    subject: oneLine((chain[0] as X509Certificate).subject),
  };
}

function oneLine(subject: string): string {
  return subject.split("\n").join(", ");
}
