import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { ErrorCode, KafkaError } from "../../src/protocol/index.js";
import {
  DEFAULT_LOG_CONFIG,
  LeaderEpochCache,
  LONG_MAX,
  logConfigToProperties,
  parseLogConfig,
  parsePartitionDirName,
  readOffsetCheckpoint,
  readPartitionMetadata,
  StorageError,
  segmentSize,
  UNDEFINED_EPOCH,
  writeOffsetCheckpoint,
  writePartitionMetadata,
} from "../../src/storage/index.js";
import { OffsetIndex } from "../../src/storage/offset-index.js";
import { segmentsToDelete } from "../../src/storage/retention.js";
import { parseSegmentFileName, segmentFilePath } from "../../src/storage/segment-files.js";
import { TimeIndex } from "../../src/storage/time-index.js";
import { tempDir } from "./helpers.js";

test("offset checkpoints use Kafka's text format and are replaced atomically", () => {
  const dir = tempDir();
  try {
    const path = join(dir.path, "recovery-point-offset-checkpoint");
    writeOffsetCheckpoint(path, [
      { tp: { topic: "orders", partition: 0 }, offset: 42n },
      { tp: { topic: "my-topic-2", partition: 11 }, offset: 7n },
    ]);
    assert.equal(readFileSync(path, "utf8"), "0\n2\norders 0 42\nmy-topic-2 11 7\n");
    assert.equal(existsSync(`${path}.tmp`), false);
    const read = readOffsetCheckpoint(path);
    assert.equal(read.get("my-topic-2-11")?.offset, 7n);
    writeFileSync(path, "0\n3\norders 0 42\n");
    assert.throws(
      () => readOffsetCheckpoint(path),
      (e: unknown) => e instanceof StorageError && e.code === "BRK_ERR_STORAGE_CORRUPT",
    );
    assert.equal(readOffsetCheckpoint(join(dir.path, "missing")).size, 0);
  } finally {
    dir.cleanup();
  }
});

test("partition.metadata and names follow Kafka", () => {
  const dir = tempDir();
  try {
    writePartitionMetadata(dir.path, "b9hAm2v6Q3-EyAt9wD5pgA");
    assert.equal(
      readFileSync(join(dir.path, "partition.metadata"), "utf8"),
      "version: 0\ntopic_id: b9hAm2v6Q3-EyAt9wD5pgA\n",
    );
    assert.equal(readPartitionMetadata(dir.path), "b9hAm2v6Q3-EyAt9wD5pgA");
  } finally {
    dir.cleanup();
  }
  assert.deepEqual(parsePartitionDirName("my-topic-with-dashes-12"), {
    topic: "my-topic-with-dashes",
    partition: 12,
  });
  assert.equal(parsePartitionDirName("orders-3.0123abcd-delete"), null);
  assert.equal(parsePartitionDirName("orders-3-future"), null);
  assert.ok(segmentFilePath("/d", 1234n, ".log").endsWith("/00000000000000001234.log"));
  assert.deepEqual(parseSegmentFileName("00000000000000001234.timeindex.swap"), {
    baseOffset: 1234n,
    suffix: ".timeindex",
    extra: ".swap",
  });
});

test("the leader-epoch cache answers OffsetForLeaderEpoch as Kafka does and persists every change", () => {
  const dir = tempDir();
  try {
    const path = join(dir.path, "leader-epoch-checkpoint");
    const cache = new LeaderEpochCache(path);
    cache.assign(1, 0n);
    cache.assign(3, 100n);
    cache.assign(5, 250n);
    assert.equal(readFileSync(path, "utf8"), "0\n3\n1 0\n3 100\n5 250\n");
    assert.deepEqual(cache.endOffsetFor(5, 300n), { epoch: 5, endOffset: 300n });
    assert.deepEqual(cache.endOffsetFor(3, 300n), { epoch: 3, endOffset: 250n });
    assert.deepEqual(cache.endOffsetFor(4, 300n), { epoch: 3, endOffset: 250n });
    assert.deepEqual(cache.endOffsetFor(0, 300n), { epoch: 0, endOffset: 0n });
    assert.deepEqual(cache.endOffsetFor(6, 300n), { epoch: UNDEFINED_EPOCH, endOffset: -1n });
    assert.equal(cache.epochForOffset(120n), 3);
    cache.truncateFromEnd(150n);
    assert.equal(cache.latestEpoch, 3);
    cache.truncateFromStart(120n);
    assert.deepEqual(LeaderEpochCache.load(path).snapshot(), [{ epoch: 3, startOffset: 120n }]);
    // a lower start offset for the latest epoch replaces it; an older epoch drops newer entries
    cache.assign(4, 130n);
    cache.assign(2, 125n);
    assert.deepEqual(cache.snapshot(), [{ epoch: 2, startOffset: 125n }]);
  } finally {
    dir.cleanup();
  }
});

