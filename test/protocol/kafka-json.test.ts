import assert from "node:assert/strict";
import { test } from "node:test";
import {
  javaDouble,
  jsonDouble,
  kafkaJsonText,
  offsetCommitValueToJson,
  registerBrokerRecordToJson,
  transactionLogValueToJson,
} from "../../src/protocol/index.js";

test("text as Jackson writes it: compact, int64 exact, bytes in base64, control characters escaped", () => {
  assert.equal(
    kafkaJsonText({
      a: 1,
      b: 9007199254740993n,
      c: 'quote " back \\ tab \t nul \u0000 é',
      d: Buffer.from("Subscription"),
      e: [true, null, jsonDouble(2)],
      f: {},
    }),
    '{"a":1,"b":9007199254740993,"c":"quote \\" back \\\\ tab \\t nul \\u0000 é","d":"U3Vic2NyaXB0aW9u","e":[true,null,2.0],"f":{}}',
  );
});

test("doubles as Java's Double.toString prints them", () => {
  const cases: [number, string][] = [
    [0, "0.0"],
    [1024, "1024.0"],
    [0.5, "0.5"],
    [0.001, "0.001"],
    [0.0001, "1.0E-4"],
    [1234567.5, "1234567.5"],
    [1e7, "1.0E7"],
    [12345678.9, "1.23456789E7"],
    [-2.5e-7, "-2.5E-7"],
    [Number.POSITIVE_INFINITY, "Infinity"],
  ];
  for (const [x, text] of cases) assert.equal(javaDouble(x), text, String(x));
});

test("generated converters write a field in exactly the versions Kafka writes it", () => {
  const value = { offset: 5n, leaderEpoch: 3, metadata: "", commitTimestamp: 10n, expireTimestamp: 20n };
  // expireTimestamp only in version 1, leaderEpoch from version 3.
  assert.deepEqual(Object.keys(offsetCommitValueToJson(value, 1)), [
    "offset",
    "metadata",
    "commitTimestamp",
    "expireTimestamp",
  ]);
  assert.deepEqual(Object.keys(offsetCommitValueToJson(value, 3)), [
    "offset",
    "leaderEpoch",
    "metadata",
    "commitTimestamp",
  ]);
});

test("tagged fields are written only when they differ from their default", () => {
  const txn = {
    producerId: 1n,
    previousProducerId: -1n,
    nextProducerId: 7n,
    producerEpoch: 0,
    transactionTimeoutMs: 100,
    transactionStatus: 1,
    transactionPartitions: null,
    transactionLastUpdateTimestampMs: 2n,
    transactionStartTimestampMs: 3n,
    clientTransactionVersion: 2,
  };
  assert.equal(
    kafkaJsonText(transactionLogValueToJson(txn, 1)),
    '{"producerId":1,"nextProducerId":7,"producerEpoch":0,"transactionTimeoutMs":100,"transactionStatus":1,"transactionPartitions":null,"transactionLastUpdateTimestampMs":2,"transactionStartTimestampMs":3,"clientTransactionVersion":2}',
  );
  // Version 0 has no tagged fields at all.
  assert.equal("nextProducerId" in transactionLogValueToJson(txn, 0), false);
  const broker = {
    brokerId: 1,
    isMigratingZkBroker: false,
    incarnationId: "AAAAAAAAAAAAAAAAAAAAAQ",
    brokerEpoch: 0n,
    endPoints: [],
    features: [],
    rack: null,
    fenced: true,
    inControlledShutdown: false,
    logDirs: [],
  };
  assert.equal("logDirs" in registerBrokerRecordToJson(broker, 3), false);
  assert.deepEqual(
    registerBrokerRecordToJson({ ...broker, logDirs: ["AAAAAAAAAAAAAAAAAAAAAg"] }, 3).logDirs,
    ["AAAAAAAAAAAAAAAAAAAAAg"],
  );
});
