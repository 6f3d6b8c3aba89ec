import assert from "node:assert/strict";
import { existsSync, readFileSync, statSync } from "node:fs";
import { test } from "node:test";
import fc from "fast-check";
import type { ManualClock } from "../../src/base/index.js";
import {
  batchBaseOffset,
  batchLastOffsetDelta,
  batchSizeBytes,
  CompressionType,
  ErrorCode,
  KafkaError,
} from "../../src/protocol/index.js";
import { type Log, type LogManager, logConfig, SegmentWriter } from "../../src/storage/index.js";
import { LogCleaner } from "../../src/storage/log-cleaner.js";
import type { LogSegment } from "../../src/storage/log-segment.js";
import { decodeAll, makeBatch, newClock, openManager, tempDir } from "./helpers.js";

/**
 * Random sequences of append / read / truncate / roll / DeleteRecords / retention / restart
 * against a model of the log: an array of batches with their offsets, bytes and records.
 */
interface ModelRecord {
  offset: bigint;
  key: string;
  value: string;
}

/** A batch as appended: its offsets never change; compaction may drop some of its records. */
interface ModelBatch {
  base: bigint;
  last: bigint;
  records: ModelRecord[];
}

interface Model {
  batches: ModelBatch[];
  logStartOffset: bigint;
  logEndOffset: bigint;
}

type Op =
  | { kind: "append"; count: number; valueBytes: number; compressed: boolean }
  | { kind: "read"; pick: number; maxBytes: number; bounded: boolean }
  | { kind: "truncate"; pick: number }
  | { kind: "roll" }
  | { kind: "deleteRecords"; pick: number }
  | { kind: "retention"; keepBytes: number; advanceMs: number; retentionMs: number }
  | { kind: "restart"; clean: boolean }
  | { kind: "compact"; advanceMs: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 10,
    arbitrary: fc.record({
      kind: fc.constant("append" as const),
      count: fc.integer({ min: 1, max: 5 }),
      valueBytes: fc.integer({ min: 0, max: 400 }),
      compressed: fc.boolean(),
    }),
  },
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant("read" as const),
      pick: fc.nat(),
      maxBytes: fc.integer({ min: 1, max: 3000 }),
      bounded: fc.boolean(),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("truncate" as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("roll" as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("deleteRecords" as const), pick: fc.nat() }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("retention" as const),
      keepBytes: fc.integer({ min: 0, max: 6000 }),
      advanceMs: fc.integer({ min: 0, max: 5000 }),
      retentionMs: fc.integer({ min: 100, max: 20_000 }),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("restart" as const), clean: fc.boolean() }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("compact" as const),
      advanceMs: fc.integer({ min: 0, max: 3000 }),
    }),
  },
);

const tp = { topic: "model", partition: 3 };
// Appends go through the writer thread here: the model checks that reads, truncation, rolling,
// retention, compaction and restarts see exactly what was appended while writes are in flight.
SegmentWriter.shared().policy = "always";
const config = {
  internalSegmentBytes: 2048,
  indexIntervalBytes: 200,
  segmentIndexBytes: 64 * 8,
  cleanupPolicy: ["compact", "delete"] as const,
  minCleanableDirtyRatio: 0,
};
const KEYS = 6;

interface Limits {
  openSegmentFilesMax: number;
  sealedIndexBytesMax: number;
  tailCacheBytesMax: number;
}

const limitsArb: fc.Arbitrary<Limits> = fc.record({
  openSegmentFilesMax: fc.constantFrom(1, 2, 1024),
  sealedIndexBytesMax: fc.constantFrom(0, 200, 64 << 20),
  tailCacheBytesMax: fc.constantFrom(0, 3000, 32 << 20),
});

class Harness {
  readonly dir = tempDir();
  readonly limits: Limits;
  readonly clock: ManualClock = newClock();
  manager!: LogManager;
  log!: Log;
  readonly model: Model = { batches: [], logStartOffset: 0n, logEndOffset: 0n };
  private seq = 0;

  constructor(limits: Limits) {
    this.limits = limits;
  }

  async start(): Promise<void> {
    this.manager = await openManager(
      this.dir.path,
      this.clock,
      { ...config, cleanupPolicy: [...config.cleanupPolicy] },
      {
        limits: this.limits,
        cleanerEnabled: false,
      },
    );
    this.log = this.manager.getOrCreateLog(tp);
  }

  async apply(op: Op): Promise<void> {
    switch (op.kind) {
      case "append":
        return this.append(op.count, op.valueBytes, op.compressed);
      case "read":
        return this.read(op.pick, op.maxBytes, op.bounded);
      case "truncate":
        return this.truncate(op.pick);
      case "roll":
        this.log.roll();
        return;
      case "deleteRecords":
        return this.deleteRecords(op.pick);
      case "retention":
        return this.retention(op.keepBytes, op.advanceMs, op.retentionMs);
      case "restart":
        return this.restart(op.clean);
      case "compact":
        return this.compact(op.advanceMs);
    }
  }

