import { type Broker, REQUEST_LATENCY_BUCKETS_MS } from "../broker/index.js";
import { ConnectionRefusalReason, TlsFailureReason } from "../network/index.js";
import { segmentWriterStats } from "../storage/index.js";
import { brookVersion } from "./brook-version.js";
import { logDirInfo } from "./cluster-api.js";
import { CoordinatorUnavailableError } from "./coordinator-unavailable.js";
import { describeWithLag, GROUPS_DESCRIBED_MAX, type GroupInfo } from "./groups-api.js";
import type { GroupsView } from "./groups-view.js";
import { processMetrics, requestMetrics } from "./metrics-snapshot.js";
import {
  histogramSamples,
  type MetricFamily,
  type MetricSample,
  type MetricType,
} from "./prometheus-text.js";
import { clusterHealth, localReplicationStats } from "./replication-health.js";

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

/** The segment writer's policy at work: where appends are written, and its thread's life. */
function segmentWriterFamilies(): MetricFamily[] {
  const w = segmentWriterStats();
  return [
    family(
      "brook_segment_writer_offloading",
      "gauge",
      `1 while appends are queued to the writer thread (policy ${w.policy}; BROOK_SEGMENT_WRITER=always), 0 while they are written at once on the event loop.`,
      one(w.offloading ? 1 : 0),
    ),
    family(
      "brook_segment_writer_thread_running",
      "gauge",
      "1 while the writer thread runs (it stops after 10 s without a queued write).",
      one(w.threadRunning ? 1 : 0),
    ),
    family(
      "brook_segment_writer_threads_started_total",
      "counter",
      "Writer threads started.",
      one(w.threadsStarted),
    ),
    family(
      "brook_segment_writer_bytes_total",
      "counter",
      "Segment bytes appended, by where they were written: at_once on the event loop, queued by the writer thread.",
      [
        { labels: { path: "at_once" }, value: w.bytesAtOnceTotal },
        { labels: { path: "queued" }, value: w.bytesQueuedTotal },
      ],
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
      "brook_network_connections_handshaking",
      "gauge",
      "TLS connections on SSL listeners whose handshake is under way.",
      one(n.connectionsHandshaking),
    ),
    family(
      "brook_network_tls_handshakes_total",
      "counter",
      "TLS handshakes completed on SSL listeners (the client accepted).",
      one(n.tlsHandshakesTotal),
    ),
    family(
      "brook_network_tls_handshake_failures_total",
      "counter",
      "TLS handshakes that failed on SSL listeners, by reason: not_tls, no_client_certificate, client_certificate_rejected, client_alert, no_common_parameters, timeout, disconnected, other.",
      TLS_FAILURE_REASONS.map((reason) => ({
        labels: { reason },
        value: n.tlsHandshakeFailuresByReason[reason] ?? 0,
      })),
    ),
    family(
      "brook_network_sasl_authentications_total",
      "counter",
      "SASL authentications that succeeded on SASL_PLAINTEXT and SASL_SSL listeners.",
      one(n.saslAuthenticationsTotal),
    ),
    family(
      "brook_network_sasl_authentication_failures_total",
      "counter",
      "SASL authentications refused, by mechanism (none: refused before the client chose one: an unsupported mechanism, or a request before the handshake).",
      ["none", "PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"].map((mechanism) => ({
        labels: { mechanism },
        value: n.saslAuthenticationFailuresByMechanism[mechanism] ?? 0,
      })),
    ),
    family(
      "brook_network_connections_read_paused",
      "gauge",
      "Client connections whose reading is paused because they hold socket.connection.buffer.max.bytes or queued.max.requests (their client does not read its responses fast enough).",
      one(n.connectionsReadPaused),
    ),
    family(
      "brook_network_connection_buffered_bytes",
      "gauge",
      "Bytes the client connections hold: requests in flight and responses not yet sent.",
      one(n.connectionBufferedBytes),
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
      "Connections refused or closed by a limit, by reason: max.connections, max.connections.per.ip, connection_creation_rate.",
      REFUSAL_REASONS.map((reason) => ({
        labels: { reason },
        value: n.connectionsRefusedByReason[reason] ?? 0,
      })),
    ),
    family(
      "brook_network_connections_idle_closed_total",
      "counter",
      "Connections closed after connections.max.idle.ms without activity.",
      one(n.connectionsIdleClosedTotal),
    ),
    family(
      "brook_network_requests_queued",
      "gauge",
      "Requests read and not answered, except those waiting in purgatory (long polls, acks=all): what queued.max.requests limits.",
      one(n.requestsQueued),
    ),
    family(
      "brook_network_request_queue_full_total",
      "counter",
      "Times the request queue reached queued.max.requests and the broker stopped reading from clients.",
      one(n.requestQueueFullTotal),
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

const REFUSAL_REASONS = Object.values(ConnectionRefusalReason);
const TLS_FAILURE_REASONS = Object.values(TlsFailureReason);

/** Clients given per-client quota series in one scrape, per kind of quota. */
export const QUOTA_SERIES_MAX = 10_000;

/**
 * Kafka's client quota metrics: MBeans `kafka.server:type=<Produce|Fetch|Request>,user=<u>,client-id=<c>`
 * with the attributes byte-rate (request-time for Request) and throttle-time, as the JMX exporter's
 * example Kafka rules name them (`kafka_server_quota_<attribute>` with the labels resource, user and
 * clientId); plus Brook's counters of throttled responses. Series exist once a quota of the kind was set.
 */
function quotaFamilies(broker: Broker): MetricFamily[] {
  const nowMs = broker.clock.monotonicMs();
  const byteRate: MetricSample[] = [];
  const requestTime: MetricSample[] = [];
  const throttleTime: MetricSample[] = [];
  for (const manager of broker.quotas.managers) {
    let count = 0;
    for (const c of manager.clients(nowMs)) {
      if (++count > QUOTA_SERIES_MAX) break;
      const labels = { resource: manager.type, user: c.tags.user, clientId: c.tags.clientId };
      (manager.type === "Request" ? requestTime : byteRate).push({ labels, value: c.rate });
      throttleTime.push({ labels, value: c.throttleTimeMs });
    }
  }
  const managers = broker.quotas.managers;
  return [
    family(
      "kafka_server_quota_byte_rate",
      "gauge",
      "Bytes per second a client produces or fetches, over the quota windows (kafka.server:type=Produce|Fetch,user=,client-id= byte-rate).",
      byteRate,
    ),
    family(
      "kafka_server_quota_request_time",
      "gauge",
      "Percent of the event loop a client's requests take, over the quota windows (kafka.server:type=Request,user=,client-id= request-time).",
      requestTime,
    ),
    family(
      "kafka_server_quota_throttle_time",
      "gauge",
      "Average throttle time in ms of a client's throttled responses over the last minute (kafka.server:type=Produce|Fetch|Request,user=,client-id= throttle-time).",
      throttleTime,
    ),
    family(
      "brook_quota_throttled_responses_total",
      "counter",
      "Responses sent with a throttle time (the connection then muted), by the quota that set it.",
      managers.map((m) => ({ labels: { resource: m.type }, value: m.throttledTotal })),
    ),
    family(
      "brook_quota_throttle_seconds_total",
      "counter",
      "Throttle time given to clients, by the quota that set it.",
      managers.map((m) => ({ labels: { resource: m.type }, value: m.throttleMsTotal / 1000 })),
    ),
  ];
}

/** Resource types whose denials are counted, as the counter's labels (always all of them, zero or not). */
const DENIAL_RESOURCE_TYPES = ["topic", "group", "cluster", "transactional_id", "delegation_token", "user"];

/** The authorizer's denials and the ACLs it reads (none without an authorizer). */
function authorizerFamilies(broker: Broker): MetricFamily[] {
  const authorizer = broker.authorizer;
  if (authorizer === null) return [];
  const denials = authorizer.stats.denialsByResourceType;
  return [
    family(
      "brook_authorizer_denials_total",
      "counter",
      "Authorizations refused for resources a request named (what the authorizer logs), by resource type.",
      DENIAL_RESOURCE_TYPES.map((type) => ({ labels: { resource_type: type }, value: denials[type] ?? 0 })),
    ),
    family("brook_authorizer_acls", "gauge", "ACLs in the cluster's metadata.", one(authorizer.aclCount)),
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
  [
    "kafka_cluster_partition_underreplicated",
    "1 when this broker leads the partition and its ISR is smaller than its replica set (kafka.cluster:type=Partition,name=UnderReplicated).",
  ],
  [
    "kafka_cluster_partition_underminisr",
    "1 when this broker leads the partition and its ISR is below min.insync.replicas (kafka.cluster:type=Partition,name=UnderMinIsr).",
  ],
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
    const leads = p.isLeader;
    const values = [
      num(p.log.logStartOffset),
      num(p.log.logEndOffset),
      num(p.log.highWatermark),
      p.log.sizeBytes,
      p.log.segmentCount,
      p.leaderEpoch,
      p.isr.length,
      p.isr.length < p.replicas.length ? 1 : 0,
      leads && p.isr.length < p.replicas.length ? 1 : 0,
      leads && p.isr.length < p.log.config.minInsyncReplicas ? 1 : 0,
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

/** A gauge of Kafka's (`kafka.<domain>:type=<type>,name=<name>`), under its JMX exporter name. */
const kafkaGauge = (name: string, mbean: string, help: string, value: number): MetricFamily =>
  family(name, "gauge", `${help} (${mbean})`, one(value));

/**
 * Kafka's broker and controller metrics, named as the Prometheus JMX exporter's example Kafka
 * rules render them (lowercaseOutputName): a gauge `kafka.<domain>:type=<T>,name=<N>` (its Value)
 * is `kafka_<domain>_<t>_<n>`, a meter `...,name=<N>PerSec` (its Count) is the counter
 * `kafka_<domain>_<t>_<n>_total`, and the MBean's other tags become labels. So dashboards and
 * alerts written for Kafka behind the JMX exporter work on Brook.
 */
function kafkaFamilies(broker: Broker): MetricFamily[] {
  const local = localReplicationStats(broker);
  const active = local.activeController;
  // KafkaController gauges count on the active controller and are 0 elsewhere, as ZooKeeper-mode
  // Kafka's did (KRaft controllers each report them), so a sum over the nodes is the cluster's.
  const cluster = active ? clusterHealth(broker) : null;
  const rm = "kafka.server:type=ReplicaManager,name=";
  const kc = "kafka.controller:type=KafkaController,name=";
  const lm = "kafka.log:type=LogManager,name=";
  const offlineDirs = new Set(broker.logManager.offlineLogDirs().map((f) => f.dir));
  return [
    kafkaGauge(
      "kafka_log_logmanager_offlinelogdirectorycount",
      `${lm}OfflineLogDirectoryCount`,
      "Log dirs of this broker that failed (an I/O error: disk full, EIO) and are offline until restart.",
      offlineDirs.size,
    ),
    family(
      "kafka_log_logmanager_logdirectoryoffline",
      "gauge",
      `1 for a log dir that failed and is offline until restart, else 0 (${lm}LogDirectoryOffline,logDirectory=<dir>).`,
      broker.logManager.logDirs.map((dir) => ({
        labels: { logDirectory: dir },
        value: offlineDirs.has(dir) ? 1 : 0,
      })),
    ),
    kafkaGauge(
      "kafka_server_replicamanager_partitioncount",
      `${rm}PartitionCount`,
      "Partition replicas hosted on this broker.",
      local.partitionCount,
    ),
    kafkaGauge(
      "kafka_server_replicamanager_leadercount",
      `${rm}LeaderCount`,
      "Partitions this broker leads.",
      local.leaderCount,
    ),
    kafkaGauge(
      "kafka_server_replicamanager_underreplicatedpartitions",
      `${rm}UnderReplicatedPartitions`,
      "Partitions this broker leads whose ISR is smaller than their replica set.",
      local.underReplicatedPartitions,
    ),
    kafkaGauge(
      "kafka_server_replicamanager_underminisrpartitioncount",
      `${rm}UnderMinIsrPartitionCount`,
      "Partitions this broker leads whose ISR is below min.insync.replicas (acks=all refused).",
      local.underMinIsrPartitions,
    ),
    kafkaGauge(
      "kafka_server_replicamanager_atminisrpartitioncount",
      `${rm}AtMinIsrPartitionCount`,
      "Partitions this broker leads whose ISR is exactly min.insync.replicas.",
      local.atMinIsrPartitions,
    ),
    kafkaGauge(
      "kafka_server_replicamanager_offlinereplicacount",
      `${rm}OfflineReplicaCount`,
      "Replicas on this broker whose log is offline (a failed log dir).",
      local.offlineReplicas,
    ),
    family(
      "kafka_server_replicamanager_isrshrinks_total",
      "counter",
      `ISR shrinks committed for partitions this broker leads, whether its own AlterPartition or the controller removing a fenced broker (${rm}IsrShrinksPerSec).`,
      one(local.isrShrinks),
    ),
    family(
      "kafka_server_replicamanager_isrexpands_total",
      "counter",
      `ISR expands committed for partitions this broker leads (${rm}IsrExpandsPerSec).`,
      one(local.isrExpands),
    ),
    family(
      "kafka_server_replicamanager_failedisrupdates_total",
      "counter",
      `ISR changes this broker proposed that the controller refused or that were not delivered (${rm}FailedIsrUpdatesPerSec).`,
      one(local.failedIsrUpdates),
    ),
    kafkaGauge(
      "kafka_controller_kafkacontroller_activecontrollercount",
      `${kc}ActiveControllerCount`,
      "1 on the active controller, 0 elsewhere: over the cluster's nodes the sum is 1.",
      active ? 1 : 0,
    ),
    kafkaGauge(
      "kafka_controller_kafkacontroller_offlinepartitionscount",
      `${kc}OfflinePartitionsCount`,
      "Partitions without a live leader, on the active controller (0 elsewhere).",
      cluster?.offlinePartitions ?? 0,
    ),
    kafkaGauge(
      "kafka_controller_kafkacontroller_preferredreplicaimbalancecount",
      `${kc}PreferredReplicaImbalanceCount`,
      "Partitions not led by their live preferred replica, on the active controller (0 elsewhere).",
      cluster?.preferredReplicaImbalance ?? 0,
    ),
    kafkaGauge(
      "kafka_controller_kafkacontroller_globaltopiccount",
      `${kc}GlobalTopicCount`,
      "Topics in the cluster, on the active controller (0 elsewhere).",
      cluster?.topicCount ?? 0,
    ),
    kafkaGauge(
      "kafka_controller_kafkacontroller_globalpartitioncount",
      `${kc}GlobalPartitionCount`,
      "Partitions in the cluster, on the active controller (0 elsewhere).",
      cluster?.partitionCount ?? 0,
    ),
    kafkaGauge(
      "kafka_controller_kafkacontroller_activebrokercount",
      `${kc}ActiveBrokerCount`,
      "Registered brokers that are not fenced, on the active controller (0 elsewhere).",
      cluster?.liveBrokerCount ?? 0,
    ),
    kafkaGauge(
      "kafka_controller_kafkacontroller_fencedbrokercount",
      `${kc}FencedBrokerCount`,
      "Registered brokers that are fenced, on the active controller (0 elsewhere).",
      cluster?.fencedBrokerCount ?? 0,
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
    if (error instanceof CoordinatorUnavailableError) return [];
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
    ...segmentWriterFamilies(),
    ...requestFamilies(broker),
    ...quotaFamilies(broker),
    ...authorizerFamilies(broker),
    ...partitionFamilies(broker),
    ...kafkaFamilies(broker),
    ...(await groupFamilies(broker, groups)),
  ];
}
