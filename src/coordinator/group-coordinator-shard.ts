import { randomUUID } from "node:crypto";
import { assert, type Clock, unreachable } from "../base/index.js";
import { type ClassicGroup, ClassicGroup as ClassicGroupImpl } from "./classic-group.js";
import type { ConsumerGroup } from "./consumer-group.js";
import { describeConsumerGroups, listConsumerGroups, refuseClassicJoin } from "./consumer-group-admin.js";
import {
  consumerGroupHeartbeat,
  fenceConsumerGroupMember,
  onConsumerGroupHeartbeatAppended,
} from "./consumer-group-heartbeat.js";
import type { CoordinatorRecord } from "./coordinator-record.js";
import { deleteGroups, describeGroups, listGroups, onDeleteGroupsAppended } from "./group-admin.js";
import type {
  ConsumerGroupHeartbeatRequest,
  DescribedConsumerGroup,
  DescribedGroup,
  HeartbeatRequest,
  JoinGroupRequest,
  LeaveGroupRequest,
  ListedGroup,
  ListGroupsRequest,
  OffsetCommitRequest,
  OffsetDeleteRequest,
  OffsetFetchRequestGroup,
  OffsetFetchResponseGroup,
  RequestContext,
  RequestHandle,
  SyncGroupRequest,
  TxnOffsetCommitRequest,
} from "./group-api.js";
import type { GroupCoordinatorConfig } from "./group-coordinator-config.js";
import { cleanupGroupMetadata } from "./group-expiry.js";
import { applyOffsetRecord, onLoaded, onUnloaded, replayRecord } from "./group-loader.js";
import {
  completeGroupJoin,
  expireHeartbeat,
  expirePendingSync,
  tryCompleteInitialRebalance,
} from "./group-rebalance.js";
import { heartbeat } from "./heartbeat.js";
import { joinGroup, onStaticMemberReplaced } from "./join-group.js";
import { leaveGroup } from "./leave-group.js";
import {
  commitOffsets,
  commitTransactionalOffsets,
  onOffsetCommitAppended,
  onOffsetDeleteAppended,
} from "./offset-commit.js";
import { deleteOffsets } from "./offset-delete.js";
import { fetchOffsets } from "./offset-fetch.js";
import type { OffsetAndMetadata } from "./offset-store.js";
import {
  type CoordinatorEffect,
  ShardState,
  type TimerAction,
  type TopicMetadataSource,
} from "./shard-state.js";
import { onSyncGroupAppended, syncGroup } from "./sync-group.js";

/** Timers fired by one `poll()`; the rest fire on the next poll, so one call stays bounded. */
export const TIMERS_PER_POLL_MAX = 100_000;

export interface GroupCoordinatorShardOptions {
  readonly config: GroupCoordinatorConfig;
  readonly clock: Clock;
  /** Produces the uuid part of new member ids (`clientId-uuid`); inject a seeded one in tests. */
  readonly newUuid?: () => string;
  /** The topics consumer groups subscribe to (the broker's metadata image). */
  readonly topics?: TopicMetadataSource;
}

/**
 * The group coordinator of one `__consumer_offsets` partition, as a sans-I/O state machine: every
 * input (a request with its handle, an append completing, time passing) is a method call, and the
 * output is a list of effects for the shell to execute in order (see `CoordinatorEffect`):
 * appends to the partition, and responses addressed to request handles. Responses that wait
 * (a JoinGroup until the join barrier, a SyncGroup until the leader's assignment is durable, an
 * OffsetCommit until its records are) come out of whichever later call completes them.
 *
 * Time comes from the injected Clock: wall time for persisted timestamps, monotonic time for
 * deadlines; the shell calls `poll()` at `nextDeadlineMs()`. No timers, sockets or files inside.
 *
 * Lifecycle: construct, `replay()` the partition's records, `onLoaded()`; serve; `onUnloaded()`
 * when the partition moves away, after which the shard is discarded.
 *
 * Invariant: every handle passed in is answered by exactly one `respond` effect (checked by the
 * tests' harness), including when a member is removed, fenced or the partition unloaded.
 */
export class GroupCoordinatorShard {
  private readonly s: ShardState;

