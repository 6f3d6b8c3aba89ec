/** The replication benchmark's tables (Markdown), from the suites' results. */
import { fmt, max, median, min, mmm, quantile } from "../metadata/stats.js";
import type { FailoverResult } from "./failover-suite.js";
import type { LatencyResult, LatencyRun } from "./latency-suite.js";
import { pairRatios, type ThroughputResult, type ThroughputRun } from "./throughput-suite.js";

const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);

export function table(
  header: readonly string[],
  align: readonly ("l" | "r")[],
  rows: readonly string[][],
): string {
  return [
    `| ${header.join(" | ")} |`,
    `| ${align.map((a) => (a === "r" ? "---:" : "---")).join(" | ")} |`,
    ...rows.map((r) => `| ${r.join(" | ")} |`),
  ].join("\n");
}

const cpuOf = (r: ThroughputRun, ids?: readonly number[]) =>
  sum(
    Object.entries(r.cpu)
      .filter(([id]) => ids === undefined || ids.includes(Number(id)))
      .map(([, c]) => c.user + c.sys),
  );
const sysOf = (r: ThroughputRun) => sum(Object.values(r.cpu).map((c) => c.sys));
const perM = (ms: number, records: number) => ms / 1000 / (records / 1e6);

export function throughputTable(results: readonly ThroughputResult[]): string {
  const rows: string[][] = [];
  for (const res of results) {
    const ratios = pairRatios(res.runs);
    for (const rf of [1, 3] as const) {
      const runs = res.runs.filter((r) => r.rf === rf);
      const followers = Object.keys(runs[0]?.cpu ?? {})
        .map(Number)
        .filter((id) => id !== res.leader);
      const rates = runs.map((r) => r.records / r.wallSeconds);
      rows.push([
        `${res.valueBytes === 1000 ? "1 KB" : `${res.valueBytes} B`}`,
        rf === 1 ? "RF 1, acks=1" : "RF 3, acks=all",
        String(runs.length),
        mmm(rates),
        mmm(rates.map((x) => (x * res.valueBytes) / 1e6)),
        fmt(median(runs.map((r) => r.ownRate))),
        mmm(
          runs.map((r) => perM(cpuOf(r), r.records)),
          2,
        ),
        `${fmt(median(runs.map((r) => perM(cpuOf(r, [res.leader]), r.records))), 2)} / ${followers
          .map((id) => fmt(median(runs.map((r) => perM(cpuOf(r, [id]), r.records))), 2))
          .join(" + ")}`,
        `${Math.round((100 * sum(runs.map(sysOf))) / sum(runs.map((r) => cpuOf(r))))} %`,
        fmt(median(runs.map((r) => perM(r.clientCpuMs, r.records))), 2),
        `${fmt(median(runs.map((r) => r.gc[res.leader]?.markCompacts ?? Number.NaN)))} / ${followers
          .map((id) => fmt(median(runs.map((r) => r.gc[id]?.markCompacts ?? Number.NaN))))
          .join(" + ")}`,
        rf === 3 ? `**${mmm(ratios, 2)}**` : "",
      ]);
    }
  }
  return table(
    [
      "record",
      "setup",
      "runs",
      "records/s median (min–max)",
      "MB/s",
      "records/s, client's own clock",
      "broker CPU s per M records (3 processes)",
      "of which leader / followers",
      "sys share",
      "client CPU s per M records",
      "mark-compact GCs per run, leader / followers",
      "RF3 ÷ RF1 (pairs)",
    ],
    ["l", "l", "r", "r", "r", "r", "r", "r", "r", "r", "r", "r"],
    rows,
  );
}

/** Where an RF3 run's time goes, from the trace hooks (medians over the RF3 runs). */
export function replicationTable(results: readonly ThroughputResult[]): string {
  const rows: string[][] = [];
  for (const res of results) {
    const runs = res.runs.filter((r) => r.rf === 3 && r.replication !== null);
    if (runs.length === 0) continue;
    const s = runs.map((r) => r.replication as NonNullable<ThroughputRun["replication"]>);
    const f = s.flatMap((x) => x.followers);
    const m = (xs: number[]) => fmt(median(xs));
    rows.push([
      res.valueBytes === 1000 ? "1 KB" : `${res.valueBytes} B`,
      m(s.map((x) => x.appends)),
      m(s.map((x) => x.bytesPerAppendP50)),
      m(f.map((x) => x.fetches)),
      m(f.map((x) => x.bytesPerFetchP50)),
      `${m(f.map((x) => x.rttP50))} / ${m(f.map((x) => x.rttP99))}`,
      `${m(f.map((x) => x.lagRecordsP50))} (${fmt((median(f.map((x) => x.lagRecordsP50)) * res.valueBytes) / 1e6)} MB)`,
      `${m(f.map((x) => x.appendP50))} / ${m(f.map((x) => x.appendP99))}`,
      `${m(s.map((x) => x.commitWaitP50))} / ${m(s.map((x) => x.commitWaitP99))}`,
      `${m(s.map((x) => x.appendToHwP50))} / ${m(s.map((x) => x.appendToHwP99))}`,
    ]);
  }
  return table(
    [
      "record",
      "produce appends per run (leader)",
      "bytes per append p50",
      "fetches per follower per run",
      "bytes per fetch p50",
      "fetch round trip p50 / p99 ms",
      "follower behind the leader's log end p50, records",
      "follower append p50 / p99 ms",
      "acks=all wait p50 / p99 ms",
      "append → HW p50 / p99 ms",
    ],
    ["l", "r", "r", "r", "r", "r", "r", "r", "r", "r"],
    rows,
  );
}

