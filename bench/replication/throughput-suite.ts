/**
 * Part 1 of the replication benchmark: produce throughput of one partition with replication factor
 * 3 and acks=all (min.insync.replicas=2) against replication factor 1 and acks=1, the same client
 * (rdkafka_performance -P, librdkafka's defaults but linger.ms=5) and the same leader broker, in
 * the same run, interleaved: RF1, RF3, RF1, ..., RF3, RF1. Each run writes into a new topic
 * (created before, deleted after), so every run starts on an empty log; the ratio of pair i is
 * RF3_i / mean(RF1_i, RF1_i+1).
 */
import { existsSync } from "node:fs";
import { runCommand } from "../e2e/processes.js";
import { fmt, median } from "../metadata/stats.js";
import type { BenchCluster } from "./cluster.js";
import { createTopic, deleteTopic, endOffset } from "./topics.js";
import { type GcCounts, type ReplicationSummary, summarise, type TraceWindow } from "./trace.js";

export interface ThroughputRun {
  rf: 1 | 3;
  valueBytes: number;
  records: number;
  wallSeconds: number;
  /** rdkafka_performance's own rate (first message to last delivery), records/s. */
  ownRate: number;
  /** CPU of the client process (utime + stime, from /usr/bin/time), ms; NaN without it. */
  clientCpuMs: number;
  /** CPU of each broker process during the run (utime, stime), ms. */
  cpu: Record<number, { user: number; sys: number }>;
  gc: Record<number, GcCounts>;
  /** RF3 runs with the trace hooks: fetch sizes, round trips, the acks=all waits. */
  replication: ReplicationSummary | null;
  isrAfter: number[];
  loadAverage: string;
}

export interface ThroughputResult {
  valueBytes: number;
  records: number;
  leader: number;
  runs: ThroughputRun[];
}

export interface ThroughputOptions {
  cluster: BenchCluster;
  perf: string;
  sizes: readonly { valueBytes: number; records: number }[];
  pairs: number;
  trace: TraceWindow;
  log: (line: string) => void;
  loadAverage: () => string;
}

const TIME = "/usr/bin/time";

function ownRate(output: string): number {
  const matches = [...output.matchAll(/(\d+) msgs\/s/g)];
  const last = matches[matches.length - 1];
  return last === undefined ? Number.NaN : Number(last[1]);
}

