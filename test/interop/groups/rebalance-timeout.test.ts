import assert from "node:assert/strict";
import { test } from "node:test";
import { TEST_TIMEOUT_MS, waitFor } from "../broker-process.js";
import {
  deliveryCounts,
  groupFixture,
  HEARTBEAT_INTERVAL_MS,
  MemberProcess,
  missing,
  type Produced,
  produceNumbered,
  SESSION_TIMEOUT_MS,
  SETTLE_TIMEOUT_MS,
} from "./group-harness.js";

/**
 * A member stuck in its message handler (kafkajs heartbeats only between messages) while another
 * joins: the rebalance waits for it no longer than its rebalance (and session) timeout, then goes
 * on without it, so the newcomer gets every partition and consumes from the stuck member's commits.
 * When the stuck member wakes up, the coordinator no longer knows it; it rejoins and the group
 * splits the partitions. Only the record it was stuck on is delivered twice.
 */

const TOPIC = "slow";
const GROUP = "slow-group";
const PARTITIONS = 4;
const ALL_PARTITIONS = Array.from({ length: PARTITIONS }, (_, p) => p);
const BLOCKED_MS = 14_000;
/** After the timeout: the expiry check, the newcomer's join and sync, process start-up. */
const MARGIN_MS = 8000;
const DELIVERY_TIMEOUT_MS = 20_000;

const members: MemberProcess[] = [];
const produced: Produced[] = [];
const group = groupFixture(TOPIC, PARTITIONS, () => members);

const why = group.why;
const deliveries = () => members.flatMap((m) => m.deliveries());

function startMember(name: string, blockFirstMessageMs?: number): MemberProcess {
  const member = MemberProcess.kafkajs(name, {
    bootstrap: group.broker.bootstrap,
    groupId: GROUP,
    topic: TOPIC,
    sessionTimeoutMs: SESSION_TIMEOUT_MS,
    heartbeatIntervalMs: HEARTBEAT_INTERVAL_MS,
    ...(blockFirstMessageMs === undefined ? {} : { blockFirstMessageMs }),
  });
  members.push(member);
  return member;
}

async function waitForAllDelivered(): Promise<void> {
  await waitFor(
    "every produced record delivered",
    async () => (missing(produced, deliveries()).length === 0 ? true : undefined),
    DELIVERY_TIMEOUT_MS,
  ).catch((e: unknown) => {
    throw new Error(`${String(e)}; missing ${missing(produced, deliveries()).slice(0, 10)}\n${why()}`);
  });
}

test("a member stuck past its rebalance timeout is left behind, and rejoins when it wakes", {
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  const stuck = startMember("stuck", BLOCKED_MS);
  await stuck.waitForEvent("joining with every partition", (e) => e.event === "joined", SETTLE_TIMEOUT_MS);
  produced.push(...(await produceNumbered(group.kafka, TOPIC, PARTITIONS, "first", 5)));
  const blocked = await stuck.waitForEvent("blocking", (e) => e.event === "blocked", DELIVERY_TIMEOUT_MS);
  const blockedAt = Date.now();

  const newcomer = startMember("newcomer");
  await waitFor(
    "the newcomer owning every partition",
    async () => (JSON.stringify(newcomer.assignment()) === JSON.stringify(ALL_PARTITIONS) ? true : undefined),
    SESSION_TIMEOUT_MS + MARGIN_MS,
  ).catch((e: unknown) => {
    throw new Error(`${String(e)}\n${why()}`);
  });
  assert.ok(Date.now() - blockedAt < BLOCKED_MS, "the group went on while the member was still stuck");
  await waitForAllDelivered();

  // The stuck member wakes up, finds itself unknown, rejoins; the two split the partitions.
  await waitFor(
    "the two members splitting the partitions",
    async () => {
      const owned = [stuck.assignment() ?? [], newcomer.assignment() ?? []];
      if (owned.some((o) => o.length === 0)) return undefined;
      return JSON.stringify(owned.flat().sort((a, b) => a - b)) === JSON.stringify(ALL_PARTITIONS)
        ? true
        : undefined;
    },
    BLOCKED_MS + SETTLE_TIMEOUT_MS,
  ).catch((e: unknown) => {
    throw new Error(`${String(e)}\n${why()}`);
  });
  produced.push(...(await produceNumbered(group.kafka, TOPIC, PARTITIONS, "second", 5)));
  await waitForAllDelivered();

  const twice = [...deliveryCounts(deliveries())].filter(([, n]) => n > 1).map(([k]) => k);
  assert.deepEqual(twice, [`${blocked.partition}:${blocked.offset}`], `records delivered twice\n${why()}`);
  await Promise.all(members.map((m) => m.stop()));
});
