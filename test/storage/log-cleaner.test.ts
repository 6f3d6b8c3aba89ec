import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import type { ManualClock } from "../../src/base/index.js";
import {
  batchBaseOffset,
  batchLastOffsetDelta,
  batchSizeBytes,
  CompressionType,
  ErrorCode,
  KafkaError,
} from "../../src/protocol/index.js";
import type { Log, LogConfig, LogManager } from "../../src/storage/index.js";
import { CleanerCrashForTest, type CleanerCrashPoint, LogCleaner } from "../../src/storage/log-cleaner.js";
import { decodeAll, makeBatch, newClock, openManager, readAll, tempDir } from "./helpers.js";

const tp = { topic: "compacted", partition: 0 };
const compactConfig: Partial<LogConfig> = {
  cleanupPolicy: ["compact"],
  internalSegmentBytes: 1024,
  deleteRetentionMs: 10_000,
  minCleanableDirtyRatio: 0.5,
  fileDeleteDelayMs: 0,
};

interface Written {
  offset: bigint;
  key: string;
  value: string | null;
}

async function setup(config: Partial<LogConfig> = {}) {
  const dir = tempDir("brook-clean-");
  const clock = newClock();
  const manager = await openManager(dir.path, clock, { ...compactConfig, ...config });
  const log = manager.getOrCreateLog(tp);
  return { dir, clock, manager, log, cleaner: new LogCleaner(manager.env) };
}

function put(log: Log, clock: ManualClock, written: Written[], key: string, value: string | null): void {
  const info = log.appendAsLeader(
    makeBatch({ keys: [key], values: [value ?? "<null>"], timestamp: BigInt(clock.nowMs()) }),
    0,
  );
  written.push({ offset: info.firstOffset, key, value });
  log.updateHighWatermark(log.logEndOffset);
  clock.advance(10);
}

/** What compaction up to `end` must leave: the latest record per key below end, everything after. */
function expectedAfterClean(written: readonly Written[], end: bigint, dropTombstones: boolean): Written[] {
  const latest = new Map<string, bigint>();
  for (const w of written) if (w.offset < end) latest.set(w.key, w.offset);
  return written.filter((w) => {
    if (w.offset >= end) return true;
    if (latest.get(w.key) !== w.offset) return false;
    return !(dropTombstones && w.value === null);
  });
}

function contents(log: Log): Written[] {
  return decodeAll(readAll(log)).map((r) => ({ offset: r.offset, key: r.key as string, value: r.value }));
}

test("compaction keeps the last value per key at its offset and leaves the active segment alone", async () => {
  const { dir, clock, manager, log, cleaner } = await setup();
  try {
    const written: Written[] = [];
    for (let i = 0; i < 80; i++) put(log, clock, written, `key-${i % 7}`, `value-${i}`.padEnd(40, "."));
    const activeBase = log.activeSegment.baseOffset;
    const activeBytes = log.activeSegment.sizeBytes;
    const result = await cleaner.clean(log, clock.nowMs());
    assert.ok(result !== null);
    assert.equal(result.cleanedUpTo, activeBase);
    assert.ok(result.recordsRemoved > 0);
    assert.deepEqual(contents(log), expectedAfterClean(written, activeBase, false));
    assert.equal(log.activeSegment.baseOffset, activeBase);
    assert.equal(log.activeSegment.sizeBytes, activeBytes);
    assert.equal(log.logEndOffset, 80n);
    // the cleaned log survives a restart, and appends continue at the same offsets
    await manager.shutdown();
    const reopened = await openManager(dir.path, clock, compactConfig);
    const again = reopened.getLog(tp) as Log;
    assert.deepEqual(contents(again), expectedAfterClean(written, activeBase, false));
    assert.equal(again.cleanerCheckpoint, activeBase);
    assert.equal(again.appendAsLeader(makeBatch({ keys: ["k"], values: ["v"] }), 0).firstOffset, 80n);
    await reopened.shutdown();
  } finally {
    dir.cleanup();
  }
});

test("compaction rewrites multi-record and compressed batches keeping base offset and last offset delta", async () => {
  const { dir, clock, manager, log, cleaner } = await setup({ internalSegmentBytes: 2048 });
  try {
    const written: Written[] = [];
    for (let i = 0; i < 30; i++) {
      const keys = [`a${i % 3}`, `b${i % 4}`, `c${i % 2}`];
      const values = keys.map((k) => `${k}@${i}`);
      const info = log.appendAsLeader(
        makeBatch({
          keys,
          values,
          timestamp: BigInt(clock.nowMs()),
          ...(i % 2 === 0 ? { compression: CompressionType.lz4 } : {}),
        }),
        0,
      );
      keys.forEach((key, k) => {
        written.push({ offset: info.firstOffset + BigInt(k), key, value: values[k] as string });
      });
      log.updateHighWatermark(log.logEndOffset);
    }
    const before = new Map<bigint, number>();
    for (const buf of readAll(log)) {
      for (let at = 0; at < buf.length; at += batchSizeBytes(buf, at))
        before.set(batchBaseOffset(buf, at), batchLastOffsetDelta(buf, at));
    }
    const result = await cleaner.clean(log, clock.nowMs());
    assert.ok(result !== null && result.recordsRemoved > 0);
    assert.deepEqual(contents(log), expectedAfterClean(written, result.cleanedUpTo, false));
    for (const buf of readAll(log)) {
      for (let at = 0; at < buf.length; at += batchSizeBytes(buf, at)) {
        assert.equal(
          batchLastOffsetDelta(buf, at),
          before.get(batchBaseOffset(buf, at)),
          "lastOffsetDelta is kept",
        );
      }
    }
    await manager.shutdown();
  } finally {
    dir.cleanup();
  }
});

