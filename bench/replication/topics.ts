/**
 * Topic helpers of the replication benchmark: create a one-partition topic on given replicas (the
 * first is the preferred leader), wait until its leader and ISR are in place, read its end offset,
 * and a one-record acks=all Produce through the bench's own connections (the failover probe).
 */
import type { BrokerEndpoint } from "../../src/client/index.js";
import {
  ApiKey,
  ErrorCode,
  encodeRecordBatch,
  type ListOffsetsResponse,
  type ProduceResponse,
} from "../../src/protocol/index.js";
import type { BenchCluster } from "./cluster.js";

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Creates `name` with one partition on `replicas` (leader first) and waits until every replica is in the ISR. */
export async function createTopic(
  cluster: BenchCluster,
  name: string,
  replicas: readonly number[],
  configs: Record<string, string> = {},
): Promise<void> {
  const admin = cluster.admin();
  try {
    const [result] = await admin.createTopics([{ name, assignments: [replicas], configs }]);
    if (result?.errorCode !== ErrorCode.NONE)
      throw new Error(`CreateTopics ${name}: error ${result?.errorCode} ${result?.errorMessage ?? ""}`);
  } finally {
    admin.close();
  }
  await waitPartition(
    cluster,
    name,
    (p) => p.leaderId === replicas[0] && p.isr.length === replicas.length,
    15_000,
  );
}

export async function deleteTopic(cluster: BenchCluster, name: string): Promise<void> {
  const admin = cluster.admin();
  try {
    await admin.deleteTopics([name]);
  } finally {
    admin.close();
  }
}

export interface PartitionView {
  leaderId: number;
  leaderEpoch: number;
  replicas: number[];
  isr: number[];
}

/** Polls every live node's Metadata until each shows the partition as `ok` says. */
export async function waitPartition(
  cluster: BenchCluster,
  topic: string,
  ok: (p: PartitionView) => boolean,
  timeoutMs: number,
): Promise<PartitionView> {
  const deadline = Date.now() + timeoutMs;
  let last = "";
  for (;;) {
    const views = await Promise.all(
      cluster.alive().map(async (id) => {
        const admin = cluster.admin([id], 2000);
        try {
          const md = await admin.metadata([topic]);
          return md.topics[0]?.partitions[0];
        } catch (error) {
          last = String(error);
          return undefined;
        } finally {
          admin.close();
        }
      }),
    );
    if (views.every((v) => v !== undefined && v.errorCode === ErrorCode.NONE && ok(v)))
      return views[0] as PartitionView;
    last = JSON.stringify(views.map((v) => v && { l: v.leaderId, isr: v.isr, e: v.errorCode }));
    if (Date.now() > deadline)
      throw new Error(`partition ${topic}-0 not as expected within ${timeoutMs} ms: ${last}`);
    await sleep(50);
  }
}

/** The latest offset (log end as consumers see it: the high watermark) of partition 0 on its leader. */
export async function endOffset(cluster: BenchCluster, leader: number, topic: string): Promise<bigint> {
  const response = await cluster.connections.request<ListOffsetsResponse>(
    cluster.node(leader).endpoint,
    ApiKey.ListOffsets,
    4,
    {
      replicaId: -1,
      isolationLevel: 0,
      topics: [{ name: topic, partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1n }] }],
    },
    { timeoutMs: 5000, purpose: "bench-list-offsets" },
  );
  const p = response.topics[0]?.partitions[0];
  if (p === undefined || p.errorCode !== ErrorCode.NONE)
    throw new Error(`ListOffsets ${topic}: ${p?.errorCode}`);
  return p.offset;
}

/** One acks=all Produce of one record to partition 0 through `endpoint`; resolves with the error code. */
export async function produceOne(
  cluster: BenchCluster,
  endpoint: BrokerEndpoint,
  topic: string,
  value: Buffer,
  timeoutMs: number,
  purpose: string,
): Promise<number> {
  const response = await cluster.connections.request<ProduceResponse>(
    endpoint,
    ApiKey.Produce,
    9,
    {
      transactionalId: null,
      acks: -1,
      timeoutMs,
      topicData: [
        {
          name: topic,
          partitionData: [{ index: 0, records: encodeRecordBatch({ records: [{ key: null, value }] }) }],
        },
      ],
    },
    { timeoutMs: timeoutMs + 1000, purpose },
  );
  return response.responses[0]?.partitionResponses[0]?.errorCode ?? -1;
}
