import { createInterface } from "node:readline";
import type { Readable } from "node:stream";
import { Producer, type ProducerRecord } from "../../client/index.js";
import {
  CommandError,
  helpText,
  keyValueArgs,
  type OptionSpec,
  OptionsError,
  ParsedOptions,
  type ProducerSettings,
  producerOptionsFrom,
  readPropertiesFile,
  readTokens,
  type ToolIo,
  UsageError,
} from "../options/index.js";
import { LineReaderError, type LineReaderSettings, lineReaderSettings, parseLine } from "./line-reader.js";

/*
 * `brook console-producer`: Kafka 4.0's kafka-console-producer.sh (ConsoleProducer): lines of
 * standard input become records of one topic (Kafka's LineMessageReader: optional headers and
 * key), sent by Brook's producer with the tool's producer settings and defaults.
 */

const HELP_MESSAGE = "This tool helps to read data from standard input and publish it to Kafka.";

const arg = (type: "String" | "Integer" | "Long", describedAs: string, optional = false) =>
  ({ type, describedAs, ...(optional ? { optional } : {}) }) as const;
const OPTION_SPECS: readonly OptionSpec[] = [
  {
    name: "batch-size",
    arg: arg("Integer", "size"),
    description:
      "Number of messages to send in a single batch if they are not being sent synchronously. please note that this option will be replaced if max-partition-memory-bytes is also set (default: 16384)",
  },
  {
    name: "bootstrap-server",
    arg: arg("String", "server to connect to"),
    description:
      "REQUIRED: The server(s) to connect to. The broker list string in the form HOST1:PORT1,HOST2:PORT2.",
  },
  {
    name: "compression-codec",
    arg: arg("String", "compression-codec", true),
    description:
      "The compression codec: either 'none', 'gzip', 'snappy', 'lz4', or 'zstd'.If specified without value, then it defaults to 'gzip'",
  },
  { name: "help", description: "Print usage information." },
  {
    name: "line-reader",
    arg: arg("String", "reader_class"),
    description:
      "The class name of the class to use for reading lines from standard in. By default each line is read as a separate message. (default: org.apache.kafka.tools.LineMessageReader)",
  },
  {
    name: "max-block-ms",
    arg: arg("Long", "max block on send"),
    description: "The max time that the producer will block for during a send request. (default: 60000)",
  },
  {
    name: "max-memory-bytes",
    arg: arg("Long", "total memory in bytes"),
    description:
      "The total memory used by the producer to buffer records waiting to be sent to the server. This is the option to control `buffer.memory` in producer configs. (default: 33554432)",
  },
  {
    name: "max-partition-memory-bytes",
    arg: arg("Integer", "memory in bytes per partition"),
    description:
      "The buffer size allocated for a partition. When records are received which are smaller than this size the producer will attempt to optimistically group them together until this size is reached. This is the option to control `batch.size` in producer configs. (default: 16384)",
  },
  {
    name: "message-send-max-retries",
    arg: arg("Integer", ""),
    description:
      "Brokers can fail receiving the message for multiple reasons, and being unavailable transiently is just one of them. This property specifies the number of retries before the producer give up and drop this message. This is the option to control `retries` in producer configs. (default: 3)",
  },
  {
    name: "metadata-expiry-ms",
    arg: arg("Long", "metadata expiration interval"),
    description:
      "The period of time in milliseconds after which we force a refresh of metadata even if we haven't seen any leadership changes. This is the option to control `metadata.max.age.ms` in producer configs. (default: 300000)",
  },
  {
    name: "producer-property",
    arg: arg("String", "producer_prop"),
    description: "A mechanism to pass user-defined properties in the form key=value to the producer. ",
  },
  {
    name: "producer.config",
    arg: arg("String", "config file"),
    description:
      "Producer config properties file. Note that [producer-property] takes precedence over this config.",
  },
  {
    name: "property",
    arg: arg("String", "prop"),
    description:
      'A mechanism to pass user-defined properties in the form key=value to the message reader. This allows custom configuration for a user-defined message reader.\nDefault properties include:\n parse.key=false\n parse.headers=false\n ignore.error=false\n key.separator=\\t\n headers.delimiter=\\t\n headers.separator=,\n headers.key.separator=:\n null.marker=   When set, any fields (key, value and headers) equal to this will be replaced by null\nDefault parsing pattern when:\n parse.headers=true and parse.key=true:\n  "h1:v1,h2:v2...\\tkey\\tvalue"\n parse.key=true:\n  "key\\tvalue"\n parse.headers=true:\n  "h1:v1,h2:v2...\\tvalue"',
  },
  {
    name: "reader-config",
    arg: arg("String", "config file"),
    description:
      "Config properties file for the message reader. Note that [property] takes precedence over this config.",
  },
  {
    name: "request-required-acks",
    arg: arg("String", "request required acks"),
    description: "The required `acks` of the producer requests (default: -1)",
  },
  {
    name: "request-timeout-ms",
    arg: arg("Integer", "request timeout ms"),
    description:
      "The ack timeout of the producer requests. Value must be non-negative and non-zero. (default: 1500)",
  },
  {
    name: "retry-backoff-ms",
    arg: arg("Long", ""),
    description:
      "Before each retry, the producer refreshes the metadata of relevant topics. Since leader election takes a bit of time, this property specifies the amount of time that the producer waits before refreshing the metadata. This is the option to control `retry.backoff.ms` in producer configs. (default: 100)",
  },
  {
    name: "socket-buffer-size",
    arg: arg("Integer", "size"),
    description:
      "The size of the tcp RECV size. This is the option to control `send.buffer.bytes` in producer configs. (default: 102400)",
  },
  {
    name: "sync",
    description:
      "If set message send requests to the brokers are synchronously, one at a time as they arrive.",
  },
  {
    name: "timeout",
    arg: arg("Long", "timeout_ms"),
    description:
      "If set and the producer is running in asynchronous mode, this gives the maximum amount of time a message will queue awaiting sufficient batch size. The value is given in ms. This is the option to control `linger.ms` in producer configs. (default: 1000)",
  },
  {
    name: "topic",
    arg: arg("String", "topic"),
    description: "REQUIRED: The topic name to produce messages to.",
  },
  { name: "version", description: "Display Brook's version." },
];
const SPECS_BY_NAME = new Map(OPTION_SPECS.map((s) => [s.name, s]));

