import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { AdminClient } from "../../src/client/index.js";
import { BROOK_MAIN, BrokerProcess, kcatConsume, runTool, TEST_TIMEOUT_MS } from "./broker-process.js";

/**
 * `brook producer-perf-test` (kafka-producer-perf-test.sh) and `brook consumer-perf-test`
 * (kafka-consumer-perf-test.sh) against a broker process: the records the producer tool reports
 * are in the topic (read back by kcat), --throughput holds it to about that rate, the consumer tool
 * reads what is there and reports it in Kafka's CSV line, and warns when it times out short.
 */

let broker: BrokerProcess;

before(async () => {
  broker = await BrokerProcess.start({ overrides: { "num.partitions": "1" } });
  // The consumer tool's group joins at once (BrokerProcess sets group.initial.rebalance.delay.ms=0).
});

after(async () => {
  await broker?.dispose();
});

const TOTAL_LINE =
  /^(\d+) records sent, ([\d.]+) records\/sec \(([\d.]+) MB\/sec\), ([\d.]+) ms avg latency, ([\d.]+) ms max latency, (\d+) ms 50th, (\d+) ms 95th, (\d+) ms 99th, (\d+) ms 99\.9th\.$/m;

function perfTest(...args: string[]) {
  return runTool(
    process.execPath,
    [
      BROOK_MAIN,
      "producer-perf-test",
      ...args,
      "--producer-props",
      `bootstrap.servers=${broker.bootstrap}`,
      "acks=1",
    ],
    { timeoutMs: 60_000 },
  );
}

test("every record it counts is in the topic: random capital letters of the record size", {
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  const run = await perfTest(
    "--topic",
    "perf",
    "--num-records",
    "3000",
    "--record-size",
    "100",
    "--throughput",
    "-1",
  );
  assert.equal(run.code, 0, run.stderr);
  const total = TOTAL_LINE.exec(run.stdout);
  assert.ok(total !== null, run.stdout);
  assert.equal(total[1], "3000");
  const records = await kcatConsume(broker.bootstrap, "perf");
  assert.equal(records.length, 3000);
  for (const r of records) assert.match(r.payload ?? "", /^[A-Z]{100}$/);
});

test("--throughput holds it to about that many records a second; --payload-monotonic sends 0, 1, 2, ...", {
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  const started = performance.now();
  const run = await perfTest(
    "--topic",
    "throttled",
    "--num-records",
    "600",
    "--payload-monotonic",
    "--throughput",
    "300",
  );
  const seconds = (performance.now() - started) / 1000;
  assert.equal(run.code, 0, run.stderr);
  const total = TOTAL_LINE.exec(run.stdout);
  assert.ok(total !== null, run.stdout);
  assert.ok(Number(total[2]) <= 330, `${total[2]} records/sec for a target of 300`);
  assert.ok(seconds >= 1.8, `600 records at 300/s took ${seconds.toFixed(2)} s`);
  const values = (await kcatConsume(broker.bootstrap, "throttled")).map((r) => r.payload);
  assert.deepEqual(
    values,
    Array.from({ length: 600 }, (_, i) => String(i)),
  );
});

test("--transaction-duration-ms: records in transactions of about that age, all committed", {
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  const run = await runTool(
    process.execPath,
    [
      BROOK_MAIN,
      "producer-perf-test",
      "--topic",
      "perf-txn",
      "--num-records",
      "2000",
      "--record-size",
      "50",
      "--throughput",
      "2000",
      "--transaction-duration-ms",
      "200",
      "--producer-props",
      `bootstrap.servers=${broker.bootstrap}`,
    ],
    { timeoutMs: 60_000 },
  );
  assert.equal(run.code, 0, run.stderr);
  const total = TOTAL_LINE.exec(run.stdout);
  assert.equal(total?.[1], "2000", run.stdout);
  // How long the sending took, from the tool's own rate: transactions are cut every ~200 ms of it.
  const sendingMs = (2000 / Number(total?.[2])) * 1000;
  const committed = await kcatConsume(broker.bootstrap, "perf-txn", ["-X", "isolation.level=read_committed"]);
  assert.equal(committed.length, 2000, "every record committed");
  // Each transaction ends with a commit marker, which takes an offset of its own.
  const admin = new AdminClient({ bootstrap: broker.bootstrap });
  try {
    const [end] = await admin.listOffsets([{ topic: "perf-txn", partition: 0 }], "latest");
    const markers = Number((end?.offset ?? 0n) - 2000n);
    // At least one commit per full 200 ms of sending (a commit waits for its records, so a slow
    // machine makes them longer, never shorter), and no more than one per 200 ms plus the last.
    const most = Math.ceil(sendingMs / 200) + 1;
    assert.ok(
      markers >= 2 && markers <= most,
      `${markers} transactions for ${sendingMs.toFixed(0)} ms of sending (at most ${most})`,
    );
  } finally {
    admin.close();
  }
  // Kafka's ConfigException: a transactional id needs acks=all.
  const refused = await perfTest(
    "--topic",
    "perf-txn",
    "--num-records",
    "1",
    "--record-size",
    "1",
    "--throughput",
    "-1",
    "--transactional-id",
    "x",
  );
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /Must set acks to all/);
});

test("a wrong command line gets argparse4j's usage and error, exit code 1", {
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  const run = await runTool(process.execPath, [BROOK_MAIN, "producer-perf-test", "--topic", "t"]);
  assert.equal(run.code, 1);
  assert.match(run.stderr, /^usage: producer-performance /);
  assert.match(run.stderr, /producer-performance: error: argument --num-records is required\n$/);
});

const CSV_LINE =
  /^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d:\d{3}), (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d:\d{3}), ([\d.]+), ([\d.]+), (\d+), ([\d.]+), (\d+), (-?\d+), ([\d.]+|Infinity|NaN), ([\d.]+|Infinity|NaN)$/m;

function consumerPerfTest(...args: string[]) {
  return runTool(
    process.execPath,
    [BROOK_MAIN, "consumer-perf-test", "--bootstrap-server", broker.bootstrap, ...args],
    {
      timeoutMs: 60_000,
    },
  );
}

test("consumer-perf-test reads what the producer tool wrote and prints Kafka's header and CSV line", {
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  const produced = await perfTest(
    "--topic",
    "to-read",
    "--num-records",
    "2000",
    "--record-size",
    "100",
    "--throughput",
    "-1",
  );
  assert.equal(produced.code, 0, produced.stderr);
  const run = await consumerPerfTest("--topic", "to-read", "--messages", "2000");
  assert.equal(run.code, 0, run.stderr);
  const [header, line] = run.stdout.split("\n");
  assert.equal(
    header,
    "start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec",
  );
  const m = CSV_LINE.exec(line ?? "");
  assert.ok(m !== null, run.stdout);
  assert.equal(m[5], "2000");
  assert.equal(m[3], ((2000 * 100) / (1024 * 1024)).toFixed(4));

  const short = await consumerPerfTest(
    "--topic",
    "to-read",
    "--messages",
    "5000",
    "--timeout",
    "1500",
    "--hide-header",
  );
  assert.equal(short.code, 0, short.stderr);
  assert.match(
    short.stdout,
    /^WARNING: Exiting before consuming the expected number of messages: timeout \(1500 ms\) exceeded\. You can use the --timeout option to increase the timeout\.\n/,
  );
  assert.equal(CSV_LINE.exec(short.stdout)?.[5], "2000");
});
