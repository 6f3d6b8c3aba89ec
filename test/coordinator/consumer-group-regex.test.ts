import assert from "node:assert/strict";
import test from "node:test";
import fc from "fast-check";
import {
  compileTopicRegex,
  REGEX_REFRESH_INTERVAL_MS,
  resolveTopicRegexes,
} from "../../src/coordinator/consumer-group-regex.js";
import {
  decodeCoordinatorRecord,
  encodeCoordinatorRecord,
} from "../../src/coordinator/coordinator-record-codec.js";
import type { ConsumerGroupHeartbeatResponse } from "../../src/coordinator/group-api.js";
import { ErrorCode, KafkaError } from "../../src/protocol/index.js";
import { ShardHarness } from "./shard-harness.js";

/** Topic ids in Kafka's base64 form. */
const ORDERS_1 = "AAAAAAAAAAAAAAAAAAAAAQ";
const ORDERS_2 = "AAAAAAAAAAAAAAAAAAAAAg";
const OTHER = "AAAAAAAAAAAAAAAAAAAAAw";
const ORDERS_3 = "AAAAAAAAAAAAAAAAAAAABA";

function harness(): ShardHarness {
  const h = new ShardHarness();
  h.topics.set("orders-1", { topicId: ORDERS_1, numPartitions: 2 });
  h.topics.set("orders-2", { topicId: ORDERS_2, numPartitions: 3 });
  h.topics.set("other", { topicId: OTHER, numPartitions: 4 });
  return h;
}

/** Joins with a pattern (as librdkafka 2.12 sends it: no topic names, the regex). */
function joinWithRegex(h: ShardHarness, memberId: string, regex: string): ConsumerGroupHeartbeatResponse {
  return h.consumerHeartbeatResponse(
    h.consumerHeartbeat({
      memberId,
      memberEpoch: 0,
      rebalanceTimeoutMs: 30_000,
      subscribedTopicNames: [],
      subscribedTopicRegex: regex,
      topicPartitions: [],
    }),
  );
}

function beat(
  h: ShardHarness,
  memberId: string,
  memberEpoch: number,
  owned: { topicId: string; partitions: number[] }[],
  extra: { subscribedTopicNames?: string[]; subscribedTopicRegex?: string } = {},
): ConsumerGroupHeartbeatResponse {
  return h.consumerHeartbeatResponse(
    h.consumerHeartbeat({ memberId, memberEpoch, topicPartitions: owned, ...extra }),
  );
}

/** topic id -> partitions, from an answer's assignment (undefined: the answer carries none). */
function assigned(r: ConsumerGroupHeartbeatResponse): Record<string, number[]> | undefined {
  if (r.assignment === null) return undefined;
  return Object.fromEntries(r.assignment.topicPartitions.map((t) => [t.topicId, [...t.partitions]]));
}

function regexRecords(h: ShardHarness) {
  return h.log.filter((r) => r.type === "consumerGroup" && r.name === "ConsumerGroupRegularExpression");
}

/** The topics a pattern's record resolved it to (null: a tombstone or no record). */
function topicsOf(record: { value: unknown } | undefined): string[] | null {
  return (record?.value as { topics: string[] } | null | undefined)?.topics ?? null;
}

test("RE2J patterns: whole-name matches, librdkafka's combined form, flags and quoting", () => {
  const matches = (regex: string, name: string) => compileTopicRegex(regex).test(name);
  assert.ok(matches("orders-.*", "orders-1"));
  assert.ok(!matches("orders", "orders-1"), "the whole name must match, as Matcher.matches()");
  assert.ok(!matches("rders-.*", "orders-1"));
  // librdkafka joins its subscription's patterns as (^a)|(^b).
  assert.ok(matches("(^orders-.*)|(^pay.*)", "payments"));
  assert.ok(!matches("(^orders-.*)|(^pay.*)", "other"));
  assert.ok(matches("(?i)ORDERS-.*", "orders-7"));
  assert.ok(matches("\\Qa.b\\E-[0-9]+", "a.b-12"));
  assert.ok(!matches("\\Qa.b\\E-[0-9]+", "axb-12"), "\\Q...\\E is literal");
  assert.ok(matches("(?P<name>orders)-\\d", "orders-3"));
  assert.ok(matches("\\Aorders\\z", "orders"));
});

