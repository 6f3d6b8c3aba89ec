import assert from "node:assert/strict";
import { test } from "node:test";
import { ErrorCode } from "../../src/protocol/index.js";
import { consumerProtocols, ShardHarness } from "./shard-harness.js";

/** A Stable group of static members i-0..i-(n-1) (JoinGroup v5), synced with assignments. */
function staticGroup(h: ShardHarness, n: number, sessionTimeoutMs = 10_000) {
  const joins = Array.from({ length: n }, (_, i) =>
    h.join({ version: 5, groupInstanceId: `i-${i}`, sessionTimeoutMs }),
  );
  h.advance(0);
  const ids = joins.map((j) => h.joinResponse(j).memberId);
  const leader = h.joinResponse(joins[0] as number).leader;
  for (const id of ids) {
    h.sync(id, 1, id === leader ? ids.map((m) => ({ memberId: m, assignment: Buffer.from(`a-${m}`) })) : [], {
      groupInstanceId: `i-${ids.indexOf(id)}`,
    });
  }
  assert.equal(h.shard.group("g")?.state, "Stable");
  return { ids, leader };
}

test("static member ids are groupInstanceId-uuid; no MEMBER_ID_REQUIRED for them", () => {
  const h = new ShardHarness();
  const j = h.join({ version: 5, groupInstanceId: "host-1" });
  h.advance(0);
  assert.match(h.joinResponse(j).memberId, /^host-1-uuid-\d+$/);
});

test("a restarted static member replaces its old id without a rebalance (KIP-345)", () => {
  const h = new ShardHarness();
  const { ids, leader } = staticGroup(h, 3);
  const follower = ids.find((id) => id !== leader) as string;
  const instance = `i-${ids.indexOf(follower)}`;
  const restart = h.join({ version: 5, groupInstanceId: instance });
  const r = h.joinResponse(restart);
  assert.equal(r.errorCode, ErrorCode.NONE);
  assert.notEqual(r.memberId, follower);
  assert.equal(r.generationId, 1, "same generation: no rebalance");
  assert.equal(r.leader, leader);
  assert.equal(h.shard.group("g")?.state, "Stable");
  // It gets its old assignment back.
  const s = h.syncResponse(h.sync(r.memberId, 1, [], { groupInstanceId: instance }));
  assert.equal(s.assignment.toString(), `a-${follower}`);
  // The others carry on; the old id is fenced.
  assert.equal(
    h.heartbeatResponse(h.heartbeat(leader, 1, { groupInstanceId: "i-0" })).errorCode,
    ErrorCode.NONE,
  );
  const fenced = h.heartbeatResponse(h.heartbeat(follower, 1, { groupInstanceId: instance }));
  assert.equal(fenced.errorCode, ErrorCode.FENCED_INSTANCE_ID);
  // The new id is durable.
  const last = h.log.at(-1);
  assert.ok(last?.type === "groupMetadata" && last.value !== null);
  assert.ok(last.value.members.some((m) => m.memberId === r.memberId && m.groupInstanceId === instance));
});

test("a restarted static leader: below v9 it is told the old leader id; from v9 it skips the assignment", () => {
  const h = new ShardHarness();
  const { ids, leader } = staticGroup(h, 2);
  const r5 = h.joinResponse(h.join({ version: 5, groupInstanceId: "i-0" }));
  assert.equal(r5.leader, leader, "the old id: the restarted leader must not compute an assignment");
  assert.deepEqual(r5.members, []);
  assert.equal(r5.skipAssignment, false);
  const r9 = h.joinResponse(h.join({ version: 9, groupInstanceId: "i-0" }));
  assert.equal(r9.leader, r9.memberId);
  assert.equal(r9.skipAssignment, true);
  assert.equal(r9.members.length, 2);
  assert.ok(r9.members.some((m) => m.memberId === ids[1]));
  assert.equal(h.shard.group("g")?.generationId, 1);
});

test("a restarted static member whose protocols change the group's choice triggers a rebalance", () => {
  const h = new ShardHarness();
  staticGroup(h, 1);
  // It still supports the group's protocol (else INCONSISTENT_GROUP_PROTOCOL), but now prefers another.
  const j = h.join({
    version: 5,
    groupInstanceId: "i-0",
    protocols: consumerProtocols(["t"], ["roundrobin", "range"]),
  });
  // The only member has rejoined, so the rebalance completes at once: a new generation.
  const r = h.joinResponse(j);
  assert.equal(r.protocolName, "roundrobin");
  assert.equal(r.generationId, 2);
  assert.equal(h.shard.group("g")?.state, "CompletingRebalance");
});

test("a static member restarting during CompletingRebalance triggers a rebalance; its old parked sync is fenced", () => {
  const h = new ShardHarness();
  const a = h.join({ version: 5, groupInstanceId: "i-a" });
  const b = h.join({ version: 5, groupInstanceId: "i-b" });
  h.advance(0);
  const ra = h.joinResponse(a);
  const rb = h.joinResponse(b);
  const follower = ra.memberId === ra.leader ? rb : ra;
  const instance = follower === ra ? "i-a" : "i-b";
  const parked = h.sync(follower.memberId, 1, [], { groupInstanceId: instance });
  const restart = h.join({ version: 5, groupInstanceId: instance });
  assert.equal(h.syncResponse(parked).errorCode, ErrorCode.FENCED_INSTANCE_ID);
  assert.equal(h.shard.group("g")?.state, "PreparingRebalance");
  assert.equal(h.answered(restart), false);
});

