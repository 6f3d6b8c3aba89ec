import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { BrokerProcess, PYTHON, REPO_ROOT, runTool, TEST_TIMEOUT_MS, waitFor } from "../broker-process.js";
import { kafkajsClient } from "../kafkajs-client.js";

/**
 * confluent-kafka for Python (librdkafka 2.0.2) transactions against a Brook broker process:
 * committed records are visible with isolation.level=read_committed and aborted ones never
 * (read_uncommitted sees both); a consume-transform-produce loop (send_offsets_to_transaction)
 * SIGKILLed inside transactions and restarted yields every input exactly once; a zombie with the
 * same transactional.id is fenced. Needs /usr/bin/python3 with confluent_kafka.
 */

const SCRIPT = join(REPO_ROOT, "test", "interop", "transactions", "transactional_client.py");
let broker: BrokerProcess;

before(async () => {
  broker = await BrokerProcess.start({
    overrides: { "transaction.state.log.num.partitions": "5" },
  });
  const admin = kafkajsClient(broker.bootstrap, "txn-py-admin").admin();
  await admin.connect();
  await admin.createTopics({
    waitForLeaders: true,
    topics: [
      { topic: "py-out", numPartitions: 3 },
      { topic: "py-in", numPartitions: 1 },
      { topic: "py-ctp-out", numPartitions: 2 },
      { topic: "py-zombie", numPartitions: 1 },
    ],
  });
  await admin.disconnect();
});

after(async () => {
  await broker?.dispose();
});

async function python<T>(args: string[], timeoutMs = 60_000): Promise<T> {
  const result = await runTool(PYTHON, [SCRIPT, ...args], { timeoutMs });
  assert.equal(result.code, 0, `${args[0]} failed: ${result.stderr}`);
  return JSON.parse(result.stdout) as T;
}

const consume = async (topic: string, isolation: string, expected: number) =>
  (
    await python<{ values: string[] }>([
      "consume",
      broker.bootstrap,
      topic,
      isolation,
      String(expected),
      "15",
    ])
  ).values;

test("read_committed sees committed transactions only, read_uncommitted everything", {
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  const produced = await python<{ committed: string[]; aborted: string[] }>([
    "rounds",
    broker.bootstrap,
    "py-out",
    "py-tx",
    "3",
    "4",
  ]);
  assert.equal(produced.committed.length, 6);
  assert.deepEqual(await consume("py-out", "read_committed", 6), [...produced.committed].sort());
  const everything = await consume("py-out", "read_uncommitted", 12);
  assert.deepEqual(everything, [...produced.committed, ...produced.aborted].sort());
});

test("a consume-transform-produce loop killed inside transactions is exactly once", {
  timeout: 240_000,
}, async () => {
  const INPUTS = 15;
  const plain = kafkajsClient(broker.bootstrap, "txn-py-input").producer();
  await plain.connect();
  await plain.send({
    topic: "py-in",
    messages: Array.from({ length: INPUTS }, (_, i) => ({ value: `in-${i}` })),
  });
  await plain.disconnect();
  const run = (): { child: ChildProcess; lines: string[] } => {
    const child = spawn(
      PYTHON,
      [SCRIPT, "ctp", broker.bootstrap, "py-ctp", "py-group", "py-in", "py-ctp-out", "0.15"],
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
    await waitFor(
      `worker commits ${after} and opens another`,
      async () => {
        const done = worker.lines.filter((l) => l.startsWith("done ")).length;
        return done >= after && (worker.lines.at(-1) ?? "").startsWith("txn ") ? true : undefined;
      },
      90_000,
    );
    worker.child.kill("SIGKILL");
    await new Promise((resolve) => worker.child.once("close", resolve));
  };
  await killInsideTransaction(run(), 4);
  await killInsideTransaction(run(), 3);
  const last = run();
  await waitFor(
    "the last worker processes the last input",
    async () => (last.lines.includes(`done in-${INPUTS - 1}`) ? true : undefined),
    120_000,
  );
  last.child.kill("SIGKILL");
  const expected = Array.from({ length: INPUTS }, (_, i) => `out-in-${i}`).sort();
  assert.deepEqual(await consume("py-ctp-out", "read_committed", INPUTS), expected);
  const everything = await consume("py-ctp-out", "read_uncommitted", INPUTS + 2);
  assert.ok(
    everything.length >= INPUTS + 2,
    `read_uncommitted sees the aborted attempts: ${everything.length}`,
  );
});

test("a zombie producer is fenced", { timeout: TEST_TIMEOUT_MS }, async () => {
  const result = await python<{ fenced: string | null }>([
    "zombie",
    broker.bootstrap,
    "py-zombie",
    "py-zombie-tx",
  ]);
  assert.match(result.fenced ?? "not fenced", /FENCED|INVALID_PRODUCER_EPOCH/);
  assert.deepEqual(await consume("py-zombie", "read_committed", 1), ["successor"]);
});
