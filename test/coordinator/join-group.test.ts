import assert from "node:assert/strict";
import { test } from "node:test";
import { ErrorCode } from "../../src/protocol/index.js";
import { consumerProtocols, ShardHarness, stableGroup, subscription } from "./shard-harness.js";

test("a new group's first member gets generation 1, is leader and sees its own metadata", () => {
  const h = new ShardHarness();
  const j = h.join({ version: 3, clientId: "app" });
  assert.equal(h.answered(j), false, "parked until the initial rebalance delay has passed");
  h.advance(0);
  const r = h.joinResponse(j);
  assert.equal(r.errorCode, ErrorCode.NONE);
  assert.equal(r.generationId, 1);
  assert.match(r.memberId, /^app-uuid-\d+$/);
  assert.equal(r.leader, r.memberId);
  assert.equal(r.protocolType, "consumer");
  assert.equal(r.protocolName, "range");
  assert.deepEqual(
    r.members.map((m) => [m.memberId, m.groupInstanceId, m.metadata]),
    [[r.memberId, null, subscription(["t"])]],
  );
  assert.equal(h.shard.group("g")?.state, "CompletingRebalance");
});

test("JoinGroup v4+ requires a member id (KIP-394) and returns it; v0-3 does not", () => {
  const h = new ShardHarness();
  for (const version of [4, 5, 9]) {
    const j = h.join({ version, clientId: `v${version}` });
    const r = h.joinResponse(j);
    assert.equal(r.errorCode, ErrorCode.MEMBER_ID_REQUIRED);
    assert.match(r.memberId, new RegExp(`^v${version}-uuid-\\d+$`));
    assert.equal(h.shard.group("g")?.size, 0, "a pending member is not a member yet");
  }
  const h2 = new ShardHarness();
  for (const version of [0, 1, 2, 3]) {
    const j = h2.join({ version, clientId: `v${version}` });
    assert.equal(h2.answered(j), false, `v${version} is parked in the rebalance, not told to rejoin`);
  }
  h2.advance(0);
  assert.equal(h2.shard.group("g")?.size, 4);
});

test("the member id handed out with MEMBER_ID_REQUIRED joins the group on the second JoinGroup", () => {
  const h = new ShardHarness();
  const first = h.join({ version: 5 });
  const memberId = h.joinResponse(first).memberId;
  const second = h.join({ version: 5, memberId });
  h.advance(0);
  const r = h.joinResponse(second);
  assert.equal(r.errorCode, ErrorCode.NONE);
  assert.equal(r.memberId, memberId);
  assert.equal(r.leader, memberId);
});

test("a pending member holds the join barrier until it rejoins or its session times out", () => {
  const h = new ShardHarness();
  const { memberIds, generationId } = stableGroup(h, 1);
  const pending = h.join({ version: 5, sessionTimeoutMs: 6_000 });
  assert.equal(h.joinResponse(pending).errorCode, ErrorCode.MEMBER_ID_REQUIRED);
  // The leader rejoins: a rebalance, which waits for the pending member.
  const rejoin = h.join({ version: 5, memberId: memberIds[0] });
  h.advance(5_999);
  assert.equal(h.answered(rejoin), false);
  h.advance(1);
  const r = h.joinResponse(rejoin);
  assert.equal(r.generationId, generationId + 1);
  assert.deepEqual(
    r.members.map((m) => m.memberId),
    [memberIds[0]],
  );
});

