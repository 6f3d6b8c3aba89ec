import { randomUUID } from "node:crypto";
import { assert, type Clock } from "../base/index.js";
import { ErrorCode, KafkaError } from "../protocol/index.js";
import {
  consumerGroupHeartbeatError,
  consumerGroupHeartbeatRequestError,
} from "./consumer-group-heartbeat.js";
import { decodeCoordinatorRecord, encodeCoordinatorRecord } from "./coordinator-record-codec.js";
import { type CoordinatorLifecycle, routeToPartition } from "./coordinator-routing.js";
import { type AppendEffect, EffectSequencer, type RespondEffect } from "./effect-sequencer.js";
import {
  commitErrorResponse,
  consumerGroupHeartbeatErrorResponse,
  deleteErrorResponse,
  describeErrorResponse,
  fetchErrorResponse,
} from "./error-responses.js";
import type {
  ConsumerGroupHeartbeatRequest,
  ConsumerGroupHeartbeatResponse,
  CoordinatorApi,
  CoordinatorResponse,
  CoordinatorResponseData,
  DeletableGroupResult,
  DescribedConsumerGroup,
  DescribedGroup,
  HeartbeatRequest,
  HeartbeatResponse,
  JoinGroupRequest,
  JoinGroupResponse,
  LeaveGroupRequest,
  LeaveGroupResponse,
  ListGroupsRequest,
  ListGroupsResponse,
  OffsetCommitRequest,
  OffsetCommitResponse,
  OffsetDeleteRequest,
  OffsetDeleteResponse,
  OffsetFetchRequestGroup,
  OffsetFetchResponseGroup,
  RequestContext,
  RequestHandle,
  SyncGroupRequest,
  SyncGroupResponse,
  TxnOffsetCommitRequest,
} from "./group-api.js";
import type { GroupCoordinatorConfig } from "./group-coordinator-config.js";
import { GroupCoordinatorShard } from "./group-coordinator-shard.js";
import { partitionForKey } from "./group-partition.js";
import { joinErrorResponse, syncErrorResponse } from "./group-rebalance.js";
import { heartbeatRequestError } from "./heartbeat.js";
import { joinGroupRequestError } from "./join-group.js";
import { leaveGroupRequestError } from "./leave-group.js";
import { offsetDeleteRequestError } from "./offset-delete.js";
import type { OffsetsTopicLog } from "./offsets-topic-log.js";
import { type ScheduledTimer, type Scheduler, systemScheduler } from "./scheduler.js";
import type { CoordinatorEffect, TopicMetadataSource } from "./shard-state.js";
import { syncGroupRequestError } from "./sync-group.js";

/** Requests parked in one partition's coordinator beyond this mean answers are being lost. */
export const PENDING_REQUESTS_MAX = 1_000_000;

export type PartitionStatus = "loading" | "active" | "none";

/**
 * The runtime as a whole (Kafka's GroupCoordinatorService.isActive): "starting" until the broker
 * has told it which partitions it leads, "active" once it has, "closed" when the broker stops.
 */
type Lifecycle = CoordinatorLifecycle;

interface Waiter {
  readonly api: CoordinatorApi;
  readonly resolve: (response: CoordinatorResponse) => void;
  readonly fail: (errorCode: number) => void;
}

/** The coordinator of one `__consumer_offsets` partition this broker leads. */
class PartitionCoordinator {
  readonly partition: number;
  readonly leaderEpoch: number;
  readonly shard: GroupCoordinatorShard;
  readonly sequencer = new EffectSequencer();
  readonly waiters = new Map<RequestHandle, Waiter>();
  status: "loading" | "active" = "loading";
  readonly completionsWhileLoading: { producerId: bigint; committed: boolean }[] = [];
  nextHandle = 1;
  timer: ScheduledTimer | null = null;
  timerDeadlineMs: number | undefined = undefined;
  loaded: Promise<void> = Promise.resolve();

