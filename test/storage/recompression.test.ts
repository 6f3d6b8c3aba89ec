import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import {
  batchCompression,
  CompressionType,
  decodeRecordBatch,
  encodeRecordBatch,
} from "../../src/protocol/index.js";
import { LogManager, parseLogConfig } from "../../src/storage/index.js";

async function withLog(
  compressionType: string,
  body: (append: (b: Buffer) => Buffer) => void,
): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "brook-recompress-"));
  const manager = await LogManager.open({ logDirs: [dir] });
  try {
    const log = manager.getOrCreateLog(
      { topic: "t", partition: 0 },
      parseLogConfig({ "compression.type": compressionType }),
    );
    body((batch) => {
      const info = log.appendAsLeader(batch, 0);
      const read = log.read({ fetchOffset: info.firstOffset, maxBytes: 1 << 20 });
      return Buffer.concat(read.records);
    });
  } finally {
    await manager.shutdown();
    rmSync(dir, { recursive: true, force: true });
  }
}

const input = {
  records: [
    {
      key: Buffer.from("k1"),
      value: Buffer.from("v1".repeat(50)),
      headers: [{ key: "h", value: Buffer.from("x") }],
      timestamp: 1000n,
    },
    { key: null, value: Buffer.from("v2"), timestamp: 1005n },
  ],
  producerId: 7n,
  producerEpoch: 2,
  baseSequence: 40,
};

test("a topic with compression.type=gzip stores gzip batches whatever the producer sent, records unchanged", async () => {
  await withLog("gzip", (append) => {
    for (const codec of [CompressionType.none, CompressionType.snappy, CompressionType.zstd]) {
      const stored = append(encodeRecordBatch({ ...input, compression: codec }));
      assert.equal(batchCompression(stored), CompressionType.gzip);
      const batch = decodeRecordBatch(stored);
      assert.equal(batch.producerId, 7n);
      assert.equal(batch.producerEpoch, 2);
      assert.equal(batch.baseSequence, 40);
      assert.deepEqual(
        batch.records.map((r) => [
          r.key?.toString() ?? null,
          r.value?.toString(),
          r.timestamp,
          r.headers.length,
        ]),
        [
          ["k1", "v1".repeat(50), 1000n, 1],
          [null, "v2", 1005n, 0],
        ],
      );
    }
  });
});

test("compression.type=uncompressed stores plain batches; producer (the default) stores them as sent", async () => {
  await withLog("uncompressed", (append) => {
    assert.equal(
      batchCompression(append(encodeRecordBatch({ ...input, compression: CompressionType.lz4 }))),
      CompressionType.none,
    );
  });
  await withLog("producer", (append) => {
    const sent = encodeRecordBatch({ ...input, compression: CompressionType.lz4 });
    const copy = Buffer.from(sent);
    const stored = append(sent);
    assert.equal(batchCompression(stored), CompressionType.lz4);
    assert.deepEqual(
      stored.subarray(21),
      copy.subarray(21),
      "the bytes after the rewritten header fields are untouched",
    );
  });
});
