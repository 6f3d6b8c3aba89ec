import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import {
  type ElectionOptions,
  electionPartitions,
  HELP_MESSAGE,
  OPTION_SPECS,
  parseLeaderElectionCommandLine,
} from "../../src/cli/leader-election/election-arguments.js";
import {
  electionReport,
  runLeaderElectionCommand,
} from "../../src/cli/leader-election/leader-election-command.js";
import { CommandError, helpText, OptionsError, UsageError } from "../../src/cli/options/index.js";
import { ElectionType } from "../../src/client/index.js";
import { ErrorCode } from "../../src/protocol/index.js";
import { cliFixture } from "./cli-fixtures.js";

/**
 * `brook leader-election` without a broker: kafka-leader-election.sh's help, its checks of the
 * command line with their messages, the --path-to-json-file format, the lines for an election's
 * results in Kafka's order, and the exit codes.
 */

const parse = (argv: string[], files: Record<string, string> = {}) =>
  parseLeaderElectionCommandLine(argv, (path) => {
    const text = files[path];
    if (text === undefined) throw new CommandError(`java.io.IOException: Unable to read file ${path}`);
    return text;
  });
const run = (argv: string[], files: Record<string, string> = {}) => {
  const parsed = parse(argv, files);
  assert.equal(parsed.kind, "run");
  return (parsed as { options: ElectionOptions }).options;
};
const B = ["--bootstrap-server", "localhost:9092"];

test("the help is jopt-simple's layout of Kafka's options", () => {
  assert.equal(
    helpText(HELP_MESSAGE, OPTION_SPECS),
    `${HELP_MESSAGE}\n${cliFixture("leader-election-help.txt")}`,
  );
  assert.deepEqual(parse(["--help"]), { kind: "help" });
  assert.deepEqual(parse(["--version"]), { kind: "version" });
  assert.throws(
    () => parse([]),
    (e: unknown) => e instanceof UsageError && e.message === HELP_MESSAGE,
  );
});

test("the command line is checked in Kafka's order, with its messages", () => {
  const refused: [string[], string][] = [
    [["--topic", "t"], "Missing required option(s): bootstrap-server, election-type"],
    [[...B, "--topic", "t", "--partition", "0"], "Missing required option(s): election-type"],
    [
      [...B, "--election-type", "preferred"],
      "One and only one of the following options is required: topic, all-topic-partitions, path-to-json-file",
    ],
    [
      [...B, "--election-type", "preferred", "--topic", "t", "--all-topic-partitions"],
      "One and only one of the following options is required: topic, all-topic-partitions, path-to-json-file",
    ],
    [[...B, "--election-type", "unclean", "--topic", "t"], "Missing required option(s): partition"],
    [
      [...B, "--election-type", "unclean", "--all-topic-partitions", "--partition", "0"],
      "Option partition is only allowed if topic is used",
    ],
    [
      [...B, "--election-type", "clean", "--all-topic-partitions"],
      "Cannot parse argument 'clean' of option election-type",
    ],
    [[...B, "--election-type", "preferred", "--nothing"], "nothing is not a recognized option"],
  ];
  for (const [argv, message] of refused) {
    assert.throws(
      () => parse(argv),
      (e: unknown) => e instanceof OptionsError && e.message === message,
      argv.join(" "),
    );
  }
  assert.throws(
    () => parse([...B, "--election-type", "preferred", "--topic", "t", "--partition", "x"]),
    /Cannot parse argument 'x' of option partition/,
  );
  // Both names of the admin client's file: the message and the help, as Kafka's checkInvalidArgs.
  assert.throws(
    () =>
      parse([
        ...B,
        "--election-type",
        "preferred",
        "--all-topic-partitions",
        "--admin.config",
        "a",
        "--command-config",
        "b",
      ]),
    (e: unknown) =>
      e instanceof UsageError &&
      e.message === 'Option "[admin.config]" can\'t be used with option "[command-config]"',
  );
});

test("the election's type in any case and its partitions", () => {
  const one = run([...B, "--election-type", "Preferred", "--topic", "orders", "--partition", "3"]);
  assert.equal(one.electionType, ElectionType.preferred);
  assert.deepEqual(one.partitions, [{ topic: "orders", partition: 3 }]);
  const all = run([
    ...B,
    "--election-type",
    "UNCLEAN",
    "--all-topic-partitions",
    "--admin.config",
    "admin.properties",
  ]);
  assert.equal(all.electionType, ElectionType.unclean);
  assert.equal(all.partitions, null, "every partition");
  assert.equal(all.commandConfig(), "admin.properties");
  const fromFile = run(
    [...B, "--election-type", "preferred", "--path-to-json-file", "p.json", "--command-config", "c"],
    {
      "p.json":
        '{"partitions": [{"topic": "foo", "partition": 1}, {"topic": "foobar", "partition": 2, "extra": true}]}',
    },
  );
  assert.deepEqual(fromFile.partitions, [
    { topic: "foo", partition: 1 },
    { topic: "foobar", partition: 2 },
  ]);
  assert.equal(fromFile.commandConfig(), "c");
});

