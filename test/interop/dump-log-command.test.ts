import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { BROOK_MAIN, BrokerProcess, kcat, runTool, TEST_TIMEOUT_MS } from "./broker-process.js";

/**
 * `brook dump-log` (kafka-dump-log.sh) on the files a broker process wrote: records produced by
 * kcat (a keyed gzip batch and a plain one) read back from the topic's segment with their offsets,
 * keys and payloads, and a consumer group's commit (kcat -G) decoded from `__consumer_offsets`.
 */

const TOPIC = "dumped";
const GROUP = "dump-readers";
const SEGMENT = "00000000000000000000";
/** Compressible, so that librdkafka does send the batch gzip'ed (it sends a batch that does not shrink as is). */
const LONG_VALUE = "gzip-me-".repeat(40);

let broker: BrokerProcess;

async function dumpLog(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const r = await runTool(process.execPath, [BROOK_MAIN, "dump-log", ...args], { timeoutMs: 30_000 });
  return { code: r.code, stdout: r.stdout, stderr: r.stderr };
}

const recordLines = (stdout: string) => stdout.split("\n").filter((l) => l.startsWith("| "));
const batchLines = (stdout: string) => stdout.split("\n").filter((l) => l.startsWith("baseOffset: "));

before(async () => {
  broker = await BrokerProcess.start({ overrides: { "num.partitions": "1" } });
  await kcat(["-P", "-b", broker.bootstrap, "-t", TOPIC, "-K:", "-z", "gzip"], {
    input: `order-1:${LONG_VALUE}\n`,
  });
  // One batch for both lines whatever the machine's load: kcat's flush at the end of its input
  // sends what lingered (librdkafka's default 5 ms once split them in a loaded full run).
  await kcat(["-P", "-b", broker.bootstrap, "-t", TOPIC, "-X", "linger.ms=2000"], {
    input: "plain one\nplain two\n",
  });
  // A group member that reads everything and commits as it leaves.
  const read = await kcat(
    [
      "-b",
      broker.bootstrap,
      "-G",
      GROUP,
      "-X",
      "auto.offset.reset=earliest",
      "-X",
      "auto.commit.interval.ms=100",
      "-e",
      "-q",
      TOPIC,
    ],
    { timeoutMs: 30_000 },
  );
  assert.equal(read.split("\n").filter((l) => l !== "").length, 3, read);
});

after(async () => {
  await broker?.dispose();
});

test("a topic's segment: batches with their codec, records with offsets, keys and payloads", {
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  const segment = join(broker.dataDir, `${TOPIC}-0`, `${SEGMENT}.log`);
  // While the broker runs: what was acknowledged is in the file.
  const dump = await dumpLog("--files", segment, "--print-data-log");
  assert.equal(dump.code, 0, dump.stderr);
  assert.equal(dump.stderr, "");
  const out = dump.stdout.split("\n");
  assert.deepEqual(out.slice(0, 2), [`Dumping ${segment}`, "Log starting offset: 0"]);
  const batches = batchLines(dump.stdout);
  assert.equal(batches.length, 2, dump.stdout);
  assert.match(
    batches[0] ?? "",
    /^baseOffset: 0 lastOffset: 0 count: 1 .* position: 0 CreateTime: \d+ .*compresscodec: gzip crc: \d+ isvalid: true$/,
  );
  assert.match(
    batches[1] ?? "",
    /^baseOffset: 1 lastOffset: 2 count: 2 .*compresscodec: none crc: \d+ isvalid: true$/,
  );
  const records = recordLines(dump.stdout);
  assert.equal(records.length, 3, dump.stdout);
  assert.match(
    records[0] ?? "",
    new RegExp(
      `^\\| offset: 0 CreateTime: \\d+ keySize: 7 valueSize: ${LONG_VALUE.length} sequence: -?\\d+ headerKeys: \\[\\] key: order-1 payload: ${LONG_VALUE}$`,
    ),
  );
  assert.match(
    records[1] ?? "",
    /^\| offset: 1 CreateTime: \d+ keySize: -1 valueSize: 9 .*headerKeys: \[\] payload: plain one$/,
  );
  assert.match(records[2] ?? "", /^\| offset: 2 .* payload: plain two$/);
});

test("the group's commit, decoded from __consumer_offsets with --offsets-decoder", {
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  // Offline, as an operator would read a stopped broker's directory; the group's partition is
  // whichever of the offsets topic's partitions holds records.
  await broker.stop();
  const segments: string[] = [];
  for (let p = 0; existsSync(join(broker.dataDir, `__consumer_offsets-${p}`)); p++) {
    segments.push(join(broker.dataDir, `__consumer_offsets-${p}`, `${SEGMENT}.log`));
  }
  assert.ok(segments.length > 0, "the offsets topic has partitions on disk");
  const dump = await dumpLog("--offsets-decoder", "--files", segments.join(","));
  assert.equal(dump.code, 0, dump.stderr);
  const records = recordLines(dump.stdout);
  const commit = records.find((l) =>
    l.includes(`key: {"type":"1","data":{"group":"${GROUP}","topic":"${TOPIC}","partition":0}}`),
  );
  assert.ok(commit, dump.stdout);
  assert.match(
    commit,
    /payload: \{"version":"3","data":\{"offset":3,"leaderEpoch":-?\d+,"metadata":"","commitTimestamp":\d+\}\}$/,
  );
  const group = records.find((l) => l.includes(`key: {"type":"2","data":{"group":"${GROUP}"}}`));
  assert.ok(group, dump.stdout);
  // The member's subscription is the consumer protocol's, printed decoded.
  assert.match(group, /"protocolType":"consumer"/);
  assert.match(group, new RegExp(`"subscription":\\{"topics":\\["${TOPIC}"\\]`));

  // The closed segment's indexes agree with its log.
  const dir = join(broker.dataDir, `${TOPIC}-0`);
  const verify = await dumpLog(
    "--verify-index-only",
    "--files",
    [`${SEGMENT}.index`, `${SEGMENT}.timeindex`].map((f) => join(dir, f)).join(","),
  );
  assert.equal(verify.code, 0, verify.stderr);
  assert.equal(verify.stderr, "");
});
