import type { ConnectionOptions, SecureVersion } from "node:tls";

/**
 * TLS for Brook's client connections (Kafka's `security.protocol=SSL`). The material is PEM, as
 * Node's tls takes it; `sslSettings`/`loadTlsMaterial` (ssl-settings.ts) read it from Kafka's
 * `ssl.*` properties and key stores.
 */
export interface ClientTls {
  /** Certificates of the CAs to trust; default Node's bundled roots (as Java's default is its cacerts). */
  ca?: string | Buffer | readonly (string | Buffer)[];
  /** The client's certificate chain (leaf first) for mutual TLS (`ssl.client.auth` on the broker). */
  cert?: string | Buffer;
  key?: string | Buffer;
  /** Of an encrypted `key`. */
  passphrase?: string;
  /** Refuse a broker whose certificate does not verify against `ca`; default true. */
  rejectUnauthorized?: boolean;
  /**
   * Also check that the certificate names the host connected to (Kafka's
   * `ssl.endpoint.identification.algorithm=https`, its default); default true.
   */
  verifyHostname?: boolean;
  /** SNI name; default the host connected to, unless it is an IP address. */
  servername?: string;
  minVersion?: SecureVersion;
  maxVersion?: SecureVersion;
  /** OpenSSL cipher list; default Node's. */
  ciphers?: string;
}

/** Node's options for `tls.connect` to `host:port` with `tls`. */
export function tlsConnectOptions(host: string, port: number, tls: ClientTls): ConnectionOptions {
  const options: ConnectionOptions = { host, port, rejectUnauthorized: tls.rejectUnauthorized !== false };
  if (tls.ca !== undefined) options.ca = tls.ca as string | Buffer | (string | Buffer)[];
  if (tls.cert !== undefined) options.cert = tls.cert;
  if (tls.key !== undefined) options.key = tls.key;
  if (tls.passphrase !== undefined) options.passphrase = tls.passphrase;
  if (tls.servername !== undefined) options.servername = tls.servername;
  if (tls.minVersion !== undefined) options.minVersion = tls.minVersion;
  if (tls.maxVersion !== undefined) options.maxVersion = tls.maxVersion;
  if (tls.ciphers !== undefined) options.ciphers = tls.ciphers;
  // The chain is still verified; only the name check goes, as with an empty identification algorithm.
  if (tls.verifyHostname === false) options.checkServerIdentity = () => undefined;
  return options;
}

/**
 * Whether an error ended a TLS handshake for a reason that another attempt would meet again (the
 * broker's certificate does not verify, or it refused ours), rather than the network's: Kafka's
 * clients fail such a connection with SslAuthenticationException instead of retrying.
 */
export function isTlsAuthenticationError(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  if (typeof code !== "string") return false;
  if (code.startsWith("ERR_SSL_") || code === "ERR_TLS_CERT_ALTNAME_INVALID") return true;
  // OpenSSL's certificate verification results, as Node names them.
  return CERTIFICATE_ERRORS.has(code);
}

const CERTIFICATE_ERRORS = new Set([
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_CRL",
  "UNABLE_TO_DECRYPT_CERT_SIGNATURE",
  "UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY",
  "CERT_SIGNATURE_FAILURE",
  "CERT_NOT_YET_VALID",
  "CERT_HAS_EXPIRED",
  "ERROR_IN_CERT_NOT_BEFORE_FIELD",
  "ERROR_IN_CERT_NOT_AFTER_FIELD",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "CERT_CHAIN_TOO_LONG",
  "CERT_REVOKED",
  "INVALID_CA",
  "PATH_LENGTH_EXCEEDED",
  "INVALID_PURPOSE",
  "CERT_UNTRUSTED",
  "CERT_REJECTED",
  "HOSTNAME_MISMATCH",
]);
