import type { SecureVersion } from "node:tls";
import { ConfigError, invalidValueMessage } from "../base/index.js";
import { opensslCipherList } from "./cipher-suites.js";
import type { ClientTls } from "./client-tls.js";
import { type KeyStoreMaterial, loadKeyStore, loadTrustStore, type StoreSettings } from "./ssl-stores.js";

/**
 * Kafka's `ssl.*` settings (SslConfigs), shared by its clients and brokers, by meaning. The broker
 * reads them per listener (`listener.name.<name>.ssl.*` over the global keys); client tools from
 * their properties files.
 */
export interface SslSettings extends StoreSettings {
  /** `ssl.protocol`: the most recent protocol a client offers (TLS: no cap). */
  readonly protocol: string;
  readonly enabledProtocols: readonly string[];
  /** Empty: Node's default suites. */
  readonly cipherSuites: readonly string[];
  /** `https` (Kafka's default): clients check the broker's host name against its certificate; empty: they do not. */
  readonly endpointIdentificationAlgorithm: string;
}

/** Kafka's key of each setting. */
export const SSL_KEYS: { readonly [K in keyof SslSettings]: string } = {
  keystoreType: "ssl.keystore.type",
  keystoreLocation: "ssl.keystore.location",
  keystorePassword: "ssl.keystore.password",
  keyPassword: "ssl.key.password",
  keystoreKey: "ssl.keystore.key",
  keystoreCertificateChain: "ssl.keystore.certificate.chain",
  truststoreType: "ssl.truststore.type",
  truststoreLocation: "ssl.truststore.location",
  truststorePassword: "ssl.truststore.password",
  truststoreCertificates: "ssl.truststore.certificates",
  protocol: "ssl.protocol",
  enabledProtocols: "ssl.enabled.protocols",
  cipherSuites: "ssl.cipher.suites",
  endpointIdentificationAlgorithm: "ssl.endpoint.identification.algorithm",
};

/** Kafka's defaults (JKS is the default store type there too; a PKCS#12 file under it is read, as Java does). */
export const SSL_DEFAULTS: SslSettings = {
  keystoreType: "JKS",
  keystoreLocation: null,
  keystorePassword: null,
  keyPassword: null,
  keystoreKey: null,
  keystoreCertificateChain: null,
  truststoreType: "JKS",
  truststoreLocation: null,
  truststorePassword: null,
  truststoreCertificates: null,
  protocol: "TLSv1.3",
  enabledProtocols: ["TLSv1.2", "TLSv1.3"],
  cipherSuites: [],
  endpointIdentificationAlgorithm: "https",
};

/**
 * Kafka's `ssl.*` keys that Brook reads but does not act on (Java's JCA plumbing): accepted without
 * a warning, as Kafka's default values are what Node does anyway.
 */
export const SSL_KEYS_WITHOUT_EFFECT: readonly string[] = [
  "ssl.provider",
  "ssl.keymanager.algorithm",
  "ssl.trustmanager.algorithm",
  "ssl.secure.random.implementation",
  "ssl.engine.factory.class",
];

/** The settings a client's properties give (`ssl.*` keys as Kafka's clients read them). */
export function sslSettingsFromProperties(props: ReadonlyMap<string, string>): SslSettings {
  const text = (key: string) => {
    const value = props.get(key);
    return value === undefined || value === "" ? null : value;
  };
  const list = (key: string, fallback: readonly string[]) => {
    const value = props.get(key);
    if (value === undefined) return fallback;
    return value.trim() === "" ? [] : value.split(",").map((s) => s.trim());
  };
  return {
    keystoreType: text(SSL_KEYS.keystoreType)?.trim() ?? SSL_DEFAULTS.keystoreType,
    keystoreLocation: text(SSL_KEYS.keystoreLocation)?.trim() ?? null,
    keystorePassword: text(SSL_KEYS.keystorePassword),
    keyPassword: text(SSL_KEYS.keyPassword),
    keystoreKey: text(SSL_KEYS.keystoreKey),
    keystoreCertificateChain: text(SSL_KEYS.keystoreCertificateChain),
    truststoreType: text(SSL_KEYS.truststoreType)?.trim() ?? SSL_DEFAULTS.truststoreType,
    truststoreLocation: text(SSL_KEYS.truststoreLocation)?.trim() ?? null,
    truststorePassword: text(SSL_KEYS.truststorePassword),
    truststoreCertificates: text(SSL_KEYS.truststoreCertificates),
    protocol: text(SSL_KEYS.protocol)?.trim() ?? SSL_DEFAULTS.protocol,
    enabledProtocols: list(SSL_KEYS.enabledProtocols, SSL_DEFAULTS.enabledProtocols),
    cipherSuites: list(SSL_KEYS.cipherSuites, SSL_DEFAULTS.cipherSuites),
    endpointIdentificationAlgorithm:
      props.get(SSL_KEYS.endpointIdentificationAlgorithm)?.trim() ??
      SSL_DEFAULTS.endpointIdentificationAlgorithm,
  };
}

