import assert from "node:assert/strict";
import { test } from "node:test";
import { fetchedRecords } from "../../src/client/fetch-records.js";
import {
  ControlRecordType,
  encodeEndTxnMarkerBatch,
  encodeRecordBatch,
  type FetchResponsePartitionData,
} from "../../src/protocol/index.js";

/**
 * What a consumer takes from one partition's Fetch answer: records at and after its position, no
 * control records, and under read_committed no records of aborted transactions (from the first
 * offset the answer lists to the abort marker), and where to fetch next.
 */

const data = (name: string) => Buffer.from(name);

function batch(baseOffset: bigint, values: string[], txn?: { producerId: bigint }): Buffer {
  return encodeRecordBatch({
    baseOffset,
    records: values.map((v) => ({ key: null, value: data(v) })),
    baseTimestamp: 1000n,
    ...(txn === undefined
      ? {}
      : { isTransactional: true, producerId: txn.producerId, producerEpoch: 0, baseSequence: 0 }),
  });
}

function marker(baseOffset: bigint, producerId: bigint, type: "abort" | "commit"): Buffer {
  return encodeEndTxnMarkerBatch({
    type: type === "abort" ? ControlRecordType.ABORT : ControlRecordType.COMMIT,
    coordinatorEpoch: 0,
    producerId,
    producerEpoch: 0,
    timestamp: 1000n,
    baseOffset,
  });
}

/** Offsets 0-2 plain; 3-4 producer 7 (aborted at 5); 6-7 producer 8 (committed at 8); 9-10 plain. */
const LOG = Buffer.concat([
  batch(0n, ["a", "b", "c"]),
  batch(3n, ["aborted-1", "aborted-2"], { producerId: 7n }),
  marker(5n, 7n, "abort"),
  batch(6n, ["committed-1", "committed-2"], { producerId: 8n }),
  marker(8n, 8n, "commit"),
  batch(9n, ["d", "e"]),
]);

function answer(
  records: Buffer,
  aborted: { producerId: bigint; firstOffset: bigint }[] = [],
): FetchResponsePartitionData {
  return {
    partitionIndex: 2,
    errorCode: 0,
    highWatermark: 11n,
    lastStableOffset: 11n,
    logStartOffset: 0n,
    divergingEpoch: { epoch: -1, endOffset: -1n },
    currentLeader: { leaderId: -1, leaderEpoch: -1 },
    snapshotId: { endOffset: -1n, epoch: -1 },
    abortedTransactions: aborted,
    preferredReadReplica: -1,
    records,
  };
}

const values = (r: { records: { value: Buffer | null }[] }) => r.records.map((x) => String(x.value));

test("read_uncommitted: every data record from the position on, no markers; next offset past the last batch", () => {
  const got = fetchedRecords("t", answer(LOG, [{ producerId: 7n, firstOffset: 3n }]), 0n, false);
  assert.deepEqual(values(got), [
    "a",
    "b",
    "c",
    "aborted-1",
    "aborted-2",
    "committed-1",
    "committed-2",
    "d",
    "e",
  ]);
  assert.deepEqual(
    got.records.map((r) => r.offset),
    [0n, 1n, 2n, 3n, 4n, 6n, 7n, 9n, 10n],
  );
  assert.equal(got.nextOffset, 11n);
  assert.ok(got.records.every((r) => r.topic === "t" && r.partition === 2));
});

test("read_committed: the aborted transaction's records are left out, the committed one's kept", () => {
  const got = fetchedRecords("t", answer(LOG, [{ producerId: 7n, firstOffset: 3n }]), 0n, true);
  assert.deepEqual(values(got), ["a", "b", "c", "committed-1", "committed-2", "d", "e"]);
  assert.equal(got.nextOffset, 11n);
});

test("a position inside a batch skips the records before it; a batch entirely before it is skipped", () => {
  assert.deepEqual(values(fetchedRecords("t", answer(LOG), 1n, false)), [
    "b",
    "c",
    "aborted-1",
    "aborted-2",
    "committed-1",
    "committed-2",
    "d",
    "e",
  ]);
  assert.deepEqual(values(fetchedRecords("t", answer(LOG), 7n, false)), ["committed-2", "d", "e"]);
});

test("an answer of markers only moves the position past them; a batch cut off at the end is left for the next fetch", () => {
  const markers = Buffer.concat([marker(5n, 7n, "abort"), marker(8n, 8n, "commit")]);
  const onlyMarkers = fetchedRecords("t", answer(markers), 5n, true);
  assert.deepEqual(onlyMarkers.records, []);
  assert.equal(onlyMarkers.nextOffset, 9n);
  const last = batch(9n, ["d", "e"]);
  const cut = Buffer.concat([batch(0n, ["a", "b", "c"]), last.subarray(0, last.length - 3)]);
  const partial = fetchedRecords("t", answer(cut), 0n, false);
  assert.deepEqual(values(partial), ["a", "b", "c"]);
  assert.equal(partial.nextOffset, 3n);
  assert.deepEqual(fetchedRecords("t", answer(Buffer.alloc(0)), 4n, false), { records: [], nextOffset: 4n });
});
