import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import {
  batchBaseOffset,
  batchHasLogAppendTime,
  batchMaxTimestamp,
  batchPartitionLeaderEpoch,
  ErrorCode,
  encodeRecordBatch,
  KafkaError,
} from "../../src/protocol/index.js";
import type { Log, LogConfig } from "../../src/storage/index.js";
import { CLOCK_START_MS, decodeAll, makeBatch, newClock, openManager, readAll, tempDir } from "./helpers.js";

const tp = { topic: "features", partition: 1 };

async function withLog(
  config: Partial<LogConfig>,
  body: (ctx: Awaited<ReturnType<typeof setup>>) => Promise<void>,
): Promise<void> {
  const ctx = await setup(config);
  try {
    await body(ctx);
  } finally {
    await ctx.manager.shutdown().catch(() => {});
    ctx.dir.cleanup();
  }
}

async function setup(config: Partial<LogConfig>) {
  const dir = tempDir();
  const clock = newClock();
  const manager = await openManager(dir.path, clock, config);
  return { dir, clock, manager, log: manager.getOrCreateLog(tp), config };
}

const errorCode = (fn: () => unknown): number => {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof KafkaError, String(e));
    return e.errorCode;
  }
  return ErrorCode.NONE;
};

test("LogAppendTime topics stamp the broker time on the batch, CRC included", async () => {
  await withLog({ messageTimestampType: "LogAppendTime" }, async ({ log, clock }) => {
    const info = log.appendAsLeader(makeBatch({ values: ["a", "b"], timestamp: 5n }), 0);
    assert.equal(info.logAppendTimeMs, BigInt(clock.nowMs()));
    const batch = log.read({ fetchOffset: 0n, maxBytes: 1000 }).records[0] as Buffer;
    assert.ok(batchHasLogAppendTime(batch, 0));
    assert.equal(batchMaxTimestamp(batch, 0), BigInt(clock.nowMs()));
    assert.deepEqual(
      decodeAll([batch]).map((r) => r.timestamp),
      [BigInt(clock.nowMs()), BigInt(clock.nowMs())],
    );
  });
});

test("timestamps outside message.timestamp.{before,after}.max.ms are refused with INVALID_TIMESTAMP", async () => {
  await withLog(
    { messageTimestampAfterMaxMs: 1000, messageTimestampBeforeMaxMs: 60_000 },
    async ({ log }) => {
      const now = BigInt(CLOCK_START_MS);
      assert.equal(
        errorCode(() => log.appendAsLeader(makeBatch({ timestamp: now + 5000n }), 0)),
        ErrorCode.INVALID_TIMESTAMP,
      );
      // the old record is not the first one: only a per-record check finds it
      const mixed = makeBatch({ values: ["new", "old"], timestamps: [now, now - 120_000n] });
      assert.equal(
        errorCode(() => log.appendAsLeader(mixed, 0)),
        ErrorCode.INVALID_TIMESTAMP,
      );
      assert.equal(
        errorCode(() => log.appendAsLeader(makeBatch({ timestamp: now - 1000n }), 0)),
        ErrorCode.NONE,
      );
      assert.equal(log.logEndOffset, 1n);
    },
  );
});

test("a produced batch must carry base offset 0 and consistent counts", async () => {
  await withLog({}, async ({ log }) => {
    const moved = makeBatch();
    moved.writeInt32BE(7, 4);
    assert.equal(
      errorCode(() => log.appendAsLeader(moved, 0)),
      ErrorCode.INVALID_RECORD,
    );
    const control = encodeRecordBatch({ records: [{ key: null, value: null }], isControl: true });
    assert.equal(
      errorCode(() => log.appendAsLeader(control, 0)),
      ErrorCode.INVALID_RECORD,
    );
    // a coordinator may append control batches, and several batches at once
    const info = log.appendAsLeader(Buffer.concat([makeBatch(), control]), 0, { origin: "coordinator" });
    assert.deepEqual([info.firstOffset, info.lastOffset, info.batchCount], [0n, 1n, 2]);
  });
});