export async function runThroughputSuite(options: ThroughputOptions): Promise<ThroughputResult[]> {
  const { cluster } = options;
  const controller = await cluster.waitHealthy(10_000);
  // The leader is a node that is not the active controller; the followers are the other two.
  const leader = cluster.alive().find((id) => id !== controller) as number;
  const replicas = [leader, ...cluster.alive().filter((id) => id !== leader)];
  options.log(
    `# produce throughput: leader node ${leader}, followers ${replicas.slice(1).join(", ")} (controller ${controller})`,
  );
  const results: ThroughputResult[] = [];
  let seq = 0;
  const once = async (
    rf: 1 | 3,
    valueBytes: number,
    records: number,
    timed: boolean,
  ): Promise<ThroughputRun> => {
    const topic = `tp${rf}-${valueBytes}-${seq++}`;
    await createTopic(
      cluster,
      topic,
      rf === 1 ? [leader] : replicas,
      rf === 3 ? { "min.insync.replicas": "2" } : {},
    );
    const args = [
      "-P",
      "-t",
      topic,
      "-p",
      "0",
      "-b",
      cluster.bootstrap(),
      "-s",
      String(valueBytes),
      "-c",
      String(records),
      "-a",
      rf === 1 ? "1" : "-1",
      "-X",
      "linger.ms=5",
      "-q",
    ];
    options.trace.begin();
    const before = new Map(cluster.alive().map((id) => [id, cluster.node(id).cpu()]));
    // /usr/bin/time reports the client's own CPU (its user and system seconds) on stderr.
    const withTime = existsSync(TIME);
    const result = await runCommand(
      withTime ? TIME : options.perf,
      withTime ? ["-f", "client-cpu %U %S", options.perf, ...args] : args,
      {
        timeoutMs: 180_000,
      },
    );
    const clientCpu = /client-cpu ([\d.]+) ([\d.]+)/.exec(result.stderr);
    const after = new Map(cluster.alive().map((id) => [id, cluster.node(id).cpu()]));
    const window = await options.trace.end();
    const failed = /(\d+) delivered \(offset [-\d]+, (\d+) failed\)/.exec(
      `${result.stdout}\n${result.stderr}`,
    );
    if (result.exitCode !== 0 || failed === null || Number(failed[1]) !== records || Number(failed[2]) !== 0)
      throw new Error(
        `rdkafka_performance ${args.join(" ")}: exit ${result.exitCode}, ${failed?.[0] ?? result.stderr.slice(-800)}`,
      );
    const end = await endOffset(cluster, leader, topic);
    if (end !== BigInt(records)) throw new Error(`${topic}: end offset ${end} after ${records} records`);
    const cpu: ThroughputRun["cpu"] = {};
    const gc: ThroughputRun["gc"] = {};
    for (const [id, b] of before) {
      const a = after.get(id) ?? b;
      cpu[id] = { user: a.user - b.user, sys: a.sys - b.sys };
      const g = window.get(id)?.gc;
      if (g !== undefined) gc[id] = g;
    }
    const admin = cluster.admin([leader]);
    const md = await admin.metadata([topic]).finally(() => admin.close());
    const isrAfter = md.topics[0]?.partitions[0]?.isr ?? [];
    const run: ThroughputRun = {
      rf,
      valueBytes,
      records,
      wallSeconds: result.wallSeconds,
      clientCpuMs: clientCpu === null ? Number.NaN : (Number(clientCpu[1]) + Number(clientCpu[2])) * 1000,
      ownRate: ownRate(result.stdout),
      cpu,
      gc,
      replication: rf === 3 ? summarise(leader, window) : null,
      isrAfter,
      loadAverage: options.loadAverage(),
    };
    await deleteTopic(cluster, topic);
    if (timed) {
      const total = Object.values(cpu).reduce((s, c) => s + c.user + c.sys, 0);
      options.log(
        `  RF${rf} ${valueBytes} B: ${fmt(records / result.wallSeconds)} records/s, ${fmt((records * valueBytes) / result.wallSeconds / 1e6)} MB/s, broker CPU ${fmt(total / 1000 / (records / 1e6))} s per M records (${Object.entries(
          cpu,
        )
          .map(([id, c]) => `${id}: ${Math.round(c.user)}+${Math.round(c.sys)}`)
          .join(
            ", ",
          )} ms user+sys)${rf === 3 && isrAfter.length !== 3 ? ` ISR after: ${isrAfter.join(",")}` : ""}`,
      );
    }
    return run;
  };
  for (const size of options.sizes) {
    // Warm-up: both kinds once, a tenth of the records, untimed.
    const warm = Math.max(10_000, Math.round(size.records / 10));
    await once(1, size.valueBytes, warm, false);
    await once(3, size.valueBytes, warm, false);
    const runs: ThroughputRun[] = [];
    for (let i = 0; i < options.pairs; i++) {
      runs.push(await once(1, size.valueBytes, size.records, true));
      runs.push(await once(3, size.valueBytes, size.records, true));
    }
    runs.push(await once(1, size.valueBytes, size.records, true));
    results.push({ valueBytes: size.valueBytes, records: size.records, leader, runs });
    const ratios = pairRatios(runs);
    options.log(
      `  RF3/RF1 ${size.valueBytes} B: median ${fmt(median(ratios), 2)} (${ratios.map((r) => fmt(r, 2)).join(", ")})`,
    );
  }
  return results;
}

/** RF3_i / mean(RF1_i, RF1_i+1) of interleaved runs RF1, RF3, RF1, ... (records/s, wall clock). */
export function pairRatios(runs: readonly ThroughputRun[]): number[] {
  const rf1 = runs.filter((r) => r.rf === 1).map((r) => r.records / r.wallSeconds);
  const rf3 = runs.filter((r) => r.rf === 3).map((r) => r.records / r.wallSeconds);
  return rf3.map((x, i) => x / (((rf1[i] as number) + (rf1[i + 1] ?? (rf1[i] as number))) / 2));
}
