import { IP_QUOTA_KEYS, USER_CLIENT_QUOTA_KEYS } from "../../metadata/index.js";
import { LOG_CONFIG_KEYS } from "../../storage/index.js";
import { helpText as layOut, type OptionSpec } from "../options/index.js";

/*
 * The options of `brook configs`: kafka-configs.sh's (Kafka 4.0's ConfigCommandOptions, with
 * --help and --version), for the entity types Brook keeps configs for: topics, brokers, and the
 * quotas of clients, users and IPs, and users' SCRAM credentials. Left out: --bootstrap-controller,
 * broker-loggers, client-metrics and groups entities.
 */

export const HELP_MESSAGE =
  "This tool helps to manipulate and describe entity config for a topic, client, user, broker or ip";

/** Kafka's ConfigType names, in the order its messages list them. */
export const ENTITY_TYPES = ["topics", "clients", "users", "brokers", "ips"] as const;
export type EntityType = (typeof ENTITY_TYPES)[number];

/** The flags that name an entity (--topic t) and those that name a type's default (--client-defaults). */
export const ENTITY_FLAGS: readonly [string, EntityType][] = [
  ["topic", "topics"],
  ["client", "clients"],
  ["user", "users"],
  ["broker", "brokers"],
  ["ip", "ips"],
];
export const ENTITY_DEFAULT_FLAGS: readonly [string, EntityType][] = [
  ["client-defaults", "clients"],
  ["user-defaults", "users"],
  ["broker-defaults", "brokers"],
  ["ip-defaults", "ips"],
];

const string = (describedAs = "") => ({ type: "String", describedAs }) as const;
const list = (names: Iterable<string>) => `\n${[...names].map((n) => `\t${n}`).join("\n")}\n`;

function validConfigs(): string {
  const topicKeys = [...LOG_CONFIG_KEYS].filter(([, key]) => !key.internal).map(([name]) => name);
  const quotaKeys = [...USER_CLIENT_QUOTA_KEYS.keys()].sort();
  return (
    `For entity-type 'topics': ${list(topicKeys)}` +
    "For entity-type 'brokers': the broker's dynamic configs (brook configs --describe --all --broker <id> lists them)\n" +
    `For entity-type 'users': ${list(quotaKeys)}` +
    `For entity-type 'clients': ${list(quotaKeys)}` +
    `For entity-type 'ips': ${list([...IP_QUOTA_KEYS.keys()])}` +
    "Entity types 'users' and 'clients' may be specified together to update config for clients of a specific user."
  );
}

export const OPTION_SPECS: readonly OptionSpec[] = [
  {
    name: "add-config",
    arg: string(),
    description: `Key Value pairs of configs to add. Square brackets can be used to group values which contain commas: 'k1=v1,k2=[v1,v2,v2],k3=v3'. The following is a list of valid configurations: ${validConfigs()}`,
  },
  {
    name: "add-config-file",
    arg: string(),
    description:
      "Path to a properties file with configs to add. See add-config for a list of valid configurations.",
  },
  {
    name: "all",
    description: "List all configs for the given entity, including static configs if available.",
  },
  { name: "alter", description: "Alter the configuration for the entity." },
  {
    name: "bootstrap-server",
    arg: string("server to connect to"),
    description: "The Kafka servers to connect to.",
  },
  { name: "broker", arg: string(), description: "The broker's ID." },
  { name: "broker-defaults", description: "The config defaults for all brokers." },
  { name: "client", arg: string(), description: "The client's ID." },
  { name: "client-defaults", description: "The config defaults for all clients." },
  {
    name: "command-config",
    arg: string("command config property file"),
    description:
      "Property file containing configs to be passed to Admin Client. Brook's client uses client.id, default.api.timeout.ms, request.timeout.ms, retry.backoff.ms and socket.connection.setup.timeout.ms, and warns about the others.",
  },
  { name: "delete-config", arg: string(), description: "config keys to remove 'k1,k2'" },
  { name: "describe", description: "List configs for the given entity." },
  {
    name: "entity-default",
    description: "Default entity name for clients/users/brokers/ips (applies to corresponding entity type)",
  },
  {
    name: "entity-name",
    arg: string(),
    description: "Name of entity (topic name/client id/user principal name/broker id/ip)",
  },
  { name: "entity-type", arg: string(), description: "Type of entity (topics/clients/users/brokers/ips)" },
  { name: "force", description: "Suppress console prompts" },
  { name: "help", description: "Print usage information." },
  { name: "ip", arg: string(), description: "The IP address." },
  { name: "ip-defaults", description: "The config defaults for all IPs." },
  { name: "topic", arg: string(), description: "The topic's name." },
  { name: "user", arg: string(), description: "The user's principal name." },
  { name: "user-defaults", description: "The config defaults for all users." },
  { name: "version", description: "Display Brook's version." },
];

export const SPECS_BY_NAME: ReadonlyMap<string, OptionSpec> = new Map(OPTION_SPECS.map((s) => [s.name, s]));

/** The help, laid out as jopt-simple lays out kafka-configs.sh's. */
export function helpText(message: string): string {
  return layOut(message, OPTION_SPECS);
}