  private append(count: number, valueBytes: number, compressed: boolean): void {
    const values = Array.from({ length: count }, () => `${this.seq++}:`.padEnd(valueBytes, "x"));
    const keys = values.map((_, i) => `k${(this.seq * 7 + i) % KEYS}`);
    const batch = makeBatch({
      keys,
      values,
      timestamp: BigInt(this.clock.nowMs()),
      ...(compressed ? { compression: CompressionType.lz4 } : {}),
    });
    const m = this.model;
    if (batch.length > config.internalSegmentBytes) {
      assert.throws(
        () => this.log.appendAsLeader(batch, 0),
        (e: unknown) => {
          return e instanceof KafkaError && e.errorCode === ErrorCode.RECORD_LIST_TOO_LARGE;
        },
      );
      return;
    }
    const info = this.log.appendAsLeader(batch, 0);
    assert.equal(info.firstOffset, m.logEndOffset);
    assert.equal(info.lastOffset, m.logEndOffset + BigInt(count) - 1n);
    const records = values.map((value, i) => ({
      offset: info.firstOffset + BigInt(i),
      key: keys[i] as string,
      value,
    }));
    m.batches.push({ base: info.firstOffset, last: info.lastOffset, records });
    m.logEndOffset = info.lastOffset + 1n;
    this.log.updateHighWatermark(this.log.logEndOffset);
  }

  private pickOffset(pick: number): bigint {
    const span = Number(this.model.logEndOffset - this.model.logStartOffset) + 1;
    return this.model.logStartOffset + BigInt(pick % span);
  }

  private read(pick: number, maxBytes: number, bounded: boolean): void {
    const m = this.model;
    const fetchOffset = this.pickOffset(pick);
    const maxOffset = bounded ? this.pickOffset(pick * 7 + 3) : undefined;
    const bound = maxOffset ?? m.logEndOffset;
    const result = this.log.read({
      fetchOffset,
      maxBytes,
      ...(maxOffset === undefined ? {} : { maxOffset }),
    });
    const expected = m.batches.filter((b) => b.last >= fetchOffset && b.last < bound);
    const got = splitBatches(result.records);
    if (expected.length > 0 && (expected[0] as ModelBatch).last < bound)
      assert.ok(got.length >= 1, "the first batch must come");
    assert.ok(got.length <= expected.length);
    let total = 0;
    got.forEach((batch, i) => {
      const want = expected[i] as ModelBatch;
      assert.equal(batchBaseOffset(batch, 0), want.base);
      assert.equal(batchBaseOffset(batch, 0) + BigInt(batchLastOffsetDelta(batch, 0)), want.last);
      total += batch.length;
    });
    assert.ok(got.length <= 1 || total <= maxBytes, `read ${total} bytes over maxBytes ${maxBytes}`);
    const records = decodeAll(result.records).map((r) => ({
      offset: r.offset,
      key: r.key as string,
      value: r.value as string,
    }));
    assert.deepEqual(
      records,
      got.flatMap((_, i) => (expected[i] as ModelBatch).records),
    );
  }

  private truncate(pick: number): void {
    const m = this.model;
    const candidates = m.batches.filter((b) => b.base >= m.logStartOffset).map((b) => b.base);
    if (candidates.length === 0) return;
    const target = candidates[pick % candidates.length] as bigint;
    this.log.truncateTo(target);
    m.batches = m.batches.filter((b) => b.base < target);
    m.logEndOffset = target;
    assert.equal(this.log.logEndOffset, target);
  }

  private deleteRecords(pick: number): void {
    const m = this.model;
    const target = this.pickOffset(pick);
    const low = this.log.deleteRecordsBefore(target);
    if (target > m.logStartOffset) m.logStartOffset = target;
    assert.equal(low, m.logStartOffset);
    this.dropBelowStart();
  }

  private retention(keepBytes: number, advanceMs: number, retentionMs: number): void {
    const m = this.model;
    this.clock.advance(advanceMs);
    this.log.updateConfig(
      logConfig({ ...config, messageTimestampAfterMaxMs: 2 ** 63, retentionBytes: keepBytes, retentionMs }),
    );
    this.log.deleteOldSegments();
    const start = this.log.logStartOffset;
    assert.ok(start >= m.logStartOffset && start <= m.logEndOffset);
    const atBoundary =
      start === m.logStartOffset || start === m.logEndOffset || m.batches.some((b) => b.base === start);
    assert.ok(atBoundary, `retention moved the log start to ${start}, inside a batch`);
    m.logStartOffset = start;
    this.dropBelowStart();
  }

