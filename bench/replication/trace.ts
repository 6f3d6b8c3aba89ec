/**
 * Reading the trace hooks (trace-hooks.ts) and the brokers' --trace-gc output for one measured
 * window, and summarising them: where a replicated write spends its time.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { quantile } from "../metadata/stats.js";
import type { BenchCluster } from "./cluster.js";
import { sleep } from "./topics.js";
import type { TraceData } from "./trace-hooks.js";

export interface GcCounts {
  scavenges: number;
  scavengeMs: number;
  markCompacts: number;
  markCompactMs: number;
}

/** A measured window over the cluster's nodes: trace hooks reset at begin, dumped at end. */
export class TraceWindow {
  private readonly cluster: BenchCluster;
  private readonly dir: string;
  private readonly seq = new Map<number, number>();
  private readonly enabled: boolean;

  constructor(cluster: BenchCluster, dir: string, enabled: boolean) {
    this.cluster = cluster;
    this.dir = dir;
    this.enabled = enabled;
  }

  private signal(): Map<number, string> {
    const files = new Map<number, string>();
    for (const id of this.cluster.alive()) {
      const node = this.cluster.node(id);
      const n = this.seq.get(id) ?? 0;
      this.seq.set(id, n + 1);
      if (!this.enabled || node.pid === undefined) continue;
      process.kill(node.pid, "SIGUSR2");
      files.set(id, join(this.dir, `trace-${id}-${n}.json`));
    }
    return files;
  }

  begin(): void {
    this.signal();
    for (const id of this.cluster.alive()) this.cluster.node(id).stdout = "";
  }

  /** Dumps every live node's trace since begin() and its GC lines. */
  async end(): Promise<Map<number, { trace: TraceData | null; gc: GcCounts }>> {
    const gc = new Map<number, GcCounts>();
    for (const id of this.cluster.alive()) gc.set(id, parseGc(this.cluster.node(id).stdout));
    const files = this.signal();
    const out = new Map<number, { trace: TraceData | null; gc: GcCounts }>();
    for (const id of this.cluster.alive()) {
      const file = files.get(id);
      let trace: TraceData | null = null;
      if (file !== undefined) {
        for (let i = 0; i < 100 && !existsSync(file); i++) await sleep(20);
        for (let i = 0; i < 10 && trace === null; i++) {
          try {
            trace = JSON.parse(readFileSync(file, "utf8")) as TraceData;
          } catch {
            await sleep(20);
          }
        }
      }
      out.set(id, { trace, gc: gc.get(id) ?? parseGc("") });
    }
    return out;
  }
}

/** Counts of `node --trace-gc` lines. */
export function parseGc(text: string): GcCounts {
  const counts: GcCounts = { scavenges: 0, scavengeMs: 0, markCompacts: 0, markCompactMs: 0 };
  for (const line of text.split("\n")) {
    const ms = Number(/MB, ([\d.]+) \/ [\d.]+ ms/.exec(line)?.[1] ?? 0);
    if (line.includes("Mark-Compact")) {
      counts.markCompacts++;
      counts.markCompactMs += ms;
    } else if (line.includes("Scavenge")) {
      counts.scavenges++;
      counts.scavengeMs += ms;
    }
  }
  return counts;
}

/** What the leader's and the followers' traces say about one replicated run. */
export interface ReplicationSummary {
  appends: number;
  bytesPerAppendP50: number;
  /** acks=all waits (Partition.whenCommitted) that had to wait: ms p50 / p99. */
  commitWaitP50: number;
  commitWaitP99: number;
  commitWaits: number;
  /** From an append on the leader to the high watermark passing its last offset, ms. */
  appendToHwP50: number;
  appendToHwP99: number;
  /** From an append on the leader to the first follower read that includes it, ms (the wake-up). */
  appendToFollowerReadP50: number;
  appendToFollowerReadP99: number;
  /** Consumer reads on the leader: how many, how many returned nothing, per appended batch. */
  consumerReads: number;
  consumerEmptyReads: number;
  followers: {
    id: number;
    /** Fetches the follower sent (its view) and their round trip, ms. */
    fetches: number;
    rttP50: number;
    rttP99: number;
    bytesPerFetchP50: number;
    bytesPerFetchMax: number;
    emptyFetches: number;
    /** The leader's written end minus the follower's fetch offset at each read, in records. */
    lagRecordsP50: number;
    lagRecordsMax: number;
    /** The follower's append of a fetched response, ms. */
    appendP50: number;
    appendP99: number;
  }[];
}

