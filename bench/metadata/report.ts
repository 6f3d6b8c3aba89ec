/** The metadata benchmark's tables (Markdown), from the suites' results. */
import type { CreateCaseResult, FailoverResult } from "./cluster-suite.js";
import { type CaseResult, type CaseRun, pooled } from "./commit-suite.js";
import type { ImageCaseResult } from "./image-suite.js";
import { fmt, max, median, mmm, quantile } from "./stats.js";

const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);

function table(header: readonly string[], align: readonly ("l" | "r")[], rows: readonly string[][]): string {
  return [
    `| ${header.join(" | ")} |`,
    `| ${align.map((a) => (a === "r" ? "---:" : "---")).join(" | ")} |`,
    ...rows.map((r) => `| ${r.join(" | ")} |`),
  ].join("\n");
}

/** Per-run ratio to the same round's `put` (sequential etcd txn) rate. */
function ratioToPut(runs: readonly CaseRun[], put: readonly CaseRun[] | undefined): string {
  if (put === undefined || put.length !== runs.length) return "–";
  const ratios = runs.map((r, i) => {
    const b = put[i] as CaseRun;
    return r.ops / r.seconds / (b.ops / b.seconds);
  });
  return mmm(ratios, 2);
}

export function commitTable(results: readonly CaseResult[]): string {
  const rows: string[][] = [];
  for (const r of results) {
    const put = results.find((x) => x.setup === r.setup && x.id === "put")?.runs;
    const rates = r.runs.map((x) => x.ops / x.seconds);
    const entries = r.runs.map((x) => x.entries / x.seconds);
    const ops = sum(r.runs.map((x) => x.ops));
    const entryCount = sum(r.runs.map((x) => x.entries));
    const lat = pooled(r.runs, (x) => x.latenciesMs);
    const applied = pooled(r.runs, (x) => x.appliedMs);
    const fsync = r.id === "fsync";
    const topics = r.runs.map((x) => x.imageTopics).filter((x): x is number => x !== undefined);
    rows.push([
      r.setup.replace(/, data on /, "<br>"),
      r.id,
      mmm(rates),
      r.id.startsWith("ctl") ? mmm(entries) : "",
      r.id.startsWith("ctl") ? fmt(ops / entryCount) : "",
      fmt(quantile(lat, 0.5)),
      fmt(quantile(lat, 0.99)),
      applied.length > 0 ? fmt(quantile(applied, 0.5)) : "",
      fsync ? "" : fmt((sum(r.runs.map((x) => x.clientCpuMs)) * 1000) / ops, 2),
      fsync ? "" : fmt((sum(r.runs.map((x) => x.etcdCpuMs)) * 1000) / ops, 2),
      r.id === "put" || r.id === "get" || fsync ? "" : ratioToPut(r.runs, put),
      topics.length > 0 ? Math.round(max(topics)).toLocaleString("en-US") : "",
    ]);
  }
  return table(
    [
      "etcd",
      "case",
      "ops/s median (min–max)",
      "entries/s",
      "ops per entry",
      "p50 ms",
      "p99 ms",
      "applied p50 ms",
      "bench CPU µs/op",
      "etcd CPU µs/op",
      "÷ put (same round)",
      "image topics at end",
    ],
    ["l", "l", "r", "r", "r", "r", "r", "r", "r", "r", "r", "r"],
    rows,
  );
}

