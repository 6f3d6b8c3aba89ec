import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { ApiKey, type DeleteRecordsResponse, ErrorCode } from "../../../src/protocol/index.js";
import type { WireClient } from "../../helpers/kafka-wire.js";
import {
  connectedAdmin,
  createTopic,
  fetchAt,
  listOffset,
  produce,
  startTestBroker,
  type TestBroker,
} from "./broker-harness.js";

const EARLIEST = -2n;
const LATEST = -1n;

let b: TestBroker;
before(async () => {
  b = await startTestBroker();
});
after(() => b.stop());

function deleteRecords(
  client: WireClient,
  version: number,
  topic: string,
  partitions: { partitionIndex: number; offset: bigint }[],
): Promise<DeleteRecordsResponse> {
  return client.request<DeleteRecordsResponse>(ApiKey.DeleteRecords, version, {
    topics: [{ name: topic, partitions }],
    timeoutMs: 5000,
  });
}

test("kafkajs deleteTopicRecords makes earlier offsets unreadable", async () => {
  await createTopic(b.client, "history", 2);
  await produce(b.client, "history", 0, 10);
  await produce(b.client, "history", 1, 3);
  const admin = await connectedAdmin(b.server.bootstrap);
  try {
    // kafkajs finds partition leaders from metadata it already holds.
    const before = await admin.fetchTopicOffsets("history");
    assert.deepEqual(
      before.map((o) => o.low),
      ["0", "0"],
    );
    await admin.deleteTopicRecords({ topic: "history", partitions: [{ partition: 0, offset: "4" }] });
    const offsets = await admin.fetchTopicOffsets("history");
    assert.deepEqual(offsets.map((o) => [o.partition, o.low, o.high]).sort(), [
      [0, "4", "10"],
      [1, "0", "3"],
    ]);
  } finally {
    await admin.disconnect();
  }
  const gone = await fetchAt(b.client, "history", 0, 2n);
  assert.equal(gone.errorCode, ErrorCode.OFFSET_OUT_OF_RANGE);
  const kept = await fetchAt(b.client, "history", 0, 4n);
  assert.equal(kept.errorCode, ErrorCode.NONE);
  assert.equal(kept.logStartOffset, 4n);
  assert.ok((kept.records?.length ?? 0) > 0, "records from offset 4 on are still there");
  assert.deepEqual(await listOffset(b.client, "history", 0, EARLIEST), {
    errorCode: ErrorCode.NONE,
    offset: 4n,
  });
  assert.deepEqual(await listOffset(b.client, "history", 1, EARLIEST), {
    errorCode: ErrorCode.NONE,
    offset: 0n,
  });
});

test("every version answers the new low watermark; -1 means the high watermark", async () => {
  await createTopic(b.client, "versions");
  await produce(b.client, "versions", 0, 20);
  const steps: [number, bigint, bigint][] = [
    [0, 5n, 5n],
    [1, 8n, 8n],
    [2, 3n, 8n], // below the current log start: nothing more is deleted
    [2, -1n, 20n],
  ];
  for (const [version, offset, lowWatermark] of steps) {
    const r = await deleteRecords(b.client, version, "versions", [{ partitionIndex: 0, offset }]);
    assert.deepEqual(
      r.topics.map((t) => [t.name, t.partitions.map((p) => [p.partitionIndex, p.lowWatermark, p.errorCode])]),
      [["versions", [[0, lowWatermark, ErrorCode.NONE]]]],
      `v${version} offset ${offset}`,
    );
  }
  assert.deepEqual(await listOffset(b.client, "versions", 0, EARLIEST), {
    errorCode: ErrorCode.NONE,
    offset: 20n,
  });
  assert.deepEqual(await listOffset(b.client, "versions", 0, LATEST), {
    errorCode: ErrorCode.NONE,
    offset: 20n,
  });
  await produce(b.client, "versions", 0, 1);
  assert.equal((await fetchAt(b.client, "versions", 0, 20n)).errorCode, ErrorCode.NONE, "appends carry on");
});

test("per-partition errors: beyond the high watermark, negative offsets, unknown partitions", async () => {
  await createTopic(b.client, "errors", 2);
  await produce(b.client, "errors", 0, 5);
  const r = await deleteRecords(b.client, 1, "errors", [
    { partitionIndex: 0, offset: 6n },
    { partitionIndex: 1, offset: -2n },
    { partitionIndex: 7, offset: 0n },
  ]);
  assert.deepEqual(
    r.topics[0]?.partitions.map((p) => [p.partitionIndex, p.lowWatermark, p.errorCode]),
    [
      [0, -1n, ErrorCode.OFFSET_OUT_OF_RANGE],
      [1, -1n, ErrorCode.OFFSET_OUT_OF_RANGE],
      [7, -1n, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
    ],
  );
  const unknown = await deleteRecords(b.client, 2, "no-such-topic", [{ partitionIndex: 0, offset: 0n }]);
  assert.equal(unknown.topics[0]?.partitions[0]?.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  const internal = await deleteRecords(b.client, 2, "__consumer_offsets", [
    { partitionIndex: 0, offset: 0n },
  ]);
  assert.equal(internal.topics[0]?.partitions[0]?.errorCode, ErrorCode.INVALID_TOPIC_EXCEPTION);
  assert.deepEqual(await listOffset(b.client, "errors", 0, EARLIEST), {
    errorCode: ErrorCode.NONE,
    offset: 0n,
  });
});

test("a compacted topic refuses DeleteRecords (POLICY_VIOLATION); compact,delete allows it", async () => {
  await createTopic(b.client, "compacted", 1, { "cleanup.policy": "compact" });
  await createTopic(b.client, "both", 1, { "cleanup.policy": "compact,delete" });
  await produce(b.client, "compacted", 0, 3);
  await produce(b.client, "both", 0, 3);
  const compacted = await deleteRecords(b.client, 2, "compacted", [{ partitionIndex: 0, offset: 1n }]);
  assert.equal(compacted.topics[0]?.partitions[0]?.errorCode, ErrorCode.POLICY_VIOLATION);
  const both = await deleteRecords(b.client, 2, "both", [{ partitionIndex: 0, offset: 1n }]);
  assert.deepEqual(
    [both.topics[0]?.partitions[0]?.errorCode, both.topics[0]?.partitions[0]?.lowWatermark],
    [ErrorCode.NONE, 1n],
  );
});

test("the new log start offset survives a restart", async () => {
  const dataDir = mkdtempSync(join(tmpdir(), "brook-delete-records-"));
  try {
    let node = await startTestBroker({ dataDir });
    await createTopic(node.client, "durable");
    await produce(node.client, "durable", 0, 6);
    const r = await deleteRecords(node.client, 2, "durable", [{ partitionIndex: 0, offset: 4n }]);
    assert.equal(r.topics[0]?.partitions[0]?.lowWatermark, 4n);
    await node.stop();
    node = await startTestBroker({ dataDir });
    try {
      assert.deepEqual(await listOffset(node.client, "durable", 0, EARLIEST), {
        errorCode: ErrorCode.NONE,
        offset: 4n,
      });
      assert.equal((await fetchAt(node.client, "durable", 0, 3n)).errorCode, ErrorCode.OFFSET_OUT_OF_RANGE);
    } finally {
      await node.stop();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
