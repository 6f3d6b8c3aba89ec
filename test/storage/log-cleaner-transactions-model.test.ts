import assert from "node:assert/strict";
import { readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import fc from "fast-check";
import type { ProducerStateManager } from "../../src/storage/index.js";
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
  type Seen,
  type TxnFixture,
} from "./transactional-log.js";

/**
 * The cleaner against a model of what compaction must not change: random interleavings of
 * transactional producers (committing, aborting, leaving transactions open), an idempotent
 * producer and plain writes, with segment rolls and cleaning passes at random times. After every
 * pass a read_committed reader sees the same latest value per key, at the same offset; what a
 * read_uncommitted reader sees is a subsequence of what it saw; offsets only increase; the LSO
 * stays. At the end, the producer state rebuilt from the cleaned log alone is the live one.
 */

const TXN_PRODUCERS = [1n, 2n, 3n];
const IDEMPOTENT = 10n;
const KEYS = ["a", "b", "c", "d", "e"];

type Op =
  | { t: "txn"; p: number; key: number; tombstone: boolean; count: number }
  | { t: "end"; p: number; commit: boolean }
  | { t: "plain"; key: number; tombstone: boolean; idempotent: boolean }
  | { t: "roll" }
  | { t: "clean"; advanceMs: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      t: fc.constant("txn" as const),
      p: fc.nat(TXN_PRODUCERS.length - 1),
      key: fc.nat(KEYS.length - 1),
      tombstone: fc.boolean(),
      count: fc.integer({ min: 1, max: 3 }),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      t: fc.constant("end" as const),
      p: fc.nat(TXN_PRODUCERS.length - 1),
      commit: fc.boolean(),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      t: fc.constant("plain" as const),
      key: fc.nat(KEYS.length - 1),
      tombstone: fc.boolean(),
      idempotent: fc.boolean(),
    }),
  },
  { weight: 2, arbitrary: fc.constant({ t: "roll" as const }) },
  {
    weight: 2,
    arbitrary: fc.record({
      t: fc.constant("clean" as const),
      advanceMs: fc.constantFrom(0, 1_000, DELETE_RETENTION_MS / 2, DELETE_RETENTION_MS + 1),
    }),
  },
);

let valueCounter = 0;
/** Records the passes removed over all runs: the property must not hold vacuously. */
let removedTotal = 0;
let markersRemovedTotal = 0;

function apply(f: TxnFixture, open: Set<bigint>, op: Op): void {
  switch (op.t) {
    case "txn": {
      const p = TXN_PRODUCERS[op.p] as bigint;
      const entries = Array.from({ length: op.count }, (_, i) => {
        const key = KEYS[(op.key + i) % KEYS.length] as string;
        return [key, op.tombstone && i === 0 ? null : `v${valueCounter++}`] as const;
      });
      append(f, p, entries, true);
      open.add(p);
      return;
    }
    case "end": {
      const p = TXN_PRODUCERS[op.p] as bigint;
      if (!open.has(p)) return;
      endTxn(f, p, op.commit);
      open.delete(p);
      return;
    }
    case "plain":
      append(f, op.idempotent ? IDEMPOTENT : -1n, [
        [KEYS[op.key] as string, op.tombstone ? null : `v${valueCounter++}`],
      ]);
      return;
    case "roll":
      if (f.log.activeSegment.sizeBytes > 0) f.log.roll();
      return;
    case "clean":
      return;
  }
}

function isSubsequence(part: readonly Seen[], whole: readonly Seen[]): boolean {
  let i = 0;
  for (const r of whole) {
    const next = part[i];
    if (next !== undefined && next.offset === r.offset) {
      if (next.key !== r.key || next.value !== r.value) return false;
      i++;
    }
  }
  return i === part.length;
}

function checkOffsetsIncrease(f: TxnFixture): void {
  let previous = -1n;
  for (const b of batches(f.log)) {
    assert.ok(b.baseOffset > previous, `batch at ${b.baseOffset} follows ${previous}`);
    previous = b.baseOffset + BigInt(b.lastOffsetDelta);
    for (const r of b.records) assert.ok(r.offset >= b.baseOffset && r.offset <= previous);
  }
}

async function cleanAndCheck(f: TxnFixture, advanceMs: number): Promise<void> {
  f.clock.advance(advanceMs);
  const lso = f.log.lastStableOffset;
  const committed = latestValues(readCommitted(f.log));
  const uncommitted = readUncommitted(f.log);
  const markersBefore = batches(f.log).filter((b) => b.isControl && b.records.length > 0).length;
  removedTotal += (await f.cleaner.clean(f.log, f.clock.nowMs()))?.recordsRemoved ?? 0;
  markersRemovedTotal +=
    markersBefore - batches(f.log).filter((b) => b.isControl && b.records.length > 0).length;
  assert.equal(f.log.lastStableOffset, lso, "cleaning does not move the LSO");
  assert.deepEqual(latestValues(readCommitted(f.log)), committed, "read_committed latest values per key");
  assert.ok(isSubsequence(readUncommitted(f.log), uncommitted), "cleaning only removes records");
  checkOffsetsIncrease(f);
}

function producerStates(m: ProducerStateManager): unknown[] {
  return [...TXN_PRODUCERS, IDEMPOTENT].map((p) => {
    const e = m.entry(p);
    return [p, e?.lastSeq, e?.producerEpoch, e?.lastDataOffset, e?.currentTxnFirstOffset];
  });
}

test("cleaning transactional logs keeps what read_committed readers see, against a model", async () => {
  const runs = Number(process.env.BROOK_CLEANER_MODEL_RUNS ?? 30);
  await fc.assert(
    fc.asyncProperty(fc.array(opArb, { minLength: 5, maxLength: 70 }), async (ops) => {
      const f = await openTxnLog(newClock());
      try {
        const open = new Set<bigint>();
        for (const op of ops) {
          apply(f, open, op);
          if (op.t === "clean") await cleanAndCheck(f, op.advanceMs);
        }
        // finish: the transactions still open end (an open one holds the LSO, and cleaning, back)
        for (const p of open) endTxn(f, p, p % 2n === 0n);
        // then three passes: data goes, then markers and tombstones get their horizon, then go
        for (const advanceMs of [0, 0, DELETE_RETENTION_MS + 1]) {
          append(f, -1n, [["dirt", `x${advanceMs}`]]);
          f.log.roll();
          await cleanAndCheck(f, advanceMs);
        }
        const live = producerStates(f.producers);
        const committed = readCommitted(f.log);
        await f.manager.shutdown();
        for (const name of readdirSync(f.dir.path, { recursive: true }) as string[])
          if (name.endsWith(".snapshot")) rmSync(join(f.dir.path, name));
        const g = await openTxnLog(f.clock, f.dir);
        assert.deepEqual(producerStates(g.producers), live, "producer state rebuilt from the cleaned log");
        assert.deepEqual(readCommitted(g.log), committed, "read_committed reads the same after a restart");
        await g.manager.shutdown();
      } finally {
        f.dir.cleanup();
      }
    }),
    { numRuns: runs },
  );
  assert.ok(
    removedTotal > 0 && markersRemovedTotal > 0,
    `passes removed records (${removedTotal}) and markers (${markersRemovedTotal})`,
  );
});
