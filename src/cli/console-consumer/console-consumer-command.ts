import { Consumer, type ConsumerOptions, type ConsumerRecord } from "../../client/index.js";
import {
  CommandError,
  consumerOptionsFrom,
  keyValueArgs,
  helpText as layOut,
  type OptionSpec,
  OptionsError,
  ParsedOptions,
  readPropertiesFile,
  readTokens,
  type ToolIo,
  UsageError,
  unusedConsumerProperties,
} from "../options/index.js";
import { formatRecord, formatterSettings } from "./message-formatter.js";

/*
 * `brook console-consumer`: Kafka 4.0's kafka-console-consumer.sh (ConsoleConsumer,
 * ConsoleConsumerOptions): records of a topic (or of topics matching --include) on stdout, in
 * DefaultMessageFormatter's layout, until --max-messages, --timeout-ms without a record, or
 * SIGINT/SIGTERM; then "Processed a total of N messages" on stderr.
 */

const HELP_MESSAGE = "This tool helps to read data from Kafka topics and outputs it to standard output.";
const DEFAULT_FORMATTER = "org.apache.kafka.tools.consumer.DefaultMessageFormatter";
const FORMATTER_NAMES = new Set([DEFAULT_FORMATTER, "kafka.tools.DefaultMessageFormatter"]);
const PROPERTY_HELP = [
  "The properties to initialize the message formatter. Default properties include:",
  " print.timestamp=true|false",
  " print.key=true|false",
  " print.offset=true|false",
  " print.epoch=true|false",
  " print.partition=true|false",
  " print.headers=true|false",
  " print.value=true|false",
  " key.separator=<key.separator>",
  " line.separator=<line.separator>",
  " headers.separator=<line.separator>",
  " null.literal=<null.literal>",
].join("\n");

const string = (describedAs: string) => ({ type: "String", describedAs }) as const;
const OPTION_SPECS: readonly OptionSpec[] = [
  {
    name: "bootstrap-server",
    arg: string("server to connect to"),
    description: "REQUIRED: The server(s) to connect to.",
  },
  {
    name: "consumer-property",
    arg: string("consumer_prop"),
    description: "A mechanism to pass user-defined properties in the form key=value to the consumer.",
  },
  {
    name: "consumer.config",
    arg: string("config file"),
    description:
      "Consumer config properties file. Note that [consumer-property] takes precedence over this config.",
  },
  {
    name: "formatter",
    arg: string("class"),
    description: `The name of a class to use for formatting kafka messages for display. (default: ${DEFAULT_FORMATTER})`,
  },
  {
    name: "formatter-config",
    arg: string("config file"),
    description:
      "Config properties file to initialize the message formatter. Note that [property] takes precedence over this config.",
  },
  {
    name: "from-beginning",
    description:
      "If the consumer does not already have an established offset to consume from, start with the earliest message present in the log rather than the latest message.",
  },
  { name: "group", arg: string("consumer group id"), description: "The consumer group id of the consumer." },
  { name: "help", description: "Print usage information." },
  {
    name: "include",
    arg: string("Java regex (String)"),
    description: "Regular expression specifying list of topics to include for consumption.",
  },
  {
    name: "isolation-level",
    arg: string(""),
    description:
      "Set to read_committed in order to filter out transactional messages which are not committed. Set to read_uncommitted to read all messages. (default: read_uncommitted)",
  },
  {
    name: "max-messages",
    arg: { type: "Integer", describedAs: "num_messages" },
    description:
      "The maximum number of messages to consume before exiting. If not set, consumption is continual.",
  },
  {
    name: "offset",
    arg: string("consume offset"),
    description:
      "The offset to consume from (a non-negative number), or 'earliest' which means from beginning, or 'latest' which means from end (default: latest)",
  },
  {
    name: "partition",
    arg: { type: "Integer", describedAs: "partition" },
    description:
      "The partition to consume from. Consumption starts from the end of the partition unless '--offset' is specified.",
  },
  { name: "property", arg: string("prop"), description: PROPERTY_HELP },
  {
    name: "skip-message-on-error",
    description: "If there is an error when processing a message, skip it instead of halt.",
  },
  {
    name: "timeout-ms",
    arg: { type: "Long", describedAs: "timeout_ms" },
    description: "If specified, exit if no message is available for consumption for the specified interval.",
  },
  { name: "topic", arg: string("topic"), description: "The topic to consume on." },
  { name: "version", description: "Display Brook's version." },
];
const SPECS_BY_NAME = new Map(OPTION_SPECS.map((s) => [s.name, s]));

/** A failure Kafka's tool reports on stderr alone (no help), exit code 1. */
class PlainError extends Error {}