export function imageTable(results: readonly ImageCaseResult[]): string {
  return table(
    [
      "topics in the image",
      "CreateTopics decision + RecordBuilder.add, µs/op",
      "the same, one MetadataDelta per decision (before), µs/op",
      "before ÷ now (same trial)",
      "RecordBuilder.add alone, µs/op",
      "decisions/s one core could make",
      "loader: one 64-op entry, µs",
      "membership pass, µs",
      "membership pass fencing a broker, µs",
    ],
    ["r", "r", "r", "r", "r", "r", "r", "r", "r"],
    results.map((r) => [
      fmt(r.topics),
      mmm(r.decideAddUs),
      mmm(r.decideDeltaPerOpUs),
      mmm(
        r.decideAddUs.map((now, i) => (r.decideDeltaPerOpUs[i] ?? Number.NaN) / now),
        2,
      ),
      mmm(r.addUs),
      fmt(1e6 / median(r.decideAddUs)),
      mmm(r.loaderEntryUs),
      mmm(r.membershipUs),
      mmm(r.fenceUs),
    ]),
  );
}

export function createTable(results: readonly CreateCaseResult[]): string {
  return table(
    [
      "case",
      "topics/s median (min–max)",
      "p50 ms",
      "p99 ms",
      "Brook CPU ms/topic",
      "etcd CPU ms/topic",
      "failed",
      "topics at end",
    ],
    ["l", "r", "r", "r", "r", "r", "r", "r"],
    results.map((r) => {
      const ops = sum(r.runs.map((x) => x.ops));
      const lat = pooled(r.runs, (x) => x.latenciesMs);
      const cluster = r.id.startsWith("cluster");
      return [
        r.id,
        mmm(r.runs.map((x) => x.ops / x.seconds)),
        fmt(quantile(lat, 0.5)),
        fmt(quantile(lat, 0.99)),
        fmt(sum(r.runs.map((x) => x.brookCpuMs)) / ops, 2),
        cluster ? fmt(sum(r.runs.map((x) => x.etcdCpuMs)) / ops, 2) : "",
        String(sum(r.runs.map((x) => x.failures))),
        Math.round(max(r.runs.map((x) => x.topicsAfter))).toLocaleString("en-US"),
      ];
    }),
  );
}

const medMax = (xs: readonly number[]) =>
  xs.length === 0 ? "–" : `${fmt(median(xs), 4)} / ${fmt(max(xs), 4)}`;

export function failoverTable(results: readonly FailoverResult[]): string {
  const rows = results.map((r) => [
    `${r.sessionTimeoutMs}`,
    String(r.controller.length),
    medMax(r.controller.map((x) => x.controllerKeyGoneMs)),
    medMax(r.controller.map((x) => x.electedInEtcdMs)),
    medMax(r.controller.map((x) => x.newControllerInMetadataMs)),
    medMax(r.controller.map((x) => x.firstCreateMs)),
    medMax(r.controller.map((x) => x.newControllerInMetadataMs - x.controllerKeyGoneMs)),
    medMax(r.controller.map((x) => x.firstCreateMs - x.newControllerInMetadataMs)),
  ]);
  return table(
    [
      "etcd.session.timeout.ms",
      "kills",
      "controller key deleted (lease expired), ms",
      "new controller key written, ms",
      "(a) new controller in Metadata, ms",
      "(b) first CreateTopics acknowledged, ms",
      "(a) − lease expiry, ms",
      "(b) − (a), ms",
    ],
    ["r", "r", "r", "r", "r", "r", "r", "r"],
    rows,
  );
}

export function brokerLossTable(results: readonly FailoverResult[]): string {
  return table(
    [
      "etcd.session.timeout.ms",
      "kills",
      "session key deleted (lease expired), ms",
      "gone from the first survivor's Metadata, ms",
      "gone from every survivor's Metadata, ms",
      "first − lease expiry, ms",
    ],
    ["r", "r", "r", "r", "r", "r"],
    results.map((r) => [
      `${r.sessionTimeoutMs}`,
      String(r.broker.length),
      medMax(r.broker.map((x) => x.sessionKeyGoneMs)),
      medMax(r.broker.map((x) => x.goneFromMetadataMs)),
      medMax(r.broker.map((x) => x.goneEverywhereMs)),
      medMax(r.broker.map((x) => x.goneFromMetadataMs - x.sessionKeyGoneMs)),
    ]),
  );
}
