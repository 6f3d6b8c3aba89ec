import {
  ApiKey,
  type CreateTopicsResponse,
  ErrorCode,
  type FindCoordinatorResponse,
  type HeartbeatResponse,
  type JoinGroupResponse,
  type OffsetCommitResponse,
  type OffsetFetchResponse,
  type SyncGroupResponse,
  Writer,
} from "../../../src/protocol/index.js";
import { type BrookServer, type StartBrokerOptions, startBroker } from "../../../src/server/index.js";
import { WireClient } from "../../helpers/kafka-wire.js";

/**
 * An in-process broker for the group API tests, with a few `__consumer_offsets` partitions (fast
 * to create) and raw clients, one per simulated member: a parked JoinGroup holds back every later
 * response on its connection, so members never share one.
 */
export interface GroupTestBroker {
  readonly server: BrookServer;
  readonly client: WireClient;
  connect(): Promise<WireClient>;
  stop(): Promise<void>;
}

export const OFFSETS_PARTITIONS = 3;
export const SESSION_TIMEOUT_MS = 10_000;

export async function startGroupBroker(options: StartBrokerOptions = {}): Promise<GroupTestBroker> {
  const server = await startBroker({
    ...options,
    properties: { "offsets.topic.num.partitions": String(OFFSETS_PARTITIONS), ...options.properties },
  });
  const clients: WireClient[] = [];
  const connect = async () => {
    const c = await WireClient.connect(server.port);
    clients.push(c);
    return c;
  };
  const client = await connect();
  return {
    server,
    client,
    connect,
    stop: async () => {
      for (const c of clients) c.close();
      await server.stop();
    },
  };
}

/** FindCoordinator v0 for `groupId` (creating `__consumer_offsets`), then waits until it is loaded. */
export async function coordinatorReady(
  b: GroupTestBroker,
  groupId: string,
): Promise<FindCoordinatorResponse> {
  const response = await b.client.request<FindCoordinatorResponse>(ApiKey.FindCoordinator, 0, {
    key: groupId,
  });
  if (response.errorCode !== ErrorCode.NONE) throw new Error(`FindCoordinator failed: ${response.errorCode}`);
  const runtime = b.server.broker.groupCoordinator;
  const partition = runtime.partitionFor(groupId);
  for (let i = 0; i < 500 && runtime.partitionStatus(partition) !== "active"; i++) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  if (runtime.partitionStatus(partition) !== "active") throw new Error(`partition ${partition} never loaded`);
  return response;
}

export async function createTopic(client: WireClient, name: string, numPartitions: number): Promise<void> {
  const response = await client.request<CreateTopicsResponse>(ApiKey.CreateTopics, 5, {
    topics: [{ name, numPartitions, replicationFactor: 1, assignments: [], configs: [] }],
    timeoutMs: 5000,
  });
  const error = response.topics[0]?.errorCode;
  if (error !== ErrorCode.NONE) throw new Error(`creating ${name} failed with error ${error}`);
}

/** A `ConsumerProtocolSubscription` v0: the topics, no user data. */
export function subscription(topics: readonly string[]): Buffer {
  const w = new Writer(64);
  w.int16(0);
  w.int32(topics.length);
  for (const t of topics) w.string(t);
  w.int32(-1);
  return w.toBuffer();
}

export interface JoinOptions {
  groupId: string;
  memberId?: string;
  groupInstanceId?: string | null;
  protocols?: { name: string; metadata: Buffer }[];
  protocolType?: string;
  sessionTimeoutMs?: number;
}

/** Sends a JoinGroup without waiting (it may be parked until the rebalance completes). */
export function sendJoin(client: WireClient, version: number, o: JoinOptions): Promise<JoinGroupResponse> {
  const id = client.send(ApiKey.JoinGroup, version, {
    groupId: o.groupId,
    sessionTimeoutMs: o.sessionTimeoutMs ?? SESSION_TIMEOUT_MS,
    rebalanceTimeoutMs: SESSION_TIMEOUT_MS,
    memberId: o.memberId ?? "",
    groupInstanceId: o.groupInstanceId ?? null,
    protocolType: o.protocolType ?? "consumer",
    protocols: o.protocols ?? [{ name: "range", metadata: subscription(["orders"]) }],
    reason: null,
  });
  return client.receive<JoinGroupResponse>(ApiKey.JoinGroup, version).then((r) => {
    if (r.correlationId !== id) throw new Error(`correlation id ${r.correlationId}, expected ${id}`);
    return r.body;
  });
}

