import assert from "node:assert/strict";
import { readdirSync, statSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { Kafka, logLevel } from "kafkajs";
import { ApiKey } from "../../src/protocol/index.js";
import { type BrookServer, startBroker } from "../../src/server/index.js";
import { WireClient } from "../helpers/kafka-wire.js";
import { getJson, rawRequest } from "./console-http.js";
import { parsePrometheusText, sampleValue } from "./prometheus-parse.js";

process.env.KAFKAJS_NO_PARTITIONER_WARNING = "1";

const TOPIC = "orders";
const PARTITIONS = 3;
const RECORDS_PER_PARTITION = 10;

let server: BrookServer;
let url: string;

interface TopicSummary {
  name: string;
  id: string;
  internal: boolean;
  partitionCount: number;
  replicationFactor: number;
  sizeBytes: number;
  records: number;
}

interface TopicDetail extends TopicSummary {
  underReplicatedPartitions: number;
  offlinePartitions: number;
  minInsyncReplicas: number;
  partitions: {
    underReplicated: boolean;
    underMinIsr: boolean;
    offline: boolean;
    offlineReplicas: number[];
    followers: unknown[] | null;
    partition: number;
    leader: number;
    leaderEpoch: number;
    replicas: number[];
    isr: number[];
    logStartOffset: number;
    highWatermark: number;
    logEndOffset: number;
    sizeBytes: number;
    segments: number;
  }[];
  configs: { name: string; value: string | null; source: string }[];
}

before(async () => {
  server = await startBroker({ properties: { "console.listeners": "http://127.0.0.1:0" } });
  assert.ok(server.consoleUrl !== null);
  url = server.consoleUrl;
  const kafka = new Kafka({
    clientId: "console-test",
    brokers: [server.bootstrap],
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    topics: [
      {
        topic: TOPIC,
        numPartitions: PARTITIONS,
        configEntries: [{ name: "retention.ms", value: "3600000" }],
      },
    ],
  });
  await admin.disconnect();
  const producer = kafka.producer();
  await producer.connect();
  for (let partition = 0; partition < PARTITIONS; partition++) {
    const messages = Array.from({ length: RECORDS_PER_PARTITION }, (_, i) => ({
      partition,
      key: `k${i}`,
      value: `value ${partition}/${i}`,
    }));
    await producer.send({ topic: TOPIC, messages });
  }
  await producer.disconnect();
});

after(() => server.stop());

test("in-process brokers serve no console unless asked", async () => {
  const quiet = await startBroker();
  try {
    assert.equal(quiet.consoleUrl, null);
  } finally {
    await quiet.stop();
  }
  const asked = await startBroker({ console: true });
  try {
    assert.match(asked.consoleUrl ?? "", /^http:\/\/127\.0\.0\.1:\d+$/);
    const res = await fetch(`${asked.consoleUrl}/api/cluster`);
    assert.equal(res.status, 200);
  } finally {
    await asked.stop();
  }
});

test("/api/topics counts the records produced and the bytes on disk", async () => {
  const topics = await getJson<TopicSummary[]>(url, "/api/topics");
  const orders = topics.find((t) => t.name === TOPIC);
  assert.ok(orders, `${TOPIC} listed in ${JSON.stringify(topics)}`);
  assert.equal(orders.partitionCount, PARTITIONS);
  assert.equal(orders.replicationFactor, 1);
  assert.equal(orders.internal, false);
  assert.equal(orders.records, PARTITIONS * RECORDS_PER_PARTITION);
  assert.equal(orders.id, server.broker.image.topic(TOPIC)?.id);
  let onDisk = 0;
  for (let p = 0; p < PARTITIONS; p++) {
    const dir = join(server.dataDir, `${TOPIC}-${p}`);
    for (const f of readdirSync(dir)) if (f.endsWith(".log")) onDisk += statSync(join(dir, f)).size;
  }
  assert.ok(onDisk > 0);
  assert.equal(orders.sizeBytes, onDisk);
});

test("/api/topics/:name shows every partition's offsets and the topic's configs with sources", async () => {
  const detail = await getJson<TopicDetail>(url, `/api/topics/${TOPIC}`);
  assert.equal(detail.partitions.length, PARTITIONS);
  let size = 0;
  assert.equal(detail.underReplicatedPartitions, 0);
  assert.equal(detail.offlinePartitions, 0);
  assert.equal(detail.minInsyncReplicas, 1);
  for (const p of detail.partitions) {
    assert.deepEqual(
      { underReplicated: p.underReplicated, underMinIsr: p.underMinIsr, offline: p.offline },
      { underReplicated: false, underMinIsr: false, offline: false },
    );
    assert.deepEqual(p.offlineReplicas, []);
    assert.deepEqual(p.followers, []);
    assert.equal(p.leader, server.broker.nodeId);
    assert.deepEqual(p.replicas, [server.broker.nodeId]);
    assert.deepEqual(p.isr, [server.broker.nodeId]);
    assert.equal(p.logStartOffset, 0);
    assert.equal(p.logEndOffset, RECORDS_PER_PARTITION);
    assert.equal(p.highWatermark, RECORDS_PER_PARTITION);
    assert.equal(p.segments, 1);
    assert.ok(p.leaderEpoch >= 0);
    size += p.sizeBytes;
  }
  assert.equal(detail.sizeBytes, size);
  const config = (name: string) => detail.configs.find((c) => c.name === name);
  assert.deepEqual(
    { value: config("retention.ms")?.value, source: config("retention.ms")?.source },
    { value: "3600000", source: "DYNAMIC_TOPIC_CONFIG" },
  );
  assert.equal(config("cleanup.policy")?.value, "delete");
  assert.equal(config("cleanup.policy")?.source, "DEFAULT_CONFIG");

  const missing = await fetch(`${url}/api/topics/no-such-topic`);
  assert.equal(missing.status, 404);
  assert.deepEqual(await missing.json(), { error_code: 404, message: "Topic 'no-such-topic' not found" });
});

test("/api/cluster and /api/brokers describe this node, its listeners and log dirs", async () => {
  const cluster = await getJson<{
    clusterId: string;
    nodeId: number;
    version: string;
    uptimeMs: number;
    topicCount: number;
    partitionCount: number;
    activeControllerId: number;
    activeController: boolean;
    liveBrokerCount: number;
    fencedBrokerCount: number;
    underReplicatedPartitions: number;
    offlinePartitions: number;
    listeners: { name: string; port: number }[];
    console: string[];
    logDirs: { path: string; partitions: number; sizeBytes: number }[];
  }>(url, "/api/cluster");
  assert.equal(cluster.clusterId, server.broker.clusterId);
  assert.equal(cluster.nodeId, 1);
  assert.match(cluster.version, /^\d+\.\d+\.\d+/);
  assert.ok(cluster.uptimeMs >= 0);
  assert.equal(cluster.topicCount, server.broker.image.topicsByName.size);
  assert.deepEqual(
    [
      cluster.activeControllerId,
      cluster.activeController,
      cluster.liveBrokerCount,
      cluster.fencedBrokerCount,
    ],
    [1, true, 1, 0],
  );
  assert.equal(cluster.underReplicatedPartitions, 0);
  assert.equal(cluster.offlinePartitions, 0);
  assert.ok(cluster.partitionCount >= PARTITIONS);
  assert.equal(cluster.listeners.find((l) => l.name === "PLAINTEXT")?.port, server.port);
  assert.deepEqual(cluster.console, [url]);
  assert.equal(cluster.logDirs.length, 1);
  assert.equal(cluster.logDirs[0]?.path, server.dataDir);
  assert.ok((cluster.logDirs[0]?.partitions ?? 0) >= PARTITIONS);
  assert.ok((cluster.logDirs[0]?.sizeBytes ?? 0) > 0);

  const brokers = await getJson<
    {
      id: number;
      local: boolean;
      state: string;
      activeController: boolean;
      leaderCount: number;
      endpoints: { port: number }[];
    }[]
  >(url, "/api/brokers");
  assert.equal(brokers.length, 1);
  assert.equal(brokers[0]?.state, "live");
  assert.equal(brokers[0]?.activeController, true);
  assert.equal(brokers[0]?.leaderCount, cluster.partitionCount);
  assert.equal(brokers[0]?.id, 1);
  assert.equal(brokers[0]?.local, true);
  assert.equal(brokers[0]?.endpoints[0]?.port, server.port);
});

async function scrape(): Promise<ReturnType<typeof parsePrometheusText>> {
  const res = await fetch(`${url}/metrics`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
  return parsePrometheusText(await res.text());
}

test("/metrics parses as Prometheus text and counts requests, bytes and connections", async () => {
  const before = await scrape();
  const metadataBefore = sampleValue(before, "brook_requests_total", { api: "Metadata" }) ?? 0;
  const bytesInBefore = sampleValue(before, "brook_network_bytes_in_total") ?? 0;
  const bytesOutBefore = sampleValue(before, "brook_network_bytes_out_total") ?? 0;
  assert.ok((sampleValue(before, "brook_requests_total", { api: "Produce" }) ?? 0) >= PARTITIONS);

  const client = await WireClient.connect(server.port);
  try {
    const sends = 5;
    for (let i = 0; i < sends; i++) {
      client.send(ApiKey.Metadata, 12, {
        topics: null,
        allowAutoTopicCreation: false,
        includeTopicAuthorizedOperations: false,
      });
      await client.nextFrame();
    }
    const during = await scrape();
    assert.equal(sampleValue(during, "brook_requests_total", { api: "Metadata" }), metadataBefore + sends);
    assert.equal(
      sampleValue(
        during,
        "brook_request_duration_seconds",
        { api: "Metadata" },
        "brook_request_duration_seconds_count",
      ),
      metadataBefore + sends,
    );
    assert.ok((sampleValue(during, "brook_network_bytes_in_total") ?? 0) > bytesInBefore);
    assert.ok((sampleValue(during, "brook_network_bytes_out_total") ?? 0) > bytesOutBefore);
    assert.ok((sampleValue(during, "brook_network_connections") ?? 0) >= 1);
    assert.ok((sampleValue(during, "brook_network_connections_accepted_total") ?? 0) >= 3);
    const bytesInDuring = sampleValue(during, "brook_network_bytes_in_total") ?? 0;
    const open = sampleValue(during, "brook_network_connections") ?? 0;
    client.close();
    // The broker sees the close a moment later; the bytes of a closed connection stay counted.
    let afterClose = await scrape();
    for (let i = 0; i < 100 && (sampleValue(afterClose, "brook_network_connections") ?? 0) >= open; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      afterClose = await scrape();
    }
    assert.equal(sampleValue(afterClose, "brook_network_connections"), open - 1);
    assert.ok((sampleValue(afterClose, "brook_network_bytes_in_total") ?? 0) >= bytesInDuring);
  } finally {
    client.close();
  }
});

test("/metrics exposes each partition's offsets and size, and the process", async () => {
  const m = await scrape();
  const detail = await getJson<TopicDetail>(url, `/api/topics/${TOPIC}`);
  for (const p of detail.partitions) {
    const labels = { topic: TOPIC, partition: String(p.partition) };
    assert.equal(sampleValue(m, "brook_partition_log_end_offset", labels), RECORDS_PER_PARTITION);
    assert.equal(sampleValue(m, "brook_partition_high_watermark", labels), RECORDS_PER_PARTITION);
    assert.equal(sampleValue(m, "brook_partition_log_start_offset", labels), 0);
    assert.equal(sampleValue(m, "brook_partition_size_bytes", labels), p.sizeBytes);
    assert.equal(sampleValue(m, "brook_partition_under_replicated", labels), 0);
  }
  assert.equal(sampleValue(m, "brook_info", { cluster_id: server.broker.clusterId, node_id: "1" }), 1);
  assert.ok((sampleValue(m, "process_cpu_seconds_total") ?? 0) > 0);
  assert.ok((sampleValue(m, "process_resident_memory_bytes") ?? 0) > 1024 * 1024);
  assert.ok((sampleValue(m, "brook_uptime_seconds") ?? -1) >= 0);
  assert.ok((sampleValue(m, "brook_topics") ?? 0) >= 1);
  assert.equal(m.get("brook_requests_total")?.type, "counter");
  assert.equal(m.get("brook_request_duration_seconds")?.type, "histogram");
  assert.equal(m.get("brook_partition_high_watermark")?.type, "gauge");
  // Kafka's names (JMX exporter style): a single node leads everything and is the controller.
  assert.equal(sampleValue(m, "kafka_controller_kafkacontroller_activecontrollercount"), 1);
  assert.equal(sampleValue(m, "kafka_controller_kafkacontroller_offlinepartitionscount"), 0);
  assert.equal(sampleValue(m, "kafka_controller_kafkacontroller_activebrokercount"), 1);
  assert.equal(sampleValue(m, "kafka_server_replicamanager_underreplicatedpartitions"), 0);
  const leaders = sampleValue(m, "kafka_server_replicamanager_leadercount") ?? 0;
  assert.ok(leaders >= PARTITIONS);
  assert.equal(sampleValue(m, "kafka_server_replicamanager_partitioncount"), leaders);
  assert.equal(sampleValue(m, "kafka_server_replicamanager_isrshrinks_total"), 0);
  assert.equal(m.get("kafka_server_replicamanager_isrexpands_total")?.type, "counter");
  assert.equal(
    sampleValue(m, "kafka_cluster_partition_underreplicated", { topic: TOPIC, partition: "0" }),
    0,
  );
});

test("/api/metrics gives the counters as JSON, by API name", async () => {
  const m = await getJson<{
    timestampMs: number;
    uptimeMs: number;
    process: { residentMemoryBytes: number; cpuUserSeconds: number };
    network: { bytesInTotal: number; connectionsAcceptedTotal: number };
    requests: { api: string; apiKey: number; count: number; errors: number; totalMs: number }[];
  }>(url, "/api/metrics");
  const produce = m.requests.find((r) => r.api === "Produce");
  assert.equal(produce?.apiKey, ApiKey.Produce);
  assert.ok((produce?.count ?? 0) >= PARTITIONS);
  assert.equal(produce?.errors, 0);
  assert.ok(m.network.bytesInTotal > 0);
  assert.ok(m.process.residentMemoryBytes > 0);
  assert.ok(m.timestampMs > 0 && m.uptimeMs >= 0);
});

test("the page, its script and its stylesheet are served with their content types", async () => {
  const page = await fetch(`${url}/`);
  assert.equal(page.status, 200);
  assert.equal(page.headers.get("content-type"), "text/html; charset=utf-8");
  const html = await page.text();
  assert.match(html, /<script src="\/app\.js"/);
  assert.match(html, /<link rel="stylesheet" href="\/style\.css"/);
  assert.doesNotMatch(html, /https?:\/\//, "no external resources");

  const script = await fetch(`${url}/app.js`);
  assert.equal(script.status, 200);
  assert.equal(script.headers.get("content-type"), "text/javascript; charset=utf-8");
  const js = await script.text();
  assert.match(js, /\/api\/metrics/);
  assert.match(
    js,
    /\/messages\?\$\{params\}/,
    "the topic view's Messages tab reads the message browser's API",
  );
  assert.doesNotMatch(js, /https?:\/\/(?!www\.w3\.org\/2000\/svg)/, "no external resources");

  const css = await fetch(`${url}/style.css`);
  assert.equal(css.headers.get("content-type"), "text/css; charset=utf-8");
  assert.equal((await fetch(`${url}/index.html`)).status, 200);

  const head = await rawRequest(url, "/app.js", { method: "HEAD" });
  assert.equal(head.status, 200);
  assert.equal(head.body, "");
  assert.equal(Number(head.headers["content-length"]), Buffer.byteLength(js));
});

test("bad requests get an HTTP error and the console keeps serving", async () => {
  const notFound = await rawRequest(url, "/nothing/here");
  assert.equal(notFound.status, 404);
  assert.deepEqual(JSON.parse(notFound.body), { error_code: 404, message: "Not found" });
  assert.equal((await rawRequest(url, "/../../package.json")).status, 404);
  assert.equal((await rawRequest(url, "/static/app.js")).status, 404);

  const post = await rawRequest(url, "/api/topics", { method: "POST" });
  assert.equal(post.status, 405);
  assert.equal(post.headers.allow, "GET, HEAD");
  assert.equal((await rawRequest(url, "/api/topics", { method: "DELETE" })).status, 405);

  assert.equal((await rawRequest(url, "/api/topics/%E0%A4%A")).status, 400);
  assert.equal((await rawRequest(url, `/api/topics/${"x".repeat(300)}`)).status, 404);
  assert.equal((await rawRequest(url, `/api/topics?${"q".repeat(5000)}`)).status, 414);
  assert.equal(
    (await rawRequest(url, "/api/cluster", { headers: { "x-big": "y".repeat(20_000) } })).status,
    431,
  );

  const garbage = await new Promise<string>((resolve) => {
    const socket = connect(Number(new URL(url).port), "127.0.0.1");
    let reply = "";
    socket.on("data", (chunk) => {
      reply += chunk.toString();
    });
    socket.on("close", () => resolve(reply));
    socket.on("error", () => resolve(reply));
    socket.write("NOT HTTP AT ALL\r\n\r\n");
  });
  assert.match(garbage, /^HTTP\/1\.1 400/);

  const still = await fetch(`${url}/api/cluster`);
  assert.equal(still.status, 200);
});
