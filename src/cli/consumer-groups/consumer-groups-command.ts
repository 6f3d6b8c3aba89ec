import { runAdminTool, type ToolIo } from "../options/index.js";
import { parseConsumerGroupsCommandLine } from "./arguments.js";
import { deleteGroups, deleteOffsets, describeGroups, listGroups } from "./commands.js";
import { HELP_MESSAGE, helpText } from "./option-specs.js";
import { resetOffsets } from "./reset-offsets.js";

/**
 * `brook consumer-groups ...`: kafka-consumer-groups.sh for Brook, over the Kafka protocol with
 * Brook's admin client. Returns the exit code: 0, or 1 when the command line is refused or the
 * command fails (Kafka's tool prints the failure and exits 0; a script is better served by 1).
 * Notices about single groups (does not exist, has no active members, could not be deleted) are
 * printed as Kafka prints them and leave the exit code at 0, as in Kafka. A wrong argument found
 * while running (no reset scope, say) is a usage error too, as in Kafka's run().
 */
export function runConsumerGroupsCommand(
  argv: readonly string[],
  io: ToolIo,
  version: () => string,
): Promise<number> {
  return runAdminTool(
    {
      parse: () => parseConsumerGroupsCommandLine(argv, io),
      help: helpText,
      helpMessage: HELP_MESSAGE,
      clientId: "brook-consumer-groups",
      run: async (options, admin) => {
        switch (options.action) {
          case "list":
            return listGroups(options, admin, io);
          case "describe":
            return describeGroups(options, admin, io);
          case "delete":
            return deleteGroups(options, admin, io);
          case "reset-offsets":
            return resetOffsets(options, admin, io);
          case "delete-offsets":
            return deleteOffsets(options, admin, io);
        }
      },
      // Kafka's printError for what the command could not do, on stdout.
      failed: (error) => {
        const message = error instanceof Error ? error.message : String(error);
        io.out(`\nError: Executing consumer group command failed due to ${message}\n`);
        return 1;
      },
    },
    io,
    version,
  );
}
