import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { BrokerProcess, currentLibrdkafkaEnv, pythonClient } from "./broker-process.js";

/**
 * librdkafka (confluent-kafka for Python 1.7.0 on librdkafka 2.0.2) producing keyed and keyless
 * records to a compacted topic on a Brook broker process: the keyless ones are refused with
 * INVALID_RECORD, as Kafka refuses them, and only they fail.
 *
 * librdkafka 2.0.2 speaks Produce up to v7, which has no RecordErrors, and fails a whole batch on
 * INVALID_RECORD (reading RecordErrors to fail only the named records came in librdkafka 2.4, and
 * Kafka refuses the whole batch either way). So each message is sent in a batch of its own here
 * (`flushEach`): the delivery reports then fail exactly the keyless messages and deliver the keyed
 * ones. A batch that mixes them fails as a whole and leaves nothing in the log.
 *
 * The same client on a current librdkafka (2.12, built from source by
 * tools/librdkafka-current/build.sh) reads Produce v8's RecordErrors: in a mixed batch, the
 * delivery reports name exactly the keyless records (INVALID_RECORD) and fail the others as
 * _INVALID_DIFFERENT_RECORD, as Kafka's Java producer does since KIP-467.
 */

interface Report {
  index: number;
  partition: number;
  offset: number;
  error: string | null;
  errorName: string | null;
}

interface ProduceAnswer {
  reports: Report[];
  undelivered: number;
  errors: string[];
}

interface ConsumeAnswer {
  records: { offset: number; key: string | null; value: string | null }[];
  eof: boolean;
  errors: string[];
}

const TOPIC = "rdkafka-compacted";
const KEYLESS = new Set([1, 4, 5, 8, 11]);

let broker: BrokerProcess;

before(async () => {
  broker = await BrokerProcess.start();
  const created = await pythonClient<{ results: Record<string, string | null> }>({
    op: "create_topics",
    config: { "bootstrap.servers": broker.bootstrap },
    topics: [{ topic: TOPIC, partitions: 1, config: { "cleanup.policy": "compact" } }],
  });
  assert.deepEqual(created.results, { [TOPIC]: null });
});

after(async () => {
  await broker?.dispose();
});

const messages = (count: number, tag: string, keyless: (i: number) => boolean) =>
  Array.from({ length: count }, (_, i) => ({
    topic: TOPIC,
    partition: 0,
    key: keyless(i) ? null : `key-${i}`,
    value: `${tag}-${i}`,
  }));

async function consumeAll(): Promise<ConsumeAnswer["records"]> {
  const answer = await pythonClient<ConsumeAnswer>({
    op: "consume",
    config: { "bootstrap.servers": broker.bootstrap },
    assignments: [{ topic: TOPIC, partition: 0, offset: 0 }],
    timeoutS: 20,
  });
  assert.deepEqual(answer.errors, []);
  assert.ok(answer.eof);
  return answer.records;
}

for (const codec of ["none", "lz4", "zstd"]) {
  test(`compression.type=${codec}, one message per batch: exactly the keyless ones fail, with INVALID_RECORD`, async () => {
    const before = (await consumeAll()).length;
    const sent = messages(14, `single-${codec}`, (i) => KEYLESS.has(i));
    const answer = await pythonClient<ProduceAnswer>({
      op: "produce",
      config: {
        "bootstrap.servers": broker.bootstrap,
        "compression.type": codec,
        acks: "all",
        "linger.ms": 0,
      },
      messages: sent,
      flushEach: true,
      timeoutS: 30,
    });
    assert.deepEqual(answer.errors, [], `client errors; broker stderr:\n${broker.stderr}`);
    assert.equal(answer.undelivered, 0);
    const byIndex = new Map(answer.reports.map((r) => [r.index, r]));
    assert.equal(byIndex.size, sent.length);
    const failed = [...byIndex.values()].filter((r) => r.error !== null);
    assert.deepEqual(
      failed.map((r) => r.index).sort((a, b) => a - b),
      [...KEYLESS],
      "the delivery reports fail exactly the keyless messages",
    );
    for (const r of failed) assert.equal(r.errorName, "INVALID_RECORD", r.error ?? "");
    const delivered = [...byIndex.values()].filter((r) => r.error === null).sort((a, b) => a.index - b.index);
    assert.deepEqual(
      delivered.map((r) => r.offset),
      delivered.map((_, i) => before + i),
      "the keyed ones are delivered at consecutive offsets",
    );
    const log = (await consumeAll()).slice(before);
    assert.deepEqual(
      log.map((r) => [r.key, r.value]),
      sent.filter((_, i) => !KEYLESS.has(i)).map((m) => [m.key, m.value]),
      "the log holds the keyed messages, in order, and nothing else",
    );
  });
}

