import { type Broker, REQUEST_LATENCY_BUCKETS_MS } from "../broker/index.js";
import { brookVersion } from "./brook-version.js";
import { logDirInfo } from "./cluster-api.js";
import {
  describeWithLag,
  GROUPS_DESCRIBED_MAX,
  type GroupInfo,
  GroupsUnavailableError,
} from "./groups-api.js";
import type { GroupsView } from "./groups-view.js";
import { processMetrics, requestMetrics } from "./metrics-snapshot.js";
import {
  histogramSamples,
  type MetricFamily,
  type MetricSample,
  type MetricType,
} from "./prometheus-text.js";

/** Partitions given per-partition series in one scrape; the rest are counted, not exported. */
export const PARTITION_SERIES_MAX = 10_000;

function family(name: string, type: MetricType, help: string, samples: MetricSample[]): MetricFamily {
  return { name, type, help, samples };
}

const one = (value: number, labels?: Record<string, string>): MetricSample[] =>
  labels === undefined ? [{ value }] : [{ labels, value }];

/** Offsets are int64; a gauge is a double, exact up to 2^53, which offsets do not reach in practice. */
const num = (v: bigint): number => Number(v);

function processFamilies(broker: Broker): MetricFamily[] {
  const p = processMetrics();
  const uptimeSeconds = Math.max(0, broker.clock.nowMs() - broker.startedAtMs) / 1000;
  return [
    family("brook_info", "gauge", "Brook's version and identity; always 1.", [
      {
        labels: { version: brookVersion(), cluster_id: broker.clusterId, node_id: String(broker.nodeId) },
        value: 1,
      },
    ]),
    family("brook_uptime_seconds", "gauge", "Seconds since the broker started.", one(uptimeSeconds)),
    family(
      "process_start_time_seconds",
      "gauge",
      "Start of the process, in seconds since the epoch.",
      one(p.startTimeSeconds),
    ),
    family(
      "process_cpu_user_seconds_total",
      "counter",
      "User CPU time of the process.",
      one(p.cpuUserSeconds),
    ),
    family(
      "process_cpu_system_seconds_total",
      "counter",
      "System CPU time of the process.",
      one(p.cpuSystemSeconds),
    ),
    family(
      "process_cpu_seconds_total",
      "counter",
      "User and system CPU time of the process.",
      one(p.cpuUserSeconds + p.cpuSystemSeconds),
    ),
    family(
      "process_resident_memory_bytes",
      "gauge",
      "Resident set size of the process.",
      one(p.residentMemoryBytes),
    ),
    family("nodejs_heap_size_used_bytes", "gauge", "V8 heap in use.", one(p.heapUsedBytes)),
    family("nodejs_heap_size_total_bytes", "gauge", "V8 heap reserved.", one(p.heapTotalBytes)),
    family(
      "nodejs_external_memory_bytes",
      "gauge",
      "Memory of C++ objects bound to JavaScript (buffers).",
      one(p.externalMemoryBytes),
    ),
  ];
}

function networkFamilies(broker: Broker): MetricFamily[] {
  const n = broker.networkStats();
  return [
    family(
      "brook_network_connections",
      "gauge",
      "Open client connections on the Kafka listeners.",
      one(n.connectionCount),
    ),
    family(
      "brook_network_connections_accepted_total",
      "counter",
      "Connections accepted on the Kafka listeners.",
      one(n.connectionsAcceptedTotal),
    ),
    family(
      "brook_network_connections_refused_total",
      "counter",
      "Connections refused at max.connections.",
      one(n.connectionsRefusedTotal),
    ),
    family(
      "brook_network_bytes_in_total",
      "counter",
      "Bytes read from Kafka client sockets.",
      one(n.bytesInTotal),
    ),
    family(
      "brook_network_bytes_out_total",
      "counter",
      "Bytes written to Kafka client sockets.",
      one(n.bytesOutTotal),
    ),
  ];
}

function requestFamilies(broker: Broker): MetricFamily[] {
  const requests = requestMetrics(broker);
  const boundsSeconds = REQUEST_LATENCY_BUCKETS_MS.map((ms) => ms / 1000);
  return [
    family(
      "brook_requests_total",
      "counter",
      "Kafka requests answered, by API.",
      requests.map((r) => ({ labels: { api: r.api }, value: r.count })),
    ),
    family(
      "brook_request_errors_total",
      "counter",
      "Kafka requests whose handler failed (answered with an error code), by API.",
      requests.map((r) => ({ labels: { api: r.api }, value: r.errors })),
    ),
    family(
      "brook_request_duration_seconds",
      "histogram",
      "Time from a request's arrival to its response, by API.",
      requests.flatMap((r) =>
        histogramSamples({ api: r.api }, boundsSeconds, r.latencyBucketCounts, r.totalMs / 1000),
      ),
    ),
  ];
}