test("--path-to-json-file failures print as Kafka's tool prints them", () => {
  const fails = (text: string, message: string) =>
    assert.throws(
      () => electionPartitions(text),
      (e: unknown) => e instanceof CommandError && e.message === message,
      text,
    );
  fails("", "Replica election data is empty");
  fails("{partitions: []}", "Replica election data is empty");
  fails('{"version": 1}', 'Replica election data is missing "partitions" field');
  const mapping = "com.fasterxml.jackson.databind.JsonMappingException: ";
  fails("[1]", `${mapping}Expected JSON object, received [1]`);
  fails('{"partitions": {"topic": "t"}}', `${mapping}Expected JSON array, received {"topic":"t"}`);
  fails('{"partitions": [{"partition": 0}]}', `${mapping}No such field exists: \`topic\``);
  fails(
    '{"partitions": [{"topic": "t", "partition": 1.0}]}',
    `${mapping}Expected \`Integer\` value, received 1.0`,
  );
  fails('{"partitions": [{"topic": 7, "partition": 1}]}', `${mapping}Expected \`String\` value, received 7`);
  fails(
    '{"partitions": [{"topic": "t", "partition": 1}, {"topic": "u", "partition": 0}, {"topic": "t", "partition": 1}, {"topic": "t", "partition": 0}, {"topic": "t", "partition": 0}]}',
    "Replica election data contains duplicate partitions: [t-1, t-0]",
  );
  assert.deepEqual(electionPartitions('{"partitions": []}'), []);
  assert.throws(
    () => parse([...B, "--election-type", "preferred", "--path-to-json-file", "/not/there.json"]),
    /^CommandError: java\.io\.IOException: Unable to read file \/not\/there\.json$/,
  );
});

test("results: elected, already elected and failed partitions, each set in Java's order", () => {
  const result = (partition: number, errorCode: number, errorMessage: string | null = null) => ({
    topic: "t",
    partition,
    errorCode,
    errorMessage,
  });
  const elected = electionReport(
    ElectionType.preferred,
    [0, 1, 2, 3].map((p) => result(p, ErrorCode.NONE)),
  );
  assert.deepEqual(elected, {
    lines: ["Successfully completed leader election (PREFERRED) for partitions t-3, t-2, t-1, t-0"],
    failed: 0,
  });
  const mixed = electionReport(ElectionType.unclean, [
    result(0, ErrorCode.ELECTION_NOT_NEEDED, "Leader election not needed for topic partition."),
    result(1, ErrorCode.NONE),
    result(2, ErrorCode.ELECTION_NOT_NEEDED),
    result(
      3,
      ErrorCode.ELIGIBLE_LEADERS_NOT_AVAILABLE,
      "Eligible topic partition leaders are not available.",
    ),
    result(4, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, "No such partition as t-4"),
  ]);
  assert.deepEqual(mixed, {
    lines: [
      "Successfully completed leader election (UNCLEAN) for partitions t-1",
      "Valid replica already elected for partitions t-2, t-0",
      "Error completing leader election (UNCLEAN) for partition: t-4: org.apache.kafka.common.errors.UnknownTopicOrPartitionException: No such partition as t-4",
      "Error completing leader election (UNCLEAN) for partition: t-3: org.apache.kafka.common.errors.EligibleLeadersNotAvailableException: Eligible topic partition leaders are not available.",
    ],
    failed: 2,
  });
  assert.deepEqual(electionReport(ElectionType.preferred, []), { lines: [], failed: 0 });
});

test("exit codes: 0 with the help, 1 for usage errors and for no broker within the tool's timeout", async () => {
  const tool = async (...argv: string[]) => {
    let out = "";
    let err = "";
    const code = await runLeaderElectionCommand(
      argv,
      {
        out: (t) => {
          out += t;
        },
        err: (t) => {
          err += t;
        },
      },
      () => "9.9.9",
    );
    return { code, out, err };
  };
  const help = await tool("--help");
  assert.equal(help.code, 0);
  assert.ok(help.out.startsWith(`${HELP_MESSAGE}\nOption`));
  assert.deepEqual(await tool("--version"), { code: 0, out: "9.9.9\n", err: "" });
  const none = await tool();
  assert.equal(none.code, 1);
  assert.ok(none.err.startsWith(`${HELP_MESSAGE}\nOption`));
  assert.deepEqual(await tool("--bootstrap-server", "h:1", "--topic", "t"), {
    code: 1,
    out: "",
    err: "Missing required option(s): election-type\n",
  });
  // A port nobody listens on: the election times out (here after the file's 300 ms).
  const port = await closedPort();
  const dir = mkdtempSync(join(tmpdir(), "brook-leader-election-"));
  const config = join(dir, "admin.properties");
  writeFileSync(config, "default.api.timeout.ms=300\nretry.backoff.ms=50\n");
  const timedOut = await tool(
    "--bootstrap-server",
    `127.0.0.1:${port}`,
    "--election-type",
    "preferred",
    "--all-topic-partitions",
    "--admin.config",
    config,
  );
  assert.deepEqual(timedOut, {
    code: 1,
    out: "Timeout waiting for election results\n",
    err: "Timeout waiting for election results\n",
  });
});

/** A loopback port that was free a moment ago: connections to it are refused. */
function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
