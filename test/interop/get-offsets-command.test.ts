import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { BROOK_MAIN, BrokerProcess, kcat, runTool, TEST_TIMEOUT_MS } from "./broker-process.js";

/**
 * `brook get-offsets` (kafka-get-offsets.sh) against a broker process with records produced by
 * kcat: offsets at the latest, earliest and a timestamp, picked by topic regex, partition sets and
 * Kafka's topic:partition patterns, printed in Kafka's order.
 */

let broker: BrokerProcess;
let midpointMs = 0;

async function getOffsets(
  ...args: string[]
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const r = await runTool(
    process.execPath,
    [BROOK_MAIN, "get-offsets", "--bootstrap-server", broker.bootstrap, ...args],
    {
      timeoutMs: 30_000,
    },
  );
  return { code: r.code, stdout: r.stdout, stderr: r.stderr };
}

/** `count` records into each partition of `topic`, with kcat. */
async function produce(topic: string, partitions: number, count: number): Promise<void> {
  for (let p = 0; p < partitions; p++) {
    const lines = Array.from({ length: count }, (_, i) => `v${p}-${i}`).join("\n");
    await kcat(["-P", "-b", broker.bootstrap, "-t", topic, "-p", String(p)], { input: `${lines}\n` });
  }
}

before(async () => {
  broker = await BrokerProcess.start({ overrides: { "num.partitions": "1" } });
  const create = await runTool(process.execPath, [
    BROOK_MAIN,
    "topics",
    "--bootstrap-server",
    broker.bootstrap,
    "--create",
    "--topic",
    "events",
    "--partitions",
    "12",
  ]);
  assert.equal(create.code, 0, create.stderr);
  await produce("events", 12, 2);
  // After every record so far (a record stamped in this very millisecond stays before it).
  midpointMs = Date.now() + 1;
  await new Promise((r) => setTimeout(r, 20));
  await produce("events", 12, 1);
  await produce("audit", 1, 5); // auto-created, one partition
});

after(async () => {
  await broker?.dispose();
});

test("offsets at the latest, earliest and a timestamp, in Kafka's topic-partition order", {
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  const latest = await getOffsets("--topic", "events");
  assert.equal(latest.code, 0, latest.stderr);
  // TopicPartition.toString() order: events-0, events-1, events-10, events-11, events-2, ...
  const order = [0, 1, 10, 11, 2, 3, 4, 5, 6, 7, 8, 9];
  assert.equal(latest.stdout, order.map((p) => `events:${p}:3\n`).join(""));
  assert.equal(
    (await getOffsets("--topic", "events", "--partitions", "0,5", "--time", "-2")).stdout,
    "events:0:0\nevents:5:0\n",
  );
  assert.equal(
    (await getOffsets("--topic", "events", "--partitions", "3", "--time", String(midpointMs))).stdout,
    "events:3:2\n",
  );
  assert.equal(
    (await getOffsets("--topic", "events", "--partitions", "3", "--time", "max-timestamp")).stdout,
    "events:3:2\n",
  );
  // A timestamp after every record: no offset, no line (as Kafka).
  assert.equal(
    (await getOffsets("--topic", "events", "--partitions", "3", "--time", String(Date.now() + 60_000)))
      .stdout,
    "",
  );
});

test("--topic-partitions patterns, internal topics and errors", { timeout: TEST_TIMEOUT_MS }, async () => {
  assert.equal(
    (await getOffsets("--topic-partitions", "aud.*,events:10-12,events:-1")).stdout,
    "audit:0:5\nevents:0:3\nevents:10:3\nevents:11:3\n",
  );
  const all = await getOffsets("--exclude-internal-topics");
  assert.equal(all.stdout.split("\n").filter(Boolean).length, 13, "audit and the 12 partitions of events");
  const refused: [string[], string][] = [
    [
      ["--topic", "nothing-.*"],
      "Error occurred: Could not match any topic-partitions with the specified filters\n",
    ],
    [
      ["--time", "soon"],
      "Error occurred: Malformed time argument soon. Please use -1 or latest / -2 or earliest / -3 or max-timestamp / -4 or earliest-local / -5 or latest-tiered, or a specified long format timestamp\n",
    ],
    [
      ["--topic", "events", "--topic-partitions", "events:1"],
      "Error occurred: --topic-partitions cannot be used with --topic or --partitions\n",
    ],
    [
      ["--partitions", "one"],
      "Error occurred: --partitions expects a comma separated list of numeric partition ids, but received: one\n",
    ],
    [["--where"], "Error occurred: where is not a recognized option\n"],
  ];
  for (const [args, message] of refused) {
    const r = await getOffsets(...args);
    assert.equal(r.code, 1, args.join(" "));
    assert.equal(r.stderr, message, args.join(" "));
  }
});
