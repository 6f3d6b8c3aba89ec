import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { SeededRandom } from "../../src/base/index.js";
import {
  type BrokerSessionInfo,
  ClusterController,
  decideAlterPartition,
  decodeMetadataRecordValue,
  ElectionType,
  electLeaders,
  encodeMetadataRecordValue,
  type MetadataImage,
  type MetadataRecord,
  type PartitionRegistration,
  type PartitionRules,
  partitionChange,
  RecordBuilder,
  reconcileMembership,
} from "../../src/metadata/index.js";
import { partitionImage, TOPIC_ID } from "./partition-image.js";

/**
 * Eligible leader replicas (KIP-966) as the controller keeps them: a leader left alone in its ISR
 * below min.insync.replicas is no longer the only replica that may lead after it dies; the
 * replicas that left the ISR since it fell below the minimum hold everything the high watermark
 * covers (the leader holds it there), so one of them takes over, and the dead leader, whose disk
 * may have lost what it had acknowledged, is not elected when it returns.
 */

function rules(minIsr: number, unclean = false): PartitionRules {
  return { minInsyncReplicas: () => minIsr, uncleanLeaderElection: () => unclean };
}

function cluster(replicas: number[], isr: number[], leader: number): MetadataImage {
  return partitionImage([{ id: 0, replicas, isr, leader }], (id) => `incarnation-${id}-0`);
}

/**
 * Sessions of the brokers alive, each at its incarnation (a restart is a new incarnation), naming
 * the previous broker epoch given for it (a clean shutdown).
 */
function sessions(
  alive: Record<number, number>,
  previous: Record<number, bigint> = {},
): Map<number, BrokerSessionInfo> {
  return new Map(
    Object.entries(alive).map(([id, incarnation]): [number, BrokerSessionInfo] => [
      Number(id),
      {
        brokerId: Number(id),
        incarnationId: `incarnation-${id}-${incarnation}`,
        endPoints: [],
        rack: null,
        metadataOffset: 1_000_000n,
        shuttingDown: false,
        ...(previous[Number(id)] === undefined ? {} : { previousBrokerEpoch: previous[Number(id)] }),
      },
    ]),
  );
}

function reconcile(
  image: MetadataImage,
  alive: Record<number, number>,
  r: PartitionRules,
  previous: Record<number, bigint> = {},
): MetadataImage {
  // Twice: a new incarnation registers fenced, and is unfenced in the next pass.
  let current = image;
  for (let i = 0; i < 2; i++) {
    const builder = new RecordBuilder(current);
    reconcileMembership(builder, sessions(alive, previous), r);
    current = builder.image;
  }
  return current;
}

function shrink(image: MetadataImage, newIsr: number[], r: PartitionRules): MetadataImage {
  const p = partitionOf(image);
  const epoch = image.brokers.get(p.leader)?.epoch ?? -1n;
  const decided = decideAlterPartition(
    image,
    p.leader,
    epoch,
    [
      {
        topicId: TOPIC_ID,
        partitionIndex: 0,
        leaderEpoch: p.leaderEpoch,
        partitionEpoch: p.partitionEpoch,
        newIsr,
      },
    ],
    r,
  );
  assert.equal(decided.results[0]?.errorCode, 0);
  const builder = new RecordBuilder(image);
  builder.add(decided.records);
  return builder.image;
}

function partitionOf(image: MetadataImage): PartitionRegistration {
  const p = image.topic("t")?.partitions[0];
  assert.ok(p !== undefined);
  return p;
}

function state(image: MetadataImage) {
  const p = partitionOf(image);
  return { leader: p.leader, isr: [...p.isr], elr: [...p.elr], lastKnownElr: [...p.lastKnownElr] };
}

test("a shrink below min ISR keeps the replicas that left as eligible leaders; one takes over when the leader dies, and the dead leader does not lead when it returns", () => {
  const r = rules(2);
  let image = cluster([1, 2, 3], [1, 2, 3], 1);
  image = shrink(image, [1], r);
  assert.deepEqual(state(image), { leader: 1, isr: [1], elr: [2, 3], lastKnownElr: [] });

  // Broker 1's session ends (its machine crashed): it leaves the ISR, which empties, and an
  // eligible leader replica leads with an ISR of itself.
  image = reconcile(image, { 2: 0, 3: 0 }, r);
  assert.deepEqual(state(image), { leader: 2, isr: [2], elr: [1, 3], lastKnownElr: [] });

  // Broker 1 returns as a new incarnation: an unclean shutdown, so it leaves the ELR.
  image = reconcile(image, { 1: 1, 2: 0, 3: 0 }, r);
  assert.deepEqual(state(image), { leader: 2, isr: [2], elr: [3], lastKnownElr: [] });

  // The leader takes broker 3 back into the ISR: at min ISR, the ELR is cleared.
  image = shrink(image, [2, 3], r);
  assert.deepEqual(state(image), { leader: 2, isr: [2, 3], elr: [], lastKnownElr: [] });
});

