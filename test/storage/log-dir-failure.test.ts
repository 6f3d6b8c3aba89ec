import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { ErrorCode, KafkaError } from "../../src/protocol/index.js";
import {
  CLEAN_SHUTDOWN_FILE,
  type LogDirFailure,
  LogManager,
  logConfig,
  RECOVERY_POINT_CHECKPOINT_FILE,
  StorageFaults,
} from "../../src/storage/index.js";
import { decodeAll, makeBatch, newClock, readAll, tempDir } from "./helpers.js";

/**
 * A failing disk under one log dir (EIO, ENOSPC, injected through StorageFaults or reported by the
 * writer thread) takes that dir offline, as Kafka's LogDirFailureChannel does: its logs answer
 * KAFKA_STORAGE_ERROR, nothing more is written there or acknowledged, its checkpoints stop, new
 * logs go elsewhere; the other dirs are served as before, and the next start recovers it.
 */

const isStorageError = (e: unknown) =>
  e instanceof KafkaError && e.errorCode === ErrorCode.KAFKA_STORAGE_ERROR;

async function twoDirs(faults: StorageFaults, errors: string[] = []) {
  const root = tempDir("brook-dir-failure-");
  const dirs = [join(root.path, "a"), join(root.path, "b")];
  for (const d of dirs) mkdirSync(d);
  const open = (f: StorageFaults) =>
    LogManager.open({
      logDirs: dirs,
      defaults: logConfig({ messageTimestampAfterMaxMs: 2 ** 63 }),
      clock: newClock(),
      faults: f,
      onBackgroundError: (_e, context) => errors.push(context),
    });
  return { root, dirs, manager: await open(faults), open };
}

/** Creates logs until one lands in each dir; returns [log in a, log in b, another log in a]. */
function logsInBothDirs(manager: LogManager, dirs: string[]) {
  const byDir = new Map<string, ReturnType<LogManager["getOrCreateLog"]>[]>();
  for (let p = 0; p < 4; p++) {
    const log = manager.getOrCreateLog({ topic: "t", partition: p });
    const dir = manager.logDirOf(log.tp) as string;
    byDir.set(dir, [...(byDir.get(dir) ?? []), log]);
  }
  const a = byDir.get(dirs[0] as string) ?? [];
  const b = byDir.get(dirs[1] as string) ?? [];
  assert.equal(a.length, 2);
  assert.equal(b.length, 2);
  return { inA: a[0] as (typeof a)[0], otherInA: a[1] as (typeof a)[0], inB: b[0] as (typeof b)[0] };
}

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

test("EIO on one log dir takes that dir offline; the other dir keeps serving; restart recovers it", async () => {
  const faults = new StorageFaults();
  const errors: string[] = [];
  const { root, dirs, manager, open } = await twoDirs(faults, errors);
  const failures: LogDirFailure[] = [];
  manager.onLogDirFailure((f) => failures.push(f));
  try {
    const { inA, otherInA, inB } = logsInBothDirs(manager, dirs);
    inA.appendAsLeader(makeBatch({ values: ["a-kept"] }), 0);
    await inA.whenWritten();
    inA.flush();
    manager.checkpointRecoveryPoints();
    const checkpointA = join(dirs[0] as string, RECOVERY_POINT_CHECKPOINT_FILE);
    const checkpointBefore = readFileSync(checkpointA, "utf8");

    faults.fail(dirs[0] as string, "EIO");
    assert.throws(() => inA.appendAsLeader(makeBatch({ values: ["a-refused"] }), 0), isStorageError);
    assert.ok(faults.injectedCount > 0, "the fault was met");
    // The whole dir is offline at once, the log that did not fail included.
    assert.equal(manager.isLogDirOnline(dirs[0] as string), false);
    assert.equal(otherInA.isOffline, true);
    assert.throws(() => otherInA.appendAsLeader(makeBatch({ values: ["x"] }), 0), isStorageError);
    assert.throws(() => otherInA.read({ fetchOffset: 0n, maxBytes: 1024 }), isStorageError);
    assert.deepEqual(
      manager.offlineLogDirs().map((d) => d.dir),
      [dirs[0]],
    );
    await nextTurn();
    assert.equal(failures.length, 1, "listeners hear of it once");
    assert.equal(failures[0]?.dir, dirs[0]);
    assert.equal(failures[0]?.onlineDirs, 1);
    assert.deepEqual(
      failures[0]?.partitions.map((tp) => tp.partition).sort(),
      [inA.tp.partition, otherInA.tp.partition].sort(),
    );
    assert.ok(
      errors.some((c) => c.includes(inA.name)),
      `the failing operation is reported: ${errors.join("; ")}`,
    );

    // The other dir: appends, reads, checkpoints and new logs as before.
    inB.appendAsLeader(makeBatch({ values: ["b-1"] }), 0);
    await inB.whenWritten();
    assert.deepEqual(
      decodeAll(readAll(inB)).map((r) => r.value),
      ["b-1"],
    );
    const created = manager.getOrCreateLog({ topic: "new", partition: 0 });
    assert.equal(manager.logDirOf(created.tp), dirs[1], "new logs go to online dirs only");
    await manager.tick(Number.MAX_SAFE_INTEGER);
    assert.equal(
      readFileSync(checkpointA, "utf8"),
      checkpointBefore,
      "the offline dir's checkpoints stay as they were",
    );
    faults.heal(dirs[0] as string);
    await manager.tick(Number.MAX_SAFE_INTEGER);
    assert.equal(
      readFileSync(checkpointA, "utf8"),
      checkpointBefore,
      "offline until restart, even once healed",
    );
    assert.equal(manager.isLogDirOnline(dirs[0] as string), false);

    await manager.shutdown();
    assert.equal(
      existsSync(join(dirs[0] as string, CLEAN_SHUTDOWN_FILE)),
      false,
      "no clean marker in the failed dir",
    );
    assert.equal(existsSync(join(dirs[1] as string, CLEAN_SHUTDOWN_FILE)), true);

    // Next start: the dir is back, its log recovered with what was written before the failure.
    const reopened = await open(new StorageFaults());
    try {
      assert.deepEqual(reopened.offlineLogDirs(), []);
      const again = reopened.getLog(inA.tp);
      assert.ok(again !== undefined);
      assert.deepEqual(
        decodeAll(readAll(again)).map((r) => r.value),
        ["a-kept"],
      );
      again.appendAsLeader(makeBatch({ values: ["a-after"] }), 0);
      await again.whenWritten();
      assert.equal(again.logEndOffset, 2n);
    } finally {
      await reopened.shutdown();
    }
  } finally {
    await manager.shutdown();
    root.cleanup();
  }
});

