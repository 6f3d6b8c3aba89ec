import assert from "node:assert/strict";
import test from "node:test";
import { consumerGroupHeartbeatRequestError } from "../../src/coordinator/consumer-group-heartbeat.js";
import {
  decodeCoordinatorRecord,
  encodeCoordinatorRecord,
} from "../../src/coordinator/coordinator-record-codec.js";
import type { ConsumerGroupHeartbeatResponse } from "../../src/coordinator/group-api.js";
import { groupCoordinatorConfig } from "../../src/coordinator/group-coordinator-config.js";
import { ErrorCode } from "../../src/protocol/index.js";
import { consumerProtocols, ShardHarness } from "./shard-harness.js";

/** A topic id (a UUID in Kafka's base64 form, as the records encode it). */
const T = "AAAAAAAAAAAAAAAAAAAAAQ";

function harness(config: Parameters<typeof groupCoordinatorConfig>[0] = {}): ShardHarness {
  const h = new ShardHarness(config);
  h.topics.set("t", { topicId: T, numPartitions: 6 });
  return h;
}

/** Joins `memberId` (epoch 0) subscribed to t. */
function join(
  h: ShardHarness,
  memberId: string,
  extra: { serverAssignor?: string } = {},
): ConsumerGroupHeartbeatResponse {
  return h.consumerHeartbeatResponse(
    h.consumerHeartbeat({
      memberId,
      memberEpoch: 0,
      rebalanceTimeoutMs: 30_000,
      subscribedTopicNames: ["t"],
      topicPartitions: [],
      serverAssignor: extra.serverAssignor ?? null,
    }),
  );
}

/** A heartbeat reporting the partitions of t the member owns. */
function beat(
  h: ShardHarness,
  memberId: string,
  memberEpoch: number,
  owned: number[],
): ConsumerGroupHeartbeatResponse {
  return h.consumerHeartbeatResponse(
    h.consumerHeartbeat({ memberId, memberEpoch, topicPartitions: [{ topicId: T, partitions: owned }] }),
  );
}

function partitionsOf(r: ConsumerGroupHeartbeatResponse): number[] | undefined {
  if (r.assignment === null) return undefined;
  return r.assignment.topicPartitions.flatMap((t) => (t.topicId === T ? [...t.partitions] : []));
}

test("a member that joins an empty group gets every partition at group epoch 1", () => {
  const h = harness();
  const r = join(h, "a");
  assert.equal(r.errorCode, ErrorCode.NONE);
  assert.equal(r.memberId, "a");
  assert.equal(r.memberEpoch, 1);
  assert.equal(r.heartbeatIntervalMs, 5_000);
  assert.deepEqual(partitionsOf(r), [0, 1, 2, 3, 4, 5]);
  assert.equal(h.shard.consumerGroup("g")?.state, "Stable");
});

test("a second member gets partitions only after the first acknowledged their revocation", () => {
  const h = harness();
  join(h, "a");
  const b = join(h, "b");
  // b is at the new epoch but every partition is still a's.
  assert.equal(b.memberEpoch, 2);
  assert.deepEqual(partitionsOf(b), []);
  // a is told to keep half: it stays at epoch 1 until it stops reporting the others.
  const a1 = beat(h, "a", 1, [0, 1, 2, 3, 4, 5]);
  assert.equal(a1.memberEpoch, 1);
  const kept = partitionsOf(a1) ?? [];
  assert.equal(kept.length, 3);
  assert.equal(h.shard.consumerGroup("g")?.state, "Reconciling");
  // b asks again: a has not released anything yet.
  const b1 = beat(h, "b", 2, []);
  assert.equal(b1.assignment, null, "nothing changed for b");
  // a still reports a revoked partition: no progress.
  assert.equal(beat(h, "a", 1, [0, 1, 2, 3, 4, 5]).memberEpoch, 1);
  // a acknowledges: it moves to epoch 2 with its three.
  const a2 = beat(h, "a", 1, kept);
  assert.equal(a2.memberEpoch, 2);
  const b2 = beat(h, "b", 2, []);
  const given = partitionsOf(b2) ?? [];
  assert.equal(given.length, 3);
  assert.deepEqual([...kept, ...given].sort(), [0, 1, 2, 3, 4, 5]);
  assert.equal(h.shard.consumerGroup("g")?.state, "Stable");
  h.assertAllAnswered();
});

