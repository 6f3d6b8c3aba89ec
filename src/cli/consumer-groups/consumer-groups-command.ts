import { AdminClient } from "../../client/index.js";
import { adminSettings, OptionsError, UsageError } from "../options/index.js";
import { parseConsumerGroupsCommandLine } from "./arguments.js";
import {
  deleteGroups,
  deleteOffsets,
  describeGroups,
  listGroups,
  type Printer,
  resetOffsets,
} from "./commands.js";
import { HELP_MESSAGE, helpText } from "./option-specs.js";

/**
 * `brook consumer-groups ...`: kafka-consumer-groups.sh for Brook, over the Kafka protocol with
 * Brook's admin client. Returns the exit code: 0, or 1 when the command line is refused or the
 * command fails (Kafka's tool prints the failure and exits 0; a script is better served by 1).
 * Notices about single groups (does not exist, has no active members, could not be deleted) are
 * printed as Kafka prints them and leave the exit code at 0, as in Kafka.
 */
export async function runConsumerGroupsCommand(
  argv: readonly string[],
  io: Printer,
  version: () => string,
): Promise<number> {
  let parsed: ReturnType<typeof parseConsumerGroupsCommandLine>;
  try {
    parsed = parseConsumerGroupsCommandLine(argv, io);
  } catch (error) {
    if (error instanceof UsageError) io.err(helpText(error.message));
    else if (error instanceof OptionsError) io.err(`${error.message}\n`);
    else return failed(error, io);
    return 1;
  }
  if (parsed.kind === "help") {
    io.out(helpText(HELP_MESSAGE));
    return 0;
  }
  if (parsed.kind === "version") {
    io.out(`${version()}\n`);
    return 0;
  }
  const options = parsed.options;
  let admin: AdminClient | undefined;
  try {
    const settings = adminSettings(
      options.value("bootstrap-server") as string,
      options.value("command-config"),
      "brook-consumer-groups",
    );
    for (const warning of settings.warnings) io.err(`${warning}\n`);
    admin = new AdminClient(settings.options);
    switch (options.action) {
      case "list":
        await listGroups(options, admin, io);
        break;
      case "describe":
        await describeGroups(options, admin, io);
        break;
      case "delete":
        await deleteGroups(options, admin, io);
        break;
      case "reset-offsets":
        await resetOffsets(options, admin, io);
        break;
      case "delete-offsets":
        await deleteOffsets(options, admin, io);
        break;
    }
    return 0;
  } catch (error) {
    // Kafka's run(): a wrong argument found while running is a usage error too.
    if (error instanceof UsageError) {
      io.err(helpText(error.message));
      return 1;
    }
    return failed(error, io);
  } finally {
    admin?.close();
  }
}

/** Kafka's printError for what the command could not do, on stdout. */
function failed(error: unknown, io: Printer): number {
  const message = error instanceof Error ? error.message : String(error);
  io.out(`\nError: Executing consumer group command failed due to ${message}\n`);
  return 1;
}
