import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import type { ProducerStateManager } from "../../src/storage/index.js";
import { decodeAbortedTxns } from "../../src/storage/transaction-index.js";
import { newClock } from "./helpers.js";
import {
  append,
  batches,
  DELETE_RETENTION_MS,
  endTxn,
  latestValues,
  openTxnLog,
  readCommitted,
  readUncommitted,
  type TxnFixture,
} from "./transactional-log.js";

const P1 = 1n;
const P2 = 2n;
const P3 = 3n;

function values(f: TxnFixture, read: typeof readCommitted): [string, string | null][] {
  return [...latestValues(read(f.log)).values()]
    .map((r): [string, string | null] => [r.key, r.value])
    .sort((a, b) => a[0].localeCompare(b[0]));
}

async function clean(f: TxnFixture) {
  const result = await f.cleaner.clean(f.log, f.clock.nowMs());
  assert.ok(result !== null, "the pass ran");
  return result;
}

/** The control batches left, as [producer, offset, has a delete horizon, record count]. */
function markers(f: TxnFixture): [bigint, bigint, boolean, number][] {
  return batches(f.log)
    .filter((b) => b.isControl)
    .map((b) => [b.producerId, b.baseOffset, b.deleteHorizonMs !== null, b.records.length]);
}

test("aborted data goes in one pass and never shadows the committed value it came after", async () => {
  const f = await openTxnLog(newClock());
  try {
    append(f, P1, [["k", "committed"]], true);
    endTxn(f, P1, true);
    append(f, P2, [["k", "aborted"]], true);
    append(f, P2, [["other", "aborted"]], true);
    endTxn(f, P2, false);
    append(f, P2, [["p2", "later"]]); // P2's last batch is now outside the aborted transaction
    f.log.roll();
    const before = values(f, readCommitted);
    assert.deepEqual(before, [
      ["k", "committed"],
      ["p2", "later"],
    ]);
    const result = await clean(f);
    assert.equal(result.recordsRemoved, 2);
    assert.deepEqual(values(f, readCommitted), before, "a read_committed reader sees the same");
    assert.deepEqual(
      readUncommitted(f.log).map((r) => r.value),
      ["committed", "later"],
      "the aborted records are gone for read_uncommitted readers too",
    );
    // the pass that removes the aborted data saw it, so the ABORT marker and its index entry stay
    // until the next pass (Kafka's rule); the COMMIT marker's transaction data is kept.
    assert.deepEqual(markers(f), [
      [P1, 1n, false, 1],
      [P2, 4n, false, 1],
    ]);
    assert.equal(f.log.abortedTransactions(0n, f.log.logEndOffset).length, 1);
    await f.manager.shutdown();
  } finally {
    f.dir.cleanup();
  }
});

test("markers whose transactions are gone get a delete horizon, then go after delete.retention.ms", async () => {
  const f = await openTxnLog(newClock());
  try {
    append(f, P1, [["k", "v1"]], true); // 0
    endTxn(f, P1, true); // 1
    append(f, P2, [["a", "x"]], true); // 2
    endTxn(f, P2, false); // 3
    append(f, P2, [["p2", "last"]]); // 4
    append(f, -1n, [["k", "v2"]]); // 5: shadows 0
    append(f, P1, [["p1", "last"]]); // 6
    f.log.roll();
    await clean(f);
    // pass 1 saw both transactions' data: both markers stay, without a horizon yet
    assert.deepEqual(markers(f), [
      [P1, 1n, false, 1],
      [P2, 3n, false, 1],
    ]);
    assert.equal(f.log.abortedTransactions(0n, 10n).length, 1, "the aborted data was seen: its entry stays");
    append(f, -1n, [["dirt", "1"]]);
    f.log.roll();
    const pass2At = f.clock.nowMs();
    await clean(f);
    // pass 2: nothing of either transaction is left, so both markers wait out their horizon
    const horizons = batches(f.log)
      .filter((b) => b.isControl)
      .map((b) => b.deleteHorizonMs);
    assert.deepEqual(horizons, [
      BigInt(pass2At + DELETE_RETENTION_MS),
      BigInt(pass2At + DELETE_RETENTION_MS),
    ]);
    assert.equal(f.log.abortedTransactions(0n, 10n).length, 0, "no batch of the aborted transaction is left");
    f.clock.advance(DELETE_RETENTION_MS / 2);
    assert.equal(await f.cleaner.cleanFilthiestLog([f.log], f.clock.nowMs()), null, "nothing is due yet");
    f.clock.advance(DELETE_RETENTION_MS / 2);
    assert.ok(
      await f.cleaner.cleanFilthiestLog([f.log], f.clock.nowMs()),
      "a marker's horizon makes the log due",
    );
    assert.deepEqual(markers(f), [], "both markers went");
    assert.deepEqual(values(f, readCommitted), [
      ["dirt", "1"],
      ["k", "v2"],
      ["p1", "last"],
      ["p2", "last"],
    ]);
    await f.manager.shutdown();
  } finally {
    f.dir.cleanup();
  }
});