  constructor(options: GroupCoordinatorShardOptions) {
    this.s = new ShardState(options.config, options.clock, options.newUuid ?? randomUUID, options.topics);
  }

  // ---- loading ----

  /** Applies one record read from the partition while loading, in log order. */
  replay(record: CoordinatorRecord): void {
    replayRecord(this.s, record);
  }

  onLoaded(): CoordinatorEffect[] {
    onLoaded(this.s);
    return this.s.takeEffects();
  }

  onUnloaded(): CoordinatorEffect[] {
    onUnloaded(this.s);
    return this.s.takeEffects();
  }

  // ---- requests whose responses come as effects ----

  /** KIP-848: join, heartbeat or leave a consumer group. */
  consumerGroupHeartbeat(
    handle: RequestHandle,
    request: ConsumerGroupHeartbeatRequest,
    context: RequestContext,
  ): CoordinatorEffect[] {
    consumerGroupHeartbeat(this.s, handle, request, context);
    return this.s.takeEffects();
  }

  describeConsumerGroups(groupIds: readonly string[]): DescribedConsumerGroup[] {
    return describeConsumerGroups(this.s, groupIds);
  }

  joinGroup(handle: RequestHandle, request: JoinGroupRequest, context: RequestContext): CoordinatorEffect[] {
    if (refuseClassicJoin(this.s, handle, request)) return this.s.takeEffects();
    joinGroup(this.s, handle, request, context);
    return this.s.takeEffects();
  }

  syncGroup(handle: RequestHandle, request: SyncGroupRequest): CoordinatorEffect[] {
    syncGroup(this.s, handle, request);
    return this.s.takeEffects();
  }

  heartbeat(handle: RequestHandle, request: HeartbeatRequest): CoordinatorEffect[] {
    heartbeat(this.s, handle, request);
    return this.s.takeEffects();
  }

  leaveGroup(handle: RequestHandle, request: LeaveGroupRequest): CoordinatorEffect[] {
    leaveGroup(this.s, handle, request);
    return this.s.takeEffects();
  }

  commitOffsets(
    handle: RequestHandle,
    request: OffsetCommitRequest,
    context: RequestContext,
  ): CoordinatorEffect[] {
    commitOffsets(this.s, handle, request, context);
    return this.s.takeEffects();
  }

  /** TxnOffsetCommit: offsets written now, visible once the producer's transaction commits. */
  commitTransactionalOffsets(handle: RequestHandle, request: TxnOffsetCommitRequest): CoordinatorEffect[] {
    commitTransactionalOffsets(this.s, handle, request);
    return this.s.takeEffects();
  }

  /**
   * A COMMIT or ABORT marker of `producerId` was written to this partition (or read while
   * loading): its pending offsets become committed, or are dropped.
   */
  completeTransaction(producerId: bigint, committed: boolean): void {
    const pending = this.s.pendingTxnOffsets.get(producerId);
    this.s.pendingTxnOffsets.delete(producerId);
    if (!committed || pending === undefined) return;
    for (const record of pending) {
      this.s.offsets.replay(record.key, record.value);
      if (!this.s.groups.has(record.key.group))
        this.s.groups.set(record.key.group, new ClassicGroupImpl(record.key.group, null));
    }
  }

  /** Loading: an offset commit record of a transactional batch of `producerId`. */
  replayTransactional(producerId: bigint, record: CoordinatorRecord): void {
    this.s.addPendingTxnOffsets(producerId, [record]);
  }

  hasPendingTxnOffset(groupId: string, topic: string, partition: number): boolean {
    return this.s.hasPendingTxnOffset(groupId, topic, partition);
  }

  deleteGroups(handle: RequestHandle, groupIds: readonly string[]): CoordinatorEffect[] {
    deleteGroups(this.s, handle, groupIds);
    return this.s.takeEffects();
  }

  deleteOffsets(handle: RequestHandle, request: OffsetDeleteRequest): CoordinatorEffect[] {
    deleteOffsets(this.s, handle, request);
    return this.s.takeEffects();
  }

  // ---- reads, answered at once from durable offsets and the groups in memory ----

  fetchOffsets(request: OffsetFetchRequestGroup): OffsetFetchResponseGroup {
    return fetchOffsets(this.s, request);
  }

  describeGroups(groupIds: readonly string[]): DescribedGroup[] {
    return describeGroups(this.s, groupIds);
  }

