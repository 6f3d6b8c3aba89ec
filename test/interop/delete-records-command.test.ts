import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { BROOK_MAIN, BrokerProcess, kcat, kcatConsume, runTool, TEST_TIMEOUT_MS } from "./broker-process.js";

/**
 * `brook delete-records` (kafka-delete-records.sh) against a broker process: records produced by
 * kcat, deleted below offsets from Kafka's JSON file; the tool's lines, the low watermarks that
 * `brook get-offsets --time earliest` then shows, and kcat reading from there.
 */

let broker: BrokerProcess;

function brook(tool: string, ...args: string[]) {
  return runTool(process.execPath, [BROOK_MAIN, tool, "--bootstrap-server", broker.bootstrap, ...args], {
    timeoutMs: 60_000,
  });
}

/** A JSON file of Kafka's format for the tool, in the broker's data directory. */
function offsetFile(
  name: string,
  partitions: { topic: string; partition: number; offset: number }[],
): string {
  const path = join(broker.dataDir, name);
  writeFileSync(path, JSON.stringify({ partitions, version: 1 }));
  return path;
}

before(async () => {
  broker = await BrokerProcess.start();
  const create = await brook("topics", "--create", "--topic", "ledger", "--partitions", "2");
  assert.equal(create.code, 0, create.stderr);
  const lines = (prefix: string, n: number) =>
    `${Array.from({ length: n }, (_, i) => `${prefix}${i}`).join("\n")}\n`;
  await kcat(["-P", "-b", broker.bootstrap, "-t", "ledger", "-p", "0"], { input: lines("a", 10) });
  await kcat(["-P", "-b", broker.bootstrap, "-t", "ledger", "-p", "1"], { input: lines("b", 5) });
});

after(async () => {
  await broker?.dispose();
});

test("records below the offsets are deleted; each partition's new low watermark or error", {
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  const file = offsetFile("delete.json", [
    { topic: "ledger", partition: 0, offset: 4 },
    // -1: up to the high watermark.
    { topic: "ledger", partition: 1, offset: -1 },
    { topic: "nosuch", partition: 0, offset: 1 },
  ]);
  const run = await brook("delete-records", "--offset-json-file", file);
  assert.equal(run.code, 0, run.stderr);
  assert.equal(
    run.stdout,
    [
      "Executing records delete operation",
      "Records delete operation completed:",
      "partition: ledger-1\tlow_watermark: 5",
      "partition: ledger-0\tlow_watermark: 4",
      "partition: nosuch-0\terror: org.apache.kafka.common.errors.UnknownTopicOrPartitionException: Failed to fetch metadata for partition nosuch-0 because metadata for topic `nosuch` could not be found",
      "",
    ].join("\n"),
  );
  const earliest = await brook("get-offsets", "--topic", "ledger", "--time", "earliest");
  assert.equal(earliest.stdout, "ledger:0:4\nledger:1:5\n");
  const left = await kcatConsume(broker.bootstrap, "ledger", ["-p", "0"]);
  assert.deepEqual(
    left.map((r) => [r.offset, r.payload]),
    [4, 5, 6, 7, 8, 9].map((o) => [o, `a${o}`]),
  );
  assert.deepEqual(await kcatConsume(broker.bootstrap, "ledger", ["-p", "1"]), []);

  // Beyond the high watermark: the partition's error, and still exit code 0 (as Kafka's tool).
  const beyond = await brook(
    "delete-records",
    "--offset-json-file",
    offsetFile("beyond.json", [{ topic: "ledger", partition: 0, offset: 50 }]),
  );
  assert.equal(beyond.code, 0, beyond.stderr);
  assert.match(
    beyond.stdout,
    /\npartition: ledger-0\terror: org\.apache\.kafka\.common\.errors\.OffsetOutOfRangeException: The requested offset is not within the range of offsets maintained by the server\.\n$/,
  );
  assert.equal(
    (await brook("get-offsets", "--topic", "ledger", "--partitions", "0", "--time", "earliest")).stdout,
    "ledger:0:4\n",
  );
});

test("a file naming a partition twice is refused before anything is deleted", {
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  const earliest = () => brook("get-offsets", "--topic", "ledger", "--time", "earliest");
  const before = (await earliest()).stdout;
  const twice = offsetFile("twice.json", [
    { topic: "ledger", partition: 0, offset: 8 },
    { topic: "ledger", partition: 1, offset: 5 },
    { topic: "ledger", partition: 0, offset: 9 },
  ]);
  const run = await brook("delete-records", "--offset-json-file", twice);
  assert.equal(run.code, 1);
  assert.equal(run.stdout, "");
  assert.equal(run.stderr, "Offset json file contains duplicate topic partitions: ledger-0\n");
  assert.equal((await earliest()).stdout, before);
});