  constructor(partition: number, leaderEpoch: number, shard: GroupCoordinatorShard) {
    this.partition = partition;
    this.leaderEpoch = leaderEpoch;
    this.shard = shard;
  }
}

export interface GroupCoordinatorRuntimeOptions {
  readonly config: GroupCoordinatorConfig;
  readonly clock: Clock;
  readonly log: OffsetsTopicLog;
  readonly scheduler?: Scheduler;
  readonly newUuid?: () => string;
  /** The topics KIP-848 consumer groups subscribe to (the broker's metadata image). */
  readonly topics?: TopicMetadataSource;
}

/**
 * The shell around the coordinator shards: one shard per `__consumer_offsets` partition this
 * broker leads. It loads a shard by replaying its partition (requests meanwhile get
 * COORDINATOR_LOAD_IN_PROGRESS), routes each request to its group's shard (NOT_COORDINATOR for
 * partitions it does not lead), executes the shard's effects (encoding and appending records,
 * holding each response until the appends before it are durable), and drives the shard's timers
 * from the injected scheduler. Each request method returns a promise of its response, which the
 * broker's handler encodes at the request's version.
 *
 * Until `startup()` it does not know which partitions it leads, so every request gets
 * COORDINATOR_NOT_AVAILABLE, as Kafka's coordinator answers before it is active: "not
 * coordinator" or an empty group list there would tell a client that its group is elsewhere or
 * gone. After `close()`, the same.
 *
 * Async-safety: all state changes happen on the event loop thread, in callbacks of this class; a
 * completion or timer of a partition that was unloaded (or reloaded at a newer epoch) is ignored.
 */
export class GroupCoordinatorRuntime {
  readonly config: GroupCoordinatorConfig;
  private readonly clock: Clock;
  private readonly log: OffsetsTopicLog;
  private readonly scheduler: Scheduler;
  private readonly newUuid: () => string;
  private readonly topics: TopicMetadataSource | undefined;
  private readonly partitions = new Map<number, PartitionCoordinator>();
  private lifecycle: Lifecycle = "starting";

  constructor(options: GroupCoordinatorRuntimeOptions) {
    this.config = options.config;
    this.clock = options.clock;
    this.log = options.log;
    this.scheduler = options.scheduler ?? systemScheduler;
    this.newUuid = options.newUuid ?? randomUUID;
    this.topics = options.topics;
  }

  /** The `__consumer_offsets` partition that owns `groupId` (FindCoordinator's key lookup). */
  partitionFor(groupId: string): number {
    return partitionForKey(groupId, this.config.offsetsTopicPartitionCount);
  }

  partitionStatus(partition: number): PartitionStatus {
    return this.partitions.get(partition)?.status ?? "none";
  }

  /** The shard of a partition, for inspection (console, tests). */
  shard(partition: number): GroupCoordinatorShard | undefined {
    return this.partitions.get(partition)?.shard;
  }

  /**
   * The broker has loaded (or started loading) every partition it leads in its first metadata
   * image: from now on a partition the runtime does not know is one this broker does not lead.
   * No-op after `close`.
   */
  startup(): void {
    if (this.lifecycle === "starting") this.lifecycle = "active";
  }

  // ---- partition lifecycle ----

  /**
   * This broker became leader of `__consumer_offsets-<partition>` at `leaderEpoch`: load its groups
   * and offsets, then serve them. A call for an epoch already loaded (or loading) is a no-op; a
   * newer epoch reloads; after `close` nothing loads. Rejects if the partition cannot be read or
   * holds a malformed record.
   */
  loadPartition(partition: number, leaderEpoch: number): Promise<void> {
    assert(this.isValidPartition(partition), () => `no __consumer_offsets partition ${partition}`);
    if (this.lifecycle === "closed") return Promise.resolve();
    const existing = this.partitions.get(partition);
    if (existing !== undefined) {
      if (existing.leaderEpoch >= leaderEpoch) return existing.loaded;
      this.unloadPartition(partition);
    }
    const shard = new GroupCoordinatorShard({
      config: this.config,
      clock: this.clock,
      newUuid: this.newUuid,
      ...(this.topics === undefined ? {} : { topics: this.topics }),
    });
    const ctx = new PartitionCoordinator(partition, leaderEpoch, shard);
    this.partitions.set(partition, ctx);
    ctx.loaded = this.load(ctx);
    return ctx.loaded;
  }

