import { Consumer, type ConsumerOptions } from "../../client/index.js";
import {
  CommandError,
  consumerOptionsFrom,
  helpText,
  type OptionSpec,
  OptionsError,
  ParsedOptions,
  readPropertiesFile,
  readTokens,
  type ToolIo,
  UsageError,
} from "../options/index.js";

/*
 * `brook consumer-perf-test`: Kafka 4.0's kafka-consumer-perf-test.sh (ConsumerPerformance): a
 * group member of --topic reads --messages records (or until --timeout passes without one) and
 * prints Kafka's CSV line: start and end time, MB and records read and their rates, the time spent
 * joining the group (rebalance.time.ms) and the rates over the rest (fetch.*).
 */

const HELP_MESSAGE = "This tool is used to verify the consumer performance.";
const HEADER_FIELDS = ", rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec";

const arg = (type: "String" | "Integer" | "Long", describedAs: string, optional = false) =>
  ({ type, describedAs, ...(optional ? { optional } : {}) }) as const;
const OPTION_SPECS: readonly OptionSpec[] = [
  {
    name: "bootstrap-server",
    arg: arg("String", "server to connect to"),
    description: "REQUIRED: The server(s) to connect to.",
  },
  {
    name: "consumer.config",
    arg: arg("String", "config file"),
    description: "Consumer config properties file.",
  },
  {
    name: "date-format",
    arg: arg("String", "date format"),
    description:
      "The date format to use for formatting the time field. See java.text.SimpleDateFormat for options. (default: yyyy-MM-dd HH:mm:ss:SSS)",
  },
  {
    name: "fetch-size",
    arg: arg("Integer", "size"),
    description: "The amount of data to fetch in a single request. (default: 1048576)",
  },
  {
    name: "from-latest",
    description:
      "If the consumer does not already have an established offset to consume from, start with the latest message present in the log rather than the earliest message.",
  },
  {
    name: "group",
    arg: arg("String", "gid"),
    description: "The group id to consume on. (default: perf-consumer-NNNNN)",
  },
  { name: "help", description: "Print usage information." },
  { name: "hide-header", description: "If set, skips printing the header for the stats" },
  {
    name: "messages",
    arg: arg("Long", "count"),
    description: "REQUIRED: The number of messages to send or consume",
  },
  { name: "print-metrics", description: "Print out the metrics. (Brook prints none yet.)" },
  {
    name: "reporting-interval",
    arg: arg("Long", "interval_ms"),
    description: "Interval in milliseconds at which to print progress info. (default: 5000)",
  },
  {
    name: "show-detailed-stats",
    description: "If set, stats are reported for each reporting interval as configured by reporting-interval",
  },
  {
    name: "socket-buffer-size",
    arg: arg("Integer", "size"),
    description: "The size of the tcp RECV size. (default: 2097152)",
  },
  {
    name: "timeout",
    arg: arg("Long", "milliseconds", true),
    description: "The maximum allowed time in milliseconds between returned records. (default: 10000)",
  },
  { name: "topic", arg: arg("String", "topic"), description: "REQUIRED: The topic to consume from." },
  { name: "version", description: "Display Brook's version." },
];
const SPECS_BY_NAME = new Map(OPTION_SPECS.map((s) => [s.name, s]));

const pad = (n: number, width: number) => String(n).padStart(width, "0");

/** java.text.SimpleDateFormat for the letters a performance report uses (y M d H m s S, quoted text). */
export function formatDate(pattern: string, ms: number): string {
  const d = new Date(ms);
  let out = "";
  for (let i = 0; i < pattern.length; ) {
    const c = pattern[i] as string;
    if (c === "'") {
      const end = pattern.indexOf("'", i + 1);
      out += end === i + 1 ? "'" : pattern.slice(i + 1, end < 0 ? pattern.length : end);
      i = end < 0 ? pattern.length : end + 1;
      continue;
    }
    let n = 1;
    while (pattern[i + n] === c) n++;
    const values: Record<string, number> = {
      y: d.getFullYear(),
      M: d.getMonth() + 1,
      d: d.getDate(),
      H: d.getHours(),
      m: d.getMinutes(),
      s: d.getSeconds(),
      S: d.getMilliseconds(),
    };
    const value = values[c];
    if (value === undefined) {
      if (/[a-zA-Z]/.test(c)) throw new CommandError(`Illegal pattern character '${c}'`);
      out += c.repeat(n);
    } else if (c === "y" && n === 2) {
      out += pad(value % 100, 2);
    } else {
      out += pad(value, n);
    }
    i += n;
  }
  return out;
}

export interface ConsumerPerfSettings {
  consumer: ConsumerOptions;
  topic: string;
  messages: number;
  timeoutMs: number;
  reportingIntervalMs: number;
  detailed: boolean;
  hideHeader: boolean;
  dateFormat: string;
}

