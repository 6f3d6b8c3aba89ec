import assert from "node:assert/strict";
import { closeSync } from "node:fs";
import { test } from "node:test";
import { ErrorCode, KafkaError } from "../../src/protocol/index.js";
import type { LogSegment } from "../../src/storage/log-segment.js";
import { makeBatch, newClock, openManager, tempDir } from "./helpers.js";

// Every append through the writer thread (read when the first LogManager opens).
process.env.BROOK_SEGMENT_WRITER = "always";

/**
 * A write the writer thread fails must never count as written. The log reads the thread's results
 * when it asks whether an append is done; it used to check for a failure before asking, so the
 * very append that failed moved the written end, and with it the high watermark and acks=all
 * (test/interop/disk-full.test.ts acknowledged 32.1 MiB on a 32 MiB disk once).
 */
test("an append whose write fails on the writer thread never moves the written end", async () => {
  const dir = tempDir("brook-writer-failure-");
  const manager = await openManager(dir.path, newClock(), {}, { onBackgroundError: () => {} });
  try {
    const log = manager.getOrCreateLog({ topic: "t", partition: 0 });
    log.appendAsLeader(makeBatch({ values: ["kept"] }), 0);
    await log.whenWritten();
    assert.equal(log.writtenEndOffset, 1n);
    // The thread's next write fails: its file descriptor is gone (EBADF).
    const segment = (log as unknown as { segments: LogSegment[] }).segments.at(-1) as LogSegment;
    closeSync(segment.file.writeFd());
    log.appendAsLeader(makeBatch({ values: ["lost"] }), 0);
    // Let the thread fail the write before anything on this thread collects its result (a
    // blocking wait: no callback of this thread runs meanwhile).
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 300);
    await assert.rejects(
      log.whenWritten(),
      (e: unknown) => e instanceof KafkaError && e.errorCode === ErrorCode.KAFKA_STORAGE_ERROR,
    );
    assert.equal(log.writtenEndOffset, 1n, "the failed append is not written");
    assert.equal(log.highWatermark <= 1n, true);
  } finally {
    try {
      manager.closeUncleanly();
    } catch {
      // The closed descriptor: nothing left to clean but the directory.
    }
    dir.cleanup();
  }
});
