import { runAdminTool, type ToolIo } from "../options/index.js";
import { ConfigArgumentError, parseConfigsCommandLine } from "./arguments.js";
import { alterConfigs, describeConfigs } from "./commands.js";
import { HELP_MESSAGE, helpText } from "./option-specs.js";

/**
 * `brook configs ...`: kafka-configs.sh for Brook (topic and broker configs, client, user and IP
 * quotas), over the Kafka protocol with Brook's admin client. Exit code 0, or 1 for any failure:
 * usage errors print the message and the help, wrong arguments the message alone, failed requests
 * Kafka's "Error while executing config command with args '...'" and the cause, all on stderr.
 */
export function runConfigsCommand(
  argv: readonly string[],
  io: ToolIo,
  version: () => string,
): Promise<number> {
  return runAdminTool(
    {
      parse: () => parseConfigsCommandLine(argv),
      help: helpText,
      helpMessage: HELP_MESSAGE,
      clientId: "brook-configs",
      run: (options, admin) =>
        options.has("alter") ? alterConfigs(options, admin, io) : describeConfigs(options, admin, io),
      failed: (error) => {
        if (error instanceof ConfigArgumentError) {
          io.err(`${error.message}\n`);
        } else {
          const cause = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
          io.err(`Error while executing config command with args '${argv.join(" ")}'\n${cause}\n`);
        }
        return 1;
      },
    },
    io,
    version,
  );
}
