import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import kafkajs from "kafkajs";
import { AdminClient, type ClientSasl, KafkaConnection, Producer } from "../../src/client/index.js";
import {
  AclOperation,
  AclPermissionType,
  ApiKey,
  ErrorCode,
  type MetadataResponse,
  PatternType,
  ResourceType,
} from "../../src/protocol/index.js";
import { type BrookCluster, startCluster } from "../../src/server/index.js";
import { waitFor } from "../helpers/wait-for.js";

/**
 * ACLs in a three-node in-process cluster whose only listener is SASL_PLAINTEXT, with the
 * authorizer on every node: the nodes talk to each other as User:broker (replica fetches,
 * forwarding to the controller, transaction markers), which super.users lets do everything, as
 * Kafka requires; an ACL created through one node reaches every node through the metadata log
 * and holds on a node that restarts; a request forwarded to the controller is authorized as the
 * client that sent it, not as the forwarding node.
 */
const USERS = { broker: "broker-secret", admin: "admin-secret", alice: "alice-secret", bob: "bob-secret" };
type User = keyof typeof USERS;
const JAAS = `org.apache.kafka.common.security.plain.PlainLoginModule required username="broker" password="broker-secret" ${Object.entries(
  USERS,
)
  .map(([u, p]) => `user_${u}="${p}"`)
  .join(" ")};`;
const sasl = (user: User): ClientSasl => ({ mechanism: "PLAIN", username: user, password: USERS[user] });

let cluster: BrookCluster;
const clients: AdminClient[] = [];

before(async () => {
  cluster = await startCluster({
    nodes: 3,
    properties: {
      listeners: "SASL_PLAINTEXT://127.0.0.1:0",
      "advertised.listeners": "SASL_PLAINTEXT://127.0.0.1:0",
      "listener.security.protocol.map": "SASL_PLAINTEXT:SASL_PLAINTEXT",
      "sasl.enabled.mechanisms": "PLAIN",
      "sasl.mechanism.inter.broker.protocol": "PLAIN",
      "listener.name.sasl_plaintext.plain.sasl.jaas.config": JAAS,
      "authorizer.class.name": "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
      "super.users": "User:broker;User:admin",
      "transaction.state.log.num.partitions": "3",
      "etcd.session.timeout.ms": "1500",
    },
  });
});

after(async () => {
  for (const c of clients) c.close();
  await cluster?.stop();
});

const addressOf = (id: number) => {
  const server = cluster.node(id);
  assert.ok(server !== undefined, `node ${id} runs`);
  return server.bootstrap;
};

/** An admin client bound to one node (its bootstrap alone). */
function adminOn(id: number, user: User): AdminClient {
  const client = new AdminClient({ bootstrap: addressOf(id), timeoutMs: 15_000, sasl: sasl(user) });
  clients.push(client);
  return client;
}

/** The topic's error code in a Metadata answer of one node to one user. */
async function topicErrorOn(id: number, user: User, topic: string): Promise<number> {
  const [host, port] = addressOf(id).split(":");
  const connection = await KafkaConnection.connect({
    host: host as string,
    port: Number(port),
    clientId: "acl-cluster",
    connectTimeoutMs: 5000,
    sasl: sasl(user),
  });
  try {
    const response = await connection.request<MetadataResponse>(ApiKey.Metadata, 12, {
      topics: [{ name: topic, topicId: null }],
      allowAutoTopicCreation: false,
    });
    return response.topics[0]?.errorCode ?? -1;
  } finally {
    connection.close();
  }
}

const allowAlice = (topic: string, operation: number) => ({
  pattern: { resourceType: ResourceType.TOPIC, name: topic, patternType: PatternType.LITERAL },
  entry: { principal: "User:alice", host: "*", operation, permissionType: AclPermissionType.ALLOW },
});

test("an ACL created through one node holds on every node, and on a node after its restart", async () => {
  const { controllerId } = await adminOn(1, "admin").describeCluster();
  const [other, third] = cluster.nodeIds.filter((id) => id !== controllerId) as [number, number];
  // Created through a node that is not the controller: forwarded, decided once, replayed everywhere.
  const viaOther = adminOn(other, "admin");
  const [created] = await viaOther.createTopics([{ name: "shared", numPartitions: 3, replicationFactor: 3 }]);
  assert.equal(created?.errorCode, ErrorCode.NONE, created?.errorMessage ?? "");
  const results = await viaOther.createAcls([
    allowAlice("shared", AclOperation.WRITE),
    allowAlice("shared", AclOperation.DESCRIBE),
  ]);
  assert.deepEqual(
    results.map((r) => r.error),
    [null, null],
  );
  for (const id of cluster.nodeIds) {
    await waitFor(`node ${id} to apply alice's ACL`, async () =>
      (await topicErrorOn(id, "alice", "shared")) === ErrorCode.NONE ? true : undefined,
    );
    assert.equal(await topicErrorOn(id, "bob", "shared"), ErrorCode.TOPIC_AUTHORIZATION_FAILED);
  }
  // Replication under the authorizer: followers fetch as User:broker; acks=all needs all three.
  const producer = new Producer({ bootstrap: cluster.bootstrap, acks: -1, sasl: sasl("alice"), lingerMs: 0 });
  try {
    await Promise.all(
      Array.from({ length: 12 }, (_, i) => producer.send({ topic: "shared", value: `v${i}` })),
    );
  } finally {
    await producer.close();
  }
  const metadata = await adminOn(third, "admin").metadata(["shared"]);
  for (const p of metadata.topics[0]?.partitions ?? []) assert.deepEqual([...p.isr].sort(), [1, 2, 3]);

  await cluster.stopNode(third);
  await cluster.startNode(third);
  await waitFor(
    "the restarted node to know alice's ACL",
    async () => ((await topicErrorOn(third, "alice", "shared")) === ErrorCode.NONE ? true : undefined),
    15_000,
  );
  assert.equal(await topicErrorOn(third, "bob", "shared"), ErrorCode.TOPIC_AUTHORIZATION_FAILED);
  const listed = await adminOn(third, "admin").describeAcls({
    patternFilter: { resourceType: ResourceType.TOPIC, name: "shared", patternType: PatternType.ANY },
    entryFilter: {
      principal: null,
      host: null,
      operation: AclOperation.ANY,
      permissionType: AclPermissionType.ANY,
    },
  });
  assert.deepEqual(
    listed.map((b) => b.entry.operation).sort(),
    [AclOperation.WRITE, AclOperation.DESCRIBE].sort(),
  );
});

