import { ClassicGroup } from "./classic-group.js";
import { ClassicGroupState } from "./classic-group-state.js";
import { groupTombstoneRecords } from "./consumer-group.js";
import {
  type CoordinatorRecord,
  groupMetadataTombstone,
  offsetCommitTombstone,
} from "./coordinator-record.js";
import { expiredOffsets } from "./offset-store.js";
import { CLEANUP_KEY, type ShardState } from "./shard-state.js";

/** Tombstones per append when expiring, so that one batch stays well under the message size limit. */
export const CLEANUP_RECORDS_PER_APPEND_MAX = 5_000;

export function scheduleCleanup(s: ShardState): void {
  s.schedule(CLEANUP_KEY, s.config.offsetsRetentionCheckIntervalMs, { kind: "cleanup" });
}

/**
 * The periodic retention pass (`offsets.retention.check.interval.ms`): tombstones the offsets that
 * retention expired (see `expiredOffsets`), and deletes the Empty groups left with no offsets
 * (an empty consumer group's offsets expire from their commit time, as Kafka's ConsumerGroup's).
 * Offsets whose group record was deleted are treated as a simple group's.
 */
export function cleanupGroupMetadata(s: ShardState): void {
  const nowMs = s.nowMs();
  const records: CoordinatorRecord[] = [];
  const groupIds = new Set([...s.groups.keys(), ...s.consumerGroups.keys(), ...s.offsets.groupIds()]);
  for (const groupId of groupIds) {
    // A consumer group's offsets expire only once it is empty; then, with none left, the group goes.
    const consumer = s.consumerGroups.get(groupId);
    if (consumer !== undefined && consumer.size > 0) continue;
    const group = s.groups.get(groupId) ?? new ClassicGroup(groupId, null);
    if (group.is(ClassicGroupState.Dead)) continue;
    const offsets = s.offsets.groupOffsets(groupId);
    const { expired, allExpired } = expiredOffsets(group, offsets, nowMs, s.config.offsetsRetentionMs);
    for (const { topic, partition } of expired)
      records.push(offsetCommitTombstone(groupId, topic, partition));
    // A commit in flight is an offset the group will have: it keeps the group.
    if (consumer !== undefined) {
      if (allExpired && s.pendingOffsetKeys(groupId).length === 0) {
        records.push(...groupTombstoneRecords(consumer));
        s.consumerGroups.delete(groupId);
      }
      continue;
    }
    if (allExpired && group.is(ClassicGroupState.Empty) && s.pendingOffsetKeys(groupId).length === 0) {
      records.push(groupMetadataTombstone(groupId));
      s.groups.delete(groupId);
    }
  }
  for (let i = 0; i < records.length; i += CLEANUP_RECORDS_PER_APPEND_MAX) {
    s.append(records.slice(i, i + CLEANUP_RECORDS_PER_APPEND_MAX), { kind: "none" });
  }
  scheduleCleanup(s);
}
