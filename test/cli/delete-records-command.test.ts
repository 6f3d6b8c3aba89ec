import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import {
  deletionLines,
  OPTION_SPECS,
  parseOffsetJson,
  runDeleteRecordsCommand,
} from "../../src/cli/delete-records/delete-records-command.js";
import { CommandError, helpText } from "../../src/cli/options/index.js";
import { ErrorCode } from "../../src/protocol/index.js";
import { cliFixture } from "./cli-fixtures.js";

/**
 * `brook delete-records` without a broker: kafka-delete-records.sh's help and usage errors, its
 * --offset-json-file format with Kafka's messages for a wrong one (the cases of Kafka's
 * DeleteRecordsCommandTest), and the result lines in Kafka's order.
 */

const HELP_MESSAGE =
  "This tool helps to delete records of the given partitions down to the specified offset.";

async function tool(...argv: string[]) {
  let out = "";
  let err = "";
  const code = await runDeleteRecordsCommand(
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
}

test("the help is jopt-simple's layout of Kafka's options; usage errors print it on stderr", async () => {
  assert.equal(
    helpText(HELP_MESSAGE, OPTION_SPECS),
    `${HELP_MESSAGE}\n${cliFixture("delete-records-help.txt")}`,
  );
  const help = await tool("--help");
  assert.equal(help.code, 0);
  assert.equal(help.out, `${HELP_MESSAGE}\n${cliFixture("delete-records-help.txt")}`);
  const none = await tool();
  assert.equal(none.code, 1);
  assert.equal(none.err, `${HELP_MESSAGE}\n${cliFixture("delete-records-help.txt")}`);
  const noFile = await tool("--bootstrap-server", "localhost:9092");
  assert.equal(noFile.code, 1);
  assert.equal(noFile.out, "");
  assert.ok(noFile.err.startsWith('Missing required argument "[offset-json-file]"\nOption'), noFile.err);
  assert.ok(
    (await tool("--offset-json-file", "f")).err.startsWith(
      'Missing required argument "[bootstrap-server]"\n',
    ),
  );
  assert.deepEqual(await tool("--bootstrap-server", "h:1", "--offset-json", "f"), {
    code: 1,
    out: "",
    err: "offset-json is not a recognized option\n",
  });
});

test("a file that cannot be read or parsed: Kafka's message alone on stderr, exit code 1", async () => {
  const dir = mkdtempSync(join(tmpdir(), "brook-delete-records-"));
  const bad = join(dir, "bad.json");
  writeFileSync(
    bad,
    '{"partitions":[{"topic":"t","partition":0,"offset":1},{"topic":"t","partition":0,"offset":2}]}',
  );
  // Nothing is sent: the broker address is never used.
  const cases: [string, string][] = [
    ["/not/existing/file", "Unable to read file /not/existing/file"],
    [bad, "Offset json file contains duplicate topic partitions: t-0"],
  ];
  for (const [file, message] of cases) {
    assert.deepEqual(await tool("--bootstrap-server", "127.0.0.1:1", "--offset-json-file", file), {
      code: 1,
      out: "",
      err: `${message}\n`,
    });
  }
  assert.deepEqual(
    await tool(
      "--bootstrap-server",
      "h:1",
      "--offset-json-file",
      bad,
      "--command-config",
      "/not/there.properties",
    ),
    { code: 1, out: "", err: "/not/there.properties\n" },
  );
});

test("the JSON format: version 1 (or none), partitions with topic, partition and offset", () => {
  assert.deepEqual(
    parseOffsetJson(
      '{"partitions":[{"topic":"t", "partition":0, "offset":0},{"topic":"t", "partition":1, "offset":1, "ignored":"field"}],"version":1}',
    ),
    [
      { topic: "t", partition: 1, offset: 1n },
      { topic: "t", partition: 0, offset: 0n },
    ],
  );
  // Offsets are longs; -1 is the high watermark, which the broker resolves.
  assert.deepEqual(parseOffsetJson('{"partitions":[{"topic":"t","partition":2,"offset":1099511627776}]}'), [
    { topic: "t", partition: 2, offset: 1099511627776n },
  ]);
  assert.deepEqual(parseOffsetJson('{"partitions":[{"topic":"t","partition":2,"offset":-1}]}'), [
    { topic: "t", partition: 2, offset: -1n },
  ]);
  const refused: [string, string][] = [
    ["", "The input string is not a valid JSON"],
    ["{partitions: []}", "The input string is not a valid JSON"],
    ['{"version":"string"}', 'Expected `Integer` value, received "string"'],
    ['{"version":2}', "Not supported version field value 2"],
    ['{"version":1}', "Missing partitions field"],
    ['{"partitions":2}', "Expected JSON array, received 2"],
    ['{"partitions":{}}', "Expected JSON array, received {}"],
    ['{"partitions":[{}]}', "No such field exists: `topic`"],
    ['{"partitions":[{"topic":"t"}]}', "No such field exists: `partition`"],
    ['{"partitions":[{"topic":"t", "partition": ""}]}', 'Expected `Integer` value, received ""'],
    ['{"partitions":[{"topic":"t", "partition": 0}]}', "No such field exists: `offset`"],
    ['{"partitions":[{"topic":"t", "offset":0}]}', "No such field exists: `partition`"],
    ['{"partitions":[{"topic":"t", "partition":0, "offset":1.5}]}', "Expected `Long` value, received 1.5"],
    [
      '{"partitions":[{"topic":"t", "partition":0, "offset":99999999999999999999}]}',
      "Expected `Long` value, received 99999999999999999999",
    ],
    ["[]", "Expected JSON object, received []"],
  ];
  for (const [text, message] of refused) {
    assert.throws(
      () => parseOffsetJson(text),
      (e: unknown) => e instanceof CommandError && e.message === message,
      text,
    );
  }
  // Every duplicate, in the order of Kafka's HashSet.
  assert.throws(
    () =>
      parseOffsetJson(
        '{"partitions":[{"topic":"t","partition":0,"offset":0},{"topic":"t","partition":1,"offset":1},{"topic":"t","partition":0,"offset":2},{"topic":"t","partition":1,"offset":0},{"topic":"u","partition":0,"offset":0}]}',
      ),
    /^CommandError: Offset json file contains duplicate topic partitions: t-1,t-0$/,
  );
});

test("one line per partition, its low watermark or its error as Java prints it", () => {
  assert.deepEqual(
    deletionLines([
      { topic: "t", partition: 0, lowWatermark: 10n, errorCode: ErrorCode.NONE, errorMessage: null },
      {
        topic: "t",
        partition: 42,
        lowWatermark: -1n,
        errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
        errorMessage: null,
      },
      {
        topic: "t",
        partition: 1,
        lowWatermark: -1n,
        errorCode: ErrorCode.OFFSET_OUT_OF_RANGE,
        errorMessage: "The requested offset is not within the range of offsets maintained by the server.",
      },
    ]),
    [
      "partition: t-1\terror: org.apache.kafka.common.errors.OffsetOutOfRangeException: The requested offset is not within the range of offsets maintained by the server.",
      "partition: t-0\tlow_watermark: 10",
      "partition: t-42\terror: org.apache.kafka.common.errors.UnknownTopicOrPartitionException: This server does not host this topic-partition.",
    ],
  );
});
