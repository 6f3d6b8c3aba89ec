import assert from "node:assert/strict";
import { test } from "node:test";
import type { Timer, Timers } from "../../src/base/index.js";
import { IsrChanges } from "../../src/broker/isr-changes.js";
import type { BrokerRegistration, MetadataImage } from "../../src/metadata/index.js";
import { ErrorCode, KafkaError } from "../../src/protocol/index.js";
import { Partition, type PartitionState } from "../../src/replication/index.js";
import { makeBatch, newClock, openManager, tempDir } from "../storage/helpers.js";

/** Timers run by hand: `fire()` runs the due ones. */
class HandTimers implements Timers {
  private pending: { fn: () => void; cancelled: boolean }[] = [];
  after(_delayMs: number, fn: () => void): Timer {
    const item = { fn, cancelled: false };
    this.pending.push(item);
    return { cancel: () => (item.cancelled = true) };
  }
  fire(): void {
    const due = this.pending;
    this.pending = [];
    for (const t of due) if (!t.cancelled) t.fn();
  }
}

const silent = { debug() {}, info() {}, warn() {}, error() {}, child: () => silent } as never;

/**
 * Leader 1 of a partition on replicas 1, 2, 3 with ISR [1, 2]; the controller's answers to its
 * proposals are scripted (`answers`: an error code, or an error thrown as NodeMetadata.decide
 * throws it).
 */
async function setup(logger: unknown = silent) {
  const dir = tempDir();
  const clock = newClock();
  const manager = await openManager(dir.path, clock);
  const log = manager.getOrCreateLog({ topic: "isr", partition: 0 });
  const state: PartitionState = {
    leader: 1,
    leaderEpoch: 3,
    partitionEpoch: 10,
    replicas: [1, 2, 3],
    isr: [1, 2],
  };
  const partition = new Partition({
    topic: "isr",
    partitionIndex: 0,
    topicId: "AAAAAAAAAAAAAAAAAAAAAA",
    log,
    localBrokerId: 1,
    state,
    producerState: { producerIdExpirationMs: 86_400_000, clock },
    clock,
  });
  const brokers = new Map<number, Pick<BrokerRegistration, "epoch" | "fenced">>([
    [1, { epoch: 100n, fenced: false }],
    [2, { epoch: 200n, fenced: false }],
    [3, { epoch: 300n, fenced: false }],
  ]);
  /** An answer, an error as NodeMetadata.decide throws it, or "never" (the decision hangs). */
  const answers: (number | Error | "never")[] = [];
  const broker = {
    config: { int: () => 1000 },
    nodeId: 1,
    image: { brokers } as unknown as MetadataImage,
    metadata: { isActiveController: true },
    isActiveController: true,
    replicaManager: { isrShrinks: () => [] },
    decide: async () => {
      const answer = answers.shift() ?? ErrorCode.NONE;
      if (answer === "never") return new Promise(() => {});
      if (answer instanceof Error) throw answer;
      return { errorCode: ErrorCode.NONE, results: [{ errorCode: answer }] };
    },
  } as unknown as ConstructorParameters<typeof IsrChanges>[0];
  const timers = new HandTimers();
  const changes = new IsrChanges(broker, timers, logger as never);
  const fetch = (replicaId: number, replicaEpoch: bigint) =>
    partition.fetchForFollower({
      replicaId,
      replicaEpoch,
      fetchOffset: log.logEndOffset,
      lastFetchedEpoch: log.latestEpoch,
      currentLeaderEpoch: 3,
      maxBytes: 1 << 20,
    });
  const settle = () => new Promise((resolve) => setImmediate(resolve));
  const close = async () => {
    changes.stop();
    await manager.shutdown();
    dir.cleanup();
  };
  return { partition, log, brokers, answers, timers, changes, fetch, settle, close, state };
}

test("an ISR expansion whose answer was lost stays in flight and is sent again; the high watermark keeps waiting for it", async () => {
  // Found by the replication simulation (seed 55): the controller's store committed the expansion
  // but lost the answer, the controller said NOT_CONTROLLER, and the leader dropped the proposal:
  // its high watermark moved past replica 3, which the committed ISR held (and could elect).
  const t = await setup();
  try {
    t.partition.appendRecordsToLeader(makeBatch({ values: ["a"] }), -1);
    await t.partition.whenAppended();
    t.fetch(2, 200n);
    t.fetch(3, 300n);
    t.answers.push(new KafkaError(ErrorCode.NOT_CONTROLLER), ErrorCode.INVALID_UPDATE_VERSION);
    t.changes.maybeExpand(t.partition, 3);
    assert.deepEqual(t.partition.maximalIsr, [1, 2, 3]);
    await t.settle();
    assert.equal(t.partition.hasProposalInFlight, true, "the outcome is unknown: still in flight");
    // New records: replica 2 fetches them, replica 3 does not yet.
    t.partition.appendRecordsToLeader(makeBatch({ values: ["b"] }), -1);
    await t.partition.whenAppended();
    t.fetch(2, 200n);
    assert.equal(t.partition.highWatermark, 1n, "the high watermark waits for replica 3");
    t.timers.fire(); // the retry: refused, since the first attempt was committed
    await t.settle();
    assert.equal(t.partition.hasProposalInFlight, true, "INVALID_UPDATE_VERSION: wait for the image");
    assert.equal(t.partition.highWatermark, 1n);
    t.partition.update({ ...t.state, partitionEpoch: 11, isr: [1, 2, 3] });
    assert.equal(t.partition.hasProposalInFlight, false, "the image shows it: done");
    assert.equal(t.partition.highWatermark, 1n);
    t.fetch(3, 300n);
    assert.equal(t.partition.highWatermark, 2n);
  } finally {
    await t.close();
  }
});

