import { createSecureContext, type SecureContextOptions } from "node:tls";
import { ConfigError, type ConfigValue } from "../base/index.js";
import {
  type ClientSasl,
  type ClientTls,
  clientTlsOf,
  loadTlsMaterial,
  SSL_DEFAULTS,
  SSL_KEYS,
  type SslSettings,
  type TlsMaterial,
} from "../client/index.js";
import type { ClientAuth, ListenerSasl, ListenerTls } from "../network/index.js";
import { type BrokerConfig, SECURITY_PROTOCOLS, type SecurityProtocol } from "./broker-config.js";
import { type ScramCredentials, saslListener } from "./listener-sasl.js";

/** What one listener's security protocol asks of the broker. */
export interface ListenerSecurity {
  readonly name: string;
  readonly protocol: SecurityProtocol;
  /** SSL: what the listener serves with (its key store, trust store, ssl.client.auth); else null. */
  readonly server: ListenerTls | null;
  /**
   * SSL: what this broker's own connections to that listener on other brokers use (replica
   * fetchers, forwarding to the controller, transaction markers): the same key store as its
   * client certificate, the same trust store, ssl.endpoint.identification.algorithm; else null.
   */
  readonly client: ClientTls | null;
  /** SSL: the subject of the listener's certificate, for the start-up log. */
  readonly certificate: string | null;
  /** SASL_*: the mechanisms the listener serves and how each authenticates; else null. */
  readonly sasl: ListenerSasl | null;
  /**
   * SASL_*: what this broker's own connections to that listener send (sasl.mechanism.inter.broker.protocol
   * with the JAAS entry's username and password); null without them, or on other listeners.
   */
  readonly clientSasl: ClientSasl | null;
}

/** SecurityProtocol.id, what broker registrations carry. */
export function securityProtocolId(protocol: SecurityProtocol): number {
  return SECURITY_PROTOCOLS.indexOf(protocol);
}

/**
 * Every listener's security, its key material loaded and checked, before anything starts: a
 * listener the broker cannot serve as configured is a ConfigError (the CLI's exit code 2), never
 * a listener served as something else. `scram` gives SCRAM users' credentials (the metadata image).
 */
export function listenerSecurity(
  config: BrokerConfig,
  scram: ScramCredentials = () => null,
): Map<string, ListenerSecurity> {
  const out = new Map<string, ListenerSecurity>();
  for (const [name, protocol] of config.listenerSecurityProtocols) {
    const none = { sasl: null, clientSasl: null };
    const tls =
      protocol === "SSL" || protocol === "SASL_SSL"
        ? sslListener(config, name)
        : { server: null, client: null, certificate: null };
    if (protocol === "SASL_PLAINTEXT" || protocol === "SASL_SSL") {
      const sasl = saslListener(config, name, scram);
      out.set(name, { name, protocol, ...tls, sasl: sasl.server, clientSasl: sasl.client });
    } else {
      out.set(name, { name, protocol, ...tls, ...none });
    }
  }
  const interBroker = out.get(config.interBrokerListenerName);
  if (interBroker?.sasl != null && interBroker.clientSasl === null) {
    const prefix = interBroker.name.toLowerCase();
    throw new ConfigError(
      `The inter-broker listener ${interBroker.name} is ${interBroker.protocol}: set sasl.mechanism.inter.broker.protocol ` +
        `to one of its mechanisms (${interBroker.sasl.enabledMechanisms.join(", ")}) and give its JAAS entry ` +
        `(listener.name.${prefix}.<mechanism>.sasl.jaas.config) username and password`,
    );
  }
  return out;
}

/** Whether Brook's connections to an endpoint of this protocol (SecurityProtocol.id) speak TLS. */
export function isTlsProtocolId(id: number): boolean {
  return id === securityProtocolId("SSL") || id === securityProtocolId("SASL_SSL");
}

/**
 * TLS for Brook's connections to an SSL endpoint of a listener this broker does not have itself
 * (brokers of one cluster normally share listener names): the global ssl.* settings; null when
 * they cannot be loaded (the connection then uses Node's defaults and fails as it must).
 */
