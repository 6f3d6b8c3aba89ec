import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, test } from "node:test";
import kafkajs from "kafkajs";
import { BrokerProcess, PYTHON, REPO_ROOT, runTool, TEST_TIMEOUT_MS } from "./broker-process.js";

/**
 * kafka-python 2.0.2 (Debian's python3-kafka) against a Brook broker process. It does not
 * negotiate per API: it guesses a broker version from ApiVersions v0 and fixes its request
 * versions from the guess, so this checks that what Brook advertises leads it to versions Brook
 * serves. Codecs: none and gzip (snappy and lz4 need Python modules Debian packages separately;
 * librdkafka and kafkajs cover them).
 */
const SCRIPT = join(REPO_ROOT, "test", "interop", "python", "kafka_python_client.py");
const TOPIC = "kafka-python";
const PARTITIONS = 3;
const PER_CODEC = 21;

interface Sent {
  key: string;
  value: string;
  partition: number;
  offset: number;
}

let broker: BrokerProcess;

before(async () => {
  broker = await BrokerProcess.start();
});

after(async () => {
  await broker?.dispose();
});

async function step<T>(...args: string[]): Promise<T> {
  const result = await runTool(PYTHON, [SCRIPT, broker.bootstrap, ...args], { timeoutMs: 60_000 });
  if (result.stderr.includes("No module named 'kafka'"))
    throw new Error(
      "python3-kafka is not installed: apt-get install -y python3-kafka (npm test installs it)",
    );
  if (result.code !== 0) throw new Error(`kafka-python ${args.join(" ")} failed:\n${result.stderr}`);
  return JSON.parse(result.stdout) as T;
}

/** The partition Kafka's Java-compatible default partitioner (murmur2) picks, as kafkajs computes it. */
function javaPartition(key: string): number {
  const partitioner = kafkajs.Partitioners.DefaultPartitioner();
  return partitioner({
    topic: TOPIC,
    partitionMetadata: Array.from({ length: PARTITIONS }, (_, partitionId) => ({
      partitionId,
      leader: 1,
      partitionErrorCode: 0,
      replicas: [1],
      isr: [1],
      offlineReplicas: [],
    })),
    message: { key, value: null },
  });
}

test("kafka-python: admin, keyed produce (none, gzip, acks=all), group consume with commits, group admin", {
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  const created = await step<{ apiVersion: number[]; topics: string[] }>(
    "admin-create",
    TOPIC,
    String(PARTITIONS),
  );
  assert.ok(created.topics.includes(TOPIC));
  // Its guess from Brook's ApiVersions answer: a modern broker (2.x), so modern request versions.
  assert.ok((created.apiVersion[0] ?? 0) >= 2, `guessed broker version ${created.apiVersion}`);

  const sent: Sent[] = [];
  for (const codec of ["none", "gzip"]) {
    const answer = await step<{ sent: Sent[] }>("produce", TOPIC, codec, String(PER_CODEC));
    assert.equal(answer.sent.length, PER_CODEC);
    sent.push(...answer.sent);
  }
  for (const s of sent)
    assert.equal(s.partition, javaPartition(s.key), `${s.key}: murmur2 as Java and kafkajs`);

  const first = await step<{ records: Sent[]; committed: Record<string, number> }>(
    "consume",
    TOPIC,
    "kp-group",
    String(sent.length),
  );
  const key = (r: { key: string; value: string; partition: number; offset: number }) =>
    `${r.partition}/${r.offset}=${r.key}:${r.value}`;
  assert.deepEqual(first.records.map(key).sort(), sent.map(key).sort());
  const ends = Object.fromEntries(
    Array.from({ length: PARTITIONS }, (_, p) => {
      const offsets = sent.filter((s) => s.partition === p).map((s) => s.offset + 1);
      return [String(p), Math.max(0, ...offsets)];
    }),
  );
  assert.deepEqual(first.committed, ends);

  // The group resumes from its commits: only the record produced now comes back.
  const late = await step<{ sent: Sent[] }>("produce", TOPIC, "none", "1");
  const resumed = await step<{ records: Sent[] }>("consume", TOPIC, "kp-group", "1");
  assert.deepEqual(resumed.records.map(key), late.sent.map(key));

  const groups = await step<{ groups: string[]; state: string; offsets: Record<string, number> }>(
    "admin-groups",
    "kp-group",
  );
  assert.ok(groups.groups.includes("kp-group"));
  assert.equal(groups.state, "Empty");
  const latePartition = late.sent[0]?.partition ?? -1;
  assert.equal(groups.offsets[`${TOPIC}-${latePartition}`], (late.sent[0]?.offset ?? -2) + 1);
});
