import type { Uuid } from "../../protocol/index.js";
import type { MetadataImage, PartitionRegistration } from "../metadata-image.js";
import { type MetadataRecord, NO_LEADER, NO_LEADER_CHANGE } from "../metadata-records.js";

/** Brokers that may lead or stay in an ISR: registered, unfenced and not leaving. */
export type EligibleBrokers = ReadonlySet<number>;

export interface PartitionChangeOptions {
  /** The topic allows an out-of-sync replica to lead when no ISR member can. */
  uncleanLeaderElection: boolean;
}

/**
 * Kafka's partition change rules for a broker that can no longer serve (fenced, or shutting
 * down): it leaves the ISR unless it is the ISR's last member (KRaft keeps the last member, so
 * that the partition can come back with it), and when it led, the first replica in replica order
 * that is in the remaining ISR and eligible leads; with none, the partition has no leader, or
 * with unclean election allowed, the first eligible replica leads with an ISR of itself.
 * Returns null when nothing changes.
 */
export function partitionChangeWithout(
  topicId: Uuid,
  p: PartitionRegistration,
  leaving: number,
  eligible: EligibleBrokers,
  options: PartitionChangeOptions,
): MetadataRecord | null {
  if (!p.replicas.includes(leaving)) return null;
  const remaining = p.isr.filter((b) => b !== leaving);
  const isr = remaining.length > 0 ? remaining : p.isr;
  let leader = p.leader;
  let newIsr = isr;
  if (p.leader === leaving || (p.leader !== NO_LEADER && !eligible.has(p.leader))) {
    leader = electFromIsr(p.replicas, isr, eligible);
    if (leader === NO_LEADER && options.uncleanLeaderElection) {
      const unclean = p.replicas.find((b) => eligible.has(b));
      if (unclean !== undefined) {
        leader = unclean;
        newIsr = [unclean];
      }
    }
  }
  return changeRecord(topicId, p, leader, newIsr);
}

/** A partition without a leader gets one when an ISR member becomes eligible again. */
export function partitionChangeForReturning(
  topicId: Uuid,
  p: PartitionRegistration,
  eligible: EligibleBrokers,
): MetadataRecord | null {
  if (p.leader !== NO_LEADER) return null;
  const leader = electFromIsr(p.replicas, p.isr, eligible);
  if (leader === NO_LEADER) return null;
  return changeRecord(topicId, p, leader, p.isr);
}

export function electFromIsr(
  replicas: readonly number[],
  isr: readonly number[],
  eligible: EligibleBrokers,
): number {
  return replicas.find((b) => isr.includes(b) && eligible.has(b)) ?? NO_LEADER;
}

function changeRecord(
  topicId: Uuid,
  p: PartitionRegistration,
  leader: number,
  isr: readonly number[],
): MetadataRecord | null {
  const leaderChanged = leader !== p.leader;
  const isrChanged = !sameMembers(isr, p.isr);
  if (!leaderChanged && !isrChanged) return null;
  return {
    type: "PartitionChange",
    topicId,
    partitionId: p.partitionId,
    leader: leaderChanged ? leader : NO_LEADER_CHANGE,
    isr: isrChanged ? [...isr] : null,
    replicas: null,
  };
}

function sameMembers(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** Every partition a broker hosts, with its topic id. */
export function* partitionsOf(
  image: MetadataImage,
  brokerId: number,
): Generator<{ topicId: Uuid; topicName: string; partition: PartitionRegistration }> {
  for (const topic of image.topicsById.values()) {
    for (const partition of topic.partitions) {
      if (partition.replicas.includes(brokerId))
        yield { topicId: topic.id, topicName: topic.name, partition };
    }
  }
}
