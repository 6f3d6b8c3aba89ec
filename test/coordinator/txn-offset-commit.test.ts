import assert from "node:assert/strict";
import { test } from "node:test";
import { ManualClock } from "../../src/base/index.js";
import { GroupCoordinatorShard, groupCoordinatorConfig } from "../../src/coordinator/index.js";
import { ErrorCode } from "../../src/protocol/index.js";

function commitTxnOffset(shard: GroupCoordinatorShard, handle: number, producerId: bigint, offset: bigint) {
  const effects = shard.commitTransactionalOffsets(handle, {
    transactionalId: "t",
    groupId: "g",
    producerId,
    producerEpoch: 0,
    generationId: -1,
    memberId: "",
    groupInstanceId: null,
    topics: [
      {
        name: "in",
        partitions: [
          { partitionIndex: 0, committedOffset: offset, committedLeaderEpoch: -1, committedMetadata: null },
        ],
      },
    ],
  });
  const append = effects.find((e) => e.kind === "append");
  assert.ok(append !== undefined && append.kind === "append");
  assert.deepEqual(append.transaction, { producerId, producerEpoch: 0 });
  const answered = shard.onAppendCompleted(append.appendId, ErrorCode.NONE);
  assert.equal(answered.length, 1);
}

const committed = (shard: GroupCoordinatorShard) => shard.committedOffset("g", "in", 0)?.committedOffset;

test("TxnOffsetCommit: offsets stay pending until the COMMIT marker, and an ABORT drops them", () => {
  const shard = new GroupCoordinatorShard({ config: groupCoordinatorConfig(), clock: new ManualClock() });
  shard.onLoaded();
  commitTxnOffset(shard, 1, 7n, 10n);
  assert.equal(committed(shard), undefined, "invisible before the transaction commits");
  assert.ok(shard.hasPendingTxnOffset("g", "in", 0));
  shard.completeTransaction(7n, true);
  assert.equal(committed(shard), 10n);
  assert.ok(!shard.hasPendingTxnOffset("g", "in", 0));
  commitTxnOffset(shard, 2, 7n, 20n);
  shard.completeTransaction(7n, false);
  assert.equal(committed(shard), 10n, "the aborted offset is dropped");
});

test("TxnOffsetCommit: loading applies the offsets of committed transactions only", () => {
  const shard = new GroupCoordinatorShard({ config: groupCoordinatorConfig(), clock: new ManualClock() });
  const record = (offset: bigint) => ({
    type: "offsetCommit" as const,
    key: { group: "g", topic: "in", partition: 0 },
    value: { offset, leaderEpoch: -1, metadata: "", commitTimestamp: 0n, expireTimestamp: -1n },
    valueVersion: 3,
  });
  shard.replayTransactional(1n, record(5n));
  shard.completeTransaction(1n, true);
  shard.replayTransactional(2n, record(9n));
  shard.completeTransaction(2n, false);
  shard.replayTransactional(3n, record(11n)); // still open at the end of the log
  shard.onLoaded();
  assert.equal(committed(shard), 5n);
  assert.ok(shard.hasPendingTxnOffset("g", "in", 0));
});
