import assert from "node:assert/strict";
import { after, test } from "node:test";
import { ErrorCode, KafkaError } from "../../src/protocol/index.js";
import type { Partition, PartitionState } from "../../src/replication/index.js";
import { DEFAULT_LOG_CONFIG } from "../../src/storage/index.js";
import { batchOf, PartitionFixture } from "./partition-fixture.js";

/**
 * min.insync.replicas on the leader as Kafka 3.7+ applies it (KAFKA-15583): the high watermark
 * advances only while the committed ISR has the effective min ISR, and that minimum never exceeds
 * the partition's replicas.
 */
const fixture = new PartitionFixture("brook-partition-min-isr-");
after(() => fixture.close());

const leader = (topic: string, state: PartitionState, minInsyncReplicas: number) =>
  fixture.partition(topic, state, { ...DEFAULT_LOG_CONFIG, minInsyncReplicas });
const batch = batchOf;

function fetch(p: Partition, replicaId: number) {
  p.fetchForFollower({
    replicaId,
    replicaEpoch: -1n,
    fetchOffset: p.log.logEndOffset,
    lastFetchedEpoch: 0,
    currentLeaderEpoch: 0,
    maxBytes: 1 << 20,
  });
}

test("under min ISR the high watermark stays, acks=1 writes included; it moves once the ISR is back at min ISR", async () => {
  const state: PartitionState = {
    leader: 1,
    leaderEpoch: 0,
    partitionEpoch: 0,
    replicas: [1, 2, 3],
    isr: [1],
  };
  const p = await leader("under-min-isr", state, 2);
  assert.throws(
    () => p.appendRecordsToLeader(batch(1), -1),
    (e: unknown) => e instanceof KafkaError && e.errorCode === ErrorCode.NOT_ENOUGH_REPLICAS,
  );
  p.appendRecordsToLeader(batch(3), 1);
  await p.whenAppended();
  assert.equal(p.highWatermark, 0n, "ISR [1] under min.insync.replicas 2: the high watermark stays");
  fetch(p, 2); // replica 2 has everything, but is not in the committed ISR yet
  assert.equal(p.highWatermark, 0n);
  p.update({ ...state, partitionEpoch: 1, isr: [1, 2] });
  assert.equal(p.highWatermark, 3n, "the ISR is back at min ISR: the high watermark catches up");
  p.appendRecordsToLeader(batch(1), -1);
  await p.whenAppended();
  fetch(p, 2);
  assert.equal(p.highWatermark, 4n);
});

test("the effective min ISR never exceeds the replicas: a single-replica topic with min.insync.replicas 2 takes acks=all", async () => {
  const state: PartitionState = { leader: 1, leaderEpoch: 0, partitionEpoch: 0, replicas: [1], isr: [1] };
  const p = await leader("min-isr-above-rf", state, 2);
  const info = p.appendRecordsToLeader(batch(2), -1);
  await p.whenAppended();
  assert.equal(p.highWatermark, 2n);
  await p.whenCommitted(info.lastOffset, -1);
});
