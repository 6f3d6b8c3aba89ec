import assert from "node:assert/strict";
import { test } from "node:test";
import {
  exceptionClassName,
  exceptionText,
  failureText,
  javaCopyCapacity,
  javaHashOrder,
  jsonText,
  lineSegments,
  parseJson,
  topicPartitionHash,
} from "../../src/cli/options/index.js";
import { ClientError, ClientErrorCode } from "../../src/client/index.js";
import { ErrorCode, KafkaError } from "../../src/protocol/index.js";

/**
 * What Brook's Kafka tools share to print as Kafka's do, against what the JVM does: where Java's
 * BreakIterator wraps help text, the order of Java's HashMap and HashSet, Jackson's reading and
 * printing of JSON, Kafka's exception texts. The expected values were produced by OpenJDK 17,
 * jopt-simple 5.0.4 and Jackson 2.18.
 */

test("help text wraps where Java's line BreakIterator may break", () => {
  const breaks = (line: string) => {
    let at = 0;
    return lineSegments(line).map((s) => {
      at += s.length;
      return at;
    });
  };
  assert.deepEqual(breaks("(see the --election-type flag)."), [5, 9, 11, 20, 25, 31]);
  assert.deepEqual(breaks("in the form host:port. Multiple"), [3, 7, 12, 17, 23, 31]);
  assert.deepEqual(breaks("--path-to-json-file"), [2, 7, 10, 15, 19]);
  assert.deepEqual(breaks('\t[{"topic": "foo", "partition": 1},'), [1, 12, 19, 32, 35]);
  assert.deepEqual(breaks('form "0,1,2". All'), [5, 14, 17]);
  assert.deepEqual(breaks("it's $100.50 (a)b"), [5, 13, 16, 17]);
  assert.deepEqual(breaks("a()b, x--y -5 3.14."), [3, 6, 9, 11, 14, 19]);
  assert.deepEqual(lineSegments(""), []);
});

test("HashSet and HashMap orders are Java's, resizes included", () => {
  const tps = (topic: string, n: number) =>
    Array.from({ length: n }, (_, partition) => ({ topic, partition }));
  const names = (list: readonly { topic: string; partition: number }[]) =>
    javaHashOrder(list, topicPartitionHash)
      .map((tp) => `${tp.topic}-${tp.partition}`)
      .join(", ");
  assert.equal(names(tps("t", 12)), "t-5, t-4, t-3, t-2, t-1, t-0, t-11, t-10, t-9, t-8, t-7, t-6");
  // 20 keys: the table has doubled to 32 buckets.
  assert.equal(
    names(tps("events", 20)),
    "events-19, events-11, events-12, events-13, events-14, events-15, events-16, events-17, events-18, events-3, events-4, events-5, events-6, events-7, events-8, events-9, events-10, events-0, events-1, events-2",
  );
  assert.equal(
    names([
      { topic: "orders", partition: 0 },
      { topic: "audit", partition: 0 },
      { topic: "orders", partition: 1 },
      { topic: "audit", partition: 1 },
      { topic: "orders", partition: 2 },
    ]),
    "audit-0, audit-1, orders-0, orders-1, orders-2",
  );
  assert.equal(
    names(tps("my-failsafe-topic", 3)),
    "my-failsafe-topic-2, my-failsafe-topic-0, my-failsafe-topic-1",
  );
  // Integers hash to themselves: 16 and 17 wrap around a 16-bucket table; a copy of a set sizes its own.
  assert.deepEqual(
    javaHashOrder([15, 16, 17, 1], (i) => i),
    [16, 17, 1, 15],
  );
  assert.equal(javaCopyCapacity(3), 16);
  assert.equal(javaCopyCapacity(30), 41);
});

test("JSON is read as Jackson reads it: number kinds, trailing content, malformed input", () => {
  const read = (text: string) => {
    const node = parseJson(text);
    return node === null ? null : `${node.kind} ${jsonText(node)}`;
  };
  assert.equal(
    read('{"partitions":[{"topic":"t","partition":1.0}]}'),
    'object {"partitions":[{"topic":"t","partition":1.0}]}',
  );
  assert.equal(read("3000000000"), "long 3000000000");
  assert.equal(read("99999999999999999999"), "bigint 99999999999999999999");
  assert.equal(read("-2147483648"), "int -2147483648");
  assert.equal(read("1e2"), "double 100.0");
  assert.equal(read("1.5E-7"), "double 1.5E-7");
  assert.equal(read('{"a":1e400}'), 'object {"a":"Infinity"}');
  assert.equal(read('{"a":1} trailing'), 'object {"a":1}');
  assert.equal(read('{"a":1,"b":[true,null],"a":2}'), 'object {"a":2,"b":[true,null]}');
  assert.equal(read('{"a":"\\u0001\\t\\"x\\\\"}'), 'object {"a":"\\u0001\\t\\"x\\\\"}');
  assert.equal(read("  "), "missing ");
  assert.equal(read("[]]"), "array []");
  assert.equal(read('{"x":1}{'), 'object {"x":1}');
  for (const bad of [
    "",
    "[1,]",
    '{"a":01}',
    "123abc",
    "nul",
    '{"k":NaN}',
    "truex",
    "12.",
    ".5",
    "-",
    '"\u0000"',
  ]) {
    assert.equal(read(bad), null, JSON.stringify(bad));
  }
});

test("errors print as Kafka's exceptions do", () => {
  assert.equal(
    exceptionText(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION),
    "org.apache.kafka.common.errors.UnknownTopicOrPartitionException: This server does not host this topic-partition.",
  );
  assert.equal(
    exceptionText(ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE, "no"),
    "org.apache.kafka.common.errors.PreferredLeaderNotAvailableException: no",
  );
  assert.equal(
    exceptionClassName(ErrorCode.KAFKA_STORAGE_ERROR),
    "org.apache.kafka.common.errors.KafkaStorageException",
  );
  assert.equal(exceptionClassName(87), "org.apache.kafka.common.InvalidRecordException");
  // A code Kafka does not know is its UnknownServerException.
  assert.equal(exceptionClassName(9999), "org.apache.kafka.common.errors.UnknownServerException");
  assert.equal(
    failureText(new ClientError(ClientErrorCode.connectFailed, "connection refused")),
    "org.apache.kafka.common.errors.TimeoutException: connection refused",
  );
  assert.equal(
    failureText(new KafkaError(ErrorCode.CLUSTER_AUTHORIZATION_FAILED)),
    "org.apache.kafka.common.errors.ClusterAuthorizationException: Cluster authorization failed.",
  );
});
