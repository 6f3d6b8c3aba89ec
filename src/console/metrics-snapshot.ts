import type { Broker } from "../broker/index.js";
import type { NetworkStats } from "../network/index.js";
import { apiSpec } from "../protocol/index.js";
import { type LocalReplicationStats, localReplicationStats } from "./replication-health.js";

export interface RequestMetrics {
  /** Kafka's API name (`Produce`, `Fetch`, ...). */
  api: string;
  apiKey: number;
  count: number;
  errors: number;
  totalMs: number;
  latencyBucketCounts: readonly number[];
}

export interface ProcessMetrics {
  pid: number;
  startTimeSeconds: number;
  cpuUserSeconds: number;
  cpuSystemSeconds: number;
  residentMemoryBytes: number;
  heapUsedBytes: number;
  heapTotalBytes: number;
  externalMemoryBytes: number;
}

/** `/api/metrics`: counters as they are now; the console's page turns two of them into rates. */
export interface MetricsSnapshot {
  timestampMs: number;
  uptimeMs: number;
  process: ProcessMetrics;
  network: NetworkStats;
  requests: Omit<RequestMetrics, "latencyBucketCounts">[];
  /** This broker's replicas: leaders, under-replicated, ISR changes (as /metrics' ReplicaManager gauges). */
  replication: LocalReplicationStats;
}

/** The dispatcher's per-API counters with Kafka's API names, by API key. */
export function requestMetrics(broker: Broker): RequestMetrics[] {
  return [...broker.dispatcher.stats]
    .sort(([a], [b]) => a - b)
    .map(([apiKey, s]) => ({
      api: apiSpec(apiKey)?.name ?? `ApiKey${apiKey}`,
      apiKey,
      count: s.count,
      errors: s.errors,
      totalMs: s.totalMs,
      latencyBucketCounts: s.latencyBucketCounts,
    }));
}

export function processMetrics(): ProcessMetrics {
  const cpu = process.cpuUsage();
  const memory = process.memoryUsage();
  return {
    pid: process.pid,
    startTimeSeconds: Math.round(Date.now() / 1000 - process.uptime()),
    cpuUserSeconds: cpu.user / 1e6,
    cpuSystemSeconds: cpu.system / 1e6,
    residentMemoryBytes: memory.rss,
    heapUsedBytes: memory.heapUsed,
    heapTotalBytes: memory.heapTotal,
    externalMemoryBytes: memory.external,
  };
}

export function metricsSnapshot(broker: Broker): MetricsSnapshot {
  const timestampMs = broker.clock.nowMs();
  return {
    timestampMs,
    uptimeMs: Math.max(0, timestampMs - broker.startedAtMs),
    process: processMetrics(),
    network: broker.networkStats(),
    requests: requestMetrics(broker).map(({ latencyBucketCounts: _, ...r }) => r),
    replication: localReplicationStats(broker),
  };
}
