import { ProtocolDecodeError } from "../../protocol/index.js";
import {
  INDEX_FILE_SUFFIX,
  LOG_FILE_SUFFIX,
  PRODUCER_SNAPSHOT_FILE_SUFFIX,
  TIME_INDEX_FILE_SUFFIX,
  TXN_INDEX_FILE_SUFFIX,
} from "../../storage/index.js";
import { CommandError, helpText, OptionsError, UsageError } from "../options/index.js";
import { type DumpLogSettings, HELP_MESSAGE, OPTION_SPECS, parseDumpLogArgs } from "./dump-log-options.js";
import { type DumpIo, DumpLogError, DumpOutput } from "./dump-output.js";
import { DumpReport } from "./dump-report.js";
import { KRAFT_SNAPSHOT_SUFFIX, suffixOf } from "./file-names.js";
import { dumpOffsetIndex, dumpTimeIndex } from "./index-files.js";
import { dumpLogFile } from "./log-file.js";
import { dumpProducerSnapshot } from "./producer-snapshot-file.js";
import { dumpTxnIndex } from "./txn-index-file.js";

/*
 * `brook dump-log`: Kafka 4.0's kafka-dump-log.sh (DumpLogSegments), offline: the files of a data
 * directory (`<topic>-<partition>/` segments and their indexes, producer snapshots, aborted
 * transaction indexes, `__cluster_metadata-0`) dumped as Kafka's tool dumps them, through Brook's
 * own record, index and coordinator codecs. Exit codes: 0 when every file was dumped (index
 * mismatches are reported, not failures), 1 for a wrong command line (help on stderr, as Kafka)
 * and for a file that cannot be read or decoded (after what was dumped before it).
 */

async function dumpFile(
  file: string,
  settings: DumpLogSettings,
  out: DumpOutput,
  report: DumpReport,
): Promise<void> {
  out.println(`Dumping ${file}`);
  switch (suffixOf(file)) {
    case LOG_FILE_SUFFIX:
    case KRAFT_SNAPSHOT_SUFFIX:
      await dumpLogFile(file, settings.log, out, report);
      return;
    case INDEX_FILE_SUFFIX:
      await dumpOffsetIndex(file, settings.index, out, report);
      return;
    case TIME_INDEX_FILE_SUFFIX:
      await dumpTimeIndex(file, settings.index, out, report);
      return;
    case PRODUCER_SNAPSHOT_FILE_SUFFIX:
      dumpProducerSnapshot(file, out);
      return;
    case TXN_INDEX_FILE_SUFFIX:
      dumpTxnIndex(file, out);
      return;
    default:
      out.errln(`Ignoring unknown file ${file}`);
  }
}

export async function runDumpLogCommand(
  argv: readonly string[],
  io: DumpIo,
  version: () => string,
): Promise<number> {
  let parsed: ReturnType<typeof parseDumpLogArgs>;
  try {
    parsed = parseDumpLogArgs(argv);
  } catch (error) {
    if (error instanceof UsageError) io.err(helpText(error.message, OPTION_SPECS));
    else if (error instanceof OptionsError || error instanceof CommandError) io.err(`${error.message}\n`);
    else throw error;
    return 1;
  }
  if (parsed.kind === "help") {
    // Kafka's CommandLineUtils.printUsageAndExit: the help on stderr, exit code 1.
    io.err(helpText(HELP_MESSAGE, OPTION_SPECS));
    return 1;
  }
  if (parsed.kind === "version") {
    io.out(`${version()}\n`);
    return 0;
  }
  const { settings } = parsed;
  const out = new DumpOutput(io);
  const report = new DumpReport();
  for (const note of settings.notes) out.errln(note);
  try {
    for (const file of settings.files) {
      await dumpFile(file, settings, out, report);
      await out.pace();
    }
  } catch (error) {
    if (!(error instanceof DumpLogError || error instanceof ProtocolDecodeError)) throw error;
    out.errln(error.message);
    await out.finish();
    return 1;
  }
  report.print(out);
  await out.finish();
  return 0;
}
