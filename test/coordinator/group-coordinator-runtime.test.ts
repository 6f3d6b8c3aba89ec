import assert from "node:assert/strict";
import { test } from "node:test";
import { setImmediate as flushIo } from "node:timers/promises";
import { type Clock, ManualClock } from "../../src/base/index.js";
import {
  GroupCoordinatorRuntime,
  groupCoordinatorConfig,
  type OffsetsTopicLog,
  type RecordBytes,
  type ScheduledTimer,
  type Scheduler,
} from "../../src/coordinator/index.js";
import { ErrorCode, KafkaError } from "../../src/protocol/index.js";
import { consumerProtocols } from "./shard-harness.js";

/** An in-memory `__consumer_offsets`: appends commit at once, or when told to. */
class FakeOffsetsLog implements OffsetsTopicLog {
  readonly partitions = new Map<number, RecordBytes[]>();
  autoCommit = true;
  /** Loading waits for this before yielding the last record, when set. */
  loadGate: Promise<void> | null = null;
  private readonly pending: {
    partition: number;
    records: readonly RecordBytes[];
    resolve: (o: bigint) => void;
    reject: (e: unknown) => void;
  }[] = [];
  failWith: number | null = null;

  append(partition: number, records: readonly RecordBytes[]): Promise<bigint> {
    return new Promise((resolve, reject) => {
      this.pending.push({ partition, records, resolve, reject });
      if (this.autoCommit) this.commitAll();
    });
  }

  commitAll(): void {
    for (const p of this.pending.splice(0)) {
      if (this.failWith !== null) {
        p.reject(new KafkaError(this.failWith));
        continue;
      }
      const log = this.partitions.get(p.partition) ?? [];
      log.push(...p.records);
      this.partitions.set(p.partition, log);
      p.resolve(BigInt(log.length - 1));
    }
  }

  get pendingCount(): number {
    return this.pending.length;
  }

  async *read(partition: number): AsyncIterable<RecordBytes> {
    const records = [...(this.partitions.get(partition) ?? [])];
    for (const [i, r] of records.entries()) {
      if (i === records.length - 1 && this.loadGate !== null) await this.loadGate;
      yield r;
    }
    if (records.length === 0 && this.loadGate !== null) await this.loadGate;
  }
}

/** Timers that fire when the manual clock is advanced through them. */
class ManualScheduler implements Scheduler {
  private timers: { at: number; fn: () => void; cancelled: boolean }[] = [];
  private readonly clock: ManualClock;

  constructor(clock: ManualClock) {
    this.clock = clock;
  }

  schedule(delayMs: number, fn: () => void): ScheduledTimer {
    const timer = { at: this.clock.monotonicMs() + delayMs, fn, cancelled: false };
    this.timers.push(timer);
    return { cancel: () => (timer.cancelled = true) };
  }

  async advance(ms: number): Promise<void> {
    const target = this.clock.monotonicMs() + ms;
    for (;;) {
      this.timers = this.timers.filter((t) => !t.cancelled);
      const next = this.timers.filter((t) => t.at <= target).sort((a, b) => a.at - b.at)[0];
      if (next === undefined) break;
      this.clock.advance(Math.max(0, next.at - this.clock.monotonicMs()));
      next.cancelled = true;
      next.fn();
      await flushIo();
    }
    this.clock.advance(target - this.clock.monotonicMs());
    await flushIo();
  }
}

function setup(log = new FakeOffsetsLog(), clock: Clock & ManualClock = new ManualClock(), started = true) {
  const scheduler = new ManualScheduler(clock);
  let n = 0;
  const runtime = new GroupCoordinatorRuntime({
    config: groupCoordinatorConfig({ offsetsTopicPartitionCount: 4, groupInitialRebalanceDelayMs: 100 }),
    clock,
    log,
    scheduler,
    newUuid: () => `u${++n}`,
  });
  if (started) runtime.startup();
  return { runtime, log, clock, scheduler };
}

