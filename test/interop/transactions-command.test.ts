import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { AdminClient, Producer } from "../../src/client/index.js";
import { BROOK_MAIN, BrokerProcess, kcat, REPO_ROOT, runTool, TEST_TIMEOUT_MS } from "./broker-process.js";

/*
 * `brook transactions` (kafka-transactions.sh) against a broker process, over transactions of
 * Brook's producer: one committed, one left open by a producer process that then dies. The tool
 * lists both with their states, describes the open one and the partition's producers; once the
 * broker has lost its transaction log (the coordinator no longer knows the open transaction, which
 * now holds back every read_committed reader of the partition), find-hanging names it and abort
 * --start-offset ends it, after which kcat under read_committed reads past it.
 */

const TOPIC = "payments";
let broker: BrokerProcess;
let openProducer: ChildProcess | null = null;

async function transactions(...args: string[]) {
  return runTool(
    process.execPath,
    [BROOK_MAIN, "transactions", "--bootstrap-server", broker.bootstrap, ...args],
    {
      timeoutMs: 30_000,
    },
  );
}

/** A table as the tool prints it: each cell padded to its column and followed by a tab. */
function cells(stdout: string): string[][] {
  return stdout
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => {
      assert.ok(line.endsWith("\t"), `a row ends with a tab: ${JSON.stringify(line)}`);
      return line
        .slice(0, -1)
        .split("\t")
        .map((cell) => cell.trimEnd());
    });
}

/** The partition's records as a read_committed consumer gets them up to where it may read. */
async function readCommitted(): Promise<string[]> {
  const out = await kcat(
    [
      "-b",
      broker.bootstrap,
      "-C",
      "-t",
      TOPIC,
      "-o",
      "beginning",
      "-e",
      "-q",
      "-X",
      "isolation.level=read_committed",
    ],
    { timeoutMs: 30_000 },
  );
  return out.split("\n").filter((line) => line !== "");
}

/**
 * A producer process that opens a transaction, sends one record in it and then waits: killed, it
 * leaves the transaction open, as a crashed application does.
 */