test("patterns RE2J refuses get INVALID_REGULAR_EXPRESSION with Kafka's message", () => {
  const refusal = (regex: string) => {
    try {
      compileTopicRegex(regex);
      return "accepted";
    } catch (error) {
      assert.ok(error instanceof KafkaError);
      assert.equal(error.errorCode, ErrorCode.INVALID_REGULAR_EXPRESSION);
      return error.message;
    }
  };
  assert.equal(
    refusal("orders-("),
    "SubscribedTopicRegex `orders-(` is not a valid regular expression: missing closing ).",
  );
  assert.equal(refusal("a)"), "SubscribedTopicRegex `a)` is not a valid regular expression: unexpected ).");
  assert.equal(
    refusal("[a-"),
    "SubscribedTopicRegex `[a-` is not a valid regular expression: missing closing ].",
  );
  assert.equal(
    refusal("*a"),
    "SubscribedTopicRegex `*a` is not a valid regular expression: missing argument to repetition operator.",
  );
  assert.match(refusal("(?=a)b"), /invalid or unsupported Perl syntax/);
  assert.match(refusal("(a)\\1"), /invalid escape sequence/);
});

test("resolution: every pattern gets the sorted names it matches; a broken pattern matches nothing", () => {
  fc.assert(
    fc.property(fc.uniqueArray(fc.stringMatching(/^[a-c]{1,4}$/), { maxLength: 12 }), (names) => {
      const resolved = resolveTopicRegexes(["a.*", "(^b.*)|(^c)", "("], names);
      assert.deepEqual(resolved.get("a.*"), names.filter((n) => n.startsWith("a")).sort());
      assert.deepEqual(
        resolved.get("(^b.*)|(^c)"),
        names.filter((n) => n.startsWith("b") || n === "c").sort(),
      );
      assert.deepEqual(resolved.get("("), []);
    }),
  );
});

test("a member subscribing with a pattern gets the partitions of the topics it matches, in the answer to its join", () => {
  const h = harness();
  const r = joinWithRegex(h, "a", "orders-.*");
  assert.equal(r.errorCode, ErrorCode.NONE);
  assert.equal(r.memberEpoch, 1);
  assert.deepEqual(assigned(r), { [ORDERS_1]: [0, 1], [ORDERS_2]: [0, 1, 2] });
  const [record] = regexRecords(h);
  assert.equal(record?.key.memberId, "orders-.*", "the record is keyed by the pattern");
  assert.deepEqual(topicsOf(record), ["orders-1", "orders-2"]);
  const [described] = h.shard.describeConsumerGroups(["g"]);
  assert.equal(described?.members[0]?.subscribedTopicRegex, "orders-.*");
});

test("a pattern RE2J refuses: INVALID_REGULAR_EXPRESSION, and the member is not in the group", () => {
  const h = harness();
  const r = joinWithRegex(h, "a", "orders-(");
  assert.equal(r.errorCode, ErrorCode.INVALID_REGULAR_EXPRESSION);
  assert.equal(
    r.errorMessage,
    "SubscribedTopicRegex `orders-(` is not a valid regular expression: missing closing ).",
  );
  assert.equal(h.shard.consumerGroup("g")?.members.size ?? 0, 0);
});

test("a topic created later joins the assignment at the first heartbeat after the refresh interval", () => {
  const h = harness();
  joinWithRegex(h, "a", "orders-.*");
  h.topics.set("orders-3", { topicId: ORDERS_3, numPartitions: 1 });
  // Within the interval: resolutions are aligned, nothing moves.
  h.advance(REGEX_REFRESH_INTERVAL_MS / 2);
  const early = beat(h, "a", 1, [
    { topicId: ORDERS_1, partitions: [0, 1] },
    { topicId: ORDERS_2, partitions: [0, 1, 2] },
  ]);
  assert.equal(early.memberEpoch, 1);
  assert.equal(regexRecords(h).length, 1);
  h.advance(REGEX_REFRESH_INTERVAL_MS);
  const later = beat(h, "a", 1, [
    { topicId: ORDERS_1, partitions: [0, 1] },
    { topicId: ORDERS_2, partitions: [0, 1, 2] },
  ]);
  assert.equal(later.memberEpoch, 2, "the group epoch moved with the new topic");
  assert.deepEqual(assigned(later), { [ORDERS_1]: [0, 1], [ORDERS_2]: [0, 1, 2], [ORDERS_3]: [0] });
  assert.deepEqual(topicsOf(regexRecords(h).at(-1)), ["orders-1", "orders-2", "orders-3"]);
  // No new topics since: the next interval writes nothing.
  h.advance(2 * REGEX_REFRESH_INTERVAL_MS);
  const count = regexRecords(h).length;
  beat(h, "a", 2, [
    { topicId: ORDERS_1, partitions: [0, 1] },
    { topicId: ORDERS_2, partitions: [0, 1, 2] },
    { topicId: ORDERS_3, partitions: [0] },
  ]);
  assert.equal(regexRecords(h).length, count);
});

