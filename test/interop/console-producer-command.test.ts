import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { Producer } from "../../src/client/index.js";
import { BROOK_MAIN, BrokerProcess, kcat, kcatConsume, runTool, TEST_TIMEOUT_MS } from "./broker-process.js";

/**
 * `brook console-producer` (kafka-console-producer.sh) and Brook's producer under it, against a
 * broker process, read back with kcat (librdkafka): keys land on the partitions Kafka's default
 * partitioner gives them (librdkafka's murmur2_random agrees), headers and the null marker, every
 * codec, --sync, a line the reader cannot parse, and the producer API's acknowledgements.
 */

let broker: BrokerProcess;

before(async () => {
  broker = await BrokerProcess.start({ overrides: { "num.partitions": "6" } });
});

after(async () => {
  await broker?.dispose();
});

function consoleProducer(input: string, ...args: string[]) {
  return runTool(
    process.execPath,
    [BROOK_MAIN, "console-producer", "--bootstrap-server", broker.bootstrap, ...args],
    {
      input,
      timeoutMs: 60_000,
    },
  );
}

test("keyed lines land on murmur2's partitions, as librdkafka's murmur2_random puts the same keys", {
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  const keys = Array.from({ length: 40 }, (_, i) => `user-${i * 7}`);
  const input = keys.map((k, i) => `${k}:value-${i}`).join("\n");
  const run = await consoleProducer(
    `${input}\n`,
    "--topic",
    "by-key",
    "--property",
    "parse.key=true",
    "--property",
    "key.separator=:",
  );
  assert.equal(run.code, 0, run.stderr);
  await kcat(
    ["-P", "-b", broker.bootstrap, "-t", "by-key-rdkafka", "-K:", "-X", "partitioner=murmur2_random"],
    {
      input: `${input}\n`,
    },
  );
  const ours = await kcatConsume(broker.bootstrap, "by-key");
  const theirs = await kcatConsume(broker.bootstrap, "by-key-rdkafka");
  assert.equal(ours.length, keys.length);
  const partitionOf = (records: typeof ours) => new Map(records.map((r) => [r.key, r.partition]));
  assert.deepEqual(partitionOf(ours), partitionOf(theirs));
  assert.ok(new Set(ours.map((r) => r.partition)).size > 1, "40 keys spread over several of 6 partitions");
  // One record per key, its value, and per partition in the order of the input.
  for (const r of ours) assert.equal(r.payload, `value-${keys.indexOf(r.key as string)}`);
  for (let p = 0; p < 6; p++) {
    const inPartition = ours.filter((r) => r.partition === p).sort((a, b) => a.offset - b.offset);
    const indexes = inPartition.map((r) => keys.indexOf(r.key as string));
    assert.deepEqual(
      indexes,
      [...indexes].sort((a, b) => a - b),
    );
  }
});

test("headers, keys and the null marker, as Kafka's LineMessageReader parses them", {
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  const run = await consoleProducer(
    "source:web,trace:42\tk1\tfirst\nsource:cli\tNULL\tsecond\n",
    "--topic",
    "with-headers",
    "--property",
    "parse.headers=true",
    "--property",
    "parse.key=true",
    "--property",
    "null.marker=NULL",
  );
  assert.equal(run.code, 0, run.stderr);
  const records = (await kcatConsume(broker.bootstrap, "with-headers")).sort((a, b) =>
    String(a.payload).localeCompare(String(b.payload)),
  );
  assert.deepEqual(
    records.map((r) => ({ key: r.key, value: r.payload, headers: r.headers })),
    [
      { key: "k1", value: "first", headers: ["source", "web", "trace", "42"] },
      { key: null, value: "second", headers: ["source", "cli"] },
    ],
  );
});