/** The tool's defaults for producer settings, applied unless the properties set them (maybeMergeOptions). */
const OPTION_DEFAULTS: readonly [option: string, key: string, fallback: string | null][] = [
  ["timeout", "linger.ms", "1000"],
  ["request-required-acks", "acks", "-1"],
  ["request-timeout-ms", "request.timeout.ms", "1500"],
  ["message-send-max-retries", "retries", "3"],
  ["retry-backoff-ms", "retry.backoff.ms", "100"],
  ["socket-buffer-size", "send.buffer.bytes", "102400"],
  ["max-memory-bytes", "buffer.memory", "33554432"],
  ["batch-size", "batch.size", "16384"],
  ["max-partition-memory-bytes", "batch.size", "16384"],
  ["metadata-expiry-ms", "metadata.max.age.ms", "300000"],
  ["max-block-ms", "max.block.ms", "60000"],
];

function loadProperties(path: string): Map<string, string> {
  return readPropertiesFile(path, (message) => new CommandError(message));
}

/** The producer's settings from the command line, with Kafka's precedence and the tool's defaults. */
export function producerSettings(options: ParsedOptions): ProducerSettings {
  const props = options.has("producer.config")
    ? loadProperties(options.value("producer.config") as string)
    : new Map<string, string>();
  for (const [k, v] of keyValueArgs(options.values("producer-property"))) props.set(k, v);
  const bootstrap = options.value("bootstrap-server") as string;
  props.set("bootstrap.servers", bootstrap);
  const codecGiven = options.has("compression-codec");
  const codec = codecGiven ? options.values("compression-codec")[0] || "gzip" : "none";
  props.set("compression.type", codec);
  for (const [option, key, fallback] of OPTION_DEFAULTS) {
    if (options.has(option) || !props.has(key)) {
      const value = options.value(option) ?? fallback;
      if (value === null) props.delete(key);
      else props.set(key, value);
    }
  }
  return producerOptionsFrom(props, "console-producer");
}

