import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { BrokerProcess, kcat, kcatConsume, runTool } from "./broker-process.js";
import { batchCodecsOnDisk } from "./log-files.js";

/**
 * kcat 1.7.1 (librdkafka 2.0.2) against a Brook broker process: what a user sees with `kcat -L`,
 * and keyed records produced with `-P -K:` under every codec and consumed back with `-C -e`.
 */

const CODECS = [
  { name: "none", id: 0 },
  { name: "gzip", id: 1 },
  { name: "snappy", id: 2 },
  { name: "lz4", id: 3 },
  { name: "zstd", id: 4 },
];
const PARTITIONS = 3;
const RECORDS = 200;

let broker: BrokerProcess;

before(async () => {
  broker = await BrokerProcess.start({ overrides: { "num.partitions": String(PARTITIONS) } });
});

after(async () => {
  await broker?.dispose();
});

test("kcat -L shows the broker as controller and each topic's partitions with leader, replicas and ISR", async () => {
  // Produce one record so that the topic exists (auto-created with num.partitions).
  await kcat(["-b", broker.bootstrap, "-P", "-t", "listed", "-K:"], { input: "k:v\n" });
  const text = await kcat(["-b", broker.bootstrap, "-L"]);
  assert.match(text, new RegExp(`broker 1 at ${broker.host}:${broker.port} \\(controller\\)`));
  assert.match(text, /topic "listed" with 3 partitions:/);
  for (let p = 0; p < PARTITIONS; p++) {
    assert.match(text, new RegExp(`partition ${p}, leader 1, replicas: 1, isrs: 1`));
  }
  assert.doesNotMatch(text, /__cluster_metadata/, "the metadata log is not a topic clients see");

  const json = JSON.parse(await kcat(["-b", broker.bootstrap, "-L", "-J"])) as {
    controllerid: number;
    brokers: { id: number; name: string }[];
    topics: {
      topic: string;
      partitions: { partition: number; leader: number; replicas: { id: number }[]; isrs: { id: number }[] }[];
    }[];
  };
  assert.equal(json.controllerid, 1);
  assert.deepEqual(json.brokers, [{ id: 1, name: broker.bootstrap }]);
  const listed = json.topics.find((t) => t.topic === "listed");
  assert.ok(listed, "topic 'listed' in kcat -L -J");
  assert.deepEqual(
    listed.partitions.map((p) => p.partition).sort(),
    Array.from({ length: PARTITIONS }, (_, p) => p),
  );
  for (const p of listed.partitions) {
    assert.equal(p.leader, 1);
    assert.deepEqual(p.replicas, [{ id: 1 }]);
    assert.deepEqual(p.isrs, [{ id: 1 }]);
  }

  const one = JSON.parse(await kcat(["-b", broker.bootstrap, "-L", "-J", "-t", "listed"])) as typeof json;
  assert.deepEqual(
    one.topics.map((t) => t.topic),
    ["listed"],
  );
});

for (const codec of CODECS) {
  test(`kcat produces keyed records with -z ${codec.name} and consumes them back`, async () => {
    const topic = `kcat-${codec.name}`;
    // Repetitive values so that every codec shrinks the batch (librdkafka sends a batch
    // uncompressed when compression does not help).
    const lines = Array.from(
      { length: RECORDS },
      (_, i) => `key-${i % 40}:value-${i} ${"the quick brown fox ".repeat(1 + (i % 5))}`,
    );
    const produced = await runProduce(topic, codec.name, lines);
    assert.equal(produced.code, 0, `kcat -P failed:\n${produced.stderr}`);

    const records = await kcatConsume(broker.bootstrap, topic);
    assert.equal(records.length, RECORDS, "every record produced is consumed");
    const byKey = new Map<string, string[]>();
    const partitionOfKey = new Map<string, number>();
    for (const r of records.sort((a, b) => a.partition - b.partition || a.offset - b.offset)) {
      assert.ok(r.key !== null && r.payload !== null);
      assert.deepEqual(r.headers, ["source", "kcat"]);
      byKey.set(r.key, [...(byKey.get(r.key) ?? []), r.payload]);
      const seen = partitionOfKey.get(r.key);
      assert.ok(
        seen === undefined || seen === r.partition,
        `key ${r.key} in partitions ${seen} and ${r.partition}`,
      );
      partitionOfKey.set(r.key, r.partition);
    }
    // Within a key (one partition), records come back in the order they were produced.
    const expected = new Map<string, string[]>();
    for (const line of lines) {
      const [key, value] = [line.slice(0, line.indexOf(":")), line.slice(line.indexOf(":") + 1)];
      expected.set(key, [...(expected.get(key) ?? []), value]);
    }
    assert.deepEqual(new Map([...byKey].sort()), new Map([...expected].sort()));
    // Offsets in each partition are dense from 0.
    for (let p = 0; p < PARTITIONS; p++) {
      const offsets = records.filter((r) => r.partition === p).map((r) => r.offset);
      assert.deepEqual(
        offsets,
        offsets.map((_, i) => i),
      );
    }
    // The broker stored the batches as kcat compressed them (librdkafka leaves a batch
    // uncompressed when compression does not shrink it, e.g. a single record, or when it believes
    // the broker lacks the codec).
    const codecs = Array.from({ length: PARTITIONS }, (_, p) =>
      batchCodecsOnDisk(broker.dataDir, topic, p),
    ).flat();
    assert.ok(
      codecs.includes(codec.id) && codecs.every((c) => c === codec.id || c === 0),
      `batches on disk use codecs [${codecs}]: expected ${codec.name} (${codec.id})`,
    );
  });
}

test("kcat -P with acks=all reports delivery failures as a non-zero exit: a missing partition", async () => {
  await kcat(["-b", broker.bootstrap, "-P", "-t", "acks-all", "-X", "acks=all"], { input: "a\nb\n" });
  const failed = await runProduce("acks-all", "none", ["k:v"], ["-p", "7", "-X", "message.timeout.ms=3000"]);
  assert.notEqual(failed.code, 0, "producing to partition 7 of a 3-partition topic fails");
  const records = await kcatConsume(broker.bootstrap, "acks-all");
  assert.deepEqual(records.map((r) => r.payload).sort(), ["a", "b"]);
  broker.assertAlive();
});

async function runProduce(topic: string, codec: string, lines: string[], extra: string[] = []) {
  return runTool(
    "kcat",
    [
      "-b",
      broker.bootstrap,
      "-P",
      "-t",
      topic,
      "-K:",
      "-z",
      codec,
      "-H",
      "source=kcat",
      "-X",
      "acks=all",
      ...extra,
    ],
    { input: `${lines.join("\n")}\n`, timeoutMs: 30_000 },
  );
}