test("a producer's last batch stays as an empty batch, so its sequence survives a rebuild", async () => {
  const f = await openTxnLog(newClock());
  try {
    append(f, P1, [["k", "a"]]); // 0, seq 0
    append(f, P1, [
      ["k", "b"],
      ["j", "c"],
    ]); // 1-2, seq 1-2
    append(f, P3, [["p3", "open"]], true); // 3: aborted later, P3's last batch
    endTxn(f, P3, false); // 4
    append(f, -1n, [
      ["k", "d"],
      ["j", "e"],
    ]); // 5-6
    append(f, -1n, [["end", "x"]]); // 7
    f.log.roll();
    await clean(f);
    const kept = batches(f.log).filter((b) => b.producerId === P1 || b.producerId === P3);
    assert.deepEqual(
      kept.map((b) => [
        b.producerId,
        b.baseOffset,
        b.lastOffsetDelta,
        b.baseSequence,
        b.records.length,
        b.isControl,
      ]),
      [
        [P1, 1n, 1, 1, 0, false],
        [P3, 3n, 0, 0, 0, false],
        [P3, 4n, 0, -1, 1, true],
      ],
      "P1's batch of seq 1-2 and P3's aborted batch stay empty; the ABORT marker stays with them",
    );
    const entry = f.producers.entry(P1);
    assert.equal(entry?.lastSeq, 2);
    // rebuild from the log alone: no snapshot
    await f.manager.shutdown();
    for (const name of readdirSync(f.dir.path, { recursive: true }) as string[])
      if (name.endsWith(".snapshot")) rmSync(join(f.dir.path, name));
    const g = await openTxnLog(f.clock, f.dir);
    assert.equal(g.producers.entry(P1)?.lastSeq, 2, "the empty batch carries the last sequence");
    assert.equal(g.producers.entry(P1)?.lastDataOffset, 2n);
    assert.equal(g.producers.entry(P3)?.lastDataOffset, 3n);
    assert.deepEqual(
      g.log
        .abortedTransactions(0n, g.log.logEndOffset)
        .map((t) => [t.producerId, t.firstOffset, t.lastOffset]),
      [[P3, 3n, 4n]],
    );
    // and the next batch of P1 is in sequence
    g.sequences.set(P1, 3);
    assert.equal(append(g, P1, [["k", "f"]]), g.log.logEndOffset - 1n);
    await g.manager.shutdown();
  } finally {
    f.dir.cleanup();
  }
});

