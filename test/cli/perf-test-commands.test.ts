import assert from "node:assert/strict";
import { test } from "node:test";
import {
  PerfStats,
  parsePerfTestArguments,
} from "../../src/cli/producer-perf-test/producer-perf-test-command.js";

const base = ["--topic", "t", "--num-records", "10", "--throughput", "-1"];

test("arguments as argparse4j reads ProducerPerformance's: --producer-props takes every value up to the next option", () => {
  const args = parsePerfTestArguments([
    ...base,
    "--producer-props",
    "bootstrap.servers=h:1",
    "acks=1",
    "--record-size",
    "100",
  ]);
  assert.ok(args !== "help");
  assert.deepEqual(args.producerProps, ["bootstrap.servers=h:1", "acks=1"]);
  assert.equal(args.recordSize, 100);
  assert.equal(args.throughput, -1);
  assert.equal(args.payloadDelimiter, "\n");
  assert.equal(parsePerfTestArguments(["--help"]), "help");
});

test("Kafka's refusals: a missing payload choice, two of them, no producer properties, non-positive counts", () => {
  const fails = (argv: string[], message: RegExp) =>
    assert.throws(() => parsePerfTestArguments(argv), message);
  fails(["--num-records", "1", "--throughput", "1"], /argument --topic is required/);
  fails(
    [...base, "--producer-props", "a=b"],
    /one of the arguments --record-size --payload-file --payload-monotonic is required/,
  );
  fails(
    [...base, "--record-size", "1", "--payload-monotonic", "--producer-props", "a=b"],
    /argument --payload-monotonic: not allowed with argument --record-size/,
  );
  fails([...base, "--record-size", "1"], /Either --producer-props or --producer.config must be specified\./);
  fails(
    [
      "--topic",
      "t",
      "--num-records",
      "0",
      "--throughput",
      "-1",
      "--record-size",
      "1",
      "--producer-props",
      "a=b",
    ],
    /--num-records should be greater than zero/,
  );
  fails(
    [...base, "--record-size", "0", "--producer-props", "a=b"],
    /--record-size should be greater than zero/,
  );
  fails([...base, "--record-size", "1", "--producer-props", "a=b=c"], /Invalid property: a=b=c/);
  fails(
    [...base, "--record-size", "x", "--producer-props", "a=b"],
    /argument --record-size: could not convert 'x' to Integer/,
  );
  fails(
    [...base, "--record-size", "1", "--producer-props", "a=b", "--transaction-duration-ms", "0"],
    /--transaction-duration-ms should be greater than zero/,
  );
  const txn = parsePerfTestArguments([
    ...base,
    "--record-size",
    "1",
    "--producer-props",
    "a=b",
    "--transactional-id",
    "tx",
    "--transaction-duration-ms=500",
  ]);
  assert.ok(txn !== "help");
  assert.deepEqual([txn.transactionalId, txn.transactionDurationMs], ["tx", 500]);
});

test("Kafka's lines: a window every reporting interval, totals with sampled percentiles", () => {
  const lines: string[] = [];
  let now = 1_000;
  const stats = new PerfStats(
    4,
    (l) => lines.push(l),
    () => now,
    5000,
  );
  /** A record answered at `time` (the clock moves there first). */
  const at = (time: number, latency: number) => {
    now = time;
    stats.record(latency, 100, time);
  };
  at(2_000, 2);
  at(3_000, 4);
  at(6_000, 6); // 5 s after the window started: a window line
  assert.deepEqual(lines, [
    "3 records sent, 0.6 records/sec (0.00 MB/sec), 4.0 ms avg latency, 6.0 ms max latency.\n",
  ]);
  at(7_000, 8);
  now = 9_000;
  stats.printTotal();
  assert.equal(
    lines[1],
    "4 records sent, 0.5 records/sec (0.00 MB/sec), 5.00 ms avg latency, 8.00 ms max latency, 6 ms 50th, 8 ms 95th, 8 ms 99th, 8 ms 99.9th.\n",
  );
});

test("consumer-perf-test: SimpleDateFormat's letters and Kafka's argument checks", async () => {
  const { formatDate, parseConsumerPerfArgs } = await import(
    "../../src/cli/consumer-perf-test/consumer-perf-test-command.js"
  );
  const ms = new Date(2026, 11, 7, 8, 5, 9, 42).getTime();
  assert.equal(formatDate("yyyy-MM-dd HH:mm:ss:SSS", ms), "2026-12-07 08:05:09:042");
  assert.equal(formatDate("yy/M/d 'at' H", ms), "26/12/7 at 8");
  assert.throws(() => formatDate("yyyy-QQ", ms), /Illegal pattern character 'Q'/);
  const settings = parseConsumerPerfArgs([
    "--bootstrap-server",
    "h:1",
    "--topic",
    "t",
    "--messages",
    "10",
    "--from-latest",
  ]);
  assert.ok(typeof settings === "object");
  assert.equal(settings.consumer.autoOffsetReset, "latest");
  assert.equal(settings.consumer.maxPartitionFetchBytes, 1048576);
  assert.match(settings.consumer.groupId ?? "", /^perf-consumer-\d+$/);
  assert.equal(settings.timeoutMs, 10_000);
  assert.throws(
    () => parseConsumerPerfArgs(["--bootstrap-server", "h:1", "--topic", "t"]),
    /Missing required argument "\[messages\]"/,
  );
  assert.throws(
    () =>
      parseConsumerPerfArgs([
        "--bootstrap-server",
        "h:1",
        "--topic",
        "t",
        "--messages",
        "1",
        "--reporting-interval",
        "x",
      ]),
    /did not match pattern/,
  );
});
