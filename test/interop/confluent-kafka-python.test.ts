import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { BrokerProcess, pythonClient } from "./broker-process.js";
import { batchCodecsOnDisk } from "./log-files.js";

/**
 * confluent-kafka for Python 1.7.0 (librdkafka 2.0.2) against a Brook broker process: produce with
 * every codec and with enable.idempotence=true, and consume everything back with assign() and
 * explicit offsets (no consumer group involved).
 */

interface ProduceAnswer {
  reports: { index: number; topic: string; partition: number; offset: number; error: string | null }[];
  undelivered: number;
  errors: string[];
}

interface ConsumedRecord {
  topic: string;
  partition: number;
  offset: number;
  key: string | null;
  value: string | null;
  headers: [string, string | null][];
  timestamp: number;
}

interface ConsumeAnswer {
  records: ConsumedRecord[];
  eof: boolean;
  errors: string[];
}

const PARTITIONS = 3;
const RECORDS = 120;
const CODECS = [
  { name: "none", id: 0 },
  { name: "gzip", id: 1 },
  { name: "snappy", id: 2 },
  { name: "lz4", id: 3 },
  { name: "zstd", id: 4 },
];

let broker: BrokerProcess;

before(async () => {
  broker = await BrokerProcess.start({ overrides: { "num.partitions": String(PARTITIONS) } });
});

after(async () => {
  await broker?.dispose();
});

function messages(topic: string, count: number, tag: string) {
  return Array.from({ length: count }, (_, i) => ({
    topic,
    key: i % 10 === 9 ? null : `key-${i % 24}`,
    value: `${tag}-${i} ${"payload ".repeat(1 + (i % 9))}`,
    headers: [
      ["client", "confluent-kafka"],
      ["index", String(i)],
    ],
  }));
}

async function produce(config: Record<string, unknown>, msgs: ReturnType<typeof messages>, timeoutS = 20) {
  const answer = await pythonClient<ProduceAnswer>({
    op: "produce",
    config: { "bootstrap.servers": broker.bootstrap, "linger.ms": 5, ...config },
    messages: msgs,
    timeoutS,
  });
  const failed = answer.reports.filter((r) => r.error !== null);
  assert.deepEqual(
    { undelivered: answer.undelivered, errors: answer.errors, failed },
    { undelivered: 0, errors: [], failed: [] },
    `librdkafka did not deliver every record; broker stderr:\n${broker.stderr}`,
  );
  assert.equal(answer.reports.length, msgs.length);
  return answer.reports;
}

async function consumeAll(topic: string): Promise<ConsumedRecord[]> {
  const answer = await pythonClient<ConsumeAnswer>({
    op: "consume",
    config: { "bootstrap.servers": broker.bootstrap },
    assignments: Array.from({ length: PARTITIONS }, (_, partition) => ({ topic, partition, offset: 0 })),
    timeoutS: 20,
  });
  assert.deepEqual(answer.errors, [], "consumer errors");
  assert.ok(answer.eof, "every partition was read to its end");
  return answer.records;
}

/** The records read back match the ones sent, at the offsets the delivery reports gave. */
function assertReadBack(
  sent: ReturnType<typeof messages>,
  reports: ProduceAnswer["reports"],
  got: ConsumedRecord[],
): void {
  assert.equal(got.length, sent.length, "as many records read as acknowledged");
  const byPosition = new Map(got.map((r) => [`${r.partition}:${r.offset}`, r]));
  for (const report of reports) {
    const message = sent[report.index];
    const record = byPosition.get(`${report.partition}:${report.offset}`);
    assert.ok(message && record, `record ${report.index} at ${report.partition}:${report.offset}`);
    assert.deepEqual(
      { key: record.key, value: record.value, headers: record.headers },
      { key: message.key, value: message.value, headers: message.headers },
    );
  }
}

for (const codec of CODECS) {
  test(`produce with compression.type=${codec.name}, consume back with assign() from offset 0`, async () => {
    const topic = `python-${codec.name}`;
    const sent = messages(topic, RECORDS, codec.name);
    const reports = await produce({ "compression.type": codec.name, acks: "all" }, sent);
    assertReadBack(sent, reports, await consumeAll(topic));
    const codecs = Array.from({ length: PARTITIONS }, (_, p) =>
      batchCodecsOnDisk(broker.dataDir, topic, p),
    ).flat();
    assert.ok(
      codecs.includes(codec.id) && codecs.every((c) => c === codec.id || c === 0),
      `batches on disk use codecs [${codecs}]: expected ${codec.name} (${codec.id})`,
    );
  });
}

test("consume from explicit offsets in the middle of each partition", async () => {
  const topic = "python-offsets";
  const sent = messages(topic, 60, "mid");
  const reports = await produce({}, sent);
  const answer = await pythonClient<ConsumeAnswer>({
    op: "consume",
    config: { "bootstrap.servers": broker.bootstrap },
    assignments: Array.from({ length: PARTITIONS }, (_, partition) => ({ topic, partition, offset: 5 })),
    timeoutS: 20,
  });
  assert.deepEqual(answer.errors, []);
  const expected = reports
    .filter((r) => r.offset >= 5)
    .map((r) => `${r.partition}:${r.offset}:${sent[r.index]?.value}`);
  assert.deepEqual(
    answer.records.map((r) => `${r.partition}:${r.offset}:${r.value}`).sort(),
    expected.sort(),
  );
});

test("idempotent producer (enable.idempotence=true): every record delivered exactly once, in order", async () => {
  const topic = "python-idempotent";
  const sent = messages(topic, RECORDS, "idempotent");
  const reports = await produce(
    { "enable.idempotence": true, "compression.type": "zstd", "max.in.flight.requests.per.connection": 5 },
    sent,
    15,
  );
  const got = await consumeAll(topic);
  assertReadBack(sent, reports, got);
  // Per partition, the order of sending is the order of offsets (what idempotence promises).
  for (let p = 0; p < PARTITIONS; p++) {
    const indexes = reports
      .filter((r) => r.partition === p)
      .sort((a, b) => a.offset - b.offset)
      .map((r) => r.index);
    assert.deepEqual(
      indexes,
      [...indexes].sort((a, b) => a - b),
    );
  }
});