  private async load(ctx: PartitionCoordinator): Promise<void> {
    try {
      for await (const bytes of this.log.read(ctx.partition)) {
        if (!this.isCurrent(ctx)) return;
        if (bytes.marker !== undefined) {
          ctx.shard.completeTransaction(bytes.marker.producerId, bytes.marker.committed);
          continue;
        }
        const record = decodeCoordinatorRecord(bytes);
        if (record === null) continue;
        if (bytes.transactionalProducerId !== undefined)
          ctx.shard.replayTransactional(bytes.transactionalProducerId, record);
        else ctx.shard.replay(record);
      }
    } catch (error) {
      if (this.isCurrent(ctx)) this.partitions.delete(ctx.partition);
      throw error;
    }
    if (!this.isCurrent(ctx)) return;
    ctx.status = "active";
    // Markers written while loading (after the end the load read up to).
    for (const c of ctx.completionsWhileLoading.splice(0))
      ctx.shard.completeTransaction(c.producerId, c.committed);
    this.apply(ctx, ctx.shard.onLoaded());
  }

  /**
   * This broker no longer leads the partition (given: the new leader epoch, to ignore a stale
   * resignation). Every waiting request is answered NOT_COORDINATOR and the groups are forgotten.
   */
  unloadPartition(partition: number, leaderEpoch?: number): void {
    const ctx = this.partitions.get(partition);
    if (ctx === undefined || (leaderEpoch !== undefined && ctx.leaderEpoch > leaderEpoch)) return;
    this.partitions.delete(partition);
    ctx.timer?.cancel();
    for (const e of ctx.shard.onUnloaded()) {
      assert(e.kind === "respond", "unloading appends nothing");
      this.deliver(ctx, e);
    }
    for (const held of ctx.sequencer.takeHeld()) this.failWaiter(ctx, held.handle, ErrorCode.NOT_COORDINATOR);
    for (const handle of [...ctx.waiters.keys()]) this.failWaiter(ctx, handle, ErrorCode.NOT_COORDINATOR);
  }

  /** Unloads everything; later requests get COORDINATOR_NOT_AVAILABLE. */
  close(): void {
    this.lifecycle = "closed";
    for (const partition of [...this.partitions.keys()]) this.unloadPartition(partition);
  }

  // ---- requests ----

  joinGroup(request: JoinGroupRequest, context: RequestContext): Promise<JoinGroupResponse> {
    const fail = (code: number) => joinErrorResponse(request.memberId, code);
    const error = joinGroupRequestError(request, this.config);
    if (error !== ErrorCode.NONE) return Promise.resolve(fail(error));
    return this.call(request.groupId, "joinGroup", fail, (shard, h) => shard.joinGroup(h, request, context));
  }

  /** KIP-848 ConsumerGroupHeartbeat: join, heartbeat or leave a consumer group. */
  consumerGroupHeartbeat(
    request: ConsumerGroupHeartbeatRequest,
    context: RequestContext,
  ): Promise<ConsumerGroupHeartbeatResponse> {
    const invalid = consumerGroupHeartbeatRequestError(request, this.config, context.apiVersion);
    if (invalid !== null) return Promise.resolve(consumerGroupHeartbeatError(invalid));
    return this.call(
      request.groupId,
      "consumerGroupHeartbeat",
      (code) => consumerGroupHeartbeatErrorResponse(code),
      (shard, h) => shard.consumerGroupHeartbeat(h, request, context),
    );
  }

