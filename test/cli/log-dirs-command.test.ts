import assert from "node:assert/strict";
import { test } from "node:test";
import {
  brokerIds,
  logDirsJson,
  OPTION_SPECS,
  runLogDirsCommand,
} from "../../src/cli/log-dirs/log-dirs-command.js";
import { CommandError, helpText } from "../../src/cli/options/index.js";
import type { BrokerLogDirs } from "../../src/client/index.js";
import { ErrorCode } from "../../src/protocol/index.js";
import { cliFixture } from "./cli-fixtures.js";

/**
 * `brook log-dirs` without a broker: kafka-log-dirs.sh's help and usage errors, --broker-list as
 * Integer.valueOf reads it, and the JSON line as Kafka 4.0's tool writes it (Jackson over Java
 * HashMaps: keys, brokers, dirs and partitions in hash order; a failed dir by its exception class).
 */

const HELP_MESSAGE = "This tool helps to query log directory usage on the specified brokers.";

async function tool(...argv: string[]) {
  let out = "";
  let err = "";
  const code = await runLogDirsCommand(
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
  const expected = `${HELP_MESSAGE}\n${cliFixture("log-dirs-help.txt")}`;
  assert.equal(helpText(HELP_MESSAGE, OPTION_SPECS), expected);
  assert.deepEqual(await tool("--help"), { code: 0, out: expected, err: "" });
  assert.deepEqual(await tool(), { code: 1, out: "", err: expected });
  assert.deepEqual(await tool("--bootstrap-server", "localhost:9092"), {
    code: 1,
    out: "",
    err: `Missing required argument "[describe]"\n${cliFixture("log-dirs-help.txt")}`,
  });
  assert.deepEqual(await tool("--describe"), {
    code: 1,
    out: "",
    err: `Missing required argument "[bootstrap-server]"\n${cliFixture("log-dirs-help.txt")}`,
  });
});

test("--broker-list: comma-separated ints, empty items skipped, duplicates once", () => {
  assert.deepEqual(brokerIds(undefined), []);
  assert.deepEqual(brokerIds("1,,2,1,+3"), [1, 2, 3]);
  assert.throws(
    () => brokerIds("1,two"),
    (e: unknown) => e instanceof CommandError && e.message === 'For input string: "two"',
  );
  assert.throws(() => brokerIds("3000000000"), /For input string: "3000000000"/);
});

const replica = (topic: string, partition: number, size: bigint) => ({
  topic,
  partition,
  size,
  offsetLag: 0n,
  isFuture: false,
});
const broker = (id: number, logDirs: BrokerLogDirs["logDirs"]): BrokerLogDirs => ({
  broker: id,
  errorCode: ErrorCode.NONE,
  errorMessage: null,
  logDirs,
});
const dir = (path: string, replicas: ReturnType<typeof replica>[], errorCode: number = ErrorCode.NONE) => ({
  path,
  errorCode,
  errorMessage: null,
  totalBytes: -1n,
  usableBytes: -1n,
  replicas,
});

test("the JSON line: Kafka 4.0's keys and orders, topics filtered, a failed dir by its exception class", () => {
  assert.equal(
    logDirsJson([broker(1, [dir("/x", [replica("t", 0, 123n)])])], new Set()),
    '{"brokers":[{"broker":1,"logDirs":[{"partitions":[{"partition":"t-0","size":123,"offsetLag":0,"isFuture":false}],"error":null,"logDir":"/x"}]}],"version":1}',
  );
  const answers = [
    broker(2, [
      dir("/data/b", [replica("events", 0, 10n), replica("events", 1, 0n), replica("audit", 0, 7n)]),
    ]),
    broker(1, [
      dir("/data/a", [replica("events", 2, 5n)]),
      dir("/data/failed", [], ErrorCode.KAFKA_STORAGE_ERROR),
    ]),
  ];
  const all = JSON.parse(logDirsJson(answers, new Set())) as {
    brokers: {
      broker: number;
      logDirs: { logDir: string; error: string | null; partitions: { partition: string }[] }[];
    }[];
  };
  assert.deepEqual(
    all.brokers.map((b) => b.broker),
    [1, 2],
  );
  assert.deepEqual(
    all.brokers[0]?.logDirs.map((d) => [d.logDir, d.error]),
    [
      ["/data/a", null],
      ["/data/failed", "org.apache.kafka.common.errors.KafkaStorageException"],
    ],
  );
  assert.deepEqual(
    all.brokers[1]?.logDirs[0]?.partitions.map((p) => p.partition),
    ["audit-0", "events-0", "events-1"],
  );
  const events = logDirsJson(answers, new Set(["events"]));
  assert.ok(!events.includes("audit-0"));
  assert.ok(events.includes('{"partition":"events-1","size":0,"offsetLag":0,"isFuture":false}'));
  assert.equal(
    logDirsJson([broker(3, [dir("/x", [replica("t", 0, 1n)])])], new Set(["other"])),
    '{"brokers":[{"broker":3,"logDirs":[{"partitions":[],"error":null,"logDir":"/x"}]}],"version":1}',
  );
});
