import assert from "node:assert/strict";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import type { ManualClock } from "../../src/base/index.js";
import { crc32c as crc32cOf, ErrorCode, encodeRecordBatch, KafkaError } from "../../src/protocol/index.js";
import {
  DuplicateBatchError,
  type Log,
  type LogManager,
  ProducerStateManager,
} from "../../src/storage/index.js";
import { ProducerStateEntry } from "../../src/storage/producer-state-entry.js";
import {
  decodeProducerSnapshot,
  encodeProducerSnapshot,
  producerSnapshotPath,
} from "../../src/storage/producer-state-snapshot.js";
import { decodeAll, newClock, openManager, readAll, tempDir } from "./helpers.js";

const tp = { topic: "orders", partition: 0 };
const DAY_MS = 86_400_000;

interface Fixture {
  dir: string;
  clock: ManualClock;
  manager: LogManager;
  log: Log;
  producers: ProducerStateManager;
  errors: string[];
}

async function open(dir: string, clock: ManualClock, segmentBytes = 1 << 20): Promise<Fixture> {
  const manager = await openManager(dir, clock, { internalSegmentBytes: segmentBytes });
  const log = manager.getOrCreateLog(tp);
  const errors: string[] = [];
  const producers = ProducerStateManager.attach(log, {
    producerIdExpirationMs: DAY_MS,
    clock,
    onError: (e, context) => errors.push(`${context}: ${String(e)}`),
  });
  return { dir, clock, manager, log, producers, errors };
}

/** An idempotent batch of `count` records with sequences from `firstSeq`, stamped with the clock. */
function batch(
  f: Fixture,
  producerId: bigint,
  epoch: number,
  firstSeq: number,
  count = 1,
  tag = "v",
): Buffer {
  return encodeRecordBatch({
    producerId,
    producerEpoch: epoch,
    baseSequence: firstSeq,
    records: Array.from({ length: count }, (_, i) => ({
      key: null,
      value: Buffer.from(`${tag}-${firstSeq + i}`),
      timestamp: BigInt(f.clock.nowMs()),
    })),
  });
}

function append(f: Fixture, producerId: bigint, epoch: number, firstSeq: number, count = 1): bigint {
  return f.log.appendAsLeader(batch(f, producerId, epoch, firstSeq, count), 0).firstOffset;
}

/** What an append of this batch does: "ok@offset", "duplicate@offset" or the Kafka error code. */
function outcome(
  f: Fixture,
  producerId: bigint,
  epoch: number,
  firstSeq: number,
  count = 1,
): string | number {
  try {
    return `ok@${f.log.appendAsLeader(batch(f, producerId, epoch, firstSeq, count), 0).firstOffset}`;
  } catch (e) {
    if (e instanceof DuplicateBatchError) return `duplicate@${e.firstOffset}`;
    if (e instanceof KafkaError) return e.errorCode;
    throw e;
  }
}

/** Lets the fsyncs a roll starts in the background finish before files are closed under them. */
async function settleBackgroundFlushes(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 100));
}

function snapshotFiles(dir: string): string[] {
  const partitionDir = join(dir, "orders-0");
  return readdirSync(partitionDir)
    .filter((n) => n.endsWith(".snapshot"))
    .sort();
}

