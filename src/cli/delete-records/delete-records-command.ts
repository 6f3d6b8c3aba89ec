import {
  type AdminClient,
  type DeletedRecords,
  isConnectionFailure,
  partitionKey,
  type RecordsToDelete,
} from "../../client/index.js";
import { ErrorCode, KafkaError } from "../../protocol/index.js";
import {
  asArray,
  asObject,
  CommandError,
  exceptionText,
  field,
  JavaFileError,
  JsonMappingError,
  javaHashOrder,
  helpText as layOut,
  type OptionSpec,
  type ParsedOptions,
  parseJson,
  parseSimpleCommandLine,
  readFileAsString,
  runAdminTool,
  type ToolIo,
  toInt,
  toLong,
  topicPartitionHash,
  toText,
} from "../options/index.js";

/*
 * `brook delete-records`: Kafka's kafka-delete-records.sh (DeleteRecordsCommand): moves the low
 * watermark (log start offset) of each partition of a JSON file up to an offset, then prints each
 * partition's new low watermark or its error. Exit code 0 whatever the partitions' outcome, as
 * Kafka's; 1 for a wrong command line or file, with the message on stderr.
 */

const HELP_MESSAGE =
  "This tool helps to delete records of the given partitions down to the specified offset.";

const string = (describedAs: string) => ({ type: "String", describedAs }) as const;
export const OPTION_SPECS: readonly OptionSpec[] = [
  {
    name: "bootstrap-server",
    arg: string("server(s) to use for bootstrapping"),
    description: "REQUIRED: The server to connect to.",
  },
  {
    name: "command-config",
    arg: string("command config property file path"),
    description: "A property file containing configs to be passed to Admin Client.",
  },
  { name: "help", description: "Print usage information." },
  {
    name: "offset-json-file",
    arg: string("Offset json file path"),
    description:
      'REQUIRED: The JSON file with offset per partition. The format to use is:\n{"partitions":\n  [{"topic": "foo", "partition": 1, "offset": 1}],\n "version":1\n}',
  },
  { name: "version", description: "Display Brook's version." },
];
const SPECS_BY_NAME = new Map(OPTION_SPECS.map((s) => [s.name, s]));

/** The only version of the file's format; a file without "version" is of it. */
const FORMAT_VERSION = 1;

/**
 * The partitions and offsets of an --offset-json-file (Kafka's parseOffsetJsonStringWithoutDedup
 * and its duplicate check), in the order Kafka's HashMap gives them; its failures with Kafka's
 * messages, as CommandError.
 */
export function parseOffsetJson(text: string): RecordsToDelete[] {
  const js = parseJson(text);
  if (js === null) throw new CommandError("The input string is not a valid JSON");
  const byPartition = new Map<string, { records: RecordsToDelete; count: number }>();
  try {
    const root = asObject(js);
    const version = root.get("version");
    const formatVersion = version === undefined ? FORMAT_VERSION : toInt(version);
    if (formatVersion !== FORMAT_VERSION)
      throw new CommandError(`Not supported version field value ${formatVersion}`);
    const partitions = root.get("partitions");
    if (partitions === undefined) throw new CommandError("Missing partitions field");
    for (const item of asArray(partitions)) {
      const p = asObject(item);
      const records = {
        topic: toText(field(p, "topic")),
        partition: toInt(field(p, "partition")),
        offset: toLong(field(p, "offset")),
      };
      const seen = byPartition.get(partitionKey(records));
      if (seen === undefined) byPartition.set(partitionKey(records), { records, count: 1 });
      else seen.count++;
    }
  } catch (error) {
    if (error instanceof JsonMappingError) throw new CommandError(error.message);
    throw error;
  }
  const hash = (e: { records: RecordsToDelete }) => topicPartitionHash(e.records);
  const ordered = javaHashOrder([...byPartition.values()], hash);
  // A HashSet of its own, filled in the map's order.
  const duplicates = javaHashOrder(
    ordered.filter((e) => e.count > 1),
    hash,
  ).map((e) => `${e.records.topic}-${e.records.partition}`);
  if (duplicates.length > 0) {
    throw new CommandError(`Offset json file contains duplicate topic partitions: ${duplicates.join(",")}`);
  }
  // A partition's first offset counts, as Kafka takes it.
  return ordered.map((e) => e.records);
}

/** One line per partition: its low watermark, or Java's text of its error. */
export function deletionLines(results: readonly DeletedRecords[]): string[] {
  return javaHashOrder(results, topicPartitionHash).map((r) =>
    r.errorCode === ErrorCode.NONE
      ? `partition: ${r.topic}-${r.partition}\tlow_watermark: ${r.lowWatermark}`
      : `partition: ${r.topic}-${r.partition}\terror: ${exceptionText(r.errorCode, r.errorMessage)}`,
  );
}

async function deleteRecords(options: ParsedOptions, admin: AdminClient, io: ToolIo): Promise<void> {
  let text: string;
  try {
    text = readFileAsString(options.value("offset-json-file") as string);
  } catch (error) {
    if (error instanceof JavaFileError) throw new CommandError(error.message);
    throw error;
  }
  const records = parseOffsetJson(text);
  io.out("Executing records delete operation\n");
  let results: DeletedRecords[];
  try {
    results = await admin.deleteRecords(records);
  } catch (error) {
    // Kafka fails each partition's future with the operation's failure; the tool prints them.
    const failure = operationFailure(error);
    results = records.map((r) => ({ ...r, lowWatermark: -1n, ...failure }));
  }
  io.out("Records delete operation completed:\n");
  for (const line of deletionLines(results)) io.out(`${line}\n`);
}

/** What failed the whole operation, as a Kafka error: a lost or missing connection is its timeout. */
function operationFailure(error: unknown): { errorCode: number; errorMessage: string } {
  if (error instanceof KafkaError) return { errorCode: error.errorCode, errorMessage: error.message };
  if (isConnectionFailure(error))
    return { errorCode: ErrorCode.REQUEST_TIMED_OUT, errorMessage: error.message };
  throw error;
}

export function runDeleteRecordsCommand(
  argv: readonly string[],
  io: ToolIo,
  version: () => string,
): Promise<number> {
  return runAdminTool(
    {
      parse: () =>
        parseSimpleCommandLine(argv, SPECS_BY_NAME, HELP_MESSAGE, ["bootstrap-server", "offset-json-file"]),
      help: (message) => layOut(message, OPTION_SPECS),
      helpMessage: HELP_MESSAGE,
      clientId: "brook-delete-records",
      run: (options, admin) => deleteRecords(options, admin, io),
      failed: (error) => {
        io.err(`${error instanceof Error ? error.message : String(error)}\n`);
        return 1;
      },
    },
    io,
    version,
  );
}