test("a write the writer thread fails (ENOSPC) takes the dir offline and is never acknowledged", async () => {
  const faults = new StorageFaults();
  const { root, dirs, manager } = await twoDirs(faults);
  try {
    const { inA, otherInA, inB } = logsInBothDirs(manager, dirs);
    inA.appendAsLeader(makeBatch({ values: ["kept"] }), 0);
    await inA.whenWritten();
    // What the writer thread reports when the file system is full.
    inA.storageEnv.writes.failWith(-28);
    await assert.rejects(
      (async () => {
        inA.appendAsLeader(makeBatch({ values: ["lost"] }), 0);
        await inA.whenWritten();
      })(),
      isStorageError,
    );
    assert.equal(inA.writtenEndOffset, 1n, "nothing more counts as written");
    assert.equal(manager.isLogDirOnline(dirs[0] as string), false);
    assert.equal(otherInA.isOffline, true);
    assert.match(String(manager.offlineLogDirs()[0]?.cause), /ENOSPC/);
    inB.appendAsLeader(makeBatch({ values: ["b"] }), 0);
    await inB.whenWritten();
    assert.equal(inB.writtenEndOffset, 1n, "the other dir's channel is its own");
  } finally {
    await manager.shutdown();
    root.cleanup();
  }
});

test("a failed read, fsync or checkpoint takes the dir offline too", async () => {
  for (const fault of ["read", "flush", "checkpoint"] as const) {
    const faults = new StorageFaults();
    const { root, dirs, manager } = await twoDirs(faults);
    try {
      const { inA, inB } = logsInBothDirs(manager, dirs);
      inA.appendAsLeader(makeBatch({ values: ["x".repeat(100)] }), 0);
      await inA.whenWritten();
      faults.fail(dirs[0] as string, "EIO");
      if (fault === "read") {
        assert.throws(() => inA.read({ fetchOffset: 0n, maxBytes: 1024 }), isStorageError);
      } else if (fault === "flush") {
        await assert.rejects(inA.flushAsync(), isStorageError);
      } else {
        await manager.tick(Number.MAX_SAFE_INTEGER); // checkpoints are due: the dir's write fails
      }
      assert.equal(manager.isLogDirOnline(dirs[0] as string), false, `${fault}: dir offline`);
      assert.equal(inA.isOffline, true, `${fault}: its logs offline`);
      assert.equal(inB.isOffline, false, `${fault}: the other dir served`);
    } finally {
      await manager.shutdown();
      root.cleanup();
    }
  }
});

test("with its only log dir offline the manager refuses writes and new logs, and keeps going", async () => {
  const faults = new StorageFaults();
  const dir = tempDir("brook-dir-failure-one-");
  const manager = await LogManager.open({
    logDirs: [dir.path],
    defaults: logConfig({ messageTimestampAfterMaxMs: 2 ** 63 }),
    clock: newClock(),
    faults,
    onBackgroundError: () => {},
  });
  try {
    const log = manager.getOrCreateLog({ topic: "only", partition: 0 });
    log.appendAsLeader(makeBatch({ values: ["kept"] }), 0);
    await log.whenWritten();
    const sizeBefore = statSync(join(log.dir, "00000000000000000000.log")).size;
    faults.fail(dir.path, "ENOSPC");
    assert.throws(() => log.appendAsLeader(makeBatch({ values: ["refused"] }), 0), isStorageError);
    faults.heal(dir.path);
    assert.throws(() => log.appendAsLeader(makeBatch({ values: ["still refused"] }), 0), isStorageError);
    assert.throws(() => manager.getOrCreateLog({ topic: "only", partition: 1 }), isStorageError);
    await manager.tick(Number.MAX_SAFE_INTEGER);
    await nextTurn();
    assert.equal(statSync(join(log.dir, "00000000000000000000.log")).size, sizeBefore, "nothing was written");
  } finally {
    await manager.shutdown();
    dir.cleanup();
  }
});
