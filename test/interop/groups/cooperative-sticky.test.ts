import assert from "node:assert/strict";
import { test } from "node:test";
import { TEST_TIMEOUT_MS, waitFor } from "../broker-process.js";
import {
  deliveryCounts,
  groupFixture,
  HEARTBEAT_INTERVAL_MS,
  type MemberEvent,
  MemberProcess,
  missing,
  type Produced,
  produceNumbered,
  SESSION_TIMEOUT_MS,
  SETTLE_TIMEOUT_MS,
} from "./group-harness.js";

/**
 * librdkafka's incremental cooperative rebalancing (KIP-429) over Brook's classic group protocol:
 * confluent-kafka Python consumers with `partition.assignment.strategy=cooperative-sticky`. A second
 * member joining a running group takes half the partitions while the first keeps the other half
 * throughout (it revokes only what moves, never its whole assignment); when the first closes, the
 * second gains its partitions without giving up its own. Every record is delivered.
 */

const TOPIC = "cooperative";
const GROUP = "cooperative-group";
const PARTITIONS = 6;
const ALL_PARTITIONS = Array.from({ length: PARTITIONS }, (_, p) => p);
const DELIVERY_TIMEOUT_MS = 20_000;

const members: MemberProcess[] = [];
const produced: Produced[] = [];
const group = groupFixture(TOPIC, PARTITIONS, () => members);

const why = group.why;

function startMember(name: string): MemberProcess {
  const member = MemberProcess.python(name, {
    topic: TOPIC,
    config: {
      "bootstrap.servers": group.broker.bootstrap,
      "group.id": GROUP,
      "client.id": name,
      "partition.assignment.strategy": "cooperative-sticky",
      "session.timeout.ms": SESSION_TIMEOUT_MS,
      "heartbeat.interval.ms": HEARTBEAT_INTERVAL_MS,
      "auto.offset.reset": "earliest",
      "enable.auto.commit": true,
      "auto.commit.interval.ms": 500,
    },
  });
  members.push(member);
  return member;
}

async function waitForAssignments(expected: MemberProcess[], what: string): Promise<void> {
  await waitFor(
    what,
    async () => {
      const owned = expected.map((m) => m.assignment() ?? []);
      if (owned.some((partitions) => partitions.length === 0)) return undefined;
      const union = owned.flat().sort((a, b) => a - b);
      return JSON.stringify(union) === JSON.stringify(ALL_PARTITIONS) ? true : undefined;
    },
    SETTLE_TIMEOUT_MS,
  ).catch((e: unknown) => {
    throw new Error(`${String(e)}\n${why()}`);
  });
}

async function waitForAllDelivered(): Promise<void> {
  const deliveries = () => members.flatMap((m) => m.deliveries());
  await waitFor(
    "every produced record delivered",
    async () => (missing(produced, deliveries()).length === 0 ? true : undefined),
    DELIVERY_TIMEOUT_MS,
  ).catch((e: unknown) => {
    const gone = missing(produced, deliveries());
    throw new Error(`${String(e)}; ${gone.length} missing, e.g. ${gone.slice(0, 10)}\n${why()}`);
  });
}

const rebalanceEvents = (events: MemberEvent[]) =>
  events.filter((e) => e.event === "assign" || e.event === "revoke" || e.event === "lost");

async function describedProtocol(): Promise<{ state: string; protocol: string; members: number }> {
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

test("a cooperative-sticky member joins a running group and takes partitions incrementally", {
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  const first = startMember("py-first");
  await waitForAssignments([first], "py-first owning every partition");
  produced.push(...(await produceNumbered(group.kafka, TOPIC, PARTITIONS, "one-member", 10)));
  await waitForAllDelivered();

  const firstEventsBefore = rebalanceEvents(first.events).length;
  const second = startMember("py-second");
  await waitForAssignments([first, second], "the two members splitting the partitions");
  await waitFor("the group Stable with two members", async () => {
    const d = await describedProtocol();
    return d.state === "Stable" && d.members === 2 ? d : undefined;
  });
  assert.equal((await describedProtocol()).protocol, "cooperative-sticky");

  const firstOwned = first.assignment()!;
  const secondOwned = second.assignment()!;
  assert.equal(firstOwned.length + secondOwned.length, PARTITIONS, "disjoint assignments");
  assert.equal(firstOwned.length, PARTITIONS / 2, "the sticky assignor balances the two members");
  // The first member gave up exactly what the second now owns, and nothing else; it never stood
  // with an empty assignment (an eager rebalance revokes everything first).
  const firstRebalance = rebalanceEvents(first.events).slice(firstEventsBefore);
  const revoked = firstRebalance.filter((e) => e.event === "revoke").flatMap((e) => e.partitions ?? []);
  assert.deepEqual(
    revoked.sort((a, b) => a - b),
    secondOwned,
    `py-first revoked\n${why()}`,
  );
  assert.ok(
    firstRebalance.every((e) => (e.assignment ?? []).length > 0),
    `py-first kept partitions throughout: ${JSON.stringify(firstRebalance)}`,
  );
  assert.ok(
    rebalanceEvents(second.events).every((e) => e.event === "assign"),
    "py-second only gained partitions",
  );

  produced.push(...(await produceNumbered(group.kafka, TOPIC, PARTITIONS, "two-members", 10)));
  await waitForAllDelivered();
});

test("when a cooperative-sticky member closes, the other gains its partitions and keeps its own", {
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  const [first, second] = members as [MemberProcess, MemberProcess];
  const secondOwned = second.assignment()!;
  const secondEventsBefore = rebalanceEvents(second.events).length;
  const firstOwned = first.assignment()!;
  await first.stop();

  await waitForAssignments([second], "py-second owning every partition");
  const secondRebalance = rebalanceEvents(second.events).slice(secondEventsBefore);
  assert.ok(
    secondRebalance.every((e) => e.event === "assign"),
    `py-second revoked nothing: ${JSON.stringify(secondRebalance)}`,
  );
  const gained = secondRebalance.flatMap((e) => e.partitions ?? []).sort((a, b) => a - b);
  assert.deepEqual(gained, firstOwned);
  assert.ok(secondOwned.every((p) => second.assignment()!.includes(p)));

  produced.push(...(await produceNumbered(group.kafka, TOPIC, PARTITIONS, "after-close", 10)));
  await waitForAllDelivered();
  // librdkafka commits what it consumed before it gives a partition up (auto commit on revoke and
  // on close), and the new owner fetches that commit: no record is delivered twice.
  const twice = [...deliveryCounts(members.flatMap((m) => m.deliveries()))].filter(([, n]) => n > 1);
  assert.deepEqual(twice, [], `records delivered twice\n${why()}`);
  const errors = members.flatMap((m) => m.events.filter((e) => e.event === "error"));
  assert.deepEqual(errors, [], `client errors\n${why()}`);
  await second.stop();
});
