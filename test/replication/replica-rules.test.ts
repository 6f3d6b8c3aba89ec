import assert from "node:assert/strict";
import { test } from "node:test";
import { ErrorCode } from "../../src/protocol/index.js";
import {
  divergingEpoch,
  type FollowerProgress,
  followerHighWatermark,
  followerProgressAfterFetch,
  hasEnoughReplicas,
  highWatermarkCandidate,
  type IsrEligibility,
  initialFollowerProgress,
  isrAfterExpand,
  isrAfterShrink,
  isrProposalAction,
  leaderEpochError,
  maximalIsr,
  rackAwareReadReplica,
  truncationOffset,
} from "../../src/replication/index.js";
import { LeaderEpochCache } from "../../src/storage/index.js";

const fetched = (logEndOffset: bigint, lastCaughtUpTimeMs = 0, brokerEpoch = 7n): FollowerProgress => ({
  logEndOffset,
  lastCaughtUpTimeMs,
  lastFetchLeaderLogEndOffset: logEndOffset,
  lastFetchTimeMs: lastCaughtUpTimeMs,
  brokerEpoch,
});

test("follower progress: caught up at a fetch of the leader's end, or at the previous fetch once it has what the leader had then", () => {
  const start = initialFollowerProgress(true, 1000);
  assert.deepEqual(start, {
    logEndOffset: -1n,
    lastCaughtUpTimeMs: 1000,
    lastFetchLeaderLogEndOffset: -1n,
    lastFetchTimeMs: 0,
    brokerEpoch: -1n,
  });
  assert.equal(initialFollowerProgress(false, 1000).lastCaughtUpTimeMs, 0);
  const atEnd = followerProgressAfterFetch(start, 10n, 10n, 2000, 7n);
  assert.deepEqual(atEnd, {
    logEndOffset: 10n,
    lastCaughtUpTimeMs: 2000,
    lastFetchLeaderLogEndOffset: 10n,
    lastFetchTimeMs: 2000,
    brokerEpoch: 7n,
  });
  // Behind the leader now (15), but it has what the leader had at its previous fetch (10).
  const behind = followerProgressAfterFetch(atEnd, 10n, 15n, 3000, 7n);
  assert.equal(behind.lastCaughtUpTimeMs, 2000);
  const caughtUpToPrevious = followerProgressAfterFetch(behind, 15n, 20n, 4000, 7n);
  assert.equal(
    caughtUpToPrevious.lastCaughtUpTimeMs,
    3000,
    "the time of the fetch whose leader end it now has",
  );
  const stillBehind = followerProgressAfterFetch(caughtUpToPrevious, 16n, 30n, 5000, 7n);
  assert.equal(stillBehind.lastCaughtUpTimeMs, 3000, "no progress towards the leader's end then");
});

test("the high watermark candidate is the smallest log end in the maximal ISR; a member that has not fetched holds it", () => {
  const followers = new Map([
    [2, fetched(8n)],
    [3, fetched(5n)],
  ]);
  const candidate = (isr: number[], proposed: number[] | null = null) =>
    highWatermarkCandidate({
      localBrokerId: 1,
      writtenEndOffset: 10n,
      maximalIsr: maximalIsr(isr, proposed),
      followers,
    });
  assert.equal(candidate([1]), 10n);
  assert.equal(candidate([1, 2]), 8n);
  assert.equal(candidate([1, 2], [1, 2, 3]), 5n, "a member a proposal adds counts");
  assert.equal(candidate([1, 2, 3], [1, 2]), 5n, "a member a proposal removes still counts");
  followers.set(3, initialFollowerProgress(true, 0));
  assert.equal(candidate([1, 2, 3]), null);
  assert.equal(candidate([1, 4]), null, "a member the leader knows nothing of");
});

test("ISR shrink: members that have not caught up for the lag limit leave, never the leader", () => {
  const followers = new Map([
    [2, fetched(8n, 1000)],
    [3, fetched(5n, 500)],
  ]);
  const shrink = (nowMs: number) =>
    isrAfterShrink({ localBrokerId: 1, isr: [1, 2, 3], followers, nowMs, lagMaxMs: 1000 });
  assert.equal(shrink(1500), null);
  assert.deepEqual(shrink(1501), [1, 2]);
  assert.deepEqual(shrink(2001), [1]);
  assert.deepEqual(
    isrAfterShrink({ localBrokerId: 1, isr: [1, 4], followers, nowMs: 0, lagMaxMs: 1000 }),
    [1],
  );
});

test("ISR expand: the follower that fetched joins once at the high watermark and the leader's epoch start, as the incarnation its metadata registers", () => {
  const followers = new Map([
    [2, fetched(10n)],
    [3, fetched(12n)],
  ]);
  const expand = (
    replicaId: number,
    highWatermark: bigint,
    leaderEpochStartOffset = 0n,
    eligible: IsrEligibility = (_r, brokerEpoch) => brokerEpoch === 7n,
  ) =>
    isrAfterExpand({
      isr: [1, 4],
      replicas: [1, 2, 3, 4],
      replicaId,
      progress: followers.get(replicaId),
      highWatermark,
      leaderEpochStartOffset,
      eligible,
    });
  assert.deepEqual(expand(2, 10n), [1, 4, 2]);
  assert.deepEqual(expand(3, 10n), [1, 4, 3]);
  assert.equal(expand(2, 11n), null, "below the high watermark");
  assert.equal(expand(3, 10n, 13n), null, "without what the leader wrote before its epoch");
  assert.equal(expand(4, 0n), null, "already in");
  assert.equal(expand(5, 0n), null, "not a replica, never fetched");
  // KIP-903: progress reported by broker 2's previous incarnation (a machine crash may have taken
  // what it had not flushed) does not let its next incarnation in.
  followers.set(2, fetched(10n, 0, 6n));
  assert.equal(expand(2, 10n), null);
  // KIP-841: a fenced broker is not proposed.
  assert.equal(
    expand(3, 10n, 0n, (r) => r !== 3),
    null,
  );
});