const context = (apiVersion: number) => ({ apiVersion, clientId: "app", clientHost: "/10.0.0.1" });

function join(memberId = "") {
  return {
    groupId: "g",
    sessionTimeoutMs: 10_000,
    rebalanceTimeoutMs: 20_000,
    memberId,
    groupInstanceId: null,
    protocolType: "consumer",
    protocols: consumerProtocols(["t"]),
  } as const satisfies Parameters<GroupCoordinatorRuntime["joinGroup"]>[0];
}

async function stableMember(
  env: ReturnType<typeof setup>,
): Promise<{ memberId: string; generationId: number }> {
  const { runtime, scheduler } = env;
  const first = await runtime.joinGroup(join(), context(5));
  assert.equal(first.errorCode, ErrorCode.MEMBER_ID_REQUIRED);
  const joining = runtime.joinGroup(join(first.memberId), context(5));
  await scheduler.advance(100);
  const joined = await joining;
  assert.equal(joined.errorCode, ErrorCode.NONE);
  const synced = await runtime.syncGroup({
    groupId: "g",
    generationId: joined.generationId,
    memberId: joined.memberId,
    groupInstanceId: null,
    protocolType: "consumer",
    protocolName: "range",
    assignments: [{ memberId: joined.memberId, assignment: Buffer.from("mine") }],
  });
  assert.equal(synced.errorCode, ErrorCode.NONE);
  assert.equal(synced.assignment.toString(), "mine");
  return { memberId: joined.memberId, generationId: joined.generationId };
}

function commit(memberId: string, generationId: number, offset: bigint) {
  return {
    groupId: "g",
    generationIdOrMemberEpoch: generationId,
    memberId,
    groupInstanceId: null,
    retentionTimeMs: -1,
    topics: [
      {
        name: "t",
        partitions: [
          { partitionIndex: 0, committedOffset: offset, committedLeaderEpoch: 4, committedMetadata: "meta" },
        ],
      },
    ],
  };
}

test("a group's whole life through the runtime: join, sync, commit, fetch, all on its partition", async () => {
  const env = setup();
  const partition = env.runtime.partitionFor("g");
  await env.runtime.loadPartition(partition, 0);
  assert.equal(env.runtime.partitionStatus(partition), "active");
  const { memberId, generationId } = await stableMember(env);
  const committed = await env.runtime.commitOffsets(commit(memberId, generationId, 99n), context(8));
  assert.equal(committed.topics[0]?.partitions[0]?.errorCode, ErrorCode.NONE);
  const [fetched] = await env.runtime.fetchOffsets([
    { groupId: "g", topics: [{ name: "t", partitionIndexes: [0] }] },
  ]);
  assert.deepEqual(fetched?.topics[0]?.partitions[0], {
    partitionIndex: 0,
    committedOffset: 99n,
    committedLeaderEpoch: 4,
    metadata: "meta",
    errorCode: 0,
  });
  assert.ok((env.log.partitions.get(partition)?.length ?? 0) >= 2, "group and offset records are in the log");
  const [described] = await env.runtime.describeGroups(["g"]);
  assert.equal(described?.groupState, "Stable");
  assert.equal(described?.members[0]?.clientHost, "/10.0.0.1");
});

test("an offset commit is answered only once its record is committed to the log", async () => {
  const env = setup();
  await env.runtime.loadPartition(env.runtime.partitionFor("g"), 0);
  const { memberId, generationId } = await stableMember(env);
  env.log.autoCommit = false;
  let answered = false;
  const pending = env.runtime.commitOffsets(commit(memberId, generationId, 5n), context(8)).then((r) => {
    answered = true;
    return r;
  });
  // A heartbeat sent after it waits for it too.
  const heartbeat = env.runtime.heartbeat({ groupId: "g", generationId, memberId, groupInstanceId: null });
  await flushIo();
  assert.equal(answered, false);
  assert.equal(env.log.pendingCount, 1);
  env.log.commitAll();
  assert.equal((await pending).topics[0]?.partitions[0]?.errorCode, ErrorCode.NONE);
  assert.equal((await heartbeat).errorCode, ErrorCode.NONE);
});