test("two members of one pattern share its topics; a member that moves to topic names drops the pattern's record", () => {
  const h = harness();
  joinWithRegex(h, "a", "orders-.*");
  const b = joinWithRegex(h, "b", "orders-.*");
  assert.equal(b.memberEpoch, 2, "a member taking up a resolved pattern bumps the group epoch");
  assert.equal(regexRecords(h).length, 1, "the pattern was resolved once");
  // a gives up what b gets; then both move to names only ("" is librdkafka's "no pattern").
  beat(h, "a", 1, [], { subscribedTopicNames: ["other"], subscribedTopicRegex: "" });
  const group = h.shard.consumerGroup("g");
  assert.equal(group?.members.get("a")?.subscribedTopicRegex, null);
  assert.ok(group?.resolvedRegexes.has("orders-.*"), "b still uses it");
  beat(h, "b", group?.members.get("b")?.memberEpoch ?? 0, [], {
    subscribedTopicNames: ["other"],
    subscribedTopicRegex: "",
  });
  assert.equal(regexRecords(h).at(-1)?.value, null, "the last user gone: a tombstone");
  assert.equal(h.shard.consumerGroup("g")?.resolvedRegexes.size, 0);
});

test("the group's patterns survive a reload from records encoded as Kafka's (record type 16)", () => {
  const h = harness();
  joinWithRegex(h, "a", "orders-.*");
  const bytes = h.log.map(encodeCoordinatorRecord);
  const regex = bytes.find((b) => b.key.readInt16BE(0) === 16);
  assert.ok(regex !== undefined, "a ConsumerGroupRegularExpression key");
  h.log.splice(0, h.log.length, ...bytes.map((b) => decodeCoordinatorRecord(b) ?? assert.fail("decodes")));
  h.reload();
  const group = h.shard.consumerGroup("g");
  assert.deepEqual(group?.resolvedRegexes.get("orders-.*")?.topics, ["orders-1", "orders-2"]);
  assert.equal(group?.members.get("a")?.subscribedTopicRegex, "orders-.*");
  // Within the interval after the reload, the member keeps what it had, nothing is resolved again.
  const r = beat(h, "a", 1, [
    { topicId: ORDERS_1, partitions: [0, 1] },
    { topicId: ORDERS_2, partitions: [0, 1, 2] },
  ]);
  assert.equal(r.memberEpoch, 1);
});

test("deleting an empty group writes its patterns' tombstones", () => {
  const h = harness();
  joinWithRegex(h, "a", "orders-.*");
  h.consumerHeartbeatResponse(h.consumerHeartbeat({ memberId: "a", memberEpoch: -1 }));
  h.request((handle) => h.shard.deleteGroups(handle, ["g"]));
  const last = regexRecords(h).at(-1);
  assert.equal(last?.key.memberId, "orders-.*");
  assert.equal(last?.value, null);
});

test("with an authorizer, a pattern resolves only to the topics the member may DESCRIBE", () => {
  const h = harness();
  const r = h.consumerHeartbeatResponse(
    h.consumerHeartbeat(
      {
        memberId: "a",
        memberEpoch: 0,
        rebalanceTimeoutMs: 30_000,
        subscribedTopicNames: [],
        subscribedTopicRegex: "orders-.*",
        topicPartitions: [],
      },
      { describableTopics: (names) => new Set(names.filter((n) => n !== "orders-2")) },
    ),
  );
  assert.deepEqual(assigned(r), { [ORDERS_1]: [0, 1] });
  assert.deepEqual(topicsOf(regexRecords(h).at(-1)), ["orders-1"]);
});