test("diverging epochs and where the follower truncates", () => {
  // Leader: epoch 1 from 0, epoch 3 from 10, log end 20.
  const leader = new LeaderEpochCache(null, [
    { epoch: 1, startOffset: 0n },
    { epoch: 3, startOffset: 10n },
  ]);
  const end = (epoch: number) => leader.endOffsetFor(epoch, 20n);
  assert.equal(divergingEpoch(-1, 5n, end), null, "no epoch: nothing to check");
  assert.equal(divergingEpoch(3, 20n, end), null);
  assert.equal(divergingEpoch(1, 10n, end), null);
  assert.deepEqual(divergingEpoch(1, 12n, end), { epoch: 1, endOffset: 10n }, "epoch 1 ends at 10 here");
  assert.deepEqual(
    divergingEpoch(2, 12n, end),
    { epoch: 1, endOffset: 10n },
    "an epoch the leader never had",
  );
  assert.deepEqual(divergingEpoch(3, 21n, end), { epoch: 3, endOffset: 20n }, "past the leader's end");
  // Follower: epoch 1 from 0, epoch 2 from 8, log end 12: its epoch 1 ends at 8.
  const follower = new LeaderEpochCache(null, [
    { epoch: 1, startOffset: 0n },
    { epoch: 2, startOffset: 8n },
  ]);
  const diverging = { epoch: 1, endOffset: 10n };
  assert.equal(truncationOffset(diverging, follower.endOffsetFor(1, 12n), 12n), 8n);
  assert.equal(truncationOffset(diverging, { epoch: 1, endOffset: 12n }, 12n), 10n);
  assert.equal(truncationOffset(diverging, { epoch: 1, endOffset: 12n }, 9n), 9n, "never past its log end");
});

test("a follower's high watermark follows the leader's, bounded by its log end, never back", () => {
  assert.equal(followerHighWatermark(10n, 20n, 5n), 10n);
  assert.equal(followerHighWatermark(30n, 20n, 5n), 20n);
  assert.equal(followerHighWatermark(3n, 20n, 5n), 5n);
});

test("leader epochs in requests, min.insync.replicas", () => {
  assert.equal(leaderEpochError(-1, 5), ErrorCode.NONE);
  assert.equal(leaderEpochError(5, 5), ErrorCode.NONE);
  assert.equal(leaderEpochError(4, 5), ErrorCode.FENCED_LEADER_EPOCH);
  assert.equal(leaderEpochError(6, 5), ErrorCode.UNKNOWN_LEADER_EPOCH);
  assert.equal(hasEnoughReplicas([1, 2], 2, [1, 2, 3]), true);
  assert.equal(hasEnoughReplicas([1], 2, [1, 2, 3]), false);
  // The effective min ISR never exceeds the replication factor (KAFKA-15583).
  assert.equal(hasEnoughReplicas([1], 2, [1]), true);
  assert.equal(hasEnoughReplicas([1], 3, [1, 2]), false);
  assert.equal(hasEnoughReplicas([1, 2], 3, [1, 2]), true);
});

test("an ISR proposal stays in flight unless the controller surely did not apply it", () => {
  assert.equal(isrProposalAction(ErrorCode.NONE), "await-metadata");
  // Perhaps an earlier attempt was committed: wait for the image.
  assert.equal(isrProposalAction(ErrorCode.INVALID_UPDATE_VERSION), "await-metadata");
  assert.equal(isrProposalAction(ErrorCode.FENCED_LEADER_EPOCH), "await-metadata");
  assert.equal(isrProposalAction(ErrorCode.STALE_BROKER_EPOCH), "await-metadata");
  assert.equal(isrProposalAction(ErrorCode.INELIGIBLE_REPLICA), "withdraw");
  // A lost answer: the store may have committed it.
  assert.equal(isrProposalAction(ErrorCode.NOT_CONTROLLER), "retry");
  assert.equal(isrProposalAction(null), "retry");
  assert.equal(isrProposalAction(ErrorCode.REQUEST_TIMED_OUT), "retry");
});

test("KIP-392's rack-aware selector: the leader unless a follower of the client's rack exists, then the most caught up", () => {
  const leader = { id: 1, rack: "a", logEndOffset: 100n, lastCaughtUpTimeMs: 0 };
  const b1 = { id: 2, rack: "b", logEndOffset: 90n, lastCaughtUpTimeMs: 50 };
  const b2 = { id: 3, rack: "b", logEndOffset: 95n, lastCaughtUpTimeMs: 10 };
  const b3 = { id: 4, rack: "b", logEndOffset: 95n, lastCaughtUpTimeMs: 20 };
  assert.equal(rackAwareReadReplica("", leader, [b1, b2]), 1, "no client rack: the leader");
  assert.equal(rackAwareReadReplica("a", leader, [b1, b2]), 1, "the leader's rack: the leader");
  assert.equal(rackAwareReadReplica("c", leader, [b1, b2]), 1, "no replica in the rack: the leader");
  assert.equal(rackAwareReadReplica("b", leader, [b1, b2]), 3, "the largest log end");
  assert.equal(rackAwareReadReplica("b", leader, [b1, b2, b3]), 4, "then the most recently caught up");
  assert.equal(rackAwareReadReplica("b", { ...leader, rack: null }, []), 1);
});