test("a batch mixing keyed and keyless messages is refused as a whole (as Kafka refuses it) and stores nothing", async () => {
  const before = (await consumeAll()).length;
  const sent = messages(20, "mixed", (i) => i % 7 === 3);
  const answer = await pythonClient<ProduceAnswer>({
    op: "produce",
    // One batch: everything is produced before linger.ms ends, then flushed.
    config: {
      "bootstrap.servers": broker.bootstrap,
      "compression.type": "zstd",
      acks: "all",
      "linger.ms": 2000,
    },
    messages: sent,
    metadataFirst: true,
    timeoutS: 30,
  });
  assert.deepEqual(answer.errors, []);
  assert.equal(answer.reports.length, sent.length);
  assert.deepEqual(
    [...new Set(answer.reports.map((r) => r.errorName))],
    ["INVALID_RECORD"],
    "every message of the batch fails",
  );
  assert.equal((await consumeAll()).length, before, "nothing of the batch is in the log");
});

// Two or more keyless records: with exactly one, librdkafka 2.12 gives every record of the batch
// the partition's error (its interceptor pass overwrites the per-record codes when the response
// names a single record), so the indexes would not show in the error codes.
for (const keyless of [
  [3, 10, 17],
  [0, 19],
]) {
  test(`librdkafka 2.12, one batch with keyless records at ${keyless.join(", ")}: its delivery reports name exactly those, and the next batch is stored`, async () => {
    const env = await currentLibrdkafkaEnv();
    const before = (await consumeAll()).length;
    const sent = messages(20, `record-errors-${keyless.join("-")}`, (i) => keyless.includes(i));
    const config = {
      "bootstrap.servers": broker.bootstrap,
      "compression.type": "lz4",
      acks: "all",
      "linger.ms": 2000,
    };
    const answer = await pythonClient<ProduceAnswer & { librdkafka: string }>(
      { op: "produce", config, messages: sent, metadataFirst: true, timeoutS: 30 },
      40_000,
      env,
    );
    assert.equal(answer.librdkafka, "2.12.0");
    assert.deepEqual(answer.errors, []);
    assert.equal(answer.reports.length, sent.length);
    const named = answer.reports
      .filter((r) => r.errorName === "INVALID_RECORD")
      .map((r) => r.index)
      .sort((a, b) => a - b);
    assert.deepEqual(named, keyless, "INVALID_RECORD names exactly the keyless records");
    for (const r of answer.reports.filter((r) => !keyless.includes(r.index))) {
      assert.equal(r.errorName, "_INVALID_DIFFERENT_RECORD", `record ${r.index}: ${r.error}`);
    }
    assert.equal((await consumeAll()).length, before, "nothing of the batch is in the log");

    const good = messages(5, `after-record-errors-${keyless.join("-")}`, () => false);
    const next = await pythonClient<ProduceAnswer>(
      { op: "produce", config, messages: good, metadataFirst: true, timeoutS: 30 },
      40_000,
      env,
    );
    assert.deepEqual(
      next.reports.map((r) => r.error),
      good.map(() => null),
    );
    const log = (await consumeAll()).slice(before);
    assert.deepEqual(
      log.map((r) => [r.key, r.value]),
      good.map((m) => [m.key, m.value]),
    );
  });
}
