import assert from "node:assert/strict";
import { test } from "node:test";
import { CoordinatorError } from "../../src/coordinator/coordinator-error.js";
import type { CoordinatorRecord, GroupMetadataValue } from "../../src/coordinator/coordinator-record.js";
import {
  decodeCoordinatorRecord,
  encodeCoordinatorRecord,
} from "../../src/coordinator/coordinator-record-codec.js";
import type { GroupCoordinatorShard } from "../../src/coordinator/group-coordinator-shard.js";
import { ErrorCode, Writer } from "../../src/protocol/index.js";
import { ShardHarness, stableGroup } from "./shard-harness.js";

/** Everything observable about a shard's groups and offsets. */
function snapshot(shard: GroupCoordinatorShard) {
  return shard
    .groupIds()
    .sort()
    .map((id) => {
      const g = shard.group(id);
      assert.ok(g !== undefined);
      return {
        id,
        state: g.state,
        generation: g.generationId,
        protocolType: g.protocolType,
        protocolName: g.protocolName,
        leader: g.leaderId,
        members: g.allMembers().map((m) => ({
          id: m.memberId,
          instance: m.groupInstanceId,
          client: m.clientId,
          host: m.clientHost,
          session: m.sessionTimeoutMs,
          rebalance: m.rebalanceTimeoutMs,
          assignment: m.assignment.toString("hex"),
          metadata: g.protocolName === null ? "" : m.metadata(g.protocolName).toString("hex"),
        })),
        offsets: shard.fetchOffsets({ groupId: id, topics: null }),
      };
    });
}

function busyHistory(): ShardHarness {
  const h = new ShardHarness();
  const { memberIds, generationId } = stableGroup(h, 2);
  h.commit({
    generationId,
    memberId: memberIds[0] as string,
    offsets: [{ topic: "t", partition: 0, offset: 5n, metadata: "x" }],
  });
  h.commit({
    generationId,
    memberId: memberIds[1] as string,
    offsets: [
      { topic: "t", partition: 0, offset: 6n },
      { topic: "t", partition: 1, offset: 3n },
    ],
  });
  h.commit({
    groupId: "simple",
    offsets: [
      { topic: "a", partition: 0, offset: 1n },
      { topic: "b", partition: 0, offset: 2n },
    ],
  });
  h.request((handle) =>
    h.shard.deleteOffsets(handle, {
      groupId: "simple",
      topics: [{ name: "b", partitions: [{ partitionIndex: 0 }] }],
    }),
  );
  h.commit({ groupId: "doomed" });
  h.request((handle) => h.shard.deleteGroups(handle, ["doomed"]));
  // A static group whose member restarted (new id, no rebalance).
  const s = h.join({ groupId: "static", version: 5, groupInstanceId: "host-1" });
  h.advance(0);
  const sid = h.joinResponse(s).memberId;
  h.sync(sid, 1, [{ memberId: sid, assignment: Buffer.from("sa") }], {
    groupId: "static",
    groupInstanceId: "host-1",
  });
  h.join({ groupId: "static", version: 5, groupInstanceId: "host-1" });
  // A group whose only member left: Empty, generation 2.
  const e = h.join({ groupId: "emptied", version: 3 });
  h.advance(0);
  const eid = h.joinResponse(e).memberId;
  h.sync(eid, 1, [], { groupId: "emptied" });
  h.leave([{ memberId: eid }], "emptied");
  return h;
}

test("replaying the log rebuilds groups and offsets, tombstones included", () => {
  const h = busyHistory();
  const before = snapshot(h.shard);
  assert.deepEqual(
    before.map((g) => `${g.id}:${g.state}`),
    ["emptied:Empty", "g:Stable", "simple:Empty", "static:Stable"],
  );
  h.reload();
  assert.deepEqual(snapshot(h.shard), before);
});

test("the records survive their byte encoding: loading from bytes gives the same state", () => {
  const h = busyHistory();
  const before = snapshot(h.shard);
  const bytes = h.log.map(encodeCoordinatorRecord);
  const fresh = h.newShard();
  for (const b of bytes) {
    const record = decodeCoordinatorRecord(b);
    assert.ok(record !== null);
    fresh.replay(record);
  }
  h.apply(fresh.onLoaded());
  h.shard = fresh;
  assert.deepEqual(snapshot(fresh), before);
});

