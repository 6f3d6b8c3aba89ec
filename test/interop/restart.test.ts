import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { CompressionTypes, type Kafka } from "kafkajs";
import { BrokerProcess, pythonClient, TEST_TIMEOUT_MS } from "./broker-process.js";
import { kafkajsClient } from "./kafkajs-client.js";

/**
 * Restarts of a broker process on the same data directory, as a user or a supervisor does them.
 * SIGTERM: the process exits 0 after writing its checkpoints, and the next start loads the logs
 * without recovery. SIGKILL (a crash of the process, not of the machine, so the page cache
 * survives): the next start recovers, and every record that was acknowledged with acks=all is
 * there, at the offset it was acknowledged at.
 */

const TOPIC = "durable";
const PARTITIONS = 3;
/**
 * Small segments so that the logs span several segment files and recovery crosses them. Below
 * Kafka 4's 1 MiB segment.bytes minimum, so set as Kafka's own tests do: internal.segment.bytes.
 */
const SEGMENT_BYTES = 16 * 1024;

let broker: BrokerProcess;
/** Every acknowledged record: "partition:offset" -> value. */
const acknowledged = new Map<string, string>();

before(async () => {
  broker = await BrokerProcess.start({
    overrides: { "num.partitions": String(PARTITIONS) },
  });
});

after(async () => {
  await broker?.dispose();
});

interface Consumed {
  records: { partition: number; offset: number; key: string | null; value: string | null }[];
  eof: boolean;
  errors: string[];
}

async function readEverything(): Promise<Map<string, string>> {
  const answer = await pythonClient<Consumed>({
    op: "consume",
    config: { "bootstrap.servers": broker.bootstrap },
    assignments: Array.from({ length: PARTITIONS }, (_, partition) => ({
      topic: TOPIC,
      partition,
      offset: 0,
    })),
    timeoutS: 25,
  });
  assert.ok(answer.eof, `partitions not read to their end: ${answer.errors.join("\n")}`);
  return new Map(answer.records.map((r) => [`${r.partition}:${r.offset}`, r.value ?? "<null>"]));
}

/** Sends `count` records with kafkajs, acks=all, in batches; records each acknowledged offset. */
async function produceAcknowledged(kafka: Kafka, tag: string, count: number): Promise<void> {
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    for (let sent = 0; sent < count; sent += 50) {
      const values = Array.from(
        { length: Math.min(50, count - sent) },
        (_, i) => `${tag}-${sent + i} ${"data ".repeat(40)}`,
      );
      const partition = (sent / 50) % PARTITIONS;
      const [meta] = await producer.send({
        topic: TOPIC,
        acks: -1,
        compression: sent % 100 === 0 ? CompressionTypes.GZIP : CompressionTypes.None,
        messages: values.map((value) => ({ key: `${tag}-${sent}`, value, partition })),
      });
      assert.ok(meta !== undefined && meta.errorCode === 0, JSON.stringify(meta));
      const base = Number(meta.baseOffset);
      for (const [i, value] of values.entries()) acknowledged.set(`${partition}:${base + i}`, value);
    }
  } finally {
    await producer.disconnect();
  }
}

function assertAllAcknowledgedPresent(found: Map<string, string>): void {
  const missing = [...acknowledged].filter(([at, value]) => found.get(at) !== value).map(([at]) => at);
  assert.deepEqual(missing.slice(0, 20), [], `${missing.length} acknowledged records missing or changed`);
}