test("a failed append answers with Kafka's mapped error", async () => {
  const env = setup();
  await env.runtime.loadPartition(env.runtime.partitionFor("g"), 0);
  const { memberId, generationId } = await stableMember(env);
  env.log.failWith = ErrorCode.NOT_ENOUGH_REPLICAS;
  const r = await env.runtime.commitOffsets(commit(memberId, generationId, 5n), context(8));
  assert.equal(r.topics[0]?.partitions[0]?.errorCode, ErrorCode.COORDINATOR_NOT_AVAILABLE);
});

test("NOT_COORDINATOR for partitions not led here; COORDINATOR_LOAD_IN_PROGRESS while loading", async () => {
  const env = setup();
  const partition = env.runtime.partitionFor("g");
  assert.equal((await env.runtime.joinGroup(join(), context(5))).errorCode, ErrorCode.NOT_COORDINATOR);
  assert.deepEqual(
    await env.runtime.heartbeat({ groupId: "g", generationId: 1, memberId: "m", groupInstanceId: null }),
    {
      errorCode: ErrorCode.NOT_COORDINATOR,
    },
  );
  env.log.partitions.set(partition, []);
  let open = (): void => {};
  env.log.loadGate = new Promise((resolve) => {
    open = resolve;
  });
  const loading = env.runtime.loadPartition(partition, 0);
  await flushIo();
  assert.equal(env.runtime.partitionStatus(partition), "loading");
  assert.equal(
    (await env.runtime.joinGroup(join(), context(5))).errorCode,
    ErrorCode.COORDINATOR_LOAD_IN_PROGRESS,
  );
  assert.equal(
    (
      await env.runtime.syncGroup({
        groupId: "g",
        generationId: 1,
        memberId: "m",
        groupInstanceId: null,
        protocolType: null,
        protocolName: null,
        assignments: [],
      })
    ).errorCode,
    ErrorCode.COORDINATOR_LOAD_IN_PROGRESS,
  );
  // Heartbeats are answered blindly while loading, as Kafka does.
  assert.equal(
    (await env.runtime.heartbeat({ groupId: "g", generationId: 1, memberId: "m", groupInstanceId: null }))
      .errorCode,
    ErrorCode.NONE,
  );
  const c = await env.runtime.commitOffsets(commit("m", 1, 1n), context(8));
  assert.equal(c.topics[0]?.partitions[0]?.errorCode, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
  const [f] = await env.runtime.fetchOffsets([{ groupId: "g", topics: null }]);
  assert.equal(f?.errorCode, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
  assert.equal(
    (await env.runtime.listGroups({ statesFilter: [], typesFilter: [] })).errorCode,
    ErrorCode.COORDINATOR_LOAD_IN_PROGRESS,
  );
  assert.equal(
    (await env.runtime.describeGroups(["g"]))[0]?.errorCode,
    ErrorCode.COORDINATOR_LOAD_IN_PROGRESS,
  );
  open();
  await loading;
  assert.equal(env.runtime.partitionStatus(partition), "active");
  assert.equal((await env.runtime.joinGroup(join(), context(5))).errorCode, ErrorCode.MEMBER_ID_REQUIRED);
});

test("a restarted broker loads groups and offsets from the log", async () => {
  const log = new FakeOffsetsLog();
  const first = setup(log);
  const partition = first.runtime.partitionFor("g");
  await first.runtime.loadPartition(partition, 0);
  const { memberId, generationId } = await stableMember(first);
  await first.runtime.commitOffsets(commit(memberId, generationId, 42n), context(8));
  first.runtime.close();
  const second = setup(log, first.clock);
  await second.runtime.loadPartition(partition, 1);
  const [f] = await second.runtime.fetchOffsets([{ groupId: "g", topics: null }]);
  assert.equal(f?.topics[0]?.partitions[0]?.committedOffset, 42n);
  const [d] = await second.runtime.describeGroups(["g"]);
  assert.equal(d?.groupState, "Stable");
  assert.deepEqual(
    d?.members.map((m) => [m.memberId, m.memberAssignment.toString()]),
    [[memberId, "mine"]],
  );
  // The loaded member heartbeats on as if nothing happened.
  assert.equal(
    (await second.runtime.heartbeat({ groupId: "g", generationId, memberId, groupInstanceId: null }))
      .errorCode,
    ErrorCode.NONE,
  );
  // And without heartbeats its session runs out on the new coordinator's timers.
  await second.scheduler.advance(10_000);
  assert.equal((await second.runtime.describeGroups(["g"]))[0]?.groupState, "Empty");
});

test("unloading answers parked requests NOT_COORDINATOR and ignores later log completions", async () => {
  const env = setup();
  const partition = env.runtime.partitionFor("g");
  await env.runtime.loadPartition(partition, 0);
  const { memberId, generationId } = await stableMember(env);
  // A new member (v3: no MEMBER_ID_REQUIRED) is parked until the existing member rejoins.
  const parkedJoin = env.runtime.joinGroup(join(""), context(3));
  env.log.autoCommit = false;
  const pendingCommit = env.runtime.commitOffsets(commit(memberId, generationId, 7n), context(8));
  await flushIo();
  env.runtime.unloadPartition(partition, 1);
  assert.equal((await parkedJoin).errorCode, ErrorCode.NOT_COORDINATOR);
  assert.equal((await pendingCommit).topics[0]?.partitions[0]?.errorCode, ErrorCode.NOT_COORDINATOR);
  env.log.commitAll();
  await flushIo();
  assert.equal(env.runtime.partitionStatus(partition), "none");
  assert.equal((await env.runtime.joinGroup(join(), context(5))).errorCode, ErrorCode.NOT_COORDINATOR);
});

test("a stale resignation does not unload a newer epoch", async () => {
  const env = setup();
  const partition = env.runtime.partitionFor("g");
  await env.runtime.loadPartition(partition, 3);
  env.runtime.unloadPartition(partition, 2);
  assert.equal(env.runtime.partitionStatus(partition), "active");
  await env.runtime.loadPartition(partition, 3);
  assert.equal(env.runtime.partitionStatus(partition), "active");
});

test("session timeouts run on the scheduler: a silent member is removed", async () => {
  const env = setup();
  await env.runtime.loadPartition(env.runtime.partitionFor("g"), 0);
  const { memberId, generationId } = await stableMember(env);
  await env.scheduler.advance(9_000);
  assert.equal(
    (await env.runtime.heartbeat({ groupId: "g", generationId, memberId, groupInstanceId: null })).errorCode,
    ErrorCode.NONE,
  );
  await env.scheduler.advance(9_999);
  assert.equal((await env.runtime.describeGroups(["g"]))[0]?.groupState, "Stable");
  await env.scheduler.advance(1);
  assert.equal((await env.runtime.describeGroups(["g"]))[0]?.groupState, "Empty");
});

test("DeleteGroups spans partitions and answers in request order", async () => {
  const env = setup();
  for (let p = 0; p < 4; p++) await env.runtime.loadPartition(p, 0);
  const ids = ["a", "b", "c", "d", "e", "f"];
  for (const groupId of ids.slice(0, 4)) {
    await env.runtime.commitOffsets({ ...commit("", -1, 1n), groupId }, context(8));
  }
  const partitions = new Set(ids.map((id) => env.runtime.partitionFor(id)));
  assert.ok(partitions.size > 1, "the groups spread over partitions");
  const results = await env.runtime.deleteGroups(ids);
  assert.deepEqual(
    results.map((r) => `${r.groupId}:${r.errorCode}`),
    ["a:0", "b:0", "c:0", "d:0", `e:${ErrorCode.GROUP_ID_NOT_FOUND}`, `f:${ErrorCode.GROUP_ID_NOT_FOUND}`],
  );
  const listed = await env.runtime.listGroups({ statesFilter: [], typesFilter: [] });
  assert.deepEqual(listed, { errorCode: 0, groups: [] });
});

test("after close, requests get COORDINATOR_NOT_AVAILABLE and nothing loads", async () => {
  const env = setup();
  await env.runtime.loadPartition(env.runtime.partitionFor("g"), 0);
  env.runtime.close();
  // A broker that is stopping may still see metadata changes: its logs are closing.
  await env.runtime.loadPartition(env.runtime.partitionFor("g"), 1);
  assert.equal(env.runtime.partitionStatus(env.runtime.partitionFor("g")), "none");
  assert.equal(
    (await env.runtime.joinGroup(join(), context(5))).errorCode,
    ErrorCode.COORDINATOR_NOT_AVAILABLE,
  );
  assert.equal(
    (await env.runtime.listGroups({ statesFilter: [], typesFilter: [] })).errorCode,
    ErrorCode.COORDINATOR_NOT_AVAILABLE,
  );
});

test("a partition whose records cannot be decoded fails to load and is not served", async () => {
  const env = setup();
  const partition = env.runtime.partitionFor("g");
  env.log.partitions.set(partition, [{ key: Buffer.from([0, 1, 0]), value: null }]);
  await assert.rejects(env.runtime.loadPartition(partition, 0));
  assert.equal(env.runtime.partitionStatus(partition), "none");
  assert.equal((await env.runtime.joinGroup(join(), context(5))).errorCode, ErrorCode.NOT_COORDINATOR);
});

/** Records of a group "g" with offsets committed on a first runtime, for a second one to load. */
async function logWithCommittedGroup(): Promise<{ log: FakeOffsetsLog; partition: number }> {
  const log = new FakeOffsetsLog();
  const first = setup(log);
  const partition = first.runtime.partitionFor("g");
  await first.runtime.loadPartition(partition, 0);
  const { memberId, generationId } = await stableMember(first);
  await first.runtime.commitOffsets(commit(memberId, generationId, 42n), context(8));
  await first.runtime.leaveGroup({ groupId: "g", members: [{ memberId, groupInstanceId: null }] });
  first.runtime.close();
  return { log, partition };
}

/** Every group API for group "g", each answer reduced to its error code(s). */
async function everyApiErrorCodes(runtime: GroupCoordinatorRuntime): Promise<Record<string, unknown>> {
  const [fetched] = await runtime.fetchOffsets([{ groupId: "g", topics: null }]);
  const [fetchedNamed] = await runtime.fetchOffsets([
    { groupId: "g", topics: [{ name: "t", partitionIndexes: [0] }] },
  ]);
  const [described] = await runtime.describeGroups(["g"]);
  const listed = await runtime.listGroups({ statesFilter: [], typesFilter: [] });
  const committed = await runtime.commitOffsets(commit("", -1, 7n), context(8));
  const deletedOffsets = await runtime.deleteOffsets({
    groupId: "g",
    topics: [{ name: "t", partitions: [{ partitionIndex: 0 }] }],
  });
  const left = await runtime.leaveGroup({
    groupId: "g",
    members: [{ memberId: "m", groupInstanceId: null }],
  });
  const synced = await runtime.syncGroup({
    groupId: "g",
    generationId: 1,
    memberId: "m",
    groupInstanceId: null,
    protocolType: "consumer",
    protocolName: "range",
    assignments: [],
  });
  const [deleted] = await runtime.deleteGroups(["g"]);
  return {
    fetchOffsets: [fetched?.errorCode, fetched?.topics],
    fetchNamedOffsets: [fetchedNamed?.errorCode, fetchedNamed?.topics],
    describeGroups: [described?.errorCode, described?.groupState],
    listGroups: [listed.errorCode, listed.groups],
    joinGroup: (await runtime.joinGroup(join(), context(5))).errorCode,
    syncGroup: synced.errorCode,
    commitOffsets: committed.topics[0]?.partitions[0]?.errorCode,
    deleteOffsets: deletedOffsets.errorCode,
    leaveGroup: left.errorCode,
    deleteGroups: deleted?.errorCode,
  };
}

/** What every API answers when it must say "ask again later" with `errorCode`. */
function everyApiFailing(errorCode: number): Record<string, unknown> {
  return {
    fetchOffsets: [errorCode, []],
    fetchNamedOffsets: [errorCode, []],
    describeGroups: [errorCode, ""],
    listGroups: [errorCode, []],
    joinGroup: errorCode,
    syncGroup: errorCode,
    commitOffsets: errorCode,
    deleteOffsets: errorCode,
    leaveGroup: errorCode,
    deleteGroups: errorCode,
  };
}

test("before startup every group API answers COORDINATOR_NOT_AVAILABLE, even for a loaded partition", async () => {
  const { log, partition } = await logWithCommittedGroup();
  const env = setup(log, new ManualClock(), false);
  // Not yet told which partitions it leads: "not coordinator" or an empty group list would be a lie.
  assert.deepEqual(
    await everyApiErrorCodes(env.runtime),
    everyApiFailing(ErrorCode.COORDINATOR_NOT_AVAILABLE),
  );
  await env.runtime.loadPartition(partition, 1);
  assert.equal(env.runtime.partitionStatus(partition), "active");
  assert.deepEqual(
    await everyApiErrorCodes(env.runtime),
    everyApiFailing(ErrorCode.COORDINATOR_NOT_AVAILABLE),
  );
  env.runtime.startup();
  const [f] = await env.runtime.fetchOffsets([{ groupId: "g", topics: null }]);
  assert.equal(f?.errorCode, ErrorCode.NONE);
  assert.equal(f?.topics[0]?.partitions[0]?.committedOffset, 42n);
});

test("while a partition with committed offsets loads, no API answers as if its group did not exist", async () => {
  const { log, partition } = await logWithCommittedGroup();
  const env = setup(log);
  let open = (): void => {};
  log.loadGate = new Promise((resolve) => {
    open = resolve;
  });
  const loading = env.runtime.loadPartition(partition, 1);
  await flushIo();
  assert.equal(env.runtime.partitionStatus(partition), "loading");
  // Everything but the last record is replayed by now: the group exists in part only.
  const answers = await everyApiErrorCodes(env.runtime);
  assert.deepEqual(answers, everyApiFailing(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS));
  assert.equal(log.pendingCount, 0, "nothing was appended while loading");
  open();
  await loading;
  const [f] = await env.runtime.fetchOffsets([{ groupId: "g", topics: null }]);
  assert.deepEqual([f?.errorCode, f?.topics[0]?.partitions[0]?.committedOffset], [ErrorCode.NONE, 42n]);
  const [d] = await env.runtime.describeGroups(["g"]);
  assert.equal(d?.groupState, "Empty");
  const listed = await env.runtime.listGroups({ statesFilter: [], typesFilter: [] });
  assert.deepEqual(
    listed.groups.map((g) => g.groupId),
    ["g"],
  );
});

test("ListGroups while one partition is loaded and another loads: COORDINATOR_LOAD_IN_PROGRESS, not a partial list", async () => {
  const { log, partition } = await logWithCommittedGroup();
  const env = setup(log);
  const other = (partition + 1) % 4;
  await env.runtime.loadPartition(other, 1);
  log.loadGate = new Promise(() => {});
  void env.runtime.loadPartition(partition, 1);
  await flushIo();
  assert.deepEqual(await env.runtime.listGroups({ statesFilter: [], typesFilter: [] }), {
    errorCode: ErrorCode.COORDINATOR_LOAD_IN_PROGRESS,
    groups: [],
  });
});
