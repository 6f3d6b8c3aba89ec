import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { AdminClient, KafkaConnection } from "../../src/client/index.js";
import { ApiKey, ErrorCode, encodeRecordBatch, type ProduceResponse } from "../../src/protocol/index.js";
import { type BrookCluster, startCluster } from "../../src/server/index.js";
import { waitFor } from "../helpers/wait-for.js";

/**
 * In a three-node cluster, the disk of a partition's leader fails (EIO injected into its storage
 * layer): the broker reports its offline replicas through its session (KRaft's BrokerHeartbeat
 * with offlineLogDirs), and the controller moves the leadership to an in-sync replica on another
 * broker and takes the failed replica out of the ISR. Produces carry on there with acks=all; the
 * failed broker keeps serving the metadata. After its restart, its replica catches up and
 * rejoins the ISR.
 */
let cluster: BrookCluster;
let admin: AdminClient;

before(async () => {
  cluster = await startCluster({ nodes: 3, properties: { "replica.lag.time.max.ms": "2000" } });
  admin = new AdminClient({ bootstrap: cluster.bootstrap, timeoutMs: 10_000 });
});

after(async () => {
  await admin.close();
  await cluster.stop();
});

async function produce(nodeId: number, value: string): Promise<number> {
  const node = cluster.node(nodeId);
  assert.ok(node !== undefined);
  const connection = await KafkaConnection.connect({
    host: "127.0.0.1",
    port: node.port,
    clientId: "dir-failure",
    connectTimeoutMs: 5000,
  });
  try {
    const response = await connection.request<ProduceResponse>(ApiKey.Produce, 9, {
      transactionalId: null,
      acks: -1,
      timeoutMs: 5000,
      topicData: [
        {
          name: "replicated",
          partitionData: [
            {
              index: 0,
              records: encodeRecordBatch({ records: [{ key: null, value: Buffer.from(value) }] }),
            },
          ],
        },
      ],
    });
    return response.responses[0]?.partitionResponses[0]?.errorCode ?? -1;
  } finally {
    connection.close();
  }
}

async function partitionZero() {
  const m = await admin.metadata(["replicated"]);
  const p = m.topics[0]?.partitions[0];
  assert.ok(p !== undefined);
  return p;
}

test("a leader's failed log dir: leadership moves to an in-sync replica, writes go on, the replica comes back", async () => {
  const [created] = await admin.createTopics([
    { name: "replicated", numPartitions: 1, replicationFactor: 3, configs: { "min.insync.replicas": "2" } },
  ]);
  assert.equal(created?.errorCode, ErrorCode.NONE, created?.errorMessage ?? "");
  const initial = await waitFor("a leader with a full ISR", async () => {
    const p = await partitionZero();
    return p.leaderId >= 0 && p.isr.length === 3 ? p : undefined;
  });
  const victim = initial.leaderId;
  assert.equal(await produce(victim, "before"), ErrorCode.NONE);

  const node = cluster.node(victim);
  assert.ok(node !== undefined);
  const dir = node.broker.logManager.logDirs[0] as string;
  node.broker.logManager.faults.fail(dir, "EIO");
  assert.equal(await produce(victim, "refused"), ErrorCode.KAFKA_STORAGE_ERROR);
  node.broker.logManager.faults.heal(dir);

  const moved = await waitFor("the leadership to move off the failed replica", async () => {
    const p = await partitionZero();
    return p.leaderId >= 0 && p.leaderId !== victim && !p.isr.includes(victim) ? p : undefined;
  });
  assert.equal(moved.isr.length, 2);
  assert.equal(await produce(moved.leaderId, "after"), ErrorCode.NONE, "acks=all on the new leader");
  // The failed broker still answers metadata, and names its own replica offline.
  const connection = await KafkaConnection.connect({
    host: "127.0.0.1",
    port: node.port,
    clientId: "dir-failure",
    connectTimeoutMs: 5000,
  });
  try {
    const seen = await connection.request<{
      topics: { name: string; partitions: { leaderId: number; offlineReplicas: number[] }[] }[];
    }>(ApiKey.Metadata, 12, {
      topics: [{ topicId: "AAAAAAAAAAAAAAAAAAAAAA", name: "replicated" }],
      allowAutoTopicCreation: false,
      includeTopicAuthorizedOperations: false,
    });
    assert.equal(seen.topics[0]?.partitions[0]?.leaderId, moved.leaderId);
    assert.deepEqual(seen.topics[0]?.partitions[0]?.offlineReplicas, [victim]);
  } finally {
    connection.close();
  }

  await cluster.stopNode(victim);
  await cluster.startNode(victim);
  await waitFor(
    "the restarted replica back in the ISR",
    async () => {
      const p = await partitionZero();
      return p.isr.includes(victim) ? p : undefined;
    },
    20_000,
  );
});