test("request errors: INVALID_GROUP_ID, INVALID_SESSION_TIMEOUT, UNKNOWN_MEMBER_ID for an unknown group", () => {
  const h = new ShardHarness();
  assert.equal(h.joinResponse(h.join({ groupId: "" })).errorCode, ErrorCode.INVALID_GROUP_ID);
  const low = h.joinResponse(h.join({ sessionTimeoutMs: 5_999, memberId: "m-1" }));
  assert.equal(low.errorCode, ErrorCode.INVALID_SESSION_TIMEOUT);
  assert.equal(low.memberId, "m-1", "the member id is echoed");
  assert.equal(
    h.joinResponse(h.join({ sessionTimeoutMs: 1_800_001 })).errorCode,
    ErrorCode.INVALID_SESSION_TIMEOUT,
  );
  assert.equal(h.joinResponse(h.join({ memberId: "stale-member" })).errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
  assert.equal(h.shard.group("g"), undefined, "rejected requests create no group");
  h.assertAllAnswered();
});

test("INCONSISTENT_GROUP_PROTOCOL: another protocol type, or no protocol in common", () => {
  const h = new ShardHarness();
  stableGroup(h, 1);
  const otherType = h.joinResponse(h.join({ version: 3, protocolType: "connect" }));
  assert.equal(otherType.errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
  const noCommon = h.joinResponse(
    h.join({ version: 3, protocols: consumerProtocols(["t"], ["roundrobin"]) }),
  );
  assert.equal(noCommon.errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
  const emptyType = new ShardHarness();
  assert.equal(
    emptyType.joinResponse(emptyType.join({ protocolType: "" })).errorCode,
    ErrorCode.INCONSISTENT_GROUP_PROTOCOL,
  );
});

test("the protocol is the one every member supports that most members prefer", () => {
  const h = new ShardHarness();
  const a = h.join({ version: 3, protocols: consumerProtocols(["t"], ["range", "cooperative-sticky"]) });
  const b = h.join({ version: 3, protocols: consumerProtocols(["t"], ["cooperative-sticky", "range"]) });
  const c = h.join({
    version: 3,
    protocols: consumerProtocols(["t"], ["cooperative-sticky", "roundrobin", "range"]),
  });
  h.advance(0);
  for (const j of [a, b, c]) assert.equal(h.joinResponse(j).protocolName, "cooperative-sticky");

  const h2 = new ShardHarness();
  const x = h2.join({ version: 3, protocols: consumerProtocols(["t"], ["range", "roundrobin"]) });
  const y = h2.join({ version: 3, protocols: consumerProtocols(["t"], ["roundrobin", "range"]) });
  const z = h2.join({ version: 3, protocols: consumerProtocols(["t"], ["roundrobin"]) });
  h2.advance(0);
  for (const j of [x, y, z])
    assert.equal(h2.joinResponse(j).protocolName, "roundrobin", "the only common protocol");
  // The leader receives each member's metadata for the selected protocol.
  const leader = [x, y, z].map((j) => h2.joinResponse(j)).find((r) => r.members.length > 0);
  assert.equal(leader?.members.length, 3);
});

test("the initial rebalance delay is extended while members keep joining", () => {
  const h = new ShardHarness({ groupInitialRebalanceDelayMs: 3_000 });
  const a = h.join({ version: 3 });
  h.advance(2_000);
  const b = h.join({ version: 3 });
  h.advance(3_999); // t = 5999: the delay was extended at t = 3000 to t = 6000
  assert.equal(h.answered(a), false);
  assert.equal(h.answered(b), false);
  h.advance(1);
  assert.equal(h.joinResponse(a).generationId, 1);
  assert.equal(h.joinResponse(b).generationId, 1);
});

test("the initial delay never exceeds the rebalance timeout", () => {
  const h = new ShardHarness({ groupInitialRebalanceDelayMs: 3_000 });
  const first = h.join({ version: 3, rebalanceTimeoutMs: 7_000 });
  for (let t = 1_000; t <= 10_000; t += 1_000) {
    h.advance(1_000);
    if (!h.answered(first)) h.join({ version: 3, rebalanceTimeoutMs: 7_000, clientId: `late${t}` });
  }
  // Delays: 3000, then extensions of min(3000, remaining) with remaining 4000 -> 1000 -> 0.
  assert.equal(h.joinResponse(first).errorCode, ErrorCode.NONE);
  assert.ok(h.shard.group("g")?.is("CompletingRebalance"));
});

test("a member joining a Stable group triggers a rebalance; heartbeats answer REBALANCE_IN_PROGRESS", () => {
  const h = new ShardHarness();
  const { memberIds, generationId } = stableGroup(h, 2);
  const newcomer = h.join({ version: 3, clientId: "new" });
  assert.equal(h.shard.group("g")?.state, "PreparingRebalance");
  for (const id of memberIds) {
    assert.equal(
      h.heartbeatResponse(h.heartbeat(id, generationId)).errorCode,
      ErrorCode.REBALANCE_IN_PROGRESS,
    );
  }
  const rejoins = memberIds.map((id) => h.join({ version: 3, memberId: id }));
  // Everyone rejoined: the barrier completes at once, without waiting for the rebalance timeout.
  for (const j of [newcomer, ...rejoins]) assert.equal(h.joinResponse(j).generationId, generationId + 1);
  assert.equal(h.joinResponse(rejoins[0] as number).leader, memberIds[0], "the leader stays leader");
  assert.equal(h.joinResponse(rejoins[0] as number).members.length, 3);
});

test("members that do not rejoin within the rebalance timeout are removed", () => {
  const h = new ShardHarness();
  const { memberIds, generationId } = stableGroup(h, 3, {
    rebalanceTimeoutMs: 20_000,
    sessionTimeoutMs: 30_000,
  });
  const [leader, f1, f2] = memberIds as [string, string, string];
  // f1 rejoins with a changed subscription: a rebalance.
  const j1 = h.join({
    version: 3,
    memberId: f1,
    rebalanceTimeoutMs: 20_000,
    sessionTimeoutMs: 30_000,
    protocols: consumerProtocols(["t", "u"]),
  });
  // The leader and f2 keep heartbeating (their sessions live) but never rejoin.
  for (let t = 0; t < 4; t++) {
    h.advance(5_000);
    if (!h.answered(j1)) {
      h.heartbeat(leader, generationId);
      h.heartbeat(f2, generationId);
    }
  }
  const r = h.joinResponse(j1);
  assert.equal(r.generationId, generationId + 1);
  assert.equal(r.leader, f1, "the only rejoined member becomes leader");
  assert.deepEqual(
    r.members.map((m) => m.memberId),
    [f1],
  );
  assert.equal(h.shard.group("g")?.size, 1);
});

test("a follower rejoining a Stable group with the same metadata gets the current generation at once", () => {
  const h = new ShardHarness();
  const { memberIds, generationId } = stableGroup(h, 2);
  const r = h.joinResponse(h.join({ version: 3, memberId: memberIds[1] }));
  assert.equal(r.errorCode, ErrorCode.NONE);
  assert.equal(r.generationId, generationId);
  assert.equal(r.leader, memberIds[0]);
  assert.deepEqual(r.members, []);
  assert.equal(h.shard.group("g")?.state, "Stable");
});

test("the leader rejoining a Stable group forces a rebalance", () => {
  const h = new ShardHarness();
  const { memberIds } = stableGroup(h, 2);
  const j = h.join({ version: 3, memberId: memberIds[0] });
  assert.equal(h.answered(j), false);
  assert.equal(h.shard.group("g")?.state, "PreparingRebalance");
});

test("in CompletingRebalance, the same metadata resends the generation; changed metadata rebalances", () => {
  const h = new ShardHarness();
  const a = h.join({ version: 3 });
  const b = h.join({ version: 3 });
  h.advance(0);
  const ra = h.joinResponse(a);
  const rb = h.joinResponse(b);
  const leaderId = ra.leader;
  const follower = ra.memberId === leaderId ? rb : ra;
  const again = h.joinResponse(h.join({ version: 3, memberId: leaderId }));
  assert.equal(again.generationId, 1);
  assert.equal(again.members.length, 2, "the leader gets the member list again");
  const followerSync = h.sync(follower.memberId, 1);
  assert.equal(h.answered(followerSync), false);
  const changed = h.join({
    version: 3,
    memberId: follower.memberId,
    protocols: consumerProtocols(["t", "u"]),
  });
  assert.equal(h.shard.group("g")?.state, "PreparingRebalance");
  assert.equal(h.syncResponse(followerSync).errorCode, ErrorCode.REBALANCE_IN_PROGRESS);
  assert.equal(h.answered(changed), false);
});

test("GROUP_MAX_SIZE_REACHED beyond group.max.size", () => {
  const h = new ShardHarness({ groupMaxSize: 2 });
  stableGroup(h, 2);
  const r = h.joinResponse(h.join({ version: 3, clientId: "third" }));
  assert.equal(r.errorCode, ErrorCode.GROUP_MAX_SIZE_REACHED);
  assert.equal(r.memberId, "");
  assert.equal(h.shard.group("g")?.size, 2);
  assert.equal(h.shard.group("g")?.state, "Stable");
});

test("a second JoinGroup from a parked member answers the first, so no connection is left waiting", () => {
  const h = new ShardHarness();
  const { memberIds } = stableGroup(h, 2);
  const first = h.join({ version: 3, memberId: memberIds[1] as string, protocols: consumerProtocols(["x"]) });
  const second = h.join({
    version: 3,
    memberId: memberIds[1] as string,
    protocols: consumerProtocols(["x"]),
  });
  assert.equal(h.joinResponse(first).errorCode, ErrorCode.REBALANCE_IN_PROGRESS);
  assert.equal(h.answered(second), false);
});

test("v0 has no rebalance timeout: the session timeout bounds the join phase", () => {
  const h = new ShardHarness();
  const { memberIds } = stableGroup(h, 2, { sessionTimeoutMs: 8_000, rebalanceTimeoutMs: 8_000 });
  const j = h.request((handle) =>
    h.shard.joinGroup(
      handle,
      {
        groupId: "g",
        sessionTimeoutMs: 8_000,
        rebalanceTimeoutMs: -1,
        memberId: memberIds[0] as string,
        groupInstanceId: null,
        protocolType: "consumer",
        protocols: consumerProtocols(["t"]),
      },
      { apiVersion: 0, clientId: "old", clientHost: "/127.0.0.1" },
    ),
  );
  h.advance(7_999);
  assert.equal(h.answered(j), false);
  h.advance(1);
  assert.equal(h.joinResponse(j).generationId, 2);
});

test("a protocol named twice counts once", () => {
  const h = new ShardHarness();
  const twice = [...consumerProtocols(["t"], ["range"]), ...consumerProtocols(["other"], ["range"])];
  const a = h.join({ version: 3, protocols: twice });
  const b = h.join({ version: 3 });
  h.advance(0);
  assert.equal(h.joinResponse(a).protocolName, "range");
  assert.equal(h.joinResponse(b).errorCode, ErrorCode.NONE);
  const leader = [a, b].map((j) => h.joinResponse(j)).find((r) => r.members.length > 0);
  assert.ok(
    leader?.members.every((m) => subscription(["t"]).equals(m.metadata)),
    "the first occurrence is kept",
  );
});