  /** ConsumerGroupDescribe: one answer per group id, in request order. */
  describeConsumerGroups(groupIds: readonly string[]): Promise<DescribedConsumerGroup[]> {
    return Promise.resolve(
      groupIds.map((groupId) => {
        const { ctx, errorCode } = this.route(groupId);
        if (ctx === undefined) {
          return {
            errorCode,
            errorMessage: null,
            groupId,
            groupState: "",
            groupEpoch: -1,
            assignmentEpoch: -1,
            assignorName: "",
            members: [],
          };
        }
        return ctx.shard.describeConsumerGroups([groupId])[0] as DescribedConsumerGroup;
      }),
    );
  }

  syncGroup(request: SyncGroupRequest): Promise<SyncGroupResponse> {
    const error = syncGroupRequestError(request);
    if (error !== ErrorCode.NONE) return Promise.resolve(syncErrorResponse(error));
    return this.call(request.groupId, "syncGroup", syncErrorResponse, (shard, h) =>
      shard.syncGroup(h, request),
    );
  }

  heartbeat(request: HeartbeatRequest): Promise<HeartbeatResponse> {
    const error = heartbeatRequestError(request);
    if (error !== ErrorCode.NONE) return Promise.resolve({ errorCode: error });
    // While the group is loading Kafka answers heartbeats blindly with NONE.
    const fail = (code: number) => ({
      errorCode: code === ErrorCode.COORDINATOR_LOAD_IN_PROGRESS ? ErrorCode.NONE : code,
    });
    return this.call(request.groupId, "heartbeat", fail, (shard, h) => shard.heartbeat(h, request));
  }

  leaveGroup(request: LeaveGroupRequest): Promise<LeaveGroupResponse> {
    const fail = (code: number) => ({ errorCode: code, members: [] });
    const error = leaveGroupRequestError(request);
    if (error !== ErrorCode.NONE) return Promise.resolve(fail(error));
    return this.call(request.groupId, "leaveGroup", fail, (shard, h) => shard.leaveGroup(h, request));
  }

  commitOffsets(request: OffsetCommitRequest, context: RequestContext): Promise<OffsetCommitResponse> {
    const fail = (code: number) => commitErrorResponse(request, code);
    return this.call(request.groupId, "offsetCommit", fail, (shard, h) =>
      shard.commitOffsets(h, request, context),
    );
  }

  deleteOffsets(request: OffsetDeleteRequest): Promise<OffsetDeleteResponse> {
    const fail = (code: number) => ({ errorCode: code, topics: [] });
    const error = offsetDeleteRequestError(request);
    if (error !== ErrorCode.NONE) return Promise.resolve(fail(error));
    return this.call(request.groupId, "offsetDelete", fail, (shard, h) => shard.deleteOffsets(h, request));
  }

  /** TxnOffsetCommit: answered once the offsets are durable; they count once the transaction commits. */
  commitTransactionalOffsets(request: TxnOffsetCommitRequest): Promise<OffsetCommitResponse> {
    const fail = (code: number) =>
      commitErrorResponse({ ...request, generationIdOrMemberEpoch: -1, retentionTimeMs: -1 }, code);
    return this.call(request.groupId, "offsetCommit", fail, (shard, h) =>
      shard.commitTransactionalOffsets(h, request),
    );
  }

  /**
   * A transaction marker of `producerId` was written to `__consumer_offsets-<partition>`: the
   * offsets it committed there become visible (or are dropped). A partition still loading applies
   * it once loaded; one this broker does not lead ignores it (its new leader reads the marker).
   */
  completeTransaction(partition: number, producerId: bigint, committed: boolean): void {
    const ctx = this.partitions.get(partition);
    if (ctx === undefined) return;
    if (ctx.status === "loading") ctx.completionsWhileLoading.push({ producerId, committed });
    else ctx.shard.completeTransaction(producerId, committed);
  }

