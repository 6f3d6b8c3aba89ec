import assert from "node:assert/strict";
import { test } from "node:test";
import { ErrorCode } from "../../src/protocol/index.js";
import { consumerProtocols, ShardHarness, stableGroup } from "./shard-harness.js";

test("heartbeat answers by state: Stable and CompletingRebalance NONE, PreparingRebalance REBALANCE_IN_PROGRESS", () => {
  const h = new ShardHarness();
  const a = h.join({ version: 3 });
  h.advance(0);
  const { memberId, generationId } = h.joinResponse(a);
  assert.equal(h.shard.group("g")?.state, "CompletingRebalance");
  assert.equal(h.heartbeatResponse(h.heartbeat(memberId, generationId)).errorCode, ErrorCode.NONE);
  h.sync(memberId, generationId);
  assert.equal(h.shard.group("g")?.state, "Stable");
  assert.equal(h.heartbeatResponse(h.heartbeat(memberId, generationId)).errorCode, ErrorCode.NONE);
  h.join({ version: 3, clientId: "other" });
  assert.equal(
    h.heartbeatResponse(h.heartbeat(memberId, generationId)).errorCode,
    ErrorCode.REBALANCE_IN_PROGRESS,
  );
});

test("heartbeat errors: INVALID_GROUP_ID, UNKNOWN_MEMBER_ID (unknown group or member), ILLEGAL_GENERATION", () => {
  const h = new ShardHarness();
  const { memberIds, generationId } = stableGroup(h, 1);
  const id = memberIds[0] as string;
  assert.equal(
    h.heartbeatResponse(h.heartbeat(id, generationId, { groupId: "" })).errorCode,
    ErrorCode.INVALID_GROUP_ID,
  );
  assert.equal(
    h.heartbeatResponse(h.heartbeat(id, generationId, { groupId: "x" })).errorCode,
    ErrorCode.UNKNOWN_MEMBER_ID,
  );
  assert.equal(
    h.heartbeatResponse(h.heartbeat("nobody", generationId)).errorCode,
    ErrorCode.UNKNOWN_MEMBER_ID,
  );
  assert.equal(
    h.heartbeatResponse(h.heartbeat(id, generationId - 1)).errorCode,
    ErrorCode.ILLEGAL_GENERATION,
  );
});

test("heartbeats keep a member alive; a member that stops is removed at its session timeout", () => {
  const h = new ShardHarness();
  const { memberIds, generationId } = stableGroup(h, 2, { sessionTimeoutMs: 10_000 });
  const [leader, follower] = memberIds as [string, string];
  for (let i = 0; i < 4; i++) {
    h.advance(4_000);
    assert.equal(h.heartbeatResponse(h.heartbeat(leader, generationId)).errorCode, ErrorCode.NONE);
    if (i < 2) h.heartbeat(follower, generationId);
  }
  // The follower's last heartbeat was at t = 8000: it dies at t = 18000.
  h.advance(1_999);
  assert.equal(h.shard.group("g")?.hasMember(follower), true);
  h.advance(1);
  assert.equal(h.shard.group("g")?.hasMember(follower), false);
  assert.equal(h.shard.group("g")?.state, "PreparingRebalance");
  assert.equal(
    h.heartbeatResponse(h.heartbeat(leader, generationId)).errorCode,
    ErrorCode.REBALANCE_IN_PROGRESS,
  );
  assert.equal(
    h.heartbeatResponse(h.heartbeat(follower, generationId)).errorCode,
    ErrorCode.UNKNOWN_MEMBER_ID,
  );
  const rejoin = h.join({ version: 3, memberId: leader, sessionTimeoutMs: 10_000 });
  assert.equal(h.joinResponse(rejoin).generationId, generationId + 1);
  assert.equal(h.joinResponse(rejoin).members.length, 1);
});