/** JoinGroup v5 twice (KIP-394): once for a member id, once with it. */
export async function joinWithMemberId(client: WireClient, o: JoinOptions): Promise<JoinGroupResponse> {
  const first = await sendJoin(client, 5, o);
  if (first.errorCode !== ErrorCode.MEMBER_ID_REQUIRED) return first;
  return sendJoin(client, 5, { ...o, memberId: first.memberId });
}

export function syncGroup(
  client: WireClient,
  version: number,
  groupId: string,
  generationId: number,
  memberId: string,
  assignments: { memberId: string; assignment: Buffer }[] = [],
  extra: { groupInstanceId?: string | null; protocolType?: string | null; protocolName?: string | null } = {},
): Promise<SyncGroupResponse> {
  return client.request<SyncGroupResponse>(ApiKey.SyncGroup, version, {
    groupId,
    generationId,
    memberId,
    groupInstanceId: extra.groupInstanceId ?? null,
    protocolType: extra.protocolType ?? null,
    protocolName: extra.protocolName ?? null,
    assignments,
  });
}

export function heartbeat(
  client: WireClient,
  version: number,
  groupId: string,
  generationId: number,
  memberId: string,
  groupInstanceId: string | null = null,
): Promise<HeartbeatResponse> {
  return client.request<HeartbeatResponse>(ApiKey.Heartbeat, version, {
    groupId,
    generationId,
    memberId,
    groupInstanceId,
  });
}

/** A one-member group, joined (v5) and synced (v3) with `assignment`: Stable, generation 1. */
export async function stableGroup(
  client: WireClient,
  groupId: string,
  assignment = Buffer.from("assignment"),
): Promise<{ memberId: string; generationId: number }> {
  const joined = await joinWithMemberId(client, { groupId });
  if (joined.errorCode !== ErrorCode.NONE) throw new Error(`JoinGroup failed: ${joined.errorCode}`);
  const synced = await syncGroup(client, 3, groupId, joined.generationId, joined.memberId, [
    { memberId: joined.memberId, assignment },
  ]);
  if (synced.errorCode !== ErrorCode.NONE) throw new Error(`SyncGroup failed: ${synced.errorCode}`);
  return { memberId: joined.memberId, generationId: joined.generationId };
}

/** OffsetCommit at `version` of `offsets` (topic -> partition -> offset), as a simple commit by default. */
export async function commit(
  client: WireClient,
  version: number,
  groupId: string,
  offsets: Record<string, Record<number, bigint>>,
  member: { generationId: number; memberId: string } = { generationId: -1, memberId: "" },
): Promise<OffsetCommitResponse> {
  return client.request<OffsetCommitResponse>(ApiKey.OffsetCommit, version, {
    groupId,
    generationIdOrMemberEpoch: member.generationId,
    memberId: member.memberId,
    groupInstanceId: null,
    retentionTimeMs: -1n,
    topics: Object.entries(offsets).map(([name, partitions]) => ({
      name,
      partitions: Object.entries(partitions).map(([p, offset]) => ({
        partitionIndex: Number(p),
        committedOffset: offset,
        committedLeaderEpoch: -1,
        commitTimestamp: -1n,
        committedMetadata: `meta-${p}`,
      })),
    })),
  });
}

/** OffsetFetch v1-7 for one group: partition -> committed offset (of `topic`). */
export async function fetchCommitted(
  client: WireClient,
  version: number,
  groupId: string,
  topic: string,
  partitions: number[],
): Promise<OffsetFetchResponse> {
  return client.request<OffsetFetchResponse>(ApiKey.OffsetFetch, version, {
    groupId,
    topics: [{ name: topic, partitionIndexes: partitions }],
    requireStable: false,
  });
}

/** Every commit error code of an OffsetCommit response, flattened. */
export function commitErrors(response: OffsetCommitResponse): number[] {
  return response.topics.flatMap((t) => t.partitions.map((p) => p.errorCode));
}
