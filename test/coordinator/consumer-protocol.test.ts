import assert from "node:assert/strict";
import { test } from "node:test";
import { subscribedTopics } from "../../src/coordinator/consumer-protocol.js";
import { encodeConsumerProtocolSubscription, Writer } from "../../src/protocol/index.js";

function encoded(version: number): Buffer {
  const w = new Writer();
  w.int16(version);
  encodeConsumerProtocolSubscription(
    w,
    {
      topics: ["orders", "payments"],
      userData: Buffer.from("u"),
      ownedPartitions: [{ topic: "orders", partitions: [0, 1] }],
      generationId: 3,
      rackId: "r1",
    },
    version,
  );
  return w.toBuffer();
}

test("the subscribed topics are read from every subscription version", () => {
  for (const version of [0, 1, 2, 3])
    assert.deepEqual(subscribedTopics(encoded(version)), ["orders", "payments"]);
});

test("a future version is read through its version-0 prefix, as Kafka does", () => {
  const bytes = encoded(3);
  bytes.writeInt16BE(9, 0);
  assert.deepEqual(subscribedTopics(bytes), ["orders", "payments"]);
});

test("bytes that are not a subscription give null, not an exception", () => {
  assert.equal(subscribedTopics(Buffer.alloc(0)), null);
  assert.equal(subscribedTopics(Buffer.from([0xff, 0xff, 0, 0, 0, 1])), null);
  assert.equal(subscribedTopics(Buffer.from([0, 0, 0x7f, 0xff, 0xff, 0xff])), null);
  assert.equal(subscribedTopics(Buffer.from([0, 0, 0, 0, 0, 1, 0, 9, 0x61])), null);
});
