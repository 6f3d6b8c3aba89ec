import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { AdminClient, type ClientSasl, KafkaConnection, Producer } from "../../src/client/index.js";
import { ApiKey, ErrorCode, type MetadataResponse } from "../../src/protocol/index.js";
import { type BrookCluster, startCluster } from "../../src/server/index.js";
import { adminViaNonController } from "../helpers/cluster-admin.js";

/**
 * A three-node in-process cluster whose only listener is SASL_PLAINTEXT: the nodes' own
 * connections to each other (replica fetchers, forwarding to the controller) must log in with
 * sasl.mechanism.inter.broker.protocol and the JAAS entry's username and password, or nothing
 * replicates; SCRAM users created through one node log in on every node (metadata records).
 */
const JAAS =
  'org.apache.kafka.common.security.plain.PlainLoginModule required username="broker" password="broker-secret" ' +
  'user_broker="broker-secret" user_alice="alice-secret";';
const ALICE: ClientSasl = { mechanism: "PLAIN", username: "alice", password: "alice-secret" };
let cluster: BrookCluster;
let admin: AdminClient;

before(async () => {
  cluster = await startCluster({
    nodes: 3,
    properties: {
      listeners: "SASL_PLAINTEXT://127.0.0.1:0",
      "advertised.listeners": "SASL_PLAINTEXT://127.0.0.1:0",
      "listener.security.protocol.map": "SASL_PLAINTEXT:SASL_PLAINTEXT",
      "sasl.enabled.mechanisms": "PLAIN,SCRAM-SHA-256",
      "sasl.mechanism.inter.broker.protocol": "PLAIN",
      "listener.name.sasl_plaintext.plain.sasl.jaas.config": JAAS,
      "etcd.session.timeout.ms": "1500",
    },
  });
  admin = new AdminClient({ bootstrap: cluster.bootstrap, timeoutMs: 15_000, sasl: ALICE });
});

after(async () => {
  admin?.close();
  await cluster?.stop();
});

test("replication and forwarding between nodes log in with the inter-broker mechanism; SCRAM users reach every node", async () => {
  const viaOther = await adminViaNonController(admin, { timeoutMs: 15_000, sasl: ALICE });
  try {
    // Both forwarded to the controller over an authenticated connection.
    const [created] = await viaOther.createTopics([
      { name: "replicated", numPartitions: 3, replicationFactor: 3, configs: { "min.insync.replicas": "3" } },
    ]);
    assert.equal(created?.errorCode, ErrorCode.NONE, created?.errorMessage ?? "");
    const [altered] = await viaOther.alterUserScramCredentials([
      { user: "bob", mechanism: "SCRAM-SHA-256", iterations: 4096, password: "bob-secret" },
    ]);
    assert.equal(altered?.error, null);
  } finally {
    viaOther.close();
  }
  const producer = new Producer({ bootstrap: cluster.bootstrap, acks: -1, sasl: ALICE, lingerMs: 0 });
  try {
    await Promise.all(
      Array.from({ length: 30 }, (_, i) => producer.send({ topic: "replicated", value: `v${i}` })),
    );
  } finally {
    await producer.close();
  }
  const metadata = await admin.metadata(["replicated"]);
  for (const p of metadata.topics[0]?.partitions ?? []) assert.deepEqual([...p.isr].sort(), [1, 2, 3]);
  // Every node knows bob's credential once the metadata log reached it.
  const { brokers } = await admin.describeCluster();
  for (const b of brokers) {
    const deadline = Date.now() + 10_000;
    for (;;) {
      try {
        const c = await KafkaConnection.connect({
          host: b.host,
          port: b.port,
          clientId: "scram",
          connectTimeoutMs: 5000,
          sasl: { mechanism: "SCRAM-SHA-256", username: "bob", password: "bob-secret" },
        });
        await c.request<MetadataResponse>(ApiKey.Metadata, 12, { topics: null });
        c.close();
        break;
      } catch (error) {
        if (Date.now() > deadline) throw error;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }
  const described = await admin.describeUserScramCredentials(["bob"]);
  assert.deepEqual(described, [
    { user: "bob", credentials: [{ mechanism: "SCRAM-SHA-256", iterations: 4096 }], error: null },
  ]);
  for (const id of cluster.nodeIds) {
    const stats = cluster.node(id)?.broker.networkStats();
    assert.ok((stats?.saslAuthenticationsTotal ?? 0) > 0, `node ${id} authenticated connections`);
  }
});
