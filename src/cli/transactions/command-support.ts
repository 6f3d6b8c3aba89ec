import type { AdminClient } from "../../client/index.js";
import { CommandError } from "../options/index.js";

/** What kafka-transactions.sh's commands use of the admin client (a fake one in unit tests). */
export type TransactionsAdmin = Pick<
  AdminClient,
  | "listTransactions"
  | "describeTransactions"
  | "describeProducers"
  | "abortTransaction"
  | "listTopics"
  | "describeTopics"
  | "close"
>;

/**
 * Kafka's TransactionsCommand.printErrorAndExit: the message alone, or with its cause's (an
 * exception, or an answer's error message) and Kafka's hint; the frame prints it on stderr and
 * exits with 1.
 */
export function fail(message: string, cause?: unknown): never {
  if (cause === undefined) throw new CommandError(message);
  const reason = typeof cause === "string" ? cause : cause instanceof Error ? cause.message : String(cause);
  throw new CommandError(`${message}: ${reason}. Enable debug logging for additional detail.`);
}