test("ListOffsets by timestamp finds the first record at or after it, decoding that batch", async () => {
  await withLog({ internalSegmentBytes: 600, indexIntervalBytes: 50 }, async ({ log }) => {
    for (let i = 0; i < 20; i++) {
      const t = 1000n + BigInt(i) * 100n;
      log.appendAsLeader(
        makeBatch({ values: ["a", "b", "c"], timestamps: [t, t + 10n, t + 20n] }),
        i < 10 ? 1 : 2,
      );
    }
    assert.ok(log.segmentCount > 2);
    assert.deepEqual(log.fetchOffsetByTimestamp(1515n), { timestamp: 1520n, offset: 17n, leaderEpoch: 1 });
    assert.deepEqual(log.fetchOffsetByTimestamp(0n), { timestamp: 1000n, offset: 0n, leaderEpoch: 1 });
    assert.equal(log.fetchOffsetByTimestamp(99_999n), null);
    assert.deepEqual(log.fetchOffsetByTimestamp(-1n), { timestamp: -1n, offset: 60n, leaderEpoch: 2 });
    assert.deepEqual(log.fetchOffsetByTimestamp(-2n), { timestamp: -1n, offset: 0n, leaderEpoch: 1 });
    assert.deepEqual(log.fetchOffsetByTimestamp(-3n), { timestamp: 2920n, offset: 59n, leaderEpoch: 2 });
  });
});

test("flush.messages fsyncs and advances the recovery point; flush.ms does it from tick", async () => {
  await withLog({ flushMessages: 3 }, async ({ log }) => {
    log.appendAsLeader(makeBatch(), 0);
    log.appendAsLeader(makeBatch(), 0);
    assert.equal(log.recoveryPoint, 0n);
    log.appendAsLeader(makeBatch(), 0);
    assert.equal(log.recoveryPoint, 3n);
  });
  await withLog({ flushMs: 1000 }, async ({ log, manager, clock }) => {
    log.appendAsLeader(makeBatch(), 0);
    await manager.tick();
    assert.equal(log.recoveryPoint, 0n);
    clock.advance(1000);
    await manager.tick();
    assert.equal(log.recoveryPoint, 1n);
  });
});

test("DeleteRecords moves the log start offset durably and removes the segments below it", async () => {
  const dir = tempDir();
  try {
    const clock = newClock();
    const config = { internalSegmentBytes: 300, fileDeleteDelayMs: 0 };
    let manager = await openManager(dir.path, clock, config);
    let log = manager.getOrCreateLog(tp);
    for (let i = 0; i < 12; i++) log.appendAsLeader(makeBatch({ values: [`v${i}`.padEnd(80, ".")] }), 0);
    assert.equal(
      errorCode(() => log.deleteRecordsBefore(5n)),
      ErrorCode.OFFSET_OUT_OF_RANGE,
      "above the high watermark",
    );
    log.updateHighWatermark(12n);
    const segmentsBefore = log.segmentCount;
    assert.equal(log.deleteRecordsBefore(5n), 5n);
    assert.ok(log.segmentCount < segmentsBefore);
    assert.equal(
      errorCode(() => log.read({ fetchOffset: 4n, maxBytes: 100 })),
      ErrorCode.OFFSET_OUT_OF_RANGE,
    );
    assert.equal(decodeAll(log.read({ fetchOffset: 5n, maxBytes: 100_000 }).records)[0]?.offset, 5n);
    manager.closeUncleanly(); // no checkpoint written at shutdown: the one DeleteRecords wrote must do
    manager = await openManager(dir.path, clock, config);
    log = manager.getLog(tp) as Log;
    assert.equal(log.logStartOffset, 5n);
    assert.equal(log.logEndOffset, 12n);
    await manager.shutdown();
  } finally {
    dir.cleanup();
  }
});