/** What the command line asks for, checked as ConsoleConsumerOptions checks it. */
export interface ConsoleConsumerSettings {
  consumer: ConsumerOptions;
  topic: string | null;
  include: RegExp | null;
  partition: number | null;
  /** With --partition: where to start. */
  offset: bigint | "earliest" | "latest";
  /** -1: no limit. */
  maxMessages: number;
  /** null: wait for ever. */
  timeoutMs: number | null;
  formatter: Map<string, string>;
  /** Consumer properties Brook's consumer does not use, for a warning. */
  unused: string[];
}

function loadProps(path: string): Map<string, string> {
  return readPropertiesFile(path, (message) => new PlainError(message));
}

/** Reads the command line; throws UsageError (message and help) or PlainError (message alone). */
export function parseConsoleConsumerArgs(
  argv: readonly string[],
): { kind: "help" } | { kind: "version" } | { kind: "run"; settings: ConsoleConsumerSettings } {
  let options: ParsedOptions;
  try {
    options = new ParsedOptions(readTokens(argv, SPECS_BY_NAME));
  } catch (error) {
    if (error instanceof OptionsError) throw new UsageError(error.message);
    throw error;
  }
  if (argv.length === 0 || options.has("help")) return { kind: "help" };
  if (options.has("version")) return { kind: "version" };
  try {
    return { kind: "run", settings: settingsOf(options) };
  } catch (error) {
    // jopt-simple's conversion failures come up as usage failures.
    if (error instanceof CommandError) throw new UsageError(error.message);
    throw error;
  }
}

function settingsOf(options: ParsedOptions): ConsoleConsumerSettings {
  const topic = options.value("topic") ?? null;
  const includeText = options.value("include") ?? null;
  if ((topic === null) === (includeText === null))
    throw new UsageError("Exactly one of --include/--topic is required. ");
  const partition = options.has("partition") ? (options.integer("partition") as number) : null;
  const fromBeginning = options.has("from-beginning");
  if (partition !== null) {
    if (topic === null) throw new UsageError("The topic is required when partition is specified.");
    if (fromBeginning && options.has("offset"))
      throw new UsageError("Options from-beginning and offset cannot be specified together.");
  } else if (options.has("offset")) {
    throw new UsageError("The partition is required when offset is specified.");
  }
  const bootstrap = options.value("bootstrap-server");
  if (bootstrap === undefined) throw new UsageError('Missing required argument "[bootstrap-server]"');

  const props = new Map<string, string>();
  const fromFile = options.has("consumer.config")
    ? loadProps(options.value("consumer.config") as string)
    : new Map();
  const extra = keyValueArgs(options.values("consumer-property"));
  const groups = new Set<string>();
  if (options.has("group")) groups.add(options.value("group") as string);
  if (fromFile.has("group.id")) groups.add(fromFile.get("group.id") as string);
  if (extra.has("group.id")) groups.add(extra.get("group.id") as string);
  if (groups.size > 1)
    throw new UsageError(
      `The group ids provided in different places (directly using '--group', via '--consumer-property', or via '--consumer.config') do not match. Detected group ids: ${[...groups].map((g) => `'${g}'`).join(", ")}`,
    );
  if (groups.size > 0 && partition !== null)
    throw new UsageError("Options group and partition cannot be specified together.");
  for (const [k, v] of fromFile) props.set(k, v);
  for (const [k, v] of extra) props.set(k, v);
  const reset = props.get("auto.offset.reset");
  if (reset !== undefined) {
    if (fromBeginning && reset !== "earliest")
      throw new PlainError(
        `Can't simultaneously specify --from-beginning and 'auto.offset.reset=${reset}', please remove one option`,
      );
  } else {
    props.set("auto.offset.reset", fromBeginning ? "earliest" : "latest");
  }
  props.set("bootstrap.servers", bootstrap);
  if (!props.has("client.id")) props.set("client.id", "console-consumer");
  if (options.has("isolation-level") || !props.has("isolation.level"))
    props.set("isolation.level", options.value("isolation-level") ?? "read_uncommitted");
  if (groups.size === 0) {
    props.set("group.id", `console-consumer-${Math.floor(Math.random() * 100_000)}`);
    // As Kafka: a generated group's offsets are not meant to be used again, so none are committed.
    if (!props.has("enable.auto.commit")) props.set("enable.auto.commit", "false");
  } else {
    props.set("group.id", [...groups][0] as string);
  }

  let offset: bigint | "earliest" | "latest" = fromBeginning ? "earliest" : "latest";
  const offsetText = options.value("offset");
  if (offsetText !== undefined) {
    const lower = offsetText.toLowerCase();
    if (lower === "earliest" || lower === "latest") offset = lower;
    else if (/^[+-]?\d+$/.test(offsetText) && BigInt(offsetText) >= 0n && BigInt(offsetText) < 2n ** 63n)
      offset = BigInt(offsetText);
    else
      throw new UsageError(
        `The provided offset value '${offsetText}' is incorrect. Valid values are 'earliest', 'latest', or a non-negative long.`,
      );
  }
  const timeout = options.long("timeout-ms");
  const formatterName = options.value("formatter") ?? DEFAULT_FORMATTER;
  if (!FORMATTER_NAMES.has(formatterName)) throw new UsageError(formatterName);
  const formatter = options.has("formatter-config")
    ? loadProps(options.value("formatter-config") as string)
    : new Map<string, string>();
  for (const [k, v] of keyValueArgs(options.values("property"))) formatter.set(k, v);

  return {
    consumer: consumerOptionsFrom(props, (message) => new PlainError(message)),
    topic,
    include: includeText === null ? null : includeRegex(includeText),
    partition,
    offset,
    maxMessages: options.has("max-messages") ? (options.integer("max-messages") as number) : -1,
    timeoutMs: timeout !== undefined && timeout >= 0n ? Number(timeout) : null,
    formatter,
    unused: unusedConsumerProperties(props),
  };
}