test("a duplicate append leaves the log unchanged and names the original offsets", async () => {
  const dir = tempDir();
  try {
    const f = await open(dir.path, newClock());
    assert.equal(append(f, 10n, 0, 0, 3), 0n);
    assert.equal(append(f, 10n, 0, 3, 2), 3n);
    assert.equal(outcome(f, 10n, 0, 0, 3), "duplicate@0");
    assert.equal(outcome(f, 10n, 0, 3, 2), "duplicate@3");
    assert.equal(outcome(f, 10n, 0, 7), ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    assert.equal(f.log.logEndOffset, 5n);
    assert.equal(decodeAll(readAll(f.log)).length, 5);
    // non-idempotent batches are not looked at
    const plain = encodeRecordBatch({ records: [{ key: null, value: Buffer.from("p"), timestamp: 1n }] });
    assert.equal(f.log.appendAsLeader(plain, 0).firstOffset, 5n);
    assert.equal(f.producers.mapEndOffset, 6n);
    assert.deepEqual(f.errors, []);
    await f.manager.shutdown();
  } finally {
    dir.cleanup();
  }
});

test("after a clean shutdown the snapshot restores all five batches: retries are still duplicates", async () => {
  const dir = tempDir();
  try {
    const clock = newClock();
    const f = await open(dir.path, clock);
    for (let i = 0; i < 7; i++) append(f, 1n, 0, i * 2, 2);
    append(f, 2n, 3, 0, 1);
    assert.equal(f.producers.takeSnapshot(true), 15n);
    await f.manager.shutdown();
    assert.deepEqual(snapshotFiles(dir.path), ["00000000000000000015.snapshot"]);

    const g = await open(dir.path, clock);
    assert.equal(g.producers.mapEndOffset, 15n);
    for (let i = 2; i < 7; i++) assert.equal(outcome(g, 1n, 0, i * 2, 2), `duplicate@${i * 2}`);
    assert.equal(outcome(g, 1n, 0, 2, 2), ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    assert.equal(outcome(g, 2n, 3, 0), "duplicate@14");
    assert.equal(outcome(g, 2n, 2, 1), ErrorCode.INVALID_PRODUCER_EPOCH);
    assert.equal(outcome(g, 1n, 0, 14), "ok@15");
    assert.equal(decodeAll(readAll(g.log)).length, 16);
    assert.deepEqual(g.errors, []);
    await g.manager.shutdown();
  } finally {
    dir.cleanup();
  }
});

test("after a crash without any snapshot the state is rebuilt from the log", async () => {
  const dir = tempDir();
  try {
    const clock = newClock();
    const f = await open(dir.path, clock);
    append(f, 5n, 0, 0, 4);
    append(f, 5n, 0, 4, 1);
    append(f, 6n, 1, 100, 2);
    f.log.flush();
    f.manager.closeUncleanly();
    assert.deepEqual(snapshotFiles(dir.path), []);

    const g = await open(dir.path, clock);
    assert.equal(outcome(g, 5n, 0, 0, 4), "duplicate@0");
    assert.equal(outcome(g, 5n, 0, 4, 1), "duplicate@4");
    assert.equal(outcome(g, 6n, 1, 100, 2), "duplicate@5");
    assert.equal(outcome(g, 6n, 1, 103), ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    // the rebuild wrote a snapshot at the log end, so the next start need not replay
    assert.deepEqual(snapshotFiles(dir.path), ["00000000000000000007.snapshot"]);
    assert.equal(outcome(g, 6n, 1, 102), "ok@7");
    await g.manager.shutdown();
  } finally {
    dir.cleanup();
  }
});

test("segment rolls write snapshots; a crash replays only what came after the last one", async () => {
  const dir = tempDir();
  try {
    const clock = newClock();
    const f = await open(dir.path, clock, 400);
    let seq = 0;
    for (let i = 0; i < 12; i++) {
      append(f, 3n, 0, seq, 3);
      seq += 3;
    }
    assert.ok(f.log.segmentCount > 2, "the small segments rolled");
    const bases = f.log.segmentList.map((s) => s.baseOffset).filter((b) => b > 0n);
    assert.deepEqual(
      snapshotFiles(dir.path),
      bases.map((b) => `${b.toString().padStart(20, "0")}.snapshot`),
    );
    const tailStart = f.log.activeSegment.baseOffset;
    f.log.flush();
    await settleBackgroundFlushes();
    f.manager.closeUncleanly();

    const g = await open(dir.path, clock, 400);
    assert.equal(g.producers.mapEndOffset, g.log.logEndOffset);
    const logEnd = g.log.logEndOffset;
    assert.equal(outcome(g, 3n, 0, seq - 3, 3), `duplicate@${logEnd - 3n}`);
    assert.equal(outcome(g, 3n, 0, seq), `ok@${logEnd}`);
    assert.ok(tailStart > 0n);
    assert.deepEqual(g.errors, []);
    await g.manager.shutdown();
  } finally {
    dir.cleanup();
  }
});

test("a corrupt snapshot is deleted and the state rebuilt from an older one and the log", async () => {
  const dir = tempDir();
  try {
    const clock = newClock();
    const f = await open(dir.path, clock);
    append(f, 1n, 0, 0, 2);
    f.log.roll();
    append(f, 1n, 0, 2, 2);
    f.producers.takeSnapshot(true);
    await f.manager.shutdown();
    assert.deepEqual(snapshotFiles(dir.path), [
      "00000000000000000002.snapshot",
      "00000000000000000004.snapshot",
    ]);
    const newest = producerSnapshotPath(join(dir.path, "orders-0"), 4n);
    const bytes = readFileSync(newest);
    bytes[bytes.length - 3] = (bytes[bytes.length - 3] as number) ^ 0xff;
    writeFileSync(newest, bytes);

    const g = await open(dir.path, clock);
    assert.equal(g.errors.length, 1);
    assert.match(g.errors[0] as string, /CRC/);
    assert.equal(outcome(g, 1n, 0, 0, 2), "duplicate@0");
    assert.equal(outcome(g, 1n, 0, 2, 2), "duplicate@2");
    assert.equal(outcome(g, 1n, 0, 4), "ok@4");
    await g.manager.shutdown();
  } finally {
    dir.cleanup();
  }
});

test("truncation drops the state above the new log end and the snapshots above it", async () => {
  const dir = tempDir();
  try {
    const clock = newClock();
    const f = await open(dir.path, clock);
    append(f, 1n, 0, 0, 2); // 0-1
    f.log.roll(); // snapshot at 2
    append(f, 1n, 0, 2, 2); // 2-3
    f.log.roll(); // snapshot at 4
    append(f, 1n, 0, 4, 2); // 4-5
    assert.deepEqual(f.producers.snapshotOffsets, [2n, 4n]);
    f.log.truncateTo(2n);
    assert.equal(f.log.logEndOffset, 2n);
    assert.deepEqual(f.producers.snapshotOffsets, [2n]);
    assert.equal(f.producers.entry(1n)?.lastSeq, 1);
    // the truncated batch is no longer a duplicate: it is the next one in sequence
    assert.equal(outcome(f, 1n, 0, 2, 2), "ok@2");
    assert.equal(outcome(f, 1n, 0, 6), ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);

    f.log.truncateFullyAndStartAt(10n);
    assert.deepEqual(snapshotFiles(dir.path), []);
    assert.equal(f.producers.producerCount, 0);
    assert.equal(f.producers.mapEndOffset, 10n);
    assert.equal(outcome(f, 1n, 0, 9), "ok@10");
    assert.deepEqual(f.errors, []);
    await f.manager.shutdown();
  } finally {
    dir.cleanup();
  }
});

test("a log start offset that advances deletes older snapshots but keeps the producers", async () => {
  const dir = tempDir();
  try {
    const clock = newClock();
    const f = await open(dir.path, clock);
    for (let i = 0; i < 4; i++) {
      append(f, 1n, 0, i, 1);
      f.log.roll();
    }
    assert.deepEqual(f.producers.snapshotOffsets, [1n, 2n, 3n, 4n]);
    append(f, 2n, 0, 0, 1);
    f.log.updateHighWatermark(f.log.logEndOffset);
    f.log.deleteRecordsBefore(3n);
    assert.deepEqual(f.producers.snapshotOffsets, [3n, 4n]);
    assert.equal(outcome(f, 1n, 0, 3), "duplicate@3");
    assert.equal(outcome(f, 1n, 0, 4), "ok@5");
    f.log.updateHighWatermark(f.log.logEndOffset);
    f.log.deleteRecordsBefore(6n);
    assert.deepEqual(f.producers.snapshotOffsets, [4n]);
    assert.equal(outcome(f, 2n, 0, 0), "duplicate@4");
    await f.manager.shutdown();
  } finally {
    dir.cleanup();
  }
});

test("stray and out-of-range snapshots are removed at load; expired producers are not loaded", async () => {
  const dir = tempDir();
  try {
    const clock = newClock();
    const f = await open(dir.path, clock);
    append(f, 1n, 0, 0, 3);
    f.log.roll(); // snapshot 3, a segment base
    append(f, 2n, 0, 0, 1);
    f.producers.takeSnapshot(true); // snapshot 4, the newest
    await f.manager.shutdown();
    const partitionDir = join(dir.path, "orders-0");
    for (const offset of [0n, 2n, 50n]) {
      writeFileSync(producerSnapshotPath(partitionDir, offset), encodeProducerSnapshot([]));
    }

    clock.advance(DAY_MS);
    const g = await open(dir.path, clock);
    // 50 is above the log end and 2 is neither a segment base nor the newest: both go
    assert.deepEqual(snapshotFiles(dir.path), [
      "00000000000000000000.snapshot",
      "00000000000000000003.snapshot",
      "00000000000000000004.snapshot",
    ]);
    assert.equal(g.producers.producerCount, 0);
    assert.equal(outcome(g, 1n, 0, 5), "ok@4");
    await g.manager.shutdown();
  } finally {
    dir.cleanup();
  }
});

/** Kafka's layout, written independently of the encoder under test. */
function kafkaSnapshot(
  entries: { pid: bigint; epoch: number; lastSeq: number; lastOffset: bigint; delta: number; ts: bigint }[],
): Buffer {
  const body = Buffer.alloc(4 + entries.length * 46);
  body.writeInt32BE(entries.length, 0);
  entries.forEach((e, i) => {
    const at = 4 + i * 46;
    body.writeBigInt64BE(e.pid, at);
    body.writeInt16BE(e.epoch, at + 8);
    body.writeInt32BE(e.lastSeq, at + 10);
    body.writeBigInt64BE(e.lastOffset, at + 14);
    body.writeInt32BE(e.delta, at + 22);
    body.writeBigInt64BE(e.ts, at + 26);
    body.writeInt32BE(-1, at + 34);
    body.writeBigInt64BE(-1n, at + 38);
  });
  const head = Buffer.alloc(6);
  head.writeInt16BE(1, 0);
  head.writeUInt32BE(crc32cOf(body), 2);
  return Buffer.concat([head, body]);
}

test("snapshots use Kafka's layout: Kafka's files load, and Kafka would read ours as its own", () => {
  const kafka = kafkaSnapshot([
    { pid: 7n, epoch: 2, lastSeq: 9, lastOffset: 109n, delta: 4, ts: 1234n },
    { pid: 8n, epoch: 0, lastSeq: -1, lastOffset: -1n, delta: 0, ts: 99n },
  ]);
  const [p7, p8] = decodeProducerSnapshot(kafka);
  assert.ok(p7 && p8);
  assert.equal(p7.producerEpoch, 2);
  assert.deepEqual(p7.batches, [
    { firstSeq: 5, lastSeq: 9, firstOffset: 105n, lastOffset: 109n, timestamp: 1234n },
  ]);
  assert.equal(p8.batches.length, 0);
  assert.equal(p8.lastTimestamp, 99n);

  const entry = new ProducerStateEntry(7n);
  for (let i = 0; i < 6; i++) {
    entry.addBatch(3, {
      firstSeq: i * 10,
      lastSeq: i * 10 + 9,
      firstOffset: BigInt(i * 100),
      lastOffset: BigInt(i * 100 + 9),
      timestamp: BigInt(i),
    });
  }
  const ours = encodeProducerSnapshot([entry]);
  assert.equal(ours.length, 10 + 5 * 46);
  // Kafka's reader keeps the last entry per producer id: it must be the newest batch
  const lastAt = 10 + 4 * 46;
  assert.equal(ours.readBigInt64BE(lastAt), 7n);
  assert.equal(ours.readInt32BE(lastAt + 10), 59);
  assert.equal(ours.readBigInt64BE(lastAt + 14), 509n);
  assert.equal(ours.readInt32BE(lastAt + 22), 9);
  assert.equal(ours.readBigInt64BE(lastAt + 26), 5n);
  assert.deepEqual(
    ours,
    kafkaSnapshot(
      entry.batches.map((b) => ({
        pid: 7n,
        epoch: 3,
        lastSeq: b.lastSeq,
        lastOffset: b.lastOffset,
        delta: 9,
        ts: b.timestamp,
      })),
    ),
  );
  const [back] = decodeProducerSnapshot(ours);
  assert.deepEqual(back?.batches, entry.batches);
  assert.equal(back?.lastTimestamp, 5n);

  const broken = Buffer.from(ours);
  broken.writeInt16BE(2, 0);
  assert.throws(() => decodeProducerSnapshot(broken), /unknown version 2/);
  assert.throws(() => decodeProducerSnapshot(ours.subarray(0, ours.length - 1)), /CRC|entries/);
  assert.throws(() => decodeProducerSnapshot(Buffer.alloc(3)), /shorter than the header/);
});
