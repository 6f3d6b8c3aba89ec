import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { Kafka, logLevel } from "kafkajs";
import { AdminClient } from "../../src/client/index.js";
import { ErrorCode } from "../../src/protocol/index.js";
import { type BrookCluster, startCluster } from "../../src/server/index.js";
import { getJson } from "./console-http.js";
import { type ParsedFamily, parsePrometheusText } from "./prometheus-parse.js";

/**
 * The console of a three-node in-process cluster, through HTTP: a node is killed (the active
 * controller, so the office moves too) and every survivor's API and /metrics report the fenced
 * broker, the under-replicated, under-min-ISR and offline partitions, one active controller and
 * the ISR shrinks; the node comes back and they all return to 0, with ISR expands counted.
 */
process.env.KAFKAJS_NO_PARTITIONER_WARNING = "1";

const SESSION_TIMEOUT_MS = 1500;
const LAG_MAX_MS = 2000;
const WAIT_MS = 15_000;
/** Replication factor 3, min.insync.replicas 3: one node down makes every partition under min ISR. */
const REPLICATED = "replicated";
/** Replication factor 1: the partition on the killed node goes offline. */
const SINGLE = "single";
const PARTITIONS = 3;

let cluster: BrookCluster;
let admin: AdminClient;

interface ClusterJson {
  nodeId: number;
  activeControllerId: number;
  activeController: boolean;
  brokerCount: number;
  liveBrokerCount: number;
  fencedBrokerCount: number;
  partitionCount: number;
  underReplicatedPartitions: number;
  underMinIsrPartitions: number;
  offlinePartitions: number;
}

interface BrokerJson {
  id: number;
  fenced: boolean;
  state: string;
  activeController: boolean;
  endpoints: { host: string; port: number }[];
  leaderCount: number;
  replicaCount: number;
}

interface PartitionJson {
  partition: number;
  leader: number;
  replicas: number[];
  isr: number[];
  elr: number[];
  offlineReplicas: number[];
  underReplicated: boolean;
  underMinIsr: boolean;
  offline: boolean;
  followers: { id: number; inIsr: boolean; logEndOffset: number | null; lag: number | null }[] | null;
}

interface TopicJson {
  name: string;
  minInsyncReplicas: number;
  underReplicatedPartitions: number;
  underMinIsrPartitions: number;
  offlinePartitions: number;
  partitions: PartitionJson[];
}

