import { AdminClient } from "../../client/index.js";
import { adminSettings, OptionsError, UsageError } from "../options/index.js";
import { ConfigArgumentError, parseConfigsCommandLine } from "./arguments.js";
import { alterConfigs, describeConfigs, type Printer } from "./commands.js";
import { HELP_MESSAGE, helpText } from "./option-specs.js";

/**
 * `brook configs ...`: kafka-configs.sh for Brook (topic and broker configs, client, user and IP
 * quotas), over the Kafka protocol with Brook's admin client. Exit code 0, or 1 for any failure:
 * usage errors print the message and the help, wrong arguments the message alone, failed requests
 * Kafka's "Error while executing config command with args '...'" and the cause, all on stderr.
 */
export async function runConfigsCommand(
  argv: readonly string[],
  io: Printer,
  version: () => string,
): Promise<number> {
  let admin: AdminClient | undefined;
  try {
    const parsed = parseConfigsCommandLine(argv);
    if (parsed.kind === "help") {
      io.out(helpText(HELP_MESSAGE));
      return 0;
    }
    if (parsed.kind === "version") {
      io.out(`${version()}\n`);
      return 0;
    }
    const options = parsed.options;
    const settings = adminSettings(
      options.value("bootstrap-server") as string,
      options.value("command-config"),
      "brook-configs",
    );
    for (const warning of settings.warnings) io.err(`${warning}\n`);
    admin = new AdminClient(settings.options);
    if (options.has("alter")) await alterConfigs(options, admin, io);
    else await describeConfigs(options, admin, io);
    return 0;
  } catch (error) {
    if (error instanceof UsageError) io.err(helpText(error.message));
    else if (error instanceof OptionsError || error instanceof ConfigArgumentError)
      io.err(`${error.message}\n`);
    else {
      const cause = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      io.err(`Error while executing config command with args '${argv.join(" ")}'\n${cause}\n`);
    }
    return 1;
  } finally {
    admin?.close();
  }
}
