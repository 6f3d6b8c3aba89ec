import { assert } from "../base/index.js";
import type { ClassicGroup } from "./classic-group.js";
import { ClassicGroupState } from "./classic-group-state.js";
import type { OffsetCommitKey, OffsetCommitValue } from "./coordinator-record.js";

/** A committed offset as the coordinator keeps it. */
export interface OffsetAndMetadata {
  readonly committedOffset: bigint;
  /** -1: unknown. */
  readonly leaderEpoch: number;
  readonly metadata: string;
  readonly commitTimestampMs: number;
  /** Only for commits made with an explicit retention time (OffsetCommit v2-4); else null. */
  readonly expireTimestampMs: number | null;
}

/** Committed offsets held by one coordinator shard beyond this mean a leak. */
export const COMMITTED_OFFSETS_MAX = 50_000_000;

export function offsetFromRecordValue(value: OffsetCommitValue): OffsetAndMetadata {
  return {
    committedOffset: value.offset,
    leaderEpoch: value.leaderEpoch,
    metadata: value.metadata,
    commitTimestampMs: Number(value.commitTimestamp),
    expireTimestampMs: value.expireTimestamp < 0n ? null : Number(value.expireTimestamp),
  };
}

export function offsetToRecordValue(offset: OffsetAndMetadata): OffsetCommitValue {
  return {
    offset: offset.committedOffset,
    leaderEpoch: offset.leaderEpoch,
    metadata: offset.metadata,
    commitTimestamp: BigInt(offset.commitTimestampMs),
    expireTimestamp: BigInt(offset.expireTimestampMs ?? -1),
  };
}

/**
 * The committed offsets of the groups of one `__consumer_offsets` partition: group -> topic ->
 * partition -> offset. It changes only by replaying offset commit records (and tombstones) once
 * they are durable, so what it answers is what a restarted coordinator would load.
 */
export class OffsetStore {
  private readonly byGroup = new Map<string, Map<string, Map<number, OffsetAndMetadata>>>();
  private countValue = 0;

  get count(): number {
    return this.countValue;
  }

  get(groupId: string, topic: string, partition: number): OffsetAndMetadata | undefined {
    return this.byGroup.get(groupId)?.get(topic)?.get(partition);
  }

  /** A group's offsets by topic and partition (a live view: do not modify). */
  groupOffsets(groupId: string): ReadonlyMap<string, ReadonlyMap<number, OffsetAndMetadata>> | undefined {
    return this.byGroup.get(groupId);
  }

  hasOffsets(groupId: string): boolean {
    return this.byGroup.has(groupId);
  }

  groupIds(): string[] {
    return [...this.byGroup.keys()];
  }

  /** Applies one offset commit record: a value stores the offset, a tombstone (null) deletes it. */
  replay(key: OffsetCommitKey, value: OffsetCommitValue | null): void {
    if (value === null) {
      this.delete(key.group, key.topic, key.partition);
      return;
    }
    let topics = this.byGroup.get(key.group);
    if (topics === undefined) {
      topics = new Map();
      this.byGroup.set(key.group, topics);
    }
    let partitions = topics.get(key.topic);
    if (partitions === undefined) {
      partitions = new Map();
      topics.set(key.topic, partitions);
    }
    if (!partitions.has(key.partition)) this.countValue++;
    assert(this.countValue <= COMMITTED_OFFSETS_MAX, "too many committed offsets");
    partitions.set(key.partition, offsetFromRecordValue(value));
  }

  private delete(groupId: string, topic: string, partition: number): void {
    const topics = this.byGroup.get(groupId);
    const partitions = topics?.get(topic);
    if (topics === undefined || partitions === undefined || !partitions.delete(partition)) return;
    this.countValue--;
    if (partitions.size === 0) topics.delete(topic);
    if (topics.size === 0) this.byGroup.delete(groupId);
  }
}

/** A committed offset of a group that retention has expired. */
export interface ExpiredOffset {
  readonly topic: string;
  readonly partition: number;
}

/**
 * Which of a group's offsets have expired at `nowMs`, as Kafka 2.1+ decides (KIP-211):
 * - a group with a protocol type that is Empty: `offsetsRetentionMs` after it became empty (or
 *   after the commit, for groups loaded from records without a state timestamp);
 * - a Stable consumer group whose subscriptions are known: offsets of topics it no longer
 *   subscribes to, `offsetsRetentionMs` after their commit;
 * - a group without a protocol type (only simple commits): `offsetsRetentionMs` after the commit;
 * - any other group: nothing expires.
 * An offset committed with an explicit retention time expires at its own expiry timestamp. Offsets
 * of subscribed topics never expire. `allExpired` says whether nothing of the group remains.
 */
export function expiredOffsets(
  group: ClassicGroup,
  offsets: ReadonlyMap<string, ReadonlyMap<number, OffsetAndMetadata>> | undefined,
  nowMs: number,
  offsetsRetentionMs: number,
): { expired: ExpiredOffset[]; allExpired: boolean } {
  if (offsets === undefined) return { expired: [], allExpired: true };
  const base = expirationBase(group);
  if (base === null) return { expired: [], allExpired: false };
  const expired: ExpiredOffset[] = [];
  let allExpired = true;
  for (const [topic, partitions] of offsets) {
    if (group.isSubscribedToTopic(topic)) {
      allExpired = false;
      continue;
    }
    for (const [partition, offset] of partitions) {
      const isExpired =
        offset.expireTimestampMs !== null
          ? nowMs >= offset.expireTimestampMs
          : nowMs - base(offset) >= offsetsRetentionMs;
      if (isExpired) expired.push({ topic, partition });
      else allExpired = false;
    }
  }
  return { expired, allExpired };
}

function expirationBase(group: ClassicGroup): ((offset: OffsetAndMetadata) => number) | null {
  if (group.protocolType === null) return (offset) => offset.commitTimestampMs;
  if (group.is(ClassicGroupState.Empty)) {
    const emptySinceMs = group.currentStateTimestampMs;
    return (offset) => emptySinceMs ?? offset.commitTimestampMs;
  }
  if (group.usesConsumerProtocol() && group.subscribedTopics !== null && group.is(ClassicGroupState.Stable)) {
    return (offset) => offset.commitTimestampMs;
  }
  return null;
}
