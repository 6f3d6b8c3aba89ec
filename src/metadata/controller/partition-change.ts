import type { Uuid } from "../../protocol/index.js";
import type { MetadataImage, PartitionRegistration } from "../metadata-image.js";
import { type MetadataRecord, NO_LEADER, NO_LEADER_CHANGE } from "../metadata-records.js";

/** What the controller's partition decisions need of a topic's configs. */
export interface PartitionRules {
  /** The topic's min.insync.replicas: its override, else the cluster default. */
  minInsyncReplicas(topic: string, image: MetadataImage): number;
  /** The topic's unclean.leader.election.enable. */
  uncleanLeaderElection(topic: string, image: MetadataImage): boolean;
}

/** A partition as a decision wants it; what is absent stays as it is. */
export interface PartitionTarget {
  isr?: readonly number[];
  replicas?: readonly number[];
  addingReplicas?: readonly number[];
  removingReplicas?: readonly number[];
  /**
   * The leader the caller chose (a preferred election, a completed reassignment, an ISR change
   * that keeps its leader). Absent: the current leader stays if it still may, else one is elected.
   */
  leader?: number;
}

export interface PartitionChangeContext {
  /** The topic's min.insync.replicas; the effective minimum (at most the replicas) is taken here. */
  minInsyncReplicas: number;
  /** Whether a broker may lead this partition now (registered, unfenced, its replica online). */
  mayLead(broker: number): boolean;
  /** unclean.leader.election.enable: an out-of-sync replica may lead when no eligible one can. */
  uncleanElection: boolean;
  /** Brokers that came back without a clean shutdown: they leave the ISR and the ELR. */
  uncleanShutdown?: ReadonlySet<number>;
}

const NOBODY: ReadonlySet<number> = new Set();

/**
 * The one place a partition's leadership, ISR and eligible leader replicas change, after Kafka's
 * PartitionChangeBuilder with KIP-966 enabled (its "last known leader" form of balanced recovery):
 *
 * - ELR: while the target ISR is below the effective min ISR, the replicas that were in the ISR or
 *   the ELR and are not in the target ISR, minus those that restarted uncleanly. The leader does not
 *   advance the high watermark under the min ISR (KAFKA-15583), so they hold all it covers; at or
 *   above the min ISR the ELR is empty.
 * - Election (when the caller names no leader and the current one may not stay): the first replica,
 *   in replica order, that may lead and is in the ISR, or in the ELR when the ISR is empty (it
 *   leads with an ISR of itself); else, with ISR and ELR empty, the last known leader; else, with
 *   unclean election allowed, any replica that may lead. The last two are unclean: ELR cleared.
 * - Last known ELR: the leader at the moment the ISR first becomes empty; cleared once the
 *   partition has a leader again.
 *
 * Kafka's ISR can become empty here, where before KIP-966 KRaft kept its last member: a fenced
 * leader alone in the ISR moves to the ELR, and a replica that shared no loss with it can take
 * over instead of the partition waiting for that leader to return with whatever its disk kept.
 *
 * Returns null when nothing changes.
 */
export function partitionChange(
  topicId: Uuid,
  p: PartitionRegistration,
  target: PartitionTarget,
  ctx: PartitionChangeContext,
): MetadataRecord | null {
  const replicas = target.replicas ?? p.replicas;
  const unclean = ctx.uncleanShutdown ?? NOBODY;
  let isr = (target.isr ?? p.isr).filter((b) => !unclean.has(b));
  const minIsr = Math.min(ctx.minInsyncReplicas, replicas.length);
  let elr =
    isr.length >= minIsr
      ? []
      : replicas.filter(
          (b) => (p.elr.includes(b) || p.isr.includes(b)) && !isr.includes(b) && !unclean.has(b),
        );
  let leader = target.leader ?? p.leader;
  let uncleanElection = false;
  if (target.leader === undefined) {
    const eligible = (b: number) =>
      (isr.includes(b) || (isr.length === 0 && elr.includes(b))) && ctx.mayLead(b);
    if (!(replicas.includes(p.leader) && eligible(p.leader))) {
      const elected = replicas.find(eligible);
      const lastKnown = p.lastKnownElr.length === 1 ? p.lastKnownElr[0] : undefined;
      if (elected !== undefined) {
        leader = elected;
        if (!isr.includes(elected)) {
          isr = [elected];
          elr = elr.filter((b) => b !== elected);
        }
      } else if (
        isr.length === 0 &&
        elr.length === 0 &&
        lastKnown !== undefined &&
        replicas.includes(lastKnown) &&
        ctx.mayLead(lastKnown)
      ) {
        leader = lastKnown;
        isr = [lastKnown];
        uncleanElection = true;
      } else {
        const any = ctx.uncleanElection ? replicas.find((b) => ctx.mayLead(b)) : undefined;
        leader = any ?? NO_LEADER;
        if (any !== undefined) {
          isr = [any];
          uncleanElection = true;
        }
      }
    }
  }
  if (uncleanElection || isr.length >= minIsr) elr = [];
  let lastKnownElr = p.lastKnownElr;
  if (leader !== NO_LEADER) lastKnownElr = [];
  else if (isr.length === 0) {
    const lastLeader = p.leader !== NO_LEADER ? p.leader : p.isr.length === 1 ? p.isr[0] : undefined;
    if (lastLeader !== undefined) lastKnownElr = [lastLeader];
  }

  const record: Extract<MetadataRecord, { type: "PartitionChange" }> = {
    type: "PartitionChange",
    topicId,
    partitionId: p.partitionId,
    leader: leader === p.leader ? NO_LEADER_CHANGE : leader,
    isr: sameList(isr, p.isr) ? null : [...isr],
    replicas: sameList(replicas, p.replicas) ? null : [...replicas],
  };
  let changed = record.leader !== NO_LEADER_CHANGE || record.isr !== null || record.replicas !== null;
  const lists = [
    ["addingReplicas", target.addingReplicas, p.addingReplicas],
    ["removingReplicas", target.removingReplicas, p.removingReplicas],
    ["eligibleLeaderReplicas", elr, p.elr],
    ["lastKnownElr", lastKnownElr, p.lastKnownElr],
  ] as const;
  for (const [field, next, current] of lists) {
    if (next === undefined || sameList(next, current)) continue;
    record[field] = [...next];
    changed = true;
  }
  return changed ? record : null;
}

function sameList(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** The leader a change record leaves the partition with. */
export function leaderAfter(p: PartitionRegistration, change: MetadataRecord | null): number {
  if (change === null || change.type !== "PartitionChange" || change.leader === NO_LEADER_CHANGE)
    return p.leader;
  return change.leader;
}
