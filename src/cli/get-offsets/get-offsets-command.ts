import type { AdminClient, OffsetSpec, TopicPartition } from "../../client/index.js";
import { ErrorCode, errorName } from "../../protocol/index.js";
import {
  helpText as layOut,
  type OptionSpec,
  OptionsError,
  ParsedOptions,
  readTokens,
  runAdminTool,
  type ToolIo,
  UsageError,
} from "../options/index.js";

/*
 * `brook get-offsets`: Kafka's kafka-get-offsets.sh (GetOffsetShell): the offsets of partitions
 * picked by topic regex and partition sets or ranges, at a time (latest, earliest, max-timestamp,
 * or a timestamp), one `topic:partition:offset` line each.
 */

const USAGE_TEXT = "An interactive shell for getting topic-partition offsets.";
/** Kafka's TOPIC_PARTITION_PATTERN: an optional topic regex, then ':' and a partition, a range or nothing. */
const TOPIC_PARTITION_PATTERN = /^([^:,]*)(?::(?:([0-9]*)|(?:([0-9]*)-([0-9]*))))?$/;
const PATTERN_TEXT = "([^:,]*)(?::(?:([0-9]*)|(?:([0-9]*)-([0-9]*))))?";

const string = (describedAs: string) => ({ type: "String", describedAs }) as const;
const OPTION_SPECS: readonly OptionSpec[] = [
  {
    name: "bootstrap-server",
    arg: string("HOST1:PORT1,...,HOST3:PORT3"),
    description: "REQUIRED. The server(s) to connect to in the form HOST1:PORT1,HOST2:PORT2.",
  },
  {
    name: "command-config",
    arg: string("config file"),
    description: "Property file containing configs to be passed to Admin Client.",
  },
  {
    name: "exclude-internal-topics",
    description: "By default, internal topics are included. If specified, internal topics are excluded.",
  },
  { name: "help", description: "Print usage information." },
  {
    name: "partitions",
    arg: string("partition ids"),
    description:
      "Comma separated list of partition ids to get the offsets for. If not present, all partitions of the authorized topics are queried. Cannot be used if --topic-partitions is present.",
  },
  {
    name: "time",
    arg: string(
      "<timestamp> / -1 or latest / -2 or earliest / -3 or max-timestamp / -4 or earliest-local / -5 or latest-tiered",
    ),
    description:
      "timestamp of the offsets before that. [Note: No offset is returned, if the timestamp greater than recently committed record timestamp is given.] (default: latest)",
  },
  {
    name: "topic",
    arg: string("topic"),
    description:
      "The topic to get the offsets for. It also accepts a regular expression. If not present, all authorized topics are queried. Cannot be used if --topic-partitions is present.",
  },
  {
    name: "topic-partitions",
    arg: string("topic1:1,topic2:0-3,topic3,topic4:5-,topic5:-3"),
    description: `Comma separated list of topic-partition patterns to get the offsets for, with the format of '${PATTERN_TEXT}'. The first group is an optional regex for the topic name, if omitted, it matches any topic name. The section after ':' describes a 'partition' pattern, which can be: a number, a range in the format of 'NUMBER-NUMBER' (lower inclusive, upper exclusive), an inclusive lower bound in the format of 'NUMBER-', an exclusive upper bound in the format of '-NUMBER' or may be omitted to accept all partitions.`,
  },
  { name: "version", description: "Display Brook's version." },
];
const SPECS_BY_NAME = new Map(OPTION_SPECS.map((s) => [s.name, s]));

/** Kafka's TerseException: "Error occurred: <message>" on stderr, exit code 1. */
class TerseError extends Error {}

/** Picks topics and partitions (Kafka's TopicPartitionFilter). */
interface Rule {
  topic: RegExp;
  partition(p: number): boolean;
}

const INT_MAX = 2 ** 31 - 1;

/** `--time`: Kafka's parseOffsetSpec. */
export function parseTime(text: string): OffsetSpec {
  const named: Record<string, bigint> = {
    earliest: -2n,
    latest: -1n,
    "max-timestamp": -3n,
    "earliest-local": -4n,
    "latest-tiered": -5n,
  };
  const value = named[text] ?? (/^[+-]?\d+$/.test(text) ? BigInt(text) : undefined);
  if (value === undefined || value < -(2n ** 63n) || value >= 2n ** 63n) {
    throw new TerseError(
      `Malformed time argument ${text}. Please use -1 or latest / -2 or earliest / -3 or max-timestamp / -4 or earliest-local / -5 or latest-tiered, or a specified long format timestamp`,
    );
  }
  if (value === -2n) return "earliest";
  if (value === -1n) return "latest";
  return { timestampMs: value };
}