test("the cleaned segment's .txnindex keeps only aborted transactions with data left, in Kafka's layout", async () => {
  const f = await openTxnLog(newClock());
  try {
    append(f, P1, [["a", "1"]], true); // 0: aborted, P1 goes on: removed
    endTxn(f, P1, false); // 1
    append(f, P2, [["b", "2"]], true); // 2: aborted, P2's last batch: kept empty
    endTxn(f, P2, false); // 3
    append(f, P1, [["c", "3"]]); // 4
    append(f, -1n, [["d", "4"]]); // 5
    f.log.roll();
    const firstBase = f.log.segmentList[0]?.baseOffset ?? 0n;
    const path = join(f.dir.path, readdirSync(f.dir.path).find((d) => d.startsWith("compacted-txn")) ?? "");
    const txnIndex = join(path, `${firstBase.toString().padStart(20, "0")}.txnindex`);
    assert.equal(decodeAbortedTxns(readFileSync(txnIndex), txnIndex).length, 2);
    await clean(f);
    const entries = () =>
      decodeAbortedTxns(readFileSync(txnIndex), txnIndex).map((t) => [
        t.producerId,
        t.firstOffset,
        t.lastOffset,
      ]);
    assert.deepEqual(
      entries(),
      [
        [P1, 0n, 1n],
        [P2, 2n, 3n],
      ],
      "the pass that removes an aborted transaction's data keeps its marker and entry, as Kafka's",
    );
    append(f, -1n, [["dirt", "1"]]);
    f.log.roll();
    await clean(f);
    assert.deepEqual(
      entries(),
      [[P2, 2n, 3n]],
      "P1's transaction has no batch left; P2's empty batch keeps its entry",
    );
    assert.equal(readFileSync(txnIndex).length, 34);
    assert.deepEqual(
      f.log.abortedTransactions(0n, f.log.logEndOffset).map((t) => t.lastOffset),
      [3n],
      "memory agrees with the file",
    );
    const committed = values(f, readCommitted);
    await f.manager.shutdown();
    const g = await openTxnLog(f.clock, f.dir);
    assert.deepEqual(values(g, readCommitted), committed, "read_committed reads the same after a restart");
    assert.deepEqual(committed, [
      ["c", "3"],
      ["d", "4"],
      ["dirt", "1"],
    ]);
    assert.ok(existsSync(txnIndex));
    await g.manager.shutdown();
  } finally {
    f.dir.cleanup();
  }
});

test("an open transaction stops cleaning at the LSO; once aborted, a later pass removes it", async () => {
  const f = await openTxnLog(newClock());
  try {
    append(f, P1, [["k", "old"]], true); // 0
    endTxn(f, P1, true); // 1
    append(f, P3, [["k", "open"]], true); // 2: open
    append(f, P1, [["k", "new"]], true); // 3
    endTxn(f, P1, true); // 4
    append(f, -1n, [["z", "1"]]); // 5
    f.log.roll();
    assert.equal(f.log.lastStableOffset, 2n);
    const before = values(f, readCommitted);
    const first = await clean(f);
    assert.equal(first.cleanedUpTo, 2n, "the dirty range ends at the LSO");
    assert.deepEqual(values(f, readCommitted), before);
    assert.ok(
      readUncommitted(f.log).some((r) => r.value === "open"),
      "the open transaction's data is beyond the cleaned range",
    );
    endTxn(f, P3, false); // 6
    append(f, -1n, [["z", "2"]]);
    f.log.roll();
    assert.equal(f.log.lastStableOffset, f.log.highWatermark);
    const committed = values(f, readCommitted);
    await clean(f);
    assert.deepEqual(values(f, readCommitted), committed);
    assert.deepEqual(values(f, readCommitted), [
      ["k", "new"],
      ["z", "2"],
    ]);
    assert.deepEqual(
      readUncommitted(f.log).map((r) => r.value),
      ["new", "2"],
      "the aborted value of k went, and k's committed values below it with the map",
    );
    await f.manager.shutdown();
  } finally {
    f.dir.cleanup();
  }
});

test("interleaved producers: committed data compacts like any other, aborted data of each producer goes", async () => {
  const f = await openTxnLog(newClock());
  try {
    append(f, P1, [["x", "p1-a"]], true); // 0
    append(f, P2, [["x", "p2-a"]], true); // 1
    append(f, P1, [["y", "p1-b"]], true); // 2
    append(f, P2, [["y", "p2-b"]], true); // 3
    endTxn(f, P2, true); // 4: P2 commits x, y
    endTxn(f, P1, false); // 5: P1 aborts x, y
    append(f, P1, [["x", "p1-c"]], true); // 6
    endTxn(f, P1, true); // 7
    append(f, P2, [["y", "p2-c"]], true); // 8
    endTxn(f, P2, false); // 9
    append(f, P1, [["done", "1"]]); // 10
    append(f, P2, [["done", "2"]]); // 11
    f.log.roll();
    const before = values(f, readCommitted);
    assert.deepEqual(before, [
      ["done", "2"],
      ["x", "p1-c"],
      ["y", "p2-b"],
    ]);
    await clean(f);
    assert.deepEqual(values(f, readCommitted), before);
    assert.deepEqual(
      readUncommitted(f.log).map((r) => r.value),
      ["p2-b", "p1-c", "2"],
    );
    await f.manager.shutdown();
  } finally {
    f.dir.cleanup();
  }
});