test("loaded members get a fresh session: those that heartbeat stay, the others are removed", () => {
  const h = new ShardHarness();
  const { memberIds, generationId } = stableGroup(h, 2, { sessionTimeoutMs: 10_000 });
  h.advance(9_000);
  h.reload();
  assert.equal(h.shard.group("g")?.state, "Stable");
  h.advance(5_000);
  assert.equal(
    h.heartbeatResponse(h.heartbeat(memberIds[0] as string, generationId)).errorCode,
    ErrorCode.NONE,
  );
  h.advance(5_000);
  assert.equal(h.shard.group("g")?.hasMember(memberIds[1] as string), false);
  assert.equal(h.shard.group("g")?.state, "PreparingRebalance");
});

test("a loaded group over a lowered group.max.size rebalances", () => {
  const big = new ShardHarness();
  stableGroup(big, 3);
  const h = new ShardHarness({ groupMaxSize: 2 });
  for (const r of big.log) h.shard.replay(r);
  h.apply(h.shard.onLoaded());
  assert.equal(h.shard.group("g")?.state, "PreparingRebalance");
});

test("record bytes are Kafka's: int16 key version selects the type, then the fields", () => {
  const record: CoordinatorRecord = {
    type: "offsetCommit",
    key: { group: "g", topic: "t", partition: 7 },
    value: { offset: 42n, leaderEpoch: 3, metadata: "m", commitTimestamp: 1000n, expireTimestamp: -1n },
    valueVersion: 3,
  };
  const { key, value } = encodeCoordinatorRecord(record);
  assert.deepEqual(key, Buffer.from([0, 1, 0, 1, 0x67, 0, 1, 0x74, 0, 0, 0, 7]));
  const expectedValue = new Writer().int16(3).int64(42n).int32(3).string("m").int64(1000n).toBuffer();
  assert.deepEqual(value, expectedValue);
  assert.deepEqual(decodeCoordinatorRecord({ key, value }), record);
  // Key version 0 (the same layout) is read too; a tombstone has no value.
  const v0 = Buffer.from(key);
  v0.writeInt16BE(0, 0);
  assert.deepEqual(decodeCoordinatorRecord({ key: v0, value: null }), {
    ...record,
    value: null,
    valueVersion: 0,
  });
  const group = encodeCoordinatorRecord({
    type: "groupMetadata",
    key: { group: "g" },
    value: null,
    valueVersion: 0,
  });
  assert.deepEqual(group, { key: Buffer.from([0, 2, 0, 1, 0x67]), value: null });
});

test("share group record types and unknown ones are skipped when loading", () => {
  for (const type of [9, 11, 15, 99]) {
    const key = new Writer().int16(type).string("g").toBuffer();
    assert.equal(decodeCoordinatorRecord({ key, value: Buffer.from([0, 0]) }), null);
  }
});

test("a group record no coordinator could have written fails the load with a typed error", () => {
  const h = new ShardHarness();
  const member = {
    memberId: "m",
    groupInstanceId: null,
    clientId: "c",
    clientHost: "/h",
    rebalanceTimeout: 1,
    sessionTimeout: 1,
    subscription: Buffer.alloc(0),
    assignment: Buffer.alloc(0),
  };
  const bad = (value: Partial<GroupMetadataValue>): CoordinatorRecord => ({
    type: "groupMetadata",
    key: { group: "g" },
    value: {
      protocolType: "consumer",
      generation: 1,
      protocol: "range",
      leader: "m",
      currentStateTimestamp: -1n,
      members: [member],
      ...value,
    },
    valueVersion: 3,
  });
  for (const value of [{ protocol: null }, { leader: "x" }, { members: [member, member] }]) {
    assert.throws(
      () => h.newShard().replay(bad(value)),
      (e: unknown) => e instanceof CoordinatorError && e.code === "BRK_ERR_COORDINATOR_CORRUPT_RECORD",
    );
  }
});
