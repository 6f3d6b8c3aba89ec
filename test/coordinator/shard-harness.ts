import assert from "node:assert/strict";
import { ManualClock } from "../../src/base/index.js";
import type { CoordinatorRecord } from "../../src/coordinator/coordinator-record.js";
import { EffectSequencer } from "../../src/coordinator/effect-sequencer.js";
import { failedResponse } from "../../src/coordinator/error-responses.js";
import type {
  ConsumerGroupHeartbeatRequest,
  ConsumerGroupHeartbeatResponse,
  CoordinatorResponse,
  DeletableGroupResult,
  HeartbeatResponse,
  JoinGroupProtocol,
  JoinGroupResponse,
  LeaveGroupResponse,
  OffsetCommitResponse,
  OffsetDeleteResponse,
  RequestContext,
  SyncGroupResponse,
} from "../../src/coordinator/group-api.js";
import {
  type GroupCoordinatorConfig,
  groupCoordinatorConfig,
} from "../../src/coordinator/group-coordinator-config.js";
import { GroupCoordinatorShard } from "../../src/coordinator/group-coordinator-shard.js";
import type { CoordinatorEffect } from "../../src/coordinator/shard-state.js";
import { ErrorCode, Writer } from "../../src/protocol/index.js";

/** A ConsumerProtocolSubscription (version 1: topics, null user data, no owned partitions). */
export function subscription(topics: readonly string[], version = 1): Buffer {
  const w = new Writer();
  w.int16(version).int32(topics.length);
  for (const t of topics) w.string(t);
  w.int32(-1); // null user data
  if (version >= 1) w.int32(0); // owned partitions
  return w.toBuffer();
}

export function consumerProtocols(
  topics: readonly string[],
  names: readonly string[] = ["range"],
): JoinGroupProtocol[] {
  return names.map((name) => ({ name, metadata: subscription(topics) }));
}

export interface JoinOptions {
  groupId?: string | undefined;
  memberId?: string | undefined;
  groupInstanceId?: string | null | undefined;
  protocolType?: string | undefined;
  protocols?: JoinGroupProtocol[] | undefined;
  sessionTimeoutMs?: number | undefined;
  rebalanceTimeoutMs?: number | undefined;
  version?: number | undefined;
  clientId?: string | undefined;
}

/**
 * Drives a GroupCoordinatorShard as its shell would, with the runtime's own EffectSequencer:
 * executes append effects (completing them at once, or later when `autoCompleteAppends` is off),
 * delivers each response once the appends it depends on are done, keeps the "log" of durable
 * records (in emission order), advances simulated time firing timers at their deadlines, and
 * checks after every event that each request handle is answered exactly once and that the groups'
 * invariants hold.
 */
export class ShardHarness {
  readonly clock = new ManualClock();
  readonly config: GroupCoordinatorConfig;
  shard: GroupCoordinatorShard;
  autoCompleteAppends = true;
  /** The next append completion error (0: success), consumed by the next completion. */
  failNextAppendWith = 0;
  readonly log: CoordinatorRecord[] = [];
  private sequencer = new EffectSequencer();
  private readonly inFlight = new Map<number, readonly CoordinatorRecord[]>();
  private readonly responses = new Map<number, CoordinatorResponse>();
  private readonly issued = new Set<number>();
  private nextHandle = 1;
  private uuidCounter = 0;
  /** The topics consumer groups see, by name (tests add and grow them). */
  readonly topics = new Map<string, { topicId: string; numPartitions: number }>();

  constructor(config: Partial<GroupCoordinatorConfig> = {}) {
    this.config = groupCoordinatorConfig({ groupInitialRebalanceDelayMs: 0, ...config });
    this.shard = this.newShard();
  }

  private readonly seenTopicNames = new Set<string>();
  private topicSetVersion = 0n;

  /** Moves on (as the image offset would) whenever a topic name appeared since the last look. */
  private topicsVersion(): bigint {
    for (const name of this.topics.keys()) {
      if (!this.seenTopicNames.has(name)) {
        this.seenTopicNames.add(name);
        this.topicSetVersion += 1n;
      }
    }
    return this.topicSetVersion;
  }

