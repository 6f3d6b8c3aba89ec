#!/usr/bin/env node
import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { ConfigError, createLogger, describeError, parseProperties } from "../base/index.js";
import { parseBrokerConfig, SINGLE_NODE_PROPERTIES } from "../broker/index.js";
import { startServer } from "../server/index.js";
import { runAclsCommand } from "./acls/acls-command.js";
import { clusterStart } from "./cluster-start.js";
import { runConfigsCommand } from "./configs/configs-command.js";
import { runConsoleConsumerCommand } from "./console-consumer/console-consumer-command.js";
import { runConsoleProducerCommand } from "./console-producer/console-producer-command.js";
import { runConsumerGroupsCommand } from "./consumer-groups/consumer-groups-command.js";
import { runConsumerPerfTestCommand } from "./consumer-perf-test/consumer-perf-test-command.js";
import { runDeleteRecordsCommand } from "./delete-records/delete-records-command.js";
import { runDumpLogCommand } from "./dump-log/dump-log-command.js";
import { runGetOffsetsCommand } from "./get-offsets/get-offsets-command.js";
import { runLeaderElectionCommand } from "./leader-election/leader-election-command.js";
import { runLogDirsCommand } from "./log-dirs/log-dirs-command.js";
import { raiseMallocThresholds } from "./malloc-thresholds.js";
import { runProducerPerfTestCommand } from "./producer-perf-test/producer-perf-test-command.js";
import { runTopicsCommand } from "./topics/topics-command.js";
import { runTransactionsCommand } from "./transactions/transactions-command.js";

const USAGE = `Usage: brook <command>

Commands:
  server start [server.properties] [--override key=value ...]
      Start a Brook node. Without a file: a single node (broker and controller) on
      localhost:9092 with its data in ./brook-data.
  cluster start [--nodes 3] [--dir ./brook-cluster] [--port 9092] [--etcd-port 2379]
                [--override key=value ...]
      Start a local etcd (Debian's etcd-server) and a cluster of Brook nodes, one process each,
      Kafka on localhost:9092, 9093, ..., the Schema Registry on every node (localhost:8081, 8082,
      ...); --override sets a key on every node (for instance
      console.enable=false). Ctrl-C stops them all.
  topics --bootstrap-server host:port[,host:port] --create|--describe|--list|--alter|--delete [...]
      Create, list, describe, alter or delete topics, as Kafka's kafka-topics.sh does (its options,
      output and exit codes), over the Kafka protocol; 'brook topics --help' lists the options.
  consumer-groups --bootstrap-server host:port --list|--describe|--delete|--reset-offsets [...]
      List, describe (offsets and lag, members, state), delete consumer groups or reset their
      offsets, as Kafka's kafka-consumer-groups.sh does; 'brook consumer-groups --help' lists the
      options.
  configs --bootstrap-server host:port --describe|--alter --entity-type t --entity-name n [...]
      Describe or change topic and broker configs and client, user and IP quotas, as Kafka's
      kafka-configs.sh does; 'brook configs --help' lists the options.
  get-offsets --bootstrap-server host:port [--topic regex] [--partitions 0,1] [--time latest|earliest|ms]
      Offsets of partitions at a time, 'topic:partition:offset' lines, as Kafka's
      kafka-get-offsets.sh does; 'brook get-offsets --help' lists the options.
  leader-election --bootstrap-server host:port --election-type preferred|unclean
                  --topic t --partition p | --all-topic-partitions | --path-to-json-file f
      Elect partition leaders: the preferred replica again (after a broker came back), or any
      live replica of a partition without a leader, as Kafka's kafka-leader-election.sh does.
  delete-records --bootstrap-server host:port --offset-json-file f
      Delete the records of partitions below offsets given in a JSON file (their new low
      watermarks are printed), as Kafka's kafka-delete-records.sh does.
  log-dirs --bootstrap-server host:port --describe [--broker-list 1,2] [--topic-list t1,t2]
      Each broker's log directories and the size of every partition in them, as JSON, as Kafka's
      kafka-log-dirs.sh does.
  console-producer --bootstrap-server host:port --topic t [--property parse.key=true ...]
      Send the lines of standard input as records, as Kafka's kafka-console-producer.sh does (its
      options and defaults); 'brook console-producer --help' lists the options.
  console-consumer --bootstrap-server host:port --topic t [--group g] [--from-beginning] [...]
      Print a topic's records, alone or as a member of a consumer group, as Kafka's
      kafka-console-consumer.sh does; 'brook console-consumer --help' lists the options.
  acls --bootstrap-server host:port --add|--remove|--list [--topic t|--group g|--cluster ...]
       [--allow-principal User:alice --operation Read ...]
      Add, remove or list ACLs (on a broker with authorizer.class.name set), as Kafka's
      kafka-acls.sh does; 'brook acls --help' lists the options.
  transactions --bootstrap-server host:port list|describe|describe-producers|abort|find-hanging [...]
      List and describe transactions and the producers of a partition, find hanging transactions
      and abort them, as Kafka's kafka-transactions.sh does; 'brook transactions -h' lists the
      commands.
  producer-perf-test --topic t --num-records n --record-size b --throughput r|-1
                     --producer-props bootstrap.servers=host:port [k=v ...]
      Measure producing, as Kafka's kafka-producer-perf-test.sh does (its options and lines).
  consumer-perf-test --bootstrap-server host:port --topic t --messages n [--group g] [...]
      Measure consuming, as Kafka's kafka-consumer-perf-test.sh does (its options and CSV line).
  dump-log --files <dir>/00000000000000000000.log[,...] [--print-data-log] [--offsets-decoder] [...]
      Dump a data directory's files offline (segments, .index, .timeindex, .snapshot, .txnindex,
      __consumer_offsets, __transaction_state and __cluster_metadata records), as Kafka's
      kafka-dump-log.sh does; 'brook dump-log --help' lists the options.
  version
      Print Brook's version.
`;

