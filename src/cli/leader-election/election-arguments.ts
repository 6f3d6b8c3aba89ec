import { ElectionType, partitionKey, type TopicPartition } from "../../client/index.js";
import {
  asArray,
  asObject,
  CommandError,
  field,
  JavaFileError,
  JsonMappingError,
  javaHashOrder,
  type OptionSpec,
  OptionsError,
  type ParsedCommandLine,
  ParsedOptions,
  parseJson,
  readFileAsString,
  readTokens,
  toInt,
  topicPartitionHash,
  toText,
  UsageError,
} from "../options/index.js";

/*
 * kafka-leader-election.sh's command line (LeaderElectionCommandOptions): its options, its checks
 * and messages, in its order, and the partitions of --path-to-json-file. Kafka prints each failure's
 * message alone (no help), except for the clash of --admin.config and --command-config.
 */

export const HELP_MESSAGE =
  "This tool attempts to elect a new leader for a set of topic partitions. The type of elections supported are preferred replicas and unclean replicas.";

const string = (describedAs: string) => ({ type: "String", describedAs }) as const;
export const OPTION_SPECS: readonly OptionSpec[] = [
  {
    name: "admin.config",
    arg: string("config file"),
    description: "Configuration properties files to pass to the admin client",
  },
  {
    name: "all-topic-partitions",
    description:
      "Perform election on all of the eligible topic partitions based on the type of election (see the --election-type flag). Not allowed if --topic or --path-to-json-file is specified.",
  },
  {
    name: "bootstrap-server",
    arg: string("host:port"),
    description:
      "A hostname and port for the broker to connect to, in the form host:port. Multiple comma separated URLs can be given. REQUIRED.",
  },
  // Kafka 4.0 reads the admin client's file from --admin.config only; later versions (KIP-1147)
  // name it --command-config, as every other tool does. Both are taken.
  {
    name: "command-config",
    arg: string("Config file"),
    description: "Config properties file to pass to the admin client.",
  },
  {
    name: "election-type",
    arg: { type: "[PREFERRED,UNCLEAN]", describedAs: "election type" },
    description:
      'Type of election to attempt. Possible values are "preferred" for preferred leader election or "unclean" for unclean leader election. If preferred election is selection, the election is only performed if the current leader is not the preferred leader for the topic partition. If unclean election is selected, the election is only performed if there are no leader for the topic partition. REQUIRED.',
  },
  { name: "help", description: "Print usage information." },
  {
    name: "partition",
    arg: { type: "Integer", describedAs: "partition id" },
    description: "Partition id for which to perform an election. REQUIRED if --topic is specified.",
  },
  {
    name: "path-to-json-file",
    arg: string("Path to JSON file"),
    description:
      'The JSON file with the list  of partition for which leader elections should be performed. This is an example format. \n{"partitions":\n\t[{"topic": "foo", "partition": 1},\n\t {"topic": "foobar", "partition": 2}]\n}\nNot allowed if --all-topic-partitions or --topic flags are specified.',
  },
  {
    name: "topic",
    arg: string("topic name"),
    description:
      "Name of topic for which to perform an election. Not allowed if --path-to-json-file or --all-topic-partitions is specified.",
  },
  { name: "version", description: "Display Brook's version." },
];
const SPECS_BY_NAME = new Map(OPTION_SPECS.map((s) => [s.name, s]));

/** ElectionType's names, which the tool prints ("Successfully completed leader election (PREFERRED) ..."). */
export const ELECTION_TYPE_NAMES: Readonly<Record<ElectionType, string>> = {
  [ElectionType.preferred]: "PREFERRED",
  [ElectionType.unclean]: "UNCLEAN",
};

/** The command line, read and checked: the election's type and partitions (null: every partition). */
export class ElectionOptions extends ParsedOptions {
  readonly electionType: ElectionType;
  readonly partitions: TopicPartition[] | null;

  constructor(given: ReadonlyMap<string, readonly string[]>, readFile: (path: string) => string) {
    super(given);
    validate(this);
    this.electionType = electionTypeOf(this.value("election-type") as string);
    const jsonFile = this.value("path-to-json-file");
    const fromFile = jsonFile === undefined ? null : electionPartitions(readFile(jsonFile));
    const topic = this.value("topic");
    const partition = this.integer("partition");
    this.partitions =
      fromFile ?? (topic !== undefined && partition !== undefined ? [{ topic, partition }] : null);
  }

