import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { AdminClient, KafkaConnection } from "../../src/client/index.js";
import {
  ApiKey,
  ErrorCode,
  encodeRecordBatch,
  type FetchResponse,
  type ProduceResponse,
} from "../../src/protocol/index.js";
import { type BrookCluster, startCluster } from "../../src/server/index.js";
import { waitFor } from "../helpers/wait-for.js";

/**
 * Three nodes in one process on a shared in-memory metadata store: topics created through any
 * node are seen by every node, the active controller is named in Metadata, a killed controller is
 * replaced and a killed broker fenced within the session timeout, and both come back after a
 * restart. The same code runs against etcd in the process tests.
 */
const SESSION_TIMEOUT_MS = 1500;
let cluster: BrookCluster;
const admins: AdminClient[] = [];

function adminOn(id: number): AdminClient {
  const node = cluster.node(id);
  assert.ok(node, `node ${id} is running`);
  const admin = new AdminClient({ bootstrap: node.bootstrap, timeoutMs: 10_000 });
  admins.push(admin);
  return admin;
}

before(async () => {
  cluster = await startCluster({
    nodes: 3,
    properties: { "etcd.session.timeout.ms": String(SESSION_TIMEOUT_MS) },
  });
});

after(async () => {
  for (const a of admins) await a.close();
  await cluster.stop();
});

test("a topic created through one node is at once known to the others, and Metadata names the controller", async () => {
  const created = await adminOn(2).createTopics([{ name: "shared", numPartitions: 3, replicationFactor: 3 }]);
  assert.equal(created[0]?.errorCode, ErrorCode.NONE, created[0]?.errorMessage ?? "");
  for (const id of [1, 2, 3]) {
    const md = await adminOn(id).metadata(["shared"]);
    assert.deepEqual(md.brokers.map((b) => b.nodeId).sort(), [1, 2, 3]);
    assert.ok([1, 2, 3].includes(md.controllerId), `controller ${md.controllerId}`);
    const topic = md.topics.find((t) => t.name === "shared");
    assert.equal(topic?.errorCode, ErrorCode.NONE, `node ${id} knows the topic`);
    assert.equal(topic?.partitions.length, 3);
    for (const p of topic?.partitions ?? []) assert.deepEqual([...p.replicas].sort(), [1, 2, 3]);
  }
  const leaders = (await adminOn(3).metadata(["shared"])).topics[0]?.partitions.map((p) => p.leaderId).sort();
  assert.deepEqual(leaders, [1, 2, 3], "leaders spread over the brokers");
});

test("killing the active controller: another takes over within the session timeout, creations go on", async () => {
  const before = (await adminOn(1).metadata([])).controllerId;
  const survivor = [1, 2, 3].find((id) => id !== before) as number;
  const admin = adminOn(survivor);
  const acknowledged: string[] = [];
  let stop = false;
  const creating = (async () => {
    for (let i = 0; !stop; i++) {
      const [r] = await admin.createTopics([{ name: `loop-${i}`, numPartitions: 1, replicationFactor: 1 }]);
      if (r?.errorCode === ErrorCode.NONE) acknowledged.push(`loop-${i}`);
    }
  })();
  await new Promise((r) => setTimeout(r, 200));
  const killedAt = Date.now();
  await cluster.killNode(before);
  const next = await waitFor(
    "a new controller",
    async () => {
      const id = (await admin.metadata([])).controllerId;
      return id !== before && id !== -1 ? id : undefined;
    },
    SESSION_TIMEOUT_MS + 1000,
  );
  const tookOverMs = Date.now() - killedAt;
  await waitFor(
    "the killed node fenced",
    async () => ((await admin.metadata([])).brokers.some((b) => b.nodeId === before) ? undefined : true),
    SESSION_TIMEOUT_MS + 1000,
  );
  await new Promise((r) => setTimeout(r, 300));
  stop = true;
  await creating;
  assert.notEqual(next, before);
  assert.ok(tookOverMs <= SESSION_TIMEOUT_MS + 1000, `took over after ${tookOverMs} ms`);
  const md = await admin.metadata(acknowledged);
  const missing = acknowledged.filter(
    (n) => md.topics.find((t) => t.name === n)?.errorCode !== ErrorCode.NONE,
  );
  assert.deepEqual(missing, [], "every acknowledged creation survived the failover");
  assert.ok(acknowledged.length > 3, `only ${acknowledged.length} creations acknowledged`);
  // Partitions it led moved to an in-sync replica; none is led by the dead node.
  const shared = md.topics.length >= 0 ? await admin.metadata(["shared"]) : md;
  for (const p of shared.topics[0]?.partitions ?? []) {
    assert.notEqual(p.leaderId, before, `partition ${p.partitionIndex} still led by the killed node`);
    assert.ok(!p.isr.includes(before), `the killed node left the ISR of partition ${p.partitionIndex}`);
  }

  await cluster.startNode(before);
  await waitFor(
    "the restarted node back in Metadata",
    async () => ((await admin.metadata([])).brokers.some((b) => b.nodeId === before) ? true : undefined),
    10_000,
  );
});