const PARTITION_GAUGES = [
  ["brook_partition_log_start_offset", "First offset of the partition's log."],
  ["brook_partition_log_end_offset", "Offset the next record appended to the partition gets."],
  ["brook_partition_high_watermark", "Offset up to which consumers may read (replicated to the ISR)."],
  ["brook_partition_size_bytes", "Bytes of the partition's log segments."],
  ["brook_partition_segments", "Segments of the partition's log."],
  ["brook_partition_leader_epoch", "Leader epoch of the partition."],
  ["brook_partition_in_sync_replicas", "Replicas in the partition's ISR."],
  ["brook_partition_under_replicated", "1 when the ISR is smaller than the replica set."],
] as const;

function partitionFamilies(broker: Broker): MetricFamily[] {
  const samples: MetricSample[][] = PARTITION_GAUGES.map(() => []);
  let exported = 0;
  let omitted = 0;
  for (const p of broker.replicaManager.all()) {
    if (p.log.isOffline) continue;
    if (exported >= PARTITION_SERIES_MAX) {
      omitted++;
      continue;
    }
    exported++;
    const labels = { topic: p.topic, partition: String(p.partitionIndex) };
    const values = [
      num(p.log.logStartOffset),
      num(p.log.logEndOffset),
      num(p.log.highWatermark),
      p.log.sizeBytes,
      p.log.segmentCount,
      p.leaderEpoch,
      p.isr.length,
      p.isr.length < p.replicas.length ? 1 : 0,
    ];
    for (const [i, value] of values.entries()) samples[i]?.push({ labels, value });
  }
  const image = broker.image;
  let partitionCount = 0;
  for (const t of image.topicsById.values()) partitionCount += t.partitions.length;
  return [
    family("brook_topics", "gauge", "Topics in the cluster.", one(image.topicsByName.size)),
    family("brook_partitions", "gauge", "Partitions in the cluster.", one(partitionCount)),
    family("brook_brokers", "gauge", "Brokers registered and not fenced.", one(image.liveBrokers().length)),
    ...PARTITION_GAUGES.map(([name, help], i) => family(name, "gauge", help, samples[i] ?? [])),
    family(
      "brook_metrics_partitions_omitted",
      "gauge",
      `Partitions left out past ${PARTITION_SERIES_MAX} series.`,
      one(omitted),
    ),
    family(
      "brook_log_dir_size_bytes",
      "gauge",
      "Bytes of the partition logs in each log dir.",
      logDirInfo(broker).map((d) => ({ labels: { dir: d.path }, value: d.sizeBytes })),
    ),
  ];
}

async function groupFamilies(broker: Broker, view: GroupsView | null): Promise<MetricFamily[]> {
  if (view === null) return [];
  let groups: GroupInfo[];
  try {
    const listed = await view.listGroups({ statesFilter: [], typesFilter: [] });
    if (listed.errorCode !== 0) return [];
    const ids = listed.groups
      .map((g) => g.groupId)
      .sort()
      .slice(0, GROUPS_DESCRIBED_MAX);
    groups = await describeWithLag(broker, view, ids);
  } catch (error) {
    // A coordinator still loading is not a scrape failure: the group series are simply absent.
    if (error instanceof GroupsUnavailableError) return [];
    throw error;
  }
  const lag: MetricSample[] = [];
  for (const g of groups) {
    for (const p of g.partitions) {
      if (p.lag === null) continue;
      lag.push({
        labels: { group: g.groupId, topic: p.topic, partition: String(p.partition) },
        value: num(p.lag),
      });
    }
  }
  return [
    family(
      "brook_consumer_group_members",
      "gauge",
      "Members of each consumer group.",
      groups.map((g) => ({ labels: { group: g.groupId, state: g.state }, value: g.members.length })),
    ),
    family(
      "brook_consumer_group_lag",
      "gauge",
      "High watermark minus the group's committed offset, per partition.",
      lag,
    ),
    family(
      "brook_consumer_group_lag_sum",
      "gauge",
      "Lag of each consumer group over all its partitions.",
      groups.map((g) => ({ labels: { group: g.groupId }, value: num(g.totalLag) })),
    ),
  ];
}

/** Every metric family `/metrics` exposes, read at the moment of the scrape. */
export async function collectMetricFamilies(
  broker: Broker,
  groups: GroupsView | null,
): Promise<MetricFamily[]> {
  return [
    ...processFamilies(broker),
    ...networkFamilies(broker),
    ...requestFamilies(broker),
    ...partitionFamilies(broker),
    ...(await groupFamilies(broker, groups)),
  ];
}