test("a forwarded request is authorized as its client: bob cannot create ACLs or topics through any node", async () => {
  const { controllerId } = await adminOn(1, "admin").describeCluster();
  for (const id of cluster.nodeIds) {
    const bob = adminOn(id, "bob");
    const [refused] = await bob.createAcls([allowAlice("bobs", AclOperation.READ)]);
    assert.equal(refused?.error?.errorCode, ErrorCode.CLUSTER_AUTHORIZATION_FAILED, `through node ${id}`);
    const [topic] = await bob.createTopics([{ name: `bobs-${id}`, numPartitions: 1, replicationFactor: 1 }]);
    assert.equal(topic?.errorCode, ErrorCode.TOPIC_AUTHORIZATION_FAILED, `through node ${id}`);
  }
  const all = await adminOn(controllerId, "admin").describeAcls({
    patternFilter: { resourceType: ResourceType.TOPIC, name: "bobs", patternType: PatternType.ANY },
    entryFilter: {
      principal: null,
      host: null,
      operation: AclOperation.ANY,
      permissionType: AclPermissionType.ANY,
    },
  });
  assert.deepEqual(all, []);
});

test("transactions across nodes: markers go out as User:broker; alice needs WRITE on her transactional id", async () => {
  const admin = adminOn(1, "admin");
  const [created] = await admin.createTopics([
    { name: "txn-spread", numPartitions: 3, replicationFactor: 3 },
  ]);
  assert.equal(created?.errorCode, ErrorCode.NONE, created?.errorMessage ?? "");
  const kafka = new kafkajs.Kafka({
    clientId: "acl-txn",
    brokers: cluster.bootstrap.split(","),
    sasl: { mechanism: "plain", username: "alice", password: USERS.alice },
    logLevel: kafkajs.logLevel.NOTHING,
    retry: { retries: 3, initialRetryTime: 100, maxRetryTime: 1000 },
  });
  const transactional = () =>
    kafka.producer({ transactionalId: "alice-tx", idempotent: true, maxInFlightRequests: 1 });
  // kafkajs asks for its producer id (FindCoordinator, InitProducerId) at the first transaction.
  const denied = transactional();
  await denied.connect();
  // kafkajs reports FindCoordinator's TRANSACTIONAL_ID_AUTHORIZATION_FAILED as no coordinator found.
  await assert.rejects(denied.transaction(), /Failed to find group coordinator/);
  const denials = cluster.nodeIds.map(
    (id) => cluster.node(id)?.broker.authorizer?.stats.denialsByResourceType.transactional_id ?? 0,
  );
  assert.ok(
    denials.some((n) => n > 0),
    `a node denied the transactional id: ${denials}`,
  );
  await denied.disconnect();
  await admin.createAcls([
    allowAlice("txn-spread", AclOperation.WRITE),
    allowAlice("txn-spread", AclOperation.DESCRIBE),
    {
      pattern: {
        resourceType: ResourceType.TRANSACTIONAL_ID,
        name: "alice-tx",
        patternType: PatternType.LITERAL,
      },
      entry: {
        principal: "User:alice",
        host: "*",
        operation: AclOperation.WRITE,
        permissionType: AclPermissionType.ALLOW,
      },
    },
  ]);
  const producer = transactional();
  await producer.connect();
  try {
    const txn = await waitFor(
      "a transaction once every node applied the ACLs",
      () => producer.transaction(),
      15_000,
    );
    await txn.send({
      topic: "txn-spread",
      messages: [0, 1, 2].map((p) => ({ partition: p, value: `t${p}` })),
    });
    await txn.commit();
  } finally {
    await producer.disconnect();
  }
  // The last stable offsets move past the markers once the coordinator wrote them to each leader.
  const partitions = [0, 1, 2].map((partition) => ({ topic: "txn-spread", partition }));
  await waitFor(
    "every partition's last stable offset past the commit marker",
    async () =>
      (await admin.listOffsets(partitions, "latest", { isolationLevel: "read_committed" })).every(
        (o) => o.offset === 2n,
      )
        ? true
        : undefined,
    15_000,
  );
});