test("a clean stop moves the node's leaderships before it leaves", async () => {
  const admin = adminOn(1);
  await admin.createTopics([{ name: "moving", numPartitions: 3, replicationFactor: 3 }]);
  const md = await admin.metadata(["moving"]);
  const leader = md.topics[0]?.partitions[0]?.leaderId as number;
  const other = [1, 2, 3].find((id) => id !== leader) as number;
  const stoppedAt = Date.now();
  await cluster.stopNode(leader);
  const after = await adminOn(other).metadata(["moving"]);
  assert.ok(Date.now() - stoppedAt < SESSION_TIMEOUT_MS, "no wait for the session to expire");
  for (const p of after.topics[0]?.partitions ?? []) assert.notEqual(p.leaderId, leader);
  assert.ok(!after.brokers.some((b) => b.nodeId === leader), "the stopped node left Metadata");
  await cluster.startNode(leader);
});

test("KIP-951: Produce and Fetch sent to a broker that does not lead name the leader and its endpoint", async () => {
  const admin = adminOn(1);
  await admin.createTopics([{ name: "hinted", numPartitions: 1, replicationFactor: 2 }]);
  const md = await waitFor(
    "the topic's leader",
    async () => {
      const m = await admin.metadata(["hinted"]);
      return (m.topics[0]?.partitions[0]?.leaderId ?? -1) >= 0 ? m : undefined;
    },
    5000,
  );
  const p0 = md.topics[0]?.partitions[0];
  assert.ok(p0);
  // Not a replica either: a follower would serve the Fetch (KIP-392, Fetch v11+), as Kafka's does.
  const other = cluster.nodeIds.find(
    (id) => !p0.replicas.includes(id) && cluster.node(id) !== undefined,
  ) as number;
  const leaderNode = cluster.node(p0.leaderId);
  const otherNode = cluster.node(other);
  assert.ok(leaderNode && otherNode);
  const [host, port] = otherNode.bootstrap.split(":");
  const connection = await KafkaConnection.connect({
    host: host as string,
    port: Number(port),
    clientId: "kip951",
    connectTimeoutMs: 5000,
  });
  try {
    const produced = await connection.request<ProduceResponse>(ApiKey.Produce, 11, {
      transactionalId: null,
      acks: -1,
      timeoutMs: 5000,
      topicData: [
        {
          name: "hinted",
          partitionData: [
            { index: 0, records: encodeRecordBatch({ records: [{ key: null, value: Buffer.from("x") }] }) },
          ],
        },
      ],
    });
    const pr = produced.responses[0]?.partitionResponses[0];
    assert.equal(pr?.errorCode, ErrorCode.NOT_LEADER_OR_FOLLOWER);
    assert.deepEqual(
      [pr?.currentLeader.leaderId, pr?.currentLeader.leaderEpoch],
      [p0.leaderId, p0.leaderEpoch],
    );
    assert.deepEqual(
      produced.nodeEndpoints.map((e) => `${e.nodeId}@${e.host}:${e.port}`),
      [`${p0.leaderId}@${leaderNode.bootstrap}`],
    );
    const fetched = await connection.request<FetchResponse>(ApiKey.Fetch, 16, {
      maxWaitMs: 0,
      minBytes: 0,
      topics: [
        {
          topicId: md.topics[0]?.topicId,
          partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 1024 }],
        },
      ],
      forgottenTopicsData: [],
    });
    const fp = fetched.responses[0]?.partitions[0];
    assert.equal(fp?.errorCode, ErrorCode.NOT_LEADER_OR_FOLLOWER);
    assert.equal(fp?.currentLeader.leaderId, p0.leaderId);
    assert.deepEqual(
      fetched.nodeEndpoints.map((e) => e.nodeId),
      [p0.leaderId],
    );
  } finally {
    connection.close();
  }
});
