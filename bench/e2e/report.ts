/**
 * Statistics and the report tables of the end-to-end benchmark, in the template of
 * ../shared/bench/README.md: medians with min-max over the pairs of a row, per-pair ratios to the
 * mock run on either side (M_i B_i M_i+1) and to the limits measured before and after the row.
 */

export interface Summary {
  median: number;
  min: number;
  max: number;
  n: number;
}

export function summarize(values: readonly number[]): Summary {
  const s = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  const n = s.length;
  if (n === 0) return { median: Number.NaN, min: Number.NaN, max: Number.NaN, n: 0 };
  const median =
    n % 2 === 1 ? (s[(n - 1) / 2] as number) : ((s[n / 2 - 1] as number) + (s[n / 2] as number)) / 2;
  return { median, min: s[0] as number, max: s[n - 1] as number, n };
}

/** One timed run of a client (or a raw generator) against one broker. */
export interface Sample {
  records: number;
  wallSeconds: number;
  recordsPerSec: number;
  payloadMBps: number;
  brokerCpuSeconds: number;
  /** The kernel's part of brokerCpuSeconds (stime): syscalls, page faults, loopback TCP. */
  brokerSystemCpuSeconds?: number;
  /** rdkafka_performance's own clock (first to last message), records/s. */
  ownRecordsPerSec?: number;
  failure?: string | null;
  /** Raw generators: everything they printed. */
  detail?: Record<string, unknown>;
}

export interface Limits {
  /** Node append 1 MiB + fdatasync at end, MB/s (sustained disk write, no per-request fsync). */
  diskEndSyncMBps: number;
  /** Node append 1 MiB without sync (page cache), MB/s. */
  diskNoSyncMBps: number;
  /** Node append 1 MiB + fdatasync each, MB/s (the fsync-before-ack limit). */
  diskSync1mMBps: number;
  /** Node read 1 MiB from page cache, MB/s. */
  readCachedMBps: number;
  /** Node TCP blaster -> sink over loopback, MB/s. */
  netMBps: number;
  at: string;
}

export type LimitKind = "diskEndSyncMBps" | "diskSync1mMBps" | "netMBps";

export interface RowResult {
  id: string;
  limitKind: LimitKind | null;
  /** Limits measured right before and right after the row. */
  limitsBefore: Limits | null;
  limitsAfter: Limits | null;
  brook: Sample[];
  mock: Sample[];
  command: { brook: string; mock: string };
}

export const perMillion = (cpuSeconds: number, records: number): number => (cpuSeconds / records) * 1e6;

/** Per pair i: B_i / mean(M_i, M_i+1) (or M_i alone when there is no M_i+1). */
export function peerRatios(brook: readonly Sample[], mock: readonly Sample[]): number[] {
  return brook.map((b, i) => {
    const m0 = mock[i]?.recordsPerSec;
    const m1 = mock[i + 1]?.recordsPerSec ?? m0;
    return m0 === undefined || m1 === undefined ? Number.NaN : b.recordsPerSec / ((m0 + m1) / 2);
  });
}

export function rowLimit(row: RowResult): number {
  if (row.limitKind === null) return Number.NaN;
  const values = [row.limitsBefore?.[row.limitKind], row.limitsAfter?.[row.limitKind]].filter(
    (v): v is number => v !== undefined && Number.isFinite(v),
  );
  return values.length === 0 ? Number.NaN : values.reduce((a, b) => a + b, 0) / values.length;
}

const int = (x: number): string => (Number.isFinite(x) ? Math.round(x).toLocaleString("en-US") : "–");
const dec = (x: number, digits = 2): string => (Number.isFinite(x) ? x.toFixed(digits) : "–");
const range = (s: Summary, f: (x: number) => string): string =>
  s.n === 0 ? "–" : s.n === 1 ? f(s.median) : `${f(s.median)} (${f(s.min)}–${f(s.max)})`;

/** The README's table: one line per workload row. */
export function mainTable(rows: readonly RowResult[]): string {
  const lines = [
    "| workload | broker records/s | broker MB/s | limit MB/s (same run) | ratio median (min–max) | mock records/s | broker/mock median (min–max) | broker CPU s per M records | of which sys | mock CPU s per M records | failed runs |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
  ];
  for (const row of rows) {
    const ok = row.brook.filter((s) => !s.failure);
    const okMock = row.mock.filter((s) => !s.failure);
    const limit = rowLimit(row);
    const failed = row.brook.length - ok.length + (row.mock.length - okMock.length);
    lines.push(
      `| ${row.id} | ${range(summarize(ok.map((s) => s.recordsPerSec)), int)} | ${range(
        summarize(ok.map((s) => s.payloadMBps)),
        (x) => dec(x, 1),
      )} | ${row.limitKind === null ? "–" : `${int(limit)} (${limitLabel(row.limitKind)})`} | ${range(
        summarize(ok.map((s) => s.payloadMBps / limit)),
        (x) => dec(x, 3),
      )} | ${range(summarize(okMock.map((s) => s.recordsPerSec)), int)} | ${range(
        summarize(peerRatios(row.brook, row.mock).filter((_, i) => !row.brook[i]?.failure)),
        (x) => dec(x, 2),
      )} | ${range(summarize(ok.map((s) => perMillion(s.brokerCpuSeconds, s.records))), (x) => dec(x, 2))} | ${sysShare(
        ok,
      )} | ${range(summarize(okMock.map((s) => perMillion(s.brokerCpuSeconds, s.records))), (x) =>
        dec(x, 2),
      )} | ${failed} |`,
    );
  }
  return lines.join("\n");
}