const q = quantile;

export function summarise(
  leaderId: number,
  traces: Map<number, { trace: TraceData | null }>,
): ReplicationSummary | null {
  const leader = traces.get(leaderId)?.trace;
  if (leader === null || leader === undefined) return null;
  const appends = leader.appends;
  const hw = leader.hw;
  const appendToHw: number[] = [];
  let j = 0;
  for (const [t0, last] of appends) {
    while (j < hw.length && ((hw[j] as number[])[1] as number) <= last) j++;
    if (j < hw.length) appendToHw.push(Math.max(0, ((hw[j] as number[])[0] as number) - t0));
  }
  const followers: ReplicationSummary["followers"] = [];
  const wake: number[] = [];
  const followerIds = [...new Set(leader.leaderReads.map((r) => r[1]))].sort((a, b) => a - b);
  for (const id of followerIds) {
    const reads = leader.leaderReads.filter((r) => r[1] === id);
    let k = 0;
    for (const [t0, last] of appends) {
      // The first read of this follower that returned bytes and started at or below `last`, after the append.
      while (
        k < reads.length &&
        (((reads[k] as number[])[0] as number) < t0 || ((reads[k] as number[])[3] as number) <= 0)
      )
        k++;
      const r = reads[k];
      if (r !== undefined && r[2] <= last) wake.push(r[0] - t0);
    }
    const f = traces.get(id)?.trace;
    const fetches = f?.fetches ?? [];
    const nonEmpty = fetches.filter((x) => x[2] > 0);
    followers.push({
      id,
      fetches: fetches.length,
      rttP50: q(
        fetches.map((x) => x[1]),
        0.5,
      ),
      rttP99: q(
        fetches.map((x) => x[1]),
        0.99,
      ),
      bytesPerFetchP50: q(
        nonEmpty.map((x) => x[2]),
        0.5,
      ),
      bytesPerFetchMax: nonEmpty.length === 0 ? 0 : Math.max(...nonEmpty.map((x) => x[2])),
      emptyFetches: fetches.length - nonEmpty.length,
      lagRecordsP50: q(
        reads.map((r) => r[4] - r[2]),
        0.5,
      ),
      lagRecordsMax: reads.length === 0 ? Number.NaN : Math.max(...reads.map((r) => r[4] - r[2])),
      appendP50: q(
        (f?.followerAppends ?? []).map((x) => x[1]),
        0.5,
      ),
      appendP99: q(
        (f?.followerAppends ?? []).map((x) => x[1]),
        0.99,
      ),
    });
  }
  const waits = leader.commitWaits.map((w) => w[1]);
  const consumerReads = leader.consumerReads ?? [];
  return {
    consumerReads: consumerReads.length,
    consumerEmptyReads: consumerReads.filter((r) => r[2] === 0).length,
    appends: appends.length,
    bytesPerAppendP50: q(
      appends.map((a) => a[2]),
      0.5,
    ),
    commitWaits: waits.length,
    commitWaitP50: q(waits, 0.5),
    commitWaitP99: q(waits, 0.99),
    appendToHwP50: q(appendToHw, 0.5),
    appendToHwP99: q(appendToHw, 0.99),
    appendToFollowerReadP50: q(wake, 0.5),
    appendToFollowerReadP99: q(wake, 0.99),
    followers,
  };
}
