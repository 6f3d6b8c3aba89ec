/**
 * End-to-end latency, produce to consume, at a fixed byte rate, with a real librdkafka client pair
 * in rdkafka_performance's latency mode (-l): the producer (the sleeping-rate-limiter build) writes
 * its wall-clock send time into each record, the consumer (started first, at the end of the
 * partition) subtracts it on receipt. The same commands run against a fresh Brook broker and the
 * mock, interleaved; acks=1, linger.ms=0, one partition. The first `warmupSeconds` of records are
 * not counted: a fresh broker process answers its first ~10,000 records with a JIT still compiling
 * the produce and fetch paths (tens of ms), which is start-up, not the steady state the target is about.
 *
 * With `placement` (the caller's latencyPlacement), the clients run on the CPUs and at the
 * priorities it names, the consumer's above the producer's. Without it, all three share both CPUs
 * of this VM at one priority, and a record's latency includes the consumer's wait for a CPU that
 * the producer holds.
 */
import { rmSync } from "node:fs";
import { join } from "node:path";
import type { BrokerProcess } from "../e2e/processes.js";
import { type Placement, placed, runCommand } from "../e2e/processes.js";
import { quantile, sleep } from "../metadata/stats.js";
import { latencySamples } from "../replication/latency-suite.js";

export interface LatencySample {
  broker: "brook" | "mock";
  p50Ms: number;
  p99Ms: number;
  samples: number;
  expected: number;
  failure: string | null;
}

export interface LatencyOptions {
  perf: string;
  perfLat: string;
  workDir: string;
  rate: number;
  valueBytes: number;
  seconds: number;
  warmupSeconds: number;
  placement?: { consumer: Placement; producer: Placement };
}

/** One run against one broker; the topic must exist with one partition. */
export async function latencyRun(
  options: LatencyOptions,
  broker: BrokerProcess,
  topic: string,
  tag: string,
): Promise<LatencySample> {
  const n = options.rate * (options.seconds + options.warmupSeconds);
  const skipped = options.rate * options.warmupSeconds;
  const file = join(options.workDir, `lat-${tag}.txt`);
  const timeoutMs = (options.seconds + 60) * 1000;
  const consumer = runCommand(
    ...placed(
      options.perf,
      ["-C", "-l", "-t", topic, "-p", "0", "-b", broker.bootstrap, "-o", "end", "-c", String(n), "-q"].concat(
        ["-A", file],
      ),
      options.placement?.consumer,
    ),
    { timeoutMs },
  );
  // The consumer connects, finds the leader and the end offset before the first record is sent.
  await sleep(1500);
  const producer = await runCommand(
    ...placed(
      options.perfLat,
      ["-P", "-l", "-t", topic, "-p", "0", "-b", broker.bootstrap, "-s", String(options.valueBytes)].concat([
        "-r",
        String(options.rate),
        "-c",
        String(n),
        "-a",
        "1",
        "-X",
        "linger.ms=0",
        "-q",
      ]),
      options.placement?.producer,
    ),
    { timeoutMs },
  );
  const consumed = await consumer;
  const all = latencySamples(file);
  const ms = all.slice(skipped);
  rmSync(file, { force: true });
  const failure =
    producer.exitCode !== 0
      ? `producer exit ${producer.exitCode}`
      : consumed.exitCode !== 0 && all.length < n
        ? `consumer exit ${consumed.exitCode} after ${all.length} of ${n}`
        : null;
  return {
    broker: broker.name === "mock" ? "mock" : "brook",
    p50Ms: quantile(ms, 0.5),
    p99Ms: quantile(ms, 0.99),
    samples: ms.length,
    expected: n - skipped,
    failure,
  };
}
