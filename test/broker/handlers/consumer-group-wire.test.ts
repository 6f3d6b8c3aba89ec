import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { after, before, test } from "node:test";
import { promisify } from "node:util";
import { describeWithLag } from "../../../src/console/groups-api.js";
import {
  ApiKey,
  type ApiVersionsResponse,
  type ConsumerGroupDescribeResponse,
  type ConsumerGroupHeartbeatResponse,
  ErrorCode,
  type ListGroupsResponse,
  type MetadataResponse,
} from "../../../src/protocol/index.js";
import { BROOK_MAIN } from "../../interop/broker-process.js";
import { coordinatorReady, createTopic, type GroupTestBroker, startGroupBroker } from "./group-wire.js";

const run = promisify(execFile);

/**
 * KIP-848 on the wire: ApiVersions offers ConsumerGroupHeartbeat and ConsumerGroupDescribe only
 * with `group.coordinator.rebalance.protocols` including consumer; a member joins over the wire
 * and gets the topic's partitions by topic id; ConsumerGroupDescribe and ListGroups v5 show it.
 */

let b: GroupTestBroker;
before(async () => {
  b = await startGroupBroker();
  await createTopic(b.client, "orders", 4);
  await coordinatorReady(b, "wire-group");
});
after(async () => {
  await b.stop();
});

async function advertised(broker: GroupTestBroker): Promise<Map<number, [number, number]>> {
  const r = await broker.client.request<ApiVersionsResponse>(ApiKey.ApiVersions, 3, {
    clientSoftwareName: "test",
    clientSoftwareVersion: "1",
  });
  return new Map(r.apiKeys.map((k) => [k.apiKey, [k.minVersion, k.maxVersion]]));
}

test("ApiVersions offers ConsumerGroupHeartbeat 0-1 and ConsumerGroupDescribe 0 by default (classic,consumer)", async () => {
  const apis = await advertised(b);
  assert.deepEqual(apis.get(ApiKey.ConsumerGroupHeartbeat), [0, 1]);
  assert.deepEqual(apis.get(ApiKey.ConsumerGroupDescribe), [0, 0]);
});

test("with group.coordinator.rebalance.protocols=classic they are not offered", async () => {
  const classic = await startGroupBroker({
    properties: { "group.coordinator.rebalance.protocols": "classic" },
  });
  try {
    const apis = await advertised(classic);
    assert.equal(apis.has(ApiKey.ConsumerGroupHeartbeat), false);
    assert.equal(apis.has(ApiKey.ConsumerGroupDescribe), false);
    assert.ok(apis.has(ApiKey.JoinGroup));
  } finally {
    await classic.stop();
  }
});

test("a member joins over the wire, gets every partition by topic id, and is described and listed", async () => {
  const metadata = await b.client.request<MetadataResponse>(ApiKey.Metadata, 12, {
    topics: [{ name: "orders", topicId: "AAAAAAAAAAAAAAAAAAAAAA" }],
    allowAutoTopicCreation: false,
    includeTopicAuthorizedOperations: false,
  });
  const topicId = metadata.topics[0]?.topicId;
  const joined = await b.client.request<ConsumerGroupHeartbeatResponse>(ApiKey.ConsumerGroupHeartbeat, 1, {
    groupId: "wire-group",
    memberId: "member-1",
    memberEpoch: 0,
    rebalanceTimeoutMs: 30_000,
    subscribedTopicNames: ["orders"],
    topicPartitions: [],
  });
  assert.equal(joined.errorCode, ErrorCode.NONE);
  assert.equal(joined.memberEpoch, 1);
  assert.equal(joined.heartbeatIntervalMs, 5_000);
  assert.deepEqual(joined.assignment?.topicPartitions, [{ topicId, partitions: [0, 1, 2, 3] }]);

  const described = await b.client.request<ConsumerGroupDescribeResponse>(ApiKey.ConsumerGroupDescribe, 0, {
    groupIds: ["wire-group", "nope"],
    includeAuthorizedOperations: false,
  });
  const [group, unknown] = described.groups;
  assert.equal(group?.groupState, "Stable");
  assert.equal(group?.members[0]?.memberId, "member-1");
  assert.deepEqual(group?.members[0]?.assignment.topicPartitions, [
    { topicId, topicName: "orders", partitions: [0, 1, 2, 3] },
  ]);
  assert.equal(unknown?.errorCode, ErrorCode.GROUP_ID_NOT_FOUND);

  const listed = await b.client.request<ListGroupsResponse>(ApiKey.ListGroups, 5, {
    statesFilter: [],
    typesFilter: ["consumer"],
  });
  assert.deepEqual(
    listed.groups.map((g) => [g.groupId, g.groupType, g.protocolType, g.groupState]),
    [["wire-group", "consumer", "consumer", "Stable"]],
  );

  // The web console's view: members, the server assignor, partitions by topic name.
  const [info] = await describeWithLag(b.server.broker, b.server.broker.groupCoordinator, ["wire-group"]);
  assert.equal(info?.state, "Stable");
  assert.equal(info?.protocol, "uniform");
  assert.deepEqual(
    info?.members.map((m) => [m.memberId, m.assignment]),
    [["member-1", [{ topic: "orders", partitions: [0, 1, 2, 3] }]]],
  );

  // kafka-consumer-groups --describe --members, Brook's: the member, its client and partitions.
  const { stdout } = await run(process.execPath, [
    BROOK_MAIN,
    "consumer-groups",
    "--bootstrap-server",
    `127.0.0.1:${b.server.port}`,
    "--describe",
    "--group",
    "wire-group",
    "--members",
    "--verbose",
  ]);
  // Kafka 4.0's columns: #PARTITIONS, CURRENT-EPOCH, CURRENT-ASSIGNMENT, TARGET-EPOCH, TARGET-ASSIGNMENT.
  assert.match(
    stdout,
    /wire-group\s+member-1\s+\/127\.0\.0\.1\s+\S+\s+4\s+1\s+orders:0,1,2,3\s+1\s+orders:0,1,2,3/,
    stdout,
  );

  // A v1 join without a member id is refused: the client names itself.
  const anonymous = await b.client.request<ConsumerGroupHeartbeatResponse>(ApiKey.ConsumerGroupHeartbeat, 1, {
    groupId: "wire-group",
    memberId: "",
    memberEpoch: 0,
    rebalanceTimeoutMs: 30_000,
    subscribedTopicNames: ["orders"],
    topicPartitions: [],
  });
  assert.equal(anonymous.errorCode, ErrorCode.INVALID_REQUEST);
  assert.equal(anonymous.errorMessage, "MemberId can't be empty.");
});

test("ConsumerGroupHeartbeat v0: the coordinator names a new member, with a Kafka Uuid", async () => {
  const joined = await b.client.request<ConsumerGroupHeartbeatResponse>(ApiKey.ConsumerGroupHeartbeat, 0, {
    groupId: "wire-group-v0",
    memberId: "",
    memberEpoch: 0,
    rebalanceTimeoutMs: 30_000,
    subscribedTopicNames: ["orders"],
    topicPartitions: [],
  });
  assert.equal(joined.errorCode, ErrorCode.NONE);
  assert.match(joined.memberId ?? "", /^[A-Za-z0-9_-]{22}$/);
});