test("a new member parked in a rebalance is dropped after the new-member join timeout", () => {
  const h = new ShardHarness({ groupNewMemberJoinTimeoutMs: 300_000 });
  const { memberIds, generationId } = stableGroup(h, 1, {
    rebalanceTimeoutMs: 600_000,
    sessionTimeoutMs: 1_000_000,
  });
  const newcomer = h.join({
    version: 3,
    clientId: "new",
    rebalanceTimeoutMs: 600_000,
    sessionTimeoutMs: 1_000_000,
  });
  // The old member never rejoins but keeps heartbeating: the barrier waits 600 s.
  for (let t = 0; t < 6; t++) {
    h.advance(60_000);
    h.heartbeat(memberIds[0] as string, generationId);
  }
  h.advance(1);
  const r = h.joinResponse(newcomer);
  assert.equal(r.errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
  assert.equal(r.memberId, "");
});

test("LeaveGroup in a Stable group rebalances; the last member leaving makes it Empty and writes it", () => {
  const h = new ShardHarness();
  const { memberIds, generationId } = stableGroup(h, 2);
  const [leader, follower] = memberIds as [string, string];
  const leave = h.leaveResponse(h.leave([{ memberId: follower }]));
  assert.deepEqual(leave, {
    errorCode: 0,
    members: [{ memberId: follower, groupInstanceId: null, errorCode: 0 }],
  });
  assert.equal(h.shard.group("g")?.state, "PreparingRebalance");
  const rejoin = h.join({ version: 3, memberId: leader });
  assert.equal(h.joinResponse(rejoin).generationId, generationId + 1);
  h.sync(leader, generationId + 1);
  h.leave([{ memberId: leader }]);
  const group = h.shard.group("g");
  assert.equal(group?.state, "Empty");
  assert.equal(group?.generationId, generationId + 2);
  const last = h.log.at(-1);
  assert.ok(last?.type === "groupMetadata" && last.value !== null);
  assert.equal(last.value.generation, generationId + 2);
  assert.deepEqual(last.value.members, []);
  assert.equal(last.value.protocolType, "consumer");
});

test("LeaveGroup v3+ batches members: by member id, by instance id alone, and unknown ones", () => {
  const h = new ShardHarness();
  const a = h.join({ version: 5, groupInstanceId: "i-a" });
  const b = h.join({ version: 5, groupInstanceId: "i-b" });
  const c = h.join({ version: 3 });
  h.advance(0);
  const [ida, idb, idc] = [a, b, c].map((j) => h.joinResponse(j).memberId) as [string, string, string];
  h.sync(ida, 1);
  const r = h.leaveResponse(
    h.leave([
      { memberId: "", groupInstanceId: "i-a" },
      { memberId: idb, groupInstanceId: "i-b" },
      { memberId: "ghost" },
      { memberId: "", groupInstanceId: "i-unknown" },
      { memberId: idc, groupInstanceId: "i-wrong" },
    ]),
  );
  assert.deepEqual(
    r.members.map((m) => m.errorCode),
    [
      ErrorCode.NONE,
      ErrorCode.NONE,
      ErrorCode.UNKNOWN_MEMBER_ID,
      ErrorCode.UNKNOWN_MEMBER_ID,
      ErrorCode.UNKNOWN_MEMBER_ID,
    ],
  );
  assert.deepEqual(
    h.shard
      .group("g")
      ?.allMembers()
      .map((m) => m.memberId),
    [idc],
  );
  assert.equal(h.shard.group("g")?.state, "PreparingRebalance");
});

test("LeaveGroup for an unknown group answers UNKNOWN_MEMBER_ID per member", () => {
  const h = new ShardHarness();
  const r = h.leaveResponse(h.leave([{ memberId: "m" }], "nope"));
  assert.deepEqual(r, {
    errorCode: 0,
    members: [{ memberId: "m", groupInstanceId: null, errorCode: ErrorCode.UNKNOWN_MEMBER_ID }],
  });
  assert.equal(h.leaveResponse(h.leave([{ memberId: "m" }], "")).errorCode, ErrorCode.INVALID_GROUP_ID);
});

test("a member leaving while parked in the join phase: its JoinGroup answered, the barrier completes for the rest", () => {
  const h = new ShardHarness();
  const { memberIds, generationId } = stableGroup(h, 3);
  const [leader, f1, f2] = memberIds as [string, string, string];
  const jl = h.join({ version: 3, memberId: leader });
  const j1 = h.join({ version: 3, memberId: f1 });
  assert.equal(h.answered(jl), false);
  h.leave([{ memberId: f1 }]);
  assert.equal(h.joinResponse(j1).errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
  assert.equal(h.answered(jl), false, "f2 has not rejoined yet");
  h.leave([{ memberId: f2 }]);
  assert.equal(h.joinResponse(jl).generationId, generationId + 1);
  assert.deepEqual(
    h.joinResponse(jl).members.map((m) => m.memberId),
    [leader],
  );
});

test("leader failover: the leader leaves during CompletingRebalance, a follower becomes leader", () => {
  const h = new ShardHarness();
  const joins = [0, 1, 2].map((i) => h.join({ version: 3, clientId: `c${i}` }));
  h.advance(0);
  const responses = joins.map((j) => h.joinResponse(j));
  const leader = responses[0]?.leader as string;
  const followers = responses.map((r) => r.memberId).filter((id) => id !== leader);
  const syncs = followers.map((f) => h.sync(f, 1));
  h.leave([{ memberId: leader }]);
  for (const s of syncs) assert.equal(h.syncResponse(s).errorCode, ErrorCode.REBALANCE_IN_PROGRESS);
  assert.equal(h.shard.group("g")?.state, "PreparingRebalance");
  const rejoins = followers.map((f) => h.join({ version: 3, memberId: f }));
  const r = rejoins.map((j) => h.joinResponse(j));
  assert.equal(r[0]?.generationId, 2);
  assert.ok(followers.includes(r[0]?.leader as string), "a follower leads generation 2");
  const newLeader = r[0]?.leader as string;
  const s = h.sync(
    newLeader,
    2,
    followers.map((f) => ({ memberId: f, assignment: Buffer.from(f) })),
  );
  assert.equal(h.syncResponse(s).assignment.toString(), newLeader);
  assert.equal(h.shard.group("g")?.state, "Stable");
});

test("the leader dies in CompletingRebalance: the parked follower is told to rejoin and leads the next generation", () => {
  const h = new ShardHarness();
  const joins = [0, 1].map((i) =>
    h.join({ version: 3, clientId: `c${i}`, sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 20_000 }),
  );
  h.advance(0);
  const leader = h.joinResponse(joins[0] as number).leader;
  const follower = [0, 1]
    .map((i) => h.joinResponse(joins[i] as number).memberId)
    .find((id) => id !== leader) as string;
  const sf = h.sync(follower, 1);
  // The leader never syncs nor heartbeats; the parked follower is safe from its own session.
  h.advance(9_999);
  assert.equal(h.answered(sf), false);
  h.advance(1);
  assert.equal(h.syncResponse(sf).errorCode, ErrorCode.REBALANCE_IN_PROGRESS);
  assert.equal(h.shard.group("g")?.hasMember(leader), false);
  const rejoin = h.join({
    version: 3,
    memberId: follower,
    sessionTimeoutMs: 10_000,
    rebalanceTimeoutMs: 20_000,
  });
  assert.equal(h.joinResponse(rejoin).generationId, 2);
  assert.equal(h.joinResponse(rejoin).leader, follower);
});

test("a pending member (MEMBER_ID_REQUIRED) can leave", () => {
  const h = new ShardHarness();
  const first = h.join({ version: 4 });
  const memberId = h.joinResponse(first).memberId;
  assert.equal(h.shard.group("g")?.isPendingMember(memberId), true);
  assert.equal(h.leaveResponse(h.leave([{ memberId }])).members[0]?.errorCode, ErrorCode.NONE);
  assert.equal(h.shard.group("g")?.isPendingMember(memberId), false);
});

test("changed subscriptions rebalance; the barrier waits for everyone", () => {
  const h = new ShardHarness();
  const { memberIds, generationId } = stableGroup(h, 2);
  const j = h.join({
    version: 3,
    memberId: memberIds[1] as string,
    protocols: consumerProtocols(["t", "u"]),
  });
  assert.equal(h.answered(j), false);
  const j0 = h.join({ version: 3, memberId: memberIds[0] as string });
  assert.equal(h.joinResponse(j).generationId, generationId + 1);
  assert.equal(h.joinResponse(j0).members.length, 2);
});
