/**
 * How Brook's Kafka-style tools (`brook topics`, `brook consumer-groups`) fail, as Kafka 4.0's
 * tools do; every failure exits with 1.
 *
 * - `UsageError`: a wrong combination of options (Kafka's CommandLineUtils.printUsageAndExit):
 *   the message, then the help, on stderr.
 * - `OptionsError`: the command line cannot be read (an unknown option, a missing argument, no
 *   --bootstrap-server): the message on stderr.
 * - `CommandError`: the command ran and failed (Kafka's TopicCommand.printException): on stdout,
 *   `Error while executing topic command : <message>` (each tool has its own prefix).
 */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

export class OptionsError extends Error {
  /** The exception jopt-simple throws for it, for a tool that lets it escape (kafka-acls.sh). */
  readonly javaClass: string | undefined;

  constructor(message: string, javaClass?: string) {
    super(message);
    this.name = "OptionsError";
    this.javaClass = javaClass;
  }
}

export class CommandError extends Error {
  /** The Java exception Kafka's tool fails with, for a tool that prints its class (kafka-acls.sh). */
  readonly javaClass: string | undefined;

  constructor(message: string, javaClass?: string) {
    super(message);
    this.name = "CommandError";
    this.javaClass = javaClass;
  }
}
