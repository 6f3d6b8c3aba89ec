import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import {
  batchCrcIsValid,
  batchLastOffset,
  batchRecordsCount,
  CompressionType,
  compressionName,
  decodeRecordBatch,
  decodeRecordSet,
  encodeRecordBatch,
  iterateBatches,
  type RecordBatch,
} from "../../../src/protocol/index.js";
import { fixturePath } from "./fixture-data.js";

/**
 * Batches captured from real clients (kcat/librdkafka 2.0.2 and kafkajs 2.2.4, every codec; see
 * test/fixtures/records/README.md) decode to exactly the records that were sent, and re-encode to
 * the same bytes when uncompressed.
 */
const dir = join(fixturePath(""), "..", "..", "..", "fixtures", "records");

interface FixtureNote {
  client: string;
  compression: string;
  transactional: boolean;
  idempotent: boolean;
  baseSequence?: number;
  records: { key: string | null; value: string | null; headers: [string, string][] }[];
}

const notes = JSON.parse(readFileSync(join(dir, "records.json"), "utf8")) as { [file: string]: FixtureNote };

test("the fixture set covers every codec", () => {
  const codecs = new Set(Object.values(notes).map((note) => note.compression));
  assert.deepEqual([...codecs].sort(), ["gzip", "lz4", "none", "snappy", "zstd"]);
});

function reencode(batch: RecordBatch): Buffer {
  return encodeRecordBatch({
    ...batch,
    records: batch.records,
    baseTimestamp: batch.baseTimestamp,
    maxTimestamp: batch.maxTimestamp,
    lastOffsetDelta: batch.lastOffsetDelta,
  });
}

for (const [file, note] of Object.entries(notes)) {
  test(`${file} (${note.client}, ${note.compression}) decodes to the records sent`, () => {
    const buf = readFileSync(join(dir, file));
    assert.ok(batchCrcIsValid(buf));
    const batch = decodeRecordBatch(buf);
    assert.equal(compressionName(batch.compression), note.compression);
    assert.equal(batch.isTransactional, note.transactional);
    assert.equal(batch.isControl, false);
    assert.equal(batch.timestampType, "CreateTime");
    assert.equal(batch.producerId >= 0n, note.idempotent);
    if (note.baseSequence !== undefined) assert.equal(batch.baseSequence, note.baseSequence);
    assert.deepEqual(
      batch.records.map((r) => ({
        key: r.key?.toString("utf8") ?? null,
        value: r.value?.toString("utf8") ?? null,
        headers: r.headers.map((h): [string, string] => [h.key, h.value?.toString("utf8") ?? ""]),
      })),
      note.records,
    );
    assert.deepEqual(
      batch.records.map((r) => r.offset),
      note.records.map((_, i) => BigInt(i)),
    );
    const timestamps = batch.records.map((r) => r.timestamp);
    assert.ok(timestamps.every((t) => t > 1_600_000_000_000n && t <= batch.maxTimestamp));
    assert.ok(timestamps.includes(batch.maxTimestamp));
    assert.equal(batchRecordsCount(buf), note.records.length);
    assert.equal(batchLastOffset(buf), BigInt(note.records.length - 1));
    assert.deepEqual([...iterateBatches(buf)], [{ at: 0, size: buf.length, magic: 2 }]);
    assert.equal(decodeRecordSet(buf).length, 1);

    const again = reencode(batch);
    if (batch.compression === CompressionType.none) assert.deepEqual(again, buf, "re-encodes byte for byte");
    assert.deepEqual(decodeRecordBatch(again).records, batch.records);
  });
}