  private async compact(advanceMs: number): Promise<void> {
    this.clock.advance(advanceMs);
    const result = await new LogCleaner(this.manager.env).clean(this.log, this.clock.nowMs());
    if (result === null) return;
    const end = result.cleanedUpTo;
    const latest = new Map<string, bigint>();
    for (const b of this.model.batches)
      for (const r of b.records) if (r.offset < end) latest.set(r.key, r.offset);
    for (const b of this.model.batches)
      b.records = b.records.filter((r) => r.offset >= end || latest.get(r.key) === r.offset);
    this.model.batches = this.model.batches.filter((b) => b.records.length > 0);
  }

  private dropBelowStart(): void {
    this.model.batches = this.model.batches.filter((b) => b.last >= this.model.logStartOffset);
  }

  private async restart(clean: boolean): Promise<void> {
    if (clean) await this.manager.shutdown();
    else this.manager.closeUncleanly();
    await this.start();
    this.log.updateHighWatermark(this.log.logEndOffset);
  }

  check(): void {
    const m = this.model;
    assert.equal(this.log.logEndOffset, m.logEndOffset);
    assert.equal(this.log.logStartOffset, m.logStartOffset);
    const offsets = this.log.segmentList.map((s) => s.baseOffset);
    assert.deepEqual(
      offsets,
      [...offsets].sort((a, b) => (a < b ? -1 : 1)),
    );
    for (const segment of this.log.segmentList) assertIndexFileWithinLog(segment);
  }

  async finish(): Promise<void> {
    // Everything still readable, batch by batch, equals the model.
    let offset = this.model.logStartOffset;
    const records: ModelRecord[] = [];
    while (offset < this.log.logEndOffset) {
      const result = this.log.read({ fetchOffset: offset, maxBytes: 1 << 20 });
      if (result.records.length === 0) break;
      records.push(
        ...decodeAll(result.records).map((r) => ({
          offset: r.offset,
          key: r.key as string,
          value: r.value as string,
        })),
      );
      offset = result.nextOffset;
    }
    assert.deepEqual(
      records,
      this.model.batches.flatMap((b) => b.records),
    );
    await this.manager.shutdown();
    this.dir.cleanup();
  }
}

/**
 * The segment's files as a crash would find them, while the writer thread may still be writing: no
 * entry of the offset index file points past the data in the log file. The index is read before
 * the log's size is taken (which only grows meanwhile); entries end at the first zero slot (the
 * preallocated tail).
 */
function assertIndexFileWithinLog(segment: LogSegment): void {
  const indexPath = segment.pathFor(".index");
  if (!existsSync(indexPath)) return;
  const index = readFileSync(indexPath);
  const logBytes = statSync(segment.pathFor(".log")).size;
  let previous = 0;
  for (let at = 0; at + 8 <= index.length; at += 8) {
    const rel = index.readInt32BE(at);
    const position = index.readInt32BE(at + 4);
    if (rel === 0 && position === 0) break;
    assert.ok(rel > previous, `${indexPath}: entry ${at / 8} does not follow the one before`);
    assert.ok(
      position < logBytes,
      `${indexPath}: entry ${at / 8} points at ${position}, past the log (${logBytes})`,
    );
    previous = rel;
  }
}

function splitBatches(buffers: readonly Buffer[]): Buffer[] {
  const out: Buffer[] = [];
  for (const buf of buffers) {
    for (let at = 0; at < buf.length; at += batchSizeBytes(buf, at)) {
      out.push(buf.subarray(at, at + batchSizeBytes(buf, at)));
      assert.ok(batchLastOffsetDelta(buf, at) >= 0);
    }
  }
  return out;
}

/** Applies the operations to a fresh log, checking it against the model after each. */
async function runOps(limits: Limits, ops: readonly Op[]): Promise<void> {
  const h = new Harness(limits);
  await h.start();
  try {
    for (const op of ops) {
      await h.apply(op);
      h.check();
    }
    await h.finish();
  } catch (e) {
    h.manager.closeUncleanly();
    h.dir.cleanup();
    throw e;
  }
}

test("random operation sequences agree with a model of the log", async () => {
  const runs = Number(process.env.BROOK_STORAGE_MODEL_RUNS ?? 25);
  await fc.assert(fc.asyncProperty(limitsArb, fc.array(opArb, { minLength: 1, maxLength: 60 }), runOps), {
    numRuns: runs,
  });
});

test("regression: DeleteRecords answers the offset asked for even when a segment is past retention.ms (the retention check deletes it later)", async () => {
  await runOps({ openSegmentFilesMax: 1, sealedIndexBytesMax: 0, tailCacheBytesMax: 0 }, [
    { kind: "append", count: 2, valueBytes: 0, compressed: false },
    { kind: "retention", keepBytes: 1, advanceMs: 0, retentionMs: 100 },
    { kind: "compact", advanceMs: 102 },
    { kind: "deleteRecords", pick: 4 },
    { kind: "truncate", pick: 0 },
  ]);
});
