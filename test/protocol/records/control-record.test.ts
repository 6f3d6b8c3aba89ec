import assert from "node:assert/strict";
import { test } from "node:test";
import {
  ControlRecordType,
  CorruptRecordError,
  decodeControlRecordKey,
  decodeEndTxnMarker,
  decodeRecordBatch,
  encodeControlRecordKey,
  encodeEndTxnMarkerBatch,
  encodeEndTxnMarkerValue,
} from "../../../src/protocol/index.js";

test("transaction marker batches carry Kafka's key and value layouts", () => {
  const buf = encodeEndTxnMarkerBatch({
    type: ControlRecordType.COMMIT,
    coordinatorEpoch: 17,
    producerId: 4000n,
    producerEpoch: 5,
    timestamp: 1_700_000_000_000n,
    baseOffset: 99n,
    partitionLeaderEpoch: 3,
  });
  const batch = decodeRecordBatch(buf);
  assert.equal(batch.isControl, true);
  assert.equal(batch.isTransactional, true);
  assert.equal(batch.compression, 0);
  assert.equal(batch.baseSequence, -1);
  assert.equal(batch.producerId, 4000n);
  assert.equal(batch.producerEpoch, 5);
  assert.equal(batch.partitionLeaderEpoch, 3);
  assert.equal(batch.records.length, 1);
  const record = batch.records[0];
  assert.ok(record);
  assert.equal(record.offset, 99n);
  assert.equal(record.timestamp, 1_700_000_000_000n);
  assert.deepEqual([...(record.key ?? [])], [0, 0, 0, 1]);
  assert.deepEqual([...(record.value ?? [])], [0, 0, 0, 0, 0, 17]);
  assert.deepEqual(decodeEndTxnMarker(record.key, record.value), {
    type: ControlRecordType.COMMIT,
    coordinatorEpoch: 17,
  });
  const abort = decodeRecordBatch(
    encodeEndTxnMarkerBatch({
      type: ControlRecordType.ABORT,
      coordinatorEpoch: 0,
      producerId: 1n,
      producerEpoch: 0,
      timestamp: 0n,
    }),
  ).records[0];
  assert.deepEqual(decodeEndTxnMarker(abort?.key ?? null, abort?.value ?? null), {
    type: ControlRecordType.ABORT,
    coordinatorEpoch: 0,
  });
});

test("control keys of any type decode, and newer versions with extra bytes are read as far as known", () => {
  assert.deepEqual(decodeControlRecordKey(encodeControlRecordKey(ControlRecordType.LEADER_CHANGE)), {
    version: 0,
    type: 2,
  });
  const newer = Buffer.concat([encodeControlRecordKey(ControlRecordType.COMMIT, 1), Buffer.from([9, 9])]);
  assert.deepEqual(decodeControlRecordKey(newer), { version: 1, type: 1 });
  const newerValue = Buffer.concat([encodeEndTxnMarkerValue(8), Buffer.from([1, 2, 3])]);
  newerValue.writeInt16BE(1, 0);
  assert.equal(decodeEndTxnMarker(newer, newerValue).coordinatorEpoch, 8);
});

test("malformed control records raise CorruptRecordError", () => {
  const commit = encodeControlRecordKey(ControlRecordType.COMMIT);
  const cases: [Buffer | null, Buffer | null][] = [
    [null, encodeEndTxnMarkerValue(1)],
    [Buffer.from([0, 0, 0]), encodeEndTxnMarkerValue(1)],
    [Buffer.from([0xff, 0xff, 0, 1]), encodeEndTxnMarkerValue(1)],
    [encodeControlRecordKey(ControlRecordType.LEADER_CHANGE), encodeEndTxnMarkerValue(1)],
    [commit, null],
    [commit, Buffer.from([0, 0, 0, 0, 1])],
  ];
  for (const [key, value] of cases) assert.throws(() => decodeEndTxnMarker(key, value), CorruptRecordError);
  assert.throws(
    () =>
      encodeEndTxnMarkerBatch({
        type: 2 as 0,
        coordinatorEpoch: 0,
        producerId: 1n,
        producerEpoch: 0,
        timestamp: 0n,
      }),
    { code: "BRK_ERR_PROTOCOL_ENCODE" },
  );
});
