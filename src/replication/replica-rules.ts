import { ErrorCode } from "../protocol/index.js";
import type { EpochEndOffset } from "../storage/index.js";

/**
 * Kafka's replication rules as pure functions of what a replica knows: no log, no clock, no I/O.
 * `Partition` and `ReplicaFetcher` apply them to a real log; the replication simulation
 * (test/simulation) applies them to in-memory replicas, so the rules it checks are these.
 */

/** What the leader knows of one follower, from its fetches (Kafka's ReplicaState). */
export interface FollowerProgress {
  /** The follower's log end offset (its last fetch offset); -1 until it has fetched in this epoch. */
  readonly logEndOffset: bigint;
  /** When the follower was last known to have everything the leader had (replica.lag.time.max.ms). */
  readonly lastCaughtUpTimeMs: number;
  readonly lastFetchLeaderLogEndOffset: bigint;
  readonly lastFetchTimeMs: number;
  /**
   * The follower's broker epoch (its registration) when it fetched, -1 before (KIP-903): what it
   * reported belongs to that incarnation only; a restarted broker, which may have lost what it had
   * not flushed, must fetch again before it counts as caught up.
   */
  readonly brokerEpoch: bigint;
}

/** A follower's fetch that found the logs diverged: truncate to `endOffset` of `epoch` (KIP-595). */
export interface DivergingEpoch {
  readonly epoch: number;
  readonly endOffset: bigint;
}

/**
 * A follower as a new leader (or a replica newly assigned) first sees it: ISR members start as
 * caught up, so that a new leader gives them replica.lag.time.max.ms to fetch.
 */
export function initialFollowerProgress(inIsr: boolean, nowMs: number): FollowerProgress {
  return {
    logEndOffset: -1n,
    lastCaughtUpTimeMs: inIsr ? nowMs : 0,
    lastFetchLeaderLogEndOffset: -1n,
    lastFetchTimeMs: 0,
    brokerEpoch: -1n,
  };
}

/**
 * The follower's progress after a fetch at `fetchOffset` by the follower's incarnation
 * `brokerEpoch` (Kafka's Replica.updateFetchStateOrThrow): it caught up now if it asked for the
 * leader's log end, and at its previous fetch if it now has what the leader had then.
 */
export function followerProgressAfterFetch(
  progress: FollowerProgress,
  fetchOffset: bigint,
  leaderLogEndOffset: bigint,
  nowMs: number,
  brokerEpoch: bigint,
): FollowerProgress {
  let lastCaughtUpTimeMs = progress.lastCaughtUpTimeMs;
  if (fetchOffset >= leaderLogEndOffset) lastCaughtUpTimeMs = Math.max(lastCaughtUpTimeMs, nowMs);
  else if (fetchOffset >= progress.lastFetchLeaderLogEndOffset)
    lastCaughtUpTimeMs = Math.max(lastCaughtUpTimeMs, progress.lastFetchTimeMs);
  return {
    logEndOffset: fetchOffset,
    lastCaughtUpTimeMs,
    lastFetchLeaderLogEndOffset: leaderLogEndOffset,
    lastFetchTimeMs: nowMs,
    brokerEpoch,
  };
}

/** The ISR the high watermark waits for: the committed one plus the members a proposal adds. */
export function maximalIsr(isr: readonly number[], proposedIsr: readonly number[] | null): readonly number[] {
  if (proposedIsr === null) return isr;
  return [...new Set([...isr, ...proposedIsr])];
}

/**
 * Where the leader's high watermark may go: the smallest log end offset in the maximal ISR (the
 * leader's own counting what is written). Null while a member has not fetched in this epoch: it
 * holds the high watermark where it is. The caller moves the high watermark only forward.
 */
export function highWatermarkCandidate(leader: {
  localBrokerId: number;
  writtenEndOffset: bigint;
  maximalIsr: readonly number[];
  followers: ReadonlyMap<number, FollowerProgress>;
}): bigint | null {
  let candidate = leader.writtenEndOffset;
  for (const r of leader.maximalIsr) {
    if (r === leader.localBrokerId) continue;
    const f = leader.followers.get(r);
    if (f === undefined || f.logEndOffset < 0n) return null;
    if (f.logEndOffset < candidate) candidate = f.logEndOffset;
  }
  return candidate;
}

