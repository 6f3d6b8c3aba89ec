import assert from "node:assert/strict";
import { test } from "node:test";
import { AssignerProtocol } from "kafkajs";
import { TEST_TIMEOUT_MS, waitFor } from "../broker-process.js";
import {
  type Delivery,
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
 * Three kafkajs consumers, each in its own process, in one group on a 6-partition topic of a
 * Brook broker process. While all three live, every partition has exactly one owner and every
 * record reaches exactly one of them, once. Then one is SIGKILLed (no LeaveGroup, no last commit):
 * the coordinator expires its session, the survivors take over its partitions from its last
 * committed offsets, and nothing produced before or after the kill is lost; the only records
 * delivered twice are the dead member's consumed-but-uncommitted ones.
 */

const TOPIC = "shared";
const GROUP = "sharing";
const PARTITIONS = 6;
const ALL_PARTITIONS = Array.from({ length: PARTITIONS }, (_, p) => p);
/** After the session timeout: the survivors' next heartbeat, their rejoin and the sync. */
const TAKEOVER_MARGIN_MS = 8000;
const DELIVERY_TIMEOUT_MS = 20_000;

const members = new Map<string, MemberProcess>();
const produced: Produced[] = [];
const group = groupFixture(TOPIC, PARTITIONS, () => members.values());

function startMember(name: string, commitEveryMessages?: number): MemberProcess {
  const member = MemberProcess.kafkajs(name, {
    bootstrap: group.broker.bootstrap,
    groupId: GROUP,
    topic: TOPIC,
    sessionTimeoutMs: SESSION_TIMEOUT_MS,
    heartbeatIntervalMs: HEARTBEAT_INTERVAL_MS,
    ...(commitEveryMessages === undefined ? {} : { commitEveryMessages }),
  });
  members.set(name, member);
  return member;
}

const live = () => [...members.values()].filter((m) => m.alive);
const allDeliveries = (): Delivery[] => [...members.values()].flatMap((m) => m.deliveries());
const why = group.why;

/** Member assignments as the coordinator describes them: clientId -> partitions of TOPIC. */
async function describedAssignments(): Promise<{ state: string; byClient: Map<string, number[]> }> {
  const admin = group.kafka.admin();
  await admin.connect();
  try {
    const { groups } = await admin.describeGroups([GROUP]);
    const group = groups[0];
    assert.ok(group !== undefined);
    const byClient = new Map<string, number[]>();
    for (const m of group.members) {
      const assignment = AssignerProtocol.MemberAssignment.decode(m.memberAssignment);
      byClient.set(
        m.clientId,
        [...(assignment?.assignment[TOPIC] ?? [])].sort((a, b) => a - b),
      );
    }
    return { state: group.state, byClient };
  } finally {
    await admin.disconnect();
  }
}

/**
 * Waits until the live members' own views of their assignments partition the topic (disjoint,
 * covering every partition), and the coordinator describes the same assignment, Stable.
 */
async function waitForBalancedGroup(timeoutMs: number): Promise<Map<string, number[]>> {
  return waitFor(
    "a balanced, Stable group",
    async () => {
      const owners = new Map<string, number[]>();
      for (const m of live()) {
        const partitions = m.assignment();
        if (partitions === undefined || partitions.length === 0) return undefined;
        owners.set(m.name, partitions);
      }
      const union = [...owners.values()].flat().sort((a, b) => a - b);
      if (JSON.stringify(union) !== JSON.stringify(ALL_PARTITIONS)) return undefined;
      const described = await describedAssignments();
      if (described.state !== "Stable" || described.byClient.size !== owners.size) return undefined;
      for (const [name, partitions] of owners) {
        if (JSON.stringify(described.byClient.get(name)) !== JSON.stringify(partitions)) return undefined;
      }
      return owners;
    },
    timeoutMs,
  );
}

async function waitForAllDelivered(): Promise<void> {
  await waitFor(
    "every produced record delivered",
    async () => (missing(produced, allDeliveries()).length === 0 ? true : undefined),
    DELIVERY_TIMEOUT_MS,
  ).catch((error: unknown) => {
    const gone = missing(produced, allDeliveries());
    throw new Error(`${String(error)}; ${gone.length} missing, e.g. ${gone.slice(0, 10)}\n${why()}`);
  });
}

function ownerOf(owners: Map<string, number[]>, partition: number): string | undefined {
  for (const [name, partitions] of owners) if (partitions.includes(partition)) return name;
  return undefined;
}

let ownersWhileAllAlive = new Map<string, number[]>();

test("three kafkajs consumers share six partitions and receive every record exactly once", {
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  startMember("member-a");
  startMember("member-b");
  // The member that will be killed commits by itself every 7 messages, so it dies with
  // consumed-but-uncommitted records on its partitions.
  startMember("member-c", 7);
  ownersWhileAllAlive = await waitForBalancedGroup(SETTLE_TIMEOUT_MS).catch((e: unknown) => {
    throw new Error(`${String(e)}\n${why()}`);
  });
  for (const partitions of ownersWhileAllAlive.values()) assert.equal(partitions.length, 2);

  produced.push(...(await produceNumbered(group.kafka, TOPIC, PARTITIONS, "alive", 30)));
  await waitForAllDelivered();

  const deliveries = allDeliveries();
  const counts = deliveryCounts(deliveries);
  const duplicated = [...counts].filter(([, n]) => n > 1);
  assert.deepEqual(duplicated, [], `records delivered more than once\n${why()}`);
  assert.equal(deliveries.length, produced.length);
  for (const d of deliveries) {
    assert.equal(d.member, ownerOf(ownersWhileAllAlive, d.partition), `partition ${d.partition} owner`);
  }
  const values = new Map(produced.map((p) => [`${p.partition}:${p.offset}`, p.value]));
  for (const d of deliveries) assert.equal(d.value, values.get(`${d.partition}:${d.offset}`));
  for (const m of members.values()) assert.deepEqual(m.crashes(), [], `${m.name} crashed\n${why()}`);
});

test("a SIGKILLed member's partitions move to the survivors within the session timeout, nothing lost", {
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  const victim = members.get("member-c");
  assert.ok(victim?.alive, "the first test started member-c");
  const victimPartitions = ownersWhileAllAlive.get("member-c") ?? [];
  // Records the victim consumes right before it dies, partly uncommitted (it commits every 7th).
  produced.push(...(await produceNumbered(group.kafka, TOPIC, PARTITIONS, "before-kill", 17)));
  await waitForAllDelivered();

  await victim.kill();
  const killedAt = Date.now();
  // The victim can no longer commit and nobody else owns its partitions yet: these are its last.
  const committed = await committedOffsets();
  produced.push(...(await produceNumbered(group.kafka, TOPIC, PARTITIONS, "after-kill", 20)));

  const owners = await waitForBalancedGroup(SESSION_TIMEOUT_MS + TAKEOVER_MARGIN_MS).catch((e: unknown) => {
    throw new Error(
      `${String(e)} within ${SESSION_TIMEOUT_MS + TAKEOVER_MARGIN_MS} ms of the kill\n${why()}`,
    );
  });
  const takeoverMs = Date.now() - killedAt;
  assert.deepEqual([...owners.keys()].sort(), ["member-a", "member-b"]);
  await waitForAllDelivered();

  // At-least-once, and only just: the records delivered twice are exactly the ones the victim had
  // consumed past its last commit (it commits every 7th record, so it died with some).
  const uncommitted = victim
    .deliveries()
    .filter((d) => d.offset >= Math.max(0, committed.get(d.partition) ?? 0))
    .map((d) => `${d.partition}:${d.offset}`)
    .sort();
  assert.ok(uncommitted.length > 0, "the victim died with consumed but uncommitted records");
  const counts = deliveryCounts(allDeliveries());
  assert.ok(
    [...counts.values()].every((n) => n <= 2),
    `a record delivered 3 times\n${why()}`,
  );
  const twice = [...counts].filter(([, n]) => n === 2).map(([k]) => k);
  assert.deepEqual(twice.sort(), uncommitted, "records delivered twice");
  // The survivors resumed each of the victim's partitions exactly at its last committed offset
  // (they had never read those partitions before: the records were produced once the group was
  // balanced).
  for (const partition of victimPartitions) {
    const taken = live()
      .flatMap((m) => m.deliveries())
      .filter((d) => d.partition === partition);
    const from = Math.max(0, committed.get(partition) ?? 0);
    assert.equal(Math.min(...taken.map((d) => d.offset)), from, `partition ${partition} resumed there`);
  }
  for (const m of live()) assert.deepEqual(m.crashes(), [], `${m.name} crashed\n${why()}`);
  console.log(`takeover after the kill: ${takeoverMs} ms (session timeout ${SESSION_TIMEOUT_MS} ms)`);
  await Promise.all(live().map((m) => m.stop()));
});

async function committedOffsets(): Promise<Map<number, number>> {
  const admin = group.kafka.admin();
  await admin.connect();
  try {
    const [topic] = await admin.fetchOffsets({ groupId: GROUP, topics: [TOPIC] });
    return new Map((topic?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
  } finally {
    await admin.disconnect();
  }
}