  listGroups(request: ListGroupsRequest): ListedGroup[] {
    return [...listGroups(this.s, request), ...listConsumerGroups(this.s, request)];
  }

  // ---- time and the log ----

  /** The monotonic time at which `poll()` has work, or undefined when no timer is set. */
  nextDeadlineMs(): number | undefined {
    return this.s.timers.nextDeadlineMs();
  }

  /** Fires the timers that are due: session expiry, rebalance timeouts, retention. */
  poll(): CoordinatorEffect[] {
    const nowMs = this.s.clock.monotonicMs();
    for (let i = 0; i < TIMERS_PER_POLL_MAX; i++) {
      const due = this.s.timers.popExpired(nowMs);
      if (due === undefined) break;
      this.fire(due.action);
    }
    return this.s.takeEffects();
  }

  /** An `append` effect completed: durably (errorCode NONE) or not (the log's error code). */
  onAppendCompleted(appendId: number, errorCode: number): CoordinatorEffect[] {
    const entry = this.s.appendsInFlight.get(appendId);
    assert(entry !== undefined, () => `append ${appendId} is not in flight`);
    this.s.appendsInFlight.delete(appendId);
    if (errorCode === 0 && entry.transaction !== undefined) {
      this.s.addPendingTxnOffsets(entry.transaction.producerId, entry.records);
    } else if (errorCode === 0) {
      for (const record of entry.records)
        if (record.type === "offsetCommit") applyOffsetRecord(this.s, record);
    }
    const c = entry.continuation;
    switch (c.kind) {
      case "none":
        break;
      case "offsetCommit":
        onOffsetCommitAppended(this.s, c, errorCode);
        break;
      case "syncGroup":
        onSyncGroupAppended(this.s, c, errorCode);
        break;
      case "staticMemberReplaced":
        onStaticMemberReplaced(this.s, c, errorCode);
        break;
      case "deleteGroups":
        onDeleteGroupsAppended(this.s, c, errorCode);
        break;
      case "offsetDelete":
        onOffsetDeleteAppended(this.s, c, errorCode);
        break;
      case "consumerGroupHeartbeat":
        onConsumerGroupHeartbeatAppended(this.s, c, errorCode);
        break;
      default:
        unreachable(c);
    }
    return this.s.takeEffects();
  }

  private fire(action: TimerAction): void {
    switch (action.kind) {
      case "heartbeat":
        expireHeartbeat(this.s, action.groupId, action.memberId);
        return;
      case "join": {
        const group = this.s.groups.get(action.groupId);
        if (group !== undefined) completeGroupJoin(this.s, group);
        return;
      }
      case "initialJoin":
        tryCompleteInitialRebalance(this.s, action.groupId, action.delayMs, action.remainingMs);
        return;
      case "sync":
        expirePendingSync(this.s, action.groupId, action.generationId);
        return;
      case "cleanup":
        cleanupGroupMetadata(this.s);
        return;
      case "consumerSession":
        fenceConsumerGroupMember(this.s, action.groupId, action.memberId);
        return;
      case "consumerRebalance":
        fenceConsumerGroupMember(this.s, action.groupId, action.memberId, action.memberEpoch);
        return;
      default:
        unreachable(action);
    }
  }

  // ---- inspection (tests, the console, invariant checks) ----

  group(groupId: string): ClassicGroup | undefined {
    return this.s.groups.get(groupId);
  }

  groupIds(): string[] {
    return [...this.s.groups.keys()];
  }

  consumerGroup(groupId: string): ConsumerGroup | undefined {
    return this.s.consumerGroups.get(groupId);
  }

  committedOffset(groupId: string, topic: string, partition: number): OffsetAndMetadata | undefined {
    return this.s.offsets.get(groupId, topic, partition);
  }

  get appendsInFlightCount(): number {
    return this.s.appendsInFlight.size;
  }

  checkInvariants(): void {
    for (const group of this.s.groups.values()) group.checkInvariants();
    for (const group of this.s.consumerGroups.values()) group.checkInvariants();
    for (const groupId of this.s.consumerGroups.keys())
      assert(!this.s.groups.has(groupId), () => `${groupId} is both a classic and a consumer group`);
  }
}