test("FENCED_INSTANCE_ID for a stale member id of an instance: join, sync, heartbeat, commit, leave", () => {
  const h = new ShardHarness();
  const { ids } = staticGroup(h, 2);
  const old = ids[1] as string;
  h.join({ version: 5, groupInstanceId: "i-1" });
  const stale = { groupInstanceId: "i-1" };
  assert.equal(
    h.joinResponse(h.join({ version: 5, memberId: old, ...stale })).errorCode,
    ErrorCode.FENCED_INSTANCE_ID,
  );
  assert.equal(h.syncResponse(h.sync(old, 1, [], stale)).errorCode, ErrorCode.FENCED_INSTANCE_ID);
  assert.equal(h.heartbeatResponse(h.heartbeat(old, 1, stale)).errorCode, ErrorCode.FENCED_INSTANCE_ID);
  assert.deepEqual(h.commitErrors(h.commit({ generationId: 1, memberId: old, ...stale })), [
    `t-0:${ErrorCode.FENCED_INSTANCE_ID}`,
  ]);
  assert.equal(
    h.leaveResponse(h.leave([{ memberId: old, ...stale }])).members[0]?.errorCode,
    ErrorCode.FENCED_INSTANCE_ID,
  );
  // An instance id the group does not know is UNKNOWN_MEMBER_ID.
  assert.equal(
    h.heartbeatResponse(h.heartbeat(old, 1, { groupInstanceId: "i-9" })).errorCode,
    ErrorCode.UNKNOWN_MEMBER_ID,
  );
});

test("static members that do not rejoin are kept through the join phase, not the sync phase", () => {
  const h = new ShardHarness();
  const { ids, leader } = staticGroup(h, 2, 60_000);
  const other = ids.find((id) => id !== leader) as string;
  // The leader rejoins: a rebalance, bounded by the rebalance timeout (30 s). The other is offline.
  const j = h.join({
    version: 5,
    memberId: leader,
    groupInstanceId: `i-${ids.indexOf(leader)}`,
    sessionTimeoutMs: 60_000,
  });
  h.advance(29_999);
  assert.equal(h.answered(j), false);
  h.advance(1);
  const r = h.joinResponse(j);
  assert.equal(r.generationId, 2);
  assert.equal(r.members.length, 2, "the offline static member keeps its place");
  assert.equal(h.shard.group("g")?.hasMember(other), true);
  h.advance(30_000);
  assert.equal(h.shard.group("g")?.hasMember(other), false, "removed when the sync phase ended without it");
});

test("a static member's restart whose group record fails to append restores the old member id", () => {
  const h = new ShardHarness();
  const { ids } = staticGroup(h, 2);
  h.failNextAppendWith = ErrorCode.NOT_LEADER_OR_FOLLOWER;
  const r = h.joinResponse(h.join({ version: 5, groupInstanceId: "i-1" }));
  assert.equal(r.errorCode, ErrorCode.NOT_COORDINATOR);
  assert.equal(r.memberId, "");
  assert.equal(h.shard.group("g")?.staticMemberId("i-1"), ids[1]);
  assert.equal(
    h.heartbeatResponse(h.heartbeat(ids[1] as string, 1, { groupInstanceId: "i-1" })).errorCode,
    ErrorCode.NONE,
  );
});

test("regression (sim seed 1887): a restarted member that never synced is removed with its JoinGroup answered", () => {
  const h = new ShardHarness();
  const a = h.join({ version: 5, groupInstanceId: "i-a", sessionTimeoutMs: 60_000 });
  const b = h.join({ version: 5, groupInstanceId: "i-b", sessionTimeoutMs: 60_000 });
  h.advance(0);
  const ra = h.joinResponse(a);
  const leaderInstance = ra.memberId === ra.leader ? "i-a" : "i-b";
  const followerInstance = leaderInstance === "i-a" ? "i-b" : "i-a";
  h.sync(ra.leader, 1, [], { groupInstanceId: leaderInstance });
  assert.equal(h.shard.group("g")?.state, "Stable");
  // The follower restarts before ever sending SyncGroup; its group record append stays in flight.
  h.autoCompleteAppends = false;
  const restart = h.join({ version: 5, groupInstanceId: followerInstance, sessionTimeoutMs: 60_000 });
  assert.equal(h.answered(restart), false);
  // The sync phase (rebalance timeout 30 s) ends without its SyncGroup: it is removed, and answered.
  h.advance(30_000);
  assert.equal(h.shard.group("g")?.hasStaticMember(followerInstance), false);
  // The answer is out once the append before it completes.
  for (const id of h.pendingAppendIds()) h.completeAppend(id);
  assert.equal(h.joinResponse(restart).errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
  h.assertAllAnswered();
  assert.equal(h.joinResponse(b).errorCode, 0);
});
