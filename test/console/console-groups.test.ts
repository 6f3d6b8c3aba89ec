import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { silentLogger } from "../../src/base/index.js";
import { ConsoleServer, decodeConsumerAssignment, type GroupsView } from "../../src/console/index.js";
import type {
  DescribedGroup,
  GroupCoordinatorRuntime,
  ListGroupsResponse,
  OffsetFetchResponseGroup,
} from "../../src/coordinator/index.js";
import {
  ApiKey,
  type CreateTopicsResponse,
  ErrorCode,
  encodeRecordBatch,
  type ProduceResponse,
  Writer,
} from "../../src/protocol/index.js";
import { type BrookServer, startBroker } from "../../src/server/index.js";
import { WireClient } from "../helpers/kafka-wire.js";
import { getJson } from "./console-http.js";
import { parsePrometheusText, sampleValue } from "./prometheus-parse.js";

// The coordinator's runtime is a GroupsView as it is: the server can hand it to the console unchanged.
export type RuntimeIsGroupsView = GroupCoordinatorRuntime extends GroupsView ? true : never;
const runtimeIsGroupsView: RuntimeIsGroupsView = true;

/** A consumer assignment as Kafka's ConsumerProtocolAssignment v0 encodes it. */
function assignment(topics: [string, number[]][]): Buffer {
  const w = new Writer();
  w.int16(0);
  w.int32(topics.length);
  for (const [topic, partitions] of topics) {
    w.string(topic);
    w.int32(partitions.length);
    for (const p of partitions) w.int32(p);
  }
  w.int32(-1); // user data: null
  return w.toBuffer();
}

/** The coordinator's read side, as a fake: one stable group consuming `orders`. */
class FakeGroups implements GroupsView {
  listErrorCode: number = ErrorCode.NONE;
  committed = new Map<number, bigint>([
    [0, 4n],
    [1, 10n],
    [2, 7n],
  ]);

  listGroups(): Promise<ListGroupsResponse> {
    return Promise.resolve({
      errorCode: this.listErrorCode,
      groups:
        this.listErrorCode === ErrorCode.NONE
          ? [{ groupId: "billing", protocolType: "consumer", groupState: "Stable", groupType: "classic" }]
          : [],
    });
  }

  describeGroups(groupIds: readonly string[]): Promise<DescribedGroup[]> {
    return Promise.resolve(
      groupIds.map((groupId) =>
        groupId === "billing"
          ? {
              errorCode: ErrorCode.NONE,
              groupId,
              groupState: "Stable",
              protocolType: "consumer",
              protocolData: "range",
              members: [
                {
                  memberId: "m-1",
                  groupInstanceId: null,
                  clientId: "billing-app",
                  clientHost: "/10.0.0.7",
                  memberMetadata: Buffer.alloc(0),
                  memberAssignment: assignment([["orders", [0, 1]]]),
                },
              ],
            }
          : {
              errorCode: ErrorCode.NONE,
              groupId,
              groupState: "Dead",
              protocolType: "",
              protocolData: "",
              members: [],
            },
      ),
    );
  }

  fetchOffsets(groups: readonly { groupId: string }[]): Promise<OffsetFetchResponseGroup[]> {
    return Promise.resolve(
      groups.map(({ groupId }) => ({
        groupId,
        errorCode: ErrorCode.NONE,
        topics:
          groupId === "billing"
            ? [
                {
                  name: "orders",
                  partitions: [...this.committed].map(([partitionIndex, committedOffset]) => ({
                    partitionIndex,
                    committedOffset,
                    committedLeaderEpoch: 0,
                    metadata: "",
                    errorCode: ErrorCode.NONE,
                  })),
                },
              ]
            : [],
      })),
    );
  }
}

let server: BrookServer;
let consoleServer: ConsoleServer;
let url: string;
const groups = new FakeGroups();

/** Appends `count` records to one partition of `orders` in one batch (Produce v7, acks=all). */
async function produce(client: WireClient, partition: number, count: number): Promise<void> {
  const records = encodeRecordBatch({
    records: Array.from({ length: count }, (_, i) => ({ key: null, value: Buffer.from(`value-${i}`) })),
    baseTimestamp: BigInt(Date.now()),
  });
  const response = await client.request<ProduceResponse>(ApiKey.Produce, 7, {
    acks: -1,
    timeoutMs: 5000,
    topicData: [{ name: "orders", partitionData: [{ index: partition, records }] }],
  });
  assert.equal(response.responses[0]?.partitionResponses[0]?.errorCode, ErrorCode.NONE);
}