test("every codec, --sync and acks=1: kcat reads back every line", { timeout: TEST_TIMEOUT_MS }, async () => {
  for (const codec of ["gzip", "snappy", "lz4", "zstd"]) {
    const lines = Array.from({ length: 50 }, (_, i) => `${codec} line ${i} ${"x".repeat(i)}`);
    const run = await consoleProducer(
      `${lines.join("\n")}\n`,
      "--topic",
      `codec-${codec}`,
      "--compression-codec",
      codec,
    );
    assert.equal(run.code, 0, run.stderr);
    const values = (await kcatConsume(broker.bootstrap, `codec-${codec}`)).map((r) => r.payload).sort();
    assert.deepEqual(values, [...lines].sort(), codec);
  }
  const sync = await consoleProducer(
    "a\nb\nc\n",
    "--topic",
    "synced",
    "--sync",
    "--request-required-acks",
    "1",
  );
  assert.equal(sync.code, 0, sync.stderr);
  assert.deepEqual((await kcatConsume(broker.bootstrap, "synced")).map((r) => r.payload).sort(), [
    "a",
    "b",
    "c",
  ]);
});

test("a line without the key separator stops the tool with Kafka's message; the lines before it are sent", {
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  const run = await consoleProducer(
    "k1:one\nk2:two\nbroken\nk3:three\n",
    "--topic",
    "broken-input",
    "--property",
    "parse.key=true",
    "--property",
    "key.separator=:",
  );
  assert.equal(run.code, 1);
  assert.match(run.stderr, /No key separator found on line number 3: 'broken'/);
  assert.deepEqual((await kcatConsume(broker.bootstrap, "broken-input")).map((r) => r.payload).sort(), [
    "one",
    "two",
  ]);
  const usage = await runTool(process.execPath, [
    BROOK_MAIN,
    "console-producer",
    "--bootstrap-server",
    broker.bootstrap,
  ]);
  assert.equal(usage.code, 1);
  assert.match(usage.stderr, /^Missing required argument "\[topic\]"\nOption {2,}Description/);
});

test("the producer API: offsets in order per partition, acks=all, acks=0, an unknown partition refused", {
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  const producer = new Producer({ bootstrap: broker.bootstrap, acks: "all", lingerMs: 2 });
  try {
    const sent = await Promise.all(
      Array.from({ length: 300 }, (_, i) =>
        producer.send({ topic: "api", key: `k${i % 10}`, value: `v${i}` }),
      ),
    );
    const byPartition = new Map<number, bigint[]>();
    for (const m of sent) {
      assert.equal(m.topic, "api");
      byPartition.set(m.partition, [...(byPartition.get(m.partition) ?? []), m.offset]);
    }
    for (const offsets of byPartition.values())
      assert.deepEqual(
        offsets,
        offsets.map((_, i) => BigInt(i)),
        "each partition's offsets count from 0 in send order",
      );
    const records = await kcatConsume(broker.bootstrap, "api");
    assert.equal(records.length, 300);
    for (const m of sent) {
      const r = records.find((x) => x.partition === m.partition && BigInt(x.offset) === m.offset);
      assert.ok(r !== undefined && BigInt(r.ts) === m.timestamp);
    }
    await assert.rejects(
      producer.send({ topic: "api", partition: 6, value: "x" }),
      /partition 6 is not one of topic api's 6/,
    );
  } finally {
    await producer.close();
  }
  const fireAndForget = new Producer({ bootstrap: broker.bootstrap, acks: 0 });
  const answers = await Promise.all(
    [1, 2, 3].map((i) => fireAndForget.send({ topic: "acks0", partition: 0, value: `n${i}` })),
  );
  await fireAndForget.close();
  assert.deepEqual(
    answers.map((a) => a.offset),
    [-1n, -1n, -1n],
  );
  const deadline = Date.now() + 10_000;
  let values: (string | null)[] = [];
  while (Date.now() < deadline && values.length < 3) {
    values = (await kcatConsume(broker.bootstrap, "acks0")).map((r) => r.payload);
    if (values.length < 3) await new Promise((r) => setTimeout(r, 100));
  }
  assert.deepEqual(values, ["n1", "n2", "n3"]);
});