  /**
   * OffsetFetch: one answer per group, in request order (v0-7 ask for one group, v8+ for several).
   * `requireStable` (v7+) answers UNSTABLE_OFFSET_COMMIT for partitions with an offset committed
   * in a transaction not yet ended, as Kafka does.
   */
  fetchOffsets(
    groups: readonly OffsetFetchRequestGroup[],
    requireStable = false,
  ): Promise<OffsetFetchResponseGroup[]> {
    return Promise.resolve(
      groups.map((group) => {
        const { ctx, errorCode } = this.route(group.groupId);
        if (ctx === undefined) return fetchErrorResponse(group, errorCode);
        const answer = ctx.shard.fetchOffsets(group);
        if (!requireStable) return answer;
        const shard = ctx.shard;
        return {
          ...answer,
          topics: answer.topics.map((t) => ({
            ...t,
            partitions: t.partitions.map((p) =>
              shard.hasPendingTxnOffset(group.groupId, t.name, p.partitionIndex)
                ? { ...p, committedOffset: -1n, errorCode: ErrorCode.UNSTABLE_OFFSET_COMMIT }
                : p,
            ),
          })),
        };
      }),
    );
  }

  describeGroups(groupIds: readonly string[]): Promise<DescribedGroup[]> {
    return Promise.resolve(
      groupIds.map((groupId) => {
        const { ctx, errorCode } = this.route(groupId);
        return ctx === undefined
          ? describeErrorResponse(groupId, errorCode)
          : (ctx.shard.describeGroups([groupId])[0] as DescribedGroup);
      }),
    );
  }

  /** ListGroups over every partition this broker leads; any still loading fails the whole answer. */
  listGroups(request: ListGroupsRequest): Promise<ListGroupsResponse> {
    if (this.lifecycle !== "active")
      return Promise.resolve({ errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, groups: [] });
    const contexts = [...this.partitions.values()];
    if (contexts.some((ctx) => ctx.status === "loading")) {
      return Promise.resolve({ errorCode: ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, groups: [] });
    }
    return Promise.resolve({
      errorCode: ErrorCode.NONE,
      groups: contexts.flatMap((ctx) => ctx.shard.listGroups(request)),
    });
  }

  /** DeleteGroups: one result per group id, in request order. */
  async deleteGroups(groupIds: readonly string[]): Promise<DeletableGroupResult[]> {
    const byPartition = new Map<number, number[]>();
    groupIds.forEach((groupId, i) => {
      const partition = this.partitionFor(groupId);
      byPartition.set(partition, [...(byPartition.get(partition) ?? []), i]);
    });
    const out: DeletableGroupResult[] = new Array(groupIds.length);
    await Promise.all(
      [...byPartition.values()].map(async (indexes) => {
        const ids = indexes.map((i) => groupIds[i] as string);
        const fail = (code: number) => ids.map((id) => deleteErrorResponse(id, code));
        const results = await this.call(ids[0] as string, "deleteGroups", fail, (shard, h) =>
          shard.deleteGroups(h, ids),
        );
        indexes.forEach((index, k) => {
          out[index] = results[k] as DeletableGroupResult;
        });
      }),
    );
    return out;
  }

  // ---- plumbing ----

  private isValidPartition(partition: number): boolean {
    return (
      Number.isInteger(partition) && partition >= 0 && partition < this.config.offsetsTopicPartitionCount
    );
  }

  private isCurrent(ctx: PartitionCoordinator): boolean {
    return this.partitions.get(ctx.partition) === ctx;
  }

  private route(groupId: string): { ctx: PartitionCoordinator | undefined; errorCode: number } {
    return routeToPartition(this.lifecycle, this.partitions.get(this.partitionFor(groupId)));
  }

