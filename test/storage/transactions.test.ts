import assert from "node:assert/strict";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import type { ManualClock } from "../../src/base/index.js";
import { SeededRandom } from "../../src/base/index.js";
import {
  ControlRecordType,
  ErrorCode,
  encodeEndTxnMarkerBatch,
  encodeRecordBatch,
  KafkaError,
} from "../../src/protocol/index.js";
import { type Log, type LogManager, ProducerStateManager } from "../../src/storage/index.js";
import { newClock, openManager, tempDir } from "./helpers.js";

const tp = { topic: "orders", partition: 0 };

interface Fixture {
  manager: LogManager;
  log: Log;
  producers: ProducerStateManager;
}

async function open(dir: string, clock: ManualClock, segmentBytes = 1 << 20): Promise<Fixture> {
  const manager = await openManager(dir, clock, { internalSegmentBytes: segmentBytes });
  const log = manager.getOrCreateLog(tp);
  const producers = ProducerStateManager.attach(log, { producerIdExpirationMs: 86_400_000, clock });
  return { manager, log, producers };
}

/** Appends a batch of `count` records; transactional when `txn`; returns its first offset. */
function data(f: Fixture, producerId: bigint, epoch: number, seq: number, txn: boolean, count = 1): bigint {
  const batch = encodeRecordBatch({
    producerId,
    producerEpoch: epoch,
    baseSequence: producerId < 0n ? -1 : seq,
    isTransactional: txn,
    records: Array.from({ length: count }, (_, i) => ({
      key: null,
      value: Buffer.from(`v${seq + i}`),
      timestamp: 1n,
    })),
  });
  const info = f.log.appendAsLeader(batch, 0);
  f.log.updateHighWatermark(f.log.logEndOffset);
  return info.firstOffset;
}

function marker(
  f: Fixture,
  producerId: bigint,
  epoch: number,
  commit: boolean,
  coordinatorEpoch = 0,
): bigint {
  const batch = encodeEndTxnMarkerBatch({
    type: commit ? ControlRecordType.COMMIT : ControlRecordType.ABORT,
    coordinatorEpoch,
    producerId,
    producerEpoch: epoch,
    timestamp: 1n,
  });
  const info = f.log.appendAsLeader(batch, 0, { origin: "coordinator" });
  return info.firstOffset;
}

const aborted = (f: Fixture, from = 0n, to = f.log.logEndOffset) =>
  f.log.abortedTransactions(from, to).map((t) => [t.producerId, t.firstOffset, t.lastOffset]);

test("the LSO stops at the first open transaction and moves once its marker is replicated", async () => {
  const dir = tempDir();
  try {
    const f = await open(dir.path, newClock());
    data(f, -1n, -1, 0, false); // 0
    data(f, 1n, 0, 0, true, 2); // 1-2, producer 1 opens
    data(f, 2n, 0, 0, true); // 3, producer 2 opens
    assert.equal(f.log.lastStableOffset, 1n);
    const commitAt = marker(f, 1n, 0, true); // 4
    assert.equal(f.log.lastStableOffset, 1n, "the marker is above the high watermark");
    f.log.updateHighWatermark(f.log.logEndOffset);
    assert.equal(f.log.lastStableOffset, 3n, "producer 2 is still open");
    assert.equal(commitAt, 4n);
    marker(f, 2n, 0, false); // 5
    f.log.updateHighWatermark(f.log.logEndOffset);
    assert.equal(f.log.lastStableOffset, f.log.highWatermark);
    assert.deepEqual(aborted(f), [[2n, 3n, 5n]]);
    assert.deepEqual(aborted(f, 6n), [], "a read after the marker needs nothing");
    assert.deepEqual(aborted(f, 0n, 3n), [], "a read that ends before the transaction began");
    await f.manager.shutdown();
  } finally {
    dir.cleanup();
  }
});

test("markers with an older producer or coordinator epoch are refused", async () => {
  const dir = tempDir();
  try {
    const f = await open(dir.path, newClock());
    data(f, 1n, 3, 0, true);
    assert.throws(
      () => marker(f, 1n, 2, true),
      (e: unknown) => e instanceof KafkaError && e.errorCode === ErrorCode.INVALID_PRODUCER_EPOCH,
    );
    marker(f, 1n, 4, false, 5); // a fencing abort with a bumped epoch
    assert.equal(f.producers.entry(1n)?.producerEpoch, 4);
    assert.throws(
      () => marker(f, 1n, 4, false, 4),
      (e: unknown) => e instanceof KafkaError && e.errorCode === ErrorCode.TRANSACTION_COORDINATOR_FENCED,
    );
    assert.throws(
      () => data(f, 1n, 3, 1, true),
      (e: unknown) => e instanceof KafkaError && e.errorCode === ErrorCode.INVALID_PRODUCER_EPOCH,
    );
    await f.manager.shutdown();
  } finally {
    dir.cleanup();
  }
});

