import { AdminClient } from "../../client/index.js";
import { type AdminTimeouts, adminSettings } from "./command-config.js";
import { OptionsError, UsageError } from "./errors.js";
import { type OptionSpec, ParsedOptions, readTokens } from "./jopt.js";

export interface ToolIo {
  out(text: string): void;
  err(text: string): void;
}

export type ParsedCommandLine<O> = { kind: "help" } | { kind: "version" } | { kind: "run"; options: O };

/**
 * The command line of a Kafka tool without cross-option rules: no arguments prints the help as a
 * failure, --help and --version win, then each required option must be there (CommandLineUtils'
 * "Missing required argument").
 */
export function parseSimpleCommandLine(
  argv: readonly string[],
  specs: ReadonlyMap<string, OptionSpec>,
  helpMessage: string,
  required: readonly string[],
): ParsedCommandLine<ParsedOptions> {
  if (argv.length === 0) throw new UsageError(helpMessage);
  const options = new ParsedOptions(readTokens(argv, specs));
  if (options.has("help")) return { kind: "help" };
  if (options.has("version")) return { kind: "version" };
  for (const name of required) {
    if (!options.has(name)) throw new UsageError(`Missing required argument "[${name}]"`);
  }
  return { kind: "run", options };
}

/**
 * CommandLineUtils.checkInvalidArgs: `used` cannot go with any of `invalid`; the first of them
 * given is named, as jopt-simple prints an option (`[name]`).
 */
export function checkInvalidArgs(
  options: { has(name: string): boolean },
  used: string,
  invalid: readonly string[],
): void {
  if (!options.has(used)) return;
  const clash = invalid.find((o) => options.has(o));
  if (clash !== undefined) throw new UsageError(`Option "[${used}]" can't be used with option "[${clash}]"`);
}

export interface AdminTool<O extends ParsedOptions> {
  /** Reads and checks the command line; throws UsageError or OptionsError for a wrong one. */
  parse(): ParsedCommandLine<O>;
  /** The tool's help under a message (jopt-simple's layout). */
  help(message: string): string;
  /** What --help prints above the options. */
  helpMessage: string;
  /** The admin client's client.id unless --command-config sets one. */
  clientId: string;
  /** Where the admin client connects, where the tool takes it from more than --bootstrap-server. */
  bootstrap?(options: O): string;
  /** The admin client's properties file, where the tool takes it from more than --command-config. */
  commandConfig?(options: O): string | undefined;
  /** The tool's own timeouts, where they are not the admin client's defaults. */
  timeouts?: AdminTimeouts;
  run(options: O, admin: AdminClient): Promise<void>;
  /** Prints a failure other than a wrong command line, as the Kafka tool prints it; the exit code. */
  failed(error: unknown): number;
}

/**
 * The frame every Kafka-style admin tool of Brook shares (`brook topics`, `consumer-groups`,
 * `configs`): the command line, --help and --version, the admin client from --bootstrap-server
 * and --command-config, and Kafka's two kinds of usage failure (the message and the help, or the
 * message alone), each with exit code 1. The rest of a failure is the tool's.
 */
export async function runAdminTool<O extends ParsedOptions>(
  tool: AdminTool<O>,
  io: ToolIo,
  version: () => string,
): Promise<number> {
  const report = (error: unknown): number => {
    if (error instanceof UsageError) io.err(tool.help(error.message));
    else if (error instanceof OptionsError) io.err(`${error.message}\n`);
    else return tool.failed(error);
    return 1;
  };
  let parsed: ParsedCommandLine<O>;
  try {
    parsed = tool.parse();
  } catch (error) {
    return report(error);
  }
  if (parsed.kind === "help") {
    io.out(tool.help(tool.helpMessage));
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
      tool.bootstrap === undefined ? (options.value("bootstrap-server") as string) : tool.bootstrap(options),
      tool.commandConfig === undefined ? options.value("command-config") : tool.commandConfig(options),
      tool.clientId,
      tool.timeouts,
    );
    for (const warning of settings.warnings) io.err(`${warning}\n`);
    admin = new AdminClient(settings.options);
    await tool.run(options, admin);
    return 0;
  } catch (error) {
    return report(error);
  } finally {
    admin?.close();
  }
}