test("tombstones stay for delete.retention.ms after their first cleaning, then go", async () => {
  const { dir, clock, manager, log, cleaner } = await setup();
  try {
    const written: Written[] = [];
    put(log, clock, written, "gone", "first");
    put(log, clock, written, "kept", "value");
    put(log, clock, written, "gone", null);
    for (let i = 0; i < 40; i++) put(log, clock, written, `filler-${i % 3}`, "x".repeat(60));
    const first = await cleaner.clean(log, clock.nowMs());
    assert.ok(first !== null);
    let now = contents(log);
    assert.deepEqual(
      now.filter((w) => w.key === "gone"),
      [{ offset: 2n, key: "gone", value: null }],
    );
    clock.advance(5_000);
    assert.equal(await cleaner.cleanFilthiestLog([log], clock.nowMs()), null, "nothing is due yet");
    await cleaner.clean(log, clock.nowMs());
    assert.equal(
      contents(log).filter((w) => w.key === "gone").length,
      1,
      "the tombstone waits for its horizon",
    );
    clock.advance(5_001);
    const due = await cleaner.cleanFilthiestLog([log], clock.nowMs());
    assert.ok(due !== null, "a passed delete horizon makes the log due");
    now = contents(log);
    assert.deepEqual(
      now.filter((w) => w.key === "gone"),
      [],
    );
    assert.deepEqual(
      now.filter((w) => w.key === "kept"),
      [{ offset: 1n, key: "kept", value: "value" }],
    );
    await manager.shutdown();
  } finally {
    dir.cleanup();
  }
});

test("min.compaction.lag.ms keeps young segments dirty and min.cleanable.dirty.ratio gates cleaning", async () => {
  const { dir, clock, manager, log, cleaner } = await setup({ minCompactionLagMs: 60_000 });
  try {
    const written: Written[] = [];
    for (let i = 0; i < 60; i++) put(log, clock, written, `k${i % 40}`, "y".repeat(50));
    assert.equal(
      await cleaner.cleanFilthiestLog([log], clock.nowMs()),
      null,
      "every segment is younger than the lag",
    );
    clock.advance(60_000);
    const result = await cleaner.cleanFilthiestLog([log], clock.nowMs());
    assert.ok(result !== null);
    assert.deepEqual(contents(log), expectedAfterClean(written, result.cleanedUpTo, false));
    // a little new dirt over a large clean part stays below the 0.5 ratio
    log.updateConfig({ ...log.config, minCompactionLagMs: 0 });
    for (let i = 0; i < 3; i++) put(log, clock, written, `new-${i}`, "z".repeat(50));
    log.roll();
    const ratio = await cleaner.cleanFilthiestLog([log], clock.nowMs());
    assert.equal(ratio, null);
    await manager.shutdown();
  } finally {
    dir.cleanup();
  }
});

test("keyless records are refused on compacted topics", async () => {
  const { dir, manager, log } = await setup();
  try {
    assert.throws(
      () => log.appendAsLeader(makeBatch({ values: ["no key"] }), 0),
      (e: unknown) => e instanceof KafkaError && e.errorCode === ErrorCode.INVALID_RECORD,
    );
    assert.equal(log.logEndOffset, 0n);
    await manager.shutdown();
  } finally {
    dir.cleanup();
  }
});

for (const point of ["cleaned-written", "swap-renamed", "old-deleted"] as CleanerCrashPoint[]) {
  test(`a crash during the swap (${point}) recovers to a consistent log`, async () => {
    // One segment to clean (one group), so that the crash hits the only swap.
    const { dir, clock, manager, log, cleaner } = await setup({ internalSegmentBytes: 1 << 20 });
    let reopened: LogManager | null = null;
    try {
      const written: Written[] = [];
      for (let i = 0; i < 60; i++) put(log, clock, written, `key-${i % 5}`, `v${i}`.padEnd(50, "-"));
      log.roll();
      for (let i = 60; i < 65; i++) put(log, clock, written, `key-${i % 5}`, `v${i}`.padEnd(50, "-"));
      const end = log.activeSegment.baseOffset;
      cleaner.crashPointForTest = point;
      await assert.rejects(cleaner.clean(log, clock.nowMs()), CleanerCrashForTest);
      manager.closeUncleanly();
      reopened = await openManager(dir.path, clock, { ...compactConfig, internalSegmentBytes: 1 << 20 });
      const recovered = reopened.getLog(tp) as Log;
      const leftovers = readdirSync(join(dir.path, "compacted-0")).filter(
        (n) => n.endsWith(".cleaned") || n.endsWith(".swap"),
      );
      assert.deepEqual(leftovers, []);
      const expected = point === "cleaned-written" ? written : expectedAfterClean(written, end, false);
      assert.deepEqual(contents(recovered), expected);
      assert.equal(recovered.logEndOffset, 65n);
      // and a later pass completes the compaction
      const result = await new LogCleaner(reopened.env).clean(recovered, clock.nowMs());
      if (result !== null)
        assert.deepEqual(contents(recovered), expectedAfterClean(written, result.cleanedUpTo, false));
    } finally {
      await reopened?.shutdown();
      dir.cleanup();
    }
  });
}
