import assert from "node:assert/strict";
import { test } from "node:test";
import { TEST_TIMEOUT_MS, waitFor } from "../broker-process.js";
import {
  groupFixture,
  HEARTBEAT_INTERVAL_MS,
  type MemberEvent,
  MemberProcess,
  SESSION_TIMEOUT_MS,
  SETTLE_TIMEOUT_MS,
} from "./group-harness.js";

/**
 * How the coordinator picks a group's protocol and whom it turns away, seen by real clients:
 * confluent-kafka members offering "range,roundrobin" and "roundrobin" agree on roundrobin (the
 * only one all support); a kafkajs member, whose only protocol is "RoundRobinAssigner", is refused
 * with INCONSISTENT_GROUP_PROTOCOL and the running group does not notice; and a member asking for
 * a session timeout below group.min.session.timeout.ms is refused with INVALID_SESSION_TIMEOUT.
 */

const TOPIC = "chosen";
const GROUP = "chosen-group";
const PARTITIONS = 4;

const members: MemberProcess[] = [];
const group = groupFixture(TOPIC, PARTITIONS, () => members);

const why = group.why;

function startPython(name: string, strategy: string): MemberProcess {
  const member = MemberProcess.python(name, {
    topic: TOPIC,
    config: {
      "bootstrap.servers": group.broker.bootstrap,
      "group.id": GROUP,
      "client.id": name,
      "partition.assignment.strategy": strategy,
      "session.timeout.ms": SESSION_TIMEOUT_MS,
      "heartbeat.interval.ms": HEARTBEAT_INTERVAL_MS,
      "auto.offset.reset": "earliest",
    },
  });
  members.push(member);
  return member;
}

function startKafkajs(name: string, sessionTimeoutMs: number, groupId = GROUP): MemberProcess {
  const member = MemberProcess.kafkajs(name, {
    bootstrap: group.broker.bootstrap,
    groupId,
    topic: TOPIC,
    sessionTimeoutMs,
    heartbeatIntervalMs: HEARTBEAT_INTERVAL_MS,
  });
  members.push(member);
  return member;
}

async function describe(): Promise<{ state: string; protocol: string; members: number }> {
  const admin = group.kafka.admin();
  await admin.connect();
  try {
    const { groups } = await admin.describeGroups([GROUP]);
    const g = groups[0]!;
    return { state: g.state, protocol: g.protocol, members: g.members.length };
  } finally {
    await admin.disconnect();
  }
}

const rebalances = (m: MemberProcess): MemberEvent[] =>
  m.events.filter((e) => e.event === "assign" || e.event === "revoke" || e.event === "lost");

test("members offering range,roundrobin and roundrobin agree on roundrobin", {
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  const a = startPython("offers-both", "range,roundrobin");
  const b = startPython("offers-roundrobin", "roundrobin");
  const settled = await waitFor(
    "a Stable group of two",
    async () => {
      const d = await describe();
      const split = (a.assignment() ?? []).length + (b.assignment() ?? []).length === PARTITIONS;
      return d.state === "Stable" && d.members === 2 && split ? d : undefined;
    },
    SETTLE_TIMEOUT_MS,
  ).catch((e: unknown) => {
    throw new Error(`${String(e)}\n${why()}`);
  });
  assert.equal(settled.protocol, "roundrobin");
  // librdkafka's roundrobin interleaves members over the partitions (range would give 0,1 and 2,3).
  const owned = [a.assignment()!, b.assignment()!].sort((x, y) => (x[0] ?? 0) - (y[0] ?? 0));
  assert.deepEqual(owned, [
    [0, 2],
    [1, 3],
  ]);
});

test("a member without a protocol in common is refused; the group carries on", {
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  const [a, b] = members as [MemberProcess, MemberProcess];
  const before = [rebalances(a).length, rebalances(b).length];
  const stranger = startKafkajs("kafkajs-stranger", SESSION_TIMEOUT_MS);
  const crash = await stranger.waitForEvent("a crash", (e) => e.event === "crash", SETTLE_TIMEOUT_MS);
  assert.match(crash.error ?? "", /protocols are incompatible|INCONSISTENT_GROUP_PROTOCOL/i);
  await stranger.kill();
  const d = await describe();
  assert.deepEqual([d.state, d.members, d.protocol], ["Stable", 2, "roundrobin"]);
  assert.deepEqual(
    [rebalances(a).length, rebalances(b).length],
    before,
    "no rebalance for the refused member",
  );
});

test("a session timeout below group.min.session.timeout.ms is refused", {
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  const hasty = startKafkajs("kafkajs-hasty", 3000, "hasty-group");
  const crash = await hasty.waitForEvent("a crash", (e) => e.event === "crash", SETTLE_TIMEOUT_MS);
  assert.match(crash.error ?? "", /session timeout|INVALID_SESSION_TIMEOUT/i);
  await hasty.kill();
  await Promise.all(members.filter((m) => m.alive).map((m) => m.stop()));
});