/** Where the tools write: their lines on stdout, notices and failures on stderr. */
const STDIO = {
  out: (text: string) => process.stdout.write(text),
  err: (text: string) => process.stderr.write(text),
};

/** Standard input's lines, one per call; null once it ends. */
function stdinLines(): () => Promise<string | null> {
  let lines: AsyncIterator<string> | undefined;
  return async () => {
    lines ??= createInterface({ input: process.stdin })[Symbol.asyncIterator]();
    const next = await lines.next();
    return next.done === true ? null : next.value;
  };
}

function brookVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")) as {
    version: string;
  };
  return pkg.version;
}

/**
 * Exit codes: 0 clean, 1 runtime failure, 2 bad usage or configuration (nothing started); `brook
 * topics` exits with 1 for any failure, bad usage included, as kafka-topics.sh does.
 */
async function main(argv: string[]): Promise<number> {
  const [command, sub, ...rest] = argv;
  if (command === undefined || command === "--help" || command === "-h" || command === "help") {
    process.stdout.write(USAGE);
    return command === undefined ? 2 : 0;
  }
  if (command === "version" || command === "--version") {
    process.stdout.write(`${brookVersion()}\n`);
    return 0;
  }
  /** Kafka's tools by their names, each run with the command line after its name. */
  const tools: Record<string, (args: string[]) => Promise<number>> = {
    topics: (args) => runTopicsCommand(args, STDIO, brookVersion),
    "get-offsets": (args) => runGetOffsetsCommand(args, STDIO, brookVersion),
    "leader-election": (args) => runLeaderElectionCommand(args, STDIO, brookVersion),
    "delete-records": (args) => runDeleteRecordsCommand(args, STDIO, brookVersion),
    "log-dirs": (args) => runLogDirsCommand(args, STDIO, brookVersion),
    configs: (args) => runConfigsCommand(args, STDIO, brookVersion),
    "consumer-groups": (args) => runConsumerGroupsCommand(args, STDIO, brookVersion),
    transactions: (args) => runTransactionsCommand(args, STDIO, brookVersion),
    // --remove asks before it deletes, unless --force.
    acls: (args) => runAclsCommand(args, { ...STDIO, readLine: stdinLines() }, brookVersion),
    "consumer-perf-test": (args) => runConsumerPerfTestCommand(args, STDIO, brookVersion),
    "producer-perf-test": (args) => runProducerPerfTestCommand(args, STDIO),
    // The tool stops on SIGINT and SIGTERM itself: it leaves the group and says how many it printed.
    "console-consumer": (args) => runConsoleConsumerCommand(args, STDIO, brookVersion),
    "dump-log": (args) => {
      // `brook dump-log ... | head`: once the reader is gone, end quietly, as Kafka's tool (its
      // PrintStream swallows the broken pipe) does.
      process.stdout.on("error", (error: NodeJS.ErrnoException) => {
        if (error.code !== "EPIPE") throw error;
        process.exit(0);
      });
      return runDumpLogCommand(
        args,
        {
          ...STDIO,
          drained: () => new Promise((resolve) => process.stdout.once("drain", resolve)),
          // main() ends the process with process.exit, which would cut off a pipe's unread tail.
          finished: () =>
            Promise.all(
              [process.stdout, process.stderr].map((s) => new Promise((resolve) => s.write("", resolve))),
            ).then(() => {}),
        },
        brookVersion,
      );
    },
  };
  if (Object.hasOwn(tools, command))
    return (tools[command] as (args: string[]) => Promise<number>)(argv.slice(1));
  if (command === "console-producer") {
    // Ctrl-C ends the input: what was read is still sent, as Kafka's shutdown hook flushes.
    const endInput = () => process.stdin.destroy();
    process.once("SIGINT", endInput);
    process.once("SIGTERM", endInput);
    return runConsoleProducerCommand(argv.slice(1), { ...STDIO, stdin: process.stdin }, brookVersion);
  }
  if (command === "server" && sub === "start") return serverStart(rest);
  if (command === "cluster" && sub === "start") {
    return clusterStart(rest, fileURLToPath(import.meta.url)).catch((error: unknown) => {
      if (!(error instanceof ConfigError)) throw error;
      process.stderr.write(`brook: ${error.message}\n`);
      return 2;
    });
  }
  process.stderr.write(`brook: unknown command '${[command, sub].filter(Boolean).join(" ")}'\n\n${USAGE}`);
  return 2;
}

