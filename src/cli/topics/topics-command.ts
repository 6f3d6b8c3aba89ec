import { runAdminTool, type ToolIo } from "../options/index.js";
import { HELP_MESSAGE, parseTopicsCommandLine } from "./arguments.js";
import { alterTopic, createTopic, deleteTopic, describeTopics, listTopics } from "./commands.js";
import { helpText } from "./option-specs.js";

/**
 * `brook topics ...`: kafka-topics.sh for Brook, over the Kafka protocol with Brook's admin
 * client. Returns the exit code: 0, or 1 for any failure (as Kafka's tool).
 */
export function runTopicsCommand(
  argv: readonly string[],
  io: ToolIo,
  version: () => string,
): Promise<number> {
  const print = (text: string) => io.out(text);
  return runAdminTool(
    {
      parse: () => parseTopicsCommandLine(argv, io),
      help: helpText,
      helpMessage: HELP_MESSAGE,
      clientId: "brook-topics",
      run: async (options, admin) => {
        switch (options.action) {
          case "create":
            return createTopic(options, admin, print);
          case "alter":
            return alterTopic(options, admin);
          case "list":
            return listTopics(options, admin, print);
          case "describe":
            return describeTopics(options, admin, print);
          case "delete":
            return deleteTopic(options, admin);
        }
      },
      // Kafka's printException: what went wrong, on stdout.
      failed: (error) => {
        const message = error instanceof Error ? error.message : String(error);
        io.out(`Error while executing topic command : ${message}\n`);
        return 1;
      },
    },
    io,
    version,
  );
}
