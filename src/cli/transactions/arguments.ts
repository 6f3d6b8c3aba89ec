import { type ArgValue, type ParserSpec, parseArguments } from "../options/index.js";
import {
  ABORT_HELP,
  ABORT_USAGE,
  DESCRIBE_HELP,
  DESCRIBE_PRODUCERS_HELP,
  DESCRIBE_PRODUCERS_USAGE,
  DESCRIBE_USAGE,
  FIND_HANGING_HELP,
  FIND_HANGING_USAGE,
  LIST_HELP,
  LIST_USAGE,
  MAIN_HELP,
  MAIN_USAGE,
} from "./help-text.js";

/** The program argparse4j names in usage and errors: Kafka's, whose output this is. */
export const PROG = "kafka-transactions.sh";

/** kafka-transactions.sh's subcommands and their options (TransactionsCommand's subparsers). */
export type TransactionsSubcommand =
  | { name: "list"; durationFilter: bigint | null }
  | { name: "describe"; transactionalId: string }
  | { name: "describe-producers"; topic: string; partition: number; brokerId: number | null }
  | {
      name: "abort";
      topic: string;
      partition: number;
      startOffset: bigint | null;
      producerId: bigint | null;
      producerEpoch: number | null;
      coordinatorEpoch: number | null;
    }
  | {
      name: "find-hanging";
      brokerId: number | null;
      /** Minutes. */
      maxTransactionTimeout: number;
      topic: string | null;
      partition: number | null;
    };

export interface TransactionsArguments {
  bootstrapServer: string;
  commandConfig: string | undefined;
  command: TransactionsSubcommand;
}

const HELP = { flags: ["-h", "--help"], action: "help" } as const;

const SUBCOMMANDS: ReadonlyMap<string, ParserSpec> = new Map<string, ParserSpec>([
  [
    "list",
    { usage: LIST_USAGE, help: LIST_HELP, arguments: [HELP, { flags: ["--duration-filter"], type: "Long" }] },
  ],
  [
    "describe",
    {
      usage: DESCRIBE_USAGE,
      help: DESCRIBE_HELP,
      arguments: [HELP, { flags: ["--transactional-id"], required: true }],
    },
  ],
  [
    "describe-producers",
    {
      usage: DESCRIBE_PRODUCERS_USAGE,
      help: DESCRIBE_PRODUCERS_HELP,
      arguments: [
        HELP,
        { flags: ["--broker-id"], type: "Integer" },
        { flags: ["--topic"], required: true },
        { flags: ["--partition"], type: "Integer", required: true },
      ],
    },
  ],
  [
    "abort",
    {
      usage: ABORT_USAGE,
      help: ABORT_HELP,
      arguments: [
        HELP,
        { flags: ["--topic"], required: true },
        { flags: ["--partition"], type: "Integer", required: true },
        { flags: ["--start-offset"], type: "Long" },
        { flags: ["--producer-id"], type: "Long" },
        { flags: ["--producer-epoch"], type: "Short" },
        { flags: ["--coordinator-epoch"], type: "Integer" },
      ],
    },
  ],
  [
    "find-hanging",
    {
      usage: FIND_HANGING_USAGE,
      help: FIND_HANGING_HELP,
      arguments: [
        HELP,
        { flags: ["--broker-id"], type: "Integer" },
        { flags: ["--max-transaction-timeout"], type: "Integer", default: 15 },
        { flags: ["--topic"] },
        { flags: ["--partition"], type: "Integer" },
      ],
    },
  ],
]);

export const TRANSACTIONS_PARSER: ParserSpec = {
  usage: MAIN_USAGE,
  help: MAIN_HELP,
  arguments: [
    HELP,
    { flags: ["-v", "--version"], action: "version" },
    { flags: ["--command-config"] },
    { flags: ["--bootstrap-server"], required: true },
  ],
  commands: SUBCOMMANDS,
};

export type TransactionsCommandLine =
  | { kind: "help"; text: string }
  | { kind: "version" }
  | { kind: "run"; arguments: TransactionsArguments };

/** The command line as kafka-transactions.sh reads it; throws ArgumentParserError. */
export function readTransactionsArguments(argv: readonly string[]): TransactionsCommandLine {
  const outcome = parseArguments(TRANSACTIONS_PARSER, argv);
  if (outcome.kind !== "parsed") return outcome;
  const { values, command } = outcome.arguments;
  const text = (name: string) => values.get(name) as string | undefined;
  const optional = <T extends ArgValue>(name: string) => (values.get(name) as T | undefined) ?? null;
  const required = <T extends ArgValue>(name: string) => values.get(name) as T;
  let sub: TransactionsSubcommand;
  switch (command) {
    case "list":
      sub = { name: "list", durationFilter: optional<bigint>("duration-filter") };
      break;
    case "describe":
      sub = { name: "describe", transactionalId: required<string>("transactional-id") };
      break;
    case "describe-producers":
      sub = {
        name: "describe-producers",
        topic: required<string>("topic"),
        partition: required<number>("partition"),
        brokerId: optional<number>("broker-id"),
      };
      break;
    case "abort":
      sub = {
        name: "abort",
        topic: required<string>("topic"),
        partition: required<number>("partition"),
        startOffset: optional<bigint>("start-offset"),
        producerId: optional<bigint>("producer-id"),
        producerEpoch: optional<number>("producer-epoch"),
        coordinatorEpoch: optional<number>("coordinator-epoch"),
      };
      break;
    default:
      sub = {
        name: "find-hanging",
        brokerId: optional<number>("broker-id"),
        maxTransactionTimeout: required<number>("max-transaction-timeout"),
        topic: optional<string>("topic"),
        partition: optional<number>("partition"),
      };
  }
  return {
    kind: "run",
    arguments: {
      bootstrapServer: text("bootstrap-server") as string,
      commandConfig: text("command-config"),
      command: sub,
    },
  };
}