function parseServerArgs(args: string[]): { file: string | undefined; overrides: Map<string, string> } {
  let file: string | undefined;
  const overrides = new Map<string, string>();
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === "--override") {
      const kv = args[++i];
      const eq = kv?.indexOf("=") ?? -1;
      if (kv === undefined || eq <= 0) throw new ConfigError(`--override needs key=value, got '${kv ?? ""}'`);
      overrides.set(kv.slice(0, eq), kv.slice(eq + 1));
    } else if (arg.startsWith("--")) {
      throw new ConfigError(`unknown option ${arg}`);
    } else if (file === undefined) {
      file = arg;
    } else {
      throw new ConfigError(`unexpected argument ${arg}`);
    }
  }
  return { file, overrides };
}

async function serverStart(args: string[]): Promise<number> {
  raiseMallocThresholds();
  const log = createLogger({ level: (process.env.BROOK_LOG_LEVEL as "info" | undefined) ?? "info" });
  let server: Awaited<ReturnType<typeof startServer>>;
  try {
    const { file, overrides } = parseServerArgs(args);
    const props =
      file === undefined ? new Map(SINGLE_NODE_PROPERTIES) : parseProperties(readFileSync(file, "utf8"));
    for (const [k, v] of overrides) props.set(k, v);
    const config = parseBrokerConfig(props);
    server = await startServer(config, log);
  } catch (error) {
    if (error instanceof ConfigError || (error as NodeJS.ErrnoException).code === "ENOENT") {
      process.stderr.write(`brook: ${describeError(error).replace(/^\w+: /, "")}\n`);
      return 2;
    }
    if ((error as NodeJS.ErrnoException).code === "EADDRINUSE") {
      process.stderr.write(`brook: ${(error as Error).message}: is another broker running?\n`);
      return 1;
    }
    throw error;
  }
  const listeners = server.broker.advertisedListeners.map((l) => `${l.name}://${l.host}:${l.port}`).join(",");
  // One machine-readable line on stdout: scripts and tests wait for it.
  process.stdout.write(
    `brook ready kafka=${server.bootstrap} listeners=${listeners} cluster=${server.broker.clusterId}${server.registryUrl === null ? "" : ` registry=${server.registryUrl}`}${server.consoleUrl === null ? "" : ` console=${server.consoleUrl}`}${server.restProxyUrl === null ? "" : ` rest=${server.restProxyUrl}`}\n`,
  );
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      log.info(`${signal} received, shutting down`);
      server.stop().then(resolve, (error: unknown) => {
        log.error(`shutdown failed: ${describeError(error)}`);
        resolve();
      });
    };
    process.once("SIGTERM", () => stop("SIGTERM"));
    process.once("SIGINT", () => stop("SIGINT"));
  });
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(
      `brook: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  },
);