test("a silent member is fenced after group.consumer.session.timeout.ms and the other takes its partitions", () => {
  const h = harness({ consumerGroupSessionTimeoutMs: 10_000, consumerGroupHeartbeatIntervalMs: 1_000 });
  join(h, "a");
  join(h, "b");
  const kept = partitionsOf(beat(h, "a", 1, [0, 1, 2, 3, 4, 5])) ?? [];
  beat(h, "a", 1, kept);
  const given = partitionsOf(beat(h, "b", 2, [])) ?? [];
  assert.equal(given.length, 3);
  // a keeps heartbeating, b goes silent.
  let latest: number[] | undefined;
  for (let i = 0; i < 11; i++) {
    h.advance(1_000);
    latest =
      partitionsOf(beat(h, "a", h.shard.consumerGroup("g")?.members.get("a")?.memberEpoch ?? -9, kept)) ??
      latest;
  }
  assert.deepEqual([...(h.shard.consumerGroup("g")?.members.keys() ?? [])], ["a"]);
  assert.equal(
    h.shard.consumerGroup("g")?.members.get("a")?.memberEpoch,
    3,
    "b's removal bumped the group epoch to 3",
  );
  assert.deepEqual(latest, [0, 1, 2, 3, 4, 5]);
  // b comes back with its old epoch: it is unknown now.
  assert.equal(beat(h, "b", 2, given).errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
});

test("a member that does not revoke within its rebalance timeout is fenced", () => {
  const h = harness();
  join(h, "a");
  join(h, "b");
  beat(h, "a", 1, [0, 1, 2, 3, 4, 5]);
  h.advance(30_001);
  assert.equal(h.shard.consumerGroup("g")?.members.has("a"), false);
  assert.deepEqual(partitionsOf(beat(h, "b", 2, [])), [0, 1, 2, 3, 4, 5]);
});

test("leaving (epoch -1) writes the member's tombstones and bumps the group epoch", () => {
  const h = harness();
  join(h, "a");
  const before = h.log.length;
  const r = h.consumerHeartbeatResponse(h.consumerHeartbeat({ memberId: "a", memberEpoch: -1 }));
  assert.equal(r.errorCode, ErrorCode.NONE);
  assert.equal(r.memberEpoch, -1);
  const written = h.log
    .slice(before)
    .map((rec) => (rec.type === "consumerGroup" ? `${rec.name}${rec.value === null ? "-" : "+"}` : rec.type));
  assert.deepEqual(written, [
    "ConsumerGroupCurrentMemberAssignment-",
    "ConsumerGroupTargetAssignmentMember-",
    "ConsumerGroupMemberMetadata-",
    "ConsumerGroupPartitionMetadata+",
    "ConsumerGroupMetadata+",
  ]);
  assert.equal(h.shard.consumerGroup("g")?.state, "Empty");
});

test("the group survives a reload from its records, encoded and decoded as Kafka's", () => {
  const h = harness();
  join(h, "a");
  join(h, "b");
  const kept = partitionsOf(beat(h, "a", 1, [0, 1, 2, 3, 4, 5])) ?? [];
  // Round-trip every record through the bytes, then load a new shard from them.
  const bytes = h.log.map(encodeCoordinatorRecord);
  h.log.splice(0, h.log.length, ...bytes.map((b) => decodeCoordinatorRecord(b) ?? assert.fail("decodes")));
  h.reload();
  const group = h.shard.consumerGroup("g");
  assert.equal(group?.groupEpoch, 2);
  assert.equal(group?.assignmentEpoch, 2);
  assert.equal(group?.members.get("a")?.memberEpoch, 1);
  assert.equal(group?.members.get("a")?.partitionsPendingRevocation.get(T)?.size, 3);
  // Reconciliation goes on where it was.
  assert.equal(beat(h, "a", 1, kept).memberEpoch, 2);
  assert.equal(partitionsOf(beat(h, "b", 2, []))?.length, 3);
});

test("member epochs: ahead or behind is FENCED_MEMBER_EPOCH, an unknown member UNKNOWN_MEMBER_ID", () => {
  const h = harness();
  join(h, "a");
  assert.equal(beat(h, "a", 5, []).errorCode, ErrorCode.FENCED_MEMBER_EPOCH);
  join(h, "b");
  beat(h, "a", 1, [0, 1, 2, 3, 4, 5]);
  const kept = partitionsOf(beat(h, "a", 1, [0, 1, 2, 3, 4, 5])) ?? [];
  beat(h, "a", 1, kept); // now at epoch 2, previous 1
  // The previous epoch with a subset of its partitions is accepted (the answer may have been lost).
  assert.equal(beat(h, "a", 1, kept).errorCode, ErrorCode.NONE);
  assert.equal(beat(h, "a", 0 + 1, [0, 1, 2, 3, 4, 5]).errorCode, ErrorCode.FENCED_MEMBER_EPOCH);
  assert.equal(beat(h, "nobody", 1, []).errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
  const unknownGroup = h.consumerHeartbeatResponse(
    h.consumerHeartbeat({ groupId: "other", memberId: "a", memberEpoch: 1 }),
  );
  assert.equal(unknownGroup.errorCode, ErrorCode.GROUP_ID_NOT_FOUND);
});

test("group.consumer.max.size refuses a new member with GROUP_MAX_SIZE_REACHED", () => {
  const h = harness({ consumerGroupMaxSize: 1 });
  join(h, "a");
  assert.equal(join(h, "b").errorCode, ErrorCode.GROUP_MAX_SIZE_REACHED);
  assert.equal(beat(h, "a", 1, [0, 1, 2, 3, 4, 5]).errorCode, ErrorCode.NONE);
});

test("new partitions of a subscribed topic reach the target assignment at the next heartbeat", () => {
  const h = harness();
  join(h, "a");
  h.topics.set("t", { topicId: T, numPartitions: 8 });
  const r = beat(h, "a", 1, [0, 1, 2, 3, 4, 5]);
  assert.equal(r.memberEpoch, 2);
  assert.deepEqual(partitionsOf(r), [0, 1, 2, 3, 4, 5, 6, 7]);
});

test("the range assignor is used when members ask for it", () => {
  const h = harness();
  join(h, "a", { serverAssignor: "range" });
  join(h, "b", { serverAssignor: "range" });
  const r = beat(h, "a", 1, [0, 1, 2, 3, 4, 5]);
  assert.deepEqual(partitionsOf(r), [0, 1, 2]);
  assert.equal(h.shard.describeConsumerGroups(["g"])[0]?.assignorName, "range");
});

test("requests Kafka refuses before routing: INVALID_REQUEST and UNSUPPORTED_ASSIGNOR", () => {
  const config = groupCoordinatorConfig();
  const base = {
    groupId: "g",
    memberId: "m",
    memberEpoch: 0,
    instanceId: null,
    rackId: null,
    rebalanceTimeoutMs: 30_000,
    subscribedTopicNames: ["t"],
    subscribedTopicRegex: null,
    serverAssignor: null,
    topicPartitions: [],
  };
  const code = (o: Partial<typeof base> & Record<string, unknown>, v = 1) =>
    consumerGroupHeartbeatRequestError({ ...base, ...o } as typeof base, config, v)?.errorCode ??
    ErrorCode.NONE;
  assert.equal(code({}), ErrorCode.NONE);
  assert.equal(code({ groupId: "" }), ErrorCode.INVALID_REQUEST);
  assert.equal(code({ memberId: "" }), ErrorCode.INVALID_REQUEST, "v1: the client names itself");
  assert.equal(code({ memberId: "" }, 0), ErrorCode.NONE, "v0: the coordinator names it");
  assert.equal(code({ rebalanceTimeoutMs: -1 }), ErrorCode.INVALID_REQUEST);
  // Kafka 4.0: a member may join subscribed to nothing, but must say so.
  assert.equal(code({ subscribedTopicNames: [] as unknown as string[] }), ErrorCode.NONE);
  assert.equal(code({ subscribedTopicNames: null as unknown as string[] }), ErrorCode.INVALID_REQUEST);
  assert.equal(
    code({
      subscribedTopicNames: null as unknown as string[],
      subscribedTopicRegex: "t.*" as unknown as null,
    }),
    ErrorCode.NONE,
  );
  assert.equal(code({ topicPartitions: null as unknown as [] }), ErrorCode.INVALID_REQUEST);
  assert.equal(code({ memberEpoch: -3 }), ErrorCode.INVALID_REQUEST);
  assert.equal(code({ subscribedTopicRegex: "t.*" as unknown as null }), ErrorCode.NONE);
  assert.equal(code({ instanceId: "" as unknown as null }), ErrorCode.INVALID_REQUEST);
  assert.equal(code({ memberEpoch: -2 }), ErrorCode.INVALID_REQUEST, "a static leave names its instance");
  assert.equal(code({ memberEpoch: -2, instanceId: "i" as unknown as null }), ErrorCode.NONE);
  assert.equal(code({ serverAssignor: "sticky" as unknown as null }), ErrorCode.UNSUPPORTED_ASSIGNOR);
});

test("offsets: commits and fetches of members must carry their current member epoch", () => {
  const h = harness();
  join(h, "a");
  const commit = (memberId: string, epoch: number, version = 9) =>
    h.commitResponse(
      h.commit({
        memberId,
        generationId: epoch,
        version,
        offsets: [{ topic: "t", partition: 0, offset: 5n }],
      }),
    ).topics[0]?.partitions[0]?.errorCode;
  assert.equal(commit("a", 1), ErrorCode.NONE);
  assert.equal(commit("a", 0), ErrorCode.STALE_MEMBER_EPOCH);
  assert.equal(commit("a", 1, 8), ErrorCode.UNSUPPORTED_VERSION);
  assert.equal(commit("zz", 1), ErrorCode.UNKNOWN_MEMBER_ID);
  assert.equal(commit("", -1), ErrorCode.UNKNOWN_MEMBER_ID, "an admin commit needs an empty group");
  const fetch = (memberId: string | null, memberEpoch: number) =>
    h.shard.fetchOffsets({
      groupId: "g",
      topics: [{ name: "t", partitionIndexes: [0] }],
      memberId,
      memberEpoch,
    });
  assert.equal(fetch("a", 1).topics[0]?.partitions[0]?.committedOffset, 5n);
  assert.equal(fetch("a", 7).errorCode, ErrorCode.STALE_MEMBER_EPOCH);
  assert.equal(fetch(null, -1).errorCode, ErrorCode.NONE, "an admin's fetch");
  // Once empty, an admin may commit.
  h.consumerHeartbeat({ memberId: "a", memberEpoch: -1 });
  assert.equal(commit("", -1), ErrorCode.NONE);
});

test("a group id is classic or consumer: a busy one refuses the other protocol, an empty one converts", () => {
  const h = harness();
  // A classic group with a member: a consumer join is refused.
  h.joinNew({ groupId: "classic" });
  const refused = h.consumerHeartbeatResponse(
    h.consumerHeartbeat({
      groupId: "classic",
      memberId: "m",
      memberEpoch: 0,
      rebalanceTimeoutMs: 1,
      subscribedTopicNames: ["t"],
      topicPartitions: [],
    }),
  );
  assert.equal(refused.errorCode, ErrorCode.GROUP_ID_NOT_FOUND);
  assert.match(refused.errorMessage ?? "", /not a consumer group/);
  // A consumer group with a member: a classic join is refused.
  join(h, "a");
  const classicJoin = h.join({ groupId: "g", memberId: "", protocols: consumerProtocols(["t"]) });
  assert.equal(h.joinResponse(classicJoin).errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
  // An offsets-only (empty) classic group becomes a consumer group; its offsets stay.
  h.commitResponse(h.commit({ groupId: "simple", offsets: [{ topic: "t", partition: 1, offset: 9n }] }));
  const converted = h.consumerHeartbeatResponse(
    h.consumerHeartbeat({
      groupId: "simple",
      memberId: "m",
      memberEpoch: 0,
      rebalanceTimeoutMs: 1,
      subscribedTopicNames: ["t"],
      topicPartitions: [],
    }),
  );
  assert.equal(converted.errorCode, ErrorCode.NONE);
  assert.equal(h.shard.group("simple"), undefined);
  assert.equal(h.shard.committedOffset("simple", "t", 1)?.committedOffset, 9n);
});

test("ListGroups' type filter and ConsumerGroupDescribe see consumer groups", () => {
  const h = harness();
  join(h, "a");
  h.joinNew({ groupId: "classic" });
  const types = (filter: string[]) =>
    h.shard
      .listGroups({ statesFilter: [], typesFilter: filter })
      .map((g) => `${g.groupId}:${g.groupType}:${g.groupState}`)
      .sort();
  assert.deepEqual(types(["consumer"]), ["g:consumer:Stable"]);
  assert.deepEqual(types([]), ["classic:classic:PreparingRebalance", "g:consumer:Stable"].sort());
  assert.deepEqual(
    h.shard.listGroups({ statesFilter: ["stable"], typesFilter: [] }).map((g) => g.groupId),
    ["g"],
  );
  const [described, classic, unknown] = h.shard.describeConsumerGroups(["g", "classic", "nope"]);
  assert.equal(described?.groupEpoch, 1);
  assert.equal(described?.assignorName, "uniform");
  assert.deepEqual(described?.members[0]?.assignment, [
    { topicId: T, topicName: "t", partitions: [0, 1, 2, 3, 4, 5] },
  ]);
  assert.equal(classic?.errorCode, ErrorCode.GROUP_ID_NOT_FOUND);
  assert.equal(unknown?.errorCode, ErrorCode.GROUP_ID_NOT_FOUND);
  // DescribeGroups (classic API) answers Dead for a consumer group, as Kafka 4.0's coordinator.
  assert.equal(h.shard.describeGroups(["g"])[0]?.groupState, "Dead");
});

test("DeleteGroups deletes an empty consumer group with its offsets, refuses one with members", () => {
  const h = harness();
  join(h, "a");
  h.commit({
    memberId: "a",
    generationId: 1,
    version: 9,
    offsets: [{ topic: "t", partition: 0, offset: 3n }],
  });
  const remove = () =>
    h.deleteGroupsResponse(h.request((handle) => h.shard.deleteGroups(handle, ["g"])))[0]?.errorCode;
  assert.equal(remove(), ErrorCode.NON_EMPTY_GROUP);
  h.consumerHeartbeat({ memberId: "a", memberEpoch: -1 });
  assert.equal(remove(), ErrorCode.NONE);
  assert.equal(h.shard.consumerGroup("g"), undefined);
  assert.equal(h.shard.committedOffset("g", "t", 0), undefined);
  h.reload();
  assert.equal(h.shard.consumerGroup("g"), undefined, "the tombstones delete it for good");
  assert.equal(h.shard.committedOffset("g", "t", 0), undefined);
  assert.equal(remove(), ErrorCode.GROUP_ID_NOT_FOUND);
});

/** Joins `memberId` as the static member `instanceId`. */
function joinStatic(h: ShardHarness, memberId: string, instanceId: string): ConsumerGroupHeartbeatResponse {
  return h.consumerHeartbeatResponse(
    h.consumerHeartbeat({
      memberId,
      memberEpoch: 0,
      instanceId,
      rebalanceTimeoutMs: 30_000,
      subscribedTopicNames: ["t"],
      topicPartitions: [],
    }),
  );
}

test("a static member that leaves with epoch -2 keeps its partitions and gets them back under a new member id", () => {
  const h = harness();
  joinStatic(h, "a", "instance-1");
  join(h, "b");
  const kept = partitionsOf(beat(h, "a", 1, [0, 1, 2, 3, 4, 5])) ?? [];
  h.consumerHeartbeat({
    memberId: "a",
    memberEpoch: 1,
    instanceId: "instance-1",
    topicPartitions: [{ topicId: T, partitions: kept }],
  });
  const bPartitions = partitionsOf(beat(h, "b", 2, [])) ?? [];
  assert.equal(bPartitions.length, 3);
  const epochBefore = h.shard.consumerGroup("g")?.groupEpoch;

  const away = h.consumerHeartbeatResponse(
    h.consumerHeartbeat({ memberId: "a", memberEpoch: -2, instanceId: "instance-1" }),
  );
  assert.equal(away.errorCode, ErrorCode.NONE);
  assert.equal(away.memberEpoch, -2);
  // Nobody else gets its partitions meanwhile, and the group does not rebalance.
  assert.equal(beat(h, "b", 2, bPartitions).assignment, null);
  const back = joinStatic(h, "a-restarted", "instance-1");
  assert.equal(back.errorCode, ErrorCode.NONE);
  assert.equal(back.memberEpoch, 2);
  assert.deepEqual(
    partitionsOf(back),
    kept.sort((x, y) => x - y),
  );
  assert.equal(h.shard.consumerGroup("g")?.groupEpoch, epochBefore, "no rebalance");
  assert.deepEqual([...(h.shard.consumerGroup("g")?.members.keys() ?? [])].sort(), ["a-restarted", "b"]);
  // The replaced member id is fenced by its successor; an instance id in use is not released.
  const old = h.consumerHeartbeatResponse(
    h.consumerHeartbeat({ memberId: "a", memberEpoch: 2, instanceId: "instance-1", topicPartitions: [] }),
  );
  assert.equal(old.errorCode, ErrorCode.FENCED_INSTANCE_ID);
  assert.equal(joinStatic(h, "a-twin", "instance-1").errorCode, ErrorCode.UNRELEASED_INSTANCE_ID);
  const unknown = h.consumerHeartbeatResponse(
    h.consumerHeartbeat({ memberId: "x", memberEpoch: 1, instanceId: "instance-9", topicPartitions: [] }),
  );
  assert.equal(unknown.errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
  // The group as reloaded from its records is the same.
  h.reload();
  assert.deepEqual([...(h.shard.consumerGroup("g")?.members.keys() ?? [])].sort(), ["a-restarted", "b"]);
  assert.equal(h.shard.consumerGroup("g")?.members.get("a-restarted")?.instanceId, "instance-1");
});

test("a static member away past its session timeout is removed and its partitions move", () => {
  const h = harness({ consumerGroupSessionTimeoutMs: 10_000, consumerGroupHeartbeatIntervalMs: 1_000 });
  joinStatic(h, "a", "instance-1");
  h.consumerHeartbeat({ memberId: "a", memberEpoch: -2, instanceId: "instance-1" });
  join(h, "b");
  let latest: number[] | undefined;
  for (let i = 0; i < 12; i++) {
    h.advance(1_000);
    const epoch = h.shard.consumerGroup("g")?.members.get("b")?.memberEpoch ?? -9;
    latest = partitionsOf(beat(h, "b", epoch, latest ?? [])) ?? latest;
  }
  assert.equal(h.shard.consumerGroup("g")?.members.has("a"), false);
  assert.deepEqual(latest, [0, 1, 2, 3, 4, 5]);
});

test("after a reload, a member that still has to revoke gets a fresh rebalance timeout", () => {
  const h = harness();
  join(h, "a");
  join(h, "b");
  beat(h, "a", 1, [0, 1, 2, 3, 4, 5]);
  h.advance(20_000);
  h.reload();
  h.advance(20_000);
  assert.equal(h.shard.consumerGroup("g")?.members.has("a"), true, "30 s from the reload, not from before");
  h.advance(10_001);
  assert.equal(h.shard.consumerGroup("g")?.members.has("a"), false);
});

test("loading a compacted log: a member's assignment before its rewritten metadata record", () => {
  const h = harness();
  join(h, "a");
  // Compaction keeps the last record per key, at its offset: move the member's metadata last.
  const metadataAt = h.log.findIndex(
    (r) => r.type === "consumerGroup" && r.name === "ConsumerGroupMemberMetadata",
  );
  const [metadata] = h.log.splice(metadataAt, 1);
  h.log.push(metadata ?? assert.fail("a metadata record"));
  h.reload();
  const member = h.shard.consumerGroup("g")?.members.get("a");
  assert.equal(member?.memberEpoch, 1);
  assert.deepEqual(member?.subscribedTopicNames, ["t"]);
  assert.equal(member?.assignedPartitions.get(T)?.size, 6);
});

test("a v0 join without a member id gets one from the coordinator", () => {
  const h = harness();
  const r = h.consumerHeartbeatResponse(
    h.consumerHeartbeat({
      memberId: "",
      memberEpoch: 0,
      rebalanceTimeoutMs: 1000,
      subscribedTopicNames: ["t"],
      topicPartitions: [],
    }),
  );
  assert.equal(r.errorCode, ErrorCode.NONE);
  assert.equal(r.memberId, "uuid-1", "the harness's uuids are not UUIDs: used as they are");
  assert.equal(h.shard.consumerGroup("g")?.members.has("uuid-1"), true);
});

test("OffsetDelete on a consumer group: topics its members subscribe to are refused, others deleted", () => {
  const h = harness();
  join(h, "a");
  h.commit({
    memberId: "a",
    generationId: 1,
    version: 9,
    offsets: [{ topic: "t", partition: 0, offset: 3n }],
  });
  h.commit({
    memberId: "a",
    generationId: 1,
    version: 9,
    offsets: [{ topic: "old", partition: 0, offset: 8n }],
  });
  const response = h.offsetDeleteResponse(
    h.request((handle) =>
      h.shard.deleteOffsets(handle, {
        groupId: "g",
        topics: [
          { name: "t", partitions: [{ partitionIndex: 0 }] },
          { name: "old", partitions: [{ partitionIndex: 0 }] },
        ],
      }),
    ),
  );
  assert.equal(response.errorCode, ErrorCode.NONE);
  assert.deepEqual(
    response.topics.map((t) => [t.name, t.partitions.map((p) => p.errorCode)]),
    [
      ["t", [ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC]],
      ["old", [ErrorCode.NONE]],
    ],
  );
  assert.equal(h.shard.committedOffset("g", "old", 0), undefined);
  assert.equal(h.shard.committedOffset("g", "t", 0)?.committedOffset, 3n);
});

test("retention: an active consumer group keeps its offsets; once empty they expire and the group goes", () => {
  const h = harness({
    offsetsRetentionMs: 60_000,
    offsetsRetentionCheckIntervalMs: 10_000,
    consumerGroupSessionTimeoutMs: 600_000,
  });
  h.apply(h.shard.onLoaded()); // the retention pass is scheduled on load
  join(h, "a");
  h.commit({
    memberId: "a",
    generationId: 1,
    version: 9,
    offsets: [{ topic: "t", partition: 0, offset: 3n }],
  });
  for (let i = 0; i < 10; i++) {
    h.advance(10_000);
    beat(h, "a", 1, [0, 1, 2, 3, 4, 5]);
  }
  assert.equal(h.shard.committedOffset("g", "t", 0)?.committedOffset, 3n, "kept while the group has members");
  h.consumerHeartbeat({ memberId: "a", memberEpoch: -1 });
  h.advance(20_000);
  assert.equal(h.shard.committedOffset("g", "t", 0), undefined, "expired from its commit time");
  assert.equal(h.shard.consumerGroup("g"), undefined);
  h.reload();
  assert.equal(h.shard.consumerGroup("g"), undefined, "its tombstones are in the log");
});
