import { assert, type Clock } from "../base/index.js";
import type { ClassicGroup } from "./classic-group.js";
import type { ConsumerGroup } from "./consumer-group.js";
import type { CoordinatorRecord } from "./coordinator-record.js";
import { DeadlineQueue } from "./deadline-queue.js";
import type {
  ConsumerGroupHeartbeatResponse,
  CoordinatorResponse,
  DeletableGroupResult,
  JoinGroupProtocol,
  OffsetCommitResponse,
  OffsetDeleteResponse,
  RequestHandle,
} from "./group-api.js";
import type { GroupCoordinatorConfig } from "./group-coordinator-config.js";
import { OffsetStore } from "./offset-store.js";

/**
 * What the coordinator asks of its shell. Effects are ordered: the shell starts every `append` in
 * order, and delivers a `respond` only after every `append` emitted before it has completed (so a
 * response never claims more than is durable, and a read issued after a write waits for it).
 * When an append completes, the shell reports it with `onAppendCompleted(appendId, errorCode)`.
 */
export type CoordinatorEffect =
  | {
      readonly kind: "append";
      readonly appendId: number;
      readonly records: readonly CoordinatorRecord[];
      /** TxnOffsetCommit: the records go as a transactional batch of this producer. */
      readonly transaction?: TransactionalProducer;
    }
  | { readonly kind: "respond"; readonly handle: RequestHandle; readonly response: CoordinatorResponse };

/** The producer of a transactional offset commit. */
export interface TransactionalProducer {
  readonly producerId: bigint;
  readonly producerEpoch: number;
}

/** Timers of a shard, as data. */
export type TimerAction =
  | { readonly kind: "heartbeat"; readonly groupId: string; readonly memberId: string }
  | { readonly kind: "join"; readonly groupId: string }
  | {
      readonly kind: "initialJoin";
      readonly groupId: string;
      readonly delayMs: number;
      readonly remainingMs: number;
    }
  | { readonly kind: "sync"; readonly groupId: string; readonly generationId: number }
  | { readonly kind: "cleanup" }
  | { readonly kind: "consumerSession"; readonly groupId: string; readonly memberId: string }
  | {
      readonly kind: "consumerRebalance";
      readonly groupId: string;
      readonly memberId: string;
      readonly memberEpoch: number;
    };

/**
 * The topics a consumer group may subscribe to, as the broker's metadata image has them now
 * (undefined: no such topic). Read on every heartbeat, so partitions added to a subscribed topic
 * reach the group's next target assignment.
 */
export interface TopicMetadataSource {
  topicByName(name: string): { readonly topicId: string; readonly numPartitions: number } | undefined;
  topicNameById(topicId: string): string | undefined;
  /** Every topic's name, for regex subscriptions. */
  topicNames(): Iterable<string>;
  /**
   * The metadata version (image offset) at which topics were last created: patterns resolved at
   * an older version may miss some (Kafka's lastMetadataImageWithNewTopics).
   */
  topicsVersion(): bigint;
}

export const NO_TOPICS: TopicMetadataSource = {
  topicByName: () => undefined,
  topicNameById: () => undefined,
  topicNames: () => [],
  topicsVersion: () => 0n,
};

/** What to do once an append completes, besides applying its offset records. */
export type AppendContinuation =
  | { readonly kind: "none" }
  | { readonly kind: "offsetCommit"; readonly handle: RequestHandle; readonly response: OffsetCommitResponse }
  | {
      readonly kind: "syncGroup";
      readonly groupId: string;
      readonly group: ClassicGroup;
      readonly generationId: number;
      readonly assignment: ReadonlyMap<string, Buffer>;
    }
  | {
      readonly kind: "staticMemberReplaced";
      readonly group: ClassicGroup;
      readonly groupInstanceId: string;
      readonly oldMemberId: string;
      readonly newMemberId: string;
      readonly previousLeader: string;
      readonly apiVersion: number;
      readonly joinHandle: RequestHandle;
      readonly oldProtocols: readonly JoinGroupProtocol[];
      readonly oldRebalanceTimeoutMs: number;
      readonly oldSessionTimeoutMs: number;
    }
  | {
      readonly kind: "deleteGroups";
      readonly handle: RequestHandle;
      readonly results: readonly DeletableGroupResult[];
      readonly deleted: readonly ClassicGroup[];
    }
  | {
      readonly kind: "offsetDelete";
      readonly handle: RequestHandle;
      readonly response: OffsetDeleteResponse;
    }
  | {
      readonly kind: "consumerGroupHeartbeat";
      readonly handle: RequestHandle;
      readonly response: ConsumerGroupHeartbeatResponse;
    };

/** Appends in flight in one shard beyond this mean the log stopped completing them. */
export const APPENDS_IN_FLIGHT_MAX = 1_000_000;
/** Effects produced by one event beyond this mean a runaway loop. */
export const EFFECTS_PER_EVENT_MAX = 10_000_000;

/**
 * The mutable state of one coordinator shard (the groups of one `__consumer_offsets` partition)
 * and the outbox of effects that the event being handled produces. The logic lives in the
 * per-concern modules (join, sync, heartbeat, leave, offsets, admin, loading), which all act on
 * this state; GroupCoordinatorShard is their public face.
 */