export function failoverTable(results: readonly FailoverResult[]): string {
  const mm = (xs: number[]) => `${fmt(median(xs))} / ${fmt(max(xs))}`;
  return table(
    [
      "settings",
      "etcd.session.timeout.ms",
      "replica.lag.time.max.ms",
      "kills",
      "session lease expired, ms",
      "new leader in Metadata, ms",
      "first acks=all write acknowledged (probe), ms",
      "first acks=all write acknowledged (librdkafka producer), ms",
      "probe − lease expiry, ms",
    ],
    ["l", "r", "r", "r", "r", "r", "r", "r", "r"],
    results.map((r) => [
      r.name,
      String(r.sessionTimeoutMs),
      String(r.replicaLagTimeMaxMs),
      String(r.reps.length),
      mm(r.reps.map((x) => x.leaseGoneMs)),
      mm(r.reps.map((x) => x.newLeaderInMetadataMs)),
      `**${mm(r.reps.map((x) => x.probeFirstAckMs))}**`,
      `**${mm(r.reps.map((x) => x.clientFirstAckMs))}**`,
      mm(r.reps.map((x) => x.probeFirstAckMs - x.leaseGoneMs)),
    ]),
  );
}

const pooled = (runs: readonly LatencyRun[], f: (r: LatencyRun) => number[]) => runs.flatMap(f);

export function latencyTable(results: readonly LatencyResult[]): string {
  const rows: string[][] = [];
  for (const res of results) {
    for (const rf of [1, 3] as const) {
      const runs = res.runs.filter((r) => r.rf === rf);
      const e2e = pooled(runs, (r) => r.e2eMs);
      const ack = pooled(runs, (r) => r.ackMs);
      const rep = runs.map((r) => r.replication).filter((x) => x !== null);
      const f = rep.flatMap((x) => x.followers);
      rows.push([
        `${fmt(res.rate)}/s × ${res.valueBytes === 1000 ? "1 KB" : `${res.valueBytes} B`} (${fmt((res.rate * res.valueBytes) / 1e6, 2)} MB/s)`,
        rf === 1 ? "RF 1, acks=1" : "RF 3, acks=all",
        String(runs.length),
        `**${fmt(quantile(e2e, 0.5))} / ${fmt(quantile(e2e, 0.99))}**`,
        `${fmt(min(runs.map((r) => quantile(r.e2eMs, 0.5))))}–${fmt(max(runs.map((r) => quantile(r.e2eMs, 0.5))))}`,
        fmt(quantile(e2e, 0.999)),
        `${fmt(quantile(ack, 0.5))} / ${fmt(quantile(ack, 0.99))}`,
        rep.length === 0
          ? ""
          : `${fmt(median(rep.map((x) => x.appendToHwP50)))} / ${fmt(median(rep.map((x) => x.appendToHwP99)))}`,
        rep.length === 0 ? "" : `${fmt(median(rep.map((x) => x.appendToFollowerReadP50)))}`,
        f.length === 0 ? "" : `${fmt(median(f.map((x) => x.rttP50)))}`,
        rep.length === 0
          ? ""
          : `${fmt(sum(rep.map((x) => x.consumerReads)) / sum(rep.map((x) => x.appends)), 2)} (${Math.round((100 * sum(rep.map((x) => x.consumerEmptyReads))) / Math.max(1, sum(rep.map((x) => x.consumerReads))))} %)`,
        fmt(median(runs.map((r) => sum(Object.values(r.cpu)) / 1000 / r.seconds)), 2),
      ]);
    }
  }
  return table(
    [
      "load",
      "setup",
      "runs",
      "e2e p50 / p99 ms (pooled)",
      "e2e p50 range of runs",
      "e2e p99.9 ms",
      "produce → ack p50 / p99 ms",
      "leader append → HW p50 / p99 ms",
      "append → follower read p50 ms",
      "follower fetch round trip p50 ms",
      "consumer fetch answers per produce append (empty share)",
      "broker CPU, cores",
    ],
    ["l", "l", "r", "r", "r", "r", "r", "r", "r", "r", "r", "r"],
    rows,
  );
}
