import { AdminClient } from "../../client/index.js";
import { adminSettings, OptionsError, UsageError } from "../options/index.js";
import { HELP_MESSAGE, parseTopicsCommandLine } from "./arguments.js";
import { alterTopic, createTopic, deleteTopic, describeTopics, listTopics } from "./commands.js";
import { helpText } from "./option-specs.js";

export interface TopicsIo {
  out(text: string): void;
  err(text: string): void;
}

/**
 * `brook topics ...`: kafka-topics.sh for Brook, over the Kafka protocol with Brook's admin
 * client. Returns the exit code: 0, or 1 for any failure (as Kafka's tool).
 */
export async function runTopicsCommand(
  argv: readonly string[],
  io: TopicsIo,
  version: () => string,
): Promise<number> {
  let parsed: ReturnType<typeof parseTopicsCommandLine>;
  try {
    parsed = parseTopicsCommandLine(argv, io);
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
      "brook-topics",
    );
    for (const warning of settings.warnings) io.err(`${warning}\n`);
    admin = new AdminClient(settings.options);
    const print = (text: string) => io.out(text);
    switch (options.action) {
      case "create":
        await createTopic(options, admin, print);
        break;
      case "alter":
        await alterTopic(options, admin);
        break;
      case "list":
        await listTopics(options, admin, print);
        break;
      case "describe":
        await describeTopics(options, admin, print);
        break;
      case "delete":
        await deleteTopic(options, admin);
        break;
    }
    return 0;
  } catch (error) {
    return failed(error, io);
  } finally {
    admin?.close();
  }
}

/** Kafka's printException: what went wrong, on stdout. */
function failed(error: unknown, io: TopicsIo): number {
  const message = error instanceof Error ? error.message : String(error);
  io.out(`Error while executing topic command : ${message}\n`);
  return 1;
}