test("truncation removes whole batches, rewinds leader epochs and survives a restart", async () => {
  const dir = tempDir();
  try {
    const clock = newClock();
    let manager = await openManager(dir.path, clock, { internalSegmentBytes: 400 });
    let log = manager.getOrCreateLog(tp);
    for (let i = 0; i < 10; i++)
      log.appendAsLeader(makeBatch({ values: ["x".repeat(50), "y"] }), i < 5 ? 4 : 6);
    assert.deepEqual(log.endOffsetForEpoch(4), { epoch: 4, endOffset: 10n });
    assert.equal(log.truncateTo(13n), true, "inside the batch at 12..13");
    assert.equal(log.logEndOffset, 13n);
    assert.deepEqual(
      decodeAll(readAll(log))
        .map((r) => r.offset)
        .at(-1),
      11n,
    );
    assert.equal(log.truncateTo(8n), true);
    assert.equal(log.latestEpoch, 4);
    assert.deepEqual(log.endOffsetForEpoch(4), { epoch: 4, endOffset: 8n });
    const info = log.appendAsLeader(makeBatch({ values: ["after"] }), 7);
    assert.equal(info.firstOffset, 8n);
    await manager.shutdown();
    manager = await openManager(dir.path, clock, { internalSegmentBytes: 400 });
    log = manager.getLog(tp) as Log;
    assert.equal(log.logEndOffset, 9n);
    assert.deepEqual(log.endOffsetForEpoch(4), { epoch: 4, endOffset: 8n });
    assert.equal(decodeAll(readAll(log)).at(-1)?.value, "after");
    log.truncateFullyAndStartAt(100n);
    assert.deepEqual([log.logStartOffset, log.logEndOffset], [100n, 100n]);
    assert.equal(log.appendAsLeader(makeBatch(), 8).firstOffset, 100n);
    await manager.shutdown();
  } finally {
    dir.cleanup();
  }
});

test("truncation at the log end drops an epoch that starts there (a leader that never wrote)", async () => {
  // Found by the replication simulation (seed 3): a replica became leader of epoch 6 (its start
  // recorded at the log end), lost the leadership before writing, and followed the new leader,
  // whose log ends epoch 6 elsewhere. The divergence answer told it to truncate to its own log
  // end; the epoch entry stayed, so every later fetch diverged again and it never caught up.
  await withLog({}, async ({ log }) => {
    for (let i = 0; i < 3; i++) log.appendAsLeader(makeBatch({ values: ["a", "b"] }), 4);
    log.assignEpochStartOffset(6, log.logEndOffset);
    assert.equal(log.latestEpoch, 6);
    assert.equal(log.truncateTo(6n), false, "no batch goes");
    assert.equal(log.latestEpoch, 4, "the epoch that starts at the log end goes");
    assert.deepEqual(log.endOffsetForEpoch(4), { epoch: 4, endOffset: 6n });
    assert.equal(log.truncateTo(9n), false);
    assert.equal(log.latestEpoch, 4, "epochs that start below the log end stay");
  });
});

test("follower appends keep the leader's offsets and epochs, check CRCs and refuse going back", async () => {
  await withLog({}, async ({ log }) => {
    const leaderBatch = (base: bigint, epoch: number, values: string[]) => {
      const b = encodeRecordBatch({
        records: values.map((v) => ({ key: null, value: Buffer.from(v) })),
        baseOffset: base,
        partitionLeaderEpoch: epoch,
      });
      return b;
    };
    const info = log.appendAsFollower(
      Buffer.concat([leaderBatch(0n, 2, ["a", "b"]), leaderBatch(5n, 3, ["c"])]),
    );
    assert.deepEqual([info.firstOffset, info.lastOffset], [0n, 5n]);
    assert.equal(log.logEndOffset, 6n);
    assert.deepEqual(log.endOffsetForEpoch(2), { epoch: 2, endOffset: 5n });
    assert.equal(
      errorCode(() => log.appendAsFollower(leaderBatch(3n, 3, ["old"]))),
      ErrorCode.CORRUPT_MESSAGE,
    );
    const bad = leaderBatch(6n, 3, ["z"]);
    bad.writeUInt8(bad.readUInt8(bad.length - 1) ^ 1, bad.length - 1);
    assert.equal(
      errorCode(() => log.appendAsFollower(bad)),
      ErrorCode.CORRUPT_MESSAGE,
    );
    const read = log.read({ fetchOffset: 5n, maxBytes: 1000 }).records[0] as Buffer;
    assert.equal(batchBaseOffset(read, 0), 5n);
    assert.equal(batchPartitionLeaderEpoch(read, 0), 3);
  });
});