async function startOpenTransaction(): Promise<ChildProcess> {
  const client = join(REPO_ROOT, "dist", "src", "client", "index.js");
  const script = `
    const { Producer } = await import(${JSON.stringify(client)});
    const p = new Producer({ bootstrap: process.argv[1], transactionalId: "t-open", transactionTimeoutMs: 600000 });
    await p.initTransactions();
    p.beginTransaction();
    await p.send({ topic: ${JSON.stringify(TOPIC)}, value: "open" });
    process.stdout.write("sent\\n");
    setInterval(() => {}, 60000);
  `;
  const child = spawn(process.execPath, ["--input-type=module", "-e", script, broker.bootstrap], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr?.on("data", (c) => {
    stderr += String(c);
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on("data", (c) => {
      if (String(c).includes("sent")) resolve();
    });
    child.once("exit", (code) => reject(new Error(`open producer exited with ${code}: ${stderr}`)));
  });
  return child;
}

before(async () => {
  broker = await BrokerProcess.start({ overrides: { "transaction.state.log.num.partitions": "3" } });
  const admin = new AdminClient({ bootstrap: broker.bootstrap });
  try {
    const [created] = await admin.createTopics([{ name: TOPIC, numPartitions: 1, replicationFactor: 1 }]);
    assert.equal(created?.errorCode, 0);
  } finally {
    admin.close();
  }
  const done = new Producer({ bootstrap: broker.bootstrap, transactionalId: "t-done" });
  await done.initTransactions();
  done.beginTransaction();
  await done.send({ topic: TOPIC, value: "committed" });
  await done.commitTransaction();
  await done.close();
  // committed at 0, its marker at 1, the open transaction's record at 2.
  openProducer = await startOpenTransaction();
});

after(async () => {
  openProducer?.kill("SIGKILL");
  await broker?.dispose();
});

test("list, describe and describe-producers show the open and the committed transaction", {
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  const list = await transactions("list");
  assert.equal(list.code, 0, list.stderr);
  const [header, ...rows] = cells(list.stdout);
  assert.deepEqual(header, ["TransactionalId", "Coordinator", "ProducerId", "TransactionState"]);
  rows.sort((a, b) => String(a[0]).localeCompare(String(b[0])));
  assert.deepEqual(
    rows.map((r) => [r[0], r[1], r[3]]),
    [
      ["t-done", "1", "CompleteCommit"],
      ["t-open", "1", "Ongoing"],
    ],
  );
  const openId = rows[1]?.[2] as string;
  const doneId = rows[0]?.[2] as string;
  assert.match(openId, /^\d+$/);
  // Columns as wide as their header: the ids are shorter.
  assert.ok(list.stdout.includes(`t-done         \t1          \t${doneId.padEnd(10)}\tCompleteCommit  \t\n`));
  const longer = await transactions("list", "--duration-filter", "3600000");
  assert.deepEqual(cells(longer.stdout).length, 1);

  const describe = await transactions("describe", "--transactional-id", "t-open");
  assert.equal(describe.code, 0, describe.stderr);
  const [describeHeader, row] = cells(describe.stdout) as [string[], string[]];
  assert.deepEqual(describeHeader, [
    "CoordinatorId",
    "TransactionalId",
    "ProducerId",
    "ProducerEpoch",
    "TransactionState",
    "TransactionTimeoutMs",
    "CurrentTransactionStartTimeMs",
    "TransactionDurationMs",
    "TopicPartitions",
  ]);
  assert.deepEqual(
    [row[0], row[1], row[2], row[4], row[5], row[8]],
    ["1", "t-open", openId, "Ongoing", "600000", `${TOPIC}-0`],
  );
  const startMs = Number(row[6]);
  assert.ok(Math.abs(startMs - Date.now()) < 60_000, `start ${row[6]}`);
  assert.ok(Number(row[7]) >= 0 && Number(row[7]) < 60_000, `duration ${row[7]}`);
  const unknown = await transactions("describe", "--transactional-id", "nobody");
  assert.equal(unknown.code, 1);
  assert.equal(
    unknown.stderr,
    "Failed to describe transaction state of transactional-id `nobody`: DescribeTransactions request for transactionalId `nobody` failed because the ID could not be found. Enable debug logging for additional detail.\n",
  );

  const producers = await transactions("describe-producers", "--topic", TOPIC, "--partition", "0");
  assert.equal(producers.code, 0, producers.stderr);
  const [producersHeader, ...producerRows] = cells(producers.stdout);
  assert.deepEqual(producersHeader, [
    "ProducerId",
    "ProducerEpoch",
    "LatestCoordinatorEpoch",
    "LastSequence",
    "LastTimestamp",
    "CurrentTransactionStartOffset",
  ]);
  const byId = new Map(producerRows.map((r) => [r[0], r]));
  // The committed producer's marker carried the coordinator's epoch; the open one has had none.
  assert.deepEqual(byId.get(doneId)?.slice(1, 4), ["0", "0", "0"]);
  assert.equal(byId.get(doneId)?.[5], "None");
  assert.deepEqual(byId.get(openId)?.slice(1, 4), ["0", "-1", "0"]);
  assert.equal(byId.get(openId)?.[5], "2");

  // The coordinator knows the open transaction and its partition: it is not hanging.
  const hanging = await transactions("find-hanging", "--topic", TOPIC, "--max-transaction-timeout", "0");
  assert.equal(hanging.code, 0, hanging.stderr);
  assert.deepEqual(cells(hanging.stdout), [
    [
      "Topic",
      "Partition",
      "ProducerId",
      "ProducerEpoch",
      "CoordinatorEpoch",
      "StartOffset",
      "LastTimestamp",
      "Duration(min)",
    ],
  ]);
});

test("a transaction its coordinator lost: find-hanging names it, abort --start-offset lets read_committed readers past", {
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  openProducer?.kill("SIGKILL");
  openProducer = null;
  await broker.stop();
  for (const dir of readdirSync(broker.dataDir)) {
    if (dir.startsWith("__transaction_state-")) rmSync(join(broker.dataDir, dir), { recursive: true });
  }
  await broker.restart();
  const plain = new Producer({ bootstrap: broker.bootstrap });
  await plain.send({ topic: TOPIC, value: "after" });
  await plain.close();
  assert.deepEqual(await readCommitted(), ["committed"]);
  assert.deepEqual(cells((await transactions("list")).stdout).length, 1);

  const found = await transactions("find-hanging", "--topic", TOPIC, "--max-transaction-timeout", "0");
  assert.equal(found.code, 0, found.stderr);
  const [, hanging, ...more] = cells(found.stdout);
  assert.deepEqual(more, []);
  assert.deepEqual(
    [hanging?.[0], hanging?.[1], hanging?.[3], hanging?.[4], hanging?.[5], hanging?.[7]],
    [TOPIC, "0", "0", "-1", "2", "0"],
  );
  const byBroker = await transactions("find-hanging", "--broker-id", "1", "--max-transaction-timeout", "0");
  assert.deepEqual(cells(byBroker.stdout)[1], hanging);

  const aborted = await transactions("abort", "--topic", TOPIC, "--partition", "0", "--start-offset", "2");
  assert.deepEqual([aborted.code, aborted.stdout, aborted.stderr], [0, "", ""]);
  assert.deepEqual(await readCommitted(), ["committed", "after"]);
  assert.deepEqual(
    cells((await transactions("find-hanging", "--topic", TOPIC, "--max-transaction-timeout", "0")).stdout)
      .length,
    1,
  );
  const again = await transactions("abort", "--topic", TOPIC, "--partition", "0", "--start-offset", "2");
  assert.deepEqual(
    [again.code, again.stderr],
    [1, `Could not find any open transactions starting at offset 2 on partition ${TOPIC}-0\n`],
  );
});