/** A topic regex matched against the whole name, as Kafka's IncludeList does. */
function wholeName(regex: string): RegExp {
  try {
    return new RegExp(`^(?:${regex})$`);
  } catch (error) {
    throw new TerseError(`${(error as Error).message}`);
  }
}

/** `--topic-partitions`: Kafka's createTopicPartitionFilterWithPatternList. */
export function parseRules(text: string): Rule[] {
  return text.split(",").map((spec) => {
    const m = TOPIC_PARTITION_PATTERN.exec(spec);
    if (m === null) throw new TerseError(`Invalid rule specification: ${spec}`);
    const group = (i: number) => (m[i] === undefined || m[i] === "" ? null : (m[i] as string));
    const topic = wholeName(group(1) ?? ".*");
    const exact = group(2);
    if (exact !== null) return { topic, partition: (p) => p === Number(exact) };
    const lower = Number(group(3) ?? 0);
    const upper = group(4) === null ? INT_MAX : Number(group(4));
    return { topic, partition: (p) => p >= lower && p < upper };
  });
}

function rulesOf(options: ParsedOptions): Rule[] {
  const topicPartitions = options.value("topic-partitions");
  if (topicPartitions !== undefined) {
    if (options.has("topic") || options.has("partitions")) {
      throw new TerseError("--topic-partitions cannot be used with --topic or --partitions");
    }
    return parseRules(topicPartitions);
  }
  const partitionsText = options.value("partitions") ?? "";
  let partitions: Set<number> | null = null;
  if (partitionsText !== "") {
    const ids = partitionsText.split(",");
    if (!ids.every((id) => /^[+-]?\d+$/.test(id) && Math.abs(Number(id)) <= INT_MAX)) {
      throw new TerseError(
        `--partitions expects a comma separated list of numeric partition ids, but received: ${partitionsText}`,
      );
    }
    partitions = new Set(ids.map(Number));
  }
  const chosen = partitions;
  return [
    { topic: wholeName(options.value("topic") ?? ".*"), partition: (p) => chosen === null || chosen.has(p) },
  ];
}

async function fetchOffsets(options: ParsedOptions, admin: AdminClient, io: ToolIo): Promise<void> {
  const rules = rulesOf(options);
  const spec = parseTime(options.value("time") ?? "latest");
  const topics = (await admin.listTopics({ listInternal: !options.has("exclude-internal-topics") }))
    .map((t) => t.name)
    .filter((name) => rules.some((r) => r.topic.test(name)));
  const partitions: TopicPartition[] = [];
  for (const t of topics.length === 0 ? [] : await admin.describeTopics(topics)) {
    for (const p of t.partitions) {
      if (rules.some((r) => r.topic.test(t.name) && r.partition(p.partitionIndex))) {
        partitions.push({ topic: t.name, partition: p.partitionIndex });
      }
    }
  }
  if (partitions.length === 0)
    throw new TerseError("Could not match any topic-partitions with the specified filters");
  const lines: [string, string][] = [];
  for (const r of await admin.listOffsets(partitions, spec)) {
    const name = `${r.topic}-${r.partition}`;
    if (r.errorCode !== ErrorCode.NONE) {
      io.err(`Skip getting offsets for topic-partition ${name} due to error: ${errorName(r.errorCode)}\n`);
    } else if (r.offset >= 0n) {
      lines.push([name, `${r.topic}:${r.partition}:${r.offset}\n`]);
    }
  }
  // Kafka's TreeMap orders by TopicPartition.toString(), "topic-partition", as text.
  lines.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  for (const [, line] of lines) io.out(line);
}

export function runGetOffsetsCommand(
  argv: readonly string[],
  io: ToolIo,
  version: () => string,
): Promise<number> {
  return runAdminTool(
    {
      parse: () => {
        if (argv.length === 0) throw new UsageError(USAGE_TEXT);
        let options: ParsedOptions;
        try {
          options = new ParsedOptions(readTokens(argv, SPECS_BY_NAME));
        } catch (error) {
          if (error instanceof OptionsError) throw new TerseError(error.message);
          throw error;
        }
        if (options.has("help")) return { kind: "help" };
        if (options.has("version")) return { kind: "version" };
        if (!options.has("bootstrap-server"))
          throw new UsageError('Missing required argument "[bootstrap-server]"');
        return { kind: "run", options };
      },
      help: (message) => layOut(message, OPTION_SPECS),
      helpMessage: USAGE_TEXT,
      clientId: "GetOffsetShell",
      run: (options, admin) => fetchOffsets(options, admin, io),
      failed: (error) => {
        io.err(`Error occurred: ${error instanceof Error ? error.message : String(error)}\n`);
        return 1;
      },
    },
    io,
    version,
  );
}
