import { ConfigError } from "../../base/index.js";
import { AdminClient, type AdminClientOptions } from "../../client/index.js";
import {
  ArgumentParserError,
  adminSettings,
  CommandError,
  formatArgumentError,
  readPropertiesFile,
  type ToolIo,
} from "../options/index.js";
import { abortTransactionCommand } from "./abort.js";
import {
  PROG,
  readTransactionsArguments,
  type TransactionsArguments,
  type TransactionsSubcommand,
} from "./arguments.js";
import { fail, type TransactionsAdmin } from "./command-support.js";
import { describeTransactionCommand } from "./describe.js";
import { describeProducersCommand } from "./describe-producers.js";
import { findHangingCommand } from "./find-hanging.js";
import { listTransactionsCommand } from "./list.js";

/*
 * `brook transactions`: Kafka 4.0's kafka-transactions.sh (TransactionsCommand): list, describe
 * and abort transactions and find hanging ones, over the admin client. Its command line is
 * argparse4j's (subcommands, `usage:` and `kafka-transactions.sh: error:` on failure); tables are
 * Kafka's prettyPrintTable; every failure is one line on stderr and exit code 1.
 */

const CLIENT_ID = "brook-transactions";

/** What the tool runs on: a real admin client and clock, or a test's. */
export interface TransactionsToolDeps {
  admin?: (options: AdminClientOptions) => TransactionsAdmin;
  nowMs?: () => number;
}

/** Runs the tool; the exit code. */
export async function runTransactionsCommand(
  argv: readonly string[],
  io: ToolIo,
  version: () => string,
  deps: TransactionsToolDeps = {},
): Promise<number> {
  let args: TransactionsArguments;
  try {
    const line = readTransactionsArguments(argv);
    if (line.kind === "help") {
      io.out(line.text);
      // Kafka's tool exits with 1 after -h too: argparse4j ends a help request with the exception
      // the tool handles as a bad command line.
      return 1;
    }
    if (line.kind === "version") {
      io.out(`${version()}\n`);
      return 0;
    }
    args = line.arguments;
  } catch (error) {
    if (!(error instanceof ArgumentParserError)) throw error;
    io.err(formatArgumentError(PROG, error));
    return 1;
  }
  const nowMs = deps.nowMs ?? Date.now;
  let admin: TransactionsAdmin | undefined;
  try {
    const options = adminOptions(args, io);
    admin = (deps.admin ?? ((o) => new AdminClient(o)))(options);
    io.out(await runSubcommand(admin, args.command, nowMs));
    return 0;
  } catch (error) {
    if (error instanceof CommandError) {
      io.err(`${error.message}\n`);
      return 1;
    }
    // An address that is not host:port (Kafka's admin client refuses it at creation).
    if (error instanceof ConfigError) {
      io.err(`${error.message}\n`);
      return 1;
    }
    throw error;
  } finally {
    admin?.close();
  }
}

function adminOptions(args: TransactionsArguments, io: ToolIo): AdminClientOptions {
  if (args.commandConfig !== undefined) {
    try {
      readPropertiesFile(args.commandConfig, (message) => new CommandError(message));
    } catch (error) {
      fail("Failed to load admin client properties", error);
    }
  }
  const settings = adminSettings(args.bootstrapServer, args.commandConfig, CLIENT_ID);
  for (const warning of settings.warnings) io.err(`${warning}\n`);
  return settings.options;
}

function runSubcommand(
  admin: TransactionsAdmin,
  command: TransactionsSubcommand,
  nowMs: () => number,
): Promise<string> {
  switch (command.name) {
    case "list":
      return listTransactionsCommand(admin, command.durationFilter);
    case "describe":
      return describeTransactionCommand(admin, command.transactionalId, nowMs);
    case "describe-producers":
      return describeProducersCommand(admin, command);
    case "abort":
      return abortTransactionCommand(admin, command);
    case "find-hanging":
      return findHangingCommand(admin, command, nowMs);
  }
}