/**
 * The ISR without the members that have not caught up for longer than `lagMaxMs`
 * (replica.lag.time.max.ms); never without the leader. Null when every member is in sync.
 */
export function isrAfterShrink(leader: {
  localBrokerId: number;
  isr: readonly number[];
  followers: ReadonlyMap<number, FollowerProgress>;
  nowMs: number;
  lagMaxMs: number;
}): number[] | null {
  const stale = leader.isr.filter((r) => {
    if (r === leader.localBrokerId) return false;
    const f = leader.followers.get(r);
    return f === undefined || leader.nowMs - f.lastCaughtUpTimeMs > leader.lagMaxMs;
  });
  if (stale.length === 0) return null;
  return leader.isr.filter((r) => !stale.includes(r));
}

/**
 * Whether a broker may join an ISR as the leader's metadata says: registered, unfenced, and at
 * `brokerEpoch` (KIP-841 and KIP-903: never a fenced broker, never on the word of an earlier
 * incarnation).
 */
export type IsrEligibility = (replicaId: number, brokerEpoch: bigint) => boolean;

/**
 * The ISR with `replicaId`, the follower that has just fetched, if it is outside the ISR and
 * caught up: it has the high watermark and everything the leader wrote before its epoch began
 * (Kafka's isFollowerInSync), and it fetched as the incarnation the metadata registers, which may
 * serve (`eligible`). Only its own fetch lets a follower in (Kafka's maybeExpandIsr after
 * updateFollowerFetchState): what an earlier fetch said is no proof that it is still there and
 * still has it. Null when it does not join.
 */
export function isrAfterExpand(leader: {
  isr: readonly number[];
  replicas: readonly number[];
  replicaId: number;
  progress: FollowerProgress | undefined;
  highWatermark: bigint;
  leaderEpochStartOffset: bigint;
  eligible: IsrEligibility;
}): number[] | null {
  const { replicaId: r, progress: f } = leader;
  if (f === undefined || leader.isr.includes(r) || !leader.replicas.includes(r)) return null;
  if (f.logEndOffset < leader.highWatermark || f.logEndOffset < leader.leaderEpochStartOffset) return null;
  if (!leader.eligible(r, f.brokerEpoch)) return null;
  return [...leader.isr, r];
}

/**
 * The leader's check of a follower's fetch against its own log (KIP-595): the follower's last
 * fetched epoch must end, in the leader's log, at or after the fetch offset. Otherwise the answer
 * is where the follower must truncate to. Null when the logs agree (or the follower has no epoch).
 */
export function divergingEpoch(
  lastFetchedEpoch: number,
  fetchOffset: bigint,
  endOffsetForEpoch: (epoch: number) => EpochEndOffset,
): DivergingEpoch | null {
  if (lastFetchedEpoch < 0) return null;
  const end = endOffsetForEpoch(lastFetchedEpoch);
  if (end.epoch < lastFetchedEpoch || end.endOffset < fetchOffset) {
    return { epoch: end.epoch, endOffset: end.endOffset };
  }
  return null;
}

/**
 * Where a follower truncates when the leader answered a diverging epoch: the leader's end of that
 * epoch, bounded by the follower's own end of it (`localEnd`, its endOffsetFor(diverging.epoch))
 * and by its log end.
 */
export function truncationOffset(
  diverging: DivergingEpoch,
  localEnd: EpochEndOffset,
  logEndOffset: bigint,
): bigint {
  let offset = diverging.endOffset;
  if (localEnd.endOffset < offset) offset = localEnd.endOffset;
  if (logEndOffset < offset) offset = logEndOffset;
  return offset;
}

/** A follower's high watermark: the leader's, bounded by what this replica has, never going back. */
export function followerHighWatermark(
  leaderHighWatermark: bigint,
  logEndOffset: bigint,
  highWatermark: bigint,
): bigint {
  const bounded = leaderHighWatermark < logEndOffset ? leaderHighWatermark : logEndOffset;
  return bounded > highWatermark ? bounded : highWatermark;
}

/**
 * The error for a request naming `currentLeaderEpoch` (KIP-320; -1: not named) at a leader of
 * `leaderEpoch`: older -> FENCED_LEADER_EPOCH, newer -> UNKNOWN_LEADER_EPOCH.
 */