export function defaultClientTls(config: BrokerConfig): ClientTls | null {
  try {
    const settings = sslSettingsOf(config, null);
    return clientTlsOf(loadTlsMaterial(settings), settings);
  } catch {
    return null;
  }
}

function sslListener(
  config: BrokerConfig,
  name: string,
): Pick<ListenerSecurity, "server" | "client" | "certificate"> {
  const prefix = name.toLowerCase();
  const where = `the SSL listener ${name}`;
  const settings = sslSettingsOf(config, prefix);
  let material: TlsMaterial;
  try {
    material = loadTlsMaterial(settings);
  } catch (error) {
    if (error instanceof ConfigError) throw new ConfigError(`${where}: ${error.message}`, { cause: error });
    throw error;
  }
  const keyStore = material.keyStore;
  if (keyStore === null) {
    throw new ConfigError(
      `Invalid value null for configuration ${SSL_KEYS.keystoreLocation}: ${where} needs a key store: ` +
        `${SSL_KEYS.keystoreLocation} (with ${SSL_KEYS.keystoreType}=PEM, or PKCS12 and ${SSL_KEYS.keystorePassword}), ` +
        `or ${SSL_KEYS.keystoreKey} with ${SSL_KEYS.keystoreCertificateChain}; for this listener alone as listener.name.${prefix}.ssl.*`,
    );
  }
  const context: SecureContextOptions = {
    key: keyStore.key,
    cert: keyStore.chain,
    minVersion: material.minVersion,
    maxVersion: material.maxVersion,
    ...(material.ca === null ? {} : { ca: [...material.ca] }),
    ...(material.ciphers === null ? {} : { ciphers: material.ciphers }),
  };
  try {
    createSecureContext(context);
  } catch (error) {
    throw new ConfigError(
      `${where}: its key store and settings do not make a TLS context: ${(error as Error).message}`,
    );
  }
  return {
    server: { context, clientAuth: setting(config, prefix, "ssl.client.auth") as ClientAuth },
    client: clientTlsOf(material, settings),
    certificate: keyStore.subject,
  };
}

/** A key's value for the listener: `listener.name.<prefix>.<key>` over the global key. */
function setting(config: BrokerConfig, prefix: string | null, key: string): ConfigValue {
  const override = prefix === null ? undefined : config.listenerOverrides.get(prefix)?.get(key);
  return override !== undefined ? override : (config.values.get(key) ?? null);
}

function sslSettingsOf(config: BrokerConfig, prefix: string | null): SslSettings {
  const text = (key: string): string | null => {
    const value = setting(config, prefix, key);
    return value === null || value === "" ? null : String(value);
  };
  const list = (key: string, fallback: readonly string[]): readonly string[] => {
    const value = setting(config, prefix, key);
    return Array.isArray(value) ? value : fallback;
  };
  return {
    keystoreType: text(SSL_KEYS.keystoreType) ?? SSL_DEFAULTS.keystoreType,
    keystoreLocation: text(SSL_KEYS.keystoreLocation),
    keystorePassword: text(SSL_KEYS.keystorePassword),
    keyPassword: text(SSL_KEYS.keyPassword),
    keystoreKey: text(SSL_KEYS.keystoreKey),
    keystoreCertificateChain: text(SSL_KEYS.keystoreCertificateChain),
    truststoreType: text(SSL_KEYS.truststoreType) ?? SSL_DEFAULTS.truststoreType,
    truststoreLocation: text(SSL_KEYS.truststoreLocation),
    truststorePassword: text(SSL_KEYS.truststorePassword),
    truststoreCertificates: text(SSL_KEYS.truststoreCertificates),
    protocol: text(SSL_KEYS.protocol) ?? SSL_DEFAULTS.protocol,
    enabledProtocols: list(SSL_KEYS.enabledProtocols, SSL_DEFAULTS.enabledProtocols),
    cipherSuites: list(SSL_KEYS.cipherSuites, SSL_DEFAULTS.cipherSuites),
    endpointIdentificationAlgorithm: String(
      setting(config, prefix, SSL_KEYS.endpointIdentificationAlgorithm) ?? "",
    ),
  };
}