  /** The admin client's file: --admin.config, or --command-config. */
  commandConfig(): string | undefined {
    return this.value("admin.config") ?? this.value("command-config");
  }
}

/** Kafka's LeaderElectionCommandOptions.validate, message for message. */
function validate(options: ParsedOptions): void {
  const missing = ["bootstrap-server", "election-type"].filter((name) => !options.has(name));
  if (missing.length > 0) throw new OptionsError(`Missing required option(s): ${missing.join(", ")}`);
  if (options.has("admin.config") && options.has("command-config")) {
    throw new UsageError('Option "[admin.config]" can\'t be used with option "[command-config]"');
  }
  const selections = ["topic", "all-topic-partitions", "path-to-json-file"];
  if (selections.filter((name) => options.has(name)).length !== 1) {
    throw new OptionsError(`One and only one of the following options is required: ${selections.join(", ")}`);
  }
  if (options.has("topic") && !options.has("partition")) {
    throw new OptionsError("Missing required option(s): partition");
  }
  if (!options.has("topic") && options.has("partition")) {
    throw new OptionsError("Option partition is only allowed if topic is used");
  }
}

/** jopt-simple's EnumConverter: the value's name, in any case. */
function electionTypeOf(text: string): ElectionType {
  for (const [type, name] of Object.entries(ELECTION_TYPE_NAMES)) {
    if (name.toLowerCase() === text.toLowerCase()) return Number(type) as ElectionType;
  }
  throw new OptionsError(`Cannot parse argument '${text}' of option election-type`);
}

/**
 * The partitions of a --path-to-json-file (Kafka's parseReplicaElectionData), or its failure as
 * the tool prints it: Jackson's mapping errors and read failures wrapped (Java's
 * RuntimeException shows its cause's class), the tool's own errors bare.
 */
export function electionPartitions(text: string): TopicPartition[] {
  const js = parseJson(text);
  if (js === null) throw new CommandError("Replica election data is empty");
  try {
    const list = asObject(js).get("partitions");
    if (list === undefined) throw new CommandError('Replica election data is missing "partitions" field');
    const partitions = asArray(list).map((item) => {
      const p = asObject(item);
      return { topic: toText(field(p, "topic")), partition: toInt(field(p, "partition")) };
    });
    const counted = new Map<string, { tp: TopicPartition; count: number }>();
    for (const tp of partitions) {
      const entry = counted.get(partitionKey(tp));
      if (entry === undefined) counted.set(partitionKey(tp), { tp, count: 1 });
      else entry.count++;
    }
    const duplicates = [...counted.values()].filter((e) => e.count > 1).map((e) => e.tp);
    if (duplicates.length > 0) {
      // Set.toString of a HashSet: Java's hash order, in brackets.
      const names = javaHashOrder(duplicates, topicPartitionHash).map((tp) => `${tp.topic}-${tp.partition}`);
      throw new CommandError(`Replica election data contains duplicate partitions: [${names.join(", ")}]`);
    }
    return [...counted.values()].map((e) => e.tp);
  } catch (error) {
    if (error instanceof JsonMappingError) {
      throw new CommandError(`com.fasterxml.jackson.databind.JsonMappingException: ${error.message}`);
    }
    throw error;
  }
}

/** The command line as kafka-leader-election.sh reads it; none at all is the help, as a usage error. */
export function parseLeaderElectionCommandLine(
  argv: readonly string[],
  readFile: (path: string) => string = readJsonFile,
): ParsedCommandLine<ElectionOptions> {
  if (argv.length === 0) throw new UsageError(HELP_MESSAGE);
  const given = readTokens(argv, SPECS_BY_NAME);
  const peek = new ParsedOptions(given);
  if (peek.has("help")) return { kind: "help" };
  if (peek.has("version")) return { kind: "version" };
  return { kind: "run", options: new ElectionOptions(given, readFile) };
}

/** The tool wraps a read failure in a RuntimeException, which prints its cause's class. */
function readJsonFile(path: string): string {
  try {
    return readFileAsString(path);
  } catch (error) {
    if (error instanceof JavaFileError) throw new CommandError(error.toString());
    throw error;
  }
}
