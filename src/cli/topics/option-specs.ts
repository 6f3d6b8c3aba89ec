import { LOG_CONFIG_KEYS } from "../../storage/index.js";
import { helpText as layOut, type OptionSpec } from "../options/index.js";

/*
 * The options of `brook topics`: kafka-topics.sh's (Kafka 4.0's TopicCommandOptions plus the
 * --help and --version every Kafka tool has), with its names, argument descriptions and help texts.
 */

/** Kafka's hint, part of its help texts and of the usage error for --alter with --config. */
export const KAFKA_CONFIGS_HINT = " (To alter topic configurations, the kafka-configs tool can be used.)";

export const ACTIONS = ["create", "list", "alter", "describe", "delete"] as const;
export type Action = (typeof ACTIONS)[number];

function topicConfigNames(): string {
  const names = [...LOG_CONFIG_KEYS].filter(([, key]) => !key.internal).map(([name]) => `\t${name}`);
  return names.join("\n");
}

const string = (describedAs: string) => ({ type: "String", describedAs }) as const;
const integer = (describedAs: string) => ({ type: "Integer", describedAs }) as const;

export const OPTION_SPECS: readonly OptionSpec[] = [
  {
    name: "alter",
    description: `Alter the number of partitions and replica assignment.${KAFKA_CONFIGS_HINT}`,
  },
  {
    name: "at-min-isr-partitions",
    description:
      "If set when describing topics, only show partitions whose isr count is equal to the configured minimum.",
  },
  {
    name: "bootstrap-server",
    arg: string("server to connect to"),
    description: "REQUIRED: The Kafka server to connect to.",
  },
  {
    name: "command-config",
    arg: string("command config property file"),
    description:
      "Property file containing configs to be passed to Admin Client. Brook's client uses client.id, default.api.timeout.ms, request.timeout.ms, retry.backoff.ms and socket.connection.setup.timeout.ms, and warns about the others.",
  },
  {
    name: "config",
    arg: string("name=value"),
    description: `A topic configuration override for the topic being created. The following is a list of valid configurations: \n${topicConfigNames()}\nSee the Kafka documentation for full details on the topic configs. It is supported only in combination with --create.${KAFKA_CONFIGS_HINT}`,
  },
  { name: "create", description: "Create a new topic." },
  { name: "delete", description: "Delete a topic." },
  {
    name: "delete-config",
    arg: string("name"),
    description: "This option is no longer supported and has been deprecated since 4.0",
  },
  { name: "describe", description: "List details for the given topics." },
  {
    name: "exclude-internal",
    description:
      "Exclude internal topics when listing or describing topics. By default, the internal topics are included.",
  },
  { name: "help", description: "Print usage information." },
  {
    name: "if-exists",
    description:
      "If set when altering or deleting or describing topics, the action will only execute if the topic exists.",
  },
  {
    name: "if-not-exists",
    description:
      "If set when creating topics, the action will only execute if the topic does not already exist.",
  },
  { name: "list", description: "List all available topics." },
  {
    name: "partition-size-limit-per-response",
    arg: integer("maximum number of partitions per response"),
    description: "The maximum partition size to be included in one DescribeTopicPartitions response.",
  },
  {
    name: "partitions",
    arg: integer("# of partitions"),
    description:
      "The number of partitions for the topic being created or altered. If not supplied with --create, the topic uses the cluster default. (WARNING: If partitions are increased for a topic that has a key, the partition logic or ordering of the messages will be affected).",
  },
  {
    name: "replica-assignment",
    arg: string(
      "broker_id_for_part1_replica1 : broker_id_for_part1_replica2 , broker_id_for_part2_replica1 : broker_id_for_part2_replica2 , ...",
    ),
    description: "A list of manual partition-to-broker assignments for the topic being created or altered.",
  },
  {
    name: "replication-factor",
    arg: integer("replication factor"),
    description:
      "The replication factor for each partition in the topic being created. If not supplied, the topic uses the cluster default.",
  },
  {
    name: "topic",
    arg: string("topic"),
    description:
      "The topic to create, alter, describe or delete. It also accepts a regular expression, except for --create option. Put topic name in double quotes and use the '\\' prefix to escape regular expression symbols; e.g. \"test\\.topic\".",
  },
  { name: "topic-id", arg: string("topic-id"), description: "The topic-id to describe." },
  {
    name: "topics-with-overrides",
    description: "If set when describing topics, only show topics that have overridden configs.",
  },
  {
    name: "unavailable-partitions",
    description: "If set when describing topics, only show partitions whose leader is not available.",
  },
  {
    name: "under-min-isr-partitions",
    description:
      "If set when describing topics, only show partitions whose isr count is less than the configured minimum.",
  },
  {
    name: "under-replicated-partitions",
    description: "If set when describing topics, only show under-replicated partitions.",
  },
  { name: "version", description: "Display Brook's version." },
];

export const SPECS_BY_NAME: ReadonlyMap<string, OptionSpec> = new Map(OPTION_SPECS.map((s) => [s.name, s]));

/** The help, laid out as jopt-simple lays out kafka-topics.sh's. */
export function helpText(message: string): string {
  return layOut(message, OPTION_SPECS);
}
