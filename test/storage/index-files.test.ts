import assert from "node:assert/strict";
import { closeSync, openSync, readdirSync, readFileSync, statSync, truncateSync, writeSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import type { ManualClock } from "../../src/base/index.js";
import { batchBaseOffset, batchLastOffsetDelta } from "../../src/protocol/index.js";
import { type Log, type LogConfig, type LogManager, SegmentWriter } from "../../src/storage/index.js";
import { OffsetIndex } from "../../src/storage/offset-index.js";
import { TimeIndex } from "../../src/storage/time-index.js";
import { decodeAll, makeBatch, newClock, openManager, readAll, tempDir } from "./helpers.js";

/**
 * The `.index` and `.timeindex` files of a partition, as Kafka keeps them: created with the
 * segment at their preallocated length (segment.index.bytes rounded down to whole entries),
 * written in place while the segment is active, trimmed to their entries when it rolls or the log
 * closes, rebuilt after a crash rather than trusted.
 */

// These tests read the files directly: every write lands before the call that made it returns.
// (The model test checks the files while the writer thread writes, crash.test.ts kills it.)
SegmentWriter.shared().policy = "never";

const tp = { topic: "indexed", partition: 0 };
const BASE = "00000000000000000000";
const TS0 = 1_700_000_000_000n;

interface Ctx {
  dir: { path: string; cleanup: () => void };
  clock: ManualClock;
  manager: LogManager;
  log: Log;
  partitionDir: string;
  config: Partial<LogConfig>;
}

async function withLog(config: Partial<LogConfig>, body: (ctx: Ctx) => Promise<void>): Promise<void> {
  const dir = tempDir();
  const clock = newClock();
  const manager = await openManager(dir.path, clock, config);
  const ctx: Ctx = {
    dir,
    clock,
    manager,
    log: manager.getOrCreateLog(tp, undefined, "AAAAAAAAAAAAAAAAAAAAAA"),
    partitionDir: join(dir.path, "indexed-0"),
    config,
  };
  try {
    await body(ctx);
  } finally {
    await ctx.manager.shutdown().catch(() => {});
    dir.cleanup();
  }
}

async function reopen(ctx: Ctx, clean: boolean): Promise<void> {
  if (clean) await ctx.manager.shutdown();
  else ctx.manager.closeUncleanly();
  ctx.manager = await openManager(ctx.dir.path, ctx.clock, ctx.config);
  ctx.log = ctx.manager.getLog(tp) as Log;
}

/** Appends `count` batches of ~300 bytes with increasing timestamps (batch i at TS0 + 10 i). */
function appendBatches(log: Log, count: number, first = 0): void {
  for (let i = first; i < first + count; i++) {
    log.appendAsLeader(
      makeBatch({ values: [`v${i}`.padEnd(300, ".")], timestamp: TS0 + BigInt(i) * 10n }),
      0,
    );
  }
}

const sizeOf = (ctx: Ctx, name: string) => statSync(join(ctx.partitionDir, name)).size;

/** The entries of an index file up to its first all-zero slot (the preallocated tail). */
function offsetEntries(path: string): { rel: number; position: number }[] {
  const bytes = readFileSync(path);
  const out: { rel: number; position: number }[] = [];
  for (let at = 0; at + 8 <= bytes.length; at += 8) {
    const rel = bytes.readInt32BE(at);
    const position = bytes.readInt32BE(at + 4);
    if (rel === 0 && position === 0) break;
    out.push({ rel, position });
  }
  return out;
}

function timeEntries(path: string): { timestamp: bigint; rel: number }[] {
  const bytes = readFileSync(path);
  const out: { timestamp: bigint; rel: number }[] = [];
  for (let at = 0; at + 12 <= bytes.length; at += 12) {
    const timestamp = bytes.readBigInt64BE(at);
    const rel = bytes.readInt32BE(at + 8);
    if (timestamp === 0n && rel === 0) break;
    out.push({ timestamp, rel });
  }
  return out;
}

/** Every offset-index entry of the segment names the start of the batch whose last offset it holds. */
function assertEntriesMatchLog(ctx: Ctx, base: string): number {
  const log = readFileSync(join(ctx.partitionDir, `${base}.log`));
  const entries = offsetEntries(join(ctx.partitionDir, `${base}.index`));
  for (const { rel, position } of entries) {
    assert.ok(position > 0 && position < log.length, `entry at ${position} outside the log (${log.length})`);
    assert.equal(
      batchBaseOffset(log, position) + BigInt(batchLastOffsetDelta(log, position)),
      BigInt(base) + BigInt(rel),
    );
  }
  return entries.length;
}

/** ListOffsets answers for timestamps across the data, and every record read from its own offset. */
function lookups(log: Log): string[] {
  const answers: string[] = [];
  for (const target of [0n, TS0, TS0 + 5n, TS0 + 333n, TS0 + 1000n, TS0 + 100_000n, -3n]) {
    const found = log.fetchOffsetByTimestamp(target);
    answers.push(`${target} -> ${found === null ? "none" : `${found.offset}@${found.timestamp}`}`);
  }
  for (let offset = log.logStartOffset; offset < log.logEndOffset; offset += 7n) {
    const first = decodeAll(log.read({ fetchOffset: offset, maxBytes: 1 }).records)[0];
    answers.push(`${offset}: ${first?.offset} ${first?.value?.slice(0, 6)}`);
  }
  return answers;
}

test("a new segment's index files exist from the start at Kafka's preallocated sizes, sparse", async () => {
  await withLog({}, async (ctx) => {
    // segment.index.bytes defaults to 10 MiB: 1310720 offset entries, 873813 time entries.
    assert.equal(sizeOf(ctx, `${BASE}.index`), 10485760);
    assert.equal(sizeOf(ctx, `${BASE}.timeindex`), 10485756);
    assert.equal(sizeOf(ctx, `${BASE}.log`), 0);
    const allocated = statSync(join(ctx.partitionDir, `${BASE}.index`)).blocks * 512;
    assert.ok(allocated < 1024 * 1024, `the preallocated index takes ${allocated} bytes of disk`);
  });
  await withLog({ segmentIndexBytes: 1000 }, async (ctx) => {
    assert.equal(sizeOf(ctx, `${BASE}.index`), 1000);
    assert.equal(sizeOf(ctx, `${BASE}.timeindex`), 996);
  });
});

test("entries reach the active segment's files behind their batches; a roll trims the sealed files", async () => {
  await withLog({ indexIntervalBytes: 100, segmentIndexBytes: 4096 }, async (ctx) => {
    appendBatches(ctx.log, 40);
    // 39 entries: a group of 32 is in the file at once, the rest come with the flush.
    assert.equal(assertEntriesMatchLog(ctx, BASE), 32);
    ctx.log.flush();
    assert.equal(assertEntriesMatchLog(ctx, BASE), 39);
    assert.equal(timeEntries(join(ctx.partitionDir, `${BASE}.timeindex`)).length, 39);
    assert.equal(sizeOf(ctx, `${BASE}.index`), 4096, "still preallocated while active");

    ctx.log.roll();
    assert.equal(sizeOf(ctx, `${BASE}.index`), 39 * 8);
    assert.equal(sizeOf(ctx, `${BASE}.timeindex`), 39 * 12);
    // The last time-index entry is the segment's largest timestamp, at the offset that holds it.
    const last = timeEntries(join(ctx.partitionDir, `${BASE}.timeindex`)).pop();
    assert.deepEqual(last, { timestamp: TS0 + 390n, rel: 39 });
    const next = "00000000000000000040";
    assert.equal(sizeOf(ctx, `${next}.index`), 4096);
    assert.equal(sizeOf(ctx, `${next}.timeindex`), 4092);
  });
});

test("a clean shutdown trims the active segment's index files; the restart extends them when used", async () => {
  await withLog({ indexIntervalBytes: 100, segmentIndexBytes: 4096 }, async (ctx) => {
    appendBatches(ctx.log, 50);
    const before = lookups(ctx.log);
    await reopen(ctx, true);
    assert.equal(ctx.manager.startupStats.recoveredSegments, 0);
    // Trimmed at close; start-up does not touch them (lazy).
    assert.equal(sizeOf(ctx, `${BASE}.index`), 49 * 8);
    assert.equal(sizeOf(ctx, `${BASE}.timeindex`), 49 * 12);
    assert.equal(assertEntriesMatchLog(ctx, BASE), 49);
    assert.deepEqual(lookups(ctx.log), before);
    assert.equal(sizeOf(ctx, `${BASE}.index`), 4096, "preallocated again once the active segment is used");
    assert.equal(sizeOf(ctx, `${BASE}.timeindex`), 4092);
    appendBatches(ctx.log, 10, 50);
    ctx.log.flush();
    assert.equal(assertEntriesMatchLog(ctx, BASE), 59);
    assert.equal(decodeAll(readAll(ctx.log)).length, 60);
  });
});

test("after a crash the active segment's index is rebuilt from the log: its zero tail and stale entries are never trusted", async () => {
  await withLog({ indexIntervalBytes: 100, segmentIndexBytes: 4096 }, async (ctx) => {
    appendBatches(ctx.log, 45);
    const before = lookups(ctx.log);
    ctx.manager.closeUncleanly(); // as SIGKILL leaves them: 32 of 44 entries in the files, zeros after
    assert.equal(sizeOf(ctx, `${BASE}.index`), 4096);
    assert.equal(assertEntriesMatchLog(ctx, BASE), 32);
    // And garbage where the crash left zeros: an entry past the log, a timestamp from the future.
    const index = openSync(join(ctx.partitionDir, `${BASE}.index`), "r+");
    writeSync(index, Buffer.from([0, 0, 0, 99, 0, 1, 0, 0]), 0, 8, 40 * 8);
    closeSync(index);
    const time = openSync(join(ctx.partitionDir, `${BASE}.timeindex`), "r+");
    const future = Buffer.alloc(12);
    future.writeBigInt64BE(TS0 + 1_000_000n);
    future.writeInt32BE(3, 8);
    writeSync(time, future, 0, 12, 40 * 12);
    closeSync(time);

    ctx.manager = await openManager(ctx.dir.path, ctx.clock, ctx.config);
    ctx.log = ctx.manager.getLog(tp) as Log;
    assert.equal(ctx.manager.startupStats.recoveredSegments, 1);
    assert.equal(ctx.log.logEndOffset, 45n);
    assert.deepEqual(lookups(ctx.log), before);
    // The files were rewritten from the rebuilt indexes: every entry, nothing else, still preallocated.
    assert.equal(sizeOf(ctx, `${BASE}.index`), 4096);
    assert.equal(assertEntriesMatchLog(ctx, BASE), 44);
    const times = timeEntries(join(ctx.partitionDir, `${BASE}.timeindex`));
    assert.equal(times.length, 44);
    assert.ok(times.every((t) => t.timestamp <= TS0 + 440n));
  });
});

test("an index file left at its preallocated length fails the sanity check and is rebuilt, never read as entries", async () => {
  // The sanity check itself: a zero tail is not a run of entries.
  const index = new OffsetIndex(100n, 64);
  index.append(105n, 1000);
  const preallocated = Buffer.alloc(64);
  index.toBytes().copy(preallocated);
  assert.equal(OffsetIndex.fromBytes(100n, 64, preallocated, 5000), null);
  assert.equal(OffsetIndex.fromBytes(100n, 64, Buffer.alloc(8), 5000), null, "a single zero slot");
  assert.equal(OffsetIndex.fromBytes(100n, 64, index.toBytes(), 5000)?.entries, 1);
  const times = new TimeIndex(100n, 60);
  times.maybeAppend(TS0, 105n);
  const timesPreallocated = Buffer.alloc(60);
  times.toBytes().copy(timesPreallocated);
  assert.equal(TimeIndex.fromBytes(100n, 60, timesPreallocated), null);
  assert.equal(TimeIndex.fromBytes(100n, 60, Buffer.alloc(12)), null);
  assert.equal(TimeIndex.fromBytes(100n, 60, times.toBytes())?.entries, 1);

  // In a log: files of a cleanly closed segment, grown back to their preallocated length.
  await withLog({ indexIntervalBytes: 100, segmentIndexBytes: 4096 }, async (ctx) => {
    appendBatches(ctx.log, 30);
    const before = lookups(ctx.log);
    await ctx.manager.shutdown();
    truncateSync(join(ctx.partitionDir, `${BASE}.index`), 4096);
    truncateSync(join(ctx.partitionDir, `${BASE}.timeindex`), 4092);
    ctx.manager = await openManager(ctx.dir.path, ctx.clock, ctx.config);
    ctx.log = ctx.manager.getLog(tp) as Log;
    assert.deepEqual(lookups(ctx.log), before);
    assert.equal(assertEntriesMatchLog(ctx, BASE), 29);
  });
});

test("truncation zeroes the index slots past the new log end: no entry on disk points past the log", async () => {
  await withLog({ indexIntervalBytes: 100, segmentIndexBytes: 4096 }, async (ctx) => {
    appendBatches(ctx.log, 60);
    ctx.log.flush();
    assert.equal(assertEntriesMatchLog(ctx, BASE), 59);
    ctx.log.truncateTo(20n);
    assert.equal(assertEntriesMatchLog(ctx, BASE), 19);
    assert.ok(offsetEntries(join(ctx.partitionDir, `${BASE}.index`)).every((e) => e.rel < 20));
    assert.ok(timeEntries(join(ctx.partitionDir, `${BASE}.timeindex`)).every((e) => e.rel < 20));
    assert.equal(sizeOf(ctx, `${BASE}.index`), 4096);
    appendBatches(ctx.log, 5, 20);
    ctx.log.flush();
    assert.equal(assertEntriesMatchLog(ctx, BASE), 24);
  });
});

test("the background tick writes the index entries of a quiet partition", async () => {
  await withLog({ indexIntervalBytes: 100, segmentIndexBytes: 4096 }, async (ctx) => {
    appendBatches(ctx.log, 6);
    assert.equal(assertEntriesMatchLog(ctx, BASE), 0, "fewer than a group: still in memory only");
    await ctx.manager.tick();
    assert.equal(assertEntriesMatchLog(ctx, BASE), 5);
    assert.equal(timeEntries(join(ctx.partitionDir, `${BASE}.timeindex`)).length, 5);
  });
});

test("a new log dir and partition have Kafka's checkpoint files from the start, empty until written", async () => {
  await withLog({}, async (ctx) => {
    const root = readdirSync(ctx.dir.path).sort();
    for (const name of [
      "cleaner-offset-checkpoint",
      "log-start-offset-checkpoint",
      "recovery-point-offset-checkpoint",
      "replication-offset-checkpoint",
    ]) {
      assert.ok(root.includes(name), `${name} in ${root.join(", ")}`);
      assert.equal(statSync(join(ctx.dir.path, name)).size, 0);
    }
    assert.deepEqual(readdirSync(ctx.partitionDir).sort(), [
      `${BASE}.index`,
      `${BASE}.log`,
      `${BASE}.timeindex`,
      "leader-epoch-checkpoint",
      "partition.metadata",
    ]);
    assert.equal(sizeOf(ctx, "leader-epoch-checkpoint"), 0);
    // Empty checkpoints read as no entries (the helper's manager fails on any background error).
    await reopen(ctx, false);
    appendBatches(ctx.log, 1);
    await reopen(ctx, true);
    assert.equal(
      readFileSync(join(ctx.dir.path, "recovery-point-offset-checkpoint"), "utf8"),
      "0\n1\nindexed 0 1\n",
    );
    assert.equal(readFileSync(join(ctx.partitionDir, "leader-epoch-checkpoint"), "utf8"), "0\n1\n0 0\n");
  });
});