before(async () => {
  server = await startBroker({ properties: { "num.partitions": "3" } });
  const client = await WireClient.connect(server.port);
  try {
    const created = await client.request<CreateTopicsResponse>(ApiKey.CreateTopics, 5, {
      topics: [{ name: "orders", numPartitions: 3, replicationFactor: 1, assignments: [], configs: [] }],
      timeoutMs: 5000,
      validateOnly: false,
    });
    assert.equal(created.topics[0]?.errorCode, ErrorCode.NONE);
    await produce(client, 0, 10);
    await produce(client, 1, 10);
    await produce(client, 2, 10);
  } finally {
    client.close();
  }
  consoleServer = await ConsoleServer.start({
    broker: server.broker,
    listeners: [{ host: "127.0.0.1", port: 0 }],
    log: silentLogger,
    groups,
  });
  url = consoleServer.urls[0] as string;
});

after(async () => {
  await consoleServer.stop();
  await server.stop();
});

test("/api/groups lists groups with members and total lag against the high watermark", async () => {
  const list = await getJson<unknown[]>(url, "/api/groups");
  assert.deepEqual(list, [
    {
      groupId: "billing",
      state: "Stable",
      protocolType: "consumer",
      protocol: "range",
      memberCount: 1,
      partitionCount: 3,
      totalLag: 6 + 0 + 3,
    },
  ]);
});

test("/api/groups/:id shows each member's assignment and the lag per partition", async () => {
  const g = await getJson<{
    members: { memberId: string; clientId: string; assignment: unknown }[];
    partitions: {
      topic: string;
      partition: number;
      committedOffset: number;
      highWatermark: number;
      lag: number;
      memberId: string | null;
    }[];
    totalLag: number;
  }>(url, "/api/groups/billing");
  assert.deepEqual(g.members[0]?.assignment, [{ topic: "orders", partitions: [0, 1] }]);
  assert.deepEqual(
    g.partitions.map((p) => [p.partition, p.committedOffset, p.highWatermark, p.lag, p.memberId]),
    [
      [0, 4, 10, 6, "m-1"],
      [1, 10, 10, 0, "m-1"],
      [2, 7, 10, 3, null],
    ],
  );
  assert.equal(g.totalLag, 9);
  const unknown = await fetch(`${url}/api/groups/nobody`);
  assert.equal(unknown.status, 404);
  const encoded = await fetch(`${url}/api/groups/${encodeURIComponent("a/b c")}`);
  assert.equal(encoded.status, 404);
  assert.match(((await encoded.json()) as { message: string }).message, /'a\/b c'/);
});

test("/metrics exposes consumer lag per group and partition", async () => {
  const res = await fetch(`${url}/metrics`);
  const m = parsePrometheusText(await res.text());
  assert.equal(
    sampleValue(m, "brook_consumer_group_lag", { group: "billing", topic: "orders", partition: "0" }),
    6,
  );
  assert.equal(
    sampleValue(m, "brook_consumer_group_lag", { group: "billing", topic: "orders", partition: "2" }),
    3,
  );
  assert.equal(sampleValue(m, "brook_consumer_group_lag_sum", { group: "billing" }), 9);
  assert.equal(sampleValue(m, "brook_consumer_group_members", { group: "billing" }), 1);
});

test("a coordinator still loading answers 503 for groups and leaves /metrics whole", async () => {
  groups.listErrorCode = ErrorCode.COORDINATOR_LOAD_IN_PROGRESS;
  try {
    const res = await fetch(`${url}/api/groups`);
    assert.equal(res.status, 503);
    assert.equal(res.headers.get("retry-after"), "1");
    const metrics = await fetch(`${url}/metrics`);
    assert.equal(metrics.status, 200);
    const m = parsePrometheusText(await metrics.text());
    assert.equal(m.has("brook_consumer_group_lag"), false);
    assert.ok(m.has("brook_requests_total"));
  } finally {
    groups.listErrorCode = ErrorCode.NONE;
  }
});

test("the group coordinator runtime fits the console's GroupsView", () => {
  assert.equal(runtimeIsGroupsView, true);
});

test("consumer assignments decode, and anything else is 'unknown' rather than an error", () => {
  assert.deepEqual(
    decodeConsumerAssignment(
      assignment([
        ["a", [1, 2]],
        ["b", []],
      ]),
    ),
    [
      { topic: "a", partitions: [1, 2] },
      { topic: "b", partitions: [] },
    ],
  );
  assert.deepEqual(decodeConsumerAssignment(Buffer.alloc(0)), []);
  assert.equal(decodeConsumerAssignment(Buffer.from([0, 0, 0x7f, 0xff, 0xff, 0xff])), null);
  assert.equal(decodeConsumerAssignment(Buffer.from([0xff, 0xff])), null);
  assert.equal(decodeConsumerAssignment(Buffer.from("not an assignment at all")), null);
});