test("aborted transactions live in .txnindex files beside their segments and survive restarts", async () => {
  const dir = tempDir();
  try {
    const clock = newClock();
    const f = await open(dir.path, clock, 300);
    const expected: bigint[][] = [];
    let open2 = -1n;
    let seq8 = 0;
    let first7 = -1n;
    for (let i = 0; i < 12; i++) {
      const at7 = data(f, 7n, 0, i * 2, true, 2);
      if (first7 < 0n) first7 = at7;
      const first = first7;
      if (i % 3 === 2) {
        open2 = data(f, 8n, 0, seq8++, true); // producer 8 keeps a transaction open at the end
        continue;
      }
      const commit = i % 2 === 0;
      const at = marker(f, 7n, 0, commit);
      first7 = -1n;
      if (!commit) expected.push([7n, first, at]);
      f.log.updateHighWatermark(f.log.logEndOffset);
    }
    assert.ok(f.log.segmentCount > 2, "the segments rolled");
    const files = readdirSync(join(dir.path, "orders-0")).filter((n) => n.endsWith(".txnindex"));
    assert.ok(files.length >= 2, `several .txnindex files: ${files}`);
    assert.deepEqual(aborted(f), expected);
    const lso = f.log.lastStableOffset;
    assert.ok(lso <= open2);
    await f.manager.shutdown();

    const g = await open(dir.path, clock, 300);
    g.log.updateHighWatermark(g.log.logEndOffset);
    assert.deepEqual(aborted(g), expected, "read back from the files");
    assert.equal(g.log.lastStableOffset, lso, "the open transactions came back from the snapshot");
    await g.manager.shutdown();
  } finally {
    dir.cleanup();
  }
});

test("after a crash the aborted index is rebuilt from the log past the snapshot, without duplicates", async () => {
  const dir = tempDir();
  try {
    const clock = newClock();
    const f = await open(dir.path, clock);
    data(f, 1n, 0, 0, true);
    marker(f, 1n, 0, false);
    data(f, 1n, 0, 1, true);
    marker(f, 1n, 0, false);
    data(f, 2n, 0, 0, true);
    f.log.flush();
    f.manager.closeUncleanly();
    const g = await open(dir.path, clock);
    g.log.updateHighWatermark(g.log.logEndOffset);
    assert.deepEqual(aborted(g), [
      [1n, 0n, 1n],
      [1n, 2n, 3n],
    ]);
    assert.equal(g.log.lastStableOffset, 4n);
    await g.manager.shutdown();
  } finally {
    dir.cleanup();
  }
});

test("truncation drops the aborted transactions whose markers went", async () => {
  const dir = tempDir();
  try {
    const f = await open(dir.path, newClock());
    data(f, 1n, 0, 0, true); // 0
    marker(f, 1n, 0, false); // 1
    data(f, 1n, 0, 1, true); // 2
    marker(f, 1n, 0, false); // 3
    f.log.truncateTo(3n);
    assert.deepEqual(aborted(f), [[1n, 0n, 1n]]);
    f.log.updateHighWatermark(f.log.logEndOffset);
    assert.equal(f.log.lastStableOffset, 2n, "the transaction at 2 is open again");
    const path = join(dir.path, "orders-0", "00000000000000000000.txnindex");
    assert.ok(existsSync(path));
    await f.manager.shutdown();
  } finally {
    dir.cleanup();
  }
});

test("LSO and aborted transactions against a model, random interleavings of producers", async () => {
  for (let seed = 1; seed <= 20; seed++) {
    const random = new SeededRandom(seed);
    const dir = tempDir();
    try {
      const f = await open(dir.path, newClock(), 2000);
      const seqs = new Map<bigint, number>();
      const openAt = new Map<bigint, bigint>();
      const abortedModel: bigint[][] = [];
      for (let step = 0; step < 150; step++) {
        const pid = BigInt(random.int(0, 3));
        const choice = random.int(0, 9);
        if (choice < 5) {
          const seq = seqs.get(pid) ?? 0;
          const at = data(f, pid, 0, seq, true, random.int(1, 3));
          seqs.set(pid, (f.producers.entry(pid)?.lastSeq ?? 0) + 1);
          if (!openAt.has(pid)) openAt.set(pid, at);
        } else if (choice < 6) {
          data(f, -1n, -1, 0, false);
        } else if (openAt.has(pid)) {
          const commit = choice < 8;
          const at = marker(f, pid, 0, commit);
          if (!commit) abortedModel.push([pid, openAt.get(pid) as bigint, at]);
          openAt.delete(pid);
        }
        if (random.int(0, 2) === 0) f.log.updateHighWatermark(f.log.logEndOffset);
        const hw = f.log.highWatermark;
        let firstOpen = hw;
        for (const at of openAt.values()) if (at < firstOpen) firstOpen = at;
        // The model's LSO is at most the first open transaction; markers above the HW hold it too.
        assert.ok(f.log.lastStableOffset <= firstOpen, `seed ${seed} step ${step}`);
        if (hw === f.log.logEndOffset)
          assert.equal(f.log.lastStableOffset, firstOpen, `seed ${seed} step ${step}`);
        assert.deepEqual(aborted(f), abortedModel, `seed ${seed} step ${step}`);
      }
      await f.manager.shutdown();
    } finally {
      dir.cleanup();
    }
  }
});