/** What Node's tls needs, loaded from the stores the settings name. */
export interface TlsMaterial {
  /** The private key and its certificate chain, or null without a key store. */
  readonly keyStore: KeyStoreMaterial | null;
  /** Trusted certificates (PEM); null: Node's bundled roots (Java's default is its cacerts). */
  readonly ca: readonly string[] | null;
  /** The protocols `ssl.enabled.protocols` allows. */
  readonly minVersion: SecureVersion;
  readonly maxVersion: SecureVersion;
  /** The newest protocol a client offers (`ssl.protocol` caps it). */
  readonly clientMaxVersion: SecureVersion;
  /** Node's cipher list; null: its default. */
  readonly ciphers: string | null;
}

const VERSIONS: readonly SecureVersion[] = ["TLSv1.2", "TLSv1.3"];

/**
 * Loads the key store and trust store and checks the protocol and cipher settings. Throws
 * ConfigError with Kafka's messages (DefaultSslEngineFactory's for store combinations).
 */
export function loadTlsMaterial(settings: SslSettings): TlsMaterial {
  const versions = tlsVersions(settings);
  const algorithm = settings.endpointIdentificationAlgorithm.toLowerCase();
  if (algorithm !== "" && algorithm !== "https" && algorithm !== "ldaps") {
    throw new ConfigError(
      invalidValueMessage(
        SSL_KEYS.endpointIdentificationAlgorithm,
        settings.endpointIdentificationAlgorithm,
        "Brook supports https (check the broker's host name against its certificate) and an empty value (do not)",
      ),
    );
  }
  let ciphers: string | null = null;
  if (settings.cipherSuites.length > 0) {
    const list = opensslCipherList(settings.cipherSuites);
    if ("unknown" in list) {
      throw new ConfigError(
        invalidValueMessage(
          SSL_KEYS.cipherSuites,
          settings.cipherSuites.join(","),
          `Unsupported CipherSuite: ${list.unknown}`,
        ),
      );
    }
    ciphers = list.ciphers;
  }
  return {
    keyStore: loadKeyStore(settings),
    ca: loadTrustStore(settings),
    ...versions,
    ciphers,
  };
}

function tlsVersions(
  settings: SslSettings,
): Pick<TlsMaterial, "minVersion" | "maxVersion" | "clientMaxVersion"> {
  const enabled =
    settings.enabledProtocols.length === 0 ? SSL_DEFAULTS.enabledProtocols : settings.enabledProtocols;
  for (const protocol of enabled) {
    if (!VERSIONS.includes(protocol as SecureVersion)) {
      throw new ConfigError(
        invalidValueMessage(
          SSL_KEYS.enabledProtocols,
          enabled.join(","),
          `${protocol} is not supported: Brook speaks TLSv1.2 and TLSv1.3`,
        ),
      );
    }
  }
  const indexes = enabled.map((p) => VERSIONS.indexOf(p as SecureVersion));
  const min = Math.min(...indexes);
  const max = Math.max(...indexes);
  let cap = VERSIONS.length - 1;
  if (settings.protocol !== "TLS") {
    cap = VERSIONS.indexOf(settings.protocol as SecureVersion);
    if (cap < 0) {
      throw new ConfigError(
        invalidValueMessage(SSL_KEYS.protocol, settings.protocol, "Brook supports TLSv1.3, TLSv1.2 and TLS"),
      );
    }
  }
  if (cap < min) {
    throw new ConfigError(
      `${SSL_KEYS.protocol}=${settings.protocol} allows none of ${SSL_KEYS.enabledProtocols}=${enabled.join(",")}`,
    );
  }
  return {
    minVersion: VERSIONS[min] as SecureVersion,
    maxVersion: VERSIONS[max] as SecureVersion,
    clientMaxVersion: VERSIONS[Math.min(max, cap)] as SecureVersion,
  };
}

/** The client side of the settings: what Brook's client connections (tools, inter-broker) use. */
export function clientTlsOf(material: TlsMaterial, settings: SslSettings): ClientTls {
  const tls: ClientTls = {
    minVersion: material.minVersion,
    maxVersion: material.clientMaxVersion,
    verifyHostname: settings.endpointIdentificationAlgorithm !== "",
  };
  if (material.ca !== null) tls.ca = material.ca;
  if (material.keyStore !== null) {
    tls.key = material.keyStore.key;
    tls.cert = material.keyStore.chain;
  }
  if (material.ciphers !== null) tls.ciphers = material.ciphers;
  return tls;
}
