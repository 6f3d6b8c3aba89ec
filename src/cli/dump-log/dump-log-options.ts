import { type OptionSpec, ParsedOptions, readTokens, UsageError } from "../options/index.js";
import type { IndexDumpSettings } from "./index-files.js";
import { INT_MAX, type LogDumpSettings } from "./log-file.js";
import { offsetsDecoder } from "./offsets-decoder.js";
import {
  clusterMetadataDecoder,
  type RecordDecoder,
  stringDecoder,
  transactionLogDecoder,
} from "./record-decoders.js";

/*
 * The command line of Kafka 4.0's kafka-dump-log.sh (DumpLogSegmentsOptions), read as jopt-simple
 * reads it. Left out: --remote-log-metadata-decoder and --share-group-state-decoder (Brook has no
 * tiered storage or share groups to decode).
 */

export const HELP_MESSAGE =
  "This tool helps to parse a log file and dump its contents to the console, useful for debugging a seemingly corrupt log segment.";

const STRING_DECODER = "org.apache.kafka.tools.api.StringDecoder";
const MAX_MESSAGE_SIZE_DEFAULT = 5 * 1024 * 1024;

const size = { type: "Integer", describedAs: "size" } as const;
const decoderClass = { type: "String", describedAs: "", optional: true } as const;
export const OPTION_SPECS: readonly OptionSpec[] = [
  {
    name: "cluster-metadata-decoder",
    description: "If set, log data will be parsed as cluster metadata records.",
  },
  {
    name: "deep-iteration",
    description:
      "If set, uses deep instead of shallow iteration. Automatically set if print-data-log is enabled.",
  },
  {
    name: "files",
    arg: { type: "String", describedAs: "file1, file2, ..." },
    description: "REQUIRED: The comma separated list of data and index log files to be dumped.",
  },
  { name: "help", description: "Print usage information." },
  {
    name: "index-sanity-check",
    description:
      "If set, just checks the index sanity without printing its content. This is the same check that is executed on broker startup to determine if an index needs rebuilding or not.",
  },
  {
    name: "key-decoder-class",
    arg: decoderClass,
    description: `If set, used to deserialize the keys. This class should implement org.apache.kafka.tools.api.Decoder trait. Custom jar should be available in kafka/libs directory. (Brook prints keys as UTF-8 text, as ${STRING_DECODER} does.) (default: ${STRING_DECODER})`,
  },
  {
    name: "max-bytes",
    arg: size,
    description: `Limit the amount of total batches read in bytes avoiding reading the whole .log file(s). (default: ${INT_MAX})`,
  },
  {
    name: "max-message-size",
    arg: size,
    description: `Size of largest message. (default: ${MAX_MESSAGE_SIZE_DEFAULT})`,
  },
  {
    name: "offsets-decoder",
    description: "If set, log data will be parsed as offset data from the __consumer_offsets topic.",
  },
  {
    name: "print-data-log",
    description:
      "If set, printing the messages content when dumping data logs. Automatically set if any decoder option is specified.",
  },
  { name: "skip-record-metadata", description: "Whether to skip printing metadata for each record." },
  {
    name: "transaction-log-decoder",
    description:
      "If set, log data will be parsed as transaction metadata from the __transaction_state topic.",
  },
  {
    name: "value-decoder-class",
    arg: decoderClass,
    description: `If set, used to deserialize the messages. This class should implement org.apache.kafka.tools.api.Decoder trait. Custom jar should be available in kafka/libs directory. (Brook prints values as UTF-8 text, as ${STRING_DECODER} does.) (default: ${STRING_DECODER})`,
  },
  {
    name: "verify-index-only",
    description: "If set, just verify the index log without printing its content.",
  },
  { name: "version", description: "Display Brook's version." },
];
const SPECS_BY_NAME = new Map(OPTION_SPECS.map((s) => [s.name, s]));

export interface DumpLogSettings {
  files: string[];
  log: LogDumpSettings;
  index: IndexDumpSettings;
  /** Notices for stderr before the dump (decoder classes Brook does not load). */
  notes: string[];
}

export type DumpLogCommandLine =
  | { kind: "help" }
  | { kind: "version" }
  | { kind: "run"; settings: DumpLogSettings };

/**
 * Reads the command line. Throws OptionsError (a line that cannot be read: the message alone),
 * UsageError (--files missing: the message and the help) or CommandError (a value that does not
 * convert).
 */
export function parseDumpLogArgs(argv: readonly string[]): DumpLogCommandLine {
  const options = new ParsedOptions(readTokens(argv, SPECS_BY_NAME));
  if (argv.length === 0 || options.has("help")) return { kind: "help" };
  if (options.has("version")) return { kind: "version" };
  const files = options.value("files");
  if (files === undefined) throw new UsageError('Missing required argument "[files]"');
  const decoders = ["offsets-decoder", "transaction-log-decoder", "cluster-metadata-decoder"];
  const classes = ["key-decoder-class", "value-decoder-class"];
  const printContents =
    options.has("print-data-log") || [...decoders, ...classes].some((o) => options.has(o));
  const notes: string[] = [];
  for (const option of classes) {
    const named = options.value(option);
    if (named !== undefined && named !== STRING_DECODER) {
      notes.push(
        `Brook prints keys and values as UTF-8 text (${STRING_DECODER}); --${option} ${named} is ignored.`,
      );
    }
  }
  return {
    kind: "run",
    settings: {
      files: javaSplit(files),
      log: {
        printContents,
        deepIteration: options.has("deep-iteration") || printContents,
        skipRecordMetadata: options.has("skip-record-metadata"),
        decoder: decoderOf(options),
        maxBytes: options.integer("max-bytes") ?? INT_MAX,
      },
      index: {
        sanityOnly: options.has("index-sanity-check"),
        verifyOnly: options.has("verify-index-only"),
        maxMessageSize: options.integer("max-message-size") ?? MAX_MESSAGE_SIZE_DEFAULT,
      },
      notes,
    },
  };
}

/** The first decoder option in Kafka's order of precedence wins. */
function decoderOf(options: ParsedOptions): RecordDecoder {
  if (options.has("offsets-decoder")) return offsetsDecoder;
  if (options.has("transaction-log-decoder")) return transactionLogDecoder;
  if (options.has("cluster-metadata-decoder")) return clusterMetadataDecoder;
  return stringDecoder;
}

/** Java's String.split(","): empty strings at the end are dropped, unless nothing matched. */
function javaSplit(text: string): string[] {
  const parts = text.split(",");
  if (parts.length === 1) return parts;
  while (parts.length > 0 && parts[parts.length - 1] === "") parts.pop();
  return parts;
}
