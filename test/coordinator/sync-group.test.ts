import assert from "node:assert/strict";
import { test } from "node:test";
import { ErrorCode } from "../../src/protocol/index.js";
import { ShardHarness, stableGroup } from "./shard-harness.js";

function completingGroup(
  h: ShardHarness,
  n: number,
): { leader: string; followers: string[]; generationId: number } {
  const joins = Array.from({ length: n }, (_, i) => h.join({ version: 3, clientId: `c${i}` }));
  h.advance(0);
  const responses = joins.map((j) => h.joinResponse(j));
  const leader = (responses[0] as (typeof responses)[0]).leader;
  return {
    leader,
    followers: responses.map((r) => r.memberId).filter((id) => id !== leader),
    generationId: (responses[0] as (typeof responses)[0]).generationId,
  };
}

test("followers wait for the leader; the leader's assignment reaches everyone once it is durable", () => {
  const h = new ShardHarness();
  const { leader, followers, generationId } = completingGroup(h, 3);
  const [f1, f2] = followers as [string, string];
  const s1 = h.sync(f1, generationId);
  assert.equal(h.answered(s1), false);
  h.autoCompleteAppends = false;
  const sl = h.sync(leader, generationId, [
    { memberId: leader, assignment: Buffer.from("L") },
    { memberId: f1, assignment: Buffer.from("F1") },
    { memberId: "not-a-member", assignment: Buffer.from("X") },
  ]);
  assert.equal(h.answered(sl), false, "the leader's answer waits for the group record");
  assert.equal(h.answered(s1), false);
  const [appendId] = h.pendingAppendIds();
  const record = h.shard.group("g");
  assert.equal(record?.state, "CompletingRebalance");
  h.completeAppend(appendId as number);
  assert.deepEqual(h.syncResponse(sl), {
    errorCode: 0,
    protocolType: "consumer",
    protocolName: "range",
    assignment: Buffer.from("L"),
  });
  assert.deepEqual(h.syncResponse(s1).assignment, Buffer.from("F1"));
  assert.equal(h.shard.group("g")?.state, "Stable");
  // f2 syncs late: it gets its (empty: the leader left it out) assignment from the Stable group.
  const s2 = h.syncResponse(h.sync(f2, generationId));
  assert.equal(s2.errorCode, ErrorCode.NONE);
  assert.equal(s2.assignment.length, 0);
  // The durable record holds the assignment.
  const last = h.log.at(-1);
  assert.ok(last?.type === "groupMetadata" && last.value !== null);
  assert.deepEqual(Object.fromEntries(last.value.members.map((m) => [m.memberId, m.assignment.toString()])), {
    [leader]: "L",
    [f1]: "F1",
    [f2]: "",
  });
});

test("a failed append of the assignment fails every parked SyncGroup and rebalances", () => {
  const h = new ShardHarness();
  const { leader, followers, generationId } = completingGroup(h, 2);
  const sf = h.sync(followers[0] as string, generationId);
  h.autoCompleteAppends = false;
  const sl = h.sync(leader, generationId, [{ memberId: leader, assignment: Buffer.from("L") }]);
  h.completeAppend(h.pendingAppendIds()[0] as number, ErrorCode.NOT_LEADER_OR_FOLLOWER);
  assert.equal(h.syncResponse(sl).errorCode, ErrorCode.NOT_COORDINATOR);
  assert.equal(h.syncResponse(sf).errorCode, ErrorCode.NOT_COORDINATOR);
  assert.equal(h.shard.group("g")?.state, "PreparingRebalance");
  const h2 = new ShardHarness();
  const g2 = completingGroup(h2, 1);
  h2.failNextAppendWith = ErrorCode.NOT_ENOUGH_REPLICAS;
  assert.equal(
    h2.syncResponse(h2.sync(g2.leader, g2.generationId)).errorCode,
    ErrorCode.COORDINATOR_NOT_AVAILABLE,
  );
});

test("SyncGroup errors: unknown group or member, illegal generation, rebalance in progress, inconsistent protocol", () => {
  const h = new ShardHarness();
  const { memberIds, generationId } = stableGroup(h, 2);
  const [leader] = memberIds as [string];
  assert.equal(
    h.syncResponse(h.sync(leader, generationId, [], { groupId: "" })).errorCode,
    ErrorCode.INVALID_GROUP_ID,
  );
  assert.equal(
    h.syncResponse(h.sync(leader, generationId, [], { groupId: "nope" })).errorCode,
    ErrorCode.UNKNOWN_MEMBER_ID,
  );
  assert.equal(h.syncResponse(h.sync("who", generationId)).errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
  assert.equal(h.syncResponse(h.sync(leader, generationId + 1)).errorCode, ErrorCode.ILLEGAL_GENERATION);
  const v5 = h.syncResponse(
    h.sync(leader, generationId, [], { protocolType: "consumer", protocolName: "roundrobin" }),
  );
  assert.equal(v5.errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
  const ok = h.syncResponse(
    h.sync(leader, generationId, [], { protocolType: "consumer", protocolName: "range" }),
  );
  assert.equal(ok.errorCode, ErrorCode.NONE);
  h.join({ version: 3, clientId: "newcomer" });
  assert.equal(h.syncResponse(h.sync(leader, generationId)).errorCode, ErrorCode.REBALANCE_IN_PROGRESS);
});

test("a member that never sends SyncGroup is removed after the rebalance timeout, and the group rebalances", () => {
  const h = new ShardHarness();
  const joins = [0, 1].map((i) =>
    h.join({ version: 3, clientId: `c${i}`, rebalanceTimeoutMs: 15_000, sessionTimeoutMs: 60_000 }),
  );
  h.advance(0);
  const leader = h.joinResponse(joins[0] as number).leader;
  const silent = [0, 1]
    .map((i) => h.joinResponse(joins[i] as number).memberId)
    .find((id) => id !== leader) as string;
  const sl = h.sync(leader, 1, [{ memberId: leader, assignment: Buffer.from("L") }]);
  assert.equal(h.syncResponse(sl).errorCode, ErrorCode.NONE);
  h.advance(14_999);
  assert.equal(h.shard.group("g")?.size, 2);
  h.advance(1);
  assert.equal(h.shard.group("g")?.hasMember(silent), false);
  assert.equal(h.shard.group("g")?.state, "PreparingRebalance");
  assert.equal(h.heartbeatResponse(h.heartbeat(leader, 1)).errorCode, ErrorCode.REBALANCE_IN_PROGRESS);
});
