import assert from "node:assert/strict";
import { test } from "node:test";
import {
  decodeConsumerProtocolSubscriptionVersioned,
  decodeGroupCoordinatorRecordKey,
  decodeGroupCoordinatorRecordValue,
  decodeMetadataRecord,
  decodeTransactionCoordinatorRecordKey,
  decodeTransactionCoordinatorRecordValue,
  encodeConsumerProtocolSubscription,
  encodeConsumerProtocolSubscriptionVersioned,
  encodeGroupCoordinatorRecordKey,
  encodeGroupCoordinatorRecordValue,
  encodeMetadataRecord,
  encodeTransactionCoordinatorRecordKey,
  encodeTransactionCoordinatorRecordValue,
  GroupCoordinatorRecordType,
  MetadataRecordType,
  ProtocolDecodeError,
  Reader,
  Writer,
} from "../../src/protocol/index.js";

const TOPIC_ID = Buffer.alloc(16, 0xab).toString("base64url");

function bytesOf(write: (w: Writer) => void): Buffer {
  const w = new Writer();
  write(w);
  return w.toBuffer();
}

test("metadata records are framed as frame version, type and version, all unsigned varints", () => {
  const bytes = bytesOf((w) =>
    encodeMetadataRecord(w, { type: "TopicRecord", version: 0, data: { name: "orders", topicId: TOPIC_ID } }),
  );
  assert.equal(MetadataRecordType.TopicRecord, 2);
  assert.deepEqual([...bytes.subarray(0, 4)], [1, 2, 0, 7], "frame 1, type 2, version 0, then compact name");
  const decoded = decodeMetadataRecord(new Reader(bytes));
  assert.deepEqual(decoded, { type: "TopicRecord", version: 0, data: { name: "orders", topicId: TOPIC_ID } });
});

test("metadata record decoding refuses other frame versions, unknown types and trailing bytes", () => {
  const bytes = bytesOf((w) =>
    encodeMetadataRecord(w, { type: "TopicRecord", version: 0, data: { name: "t", topicId: TOPIC_ID } }),
  );
  const frame0 = Buffer.from(bytes);
  frame0[0] = 0;
  assert.throws(() => decodeMetadataRecord(new Reader(frame0)), ProtocolDecodeError);
  const unknownType = Buffer.from(bytes);
  unknownType[1] = 99;
  assert.throws(() => decodeMetadataRecord(new Reader(unknownType)), /unknown metadata record type 99/);
  assert.throws(() => decodeMetadataRecord(new Reader(Buffer.concat([bytes, Buffer.from([0])]))), /garbage/);
});

test("__consumer_offsets keys start with the record type that selects key and value schemas", () => {
  const key = bytesOf((w) =>
    encodeGroupCoordinatorRecordKey(w, {
      name: "OffsetCommit",
      recordType: GroupCoordinatorRecordType.OffsetCommit,
      key: { group: "g", topic: "t", partition: 3 },
    }),
  );
  assert.deepEqual([...key.subarray(0, 2)], [0, 1]);
  const decodedKey = decodeGroupCoordinatorRecordKey(new Reader(key));
  assert.deepEqual(decodedKey, {
    name: "OffsetCommit",
    recordType: 1,
    key: { group: "g", topic: "t", partition: 3 },
  });
  // Record type 0 is the older OffsetCommit key: same schema.
  const legacy = Buffer.from(key);
  legacy[1] = 0;
  assert.equal(decodeGroupCoordinatorRecordKey(new Reader(legacy)).name, "OffsetCommit");

  const value = bytesOf((w) =>
    encodeGroupCoordinatorRecordValue(w, {
      name: "OffsetCommit",
      version: 3,
      value: { offset: 42n, leaderEpoch: 5, metadata: "", commitTimestamp: 1700000000000n },
    }),
  );
  assert.deepEqual([...value.subarray(0, 2)], [0, 3], "int16 value version");
  const decodedValue = decodeGroupCoordinatorRecordValue(new Reader(value), decodedKey.recordType);
  assert.equal(decodedValue.name, "OffsetCommit");
  assert.deepEqual(decodedValue.value, {
    offset: 42n,
    leaderEpoch: 5,
    metadata: "",
    commitTimestamp: 1700000000000n,
    expireTimestamp: -1n,
  });
  assert.throws(
    () => decodeGroupCoordinatorRecordKey(new Reader(Buffer.from([0x7f, 0, 0]))),
    ProtocolDecodeError,
  );
});

test("__transaction_state keys and values round-trip through their framing", () => {
  const key = bytesOf((w) =>
    encodeTransactionCoordinatorRecordKey(w, {
      name: "TransactionLog",
      recordType: 0,
      key: { transactionalId: "tx" },
    }),
  );
  assert.deepEqual([...key], [0, 0, 0, 2, 116, 120]);
  assert.deepEqual(decodeTransactionCoordinatorRecordKey(new Reader(key)).key, { transactionalId: "tx" });
  const value = bytesOf((w) =>
    encodeTransactionCoordinatorRecordValue(w, {
      name: "TransactionLog",
      version: 1,
      value: {
        producerId: 7n,
        producerEpoch: 1,
        transactionTimeoutMs: 60000,
        transactionStatus: 0,
        transactionPartitions: null,
        transactionLastUpdateTimestampMs: 1n,
        transactionStartTimestampMs: 1n,
      },
    }),
  );
  const decoded = decodeTransactionCoordinatorRecordValue(new Reader(value), 0);
  assert.equal(decoded.version, 1);
  assert.equal(decoded.value.producerId, 7n);
  assert.equal(decoded.value.previousProducerId, -1n, "tagged field at its default");
});

test("a consumer subscription newer than known is read as the newest known version", () => {
  const subscription = {
    topics: ["a", "b"],
    userData: null,
    ownedPartitions: [],
    generationId: 4,
    rackId: "r1",
  };
  const v3 = bytesOf((w) => encodeConsumerProtocolSubscriptionVersioned(w, subscription, 3));
  assert.deepEqual(decodeConsumerProtocolSubscriptionVersioned(new Reader(v3)).value, subscription);
  // A future v9 adds fields at the end; Kafka's consumer reads it with the v3 schema.
  const body = bytesOf((w) => encodeConsumerProtocolSubscription(w, subscription, 3));
  const future = Buffer.concat([Buffer.from([0, 9]), body, Buffer.from([1, 2, 3])]);
  const decoded = decodeConsumerProtocolSubscriptionVersioned(new Reader(future));
  assert.equal(decoded.version, 9);
  assert.deepEqual(decoded.value, subscription);
  assert.throws(
    () => decodeConsumerProtocolSubscriptionVersioned(new Reader(Buffer.from([0xff, 0xff]))),
    ProtocolDecodeError,
  );
});