function includeRegex(text: string): RegExp {
  try {
    return new RegExp(text);
  } catch (error) {
    throw new PlainError((error as Error).message);
  }
}

/** Kafka's ConsoleConsumer.process: records out until the limit, the idle timeout or a signal. */
async function consume(
  settings: ConsoleConsumerSettings,
  io: ToolIo,
  version: () => string,
): Promise<number> {
  const consumer = new Consumer({ ...settings.consumer, clientSoftwareVersion: version() });
  let stopping = false;
  const stop = () => {
    stopping = true;
    consumer.wakeup();
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  const format = formatterSettings(settings.formatter);
  let count = 0;
  let pending: ConsumerRecord[] = [];
  let next = 0;
  try {
    if (settings.partition !== null) {
      consumer.assign([
        { topic: settings.topic as string, partition: settings.partition, offset: settings.offset },
      ]);
    } else {
      consumer.subscribe(settings.topic !== null ? [settings.topic] : (settings.include as RegExp));
    }
    const timeoutMs = settings.timeoutMs;
    outer: while (settings.maxMessages === -1 || count < settings.maxMessages) {
      const startMs = performance.now();
      while (next >= pending.length) {
        if (stopping) break outer;
        pending = await consumer.poll(timeoutMs ?? 1000);
        next = 0;
        if (pending.length === 0 && timeoutMs !== null && performance.now() - startMs > timeoutMs) {
          io.err(
            "ERROR Error processing message, terminating consumer process: org.apache.kafka.common.errors.TimeoutException\n",
          );
          break outer;
        }
      }
      let text = "";
      while (next < pending.length && (settings.maxMessages === -1 || count < settings.maxMessages)) {
        text += formatRecord(pending[next++] as ConsumerRecord, format).toString("utf8");
        count++;
      }
      io.out(text);
    }
  } catch (error) {
    io.err(`ERROR Error processing message, terminating consumer process: ${describe(error)}\n`);
  } finally {
    // Kafka's resetUnconsumedOffsets: what was fetched and not printed is not committed.
    const firstUnprinted = new Map<string, ConsumerRecord>();
    for (const r of pending.slice(next)) {
      const key = `${r.partition}:${r.topic}`;
      if (!firstUnprinted.has(key)) firstUnprinted.set(key, r);
    }
    for (const r of firstUnprinted.values()) consumer.seek(r, r.offset);
    await consumer.close().catch(() => {});
    process.removeListener("SIGINT", stop);
    process.removeListener("SIGTERM", stop);
    io.err(`Processed a total of ${count} messages\n`);
  }
  return 0;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export async function runConsoleConsumerCommand(
  args: string[],
  io: { out(text: string): void; err(text: string): void },
  version: () => string,
): Promise<number> {
  let parsed: ReturnType<typeof parseConsoleConsumerArgs>;
  try {
    parsed = parseConsoleConsumerArgs(args);
  } catch (error) {
    if (error instanceof UsageError) io.err(layOut(error.message, OPTION_SPECS));
    else io.err(`${describe(error)}\n`);
    return 1;
  }
  if (parsed.kind === "help") {
    // Kafka's CommandLineUtils.printUsageAndExit: the help goes to stderr and the exit code is 1.
    io.err(layOut(HELP_MESSAGE, OPTION_SPECS));
    return 1;
  }
  if (parsed.kind === "version") {
    io.out(`${version()}\n`);
    return 0;
  }
  for (const key of parsed.settings.unused)
    io.err(`WARN The configuration '${key}' was supplied but isn't used by Brook's consumer; ignored.\n`);
  return consume(parsed.settings, io, version);
}