test("a broker that restarts after a clean shutdown (naming its registration's epoch) stays eligible; one that names another epoch, or none, does not", () => {
  const r = rules(3);
  let image = cluster([1, 2, 3], [1, 2, 3], 1);
  image = shrink(image, [1], r);
  assert.deepEqual(partitionOf(image).elr, [2, 3]);
  const epochOf = (id: number) => image.brokers.get(id)?.epoch ?? -1n;
  image = reconcile(image, { 1: 0, 2: 1, 3: 1 }, r, { 2: epochOf(2), 3: epochOf(3) + 1n });
  assert.deepEqual(state(image), { leader: 1, isr: [1], elr: [2], lastKnownElr: [] });
  // Broker 2 went through a second, unclean restart: out too.
  image = reconcile(image, { 1: 0, 2: 2, 3: 1 }, r);
  assert.deepEqual(partitionOf(image).elr, []);
});

test("with min ISR met, a leader's death moves leadership within the ISR and leaves no ELR", () => {
  const r = rules(2);
  let image = cluster([1, 2, 3], [1, 2, 3], 1);
  image = reconcile(image, { 2: 0, 3: 0 }, r);
  assert.deepEqual(state(image), { leader: 2, isr: [2, 3], elr: [], lastKnownElr: [] });
  // One more loss takes the ISR below min ISR: the broker that left is eligible.
  image = reconcile(image, { 3: 0 }, r);
  assert.deepEqual(state(image), { leader: 3, isr: [3], elr: [2], lastKnownElr: [] });
});

test("a partition whose every eligible replica is gone waits; with neither ISR nor ELR left, its last known leader leads again (balanced recovery)", () => {
  const r = rules(1);
  let image = cluster([1], [1], 1);
  image = reconcile(image, { 2: 0, 3: 0 }, r);
  assert.deepEqual(state(image), { leader: -1, isr: [], elr: [1], lastKnownElr: [1] });
  // It returns after an unclean shutdown: out of the ELR, but the last known leader.
  image = reconcile(image, { 1: 1, 2: 0, 3: 0 }, r);
  assert.deepEqual(state(image), { leader: 1, isr: [1], elr: [], lastKnownElr: [] });
});

test("an eligible replica that is itself down is not elected: the partition waits for one that serves", () => {
  const r = rules(3);
  let image = cluster([1, 2, 3], [1, 2, 3], 1);
  image = shrink(image, [1, 2], r);
  assert.deepEqual(state(image), { leader: 1, isr: [1, 2], elr: [3], lastKnownElr: [] });
  image = reconcile(image, { 1: 0 }, r); // 2 and 3 gone: 2 leaves the ISR too
  assert.deepEqual(state(image), { leader: 1, isr: [1], elr: [2, 3], lastKnownElr: [] });
  image = reconcile(image, {}, r); // all gone
  assert.deepEqual(state(image), { leader: -1, isr: [], elr: [1, 2, 3], lastKnownElr: [1] });
  // 3 comes back from a process crash: a new incarnation, so not eligible; 2 and 1 still are, but down.
  image = reconcile(image, { 3: 1 }, r);
  assert.deepEqual(state(image), { leader: -1, isr: [], elr: [1, 2], lastKnownElr: [1] });
  // 2 had not restarted (its session only paused): it leads, ISR of itself.
  image = reconcile(image, { 2: 0, 3: 1 }, r);
  assert.deepEqual(state(image), { leader: 2, isr: [2], elr: [1], lastKnownElr: [] });
});

test("unclean leader election, when allowed, picks a live replica with neither ISR nor ELR to lead, and clears the ELR", () => {
  let image = cluster([1, 2, 3], [1, 2, 3], 1);
  image = shrink(image, [1], rules(3));
  image = reconcile(image, { 2: 1, 3: 1 }, rules(3, true));
  // 2 and 3 restarted (out of the ELR); 1 is gone: only an unclean election gives a leader.
  assert.deepEqual(state(image), { leader: 2, isr: [2], elr: [], lastKnownElr: [] });
});

test("an admin's unclean election (ElectLeaders) gives a leaderless partition a live replica when no eligible one is live", () => {
  let image = cluster([1, 2, 3], [1, 2, 3], 1);
  image = shrink(image, [1], rules(2));
  image = reconcile(image, {}, rules(2));
  assert.deepEqual(state(image), { leader: -1, isr: [], elr: [1, 2, 3], lastKnownElr: [1] });
  image = reconcile(image, { 2: 1 }, rules(2)); // back, but restarted: not eligible
  assert.deepEqual(state(image), { leader: -1, isr: [], elr: [1, 3], lastKnownElr: [1] });
  const decided = electLeaders(image, ElectionType.unclean, [{ topic: "t", partition: 0 }], rules(2));
  assert.equal(decided.results[0]?.errorCode, 0);
  const builder = new RecordBuilder(image);
  builder.add(decided.records);
  assert.deepEqual(state(builder.image), { leader: 2, isr: [2], elr: [], lastKnownElr: [] });
});