test("topic configs parse from Kafka names with Kafka's defaults and refuse bad input with INVALID_CONFIG", () => {
  assert.equal(DEFAULT_LOG_CONFIG.segmentBytes, 1073741824);
  assert.equal(DEFAULT_LOG_CONFIG.maxMessageBytes, 1048588);
  assert.equal(DEFAULT_LOG_CONFIG.flushMessages, LONG_MAX);
  const config = parseLogConfig({
    "cleanup.policy": "compact,delete",
    "retention.ms": "-1",
    "segment.bytes": "1048576",
    "min.cleanable.dirty.ratio": "0.1",
    "message.timestamp.type": "LogAppendTime",
    "flush.messages": "9223372036854775807",
  });
  assert.deepEqual(config.cleanupPolicy, ["compact", "delete"]);
  assert.equal(config.retentionMs, -1);
  assert.equal(config.minCleanableDirtyRatio, 0.1);
  assert.equal(logConfigToProperties(config).get("flush.messages"), "9223372036854775807");
  assert.equal(logConfigToProperties(config).get("cleanup.policy"), "compact,delete");
  const invalid = (props: Record<string, string>, fragment: string) =>
    assert.throws(
      () => parseLogConfig(props),
      (e: unknown) =>
        e instanceof KafkaError && e.errorCode === ErrorCode.INVALID_CONFIG && e.message.includes(fragment),
    );
  invalid({ "retention.msec": "1" }, "Unknown topic config name: retention.msec");
  // Kafka's ConfigDef messages, word for word.
  invalid(
    { "segment.bytes": "abc" },
    "Invalid value abc for configuration segment.bytes: Not a number of type INT",
  );
  invalid(
    { "segment.bytes": "1048575" },
    "Invalid value 1048575 for configuration segment.bytes: Value must be at least 1048576",
  );
  invalid(
    { "cleanup.policy": "delete,shred" },
    "Invalid value shred for configuration cleanup.policy: String must be one of: compact, delete",
  );
  invalid(
    { "min.cleanable.dirty.ratio": "1.5" },
    "Invalid value 1.5 for configuration min.cleanable.dirty.ratio: Value must be no more than 1",
  );
  invalid(
    { "min.cleanable.dirty.ratio": "2" },
    "Invalid value 2.0 for configuration min.cleanable.dirty.ratio: Value must be no more than 1",
  );
  invalid(
    { preallocate: "yes" },
    "Invalid value yes for configuration preallocate: Expected value to be either true or false",
  );
  invalid(
    { "compression.gzip.level": "0" },
    "Invalid value 0 for configuration compression.gzip.level: Value must be between 1 and 9 or equal to -1",
  );
  invalid(
    { "leader.replication.throttled.replicas": "*,0:1" },
    "Invalid value [*, 0:1] for configuration leader.replication.throttled.replicas: leader.replication.throttled.replicas must be the literal '*' or a list of replicas",
  );
  invalid({ "min.compaction.lag.ms": "10", "max.compaction.lag.ms": "5" }, "min.compaction.lag.ms");
  // Kafka 4.0 accepts an empty policy: nothing is deleted or compacted.
  assert.deepEqual(parseLogConfig({ "cleanup.policy": "" }).cleanupPolicy, []);
});

