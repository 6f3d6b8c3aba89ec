import assert from "node:assert/strict";
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { BrokerProcess, kcat, kcatConsume, TEST_TIMEOUT_MS } from "./broker-process.js";
import { kafkajsClient } from "./kafkajs-client.js";
import { partitionDir, segmentIndexes } from "./log-files.js";

/**
 * A partition's files as Kafka leaves them, through a real broker process: every segment has its
 * `.log`, `.index` and `.timeindex` from the moment it exists (the active segment's index files
 * preallocated to segment.index.bytes, 10 MiB, as Kafka's), so a SIGKILL leaves all three; the
 * restart rebuilds the active segment's index from the log instead of trusting the preallocated
 * tail; a clean stop trims the files to their entries. Lookups by offset (fetch) and by timestamp
 * (ListOffsets, through kcat -Q) answer from those indexes.
 */

const TOPIC = "indexed";
/** Small segments, so that the partition has sealed segments beside the active one. */
const SEGMENT_BYTES = 256 * 1024;
const RECORDS = 1500;
const PER_SEND = 50;
/** Record i has timestamp T0 + i seconds. */
const T0 = 1_700_000_000_000;
const OFFSET_INDEX_PREALLOCATED = 10 * 1024 * 1024;
const TIME_INDEX_PREALLOCATED = Math.floor(OFFSET_INDEX_PREALLOCATED / 12) * 12;

let broker: BrokerProcess;

before(async () => {
  broker = await BrokerProcess.start();
});

after(async () => {
  await broker?.dispose();
});

async function produce(): Promise<void> {
  const kafka = kafkajsClient(broker.bootstrap);
  const admin = kafka.admin();
  await admin.connect();
  // Kafka 4 refuses segments under 1 MiB; its tests' internal.segment.bytes rolls small ones.
  await admin.createTopics({
    waitForLeaders: true,
    topics: [
      {
        topic: TOPIC,
        numPartitions: 1,
        configEntries: [{ name: "internal.segment.bytes", value: String(SEGMENT_BYTES) }],
      },
    ],
  });
  await admin.disconnect();
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    for (let sent = 0; sent < RECORDS; sent += PER_SEND) {
      const messages = Array.from({ length: PER_SEND }, (_, k) => ({
        value: `record-${sent + k} ${"payload ".repeat(35)}`,
        timestamp: String(T0 + (sent + k) * 1000),
      }));
      const [meta] = await producer.send({ topic: TOPIC, acks: -1, messages });
      assert.equal(meta?.errorCode, 0);
    }
  } finally {
    await producer.disconnect();
  }
}

/** kcat -Q: the offset ListOffsets answers for `timestamp` (Kafka's: the first record at or after it). */
async function offsetForTimestamp(timestamp: number): Promise<number> {
  const out = await kcat(["-b", broker.bootstrap, "-Q", "-t", `${TOPIC}:0:${timestamp}`], {
    timeoutMs: 20_000,
  });
  const m = /\[0\]\s+offset\s+(-?\d+)/.exec(out);
  assert.ok(m !== null, `unexpected kcat -Q output: ${out}`);
  return Number(m[1]);
}

/** Everything readable (from the start, and from offsets inside sealed and active segments) and every lookup by timestamp. */
async function assertLookups(): Promise<void> {
  const all = await kcatConsume(broker.bootstrap, TOPIC);
  assert.equal(all.length, RECORDS);
  assert.ok(
    all.every((r, i) => r.offset === i && r.ts === T0 + i * 1000 && r.payload?.startsWith(`record-${i} `)),
  );
  for (const offset of [1, 333, 777, 1234, RECORDS - 1]) {
    const [first] = await kcatConsume(broker.bootstrap, TOPIC, ["-o", String(offset), "-c", "1"]);
    assert.equal(first?.offset, offset, `a fetch at ${offset}`);
  }
  for (const i of [0, 1, 499, 777, 1100, RECORDS - 1]) {
    assert.equal(await offsetForTimestamp(T0 + i * 1000), i, `the first record at or after T0 + ${i} s`);
    assert.equal(
      await offsetForTimestamp(T0 + i * 1000 - 500),
      i,
      `the first record after T0 + ${i - 0.5} s`,
    );
  }
}

test("SIGKILL leaves .log, .index and .timeindex; the restart rebuilds the active index; a clean stop trims them", {
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  await produce();
  await broker.kill();

  const dir = partitionDir(broker.dataDir, TOPIC, 0);
  const names = readdirSync(dir);
  for (const name of ["leader-epoch-checkpoint", "partition.metadata"]) assert.ok(names.includes(name), name);
  for (const name of [
    "meta.properties",
    "recovery-point-offset-checkpoint",
    "log-start-offset-checkpoint",
    "replication-offset-checkpoint",
    "cleaner-offset-checkpoint",
  ]) {
    assert.ok(readdirSync(broker.dataDir).includes(name), `${name} in the log dir`);
  }
  let segments = segmentIndexes(broker.dataDir, TOPIC, 0);
  assert.ok(segments.length >= 2, `expected sealed segments and an active one: ${JSON.stringify(segments)}`);
  for (const s of segments) {
    for (const suffix of [".log", ".index", ".timeindex"])
      assert.ok(names.includes(`${s.base}${suffix}`), s.base + suffix);
  }
  const active = segments[segments.length - 1];
  assert.equal(
    active?.indexBytes,
    OFFSET_INDEX_PREALLOCATED,
    "the active .index is preallocated, as Kafka's",
  );
  assert.equal(
    active?.timeIndexBytes,
    TIME_INDEX_PREALLOCATED,
    "the active .timeindex is preallocated, as Kafka's",
  );
  for (const sealed of segments.slice(0, -1)) {
    assert.equal(sealed.indexBytes, sealed.offsetEntries * 8, `${sealed.base}.index trimmed at roll`);
    assert.equal(sealed.timeIndexBytes, sealed.timeEntries * 12, `${sealed.base}.timeindex trimmed at roll`);
    assert.ok(sealed.offsetEntries > 0);
  }

  await broker.restart();
  assert.match(broker.stderr, /unclean shutdown|recover/i, broker.stderr);
  await assertLookups();

  await broker.stop();
  segments = segmentIndexes(broker.dataDir, TOPIC, 0);
  for (const s of segments) {
    assert.equal(s.indexBytes, s.offsetEntries * 8, `${s.base}.index trimmed at close`);
    assert.equal(s.timeIndexBytes, s.timeEntries * 12, `${s.base}.timeindex trimmed at close`);
    assert.ok(s.offsetEntries > 0 && s.timeEntries > 0, JSON.stringify(s));
  }
  // The last time-index entry of the partition is its largest timestamp.
  assert.equal(segments[segments.length - 1]?.lastTimestamp, T0 + (RECORDS - 1) * 1000);
  assert.ok(statSync(join(dir, `${segments[0]?.base}.log`)).size > 0);

  await broker.restart();
  await assertLookups();
});