/** Median share of the broker's CPU spent in the kernel. */
function sysShare(samples: readonly Sample[]): string {
  const share = summarize(samples.map((s) => (s.brokerSystemCpuSeconds ?? Number.NaN) / s.brokerCpuSeconds));
  return share.n === 0 ? "–" : `${Math.round(share.median * 100)} %`;
}

function limitLabel(kind: LimitKind): string {
  return kind === "netMBps" ? "L_net" : kind === "diskSync1mMBps" ? "L_disk fsync/MiB" : "L_disk";
}

/** rdkafka_performance's own clock, broker and mock side by side. */
export function ownClockTable(rows: readonly RowResult[]): string {
  const lines = [
    "| workload | broker records/s (own clock) | mock records/s (own clock) |",
    "| --- | ---: | ---: |",
  ];
  for (const row of rows) {
    if (!row.brook.some((s) => s.ownRecordsPerSec !== undefined)) continue;
    const own = (xs: readonly Sample[]) =>
      summarize(xs.filter((s) => !s.failure).map((s) => s.ownRecordsPerSec ?? Number.NaN));
    lines.push(`| ${row.id} | ${range(own(row.brook), int)} | ${range(own(row.mock), int)} |`);
  }
  return lines.join("\n");
}

/** The raw generators' sweep: one line per (API, N, K). */
export function rawTable(rows: readonly RowResult[]): string {
  const lines = [
    "| raw workload | broker requests/s | broker records/s | broker MB/s | broker p50 / p99 µs | mock records/s | broker/mock | broker CPU s per M records | broker CPU µs per request | of which sys | mock CPU s per M records |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
  ];
  for (const row of rows) {
    const ok = row.brook.filter((s) => !s.failure);
    const okMock = row.mock.filter((s) => !s.failure);
    const d = (s: Sample, k: string) => Number(s.detail?.[k] ?? Number.NaN);
    const cpuPerRequest = ok.map((s) => (s.brokerCpuSeconds / d(s, "requests")) * 1e6);
    lines.push(
      `| ${row.id} | ${range(summarize(ok.map((s) => d(s, "requestsPerSec"))), int)} | ${range(
        summarize(ok.map((s) => s.recordsPerSec)),
        int,
      )} | ${range(summarize(ok.map((s) => s.payloadMBps)), (x) => dec(x, 1))} | ${dec(
        summarize(ok.map((s) => d(s, "latencyP50Us"))).median,
        0,
      )} / ${dec(summarize(ok.map((s) => d(s, "latencyP99Us"))).median, 0)} | ${range(
        summarize(okMock.map((s) => s.recordsPerSec)),
        int,
      )} | ${range(summarize(peerRatios(row.brook, row.mock)), (x) => dec(x, 2))} | ${range(
        summarize(ok.map((s) => perMillion(s.brokerCpuSeconds, s.records))),
        (x) => dec(x, 2),
      )} | ${range(summarize(cpuPerRequest), (x) => dec(x, 0))} | ${sysShare(ok)} | ${range(
        summarize(okMock.map((s) => perMillion(s.brokerCpuSeconds, s.records))),
        (x) => dec(x, 2),
      )} |`,
    );
  }
  return lines.join("\n");
}

export function limitsTable(limits: readonly Limits[]): string {
  const lines = [
    "| measured at | L_disk: append + fdatasync at end MB/s | append, no sync MB/s | append + fdatasync per MiB MB/s | page-cache read MB/s | L_net: Node TCP MB/s |",
    "| --- | ---: | ---: | ---: | ---: | ---: |",
  ];
  for (const l of limits)
    lines.push(
      `| ${l.at} | ${int(l.diskEndSyncMBps)} | ${int(l.diskNoSyncMBps)} | ${int(l.diskSync1mMBps)} | ${int(l.readCachedMBps)} | ${int(l.netMBps)} |`,
    );
  const s = (k: keyof Omit<Limits, "at">) => range(summarize(limits.map((l) => l[k])), int);
  lines.push(
    `| **median (min–max)** | ${s("diskEndSyncMBps")} | ${s("diskNoSyncMBps")} | ${s("diskSync1mMBps")} | ${s("readCachedMBps")} | ${s("netMBps")} |`,
  );
  return lines.join("\n");
}