test("internal.segment.bytes sets a smaller segment for tests, below segment.bytes' minimum, as in Kafka", () => {
  assert.equal(DEFAULT_LOG_CONFIG.internalSegmentBytes, null);
  assert.equal(segmentSize(DEFAULT_LOG_CONFIG), 1073741824);
  const small = parseLogConfig({ "internal.segment.bytes": "4096" });
  assert.equal(small.segmentBytes, 1073741824, "segment.bytes keeps its own value");
  assert.equal(segmentSize(small), 4096);
  assert.equal(logConfigToProperties(small).get("internal.segment.bytes"), "4096");
  assert.equal(logConfigToProperties(DEFAULT_LOG_CONFIG).has("internal.segment.bytes"), false);
  assert.throws(
    () => parseLogConfig({ "internal.segment.bytes": "0" }),
    /Invalid value 0 for configuration internal.segment.bytes: Value must be at least 14/,
  );
  // Overrides read back from the metadata log were valid when written: not checked again.
  assert.equal(
    parseLogConfig({ "segment.bytes": "20000" }, DEFAULT_LOG_CONFIG, { checkValues: false }).segmentBytes,
    20000,
  );
});

test("offset and time indexes look up, truncate and refuse files that fail the sanity check", () => {
  const index = new OffsetIndex(100n, 8 * 4);
  index.append(105n, 1000);
  index.append(110n, 2000);
  index.append(130n, 4000);
  index.append(140n, 5000);
  index.append(150n, 6000); // full: ignored, the index only gets sparser
  assert.equal(index.entries, 4);
  assert.equal(index.lookup(99n), 0);
  assert.equal(index.lookup(104n), 0);
  assert.equal(index.lookup(112n), 2000);
  assert.equal(index.lookup(1000n), 5000);
  const bytes = index.toBytes();
  assert.deepEqual(OffsetIndex.fromBytes(100n, 1024, bytes, 6000)?.lookup(131n), 4000);
  assert.equal(OffsetIndex.fromBytes(100n, 1024, bytes.subarray(0, 12), 6000), null, "partial entry");
  assert.equal(OffsetIndex.fromBytes(100n, 1024, bytes, 4500), null, "position past the log");
  index.truncateTo(130n);
  assert.equal(index.entries, 2);

  const time = new TimeIndex(100n, 12 * 10);
  time.maybeAppend(1000n, 105n);
  time.maybeAppend(1000n, 107n); // not larger: skipped
  time.maybeAppend(2000n, 120n);
  assert.equal(time.entries, 2);
  assert.deepEqual(time.lookup(1500n), { timestamp: 1000n, offset: 105n });
  assert.deepEqual(time.lookup(10n), { timestamp: -1n, offset: 100n });
  const swapped = Buffer.concat([time.toBytes().subarray(12), time.toBytes().subarray(0, 12)]);
  assert.equal(TimeIndex.fromBytes(100n, 1024, swapped), null, "timestamps must increase");
});

test("retention deletes whole old segments by time, size and log start, never past the high watermark", () => {
  const segments = [
    { baseOffset: 0n, sizeBytes: 100, largestTimestampMs: 1000 },
    { baseOffset: 10n, sizeBytes: 100, largestTimestampMs: 2000 },
    { baseOffset: 20n, sizeBytes: 100, largestTimestampMs: 3000 },
    { baseOffset: 30n, sizeBytes: 50, largestTimestampMs: 4000 },
  ];
  const base = {
    segments,
    logEndOffset: 35n,
    logStartOffset: 0n,
    highWatermark: 35n,
    nowMs: 5000,
    deletePolicy: true,
    retentionMs: -1,
    retentionBytes: -1,
  };
  assert.deepEqual(segmentsToDelete(base), { count: 0, reason: null });
  assert.deepEqual(segmentsToDelete({ ...base, retentionMs: 2500 }), { count: 2, reason: "retention.ms" });
  assert.deepEqual(segmentsToDelete({ ...base, retentionBytes: 160 }), {
    count: 1,
    reason: "retention.bytes",
  });
  assert.deepEqual(segmentsToDelete({ ...base, retentionBytes: 150 }), {
    count: 2,
    reason: "retention.bytes",
  });
  assert.deepEqual(segmentsToDelete({ ...base, retentionMs: 2500, highWatermark: 15n }), {
    count: 1,
    reason: "retention.ms",
  });
  assert.deepEqual(segmentsToDelete({ ...base, logStartOffset: 25n }), {
    count: 2,
    reason: "log-start-offset",
  });
  // the active segment qualifies too (the log then rolls first), unless it is empty
  assert.equal(segmentsToDelete({ ...base, retentionMs: 0 }).count, 4);
  assert.equal(segmentsToDelete({ ...base, deletePolicy: false, retentionMs: 0 }).count, 0);
});