test("changing a topic's min.insync.replicas clears its ELR in the same records", () => {
  let image = cluster([1, 2, 3], [1, 2, 3], 1);
  image = shrink(image, [1], rules(3));
  assert.deepEqual(partitionOf(image).elr, [2, 3]);
  const controller = new ClusterController({ random: new SeededRandom(1), validateTopicConfigs: () => null });
  const outcome = controller.alterConfigs(image, 2, "t", new Map([["min.insync.replicas", "1"]]));
  const builder = new RecordBuilder(image);
  builder.add(outcome.records);
  assert.deepEqual(state(builder.image), { leader: 1, isr: [1], elr: [], lastKnownElr: [] });
  assert.equal(builder.image.topicConfig("t").get("min.insync.replicas"), "1");
});

test("partition records carry the ELR in Kafka's version 2 form, and read back the same", () => {
  const records: MetadataRecord[] = [
    {
      type: "Partition",
      topicId: TOPIC_ID,
      partitionId: 3,
      replicas: [1, 2, 3],
      isr: [1],
      leader: 1,
      leaderEpoch: 4,
      partitionEpoch: 9,
      eligibleLeaderReplicas: [2, 3],
    },
    {
      type: "PartitionChange",
      topicId: TOPIC_ID,
      partitionId: 3,
      leader: -1,
      isr: [],
      replicas: null,
      eligibleLeaderReplicas: [1, 2, 3],
      lastKnownElr: [1],
    },
    { type: "PartitionChange", topicId: TOPIC_ID, partitionId: 3, leader: 2, isr: [2], replicas: null },
  ];
  for (const record of records) {
    const encoded = encodeMetadataRecordValue(record);
    assert.deepEqual(decodeMetadataRecordValue(encoded), record);
  }
  // Frame version 1, record type 3 (PartitionRecord), version 2: the ELR fields need it.
  assert.deepEqual([...encodeMetadataRecordValue(records[0] as MetadataRecord).subarray(0, 3)], [1, 3, 2]);
});

/**
 * Random fencing, restarts, returns and ISR changes: the committed partition always keeps
 * KIP-966's invariants (the image asserts the structural ones on replay).
 */
test("property: the leader is in the ISR, the ELR is disjoint from it and empty at min ISR, and a restarted broker is never eligible", () => {
  type Step =
    | { kind: "membership"; alive: boolean[]; restart: boolean[] }
    | { kind: "isr"; members: boolean[] };
  const step = fc.oneof(
    fc.record({
      kind: fc.constant("membership" as const),
      alive: fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }),
      restart: fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }),
    }),
    fc.record({
      kind: fc.constant("isr" as const),
      members: fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }),
    }),
  );
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 3 }),
      fc.array(step, { maxLength: 25 }),
      (minIsr, steps: Step[]) => {
        const r = rules(minIsr);
        let image = cluster([1, 2, 3], [1, 2, 3], 1);
        const incarnation = [0, 0, 0];
        for (const s of steps) {
          if (s.kind === "membership") {
            const alive: Record<number, number> = {};
            const restarted = new Set<number>();
            for (let i = 0; i < 3; i++) {
              if (s.restart[i]) {
                incarnation[i] = (incarnation[i] ?? 0) + 1;
                restarted.add(i + 1);
              }
              if (s.alive[i]) alive[i + 1] = incarnation[i] ?? 0;
            }
            const builder = new RecordBuilder(image);
            reconcileMembership(builder, sessions(alive), r);
            image = builder.image;
            const p = partitionOf(image);
            for (const b of restarted) {
              if (alive[b] !== undefined) assert.ok(!p.elr.includes(b), `restarted broker ${b} in the ELR`);
            }
          } else {
            const p = partitionOf(image);
            if (p.leader < 0) continue;
            const newIsr = [1, 2, 3].filter(
              (b, i) => b === p.leader || (s.members[i] && !image.brokers.get(b)?.fenced),
            );
            image = shrink(image, newIsr, r);
          }
          const p = partitionOf(image);
          if (p.leader >= 0) assert.ok(p.isr.includes(p.leader), "the leader is in the ISR");
          assert.ok(!p.elr.some((b) => p.isr.includes(b)), "ELR and ISR are disjoint");
          if (p.isr.length >= minIsr) assert.deepEqual(p.elr, [], "no ELR at min ISR");
          if (p.leader >= 0)
            assert.equal(image.brokers.get(p.leader)?.fenced, false, "a fenced broker never leads");
        }
      },
    ),
    { numRuns: 300 },
  );
});

test("partitionChange changes nothing when the target is the partition as it is", () => {
  const p = partitionOf(cluster([1, 2, 3], [1, 2], 1));
  assert.equal(
    partitionChange(
      TOPIC_ID,
      p,
      { isr: [1, 2] },
      { minInsyncReplicas: 2, mayLead: () => true, uncleanElection: false },
    ),
    null,
  );
});
