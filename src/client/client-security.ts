import { ConfigError } from "../base/index.js";
import { parseJaasConfig } from "../protocol/index.js";
import { CLIENT_SASL_MECHANISMS, type ClientSasl } from "./client-sasl.js";
import type { ClientTls } from "./client-tls.js";
import {
  clientTlsOf,
  loadTlsMaterial,
  SSL_KEYS,
  SSL_KEYS_WITHOUT_EFFECT,
  sslSettingsFromProperties,
} from "./ssl-settings.js";

const SECURITY_PROTOCOL = "security.protocol";
const SASL_MECHANISM = "sasl.mechanism";
const SASL_JAAS_CONFIG = "sasl.jaas.config";
const PROTOCOLS = ["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"];

/** The security keys of Kafka's clients that Brook's clients read (security.protocol, ssl.*, sasl.*). */
export const CLIENT_SECURITY_KEYS: ReadonlySet<string> = new Set([
  SECURITY_PROTOCOL,
  SASL_MECHANISM,
  SASL_JAAS_CONFIG,
  ...Object.values(SSL_KEYS),
  ...SSL_KEYS_WITHOUT_EFFECT,
]);

/** A client's TLS and SASL as client options (no key for what is not used). */
export function clientSecurityOptions(security: Pick<ClientSecurity, "ssl" | "sasl"> | undefined): {
  ssl?: ClientTls;
  sasl?: ClientSasl;
} {
  return {
    ...(security?.ssl === undefined ? {} : { ssl: security.ssl }),
    ...(security?.sasl === undefined ? {} : { sasl: security.sasl }),
  };
}

export interface ClientSecurity {
  /** TLS for every connection (security.protocol=SSL or SASL_SSL), or undefined. */
  ssl: ClientTls | undefined;
  /** SASL for every connection (security.protocol=SASL_PLAINTEXT or SASL_SSL), or undefined. */
  sasl: ClientSasl | undefined;
  /** Keys given that the protocol does not use (ssl.* with PLAINTEXT), for a warning. */
  unused: string[];
}

/**
 * A client's security from its Kafka properties (a tool's --command-config, --producer.config,
 * --consumer.config...; the REST Proxy's `rest.proxy.client.*`): `security.protocol` PLAINTEXT (Kafka's default), SSL with Kafka's
 * `ssl.*` keys (key stores read as the broker reads them), SASL_PLAINTEXT or SASL_SSL with
 * `sasl.mechanism` and the username and password of `sasl.jaas.config`'s PlainLoginModule or
 * ScramLoginModule. Problems are thrown as `fail(message)`.
 */
export function clientSecurityFrom(
  props: ReadonlyMap<string, string>,
  fail: (message: string) => Error,
): ClientSecurity {
  const given = props.get(SECURITY_PROTOCOL);
  const protocol = (given ?? "PLAINTEXT").trim().toUpperCase();
  if (!PROTOCOLS.includes(protocol)) {
    throw fail(
      `Invalid value ${given} for configuration ${SECURITY_PROTOCOL}: String must be one of: ${PROTOCOLS.join(", ")}`,
    );
  }
  const sasl = protocol.startsWith("SASL_") ? saslFrom(props, fail) : undefined;
  const tls = protocol === "SSL" || protocol === "SASL_SSL";
  const unused = [...props.keys()].filter(
    (k) =>
      k !== SECURITY_PROTOCOL &&
      CLIENT_SECURITY_KEYS.has(k) &&
      (k.startsWith("sasl.") ? sasl === undefined : !tls),
  );
  if (!tls) return { ssl: undefined, sasl, unused };
  const settings = sslSettingsFromProperties(props);
  try {
    return { ssl: clientTlsOf(loadTlsMaterial(settings), settings), sasl, unused };
  } catch (error) {
    if (error instanceof ConfigError) throw fail(error.message);
    throw error;
  }
}

function saslFrom(props: ReadonlyMap<string, string>, fail: (message: string) => Error): ClientSasl {
  // Kafka's clients default to GSSAPI, which Brook's do not speak: say so rather than try it.
  const mechanism = (props.get(SASL_MECHANISM) ?? "GSSAPI").trim().toUpperCase();
  if (!(CLIENT_SASL_MECHANISMS as readonly string[]).includes(mechanism)) {
    throw fail(
      `${SASL_MECHANISM}=${mechanism} is not supported by Brook's clients (${CLIENT_SASL_MECHANISMS.join(", ")} are; Kafka's default is GSSAPI)`,
    );
  }
  const jaas = props.get(SASL_JAAS_CONFIG);
  if (jaas === undefined || jaas.trim() === "") {
    throw fail(
      `${SASL_JAAS_CONFIG} is not set: the ${mechanism} login needs it, e.g. ` +
        `${SASL_JAAS_CONFIG}=org.apache.kafka.common.security.plain.PlainLoginModule required username="alice" password="alice-secret";`,
    );
  }
  let options: ReadonlyMap<string, string>;
  try {
    options = parseJaasConfig(jaas, SASL_JAAS_CONFIG).options;
  } catch (error) {
    if (error instanceof ConfigError) throw fail(error.message);
    throw error;
  }
  const username = options.get("username");
  const password = options.get("password");
  if (username === undefined || password === undefined) {
    throw fail(`${SASL_JAAS_CONFIG} must set username and password for ${mechanism}`);
  }
  return { mechanism: mechanism as ClientSasl["mechanism"], username, password };
}