test("SIGTERM: exit code 0, the restart loads the logs without recovery, every record is back", {
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  const kafka = kafkajsClient(broker.bootstrap);
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    waitForLeaders: true,
    topics: [
      {
        topic: TOPIC,
        numPartitions: PARTITIONS,
        configEntries: [{ name: "internal.segment.bytes", value: String(SEGMENT_BYTES) }],
      },
    ],
  });
  await admin.disconnect();
  await produceAcknowledged(kafka, "before-sigterm", 600);
  const segments = readdirSync(join(broker.dataDir, `${TOPIC}-0`)).filter((n) => n.endsWith(".log"));
  assert.ok(segments.length > 1, `partition 0 has ${segments.length} segment(s)`);

  await broker.stop();
  assert.match(broker.stderr, /SIGTERM/);
  await broker.restart();
  assert.match(
    broker.stderr,
    /clean shutdown/i,
    `the restart should say it found a clean shutdown:\n${broker.stderr}`,
  );
  assert.doesNotMatch(broker.stderr, /unclean|recovered [1-9]/i, broker.stderr);

  const found = await readEverything();
  assert.equal(found.size, acknowledged.size, "no record lost, none added");
  assertAllAcknowledgedPresent(found);

  // Offsets continue where they were: a new record goes to the end of its partition.
  const before = Math.max(
    ...[...acknowledged.keys()].filter((k) => k.startsWith("0:")).map((k) => Number(k.slice(2))),
  );
  const answer = await pythonClient<{
    reports: { partition: number; offset: number; error: string | null }[];
  }>({
    op: "produce",
    config: { "bootstrap.servers": broker.bootstrap, acks: "all" },
    messages: [{ topic: TOPIC, key: "after", value: "after-restart", partition: 0 }],
  });
  assert.deepEqual(
    answer.reports.map((r) => [r.partition, r.offset, r.error]),
    [[0, before + 1, null]],
  );
  acknowledged.set(`0:${before + 1}`, "after-restart");
});

test("SIGKILL: the restart recovers, and every acknowledged record is there at its offset", {
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  const kafka = kafkajsClient(broker.bootstrap);
  await produceAcknowledged(kafka, "before-sigkill", 600);
  await broker.kill();
  await broker.restart();
  assert.match(
    broker.stderr,
    /unclean shutdown|recover/i,
    `the restart should say it recovered:\n${broker.stderr}`,
  );
  assert.doesNotMatch(broker.stderr, /after a clean shutdown/i, broker.stderr);
  const found = await readEverything();
  assert.equal(found.size, acknowledged.size, "no record lost, none added");
  assertAllAcknowledgedPresent(found);
});

test("SIGKILL while a producer is sending: every record acknowledged before the kill survives", {
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  const kafka = kafkajsClient(broker.bootstrap);
  const producer = kafka.producer({ allowAutoTopicCreation: false, retry: { retries: 0 } });
  await producer.connect();
  let killed = false;
  let sends = 0;
  let endedEarly: string | undefined;
  const sending = (async () => {
    while (!killed && sends < 5000) {
      const partition = sends % PARTITIONS;
      const values = Array.from({ length: 10 }, (_, i) => `in-flight-${sends}-${i}`);
      sends++;
      const [meta] = await producer.send({
        topic: TOPIC,
        acks: -1,
        messages: values.map((value) => ({ value, partition })),
      });
      if (meta === undefined || meta.errorCode !== 0)
        throw new Error(`send refused: ${JSON.stringify(meta)}`);
      const base = Number(meta.baseOffset);
      for (const [i, value] of values.entries()) acknowledged.set(`${partition}:${base + i}`, value);
    }
  })().then(
    () => {
      if (!killed) endedEarly = "the producer stopped before the kill";
    },
    (error: unknown) => {
      // After the kill the send in flight fails: only acknowledged sends count.
      if (!killed) endedEarly = String(error);
    },
  );
  const deadline = Date.now() + 20_000;
  while (sends < 30 && endedEarly === undefined && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.equal(endedEarly, undefined, "sending failed before the broker was killed");
  assert.ok(sends >= 30, `only ${sends} sends in 20 s`);
  killed = true;
  await broker.kill();
  await sending;
  await producer.disconnect().catch(() => {});

  await broker.restart();
  const found = await readEverything();
  assertAllAcknowledgedPresent(found);
  assert.ok(found.size >= acknowledged.size);
  // Anything beyond the acknowledged records is whole sends that were written but not answered.
  for (const [at, value] of found) {
    if (!acknowledged.has(at)) assert.match(value, /^in-flight-\d+-\d$/, `unexpected record at ${at}`);
  }
});
