import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, test } from "node:test";
import {
  AdminClient,
  ClientErrorCode,
  type ClientTls,
  Consumer,
  KafkaConnection,
  Producer,
} from "../../src/client/index.js";
import { ApiKey, ErrorCode, encodeRecordBatch, type ProduceResponse } from "../../src/protocol/index.js";
import { type BrookCluster, startCluster } from "../../src/server/index.js";
import { adminViaNonController } from "../helpers/cluster-admin.js";
import { testCerts } from "../helpers/test-certs.js";

/**
 * A three-node in-process cluster whose only listener is SSL with ssl.client.auth=required: the
 * nodes' own connections to each other (replica fetchers, forwarding to the controller,
 * transaction markers) must speak TLS and present the broker's certificate, or nothing replicates.
 */
const certs = testCerts();
const read = (path: string) => readFileSync(path, "utf8");
const CLIENT_TLS: ClientTls = {
  ca: read(certs.caPem),
  cert: read(certs.clientCertPem),
  key: read(certs.clientKeyPem),
};
let cluster: BrookCluster;
let admin: AdminClient;

before(async () => {
  cluster = await startCluster({
    nodes: 3,
    properties: {
      listeners: "SSL://127.0.0.1:0",
      "advertised.listeners": "SSL://127.0.0.1:0",
      "listener.security.protocol.map": "SSL:SSL",
      "ssl.keystore.type": "PEM",
      "ssl.keystore.location": certs.serverKeystorePem,
      "ssl.truststore.type": "PEM",
      "ssl.truststore.location": certs.caPem,
      "ssl.client.auth": "required",
      "etcd.session.timeout.ms": "1500",
      "quota.window.num": "2",
    },
  });
  admin = new AdminClient({ bootstrap: cluster.bootstrap, timeoutMs: 15_000, ssl: CLIENT_TLS });
});

after(async () => {
  admin?.close();
  await cluster?.stop();
});

test("replication, forwarding and transaction markers between nodes run over TLS with the brokers' certificates", async () => {
  // Created through a node that is not the controller: the request is forwarded over TLS.
  const viaOther = await adminViaNonController(admin, { timeoutMs: 15_000, ssl: CLIENT_TLS });
  try {
    const [created] = await viaOther.createTopics([
      { name: "replicated", numPartitions: 3, replicationFactor: 3, configs: { "min.insync.replicas": "3" } },
    ]);
    assert.equal(created?.errorCode, ErrorCode.NONE, created?.errorMessage ?? "");
  } finally {
    viaOther.close();
  }
  // acks=all with min.insync.replicas=3 succeeds only when both followers fetch from each leader.
  const producer = new Producer({ bootstrap: cluster.bootstrap, acks: -1, ssl: CLIENT_TLS, lingerMs: 0 });
  const values = Array.from({ length: 60 }, (_, i) => `v${i}`);
  try {
    await Promise.all(
      values.map((value, i) => producer.send({ topic: "replicated", key: `k${i % 5}`, value })),
    );
  } finally {
    await producer.close();
  }
  const metadata = await admin.metadata(["replicated"]);
  for (const p of metadata.topics[0]?.partitions ?? []) assert.deepEqual([...p.isr].sort(), [1, 2, 3]);

  // A transaction: its coordinator writes markers to leaders on other nodes, over TLS.
  const txn = new Producer({ bootstrap: cluster.bootstrap, transactionalId: "tls-txn", ssl: CLIENT_TLS });
  try {
    await txn.initTransactions();
    txn.beginTransaction();
    for (let p = 0; p < 3; p++)
      await txn.send({ topic: "replicated", partition: p, value: `committed-${p}` });
    await txn.commitTransaction();
  } finally {
    await txn.close();
  }
  const consumer = new Consumer({
    bootstrap: cluster.bootstrap,
    isolationLevel: "read_committed",
    ssl: CLIENT_TLS,
  });
  try {
    consumer.assign(
      [0, 1, 2].map((partition) => ({ topic: "replicated", partition, offset: "earliest" as const })),
    );
    const seen: string[] = [];
    const deadline = Date.now() + 15_000;
    while (seen.length < values.length + 3 && Date.now() < deadline) {
      for (const r of await consumer.poll(500)) seen.push(r.value?.toString() ?? "");
    }
    assert.deepEqual(seen.sort(), [...values, "committed-0", "committed-1", "committed-2"].sort());
  } finally {
    await consumer.close();
  }
  for (const id of cluster.nodeIds) {
    const stats = cluster.node(id)?.broker.networkStats();
    assert.deepEqual(stats?.tlsHandshakeFailuresByReason, {}, `node ${id}: no handshake failed`);
    assert.ok((stats?.tlsHandshakesTotal ?? 0) > 0);
  }
});