  newShard(): GroupCoordinatorShard {
    return new GroupCoordinatorShard({
      config: this.config,
      clock: this.clock,
      newUuid: () => `uuid-${++this.uuidCounter}`,
      topics: {
        topicByName: (name) => this.topics.get(name),
        topicNameById: (id) => [...this.topics].find(([, t]) => t.topicId === id)?.[0],
        topicNames: () => this.topics.keys(),
        topicsVersion: () => this.topicsVersion(),
      },
    });
  }

  /** Issues a request with a fresh handle and runs it. */
  request(run: (handle: number) => CoordinatorEffect[]): number {
    const handle = this.nextHandle++;
    this.issued.add(handle);
    this.apply(run(handle));
    return handle;
  }

  apply(effects: readonly CoordinatorEffect[], position?: number): void {
    const { appends, ready } = this.sequencer.accept(effects, position);
    for (const a of appends) this.inFlight.set(a.appendId, a.records);
    for (const r of ready) this.deliver(r.handle, r.response);
    this.shard.checkInvariants();
    if (this.autoCompleteAppends) {
      for (const id of this.pendingAppendIds()) if (this.inFlight.has(id)) this.completeAppend(id);
    }
  }

  private deliver(handle: number, response: CoordinatorResponse): void {
    assert.ok(this.issued.has(handle), `response to unknown handle ${handle}`);
    assert.ok(!this.responses.has(handle), `handle ${handle} answered twice`);
    this.responses.set(handle, response);
  }

  /** Appends that have been issued and not completed, oldest first. */
  pendingAppendIds(): number[] {
    return [...this.inFlight.keys()];
  }

  /** The log completes an append (in any order); durable records enter the log in emission order. */
  completeAppend(appendId: number, errorCode = this.failNextAppendWith): void {
    this.failNextAppendWith = 0;
    assert.ok(this.inFlight.has(appendId), `append ${appendId} is pending`);
    const outcomes = this.sequencer.settle(appendId, errorCode);
    for (const done of outcomes) {
      const records = this.inFlight.get(done.appendId) ?? [];
      this.inFlight.delete(done.appendId);
      if (done.errorCode === 0) this.log.push(...records);
    }
    if (outcomes.length === 0) {
      // Completed ahead of an earlier append: it waits, as the runtime does.
      return;
    }
    for (const done of outcomes)
      this.apply(this.shard.onAppendCompleted(done.appendId, done.errorCode), done.appendId);
    for (const r of this.sequencer.releaseReady()) this.deliver(r.handle, r.response);
  }

  /** Advances time to `ms` later, firing every timer at its own deadline. */
  advance(ms: number): void {
    const target = this.clock.monotonicMs() + ms;
    for (;;) {
      const next = this.shard.nextDeadlineMs();
      if (next === undefined || next > target) break;
      this.clock.advance(Math.max(0, next - this.clock.monotonicMs()));
      this.apply(this.shard.poll());
    }
    this.clock.advance(target - this.clock.monotonicMs());
    this.apply(this.shard.poll());
  }

  /**
   * The partition moves away and comes back, as the runtime handles it: the shard's unload answers
   * go out at once, responses still held behind appends fail NOT_COORDINATOR, appends in flight
   * are forgotten (never durable), and a new shard loads the durable log.
   */
  failover(): void {
    for (const e of this.shard.onUnloaded()) {
      assert.equal(e.kind, "respond", "unloading appends nothing");
      if (e.kind === "respond") this.deliver(e.handle, e.response);
    }
    for (const held of this.sequencer.takeHeld()) {
      this.deliver(held.handle, failedResponse(held.response, ErrorCode.NOT_COORDINATOR));
    }
    this.inFlight.clear();
    this.reload();
  }

  /** Replaces the shard by one loaded from the durable log, as after a coordinator failover. */
  reload(): void {
    this.shard = this.newShard();
    this.sequencer = new EffectSequencer();
    for (const r of this.log) this.shard.replay(r);
    this.apply(this.shard.onLoaded());
  }

