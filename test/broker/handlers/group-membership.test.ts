import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import {
  ApiKey,
  type DescribeGroupsResponse,
  ErrorCode,
  type LeaveGroupResponse,
} from "../../../src/protocol/index.js";
import {
  coordinatorReady,
  type GroupTestBroker,
  heartbeat,
  joinWithMemberId,
  sendJoin,
  stableGroup,
  startGroupBroker,
  subscription,
  syncGroup,
} from "./group-wire.js";

let b: GroupTestBroker;
before(async () => {
  b = await startGroupBroker();
  await coordinatorReady(b, "any");
});
after(async () => {
  await b.stop();
});

async function groupState(groupId: string): Promise<string | undefined> {
  const response = await b.client.request<DescribeGroupsResponse>(ApiKey.DescribeGroups, 0, {
    groups: [groupId],
  });
  return response.groups[0]?.groupState;
}

test("JoinGroup v0-v3 admit a member without a member id at once (no MEMBER_ID_REQUIRED below v4)", async () => {
  for (const version of [0, 3]) {
    const groupId = `old-join-v${version}`;
    const joined = await sendJoin(b.client, version, { groupId });
    assert.equal(joined.errorCode, ErrorCode.NONE);
    assert.notEqual(joined.memberId, "");
    assert.equal(joined.generationId, 1);
    assert.equal(joined.leader, joined.memberId);
    assert.equal(joined.protocolName, "range");
    assert.deepEqual(
      joined.members.map((m) => [m.memberId, m.metadata]),
      [[joined.memberId, subscription(["orders"])]],
    );
  }
});

test("JoinGroup v4+ answers MEMBER_ID_REQUIRED with the member id filled, then admits that id", async () => {
  for (const version of [4, 6, 7, 9]) {
    const groupId = `kip-394-v${version}`;
    const first = await sendJoin(b.client, version, { groupId });
    assert.equal(first.errorCode, ErrorCode.MEMBER_ID_REQUIRED, `v${version}`);
    assert.notEqual(first.memberId, "");
    assert.equal(first.generationId, -1);
    // Below v7 the protocol name is a non-null string; from v7 an error carries null.
    assert.equal(first.protocolName, version >= 7 ? null : "");
    const second = await sendJoin(b.client, version, { groupId, memberId: first.memberId });
    assert.equal(second.errorCode, ErrorCode.NONE);
    assert.equal(second.memberId, first.memberId);
    assert.equal(second.leader, first.memberId);
    assert.equal(second.protocolName, "range");
    if (version >= 7) assert.equal(second.protocolType, "consumer");
    if (version >= 9) assert.equal(second.skipAssignment, false);
  }
});

test("JoinGroup with a session timeout below group.min.session.timeout.ms is refused", async () => {
  const joined = await sendJoin(b.client, 2, { groupId: "short-session", sessionTimeoutMs: 1000 });
  assert.equal(joined.errorCode, ErrorCode.INVALID_SESSION_TIMEOUT);
});

