import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { BrokerProcess, pythonClient } from "./broker-process.js";

/**
 * librdkafka (confluent-kafka for Python 1.7.0 on librdkafka 2.0.2) producing keyed and keyless
 * records to a compacted topic on a Brook broker process: the keyless ones are refused with
 * INVALID_RECORD, as Kafka refuses them, and only they fail.
 *
 * librdkafka 2.0.2 speaks Produce up to v7, which has no RecordErrors, and fails a whole batch on
 * INVALID_RECORD (reading RecordErrors to fail only the named records came in librdkafka 2.4, and
 * Kafka refuses the whole batch either way). So each message is sent in a batch of its own here
 * (`flushEach`): the delivery reports then fail exactly the keyless messages and deliver the keyed
 * ones. A batch that mixes them fails as a whole and leaves nothing in the log. The per-record
 * indexes Produce v8+ carries are checked on the wire in test/broker/handlers/produce-validation.
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
