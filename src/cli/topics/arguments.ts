import {
  CommandError,
  checkInvalidArgs,
  type ParsedCommandLine as GenericCommandLine,
  javaInt,
  type Notices,
  OptionsError,
  ParsedOptions,
  readTokens,
  UsageError,
} from "../options/index.js";
import { ACTIONS, type Action, KAFKA_CONFIGS_HINT, SPECS_BY_NAME } from "./option-specs.js";

/**
 * The command line of `brook topics`, read as kafka-topics.sh reads it and checked with Kafka 4.0's
 * TopicCommandOptions rules, in its order and with its messages.
 */
export class TopicsOptions extends ParsedOptions {
  get action(): Action {
    return ACTIONS.find((a) => this.has(a)) as Action;
  }
}

export type ParsedCommandLine = GenericCommandLine<TopicsOptions>;

export const HELP_MESSAGE = "This tool helps to create, delete, describe, or change a topic.";

const REPORT_OPTIONS = [
  "under-replicated-partitions",
  "under-min-isr-partitions",
  "at-min-isr-partitions",
  "unavailable-partitions",
] as const;

function actionsBut(...allowed: Action[]): string[] {
  return ACTIONS.filter((a) => !allowed.includes(a));
}

function checkRequired(options: TopicsOptions, name: string): void {
  if (!options.has(name)) throw new UsageError(`Missing required argument "[${name}]"`);
}

/** Reads and checks the command line; notices (the --delete-config deprecation) go out as Kafka prints them. */
export function parseTopicsCommandLine(argv: readonly string[], notices: Notices): ParsedCommandLine {
  const options = new TopicsOptions(readTokens(argv, SPECS_BY_NAME));
  if (argv.length === 0) throw new UsageError("Create, delete, describe, or change a topic.");
  if (options.has("help")) return { kind: "help" };
  if (options.has("version")) return { kind: "version" };
  if (ACTIONS.filter((a) => options.has(a)).length !== 1) {
    throw new UsageError(
      "Command must include exactly one action: --list, --describe, --create, --alter or --delete",
    );
  }
  if (options.has("delete-config")) {
    notices.err(
      "delete-config option is no longer supported and deprecated since version 4.0. The config will be fully removed in future releases.\n",
    );
  }

  // Required arguments.
  if (!options.has("bootstrap-server")) throw new OptionsError("--bootstrap-server must be specified");
  if (options.has("describe") && options.has("if-exists")) {
    if (!options.has("topic") && !options.has("topic-id")) {
      throw new UsageError("--topic or --topic-id is required to describe a topic");
    }
    if (options.has("topic") && options.has("topic-id")) {
      notices.out(
        "Only topic id will be used when both --topic and --topic-id are specified and topicId is not Uuid.ZERO_UUID\n",
      );
    }
  }
  if (!options.has("list") && !options.has("describe")) checkRequired(options, "topic");
  if (options.has("alter")) {
    if (options.has("config")) {
      throw new UsageError(
        `Option combination "[[bootstrap-server], [config]]" can't be used with option "[alter]"${KAFKA_CONFIGS_HINT}`,
      );
    }
    checkRequired(options, "partitions");
  }

  // Invalid combinations.
  checkInvalidArgs(options, "config", actionsBut("alter", "create"));
  checkInvalidArgs(options, "partitions", actionsBut("alter", "create"));
  checkInvalidArgs(options, "replication-factor", actionsBut("create"));
  checkInvalidArgs(options, "replica-assignment", actionsBut("alter", "create"));
  if (options.has("create")) {
    checkInvalidArgs(options, "replica-assignment", ["partitions", "replication-factor"]);
  }
  for (const report of REPORT_OPTIONS) {
    checkInvalidArgs(options, report, [...actionsBut("describe"), "topics-with-overrides"]);
  }
  checkInvalidArgs(options, "topics-with-overrides", [...actionsBut("describe"), ...REPORT_OPTIONS]);
  checkInvalidArgs(options, "if-exists", actionsBut("alter", "delete", "describe"));
  checkInvalidArgs(options, "if-not-exists", actionsBut("create"));
  checkInvalidArgs(options, "exclude-internal", actionsBut("list", "describe"));
  return { kind: "run", options };
}

/** Java's String.split: trailing empty strings are dropped (unless nothing matched). */
function javaSplit(text: string, separator: string | RegExp): string[] {
  const parts = text.split(separator);
  if (parts.length === 1) return parts;
  while (parts.length > 0 && parts[parts.length - 1] === "") parts.pop();
  return parts;
}

/** Java's Integer.parseInt, with its NumberFormatException message. */
function parseJavaInt(text: string): number {
  const value = javaInt(text);
  if (value === undefined) throw new CommandError(`For input string: "${text}"`);
  return value;
}

/**
 * `--replica-assignment 1:2,2:3`: the replicas of partition 0, 1, ... (Kafka's
 * parseReplicaAssignment, its checks and messages); undefined when absent or empty.
 */
export function parseReplicaAssignment(text: string | undefined): number[][] | undefined {
  if (text === undefined || text === "") return undefined;
  const assignment: number[][] = [];
  for (const [i, partition] of javaSplit(text, ",").entries()) {
    const brokers = javaSplit(partition, ":").map((id) => parseJavaInt(id.trim()));
    const duplicates = [...new Set(brokers.filter((b, at) => brokers.indexOf(b) !== at))];
    if (duplicates.length > 0) {
      throw new CommandError(
        `Partition replica lists may not contain duplicate entries: ${duplicates.join(",")}`,
      );
    }
    if (i > 0 && brokers.length !== assignment[0]?.length) {
      throw new CommandError(`Partition ${i} has different replication factor: [${brokers.join(", ")}]`);
    }
    assignment.push(brokers);
  }
  return assignment;
}

/** `--config k=v` values into a map (Kafka's parseTopicConfigsToBeAdded); the broker checks names and values. */
export function parseTopicConfigs(values: readonly string[]): Record<string, string> {
  const pairs = values.map((v) => javaSplit(v, /\s*=\s*/));
  if (!pairs.every((p) => p.length === 2)) {
    throw new CommandError(
      'requirement failed: Invalid topic config: all configs to be added must be in the format "key=val".',
    );
  }
  return Object.fromEntries(pairs.map(([k, v]) => [(k as string).trim(), (v as string).trim()]));
}
