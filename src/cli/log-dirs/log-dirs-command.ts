import type { AdminClient, BrokerLogDirs } from "../../client/index.js";
import { ErrorCode } from "../../protocol/index.js";
import {
  CommandError,
  exceptionClassName,
  exceptionText,
  failureText,
  helpText,
  javaCopyCapacity,
  javaHashOrder,
  javaInt,
  javaStringHash,
  type OptionSpec,
  type ParsedOptions,
  parseSimpleCommandLine,
  runAdminTool,
  stringText,
  type ToolIo,
  topicPartitionHash,
} from "../options/index.js";

/*
 * `brook log-dirs`: Kafka's kafka-log-dirs.sh (LogDirsCommand): each broker's log dirs, with the
 * size, offset lag and future flag of every replica in them (of the topics asked, or all), as one
 * line of JSON in the shape and order Kafka 4.0's tool prints (Jackson writing Java HashMaps).
 */

const HELP_MESSAGE = "This tool helps to query log directory usage on the specified brokers.";

const string = (describedAs: string) => ({ type: "String", describedAs }) as const;
export const OPTION_SPECS: readonly OptionSpec[] = [
  {
    name: "bootstrap-server",
    arg: string("The server(s) to use for bootstrapping"),
    description: "REQUIRED: the server(s) to use for bootstrapping",
  },
  {
    name: "broker-list",
    arg: string("Broker list"),
    description:
      'The list of brokers to be queried in the form "0,1,2". All brokers in the cluster will be queried if no broker list is specified (default: )',
  },
  {
    name: "command-config",
    arg: string("Admin client property file"),
    description: "Property file containing configs to be passed to Admin Client.",
  },
  { name: "describe", description: "Describe the specified log directories on the specified brokers." },
  { name: "help", description: "Print usage information." },
  {
    name: "topic-list",
    arg: string("Topic list"),
    description:
      'The list of topics to be queried in the form "topic1,topic2,topic3". All topics will be queried if no topic list is specified (default: )',
  },
  { name: "version", description: "Display Brook's version." },
];
const SPECS_BY_NAME = new Map(OPTION_SPECS.map((s) => [s.name, s]));

/** A comma-separated option's non-empty items. */
const listItems = (text: string | undefined) => (text ?? "").split(",").filter((item) => item !== "");

/** --broker-list's ids, read as Integer.valueOf reads them. */
export function brokerIds(text: string | undefined): number[] {
  return [
    ...new Set(
      listItems(text).map((item) => {
        const id = javaInt(item);
        if (id === undefined) throw new CommandError(`For input string: "${item}"`);
        return id;
      }),
    ),
  ];
}

/** A Java Set<Integer>'s items, comma-separated, in its order. */
const idList = (ids: readonly number[], capacity?: number) =>
  javaHashOrder(ids, (id) => id, capacity).join(",");

/** A HashMap<String, Object> as Jackson writes it: its keys, put in this order, in the map's. */
function javaMapJson(entries: readonly (readonly [string, string])[]): string {
  const ordered = javaHashOrder(entries, ([key]) => javaStringHash(key));
  return `{${ordered.map(([key, value]) => `${stringText(key)}:${value}`).join(",")}}`;
}

/**
 * The tool's JSON line for the brokers' answers, the replicas of `topics` only (all when empty).
 * Every map of Kafka's is a HashMap, so brokers, dirs, partitions and keys come in hash order.
 */
export function logDirsJson(answers: readonly BrokerLogDirs[], topics: ReadonlySet<string>): string {
  const brokers = javaHashOrder(answers, (a) => a.broker, answers.length).map((answer) => {
    const dirs = javaHashOrder(answer.logDirs, (d) => javaStringHash(d.path), answer.logDirs.length);
    const logDirs = dirs.map((dir) => {
      const kept = javaHashOrder(dir.replicas, topicPartitionHash).filter(
        (r) => topics.size === 0 || topics.has(r.topic),
      );
      const partitions = javaHashOrder(kept, topicPartitionHash).map((r) =>
        javaMapJson([
          ["partition", stringText(`${r.topic}-${r.partition}`)],
          ["size", String(r.size)],
          ["offsetLag", String(r.offsetLag)],
          ["isFuture", String(r.isFuture)],
        ]),
      );
      const error = dir.errorCode === ErrorCode.NONE ? "null" : stringText(exceptionClassName(dir.errorCode));
      return javaMapJson([
        ["logDir", stringText(dir.path)],
        ["error", error],
        ["partitions", `[${partitions.join(",")}]`],
      ]);
    });
    return javaMapJson([
      ["broker", String(answer.broker)],
      ["logDirs", `[${logDirs.join(",")}]`],
    ]);
  });
  return javaMapJson([
    ["version", "1"],
    ["brokers", `[${brokers.join(",")}]`],
  ]);
}

async function describeLogDirs(options: ParsedOptions, admin: AdminClient, io: ToolIo): Promise<void> {
  const topics = new Set(listItems(options.value("topic-list")));
  const clusterBrokers = (await admin.describeCluster()).brokers.map((b) => b.nodeId);
  const inputBrokers = brokerIds(options.value("broker-list"));
  const cluster = new Set(clusterBrokers);
  const absent = inputBrokers.filter((id) => !cluster.has(id));
  if (absent.length > 0) {
    throw new CommandError(
      `ERROR: The given brokers do not exist from --broker-list: ${idList(absent, javaCopyCapacity(inputBrokers.length))}. Current existent brokers: ${idList(clusterBrokers)}`,
    );
  }
  const chosen = inputBrokers.length === 0 ? clusterBrokers : inputBrokers;
  // A HashSet copied from the list or the cluster's set.
  const queried = javaHashOrder(chosen, (id) => id, javaCopyCapacity(chosen.length));
  io.out("Querying brokers for log directories information\n");
  const answers = await admin.describeLogDirs(queried);
  const failed = answers.find((a) => a.errorCode !== ErrorCode.NONE);
  if (failed !== undefined) throw new CommandError(exceptionText(failed.errorCode, failed.errorMessage));
  io.out(`Received log directory information from brokers ${queried.join(",")}\n`);
  io.out(`${logDirsJson(answers, topics)}\n`);
}

export function runLogDirsCommand(
  argv: readonly string[],
  io: ToolIo,
  version: () => string,
): Promise<number> {
  return runAdminTool(
    {
      parse: () =>
        parseSimpleCommandLine(argv, SPECS_BY_NAME, HELP_MESSAGE, ["bootstrap-server", "describe"]),
      help: (message) => helpText(message, OPTION_SPECS),
      helpMessage: HELP_MESSAGE,
      clientId: "log-dirs-tool",
      run: (options, admin) => describeLogDirs(options, admin, io),
      failed: (error) => {
        io.err(`${failureText(error)}\n`);
        return 1;
      },
    },
    io,
    version,
  );
}
