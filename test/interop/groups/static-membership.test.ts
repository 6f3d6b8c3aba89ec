import assert from "node:assert/strict";
import { test } from "node:test";
import { TEST_TIMEOUT_MS, waitFor } from "../broker-process.js";
import {
  groupFixture,
  HEARTBEAT_INTERVAL_MS,
  type MemberEvent,
  MemberProcess,
  missing,
  type Produced,
  produceNumbered,
  SETTLE_TIMEOUT_MS,
} from "./group-harness.js";

/**
 * Static membership (KIP-345) with confluent-kafka: members with a `group.instance.id` do not
 * leave the group when they close, so one that restarts within its session timeout gets its old
 * partitions back without a rebalance (the other member sees nothing), and resumes from its
 * commits. A second process with an instance id already in use takes it over, and the older one
 * is fenced (FENCED_INSTANCE_ID, fatal for librdkafka).
 */

const TOPIC = "static";
const GROUP = "static-group";
const PARTITIONS = 4;
/** Long enough for a member process to close and a new one to start within it. */
const STATIC_SESSION_TIMEOUT_MS = 15_000;
const DELIVERY_TIMEOUT_MS = 20_000;

const members: MemberProcess[] = [];
const produced: Produced[] = [];
const group = groupFixture(TOPIC, PARTITIONS, () => members);

const why = group.why;

function startStatic(name: string, instanceId: string): MemberProcess {
  const member = MemberProcess.python(name, {
    topic: TOPIC,
    config: {
      "bootstrap.servers": group.broker.bootstrap,
      "group.id": GROUP,
      "group.instance.id": instanceId,
      "client.id": name,
      "session.timeout.ms": STATIC_SESSION_TIMEOUT_MS,
      "heartbeat.interval.ms": HEARTBEAT_INTERVAL_MS,
      "auto.offset.reset": "earliest",
      "auto.commit.interval.ms": 500,
    },
  });
  members.push(member);
  return member;
}

const rebalances = (m: MemberProcess): MemberEvent[] =>
  m.events.filter((e) => e.event === "assign" || e.event === "revoke" || e.event === "lost");

async function waitForSplit(a: MemberProcess, b: MemberProcess): Promise<void> {
  await waitFor(
    "two members splitting the partitions",
    async () => {
      const owned = [a.assignment() ?? [], b.assignment() ?? []];
      if (owned.some((o) => o.length === 0)) return undefined;
      return owned.flat().length === PARTITIONS && new Set(owned.flat()).size === PARTITIONS
        ? true
        : undefined;
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
    throw new Error(`${String(e)}; missing ${missing(produced, deliveries()).slice(0, 10)}\n${why()}`);
  });
}

test("a static member that restarts within its session timeout gets its partitions back without a rebalance", {
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  const first = startStatic("static-a", "instance-a");
  const other = startStatic("static-b", "instance-b");
  await waitForSplit(first, other);
  produced.push(...(await produceNumbered(group.kafka, TOPIC, PARTITIONS, "before-restart", 10)));
  await waitForAllDelivered();

  const owned = first.assignment()!;
  const otherRebalances = rebalances(other).length;
  await first.stop();
  produced.push(...(await produceNumbered(group.kafka, TOPIC, PARTITIONS, "during-restart", 5)));
  const restarted = startStatic("static-a-restarted", "instance-a");
  await restarted.waitForEvent(
    "an assignment",
    (e) => e.event === "assign" && (e.partitions ?? []).length > 0,
    SETTLE_TIMEOUT_MS,
  );
  assert.deepEqual(restarted.assignment(), owned, "the same partitions as before the restart");
  produced.push(...(await produceNumbered(group.kafka, TOPIC, PARTITIONS, "after-restart", 5)));
  await waitForAllDelivered();
  assert.equal(rebalances(other).length, otherRebalances, `the other member saw no rebalance\n${why()}`);
  // It resumed from the commits its predecessor made on close: nothing read twice.
  const again = restarted.deliveries().filter((d) => d.value?.startsWith("before-restart"));
  assert.deepEqual(again, [], "records of before the restart delivered again");
});

test("a second process with the same group.instance.id fences the first", {
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  const incumbent = members.find((m) => m.name === "static-a-restarted" && m.alive);
  assert.ok(incumbent !== undefined);
  const owned = incumbent.assignment()!;
  const usurper = startStatic("static-a-duplicate", "instance-a");
  await usurper.waitForEvent(
    "an assignment",
    (e) => e.event === "assign" && (e.partitions ?? []).length > 0,
    SETTLE_TIMEOUT_MS,
  );
  assert.deepEqual(usurper.assignment(), owned);
  await incumbent
    .waitForEvent(
      "being fenced",
      (e) => e.event === "error" && /fenced|FENCED_INSTANCE_ID/i.test(e.error ?? ""),
      SETTLE_TIMEOUT_MS,
    )
    .catch((e: unknown) => {
      throw new Error(`${String(e)}\n${why()}`);
    });
  produced.push(...(await produceNumbered(group.kafka, TOPIC, PARTITIONS, "after-fencing", 5)));
  await waitForAllDelivered();
});
