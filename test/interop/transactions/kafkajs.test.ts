import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import type { Kafka } from "kafkajs";
import { BrokerProcess, TEST_TIMEOUT_MS, waitFor } from "../broker-process.js";
import { kafkajsClient } from "../kafkajs-client.js";

/**
 * kafkajs 2.2.4's transactional producer against a Brook broker process: committed records are
 * visible to read_committed consumers and aborted ones never (read_uncommitted sees both), also
 * after the broker is killed and restarted (the aborted index is recovered); a
 * consume-transform-produce loop whose process is SIGKILLed inside transactions and restarted
 * produces every input exactly once for read_committed readers; a second producer with the same
 * transactional.id fences the first.
 */

const WORKER = join(dirname(fileURLToPath(import.meta.url)), "kafkajs-ctp-worker.js");
let broker: BrokerProcess;
let kafka: Kafka;

before(async () => {
  broker = await BrokerProcess.start({
    overrides: { "transaction.state.log.num.partitions": "5" },
  });
  kafka = kafkajsClient(broker.bootstrap, "txn-interop");
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    waitForLeaders: true,
    topics: [
      { topic: "txn-out", numPartitions: 3 },
      { topic: "ctp-in", numPartitions: 1 },
      { topic: "ctp-out", numPartitions: 2 },
      { topic: "zombie", numPartitions: 1 },
    ],
  });
  await admin.disconnect();
});

after(async () => {
  await broker?.dispose();
});

/** Every value in `topic`, read by a fresh group until `expected` arrive (then a short grace) or 10 s pass. */
async function readValues(
  client: Kafka,
  topic: string,
  readUncommitted: boolean,
  expected: number,
): Promise<string[]> {
  const consumer = client.consumer({
    groupId: `reader-${topic}-${Math.random()}`,
    readUncommitted,
    maxWaitTimeInMs: 100,
  });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const values: string[] = [];
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(resolve, 10_000);
    consumer
      .run({
        eachMessage: async ({ message }) => {
          values.push(String(message.value));
          if (values.length === expected) {
            clearTimeout(timer);
            setTimeout(resolve, 500);
          }
        },
      })
      .catch(reject);
  });
  await consumer.disconnect();
  return values.sort();
}

test("committed and aborted transactions, before and after a broker crash", {
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  const producer = kafka.producer({
    transactionalId: "interop-tx",
    idempotent: true,
    maxInFlightRequests: 1,
  });
  await producer.connect();
  const expected: string[] = [];
  for (let round = 0; round < 4; round++) {
    const txn = await producer.transaction();
    for (let p = 0; p < 3; p++)
      await txn.send({ topic: "txn-out", messages: [{ value: `r${round}-p${p}`, partition: p }] });
    if (round % 2 === 0) {
      await txn.commit();
      for (let p = 0; p < 3; p++) expected.push(`r${round}-p${p}`);
    } else {
      await txn.abort();
    }
  }
  await producer.disconnect();
  assert.deepEqual(await readValues(kafka, "txn-out", false, 6), expected.sort());
  assert.equal(
    (await readValues(kafka, "txn-out", true, 12)).length,
    12,
    "read_uncommitted sees the aborted ones too",
  );

  await broker.kill();
  await broker.restart();
  const again = kafkajsClient(broker.bootstrap, "txn-interop-after");
  assert.deepEqual(await readValues(again, "txn-out", false, 6), expected.sort(), "after recovery");
  kafka = again;
});

test("a consume-transform-produce loop killed inside transactions is exactly once", {
  timeout: 240_000,
}, async () => {
  const INPUTS = 20;
  const plain = kafka.producer();
  await plain.connect();
  await plain.send({
    topic: "ctp-in",
    messages: Array.from({ length: INPUTS }, (_, i) => ({ value: `in-${i}` })),
  });
  await plain.disconnect();

  const run = (): { child: ChildProcess; lines: string[] } => {
    const child = spawn(
      process.execPath,
      [WORKER, broker.bootstrap, "ctp-tx", "ctp-group", "ctp-in", "ctp-out", "150"],
      {
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    const lines: string[] = [];
    let partial = "";
    child.stdout?.on("data", (d: Buffer) => {
      partial += d.toString();
      const parts = partial.split("\n");
      partial = parts.pop() ?? "";
      lines.push(...parts);
    });
    return { child, lines };
  };
  const killInsideTransaction = async (worker: { child: ChildProcess; lines: string[] }, after: number) => {
    // Wait until `after` transactions committed and the next one has sent its record, then kill.
    await waitFor(
      `worker commits ${after} and opens another`,
      async () => {
        const done = worker.lines.filter((l) => l.startsWith("done ")).length;
        const last = worker.lines.at(-1) ?? "";
        return done >= after && last.startsWith("txn ") ? true : undefined;
      },
      60_000,
    );
    worker.child.kill("SIGKILL");
    await new Promise((resolve) => worker.child.once("close", resolve));
  };
  await killInsideTransaction(run(), 5);
  await killInsideTransaction(run(), 3);
  const last = run();
  await waitFor(
    "the last worker processes the last input",
    async () => (last.lines.includes(`done in-${INPUTS - 1}`) ? true : undefined),
    120_000,
  );
  last.child.kill("SIGKILL");

  const committed = await readValues(kafka, "ctp-out", false, INPUTS);
  const expected = Array.from({ length: INPUTS }, (_, i) => `out-in-${i}`).sort();
  assert.deepEqual(committed, expected, "every input exactly once for read_committed");
  const everything = await readValues(kafka, "ctp-out", true, INPUTS + 2);
  assert.ok(
    everything.length >= INPUTS + 2,
    `read_uncommitted also sees the aborted attempts: ${everything.length}`,
  );
});

test("a zombie producer is fenced and what it writes afterwards stays invisible", {
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  const zombie = kafka.producer({ transactionalId: "zombie-tx", idempotent: true, maxInFlightRequests: 1 });
  await zombie.connect();
  const zombieTxn = await zombie.transaction();
  await zombieTxn.send({ topic: "zombie", messages: [{ value: "zombie-before" }] });
  const successor = kafka.producer({
    transactionalId: "zombie-tx",
    idempotent: true,
    maxInFlightRequests: 1,
  });
  await successor.connect();
  const txn = await successor.transaction();
  let fenced = "";
  try {
    await zombieTxn.send({ topic: "zombie", messages: [{ value: "zombie-after" }] });
    await zombieTxn.commit();
  } catch (error) {
    fenced = String((error as { type?: string }).type ?? error);
  }
  assert.match(fenced, /INVALID_PRODUCER_EPOCH|PRODUCER_FENCED/);
  await txn.send({ topic: "zombie", messages: [{ value: "successor" }] });
  await txn.commit();
  await successor.disconnect();
  await zombie.disconnect().catch(() => {});
  assert.deepEqual(await readValues(kafka, "zombie", false, 1), ["successor"]);
});