async function waitFor<T>(what: string, check: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + WAIT_MS;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${lastError === undefined ? "" : `: ${lastError}`}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const running = (): number[] => cluster.nodeIds.filter((id) => cluster.node(id) !== undefined);

function consoleOf(id: number): string {
  const url = cluster.node(id)?.consoleUrl;
  assert.ok(url, `node ${id} serves a console`);
  return url;
}

async function scrapeAll(): Promise<Map<number, Map<string, ParsedFamily>>> {
  const out = new Map<number, Map<string, ParsedFamily>>();
  for (const id of running()) {
    const res = await fetch(`${consoleOf(id)}/metrics`);
    assert.equal(res.status, 200);
    out.set(id, parsePrometheusText(await res.text()));
  }
  return out;
}

/** One node's samples of a family whose labels include `labels`, summed; 0 when it has none. */
function valueOn(
  families: Map<string, ParsedFamily>,
  name: string,
  labels: Record<string, string> = {},
): number {
  const samples = families.get(name)?.samples ?? [];
  return samples
    .filter((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .reduce((sum, s) => sum + s.value, 0);
}

/** The same, summed over the nodes scraped. */
function sumOver(
  scrapes: Map<number, Map<string, ParsedFamily>>,
  name: string,
  labels: Record<string, string> = {},
): number {
  let sum = 0;
  for (const families of scrapes.values()) sum += valueOn(families, name, labels);
  return sum;
}

before(async () => {
  cluster = await startCluster({
    nodes: 3,
    console: true,
    properties: {
      "etcd.session.timeout.ms": String(SESSION_TIMEOUT_MS),
      "replica.lag.time.max.ms": String(LAG_MAX_MS),
    },
  });
  admin = new AdminClient({ bootstrap: cluster.bootstrap, timeoutMs: 10_000 });
});

after(async () => {
  admin.close();
  await cluster.stop();
});

test("the console and /metrics follow a node's death and return: fenced broker, under-replicated and offline partitions, one active controller, ISR shrinks and expands", async () => {
  const created = await admin.createTopics([
    {
      name: REPLICATED,
      numPartitions: PARTITIONS,
      replicationFactor: 3,
      configs: { "min.insync.replicas": "3" },
    },
    { name: SINGLE, numPartitions: PARTITIONS, replicationFactor: 1 },
  ]);
  for (const c of created) assert.equal(c.errorCode, ErrorCode.NONE, c.errorMessage ?? "");
  const kafka = new Kafka({ brokers: cluster.bootstrap.split(","), logLevel: logLevel.NOTHING });
  const producer = kafka.producer();
  await producer.connect();
  for (let partition = 0; partition < PARTITIONS; partition++) {
    await producer.send({
      topic: REPLICATED,
      acks: -1,
      messages: Array.from({ length: 5 }, (_, i) => ({ partition, value: `v${i}` })),
    });
  }
  await producer.disconnect();

  // Everything in sync, seen alike from every node.
  const controllerId = await waitFor("one active controller and every replica in sync", async () => {
    const views = await Promise.all(
      running().map((id) => getJson<ClusterJson>(consoleOf(id), "/api/cluster")),
    );
    const ids = new Set(views.map((v) => v.activeControllerId));
    const healthy = views.every(
      (v) => v.underReplicatedPartitions === 0 && v.offlinePartitions === 0 && v.liveBrokerCount === 3,
    );
    const [id] = ids;
    return ids.size === 1 && id !== undefined && id >= 0 && healthy ? id : undefined;
  });
  const before = await scrapeAll();
  assert.equal(sumOver(before, "kafka_controller_kafkacontroller_activecontrollercount"), 1);
  assert.equal(
    valueOn(
      before.get(controllerId) as Map<string, ParsedFamily>,
      "kafka_controller_kafkacontroller_activecontrollercount",
    ),
    1,
  );
  assert.equal(sumOver(before, "kafka_server_replicamanager_underreplicatedpartitions"), 0);
  assert.equal(sumOver(before, "kafka_server_replicamanager_partitioncount"), PARTITIONS * 3 + PARTITIONS);
  assert.equal(sumOver(before, "kafka_server_replicamanager_leadercount"), 2 * PARTITIONS);
  assert.equal(sumOver(before, "kafka_server_replicamanager_atminisrpartitioncount", {}), PARTITIONS * 2);
  assert.equal(sumOver(before, "kafka_controller_kafkacontroller_globalpartitioncount"), 2 * PARTITIONS);
  assert.equal(sumOver(before, "kafka_controller_kafkacontroller_activebrokercount"), 3);
  const shrinksBefore = sumOver(before, "kafka_server_replicamanager_isrshrinks_total");
  for (const families of before.values()) {
    assert.equal(families.get("kafka_server_replicamanager_isrshrinks_total")?.type, "counter");
    assert.equal(families.get("kafka_server_replicamanager_underreplicatedpartitions")?.type, "gauge");
    assert.match(
      families.get("kafka_server_replicamanager_underreplicatedpartitions")?.help ?? "",
      /kafka\.server:type=ReplicaManager,name=UnderReplicatedPartitions/,
    );
  }
  const brokersBefore = await getJson<BrokerJson[]>(consoleOf(controllerId), "/api/brokers");
  assert.deepEqual(
    brokersBefore.map((b) => [b.id, b.state, b.activeController]),
    [1, 2, 3].map((id) => [id, "live", id === controllerId]),
  );
  for (const b of brokersBefore) {
    assert.equal(b.endpoints[0]?.port, cluster.node(b.id)?.port);
    assert.equal(b.replicaCount, PARTITIONS + 1, `broker ${b.id}: every replicated partition, one single`);
  }

  // The active controller dies; its RF-1 partition goes offline with it.
  const victim = controllerId;
  const single = await getJson<TopicJson>(consoleOf(victim), `/api/topics/${SINGLE}`);
  const stranded = single.partitions.find((p) => p.replicas[0] === victim)?.partition;
  assert.ok(stranded !== undefined, "the RF-1 topic has a partition on every node");
  const victimConsole = consoleOf(victim);
  await cluster.killNode(victim);
  await assert.rejects(fetch(`${victimConsole}/api/cluster`), "a killed node's console is gone with it");
  const survivor = running()[0] as number;
  const url = consoleOf(survivor);

  const during = await waitFor("the killed node fenced and its replicas out of the ISRs", async () => {
    const c = await getJson<ClusterJson>(url, "/api/cluster");
    // The RF-1 partition counts too: its ISR is empty (its replica is an eligible leader replica).
    return c.fencedBrokerCount === 1 &&
      c.underReplicatedPartitions === PARTITIONS + 1 &&
      c.offlinePartitions === 1 &&
      c.activeControllerId >= 0 &&
      c.activeControllerId !== victim
      ? c
      : undefined;
  });
  assert.equal(during.liveBrokerCount, 2);
  assert.equal(during.brokerCount, 3);
  assert.equal(
    during.underMinIsrPartitions,
    PARTITIONS + 1,
    "min.insync.replicas=3 with two in sync, and the RF-1 partition with none",
  );
  const brokers = await getJson<BrokerJson[]>(url, "/api/brokers");
  const dead = brokers.find((b) => b.id === victim);
  assert.equal(dead?.fenced, true);
  assert.equal(dead?.state, "fenced");
  assert.equal(dead?.activeController, false);
  assert.equal(dead?.leaderCount, 0);
  assert.deepEqual(
    brokers.filter((b) => b.activeController).map((b) => b.id),
    [during.activeControllerId],
  );

  const topics = await getJson<TopicJson[]>(url, "/api/topics");
  const replicatedSummary = topics.find((t) => t.name === REPLICATED);
  assert.equal(replicatedSummary?.underReplicatedPartitions, PARTITIONS);
  assert.equal(replicatedSummary?.underMinIsrPartitions, PARTITIONS);
  assert.equal(replicatedSummary?.offlinePartitions, 0);
  assert.equal(replicatedSummary?.minInsyncReplicas, 3);
  const singleSummary = topics.find((t) => t.name === SINGLE);
  assert.equal(singleSummary?.offlinePartitions, 1);
  assert.equal(singleSummary?.underReplicatedPartitions, 1);

  const replicated = await getJson<TopicJson>(url, `/api/topics/${REPLICATED}`);
  for (const p of replicated.partitions) {
    assert.notEqual(p.leader, victim);
    assert.ok(!p.isr.includes(victim));
    assert.deepEqual(p.offlineReplicas, [victim]);
    assert.equal(p.underReplicated, true);
    assert.equal(p.underMinIsr, true);
    assert.equal(p.offline, false);
    if (p.leader === survivor) {
      // The leader's view of its followers: the dead one out of the ISR, the other caught up.
      const followers = p.followers ?? [];
      assert.deepEqual(followers.map((f) => f.id).sort(), p.replicas.filter((r) => r !== survivor).sort());
      assert.equal(followers.find((f) => f.id === victim)?.inIsr, false);
    } else {
      assert.equal(p.followers, null);
    }
  }
  const stranding = (await getJson<TopicJson>(url, `/api/topics/${SINGLE}`)).partitions[stranded];
  assert.equal(stranding?.offline, true);
  assert.deepEqual(stranding?.offlineReplicas, [victim]);
  assert.deepEqual(stranding?.isr, []);
  assert.deepEqual(stranding?.elr, [victim], "the dead leader is the partition's eligible leader replica");

  const metricsDuring = await waitFor("every survivor's metrics to see the loss", async () => {
    const m = await scrapeAll();
    return sumOver(m, "kafka_server_replicamanager_underreplicatedpartitions") === PARTITIONS &&
      sumOver(m, "kafka_controller_kafkacontroller_activecontrollercount") === 1
      ? m
      : undefined;
  });
  const active = metricsDuring.get(during.activeControllerId) as Map<string, ParsedFamily>;
  assert.equal(valueOn(active, "kafka_controller_kafkacontroller_activecontrollercount"), 1);
  assert.equal(valueOn(active, "kafka_controller_kafkacontroller_offlinepartitionscount"), 1);
  assert.equal(valueOn(active, "kafka_controller_kafkacontroller_fencedbrokercount"), 1);
  assert.equal(valueOn(active, "kafka_controller_kafkacontroller_activebrokercount"), 2);
  assert.equal(sumOver(metricsDuring, "kafka_controller_kafkacontroller_offlinepartitionscount"), 1);
  assert.equal(sumOver(metricsDuring, "kafka_server_replicamanager_underminisrpartitioncount"), PARTITIONS);
  assert.equal(sumOver(metricsDuring, "kafka_server_replicamanager_leadercount"), PARTITIONS * 2 - 1);
  assert.equal(
    sumOver(metricsDuring, "kafka_cluster_partition_underreplicated", { topic: REPLICATED }),
    PARTITIONS,
  );
  assert.equal(sumOver(metricsDuring, "kafka_cluster_partition_underreplicated", { topic: SINGLE }), 0);
  assert.ok(
    sumOver(metricsDuring, "kafka_server_replicamanager_isrshrinks_total") >= shrinksBefore + PARTITIONS,
    "each replicated partition's ISR shrank once, counted on its leader",
  );

  // The node returns: it catches up, rejoins every ISR, and its partition is back.
  await cluster.startNode(victim);
  await waitFor("every node to report a healthy cluster", async () => {
    const views = await Promise.all(
      running().map((id) => getJson<ClusterJson>(consoleOf(id), "/api/cluster")),
    );
    return views.length === 3 &&
      views.every(
        (v) =>
          v.fencedBrokerCount === 0 &&
          v.underReplicatedPartitions === 0 &&
          v.underMinIsrPartitions === 0 &&
          v.offlinePartitions === 0,
      )
      ? true
      : undefined;
  });
  const metricsAfter = await waitFor("the metrics to return to 0", async () => {
    const m = await scrapeAll();
    return m.size === 3 &&
      sumOver(m, "kafka_server_replicamanager_underreplicatedpartitions") === 0 &&
      sumOver(m, "kafka_controller_kafkacontroller_offlinepartitionscount") === 0 &&
      sumOver(m, "kafka_controller_kafkacontroller_activecontrollercount") === 1
      ? m
      : undefined;
  });
  assert.ok(
    sumOver(metricsAfter, "kafka_server_replicamanager_isrexpands_total") >= PARTITIONS,
    "each replicated partition's ISR expanded again",
  );
  assert.equal(sumOver(metricsAfter, "kafka_server_replicamanager_underminisrpartitioncount"), 0);
  assert.equal(sumOver(metricsAfter, "kafka_controller_kafkacontroller_fencedbrokercount"), 0);
  assert.equal(sumOver(metricsAfter, "kafka_cluster_partition_underreplicated"), 0);
  const back = await getJson<BrokerJson[]>(consoleOf(victim), "/api/brokers");
  assert.deepEqual(
    back.map((b) => b.state),
    ["live", "live", "live"],
  );
});
