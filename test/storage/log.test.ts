import assert from "node:assert/strict";
import { appendFileSync, closeSync, openSync, readdirSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import {
  batchBaseOffset,
  batchPartitionLeaderEpoch,
  ErrorCode,
  KafkaError,
} from "../../src/protocol/index.js";
import { OffsetOutOfRangeError, TAIL_READER_IDLE_MS } from "../../src/storage/index.js";
import { decodeAll, makeBatch, newClock, openManager, readAll, tempDir } from "./helpers.js";

const tp = { topic: "events", partition: 0 };

test("appends assign consecutive offsets and reads return the batches", async () => {
  const dir = tempDir();
  try {
    const manager = await openManager(dir.path, newClock());
    const log = manager.getOrCreateLog(tp);
    const first = log.appendAsLeader(makeBatch({ values: ["a", "b", "c"] }), 3);
    const second = log.appendAsLeader(makeBatch({ values: ["d"] }), 3);
    assert.equal(first.firstOffset, 0n);
    assert.equal(first.lastOffset, 2n);
    assert.equal(first.recordCount, 3);
    assert.equal(first.logAppendTimeMs, -1n);
    assert.equal(second.firstOffset, 3n);
    assert.equal(log.logEndOffset, 4n);
    const read = log.read({ fetchOffset: 0n, maxBytes: 1 << 20 });
    assert.deepEqual(
      decodeAll(read.records).map((r) => [r.offset, r.value]),
      [
        [0n, "a"],
        [1n, "b"],
        [2n, "c"],
        [3n, "d"],
      ],
    );
    assert.equal(batchPartitionLeaderEpoch(read.records[0] as Buffer, 0), 3);
    // a fetch inside a batch returns that whole batch
    const mid = log.read({ fetchOffset: 1n, maxBytes: 1 << 20 });
    assert.equal(batchBaseOffset(mid.records[0] as Buffer, 0), 0n);
    await manager.shutdown();
  } finally {
    dir.cleanup();
  }
});

test("reads honour maxBytes, the first batch always, and the maxOffset bound", async () => {
  const dir = tempDir();
  try {
    const manager = await openManager(dir.path, newClock());
    const log = manager.getOrCreateLog(tp);
    const batch = makeBatch({ values: ["x".repeat(1000)] });
    const size = batch.length;
    for (let i = 0; i < 10; i++) log.appendAsLeader(makeBatch({ values: [`${i}`.repeat(1000)] }), 0);
    const two = log.read({ fetchOffset: 0n, maxBytes: size * 2 + 10 });
    assert.equal(two.sizeBytes, size * 2);
    assert.equal(two.nextOffset, 2n);
    const tiny = log.read({ fetchOffset: 5n, maxBytes: 1 });
    assert.equal(tiny.sizeBytes, size);
    assert.equal(tiny.firstOffset, 5n);
    const none = log.read({ fetchOffset: 5n, maxBytes: 1, minOneMessage: false });
    assert.equal(none.sizeBytes, 0);
    const bounded = log.read({ fetchOffset: 0n, maxBytes: 1 << 20, maxOffset: 3n });
    assert.equal(bounded.nextOffset, 3n);
    assert.equal(log.read({ fetchOffset: 10n, maxBytes: 100 }).sizeBytes, 0);
    assert.throws(
      () => log.read({ fetchOffset: 11n, maxBytes: 100 }),
      (e: unknown) => {
        assert.ok(e instanceof OffsetOutOfRangeError);
        assert.equal(e.errorCode, ErrorCode.OFFSET_OUT_OF_RANGE);
        assert.equal(e.logEndOffset, 10n);
        return true;
      },
    );
    await manager.shutdown();
  } finally {
    dir.cleanup();
  }
});

test("segments roll by size and reads cross them; a restart after clean shutdown keeps everything", async () => {
  const dir = tempDir();
  try {
    const clock = newClock();
    let manager = await openManager(dir.path, clock, { internalSegmentBytes: 4096, indexIntervalBytes: 100 });
    let log = manager.getOrCreateLog(tp, undefined, "AAAAAAAAAAAAAAAAAAAAAA");
    for (let i = 0; i < 50; i++)
      log.appendAsLeader(makeBatch({ values: [`value-${i}`.padEnd(300, ".")] }), 1);
    assert.ok(log.segmentCount > 3, `expected several segments, got ${log.segmentCount}`);
    const before = decodeAll(readAll(log, 1000));
    assert.equal(before.length, 50);
    await manager.shutdown();
    const files = readdirSync(dir.path);
    assert.ok(files.includes(".kafka_cleanshutdown"));
    assert.ok(files.includes("recovery-point-offset-checkpoint"));
    manager = await openManager(dir.path, clock, { internalSegmentBytes: 4096, indexIntervalBytes: 100 });
    assert.equal(manager.startupStats.recoveredSegments, 0);
    assert.equal(manager.startupStats.cleanShutdownDirs, 1);
    log = manager.getLog(tp)!;
    assert.equal(log.topicId, "AAAAAAAAAAAAAAAAAAAAAA");
    assert.equal(log.logEndOffset, 50n);
    assert.equal(log.recoveryPoint, 50n);
    assert.deepEqual(decodeAll(readAll(log, 700)), before);
    const info = log.appendAsLeader(makeBatch({ values: ["after"] }), 2);
    assert.equal(info.firstOffset, 50n);
    assert.deepEqual(log.endOffsetForEpoch(1), { epoch: 1, endOffset: 50n });
    await manager.shutdown();
  } finally {
    dir.cleanup();
  }
});

test("after a crash recovery re-checks the log and rebuilds indexes", async () => {
  const dir = tempDir();
  try {
    const clock = newClock();
    let manager = await openManager(dir.path, clock, { internalSegmentBytes: 4096, indexIntervalBytes: 100 });
    let log = manager.getOrCreateLog(tp);
    for (let i = 0; i < 40; i++)
      log.appendAsLeader(makeBatch({ values: [`value-${i}`.padEnd(200, ".")] }), 0);
    const before = decodeAll(readAll(log));
    manager.closeUncleanly();
    const partitionDir = join(dir.path, "events-0");
    // recovery must not need the index files, nor trust a torn tail
    for (const name of readdirSync(partitionDir)) {
      if (name.endsWith(".index") || name.endsWith(".timeindex")) rmSync(join(partitionDir, name));
    }
    const logs = readdirSync(partitionDir)
      .filter((n) => n.endsWith(".log"))
      .sort();
    appendFileSync(join(partitionDir, logs[logs.length - 1] as string), Buffer.from("torn write"));
    manager = await openManager(dir.path, clock, { internalSegmentBytes: 4096, indexIntervalBytes: 100 });
    assert.ok(manager.startupStats.recoveredSegments >= 1);
    assert.equal(manager.startupStats.truncatedBytes, 10);
    log = manager.getLog(tp)!;
    assert.equal(log.logEndOffset, 40n);
    assert.deepEqual(decodeAll(readAll(log)), before);
    await manager.shutdown();
  } finally {
    dir.cleanup();
  }
});

test("recovery cuts the log at a batch whose base offset (outside the CRC) goes back", async () => {
  const dir = tempDir();
  try {
    const clock = newClock();
    let manager = await openManager(dir.path, clock);
    let log = manager.getOrCreateLog(tp);
    const sizes: number[] = [];
    for (let i = 0; i < 5; i++) {
      const batch = makeBatch({ values: [`a-${i}`, `b-${i}`] });
      sizes.push(batch.length);
      log.appendAsLeader(batch, 0);
    }
    manager.closeUncleanly();
    // The fourth batch (offsets 6-7) now claims base offset 1: it passes its CRC, not the order.
    const path = join(dir.path, "events-0", "00000000000000000000.log");
    const fd = openSync(path, "r+");
    writeSync(fd, Buffer.from([0, 0, 0, 0, 0, 0, 0, 1]), 0, 8, (sizes[0] ?? 0) * 3);
    closeSync(fd);
    manager = await openManager(dir.path, clock);
    log = manager.getLog(tp)!;
    assert.equal(log.logEndOffset, 6n);
    assert.equal(manager.startupStats.truncatedBytes, (sizes[0] ?? 0) * 2);
    assert.deepEqual(
      decodeAll(readAll(log)).map((r) => r.offset),
      [0n, 1n, 2n, 3n, 4n, 5n],
    );
    await manager.shutdown();
  } finally {
    dir.cleanup();
  }
});

test("invalid batches are refused with Kafka's error codes and leave the log unchanged", async () => {
  const dir = tempDir();
  try {
    const manager = await openManager(dir.path, newClock(), { maxMessageBytes: 2000 });
    const log = manager.getOrCreateLog(tp);
    log.appendAsLeader(makeBatch({ values: ["ok"] }), 0);
    const code = (fn: () => unknown) => {
      try {
        fn();
      } catch (e) {
        assert.ok(e instanceof KafkaError, String(e));
        return e.errorCode;
      }
      return ErrorCode.NONE;
    };
    const flipped = makeBatch({ values: ["abc"] });
    flipped.writeUInt8((flipped.at(-1) as number) ^ 0xff, flipped.length - 1);
    assert.equal(
      code(() => log.appendAsLeader(flipped, 0)),
      ErrorCode.CORRUPT_MESSAGE,
    );
    const truncated = makeBatch({ values: ["abc"] }).subarray(0, 70);
    assert.equal(
      code(() => log.appendAsLeader(truncated, 0)),
      ErrorCode.CORRUPT_MESSAGE,
    );
    assert.equal(
      code(() => log.appendAsLeader(makeBatch({ values: ["x".repeat(3000)] }), 0)),
      ErrorCode.MESSAGE_TOO_LARGE,
    );
    const twoBatches = Buffer.concat([makeBatch(), makeBatch()]);
    assert.equal(
      code(() => log.appendAsLeader(twoBatches, 0)),
      ErrorCode.INVALID_RECORD,
    );
    const magic1 = makeBatch();
    magic1[16] = 1;
    assert.equal(
      code(() => log.appendAsLeader(magic1, 0)),
      ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT,
    );
    assert.equal(log.logEndOffset, 1n);
    assert.equal(decodeAll(readAll(log)).length, 1);
    await manager.shutdown();
  } finally {
    dir.cleanup();
  }
});

test("appends are copied into the tail cache only while a reader is at the tail", async () => {
  const dir = tempDir();
  const clock = newClock();
  try {
    const manager = await openManager(dir.path, clock);
    const arena = manager.env.tailArena;
    const log = manager.getOrCreateLog(tp);
    log.appendAsLeader(makeBatch({ values: ["a"] }), 0);
    assert.equal(arena.storedBytesTotal, 0, "no reader yet: nothing copied");
    // A consumer catches up (its read reaches the log end) and then polls at the end.
    assert.equal(decodeAll(log.read({ fetchOffset: 0n, maxBytes: 1 << 20 }).records).length, 1);
    log.appendAsLeader(makeBatch({ values: ["b"] }), 0);
    const stored = arena.storedBytesTotal;
    assert.ok(stored > 0, "the append after a catching-up read is cached");
    assert.deepEqual(
      decodeAll(log.read({ fetchOffset: 1n, maxBytes: 1 << 20 }).records).map((r) => r.value),
      ["b"],
    );
    clock.advance(TAIL_READER_IDLE_MS + 1);
    log.appendAsLeader(makeBatch({ values: ["c"] }), 0);
    // The reader went quiet: the cache was emptied (no gap), and reads come from the segment.
    assert.equal(arena.storedBytesTotal, stored);
    assert.deepEqual(
      decodeAll(readAll(log)).map((r) => [r.offset, r.value]),
      [
        [0n, "a"],
        [1n, "b"],
        [2n, "c"],
      ],
    );
    await manager.shutdown();
  } finally {
    dir.cleanup();
  }
});