test("append listeners are told the new log end offset once the appends are in the file", async () => {
  await withLog({}, async ({ log }) => {
    const seen: bigint[] = [];
    const stop = log.onAppend((leo) => seen.push(leo));
    log.appendAsLeader(makeBatch({ values: ["a", "b"] }), 0);
    await log.whenWritten();
    assert.deepEqual(seen, [2n]);
    assert.equal(log.writtenEndOffset, 2n);
    stop();
    log.appendAsLeader(makeBatch(), 0);
    await log.whenWritten();
    assert.deepEqual(seen, [2n]);
    assert.equal(log.writtenEndOffset, 3n);
  });
});

test("segments roll by segment.ms and by a full index; retention by time runs from tick", async () => {
  await withLog(
    { segmentMs: 10_000, retentionMs: 60_000, fileDeleteDelayMs: 1000 },
    async ({ log, clock, manager, dir }) => {
      log.appendAsLeader(makeBatch({ timestamp: BigInt(clock.nowMs()) }), 0);
      clock.advance(10_001);
      log.appendAsLeader(makeBatch({ timestamp: BigInt(clock.nowMs()) }), 0);
      assert.equal(log.segmentCount, 2);
      log.updateHighWatermark(log.logEndOffset);
      clock.advance(70_000);
      await manager.tick(clock.nowMs() + 300_000);
      assert.equal(log.logStartOffset, 2n, "both segments expired; the log rolled an empty one");
      const partitionDir = join(dir.path, "features-1");
      assert.ok(readdirSync(partitionDir).some((n) => n.endsWith(".deleted")));
      clock.advance(2000);
      await manager.tick(clock.nowMs());
      assert.ok(!readdirSync(partitionDir).some((n) => n.endsWith(".deleted")));
    },
  );
  await withLog({ segmentIndexBytes: 8 * 3, indexIntervalBytes: 0 }, async ({ log }) => {
    for (let i = 0; i < 10; i++) log.appendAsLeader(makeBatch(), 0);
    assert.ok(log.segmentCount >= 3, `a full index rolls the segment (${log.segmentCount} segments)`);
  });
});

test("deleteLog renames the directory at once and removes it after file.delete.delay.ms", async () => {
  await withLog({ fileDeleteDelayMs: 500 }, async ({ log, manager, dir, clock }) => {
    log.appendAsLeader(makeBatch(), 0);
    assert.equal(manager.deleteLog(tp), true);
    const names = readdirSync(dir.path);
    assert.ok(!names.includes("features-1"));
    assert.ok(names.some((n) => /^features-1\.[0-9a-f]{32}-delete$/.test(n)));
    assert.equal(manager.getLog(tp), undefined);
    clock.advance(500);
    await manager.tick();
    assert.ok(!readdirSync(dir.path).some((n) => n.endsWith("-delete")));
    assert.equal(manager.getOrCreateLog(tp).logEndOffset, 0n);
  });
});

test("the high watermark and cleaner checkpoints survive a clean restart; leftovers are removed at load", async () => {
  const dir = tempDir();
  try {
    const clock = newClock();
    let manager = await openManager(dir.path, clock, {});
    let log = manager.getOrCreateLog(tp);
    for (let i = 0; i < 5; i++) log.appendAsLeader(makeBatch(), 0);
    log.updateHighWatermark(3n);
    await manager.shutdown();
    assert.equal(
      readFileSync(join(dir.path, "replication-offset-checkpoint"), "utf8"),
      "0\n1\nfeatures 1 3\n",
    );
    const partitionDir = join(dir.path, "features-1");
    for (const leftover of [
      "00000000000000000009.log.deleted",
      "00000000000000000002.log.cleaned",
      "leader-epoch-checkpoint.tmp",
    ]) {
      writeFileSync(join(partitionDir, leftover), "junk");
    }
    writeFileSync(join(partitionDir, "00000000000000000000.index"), "garbage!!"); // fails the sanity check
    manager = await openManager(dir.path, clock, {});
    log = manager.getLog(tp) as Log;
    assert.equal(log.highWatermark, 3n);
    assert.equal(
      readdirSync(partitionDir).filter(
        (n) => n.includes("junk") || n.endsWith(".deleted") || n.endsWith(".cleaned") || n.endsWith(".tmp"),
      ).length,
      0,
    );
    assert.equal(decodeAll(readAll(log)).length, 5, "a bad index is rebuilt from the log");
    assert.ok(!existsSync(join(dir.path, ".kafka_cleanshutdown")), "the marker goes once loaded");
    await manager.shutdown();
  } finally {
    dir.cleanup();
  }
});

