import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { AdminClient, Consumer, Producer } from "../../src/client/index.js";
import { BrokerProcess, kcat, kcatConsume, TEST_TIMEOUT_MS } from "./broker-process.js";

/**
 * Brook's transactional producer against a broker process, read by librdkafka (kcat): a committed
 * transaction's records are visible to read_committed readers, an aborted one's never, though they
 * were written and acknowledged; and exactly-once consume-transform-produce — a processor that
 * dies inside a transaction (offsets sent, records written, no commit) is fenced by its successor
 * with the same transactional id, whose InitProducerId aborts the dead one's transaction, so the
 * output holds every input record exactly once and the group's offsets are at the input's end.
 */

let broker: BrokerProcess;
let admin: AdminClient;

before(async () => {
  broker = await BrokerProcess.start({ overrides: { "num.partitions": "3" } });
  admin = new AdminClient({ bootstrap: broker.bootstrap });
  const created = await admin.createTopics(
    ["txn-out", "eos-in", "eos-out"].map((name) => ({ name, numPartitions: 3, replicationFactor: 1 })),
  );
  assert.deepEqual(
    created.map((c) => c.errorCode),
    [0, 0, 0],
  );
});

after(async () => {
  admin?.close();
  await broker?.dispose();
});

const committedOnly = ["-X", "isolation.level=read_committed"];
const uncommitted = ["-X", "isolation.level=read_uncommitted"];

test("committed records reach read_committed readers; aborted ones, acknowledged, never do", {
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  const producer = new Producer({ bootstrap: broker.bootstrap, transactionalId: "brook-txn-out" });
  try {
    await producer.initTransactions();
    producer.beginTransaction();
    const first = Array.from({ length: 30 }, (_, i) =>
      producer.send({ topic: "txn-out", key: `k${i}`, value: `c1-${i}` }),
    );
    await producer.commitTransaction();
    assert.equal((await Promise.all(first)).length, 30);

    producer.beginTransaction();
    const aborted = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        producer.send({ topic: "txn-out", key: `k${i}`, value: `a-${i}` }),
      ),
    );
    assert.ok(
      aborted.every((m) => m.offset >= 0n),
      "the aborted records were written and acknowledged",
    );
    await producer.abortTransaction();

    producer.beginTransaction();
    for (let i = 0; i < 10; i++) void producer.send({ topic: "txn-out", key: `k${i}`, value: `c2-${i}` });
    await producer.commitTransaction();
  } finally {
    await producer.close();
  }
  const visible = (await kcatConsume(broker.bootstrap, "txn-out", committedOnly)).map((r) => r.payload);
  assert.equal(visible.length, 40);
  assert.ok(
    visible.every((v) => v?.startsWith("c")),
    "read_committed: only committed values",
  );
  const all = (await kcatConsume(broker.bootstrap, "txn-out", uncommitted)).map((r) => r.payload);
  assert.equal(
    all.filter((v) => v?.startsWith("a-")).length,
    30,
    "read_uncommitted also sees the aborted records",
  );
});

/** One incarnation of an exactly-once processor: input records upper-cased to the output topic. */
class Processor {
  readonly consumer: Consumer;
  readonly producer: Producer;
  processed = 0;

  constructor() {
    this.consumer = new Consumer({
      bootstrap: broker.bootstrap,
      groupId: "eos-processor",
      isolationLevel: "read_committed",
      enableAutoCommit: false,
      autoOffsetReset: "earliest",
      // Several transactions over the input, so that the first processor dies in the middle of it.
      maxPollRecords: 50,
    });
    this.producer = new Producer({
      bootstrap: broker.bootstrap,
      transactionalId: "eos-processor-0",
      lingerMs: 1,
    });
  }

  async start(): Promise<void> {
    await this.producer.initTransactions();
    this.consumer.subscribe(["eos-in"]);
  }

  /**
   * One poll's records in one transaction: outputs and the consumed offsets. `commit` false leaves
   * the transaction open, as a process that dies right before committing does.
   */
  async step(commit = true): Promise<number> {
    const records = await this.consumer.poll(500);
    if (records.length === 0) return 0;
    this.producer.beginTransaction();
    const sends = records.map((r) =>
      this.producer.send({ topic: "eos-out", key: r.key, value: String(r.value).toUpperCase() }),
    );
    await Promise.all(sends);
    await this.producer.sendOffsetsToTransaction(this.consumer.positions(), this.consumer.groupMetadata());
    if (commit) await this.producer.commitTransaction();
    this.processed += records.length;
    return records.length;
  }
}

test("exactly once: a processor dying inside a transaction is fenced, its output aborted, nothing lost or doubled", {
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  const input = Array.from({ length: 300 }, (_, i) => `k${i % 37}:v${i}`).join("\n");
  await kcat(["-P", "-b", broker.bootstrap, "-t", "eos-in", "-K:"], { input: `${input}\n` });

  const first = new Processor();
  await first.start();
  while (first.processed < 100) await first.step();
  // The last transaction: records written and offsets sent, then the process "dies" (no commit).
  while ((await first.step(false)) === 0) {}
  await first.consumer.close();

  const second = new Processor();
  try {
    await second.start();
    await assert.rejects(
      first.producer.commitTransaction(),
      /fences the current one|has been fenced/,
      "the zombie cannot commit after its successor's initTransactions",
    );
    let idle = 0;
    while (idle < 4) idle = (await second.step()) === 0 ? idle + 1 : 0;
  } finally {
    await second.consumer.close();
    await second.producer.close();
    await first.producer.close();
  }

  const out = (await kcatConsume(broker.bootstrap, "eos-out", committedOnly)).map((r) => r.payload);
  const expected = Array.from({ length: 300 }, (_, i) => `V${i}`);
  assert.equal(out.length, 300, "every input record once in the committed output");
  assert.deepEqual([...out].sort(), [...expected].sort());
  const written = (await kcatConsume(broker.bootstrap, "eos-out", uncommitted)).length;
  assert.ok(written > 300, `the dead processor's open transaction was written (${written}) and aborted`);

  const ends = await admin.listOffsets(
    [0, 1, 2].map((partition) => ({ topic: "eos-in", partition })),
    "latest",
  );
  const committed = await admin.listConsumerGroupOffsets("eos-processor");
  for (const end of ends) {
    const c = committed.find((o) => o.topic === "eos-in" && o.partition === end.partition);
    assert.equal(c?.offset, end.offset, `the group's offset of eos-in-${end.partition} is at its end`);
  }
});
