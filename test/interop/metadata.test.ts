import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import {
  ApiKey,
  type DescribeClusterResponse,
  type MetadataResponse,
  ZERO_UUID,
} from "../../src/protocol/index.js";
import { WireClient } from "../helpers/kafka-wire.js";
import { BrokerProcess, kcat } from "./broker-process.js";
import { kafkajsClient } from "./kafkajs-client.js";

/**
 * Metadata details clients rely on, across restarts of a broker process: the controller id names
 * a live broker, the cluster id never changes, topic ids (Metadata v10+) never change, and the
 * broker is advertised at the port it listens on now.
 */

const TOPICS = ["alpha", "beta", "gamma"];

let broker: BrokerProcess;

before(async () => {
  broker = await BrokerProcess.start({ overrides: { "num.partitions": "2" } });
});

after(async () => {
  await broker?.dispose();
});

interface Snapshot {
  clusterId: string | null;
  controllerId: number;
  brokers: { nodeId: number; host: string; port: number }[];
  topicIds: Map<string, string>;
}

/** Asks Metadata at `version` for every topic over a raw connection. */
async function metadata(version: number): Promise<Snapshot> {
  const client = await WireClient.connect(broker.port, broker.host);
  try {
    const response = await client.request<MetadataResponse>(ApiKey.Metadata, version, {
      topics: null,
      // Versions before 4 cannot carry the flag; they always auto-create (irrelevant for all topics).
      allowAutoTopicCreation: version < 4,
      includeClusterAuthorizedOperations: false,
      includeTopicAuthorizedOperations: false,
    });
    for (const t of response.topics) assert.equal(t.errorCode, 0, `topic ${t.name}`);
    return {
      clusterId: response.clusterId,
      controllerId: response.controllerId,
      brokers: response.brokers.map((b) => ({ nodeId: b.nodeId, host: b.host, port: b.port })),
      topicIds: new Map(response.topics.map((t) => [t.name ?? "", t.topicId])),
    };
  } finally {
    client.close();
  }
}

/** What every client checks: one live broker at the address it listens on, and it is the controller. */
function assertShape(snapshot: Snapshot): void {
  assert.deepEqual(snapshot.brokers, [{ nodeId: 1, host: broker.host, port: broker.port }]);
  assert.ok(
    snapshot.brokers.some((b) => b.nodeId === snapshot.controllerId),
    `controller ${snapshot.controllerId} is not among the brokers`,
  );
  assert.equal(snapshot.clusterId, broker.clusterId, "Metadata's cluster id is the one the broker printed");
}

async function describeCluster(): Promise<DescribeClusterResponse> {
  const client = await WireClient.connect(broker.port, broker.host);
  try {
    return await client.request<DescribeClusterResponse>(ApiKey.DescribeCluster, 0, {
      includeClusterAuthorizedOperations: false,
    });
  } finally {
    client.close();
  }
}

let original: Snapshot;

test("the controller id names a live broker; cluster id and topic ids are reported by every Metadata version that has them", async () => {
  const kafka = kafkajsClient(broker.bootstrap);
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({
      waitForLeaders: true,
      topics: TOPICS.map((topic) => ({ topic, numPartitions: 2 })),
    });
    const cluster = await admin.describeCluster();
    assert.equal(cluster.clusterId, broker.clusterId);
    assert.deepEqual(cluster.brokers, [{ nodeId: 1, host: broker.host, port: broker.port }]);
    assert.equal(cluster.controller, 1);
  } finally {
    await admin.disconnect();
  }

  original = await metadata(12);
  assertShape(original);
  for (const topic of TOPICS) {
    const id = original.topicIds.get(topic);
    assert.ok(
      id !== undefined && id !== ZERO_UUID && /^[A-Za-z0-9_-]{22}$/.test(id),
      `topic id of ${topic}: ${id}`,
    );
  }
  assert.equal(new Set(original.topicIds.values()).size, original.topicIds.size, "topic ids are distinct");
  const v10 = await metadata(10);
  assert.deepEqual(v10.topicIds, original.topicIds);
  const v1 = await metadata(1);
  assert.equal(v1.controllerId, 1);
  assert.equal(v1.clusterId, null, "Metadata v1 has no cluster id");

  const described = await describeCluster();
  assert.equal(described.errorCode, 0);
  assert.equal(described.clusterId, broker.clusterId);
  assert.equal(described.controllerId, 1);

  // The cluster id is the one in meta.properties, as with Kafka's `kafka-storage format`.
  const meta = readFileSync(join(broker.dataDir, "meta.properties"), "utf8");
  assert.match(meta, new RegExp(`^cluster\\.id=${broker.clusterId.replace(/[-_]/g, "\\$&")}$`, "m"));

  const listed = JSON.parse(await kcat(["-b", broker.bootstrap, "-L", "-J"])) as { controllerid: number };
  assert.equal(listed.controllerid, 1);
});

for (const how of ["SIGTERM", "SIGKILL"] as const) {
  test(`after a ${how} restart: same cluster id, same topic ids, the controller is live, the new port is advertised`, async () => {
    assert.ok(original, "runs after the first test");
    const portBefore = broker.port;
    const clusterBefore = broker.clusterId;
    if (how === "SIGTERM") await broker.stop();
    else await broker.kill();
    await broker.restart();
    assert.equal(broker.clusterId, clusterBefore, "the ready line prints the same cluster id");
    const now = await metadata(12);
    assertShape(now);
    assert.deepEqual(now.topicIds, original.topicIds);
    if (broker.port !== portBefore) {
      assert.ok(!now.brokers.some((b) => b.port === portBefore), "the old port is no longer advertised");
    }
    // A real client agrees.
    const kafka = kafkajsClient(broker.bootstrap);
    const admin = kafka.admin();
    await admin.connect();
    try {
      const cluster = await admin.describeCluster();
      assert.equal(cluster.clusterId, clusterBefore);
      assert.equal(cluster.controller, 1);
      const topics = await admin.listTopics();
      assert.deepEqual(topics.filter((t) => TOPICS.includes(t)).sort(), TOPICS);
    } finally {
      await admin.disconnect();
    }
  });
}