test("a refusal that applied nothing withdraws the proposal; a late answer never ends a later proposal", async () => {
  const t = await setup();
  try {
    t.fetch(2, 200n);
    t.fetch(3, 300n);
    t.answers.push(ErrorCode.INELIGIBLE_REPLICA);
    t.changes.maybeExpand(t.partition, 3);
    await t.settle();
    assert.equal(t.partition.hasProposalInFlight, false, "INELIGIBLE_REPLICA: nothing was applied");
    // A proposal the image overtook (another change came first), then a new one.
    t.answers.push(new KafkaError(ErrorCode.NOT_CONTROLLER));
    t.changes.maybeExpand(t.partition, 3);
    const first = t.partition.maximalIsr;
    t.partition.update({ ...t.state, partitionEpoch: 11 });
    assert.equal(t.partition.hasProposalInFlight, false);
    t.partition.setProposedIsr([1, 2, 3]);
    await t.settle();
    t.timers.fire();
    await t.settle();
    assert.deepEqual(first, [1, 2, 3]);
    assert.equal(
      t.partition.hasProposalInFlight,
      true,
      "the first proposal's answer leaves the second alone",
    );
    assert.equal(t.answers.length, 0);
  } finally {
    await t.close();
  }
});

test("a replica joins the ISR only as the incarnation the metadata registers, and never while fenced", async () => {
  // Found by the replication simulation (seed 538): broker 3's machine crashed, losing records it
  // had not flushed; restarted, it was fenced and left the ISR, and the leader took it back at
  // once on the strength of what its previous incarnation had fetched.
  const t = await setup();
  try {
    t.partition.appendRecordsToLeader(makeBatch({ values: ["a"] }), -1);
    await t.partition.whenAppended();
    t.fetch(3, 300n);
    t.brokers.set(3, { epoch: 301n, fenced: false });
    t.changes.maybeExpand(t.partition, 3);
    assert.equal(t.partition.hasProposalInFlight, false, "progress of epoch 300 does not count for 301");
    t.brokers.set(3, { epoch: 301n, fenced: true });
    t.fetch(3, 301n);
    t.changes.maybeExpand(t.partition, 3);
    assert.equal(t.partition.hasProposalInFlight, false, "fenced");
    t.brokers.set(3, { epoch: 301n, fenced: false });
    t.changes.maybeExpand(t.partition, 3);
    assert.deepEqual(t.partition.maximalIsr, [1, 2, 3]);
  } finally {
    await t.close();
  }
});

test("only its own fetch lets a replica back into the ISR, never what it fetched before it went silent", async () => {
  // Found by the replication simulation (seed 1985): broker 3 stopped fetching (its machine had
  // died with records it had not flushed) while the high watermark waited at its last fetch; the
  // leader shrank the ISR without it, then took it back on replica 2's next fetch, since its old
  // progress was at the high watermark and its registration still current.
  const t = await setup();
  try {
    t.partition.appendRecordsToLeader(makeBatch({ values: ["a"] }), -1);
    await t.partition.whenAppended();
    t.fetch(2, 200n);
    t.fetch(3, 300n);
    t.partition.update({ ...t.state, partitionEpoch: 11, isr: [1, 2] });
    t.fetch(2, 200n);
    t.changes.maybeExpand(t.partition, 2);
    assert.equal(t.partition.hasProposalInFlight, false, "replica 2 is in; replica 3 did not fetch");
    t.fetch(3, 300n);
    t.changes.maybeExpand(t.partition, 3);
    assert.deepEqual(t.partition.maximalIsr, [1, 2, 3]);
  } finally {
    await t.close();
  }
});

test("a proposal without an answer says so once, with where it went; one answered in time says nothing", async () => {
  const warnings: string[] = [];
  const log: Record<string, unknown> = {
    debug() {},
    info() {},
    error() {},
    warn: (m: string) => warnings.push(m),
  };
  log.child = () => log;
  const t = await setup(log);
  try {
    t.fetch(2, 200n);
    t.fetch(3, 300n);
    t.answers.push("never");
    t.changes.maybeExpand(t.partition, 3);
    await t.settle();
    assert.deepEqual(warnings, []);
    t.timers.fire();
    assert.equal(warnings.length, 1, warnings.join("\n"));
    assert.match(
      String(warnings[0]),
      /isr-0: ISR change to 1,2,3 \(decided locally\) has had no answer for \d+ ms/,
    );
    t.timers.fire();
    assert.equal(warnings.length, 1, "once");
  } finally {
    await t.close();
  }
  const answered = await setup(log);
  try {
    warnings.length = 0;
    answered.fetch(2, 200n);
    answered.fetch(3, 300n);
    answered.changes.maybeExpand(answered.partition, 3);
    await answered.settle();
    answered.timers.fire();
    assert.deepEqual(warnings, []);
  } finally {
    await answered.close();
  }
});
