import assert from "node:assert/strict";
import { test } from "node:test";
import {
  type BrokerSessionInfo,
  type MetadataImage,
  RecordBuilder,
  reconcileMembership,
} from "../../src/metadata/index.js";
import { type PartitionSpec, partitionImage, TOPIC_ID } from "./partition-image.js";

/**
 * A broker whose session reports replicas in a failed log dir (KRaft's heartbeat offlineLogDirs)
 * loses those partitions' leadership and ISR membership, and only those: the controller moves the
 * leadership to an in-sync replica that can serve; when no other is left, the broker leaves the ISR
 * for the ELR (KIP-966: the partition then has no leader until it comes back), and it leads again
 * once it reports nothing offline.
 */

const image = (partitions: PartitionSpec[]) => partitionImage(partitions);

function sessions(offline: Record<number, number[]> = {}): Map<number, BrokerSessionInfo> {
  return new Map(
    [1, 2, 3].map((id) => {
      const partitions = offline[id] ?? [];
      const info: BrokerSessionInfo = {
        brokerId: id,
        incarnationId: `incarnation-${id}`,
        endPoints: [],
        rack: null,
        metadataOffset: 1000n,
        shuttingDown: false,
        ...(partitions.length === 0
          ? {}
          : {
              offlineLogDirs: ["/data/b"],
              offlineReplicas: partitions.map((partitionId) => ({ topicId: TOPIC_ID, partitionId })),
            }),
      };
      return [id, info];
    }),
  );
}

const RULES = { minInsyncReplicas: () => 1, uncleanLeaderElection: () => false };

function reconcile(start: MetadataImage, s: Map<number, BrokerSessionInfo>) {
  const builder = new RecordBuilder(start);
  reconcileMembership(builder, s, RULES);
  return builder.image.topic("t")?.partitions ?? [];
}

test("replicas reported offline lose leadership and ISR membership of those partitions only", () => {
  const start = image([
    { id: 0, replicas: [1, 2, 3], isr: [1, 2, 3], leader: 1 },
    { id: 1, replicas: [1, 2, 3], isr: [1, 2, 3], leader: 1 },
    { id: 2, replicas: [2, 1, 3], isr: [2, 1, 3], leader: 2 },
  ]);
  const after = reconcile(start, sessions({ 1: [0, 2] }));
  assert.deepEqual(
    after.map((p) => ({ leader: p.leader, isr: p.isr })),
    [
      { leader: 2, isr: [2, 3] }, // moved to an in-sync replica that can serve
      { leader: 1, isr: [1, 2, 3] }, // broker 1's replica of partition 1 is fine
      { leader: 2, isr: [2, 3] }, // follower leaves the ISR
    ],
  );
  assert.ok((after[0]?.leaderEpoch ?? 0) > 0, "a new leader epoch");
});

test("the last in-sync replica leaves the ISR for the ELR without leading; it leads again once it reports nothing offline", () => {
  const start = image([{ id: 0, replicas: [1], isr: [1], leader: 1 }]);
  const offline = reconcile(start, sessions({ 1: [0] }));
  assert.equal(offline[0]?.leader, -1);
  assert.deepEqual(offline[0]?.isr, []);
  assert.deepEqual(offline[0]?.elr, [1]);

  const builder = new RecordBuilder(start);
  reconcileMembership(builder, sessions({ 1: [0] }), RULES);
  const back = new RecordBuilder(builder.image);
  reconcileMembership(back, sessions(), RULES);
  const p = back.image.topic("t")?.partitions[0];
  assert.equal(p?.leader, 1);
  assert.deepEqual(p?.isr, [1]);
  assert.deepEqual(p?.elr, []);
});
