import {
  type AdminClient,
  type ElectionResult,
  type ElectionType,
  isConnectionFailure,
} from "../../client/index.js";
import { ErrorCode, KafkaError } from "../../protocol/index.js";
import {
  CommandError,
  exceptionText,
  helpText,
  javaHashOrder,
  runAdminTool,
  type ToolIo,
  topicPartitionHash,
} from "../options/index.js";
import {
  ELECTION_TYPE_NAMES,
  type ElectionOptions,
  HELP_MESSAGE,
  OPTION_SPECS,
  parseLeaderElectionCommandLine,
} from "./election-arguments.js";

/*
 * `brook leader-election`: Kafka's kafka-leader-election.sh (LeaderElectionCommand): a preferred
 * or unclean election for one partition, the partitions of a JSON file, or every partition, then
 * a line for those elected, one for those whose leader was already the right one, and one per
 * failure. Exit code 0 when no partition failed, 1 otherwise and for any other failure, whose
 * message goes to stderr.
 */

/** The tool's own admin timeouts: 30 s for the operation, 15 s a request, unless the config file says. */
const TIMEOUTS = { apiTimeoutMs: 30_000, requestTimeoutMs: 15_000 };

/**
 * The lines for an election's results, in Kafka's order (its HashSets of TopicPartition), and how
 * many partitions failed.
 */
export function electionReport(
  electionType: ElectionType,
  results: readonly ElectionResult[],
): { lines: string[]; failed: number } {
  const type = ELECTION_TYPE_NAMES[electionType];
  // The admin client's result is a HashMap; the tool sorts its entries into three HashSets.
  const all = javaHashOrder(results, topicPartitionHash);
  const pick = (keep: (r: ElectionResult) => boolean) => javaHashOrder(all.filter(keep), topicPartitionHash);
  const names = (rs: readonly ElectionResult[]) => rs.map((r) => `${r.topic}-${r.partition}`).join(", ");
  const succeeded = pick((r) => r.errorCode === ErrorCode.NONE);
  const noop = pick((r) => r.errorCode === ErrorCode.ELECTION_NOT_NEEDED);
  const failed = pick((r) => r.errorCode !== ErrorCode.NONE && r.errorCode !== ErrorCode.ELECTION_NOT_NEEDED);
  const lines: string[] = [];
  if (succeeded.length > 0)
    lines.push(`Successfully completed leader election (${type}) for partitions ${names(succeeded)}`);
  if (noop.length > 0) lines.push(`Valid replica already elected for partitions ${names(noop)}`);
  for (const r of failed) {
    lines.push(
      `Error completing leader election (${type}) for partition: ${r.topic}-${r.partition}: ${exceptionText(r.errorCode, r.errorMessage)}`,
    );
  }
  return { lines, failed: failed.length };
}

async function elect(options: ElectionOptions, admin: AdminClient, io: ToolIo): Promise<void> {
  let results: ElectionResult[];
  try {
    results = await admin.electLeaders(options.electionType, options.partitions);
  } catch (error) {
    throw electionFailure(error, io);
  }
  const report = electionReport(options.electionType, results);
  for (const line of report.lines) io.out(`${line}\n`);
  if (report.failed > 0) throw new CommandError(`${report.failed} replica(s) could not be elected`);
}

/**
 * A failed election call as Kafka's tool reports it: a timeout (no broker reachable in time is
 * one) or a refusal said on stdout first and then failed with the same words, a broker's other
 * error as the ExecutionException the tool rethrows.
 */
function electionFailure(error: unknown, io: ToolIo): unknown {
  const code = error instanceof KafkaError ? error.errorCode : null;
  const said =
    isConnectionFailure(error) || code === ErrorCode.REQUEST_TIMED_OUT
      ? "Timeout waiting for election results"
      : code === ErrorCode.CLUSTER_AUTHORIZATION_FAILED
        ? "Not authorized to perform leader election"
        : null;
  if (said !== null) {
    io.out(`${said}\n`);
    return new CommandError(said);
  }
  if (error instanceof KafkaError) {
    return new CommandError(
      `java.util.concurrent.ExecutionException: ${exceptionText(error.errorCode, error.message)}`,
    );
  }
  return error;
}

export function runLeaderElectionCommand(
  argv: readonly string[],
  io: ToolIo,
  version: () => string,
): Promise<number> {
  return runAdminTool(
    {
      parse: () => parseLeaderElectionCommandLine(argv),
      help: (message) => helpText(message, OPTION_SPECS),
      helpMessage: HELP_MESSAGE,
      clientId: "brook-leader-election",
      commandConfig: (options) => options.commandConfig(),
      timeouts: TIMEOUTS,
      run: (options, admin) => elect(options, admin, io),
      failed: (error) => {
        io.err(`${error instanceof Error ? error.message : String(error)}\n`);
        return 1;
      },
    },
    io,
    version,
  );
}