/** The command line, checked as ConsumerPerfOptions checks it. */
export function parseConsumerPerfArgs(argv: readonly string[]): "help" | "version" | ConsumerPerfSettings {
  if (argv.length === 0) throw new UsageError(HELP_MESSAGE);
  const options = new ParsedOptions(readTokens(argv, SPECS_BY_NAME));
  if (options.has("help")) return "help";
  if (options.has("version")) return "version";
  for (const required of ["topic", "messages"])
    if (!options.has(required)) throw new UsageError(`Missing required argument "[${required}]"`);
  const bootstrap = options.value("bootstrap-server");
  if (bootstrap === undefined) throw new UsageError('Missing required argument "[bootstrap-server]"');
  const props = options.has("consumer.config")
    ? readPropertiesFile(options.value("consumer.config") as string, (m) => new CommandError(m))
    : new Map<string, string>();
  props.set("bootstrap.servers", bootstrap);
  props.set("group.id", options.value("group") ?? `perf-consumer-${Math.floor(Math.random() * 100_000)}`);
  props.set("max.partition.fetch.bytes", String(options.integer("fetch-size") ?? 1024 * 1024));
  props.set("auto.offset.reset", options.has("from-latest") ? "latest" : "earliest");
  if (!props.has("client.id")) props.set("client.id", "perf-consumer-client");
  const interval = options.value("reporting-interval") ?? "5000";
  if (!/^\d+$/.test(interval)) throw new UsageError(`Value [${interval}] did not match pattern [^\\d+$]`);
  const dateFormat = options.value("date-format") ?? "yyyy-MM-dd HH:mm:ss:SSS";
  formatDate(dateFormat, 0);
  return {
    consumer: consumerOptionsFrom(props, (m) => new CommandError(m)),
    topic: options.value("topic") as string,
    messages: Number(options.long("messages")),
    timeoutMs: options.values("timeout").length === 0 ? 10_000 : Number(options.long("timeout")),
    reportingIntervalMs: Number(interval),
    detailed: options.has("show-detailed-stats"),
    hideHeader: options.has("hide-header"),
    dateFormat,
  };
}

const MB = 1024 * 1024;
const f4 = (v: number) => (Number.isFinite(v) ? v.toFixed(4) : v > 0 ? "Infinity" : "NaN");

/** Runs the tool; the exit code. */
export async function runConsumerPerfTestCommand(
  argv: readonly string[],
  io: ToolIo,
  version: () => string,
): Promise<number> {
  let settings: ConsumerPerfSettings;
  try {
    const parsed = parseConsumerPerfArgs(argv);
    if (parsed === "help") {
      io.out(helpText(HELP_MESSAGE, OPTION_SPECS));
      return 0;
    }
    if (parsed === "version") {
      io.out(`${version()}\n`);
      return 0;
    }
    settings = parsed;
  } catch (error) {
    if (error instanceof UsageError) io.err(helpText(error.message, OPTION_SPECS));
    else if (error instanceof OptionsError || error instanceof CommandError) io.err(`${error.message}\n`);
    else throw error;
    return 1;
  }
  if (!settings.hideHeader)
    io.out(
      settings.detailed
        ? `time, threadId, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec${HEADER_FIELDS}\n`
        : `start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec${HEADER_FIELDS}\n`,
    );
  const consumer = new Consumer({ ...settings.consumer, clientSoftwareVersion: version() });
  const startMs = Date.now();
  /** Until the first assignment: Kafka's rebalance listener measures the join. */
  let joinTimeMs = 0;
  let joinTimeInRoundMs = 0;
  let joined = false;
  let messages = 0;
  let bytes = 0;
  let lastMessages = 0;
  let lastBytes = 0;
  let lastReportMs = startMs;
  let lastConsumedMs = startMs;
  let now = startMs;
  try {
    consumer.subscribe([settings.topic]);
    while (messages < settings.messages && now - lastConsumedMs <= settings.timeoutMs) {
      const records = await consumer.poll(100);
      now = Date.now();
      if (!joined && consumer.assignment().length > 0) {
        joined = true;
        joinTimeMs = now - startMs;
        joinTimeInRoundMs = joinTimeMs;
      }
      if (records.length > 0) lastConsumedMs = now;
      for (const r of records) {
        messages++;
        bytes += (r.key?.length ?? 0) + (r.value?.length ?? 0);
        if (now - lastReportMs >= settings.reportingIntervalMs) {
          if (settings.detailed) {
            const elapsed = now - lastReportMs;
            const fetchMs = elapsed - joinTimeInRoundMs;
            const intervalMb = (bytes - lastBytes) / MB;
            io.out(
              `${formatDate(settings.dateFormat, now)}, 0, ${f4(bytes / MB)}, ${f4((1000 * intervalMb) / elapsed)}, ${messages}, ${f4(((messages - lastMessages) / elapsed) * 1000)}, ${joinTimeInRoundMs}, ${fetchMs}, ${f4(fetchMs <= 0 ? 0 : (1000 * intervalMb) / fetchMs)}, ${f4(fetchMs <= 0 ? 0 : (1000 * (messages - lastMessages)) / fetchMs)}\n`,
            );
          }
          joinTimeInRoundMs = 0;
          lastReportMs = now;
          lastMessages = messages;
          lastBytes = bytes;
        }
        if (messages >= settings.messages) break;
      }
    }
    if (messages < settings.messages)
      io.out(
        `WARNING: Exiting before consuming the expected number of messages: timeout (${settings.timeoutMs} ms) exceeded. You can use the --timeout option to increase the timeout.\n`,
      );
  } catch (error) {
    io.err(`${(error as Error).message}\n`);
    await consumer.close().catch(() => {});
    return 1;
  }
  const endMs = Date.now();
  await consumer.close();
  if (!settings.detailed) {
    const elapsedSec = (endMs - startMs) / 1000;
    const fetchMs = endMs - startMs - joinTimeMs;
    const mb = bytes / MB;
    io.out(
      `${formatDate(settings.dateFormat, startMs)}, ${formatDate(settings.dateFormat, endMs)}, ${f4(mb)}, ${f4(mb / elapsedSec)}, ${messages}, ${f4(messages / elapsedSec)}, ${joinTimeMs}, ${fetchMs}, ${f4(mb / (fetchMs / 1000))}, ${f4(messages / (fetchMs / 1000))}\n`,
    );
  }
  return 0;
}