  /** Runs a request on its group's shard; the promise settles when the shard answers its handle. */
  private call<A extends CoordinatorApi>(
    groupId: string,
    api: A,
    fail: (errorCode: number) => CoordinatorResponseData[A],
    run: (shard: GroupCoordinatorShard, handle: RequestHandle) => CoordinatorEffect[],
  ): Promise<CoordinatorResponseData[A]> {
    const { ctx, errorCode } = this.route(groupId);
    if (ctx === undefined) return Promise.resolve(fail(errorCode));
    return new Promise<CoordinatorResponseData[A]>((resolve) => {
      const handle = ctx.nextHandle++;
      ctx.waiters.set(handle, {
        api,
        resolve: (response) => {
          assert(response.api === api, () => `a ${api} request answered as ${response.api}`);
          resolve(response.data as CoordinatorResponseData[A]);
        },
        fail: (code) => resolve(fail(code)),
      });
      assert(ctx.waiters.size <= PENDING_REQUESTS_MAX, "too many pending coordinator requests");
      this.apply(ctx, run(ctx.shard, handle));
    });
  }

  private apply(ctx: PartitionCoordinator, effects: readonly CoordinatorEffect[], position?: number): void {
    const { appends, ready } = ctx.sequencer.accept(effects, position);
    for (const a of appends) this.startAppend(ctx, a);
    for (const r of ready) this.deliver(ctx, r);
    this.rearm(ctx);
  }

  private startAppend(ctx: PartitionCoordinator, effect: AppendEffect): void {
    const bytes = effect.records.map(encodeCoordinatorRecord);
    let appended: Promise<bigint>;
    try {
      appended = this.log.append(ctx.partition, bytes, effect.transaction);
    } catch (error) {
      appended = Promise.reject(error);
    }
    appended.then(
      () => this.onAppendSettled(ctx, effect.appendId, ErrorCode.NONE),
      (error: unknown) => this.onAppendSettled(ctx, effect.appendId, appendErrorCode(error)),
    );
  }

  private onAppendSettled(ctx: PartitionCoordinator, appendId: number, errorCode: number): void {
    if (!this.isCurrent(ctx)) return;
    for (const done of ctx.sequencer.settle(appendId, errorCode)) {
      this.apply(ctx, ctx.shard.onAppendCompleted(done.appendId, done.errorCode), done.appendId);
    }
    for (const r of ctx.sequencer.releaseReady()) this.deliver(ctx, r);
  }

  private deliver(ctx: PartitionCoordinator, effect: RespondEffect): void {
    const waiter = ctx.waiters.get(effect.handle);
    assert(waiter !== undefined, () => `response to unknown request ${effect.handle}`);
    ctx.waiters.delete(effect.handle);
    waiter.resolve(effect.response);
  }

  private failWaiter(ctx: PartitionCoordinator, handle: RequestHandle, errorCode: number): void {
    const waiter = ctx.waiters.get(handle);
    if (waiter === undefined) return;
    ctx.waiters.delete(handle);
    waiter.fail(errorCode);
  }

  /** Keeps one scheduler timer per partition, armed at the shard's earliest deadline. */
  private rearm(ctx: PartitionCoordinator): void {
    if (!this.isCurrent(ctx)) return;
    const deadline = ctx.shard.nextDeadlineMs();
    if (deadline === ctx.timerDeadlineMs && (ctx.timer !== null || deadline === undefined)) return;
    ctx.timer?.cancel();
    ctx.timer = null;
    ctx.timerDeadlineMs = deadline;
    if (deadline === undefined) return;
    ctx.timer = this.scheduler.schedule(Math.max(0, deadline - this.clock.monotonicMs()), () => {
      if (!this.isCurrent(ctx)) return;
      ctx.timer = null;
      ctx.timerDeadlineMs = undefined;
      this.apply(ctx, ctx.shard.poll());
    });
  }
}

/** The Kafka error code of a failed append; anything that is not a KafkaError is a storage failure. */
function appendErrorCode(error: unknown): number {
  return error instanceof KafkaError ? error.errorCode : ErrorCode.KAFKA_STORAGE_ERROR;
}
