import { ConfigError, type ConfigValue } from "../base/index.js";
import type { ClientSasl } from "../client/index.js";
import type { ListenerSasl } from "../network/index.js";
import {
  isScramMechanism,
  PLAIN_LOGIN_MODULE,
  PlainServer,
  parseJaasConfig,
  plainUsersOf,
  type ScramCredential,
  type ScramMechanism,
  ScramServer,
} from "../protocol/index.js";
import type { BrokerConfig } from "./broker-config.js";

/** The mechanisms Brook serves; Kafka's others are refused at start-up by name. */
export const SUPPORTED_SASL_MECHANISMS = ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"];

/** A user's SCRAM credential for a mechanism, from the metadata image (UserScramCredentialRecord). */
export type ScramCredentials = (mechanism: ScramMechanism, username: string) => ScramCredential | null;

/** What a SASL listener serves and what Brook's own connections to it send. */
export interface SaslListenerSettings {
  readonly server: ListenerSasl;
  /** sasl.mechanism.inter.broker.protocol with the JAAS entry's username and password; null without them. */
  readonly client: ClientSasl | null;
}

/**
 * A SASL listener's settings as Kafka's broker reads them: `sasl.enabled.mechanisms` (listener
 * override first), and for PLAIN the users of the listener's PlainLoginModule entry,
 * `listener.name.<listener>.plain.sasl.jaas.config` (or the global `plain.sasl.jaas.config`, then
 * `sasl.jaas.config`). SCRAM users are the cluster's UserScramCredential records.
 */
export function saslListener(
  config: BrokerConfig,
  name: string,
  scram: ScramCredentials,
): SaslListenerSettings {
  const prefix = name.toLowerCase();
  const mechanisms = listSetting(config, prefix, "sasl.enabled.mechanisms").map((m) =>
    m.trim().toUpperCase(),
  );
  const where = `the SASL listener ${name}`;
  if (mechanisms.length === 0) {
    throw new ConfigError(
      `${where}: sasl.enabled.mechanisms is empty; enable PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512`,
    );
  }
  for (const mechanism of mechanisms) {
    if (!SUPPORTED_SASL_MECHANISMS.includes(mechanism)) {
      throw new ConfigError(
        `${where}: SASL mechanism ${mechanism} in sasl.enabled.mechanisms is not supported by Brook ` +
          `(${SUPPORTED_SASL_MECHANISMS.join(", ")} are; Kafka's default is GSSAPI: set sasl.enabled.mechanisms, ` +
          `or listener.name.${prefix}.sasl.enabled.mechanisms)`,
      );
    }
  }
  let plainUsers = new Map<string, string>();
  if (mechanisms.includes("PLAIN")) {
    const jaas = jaasOf(config, prefix, "plain");
    if (jaas === null) {
      throw new ConfigError(
        `${where}: PLAIN is enabled but no JAAS configuration names its users: set listener.name.${prefix}.plain.sasl.jaas.config=` +
          `${PLAIN_LOGIN_MODULE} required username="admin" password="admin-secret" user_admin="admin-secret";`,
      );
    }
    if (jaas.module.loginModule !== PLAIN_LOGIN_MODULE) {
      throw new ConfigError(
        `${where}: ${jaas.key} names ${jaas.module.loginModule}; PLAIN needs ${PLAIN_LOGIN_MODULE}`,
      );
    }
    plainUsers = plainUsersOf(jaas.module);
  }
  const receive = config.listenerOverrides.get(prefix)?.get("sasl.server.max.receive.size");
  const server: ListenerSasl = {
    enabledMechanisms: mechanisms,
    receiveBytesMax: Number(receive ?? config.values.get("sasl.server.max.receive.size") ?? 524288),
    createServer(mechanism) {
      if (isScramMechanism(mechanism)) return new ScramServer(mechanism, (user) => scram(mechanism, user));
      return new PlainServer((user) => plainUsers.get(user) ?? null);
    },
  };
  return { server, client: interBrokerSasl(config, prefix) };
}

/** Brook's own login on a SASL listener: the JAAS entry of sasl.mechanism.inter.broker.protocol. */
function interBrokerSasl(config: BrokerConfig, prefix: string): ClientSasl | null {
  const mechanism = String(
    config.values.get("sasl.mechanism.inter.broker.protocol") ?? "GSSAPI",
  ).toUpperCase();
  if (!SUPPORTED_SASL_MECHANISMS.includes(mechanism)) return null;
  const jaas = jaasOf(config, prefix, mechanism.toLowerCase());
  const username = jaas?.module.options.get("username");
  const password = jaas?.module.options.get("password");
  if (username === undefined || password === undefined) return null;
  return { mechanism: mechanism as ClientSasl["mechanism"], username, password };
}

function jaasOf(config: BrokerConfig, prefix: string, mechanism: string) {
  const keys = [`${mechanism}.sasl.jaas.config`, "sasl.jaas.config"];
  for (const key of keys) {
    const override = config.listenerOverrides.get(prefix)?.get(key);
    const value = override ?? config.values.get(key) ?? null;
    if (value === null || value === "") continue;
    const named = override !== undefined ? `listener.name.${prefix}.${key}` : key;
    return { key: named, module: parseJaasConfig(String(value), named) };
  }
  return null;
}

function listSetting(config: BrokerConfig, prefix: string, key: string): string[] {
  const value: ConfigValue = config.listenerOverrides.get(prefix)?.get(key) ?? config.values.get(key) ?? null;
  if (Array.isArray(value)) return value.filter((v) => v !== "");
  if (typeof value === "string")
    return value
      .split(",")
      .map((v) => v.trim())
      .filter((v) => v !== "");
  return [];
}