export function leaderEpochError(currentLeaderEpoch: number, leaderEpoch: number): number {
  if (currentLeaderEpoch >= 0 && currentLeaderEpoch < leaderEpoch) return ErrorCode.FENCED_LEADER_EPOCH;
  if (currentLeaderEpoch > leaderEpoch) return ErrorCode.UNKNOWN_LEADER_EPOCH;
  return ErrorCode.NONE;
}

/**
 * A partition's effective min ISR: min.insync.replicas, but never more than its replicas (Kafka's
 * Partition.effectiveMinIsr, KAFKA-15583), so that a topic configured above its replication
 * factor still takes acks=all writes.
 */
export function effectiveMinIsr(minInsyncReplicas: number, replicas: readonly number[]): number {
  return Math.min(minInsyncReplicas, replicas.length);
}

/**
 * Whether `isr` has the partition's effective min ISR: acks=all needs it, and since Kafka 3.7 the
 * leader advances the high watermark only while the committed ISR has it.
 */
export function hasEnoughReplicas(
  isr: readonly number[],
  minInsyncReplicas: number,
  replicas: readonly number[],
): boolean {
  return isr.length >= effectiveMinIsr(minInsyncReplicas, replicas);
}

/**
 * What a leader does with an ISR proposal once the controller answered (`null`: no answer came),
 * after Kafka's Partition.handleAlterPartitionError and AlterPartitionManager:
 * - "await-metadata": committed (NONE), or refused because the leader's view is stale (a newer
 *   leader or partition epoch, the topic gone, the broker re-registered). Perhaps an earlier
 *   attempt of the same proposal was committed, so it stays in flight, its new members counted by
 *   the high watermark, until the image shows the partition moved on (which ends it);
 * - "withdraw": the controller refused it and says it applied nothing (INELIGIBLE_REPLICA is
 *   decided only at the partition epoch the proposal was made at);
 * - "retry": no answer, or NOT_CONTROLLER (a controller whose store lost an append's answer says
 *   NOT_CONTROLLER though the entry may be committed): send the same proposal again.
 * Withdrawing a proposal whose fate is unknown would let the high watermark pass a replica that
 * the committed ISR may hold, and the controller may then elect.
 */
export type IsrProposalAction = "await-metadata" | "withdraw" | "retry";

export function isrProposalAction(errorCode: number | null): IsrProposalAction {
  switch (errorCode) {
    case ErrorCode.NONE:
    case ErrorCode.FENCED_LEADER_EPOCH:
    case ErrorCode.INVALID_UPDATE_VERSION:
    case ErrorCode.UNKNOWN_TOPIC_ID:
    case ErrorCode.UNKNOWN_TOPIC_OR_PARTITION:
    case ErrorCode.NOT_LEADER_OR_FOLLOWER:
    case ErrorCode.INVALID_REQUEST:
    case ErrorCode.STALE_BROKER_EPOCH:
      return "await-metadata";
    case ErrorCode.INELIGIBLE_REPLICA:
    case ErrorCode.OPERATION_NOT_ATTEMPTED:
      return "withdraw";
    default:
      return "retry";
  }
}

/** A replica a consumer could read from, as the leader knows it (KIP-392's ReplicaView). */
export interface ReadReplicaCandidate {
  readonly id: number;
  /** broker.rack of its broker. */
  readonly rack: string | null;
  readonly logEndOffset: bigint;
  readonly lastCaughtUpTimeMs: number;
}

/**
 * KIP-392's RackAwareReplicaSelector: the replica a consumer in `clientRack` should fetch from.
 * The leader when the client names no rack, when no candidate is in its rack, or when the leader
 * is; otherwise the most caught-up candidate of its rack (largest log end, then most recently
 * caught up). Candidates are what the leader may offer: live, in-sync followers that hold the
 * fetch offset; the leader is always one.
 */
export function rackAwareReadReplica(
  clientRack: string,
  leader: ReadReplicaCandidate,
  followers: readonly ReadReplicaCandidate[],
): number {
  if (clientRack === "" || leader.rack === clientRack) return leader.id;
  let best: ReadReplicaCandidate | null = null;
  for (const f of followers) {
    if (f.rack !== clientRack) continue;
    if (
      best === null ||
      f.logEndOffset > best.logEndOffset ||
      (f.logEndOffset === best.logEndOffset && f.lastCaughtUpTimeMs > best.lastCaughtUpTimeMs)
    )
      best = f;
  }
  return best === null ? leader.id : best.id;
}
