import assert from "node:assert/strict";
import { test } from "node:test";
import { javaStringHashCode, kafkaAbs, partitionForKey } from "../../src/coordinator/group-partition.js";

test("javaStringHashCode matches Java's String.hashCode", () => {
  assert.equal(javaStringHashCode(""), 0);
  assert.equal(javaStringHashCode("a"), 97);
  assert.equal(javaStringHashCode("hello"), 99162322);
  // Overflow wraps in int32, and colliding strings collide as in Java.
  assert.equal(javaStringHashCode("Aa"), javaStringHashCode("BB"));
  assert.equal(javaStringHashCode("Hello World"), -862545276);
  // Hashed over UTF-16 code units, surrogate pairs included.
  assert.equal(javaStringHashCode("é"), 233);
  assert.equal(javaStringHashCode("😀"), 1772899);
});

test("Kafka's Utils.abs maps Integer.MIN_VALUE to 0", () => {
  assert.equal(javaStringHashCode("polygenelubricants"), -2147483648);
  assert.equal(kafkaAbs(-2147483648), 0);
  assert.equal(kafkaAbs(-5), 5);
  assert.equal(partitionForKey("polygenelubricants", 50), 0);
});

test("a group maps to abs(hashCode) % offsets.topic.num.partitions", () => {
  assert.equal(partitionForKey("hello", 50), 99162322 % 50);
  assert.equal(partitionForKey("Hello World", 50), 862545276 % 50);
  assert.equal(partitionForKey("my-consumer-group", 50), 1513705513 % 50);
  assert.equal(partitionForKey("anything", 1), 0);
  assert.throws(() => partitionForKey("g", 0), RangeError);
});
