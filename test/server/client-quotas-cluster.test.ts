import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { AdminClient } from "../../src/client/index.js";
import {
  type AlterClientQuotasResponse,
  ApiKey,
  type DescribeClientQuotasResponse,
  ErrorCode,
  encodeRecordBatch,
  type MetadataResponse,
  type ProduceResponse,
} from "../../src/protocol/index.js";
import { type BrookCluster, startCluster } from "../../src/server/index.js";
import { WireClient } from "../helpers/kafka-wire.js";
import { waitFor } from "../helpers/wait-for.js";

/**
 * Client quotas in a three-node in-process cluster: altered through a node that is not the
 * controller (forwarded, as KRaft brokers forward AlterClientQuotas), committed as ClientQuota
 * records, and applied by every node from the metadata log: DescribeClientQuotas answers the same
 * everywhere, and a producer is throttled by a broker it never sent the quota to.
 */

let cluster: BrookCluster;
const clients: WireClient[] = [];

before(async () => {
  cluster = await startCluster({ nodes: 3, properties: { "quota.window.num": "2" } });
});

after(async () => {
  for (const c of clients) c.close();
  await cluster.stop();
});

async function wireTo(id: number): Promise<WireClient> {
  const node = cluster.node(id);
  assert.ok(node, `node ${id} runs`);
  const client = await WireClient.connect(node.port);
  clients.push(client);
  return client;
}

const ENTITY = [
  { entityType: "user", entityName: "ANONYMOUS" },
  { entityType: "client-id", entityName: "metered" },
];

test("a quota altered through one node is described by every node and throttles on another", async () => {
  const probe = await wireTo(1);
  const metadata = await probe.request<MetadataResponse>(ApiKey.Metadata, 12, {
    topics: null,
    allowAutoTopicCreation: false,
    includeTopicAuthorizedOperations: false,
  });
  const controllerId = metadata.controllerId;
  const [viaId, throttledOnId] = [1, 2, 3].filter((id) => id !== controllerId) as [number, number];

  const via = await wireTo(viaId);
  const altered = await via.request<AlterClientQuotasResponse>(ApiKey.AlterClientQuotas, 1, {
    entries: [{ entity: ENTITY, ops: [{ key: "producer_byte_rate", value: 10_000, remove: false }] }],
    validateOnly: false,
  });
  assert.deepEqual(
    altered.entries.map((e) => e.errorCode),
    [ErrorCode.NONE],
  );
  for (const id of [1, 2, 3]) {
    const node = await wireTo(id);
    const described = await waitFor(`node ${id} describes the quota`, async () => {
      const r = await node.request<DescribeClientQuotasResponse>(ApiKey.DescribeClientQuotas, 1, {
        components: [{ entityType: "client-id", matchType: 0, match: "metered" }],
        strict: false,
      });
      return r.entries?.length === 1 ? r : undefined;
    });
    assert.deepEqual(described.entries?.[0]?.values, [{ key: "producer_byte_rate", value: 10_000 }]);
  }

  // A topic with a partition led by the node that never saw the AlterClientQuotas request.
  const admin = new AdminClient({
    bootstrap: cluster.node(throttledOnId)?.bootstrap ?? "",
    timeoutMs: 10_000,
  });
  try {
    const [created] = await admin.createTopics([{ name: "metered", assignments: [[throttledOnId]] }]);
    assert.equal(created?.errorCode, ErrorCode.NONE, created?.errorMessage ?? "");
  } finally {
    await admin.close();
  }
  const producer = await wireTo(throttledOnId);
  const produce = async (clientId: string) => {
    const records = encodeRecordBatch({
      records: [{ key: null, value: Buffer.alloc(30_000, 1) }],
      baseTimestamp: BigInt(Date.now()),
    });
    const response = await waitFor(`node ${throttledOnId} leads metered-0`, async () => {
      producer.send(
        ApiKey.Produce,
        9,
        {
          transactionalId: null,
          acks: 1,
          timeoutMs: 5000,
          topicData: [{ name: "metered", partitionData: [{ index: 0, records }] }],
        },
        clientId,
      );
      const r = (await producer.receive<ProduceResponse>(ApiKey.Produce, 9)).body;
      return r.responses[0]?.partitionResponses[0]?.errorCode === ErrorCode.NONE ? r : undefined;
    });
    return response.throttleTimeMs;
  };
  assert.equal(await produce("unmetered"), 0);
  const throttleMs = await produce("metered");
  assert.ok(throttleMs > 1000, `node ${throttledOnId} throttled the metered client for ${throttleMs} ms`);
});