  responseFor(handle: number): CoordinatorResponse | undefined {
    return this.responses.get(handle);
  }

  answered(handle: number): boolean {
    return this.responses.has(handle);
  }

  /** Every issued request has been answered. */
  assertAllAnswered(): void {
    const open = [...this.issued].filter((h) => !this.responses.has(h));
    assert.deepEqual(open, [], "requests without an answer");
  }

  private response<A extends CoordinatorResponse["api"]>(handle: number, api: A) {
    const r = this.responses.get(handle);
    assert.ok(r !== undefined, `handle ${handle} has no response yet`);
    assert.equal(r.api, api);
    return r.data as Extract<CoordinatorResponse, { api: A }>["data"];
  }

  joinResponse(handle: number): JoinGroupResponse {
    return this.response(handle, "joinGroup");
  }
  syncResponse(handle: number): SyncGroupResponse {
    return this.response(handle, "syncGroup");
  }
  heartbeatResponse(handle: number): HeartbeatResponse {
    return this.response(handle, "heartbeat");
  }
  leaveResponse(handle: number): LeaveGroupResponse {
    return this.response(handle, "leaveGroup");
  }
  commitResponse(handle: number): OffsetCommitResponse {
    return this.response(handle, "offsetCommit");
  }
  deleteGroupsResponse(handle: number): readonly DeletableGroupResult[] {
    return this.response(handle, "deleteGroups");
  }
  offsetDeleteResponse(handle: number): OffsetDeleteResponse {
    return this.response(handle, "offsetDelete");
  }
  consumerHeartbeatResponse(handle: number): ConsumerGroupHeartbeatResponse {
    return this.response(handle, "consumerGroupHeartbeat");
  }

  /** A ConsumerGroupHeartbeat (KIP-848) with the fields a client sends on a plain heartbeat. */
  consumerHeartbeat(
    r: Partial<ConsumerGroupHeartbeatRequest> & { memberId: string; memberEpoch: number },
    context: Partial<RequestContext> = {},
  ): number {
    return this.request((h) =>
      this.shard.consumerGroupHeartbeat(
        h,
        {
          groupId: "g",
          instanceId: null,
          rackId: null,
          rebalanceTimeoutMs: -1,
          subscribedTopicNames: null,
          subscribedTopicRegex: null,
          serverAssignor: null,
          topicPartitions: null,
          ...r,
        },
        { apiVersion: 1, clientId: "client", clientHost: "/127.0.0.1", ...context },
      ),
    );
  }

  // ---- request builders ----

  join(o: JoinOptions = {}): number {
    return this.request((h) =>
      this.shard.joinGroup(
        h,
        {
          groupId: o.groupId ?? "g",
          sessionTimeoutMs: o.sessionTimeoutMs ?? 10_000,
          rebalanceTimeoutMs: o.rebalanceTimeoutMs ?? 30_000,
          memberId: o.memberId ?? "",
          groupInstanceId: o.groupInstanceId ?? null,
          protocolType: o.protocolType ?? "consumer",
          protocols: o.protocols ?? consumerProtocols(["t"]),
        },
        { apiVersion: o.version ?? 5, clientId: o.clientId ?? "client", clientHost: "/127.0.0.1" },
      ),
    );
  }

  /** JoinGroup v4+ of a new dynamic member: MEMBER_ID_REQUIRED, then the rejoin with the id. */
  joinNew(o: JoinOptions = {}): number {
    const first = this.join({ ...o, memberId: "" });
    const r = this.joinResponse(first);
    assert.equal(r.errorCode, 79, "MEMBER_ID_REQUIRED");
    return this.join({ ...o, memberId: r.memberId });
  }

  sync(
    memberId: string,
    generationId: number,
    assignments: { memberId: string; assignment: Buffer }[] = [],
    o: {
      groupId?: string;
      groupInstanceId?: string | null;
      protocolType?: string | null;
      protocolName?: string | null;
    } = {},
  ): number {
    return this.request((h) =>
      this.shard.syncGroup(h, {
        groupId: o.groupId ?? "g",
        generationId,
        memberId,
        groupInstanceId: o.groupInstanceId ?? null,
        protocolType: o.protocolType ?? null,
        protocolName: o.protocolName ?? null,
        assignments,
      }),
    );
  }