export class ShardState {
  readonly config: GroupCoordinatorConfig;
  readonly clock: Clock;
  readonly newUuid: () => string;
  readonly groups = new Map<string, ClassicGroup>();
  /** KIP-848 consumer groups; a group id is in at most one of `groups` and `consumerGroups`. */
  readonly consumerGroups = new Map<string, ConsumerGroup>();
  readonly topics: TopicMetadataSource;
  readonly offsets = new OffsetStore();
  readonly timers = new DeadlineQueue<TimerAction>();
  readonly appendsInFlight = new Map<
    number,
    {
      readonly records: readonly CoordinatorRecord[];
      readonly continuation: AppendContinuation;
      readonly transaction: TransactionalProducer | undefined;
    }
  >();
  /**
   * Offsets committed in transactions not yet ended, by producer id (Kafka's pending transactional
   * offsets): durable in the log, invisible to OffsetFetch until the COMMIT marker, dropped on ABORT.
   */
  readonly pendingTxnOffsets = new Map<bigint, Extract<CoordinatorRecord, { type: "offsetCommit" }>[]>();
  private effects: CoordinatorEffect[] = [];
  private nextAppendId = 1;

  constructor(
    config: GroupCoordinatorConfig,
    clock: Clock,
    newUuid: () => string,
    topics: TopicMetadataSource = NO_TOPICS,
  ) {
    this.config = config;
    this.topics = topics;
    this.clock = clock;
    this.newUuid = newUuid;
  }

  /** Wall-clock milliseconds: for timestamps that are persisted. */
  nowMs(): number {
    return this.clock.nowMs();
  }

  respond(handle: RequestHandle, response: CoordinatorResponse): void {
    this.emit({ kind: "respond", handle, response });
  }

  /** Asks the shell to append `records` durably; `continuation` runs when it completes. */
  append(
    records: readonly CoordinatorRecord[],
    continuation: AppendContinuation,
    transaction?: TransactionalProducer,
  ): number {
    assert(records.length > 0, "an append carries records");
    const appendId = this.nextAppendId++;
    this.appendsInFlight.set(appendId, { records, continuation, transaction });
    assert(this.appendsInFlight.size <= APPENDS_IN_FLIGHT_MAX, "too many appends in flight");
    this.emit(
      transaction === undefined
        ? { kind: "append", appendId, records }
        : { kind: "append", appendId, records, transaction },
    );
    return appendId;
  }

  /** A transactional offset commit is durable: its offsets wait for the transaction's end. */
  addPendingTxnOffsets(producerId: bigint, records: readonly CoordinatorRecord[]): void {
    let pending = this.pendingTxnOffsets.get(producerId);
    if (pending === undefined) {
      pending = [];
      this.pendingTxnOffsets.set(producerId, pending);
    }
    for (const r of records) if (r.type === "offsetCommit") pending.push(r);
  }

  /** Whether an open transaction holds an offset for this partition (OffsetFetch's require_stable). */
  hasPendingTxnOffset(groupId: string, topic: string, partition: number): boolean {
    for (const records of this.pendingTxnOffsets.values()) {
      for (const r of records)
        if (r.key.group === groupId && r.key.topic === topic && r.key.partition === partition) return true;
    }
    return false;
  }

  /**
   * The partitions of a group with an offset commit in flight: a deletion decided now must
   * tombstone them too, since their records land before its tombstones.
   */
  pendingOffsetKeys(groupId: string): { topic: string; partition: number }[] {
    const keys: { topic: string; partition: number }[] = [];
    for (const { records } of this.appendsInFlight.values()) {
      for (const r of records) {
        if (r.type === "offsetCommit" && r.value !== null && r.key.group === groupId) {
          keys.push({ topic: r.key.topic, partition: r.key.partition });
        }
      }
    }
    return keys;
  }

  takeEffects(): CoordinatorEffect[] {
    const out = this.effects;
    this.effects = [];
    return out;
  }

  /** Schedules (or replaces) the timer `key` to fire `delayMs` from now, on the monotonic clock. */
  schedule(key: string, delayMs: number, action: TimerAction): void {
    this.timers.schedule(key, this.clock.monotonicMs() + delayMs, action);
  }

  cancel(key: string): void {
    this.timers.cancel(key);
  }

  private emit(effect: CoordinatorEffect): void {
    this.effects.push(effect);
    assert(this.effects.length <= EFFECTS_PER_EVENT_MAX, "too many effects from one event");
  }
}

export function heartbeatKey(groupId: string, memberId: string): string {
  return `heartbeat\u0000${groupId}\u0000${memberId}`;
}

export function joinKey(groupId: string): string {
  return `join\u0000${groupId}`;
}

export function syncKey(groupId: string): string {
  return `sync\u0000${groupId}`;
}

export const CLEANUP_KEY = "cleanup";

export function consumerSessionKey(groupId: string, memberId: string): string {
  return `consumer-session\u0000${groupId}\u0000${memberId}`;
}

export function consumerRebalanceKey(groupId: string, memberId: string): string {
  return `consumer-rebalance\u0000${groupId}\u0000${memberId}`;
}
