import {
  checkInvalidArgs,
  OptionsError,
  type ParsedCommandLine,
  ParsedOptions,
  readTokens,
  UsageError,
} from "../options/index.js";
import { HELP_MESSAGE, SPECS_BY_NAME } from "./option-specs.js";

/**
 * The command line of `brook acls`, read and checked as Kafka 4.0's AclCommandOptions does: every
 * rule below prints the message and the help (CommandLineUtils.printUsageAndExit), in Kafka's
 * order.
 */
export function parseAclsCommandLine(argv: readonly string[]): ParsedCommandLine<ParsedOptions> {
  let options: ParsedOptions;
  try {
    options = new ParsedOptions(readTokens(argv, SPECS_BY_NAME));
  } catch (error) {
    // AclCommand lets jopt-simple's exception escape main: the JVM prints it (and its frames).
    if (!(error instanceof OptionsError)) throw error;
    throw new OptionsError(`Exception in thread "main" ${error.javaClass}: ${error.message}`);
  }
  if (argv.length === 0) throw new UsageError(HELP_MESSAGE);
  if (options.has("help")) return { kind: "help" };
  if (options.has("version")) return { kind: "version" };
  const has = (name: string) => options.has(name);
  const usage = (message: string) => {
    throw new UsageError(message);
  };
  if (has("bootstrap-server") && has("bootstrap-controller"))
    usage("Only one of --bootstrap-server or --bootstrap-controller must be specified");
  if (!has("bootstrap-server") && !has("bootstrap-controller"))
    usage("One of --bootstrap-server or --bootstrap-controller must be specified");
  if (["add", "remove", "list"].filter(has).length !== 1)
    usage("Command must include exactly one action: --list, --add, --remove. ");
  checkInvalidArgs(options, "list", [
    "producer",
    "consumer",
    "allow-host",
    "allow-principal",
    "deny-host",
    "deny-principal",
  ]);
  // --producer and --consumer infer the operations, and grant only.
  checkInvalidArgs(options, "producer", ["operation", "deny-principal", "deny-host"]);
  checkInvalidArgs(options, "consumer", ["operation", "deny-principal", "deny-host"]);
  if (has("principal") && !has("list")) usage("The --principal option is only available if --list is set");
  if (has("producer") && !has("topic")) usage("With --producer you must specify a --topic");
  if (has("idempotent") && !has("producer"))
    usage("The --idempotent option is only available if --producer is set");
  if (
    has("consumer") &&
    (!has("topic") || !has("group") || (!has("producer") && (has("cluster") || has("transactional-id"))))
  )
    usage(
      "With --consumer you must specify a --topic and a --group and no --cluster or --transactional-id option should be specified.",
    );
  return { kind: "run", options };
}
