import { helpText as layOut, type OptionSpec } from "../options/index.js";

/*
 * The options of `brook consumer-groups`: kafka-consumer-groups.sh's (Kafka 4.0's
 * ConsumerGroupCommandOptions plus --help and --version), with its names, argument descriptions
 * and help texts. Left out: --validate-regex (Java's RE2J syntax; KIP-848's regex subscriptions,
 * which Brook's groups do not have yet), refused as an unknown option.
 */

export const HELP_MESSAGE =
  "This tool helps to list all consumer groups, describe a consumer group, delete consumer group info, or reset consumer group offsets.";

export const ACTIONS = ["list", "describe", "delete", "reset-offsets", "delete-offsets"] as const;
export type Action = (typeof ACTIONS)[number];

export const RESET_SCENARIOS = [
  "to-offset",
  "shift-by",
  "to-datetime",
  "by-duration",
  "to-earliest",
  "to-latest",
  "to-current",
  "from-file",
] as const;

const string = (describedAs: string) => ({ type: "String", describedAs }) as const;
const long = (describedAs: string) => ({ type: "Long", describedAs }) as const;

export const OPTION_SPECS: readonly OptionSpec[] = [
  { name: "all-groups", description: "Apply to all consumer groups." },
  {
    name: "all-topics",
    description: "Consider all topics assigned to a group in the `reset-offsets` process.",
  },
  {
    name: "bootstrap-server",
    arg: string("server to connect to"),
    description: "REQUIRED: The server(s) to connect to.",
  },
  {
    name: "by-duration",
    arg: string("duration"),
    description: "Reset offsets to offset by duration from current timestamp. Format: 'PnDTnHnMnS'",
  },
  {
    name: "command-config",
    arg: string("command config property file"),
    description:
      "Property file containing configs to be passed to Admin Client and Consumer. Brook's client uses client.id, default.api.timeout.ms, request.timeout.ms, retry.backoff.ms and socket.connection.setup.timeout.ms, and warns about the others.",
  },
  {
    name: "delete",
    description:
      "Pass in groups to delete topic partition offsets and ownership information over the entire consumer group. For instance --group g1 --group g2",
  },
  {
    name: "delete-offsets",
    description:
      "Delete offsets of consumer group. Supports one consumer group at the time, and multiple topics.",
  },
  {
    name: "describe",
    description:
      "Describe consumer group and list offset lag (number of messages not yet processed) related to given group.",
  },
  {
    name: "dry-run",
    description:
      "Only show results without executing changes on Consumer Groups. Supported operations: reset-offsets.",
  },
  { name: "execute", description: "Execute operation. Supported operations: reset-offsets." },
  {
    name: "export",
    description: "Export operation execution to a CSV file. Supported operations: reset-offsets.",
  },
  {
    name: "from-file",
    arg: string("path to CSV file"),
    description: "Reset offsets to values defined in CSV file.",
  },
  { name: "group", arg: string("consumer group"), description: "The consumer group we wish to act on." },
  { name: "help", description: "Print usage information." },
  { name: "list", description: "List all consumer groups." },
  {
    name: "members",
    description:
      "Describe members of the group. This option may be used with '--describe' and '--bootstrap-server' options only.\nExample: --bootstrap-server localhost:9092 --describe --group group1 --members",
  },
  {
    name: "offsets",
    description:
      "Describe the group and list all topic partitions in the group along with their offset lag. This is the default sub-action of and may be used with '--describe' and '--bootstrap-server' options only.\nExample: --bootstrap-server localhost:9092 --describe --group group1 --offsets",
  },
  {
    name: "reset-offsets",
    description:
      "Reset offsets of consumer group. Supports one consumer group at the time, and instances should be inactive\nHas 2 execution options: --dry-run (the default) to plan which offsets to reset, and --execute to update the offsets. Additionally, the --export option is used to export the results to a CSV format.\nYou must choose one of the following reset specifications: --to-datetime, --by-duration, --to-earliest, --to-latest, --shift-by, --from-file, --to-current, --to-offset.\nTo define the scope use --all-topics or --topic. One scope must be specified unless you use '--from-file'.",
  },
  {
    name: "shift-by",
    arg: long("number-of-offsets"),
    description: "Reset offsets shifting current offset by 'n', where 'n' can be positive or negative.",
  },
  {
    name: "state",
    arg: { type: "String", describedAs: "", optional: true },
    description:
      "When specified with '--describe', includes the state of the group.\nExample: --bootstrap-server localhost:9092 --describe --group group1 --state\nWhen specified with '--list', it displays the state of all groups. It can also be used to list groups with specific states.\nExample: --bootstrap-server localhost:9092 --list --state stable,empty\nThis option may be used with '--describe', '--list' and '--bootstrap-server' options only.",
  },
  {
    name: "timeout",
    arg: long("timeout (ms)"),
    description:
      "The timeout that can be set for some use cases. For example, it can be used when describing the group to specify the maximum amount of time in milliseconds to wait before the group stabilizes (when the group is just created, or is going through some changes). (default: 5000)",
  },
  { name: "to-current", description: "Reset offsets to current offset." },
  {
    name: "to-datetime",
    arg: string("datetime"),
    description: "Reset offsets to offset from datetime. Format: 'YYYY-MM-DDTHH:mm:SS.sss'",
  },
  { name: "to-earliest", description: "Reset offsets to earliest offset." },
  { name: "to-latest", description: "Reset offsets to latest offset." },
  { name: "to-offset", arg: long("offset"), description: "Reset offsets to a specific offset." },
  {
    name: "topic",
    arg: string("topic"),
    description:
      "The topic whose consumer group information should be deleted or topic whose should be included in the reset offset process. In `reset-offsets` case, partitions can be specified using this format: `topic1:0,1,2`, where 0,1,2 are the partition to be included in the process. Reset-offsets also supports multiple topic inputs.",
  },
  {
    name: "type",
    arg: { type: "String", describedAs: "", optional: true },
    description:
      "When specified with '--list', it displays the types of all the groups. It can also be used to list groups with specific types.\nExample: --bootstrap-server localhost:9092 --list --type classic,consumer\nThis option may be used with the '--list' option only.",
  },
  {
    name: "verbose",
    description:
      "Provide additional information, if any, when describing the group. This option may be used with '--offsets'/'--members'/'--state' and '--bootstrap-server' options only.\nExample: --bootstrap-server localhost:9092 --describe --group group1 --members --verbose",
  },
  { name: "version", description: "Display Brook's version." },
];

export const SPECS_BY_NAME: ReadonlyMap<string, OptionSpec> = new Map(OPTION_SPECS.map((s) => [s.name, s]));

/** The help, laid out as jopt-simple lays out kafka-consumer-groups.sh's. */
export function helpText(message: string): string {
  return layOut(message, OPTION_SPECS);
}