test("SyncGroup v0 and v5 hand each member the leader's assignment", async () => {
  const joined = await joinWithMemberId(b.client, { groupId: "sync-old" });
  const synced = await syncGroup(b.client, 0, "sync-old", joined.generationId, joined.memberId, [
    { memberId: joined.memberId, assignment: Buffer.from("mine") },
  ]);
  assert.equal(synced.errorCode, ErrorCode.NONE);
  assert.deepEqual(synced.assignment, Buffer.from("mine"));
  assert.equal(await groupState("sync-old"), "Stable");

  const flexible = await joinWithMemberId(b.client, { groupId: "sync-flexible" });
  const names = { protocolType: "consumer", protocolName: "range" };
  const synced5 = await syncGroup(
    b.client,
    5,
    "sync-flexible",
    flexible.generationId,
    flexible.memberId,
    [{ memberId: flexible.memberId, assignment: Buffer.from("flex") }],
    names,
  );
  assert.equal(synced5.errorCode, ErrorCode.NONE);
  assert.deepEqual(synced5.assignment, Buffer.from("flex"));
  assert.equal(synced5.protocolType, "consumer");
  assert.equal(synced5.protocolName, "range");
  const mismatch = await syncGroup(
    b.client,
    5,
    "sync-flexible",
    flexible.generationId,
    flexible.memberId,
    [],
    {
      protocolType: "consumer",
      protocolName: "roundrobin",
    },
  );
  assert.equal(mismatch.errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
});

test("Heartbeat: NONE for a member, UNKNOWN_MEMBER_ID and ILLEGAL_GENERATION for impostors", async () => {
  const { memberId, generationId } = await stableGroup(b.client, "beats");
  for (const version of [0, 4]) {
    assert.equal(
      (await heartbeat(b.client, version, "beats", generationId, memberId)).errorCode,
      ErrorCode.NONE,
    );
    assert.equal(
      (await heartbeat(b.client, version, "beats", generationId, "stranger")).errorCode,
      ErrorCode.UNKNOWN_MEMBER_ID,
    );
    assert.equal(
      (await heartbeat(b.client, version, "beats", generationId + 1, memberId)).errorCode,
      ErrorCode.ILLEGAL_GENERATION,
    );
  }
});

test("a second member's join makes the first one's heartbeat REBALANCE_IN_PROGRESS, then both join generation 2", async () => {
  const first = await stableGroup(b.client, "rebalance");
  const other = await b.connect();
  const pending = joinWithMemberId(other, { groupId: "rebalance" });
  let beat = await heartbeat(b.client, 3, "rebalance", first.generationId, first.memberId);
  for (let i = 0; i < 100 && beat.errorCode === ErrorCode.NONE; i++) {
    await new Promise((resolve) => setTimeout(resolve, 10));
    beat = await heartbeat(b.client, 3, "rebalance", first.generationId, first.memberId);
  }
  assert.equal(beat.errorCode, ErrorCode.REBALANCE_IN_PROGRESS);
  assert.equal(await groupState("rebalance"), "PreparingRebalance");
  const rejoined = await sendJoin(b.client, 5, { groupId: "rebalance", memberId: first.memberId });
  const joined = await pending;
  assert.equal(rejoined.errorCode, ErrorCode.NONE);
  assert.equal(joined.errorCode, ErrorCode.NONE);
  assert.equal(rejoined.generationId, 2);
  assert.equal(joined.generationId, 2);
  assert.equal(rejoined.leader, first.memberId);
  assert.equal(rejoined.members.length, 2);
  assert.equal(joined.members.length, 0);
  assert.equal(await groupState("rebalance"), "CompletingRebalance");
});

test("LeaveGroup v0-2 name one member and fold the member's error into the one error code", async () => {
  const { memberId } = await stableGroup(b.client, "leave-old");
  const unknown = await b.client.request<LeaveGroupResponse>(ApiKey.LeaveGroup, 1, {
    groupId: "leave-old",
    memberId: "stranger",
  });
  assert.equal(unknown.errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
  const left = await b.client.request<LeaveGroupResponse>(ApiKey.LeaveGroup, 0, {
    groupId: "leave-old",
    memberId,
  });
  assert.equal(left.errorCode, ErrorCode.NONE);
  assert.equal(await groupState("leave-old"), "Empty");
});

test("LeaveGroup v3-5 batch members and answer each", async () => {
  const { memberId } = await stableGroup(b.client, "leave-batch");
  const response = await b.client.request<LeaveGroupResponse>(ApiKey.LeaveGroup, 5, {
    groupId: "leave-batch",
    members: [
      { memberId, groupInstanceId: null, reason: "shutting down" },
      { memberId: "stranger", groupInstanceId: null, reason: null },
    ],
  });
  assert.equal(response.errorCode, ErrorCode.NONE);
  assert.deepEqual(
    response.members.map((m) => [m.memberId, m.errorCode]),
    [
      [memberId, ErrorCode.NONE],
      ["stranger", ErrorCode.UNKNOWN_MEMBER_ID],
    ],
  );
  assert.equal(await groupState("leave-batch"), "Empty");
  const unknownGroup = await b.client.request<LeaveGroupResponse>(ApiKey.LeaveGroup, 3, {
    groupId: "no-such-group",
    members: [{ memberId: "m", groupInstanceId: null }],
  });
  assert.equal(unknownGroup.errorCode, ErrorCode.NONE);
  assert.equal(unknownGroup.members[0]?.errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
});

test("a static member that restarts keeps its assignment without a rebalance; its old id is fenced", async () => {
  const groupId = "static";
  const instance = { groupId, groupInstanceId: "instance-1" };
  const first = await sendJoin(b.client, 5, instance);
  assert.equal(first.errorCode, ErrorCode.NONE, "a static member needs no member id round");
  const synced = await syncGroup(
    b.client,
    3,
    groupId,
    first.generationId,
    first.memberId,
    [{ memberId: first.memberId, assignment: Buffer.from("static-assignment") }],
    { groupInstanceId: "instance-1" },
  );
  assert.equal(synced.errorCode, ErrorCode.NONE);

  const restarted = await b.connect();
  const again = await sendJoin(restarted, 5, instance);
  assert.equal(again.errorCode, ErrorCode.NONE);
  assert.notEqual(again.memberId, first.memberId);
  assert.equal(again.generationId, first.generationId, "no new generation");
  assert.equal(await groupState(groupId), "Stable");
  const resynced = await syncGroup(restarted, 3, groupId, again.generationId, again.memberId, [], {
    groupInstanceId: "instance-1",
  });
  assert.equal(resynced.errorCode, ErrorCode.NONE);
  assert.deepEqual(resynced.assignment, Buffer.from("static-assignment"));

  const fenced = await heartbeat(b.client, 4, groupId, first.generationId, first.memberId, "instance-1");
  assert.equal(fenced.errorCode, ErrorCode.FENCED_INSTANCE_ID);
  assert.equal(
    (await heartbeat(restarted, 4, groupId, again.generationId, again.memberId, "instance-1")).errorCode,
    ErrorCode.NONE,
  );
});