function readerSettings(options: ParsedOptions): LineReaderSettings {
  const props = options.has("reader-config")
    ? loadProperties(options.value("reader-config") as string)
    : new Map<string, string>();
  for (const [k, v] of keyValueArgs(options.values("property"))) props.set(k, v);
  return lineReaderSettings(props);
}

function describeBytes(v: string | null): string {
  return v === null ? "null" : `${Buffer.byteLength(v)} bytes`;
}

export interface ConsoleProducerIo extends ToolIo {
  /** Standard input; `isTTY` decides the `>` prompt, as Kafka prints it only with a console. */
  stdin: Readable & { isTTY?: boolean };
}

/**
 * Runs the tool; resolves with the exit code once standard input ended and every record was
 * answered (or, on a broken line, at once with 1).
 */
export async function runConsoleProducerCommand(
  argv: readonly string[],
  io: ConsoleProducerIo,
  version: () => string,
): Promise<number> {
  let options: ParsedOptions;
  let settings: ProducerSettings;
  let reader: LineReaderSettings;
  try {
    if (argv.length === 0) throw new UsageError(HELP_MESSAGE);
    options = new ParsedOptions(readTokens(argv, SPECS_BY_NAME));
    if (options.has("help")) {
      io.out(helpText(HELP_MESSAGE, OPTION_SPECS));
      return 0;
    }
    if (options.has("version")) {
      io.out(`${version()}\n`);
      return 0;
    }
    if (!options.has("topic")) throw new UsageError('Missing required argument "[topic]"');
    if (!options.has("bootstrap-server"))
      throw new UsageError('Missing required argument "[bootstrap-server]"');
    const lineReader = options.value("line-reader");
    if (lineReader !== undefined && lineReader !== "org.apache.kafka.tools.LineMessageReader")
      throw new CommandError(
        `Brook's console producer has only Kafka's LineMessageReader, not ${lineReader}`,
      );
    settings = producerSettings(options);
    reader = readerSettings(options);
  } catch (error) {
    if (error instanceof UsageError) io.err(helpText(error.message, OPTION_SPECS));
    else if (
      error instanceof OptionsError ||
      error instanceof CommandError ||
      error instanceof LineReaderError
    )
      io.err(`${error.message}\n`);
    else throw error;
    return 1;
  }
  for (const w of settings.warnings) io.err(`${w}\n`);
  const topic = options.value("topic") as string;
  const sync = options.has("sync");
  const producer = new Producer(settings.options);
  const prompt = io.stdin.isTTY === true;
  const lines = createInterface({ input: io.stdin, crlfDelay: Number.POSITIVE_INFINITY, terminal: false });
  let lineNumber = 0;
  let failed = false;
  try {
    if (prompt) io.out(">");
    for await (const line of lines) {
      lineNumber++;
      const parsed = parseLine(line, lineNumber, reader);
      const record: ProducerRecord = {
        topic,
        key: parsed.key,
        value: parsed.value,
        ...(parsed.headers.length > 0 ? { headers: parsed.headers } : {}),
      };
      const sending = producer.send(record);
      if (sync) await sending;
      else
        sending.catch((error: unknown) => {
          io.err(
            `ERROR Error when sending message to topic ${topic} with key: ${describeBytes(parsed.key)}, value: ${describeBytes(parsed.value)} with error: ${(error as Error).message}\n`,
          );
        });
      if (prompt) io.out(">");
    }
  } catch (error) {
    failed = true;
    io.err(`${error instanceof LineReaderError ? "" : "ERROR "}${(error as Error).message}\n`);
  } finally {
    lines.close();
    await producer.close();
  }
  return failed ? 1 : 0;
}
