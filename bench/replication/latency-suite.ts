/**
 * Part 3 of the replication benchmark: end-to-end latency at a fixed rate, produce to consume, with
 * rdkafka_performance's latency mode (-l): the producer (`rdkafka_performance_lat`, the build of
 * ../shared/bench/mock/build.sh whose -r rate limiter sleeps instead of busy-polling a core) writes
 * its wall-clock send time into each record; the consumer (started first, at the end of the
 * partition, librdkafka's default fetch.wait.max.ms=500) subtracts it on receipt; the producer also
 * records produce -> delivery report (ack). RF1 acks=1 and RF3 acks=all (min.insync.replicas=2) on
 * the same leader, interleaved, a new topic per run; linger.ms=0.
 */
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { runCommand } from "../e2e/processes.js";
import { fmt, quantile } from "../metadata/stats.js";
import type { BenchCluster } from "./cluster.js";
import { createTopic, deleteTopic, sleep } from "./topics.js";
import { type ReplicationSummary, summarise, type TraceWindow } from "./trace.js";

export interface LatencyRun {
  rf: 1 | 3;
  rate: number;
  valueBytes: number;
  seconds: number;
  /** Samples, ms: produce (send) -> consumed, and produce -> acknowledged. */
  e2eMs: number[];
  ackMs: number[];
  cpu: Record<number, number>;
  replication: ReplicationSummary | null;
  loadAverage: string;
  /** Records the producer did not get delivered, as it reported them; null when all were. */
  failure: string | null;
}

export interface LatencyResult {
  rate: number;
  valueBytes: number;
  runs: LatencyRun[];
}

export interface LatencyOptions {
  cluster: BenchCluster;
  perf: string;
  perfLat: string;
  workDir: string;
  /** [rate msg/s, value bytes] */
  loads: readonly [number, number][];
  seconds: number;
  reps: number;
  trace: TraceWindow;
  log: (line: string) => void;
  loadAverage: () => string;
}

/** The latency samples rdkafka_performance -A wrote (µs per line), in ms. */
export function latencySamples(file: string): number[] {
  try {
    return readFileSync(file, "utf8")
      .trim()
      .split("\n")
      .map(Number)
      .filter((x) => Number.isFinite(x))
      .map((us) => us / 1000);
  } catch {
    return [];
  }
}

export async function runLatencySuite(options: LatencyOptions): Promise<LatencyResult[]> {
  const { cluster } = options;
  const controller = await cluster.waitHealthy(10_000);
  const leader = cluster.alive().find((id) => id !== controller) as number;
  const replicas = [leader, ...cluster.alive().filter((id) => id !== leader)];
  options.log(`# end-to-end latency: leader node ${leader}, ${options.seconds} s per run`);
  const results: LatencyResult[] = [];
  let seq = 0;
  for (const [rate, valueBytes] of options.loads) {
    const result: LatencyResult = { rate, valueBytes, runs: [] };
    for (let rep = 0; rep < options.reps; rep++) {
      for (const rf of [1, 3] as const) {
        const topic = `lat${rf}-${rate}-${seq++}`;
        await createTopic(
          cluster,
          topic,
          rf === 1 ? [leader] : replicas,
          rf === 3 ? { "min.insync.replicas": "2" } : {},
        );
        const n = rate * options.seconds;
        const cFile = join(options.workDir, `lat-c-${seq}.txt`);
        const pFile = join(options.workDir, `lat-p-${seq}.txt`);
        const consumer = runCommand(
          options.perf,
          [
            "-C",
            "-l",
            "-t",
            topic,
            "-p",
            "0",
            "-b",
            cluster.bootstrap(),
            "-o",
            "end",
            "-c",
            String(n),
            "-q",
            "-A",
            cFile,
          ],
          { timeoutMs: (options.seconds + 30) * 1000 },
        );
        // The consumer connects, finds the leader and the end offset before the first record.
        await sleep(1500);
        options.trace.begin();
        const before = cluster.cpuMs();
        const producer = await runCommand(
          options.perfLat,
          [
            "-P",
            "-l",
            "-t",
            topic,
            "-p",
            "0",
            "-b",
            cluster.bootstrap(),
            "-s",
            String(valueBytes),
            "-r",
            String(rate),
          ].concat(["-c", String(n), "-a", rf === 1 ? "1" : "-1", "-X", "linger.ms=0", "-q", "-A", pFile]),
          { timeoutMs: (options.seconds + 30) * 1000 },
        );
        const consumed = await consumer;
        const after = cluster.cpuMs();
        const window = await options.trace.end();
        // rdkafka_performance exits with 1 when a record was not delivered: the run is kept (its
        // samples are the delivered records) and the failure reported.
        const failure =
          producer.exitCode === 0
            ? null
            : `producer exit code ${producer.exitCode}: ${`${producer.stdout}\n${producer.stderr}`
                .split("\n")
                .filter((l) => /fail|error|timed out/i.test(l))
                .slice(0, 3)
                .join(" | ")}`;
        const cpu: Record<number, number> = {};
        for (const id of cluster.alive()) cpu[id] = (after[id] as number) - (before[id] as number);
        const run: LatencyRun = {
          rf,
          rate,
          valueBytes,
          seconds: options.seconds,
          e2eMs: latencySamples(cFile),
          ackMs: latencySamples(pFile),
          cpu,
          replication: summarise(leader, window),
          loadAverage: options.loadAverage(),
          failure,
        };
        if (failure !== null) options.log(`  (${rate}/s RF${rf}: ${failure})`);
        rmSync(cFile, { force: true });
        rmSync(pFile, { force: true });
        if (consumed.exitCode !== 0 && run.e2eMs.length < n)
          options.log(
            `  (consumer exited with ${consumed.exitCode} after ${run.e2eMs.length} of ${n} records)`,
          );
        result.runs.push(run);
        options.log(
          `  ${rate}/s x ${valueBytes} B RF${rf}: e2e p50 ${fmt(quantile(run.e2eMs, 0.5))} p99 ${fmt(quantile(run.e2eMs, 0.99))} ms, ack p50 ${fmt(quantile(run.ackMs, 0.5))} p99 ${fmt(quantile(run.ackMs, 0.99))} ms (${run.e2eMs.length} samples)${run.replication === null ? "" : `; leader: ${run.replication.appends} appends, append -> HW p50 ${fmt(run.replication.appendToHwP50)} ms, consumer reads ${run.replication.consumerReads} (${run.replication.consumerEmptyReads} empty)`}`,
        );
        await deleteTopic(cluster, topic);
      }
    }
    results.push(result);
  }
  return results;
}
