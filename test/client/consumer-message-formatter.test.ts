import assert from "node:assert/strict";
import { test } from "node:test";
import { formatRecord, formatterSettings } from "../../src/cli/console-consumer/message-formatter.js";
import type { ConsumerRecord } from "../../src/client/index.js";

const record: ConsumerRecord = {
  topic: "t",
  partition: 0,
  offset: 3n,
  timestamp: 1700000000000n,
  timestampType: "CreateTime",
  leaderEpoch: 5,
  key: Buffer.from("key"),
  value: Buffer.from("value"),
  headers: [
    { key: "h1", value: Buffer.from("v1") },
    { key: "h2", value: null },
  ],
};

function line(props: Record<string, string>, r: ConsumerRecord = record): string {
  return formatRecord(r, formatterSettings(new Map(Object.entries(props)))).toString("utf8");
}

test("the value alone by default", () => {
  assert.equal(line({}), "value\n");
});

test("each print.* property, in DefaultMessageFormatter's column order", () => {
  assert.equal(line({ "print.key": "true" }), "key\tvalue\n");
  assert.equal(line({ "print.timestamp": "true" }), "CreateTime:1700000000000\tvalue\n");
  assert.equal(line({ "print.partition": "true" }), "Partition:0\tvalue\n");
  assert.equal(line({ "print.offset": "true" }), "Offset:3\tvalue\n");
  assert.equal(line({ "print.epoch": "true" }), "Epoch:5\tvalue\n");
  assert.equal(line({ "print.delivery": "true" }), "Delivery:NOT_PRESENT\tvalue\n");
  assert.equal(line({ "print.headers": "true" }), "h1:v1,h2:null\tvalue\n");
  assert.equal(line({ "print.value": "false", "print.key": "true" }), "key\n");
  assert.equal(
    line({
      "print.timestamp": "TRUE",
      "print.partition": "true",
      "print.offset": "true",
      "print.key": "true",
    }),
    "CreateTime:1700000000000\tPartition:0\tOffset:3\tkey\tvalue\n",
  );
});

test("separators, null literal, no headers, LogAppendTime", () => {
  const bare: ConsumerRecord = {
    ...record,
    key: null,
    value: null,
    headers: [],
    timestampType: "LogAppendTime",
  };
  assert.equal(
    line(
      { "print.key": "true", "key.separator": " | ", "line.separator": ";\n", "null.literal": "<nil>" },
      bare,
    ),
    "<nil> | <nil>;\n",
  );
  assert.equal(line({ "print.headers": "true", "print.value": "false" }, bare), "NO_HEADERS\n");
  assert.equal(line({ "print.headers": "true", "headers.separator": "|" }), "h1:v1|h2:null\tvalue\n");
  assert.equal(
    line({ "print.timestamp": "true", "print.value": "false" }, bare),
    "LogAppendTime:1700000000000\n",
  );
  // print.value=false and nothing else: the record prints nothing at all, as in Kafka.
  assert.equal(line({ "print.value": "false" }), "");
});