test("transactional tombstones follow the same delete horizon (KIP-534) and leave no older value behind", async () => {
  const f = await openTxnLog(newClock());
  try {
    append(f, P1, [["k", "v"]], true); // 0
    endTxn(f, P1, true); // 1
    append(f, P1, [["k", null]], true); // 2
    endTxn(f, P1, true); // 3
    append(f, P2, [["k", "resurrected?"]], true); // 4: aborted, must not count
    endTxn(f, P2, false); // 5
    append(f, -1n, [["z", "1"]]); // 6
    f.log.roll();
    const at = f.clock.nowMs();
    await clean(f);
    const tombstone = batches(f.log).find((b) => b.records.some((r) => r.value === null));
    assert.equal(tombstone?.deleteHorizonMs, BigInt(at + DELETE_RETENTION_MS));
    assert.deepEqual(values(f, readCommitted), [["z", "1"]]);
    f.clock.advance(DELETE_RETENTION_MS);
    assert.ok(await f.cleaner.cleanFilthiestLog([f.log], f.clock.nowMs()));
    assert.deepEqual(
      readUncommitted(f.log).filter((r) => r.key === "k"),
      [],
      "the tombstone went at its horizon",
    );
    assert.deepEqual(values(f, readCommitted), [["z", "1"]]);
    // P1's last batch (the tombstone's) stays, empty
    const p1 = batches(f.log).filter((b) => b.producerId === P1 && !b.isControl);
    assert.deepEqual(
      p1.map((b) => [b.baseOffset, b.records.length]),
      [[2n, 0]],
    );
    await f.manager.shutdown();
  } finally {
    f.dir.cleanup();
  }
});

test("producer state is rebuilt the same from a cleaned log", async () => {
  const f = await openTxnLog(newClock());
  try {
    for (let i = 0; i < 5; i++) {
      append(f, P1, [[`k${i % 2}`, `v${i}`]], true);
      endTxn(f, P1, i % 2 === 0);
      append(f, P2, [[`k${i % 2}`, `w${i}`]]);
    }
    f.log.roll();
    await clean(f);
    const state = (m: ProducerStateManager) =>
      [P1, P2].map((p) => [m.entry(p)?.lastSeq, m.entry(p)?.producerEpoch, m.entry(p)?.lastDataOffset]);
    const expected = state(f.producers);
    await f.manager.shutdown();
    for (const name of readdirSync(f.dir.path, { recursive: true }) as string[])
      if (name.endsWith(".snapshot")) rmSync(join(f.dir.path, name));
    const g = await openTxnLog(f.clock, f.dir);
    assert.deepEqual(state(g.producers), expected);
    await g.manager.shutdown();
  } finally {
    f.dir.cleanup();
  }
});

test("a tombstone of a transaction still open outlives its horizon until the transaction commits", async () => {
  const f = await openTxnLog(newClock());
  try {
    append(f, -1n, [["k", "old"]]); // 0
    append(f, P1, [["k", null]], true); // 1: open past the LSO
    f.log.roll();
    await clean(f);
    append(f, -1n, [["dirt", "1"]]);
    f.log.roll();
    f.clock.advance(DELETE_RETENTION_MS + 1);
    await clean(f);
    assert.deepEqual(
      readUncommitted(f.log).filter((r) => r.key === "k"),
      [
        { offset: 0n, key: "k", value: "old" },
        { offset: 1n, key: "k", value: null },
      ],
      "past the map's range everything stays",
    );
    endTxn(f, P1, true);
    f.log.roll();
    await clean(f);
    assert.deepEqual(values(f, readCommitted), [["dirt", "1"]], "the committed tombstone deleted k");
    await f.manager.shutdown();
  } finally {
    f.dir.cleanup();
  }
});
