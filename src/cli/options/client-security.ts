import { ConfigError } from "../../base/index.js";
import {
  type ClientTls,
  clientTlsOf,
  loadTlsMaterial,
  SSL_KEYS,
  SSL_KEYS_WITHOUT_EFFECT,
  sslSettingsFromProperties,
} from "../../client/index.js";

const SECURITY_PROTOCOL = "security.protocol";
const PROTOCOLS = ["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"];

/** The security keys of Kafka's clients that Brook's clients read (security.protocol and ssl.*). */
export const CLIENT_SECURITY_KEYS: ReadonlySet<string> = new Set([
  SECURITY_PROTOCOL,
  ...Object.values(SSL_KEYS),
  ...SSL_KEYS_WITHOUT_EFFECT,
]);

export interface ClientSecurity {
  /** TLS for every connection (security.protocol=SSL), or undefined for PLAINTEXT. */
  ssl: ClientTls | undefined;
  /** Keys given that the protocol does not use (ssl.* with PLAINTEXT), for a warning. */
  unused: string[];
}

/**
 * A client tool's security from its Kafka properties (--command-config, --producer.config,
 * --consumer.config...): `security.protocol` PLAINTEXT (Kafka's default) or SSL with Kafka's
 * `ssl.*` keys, key stores read as the broker reads them. SASL is refused: Brook's clients do
 * not speak it yet. Problems are thrown as `fail(message)`.
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
  if (protocol.startsWith("SASL_")) {
    throw fail(
      `${SECURITY_PROTOCOL}=${protocol}: SASL is not supported yet by Brook's clients (PLAINTEXT and SSL are)`,
    );
  }
  const sslKeys = [...props.keys()].filter((k) => k !== SECURITY_PROTOCOL && CLIENT_SECURITY_KEYS.has(k));
  if (protocol === "PLAINTEXT") return { ssl: undefined, unused: sslKeys };
  const settings = sslSettingsFromProperties(props);
  try {
    return { ssl: clientTlsOf(loadTlsMaterial(settings), settings), unused: [] };
  } catch (error) {
    if (error instanceof ConfigError) throw fail(error.message);
    throw error;
  }
}