test("the log manager compacts due logs from tick and writes the cleaner checkpoint", async () => {
  await withLog({ cleanupPolicy: ["compact"], internalSegmentBytes: 500 }, async ({ log, manager, dir }) => {
    for (let i = 0; i < 40; i++)
      log.appendAsLeader(makeBatch({ keys: [`k${i % 3}`], values: [`${i}`.padEnd(40)] }), 0);
    log.updateHighWatermark(log.logEndOffset);
    await manager.tick();
    assert.ok(log.cleanerCheckpoint !== null && log.cleanerCheckpoint > 0n);
    const content = readFileSync(join(dir.path, "cleaner-offset-checkpoint"), "utf8");
    assert.match(content, /^0\n1\nfeatures 1 \d+\n$/);
    const keysBelow = decodeAll(readAll(log)).filter((r) => r.offset < (log.cleanerCheckpoint as bigint));
    assert.equal(
      new Set(keysBelow.map((r) => r.key)).size,
      keysBelow.length,
      "one record per key below the checkpoint",
    );
  });
});

test("preallocated segments are trimmed and recover after a crash", async () => {
  const dir = tempDir();
  try {
    const clock = newClock();
    let manager = await openManager(dir.path, clock, { preallocate: true, internalSegmentBytes: 64 * 1024 });
    let log = manager.getOrCreateLog(tp);
    log.roll();
    for (let i = 0; i < 5; i++) log.appendAsLeader(makeBatch({ values: ["p"] }), 0);
    log.roll();
    log.appendAsLeader(makeBatch({ values: ["q"] }), 0);
    manager.closeUncleanly();
    manager = await openManager(dir.path, clock, { preallocate: true, internalSegmentBytes: 64 * 1024 });
    log = manager.getLog(tp) as Log;
    assert.equal(log.logEndOffset, 6n);
    assert.deepEqual(
      decodeAll(readAll(log)).map((r) => r.value),
      ["p", "p", "p", "p", "p", "q"],
    );
    await manager.shutdown();
  } finally {
    dir.cleanup();
  }
});

test("the clean-shutdown marker carries the broker epoch to the next start (KIP-966's PreviousBrokerEpoch); a crash or a marker from an unregistered broker gives none", async () => {
  const dir = tempDir();
  try {
    const clock = newClock();
    let manager = await openManager(dir.path, clock, {});
    assert.equal(manager.previousBrokerEpoch, -1n, "a new dir: no previous epoch");
    manager.getOrCreateLog(tp).appendAsLeader(makeBatch(), 0);
    await manager.shutdown(42n);
    assert.deepEqual(JSON.parse(readFileSync(join(dir.path, ".kafka_cleanshutdown"), "utf8")), {
      version: 0,
      brokerEpoch: 42,
    });
    manager = await openManager(dir.path, clock, {});
    assert.equal(manager.previousBrokerEpoch, 42n);
    // This run ends in a crash: no shutdown, and the marker went at load.
    manager = await openManager(dir.path, clock, {});
    assert.equal(manager.previousBrokerEpoch, -1n, "after a crash");
    await manager.shutdown();
    manager = await openManager(dir.path, clock, {});
    assert.equal(manager.previousBrokerEpoch, -1n, "a broker that never registered names none");
    await manager.shutdown(7n);
  } finally {
    dir.cleanup();
  }
});