test("a client without a certificate is refused at once with BRK_ERR_CLIENT_AUTHENTICATION, not retried until its timeout", async () => {
  const anonymous = new AdminClient({
    bootstrap: cluster.bootstrap,
    timeoutMs: 20_000,
    ssl: { ca: read(certs.caPem) },
  });
  const startedMs = Date.now();
  try {
    await assert.rejects(anonymous.metadata([]), (e: unknown) => {
      assert.equal((e as { code?: string }).code, ClientErrorCode.authentication, String(e));
      assert.match(String(e), /certificate required/);
      return true;
    });
  } finally {
    anonymous.close();
  }
  assert.ok(Date.now() - startedMs < 10_000, "failed without waiting for the timeout");
  const wrongCa = new AdminClient({
    bootstrap: cluster.bootstrap,
    timeoutMs: 20_000,
    ssl: { ...CLIENT_TLS, ca: read(certs.otherCaPem) },
  });
  try {
    await assert.rejects(wrongCa.metadata([]), (e: unknown) => {
      assert.equal((e as { code?: string }).code, ClientErrorCode.authentication, String(e));
      assert.match(
        String(e),
        /TLS handshake with 127\.0\.0\.1:\d+ failed: .*(self-signed|unable to (get|verify))/i,
      );
      return true;
    });
  } finally {
    wrongCa.close();
  }
});

test("the client certificate's subject is the user client quotas match, as Kafka's principal builder names it", async () => {
  const user = "CN=client,O=Acme\\, Inc.,C=US";
  const [altered] = await admin.alterClientQuotas([
    { entity: { user, "client-id": null }, ops: [{ key: "producer_byte_rate", value: 10_000 }] },
  ]);
  assert.equal(altered?.errorCode, ErrorCode.NONE, altered?.errorMessage ?? "");
  const [created] = await admin.createTopics([{ name: "metered", numPartitions: 1, replicationFactor: 1 }]);
  assert.equal(created?.errorCode, ErrorCode.NONE, created?.errorMessage ?? "");
  const leader = (await admin.metadata(["metered"])).topics[0]?.partitions[0]?.leaderId;
  const node = cluster.node(leader as number);
  assert.ok(node !== undefined);
  const connection = await KafkaConnection.connect({
    host: "127.0.0.1",
    port: node.port,
    clientId: "metered",
    connectTimeoutMs: 10_000,
    ssl: CLIENT_TLS,
  });
  try {
    const produce = async () => {
      const records = encodeRecordBatch({
        records: [{ key: null, value: Buffer.alloc(30_000, 1) }],
        baseTimestamp: BigInt(Date.now()),
      });
      const r = await connection.request<ProduceResponse>(ApiKey.Produce, 9, {
        transactionalId: null,
        acks: 1,
        timeoutMs: 5000,
        topicData: [{ name: "metered", partitionData: [{ index: 0, records }] }],
      });
      assert.equal(r.responses[0]?.partitionResponses[0]?.errorCode, ErrorCode.NONE);
      return r.throttleTimeMs;
    };
    // The quota reaches the leader through the metadata log; 30 KB at 10 KB/s then throttles.
    let throttleMs = 0;
    for (let i = 0; i < 20 && throttleMs === 0; i++) {
      throttleMs = await produce();
      if (throttleMs === 0) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.ok(throttleMs > 1000, `throttled for ${throttleMs} ms`);
  } finally {
    connection.close();
  }
});