  heartbeat(
    memberId: string,
    generationId: number,
    o: { groupId?: string; groupInstanceId?: string | null } = {},
  ): number {
    return this.request((h) =>
      this.shard.heartbeat(h, {
        groupId: o.groupId ?? "g",
        generationId,
        memberId,
        groupInstanceId: o.groupInstanceId ?? null,
      }),
    );
  }

  leave(members: { memberId: string; groupInstanceId?: string | null }[], groupId = "g"): number {
    return this.request((h) =>
      this.shard.leaveGroup(h, {
        groupId,
        members: members.map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId ?? null })),
      }),
    );
  }

  commit(
    o: {
      groupId?: string;
      generationId?: number;
      memberId?: string;
      groupInstanceId?: string | null;
      retentionTimeMs?: number;
      version?: number;
      offsets?: { topic: string; partition: number; offset: bigint; metadata?: string | null }[];
    } = {},
  ): number {
    const byTopic = new Map<
      string,
      {
        partitionIndex: number;
        committedOffset: bigint;
        committedLeaderEpoch: number;
        committedMetadata: string | null;
      }[]
    >();
    for (const x of o.offsets ?? [{ topic: "t", partition: 0, offset: 10n }]) {
      const list = byTopic.get(x.topic) ?? [];
      list.push({
        partitionIndex: x.partition,
        committedOffset: x.offset,
        committedLeaderEpoch: -1,
        committedMetadata: x.metadata === undefined ? "" : x.metadata,
      });
      byTopic.set(x.topic, list);
    }
    return this.request((h) =>
      this.shard.commitOffsets(
        h,
        {
          groupId: o.groupId ?? "g",
          generationIdOrMemberEpoch: o.generationId ?? -1,
          memberId: o.memberId ?? "",
          groupInstanceId: o.groupInstanceId ?? null,
          retentionTimeMs: o.retentionTimeMs ?? -1,
          topics: [...byTopic].map(([name, partitions]) => ({ name, partitions })),
        },
        { apiVersion: o.version ?? 8, clientId: "client", clientHost: "/127.0.0.1" },
      ),
    );
  }

  /** The error codes of a commit response, flattened as "topic-partition:code". */
  commitErrors(handle: number): string[] {
    return this.commitResponse(handle).topics.flatMap((t) =>
      t.partitions.map((p) => `${t.name}-${p.partitionIndex}:${p.errorCode}`),
    );
  }
}

/**
 * A stable group of `n` dynamic members on generation 1 (one rebalance, leader synced with an
 * assignment naming each member). Returns the member ids, leader first.
 */
export function stableGroup(
  h: ShardHarness,
  n: number,
  o: JoinOptions = {},
): { memberIds: string[]; generationId: number } {
  const joins: number[] = [];
  for (let i = 0; i < n; i++) joins.push(h.join({ ...o, version: 3, clientId: `c${i}` }));
  // With the initial delay 0 the join phase completes when the initial timer fires.
  h.advance(0);
  const responses = joins.map((j) => h.joinResponse(j));
  const leader = responses.find((r) => r.leader === r.memberId);
  assert.ok(leader !== undefined, "a leader was elected");
  const memberIds = [leader.memberId, ...responses.filter((r) => r !== leader).map((r) => r.memberId)];
  const generationId = leader.generationId;
  const syncs = memberIds.map((id) =>
    h.sync(
      id,
      generationId,
      id === leader.memberId
        ? memberIds.map((m) => ({ memberId: m, assignment: Buffer.from(`a:${m}`) }))
        : [],
      {
        groupId: o.groupId ?? "g",
      },
    ),
  );
  for (const s of syncs) assert.equal(h.syncResponse(s).errorCode, 0);
  return { memberIds, generationId };
}
