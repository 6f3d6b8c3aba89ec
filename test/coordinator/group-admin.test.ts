import assert from "node:assert/strict";
import { test } from "node:test";
import { ErrorCode } from "../../src/protocol/index.js";
import { ShardHarness, stableGroup, subscription } from "./shard-harness.js";

test("DescribeGroups: Kafka's state strings; members' metadata and assignment only when Stable", () => {
  const h = new ShardHarness();
  const { memberIds } = stableGroup(h, 2);
  const [stable] = h.shard.describeGroups(["g"]);
  assert.equal(stable?.groupState, "Stable");
  assert.equal(stable?.protocolType, "consumer");
  assert.equal(stable?.protocolData, "range");
  assert.deepEqual(
    stable?.members.map((m) => [
      m.memberId,
      m.clientId,
      m.clientHost,
      m.memberMetadata,
      m.memberAssignment.toString(),
    ]),
    memberIds.map((id, i) => [id, `c${i}`, "/127.0.0.1", subscription(["t"]), `a:${id}`]),
  );
  h.join({ version: 3, clientId: "newcomer" });
  const [preparing] = h.shard.describeGroups(["g"]);
  assert.equal(preparing?.groupState, "PreparingRebalance");
  assert.equal(preparing?.protocolData, "");
  assert.ok(
    preparing?.members.every((m) => m.memberMetadata.length === 0 && m.memberAssignment.length === 0),
  );
  for (const id of memberIds) h.join({ version: 3, memberId: id });
  assert.equal(h.shard.describeGroups(["g"])[0]?.groupState, "CompletingRebalance");
  assert.deepEqual(h.shard.describeGroups(["unknown"]), [
    { errorCode: 0, groupId: "unknown", groupState: "Dead", protocolType: "", protocolData: "", members: [] },
  ]);
});

test("ListGroups filters by state (case-insensitive) and by type", () => {
  const h = new ShardHarness();
  stableGroup(h, 1, { groupId: "a" });
  h.commit({ groupId: "b" });
  const list = (statesFilter: string[], typesFilter: string[] = []) =>
    h.shard
      .listGroups({ statesFilter, typesFilter })
      .map((g) => `${g.groupId}:${g.groupState}:${g.protocolType}`);
  assert.deepEqual(list([]), ["a:Stable:consumer", "b:Empty:"]);
  assert.deepEqual(list(["Stable"]), ["a:Stable:consumer"]);
  assert.deepEqual(list(["empty", " STABLE "]), ["a:Stable:consumer", "b:Empty:"]);
  assert.deepEqual(list(["Dead"]), []);
  assert.deepEqual(list([], ["Classic"]), ["a:Stable:consumer", "b:Empty:"]);
  assert.deepEqual(list([], ["consumer"]), []);
});

test("DeleteGroups: Empty groups go with their offsets; live and unknown groups are refused", () => {
  const h = new ShardHarness();
  stableGroup(h, 1, { groupId: "live" });
  h.commit({
    groupId: "idle",
    offsets: [
      { topic: "t", partition: 0, offset: 1n },
      { topic: "u", partition: 2, offset: 2n },
    ],
  });
  h.autoCompleteAppends = false;
  const d = h.request((handle) => h.shard.deleteGroups(handle, ["idle", "live", "nope", "idle"]));
  assert.equal(h.answered(d), false, "the answer waits for the tombstones");
  assert.equal(h.shard.group("idle"), undefined, "no one joins a group being deleted");
  h.completeAppend(h.pendingAppendIds()[0] as number);
  assert.deepEqual(h.deleteGroupsResponse(d), [
    { groupId: "idle", errorCode: 0 },
    { groupId: "live", errorCode: ErrorCode.NON_EMPTY_GROUP },
    { groupId: "nope", errorCode: ErrorCode.GROUP_ID_NOT_FOUND },
    { groupId: "idle", errorCode: ErrorCode.GROUP_ID_NOT_FOUND },
  ]);
  assert.deepEqual(
    h.log.slice(-3).map((r) => [r.type, r.key.group, r.value]),
    [
      ["offsetCommit", "idle", null],
      ["offsetCommit", "idle", null],
      ["groupMetadata", "idle", null],
    ],
  );
  assert.equal(h.shard.fetchOffsets({ groupId: "idle", topics: null }).topics.length, 0);
  assert.equal(h.shard.describeGroups(["idle"])[0]?.groupState, "Dead");
});

test("a failed DeleteGroups append brings the group back", () => {
  const h = new ShardHarness();
  h.commit({ groupId: "idle" });
  h.failNextAppendWith = ErrorCode.NOT_LEADER_OR_FOLLOWER;
  const d = h.request((handle) => h.shard.deleteGroups(handle, ["idle"]));
  assert.deepEqual(h.deleteGroupsResponse(d), [{ groupId: "idle", errorCode: ErrorCode.NOT_COORDINATOR }]);
  assert.equal(h.shard.group("idle")?.state, "Empty");
  assert.equal(h.shard.committedOffset("idle", "t", 0)?.committedOffset, 10n);
});

test("an offset commit in flight when its group is deleted is tombstoned too", () => {
  const h = new ShardHarness();
  h.commit({ groupId: "idle", offsets: [{ topic: "t", partition: 0, offset: 1n }] });
  h.autoCompleteAppends = false;
  const c = h.commit({ groupId: "idle", offsets: [{ topic: "new", partition: 3, offset: 5n }] });
  const d = h.request((handle) => h.shard.deleteGroups(handle, ["idle"]));
  for (const id of h.pendingAppendIds()) h.completeAppend(id);
  assert.deepEqual(h.commitErrors(c), ["new-3:0"]);
  assert.deepEqual(h.deleteGroupsResponse(d), [{ groupId: "idle", errorCode: 0 }]);
  assert.equal(h.shard.committedOffset("idle", "new", 3), undefined);
  assert.equal(h.shard.group("idle"), undefined);
  h.reload();
  assert.equal(h.shard.committedOffset("idle", "new", 3), undefined);
  assert.equal(h.shard.group("idle"), undefined);
});
