import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { Kafka } from "kafkajs";
import { BrokerProcess, TEST_TIMEOUT_MS, waitFor } from "../broker-process.js";
import { kafkajsClient } from "../kafkajs-client.js";
import {
  createTopic,
  type Delivery,
  diagnostics,
  GROUP_BROKER_OVERRIDES,
  HEARTBEAT_INTERVAL_MS,
  killMembers,
  MemberProcess,
  type Produced,
  produceNumbered,
  SESSION_TIMEOUT_MS,
} from "./group-harness.js";

/**
 * A consumer that commits, stops and restarts resumes from its committed offset: not from where
 * it had read to, not from the beginning. Each consumer commits once, part-way (after its 25th
 * record), reads on to the end without committing, and stops; its successor in the same group gets
 * exactly the records from the committed offsets on, the uncommitted ones again included. For kafkajs
 * and for confluent-kafka (Python), and across them: kafkajs picks up a group Python committed.
 */

const TOPIC = "resumable";
const PARTITIONS = 3;
const PER_PARTITION = 20;
const COMMIT_AFTER = 25;
const DELIVERY_TIMEOUT_MS = 20_000;

let broker: BrokerProcess;
let kafka: Kafka;
const members: MemberProcess[] = [];
const produced: Produced[] = [];

before(async () => {
  broker = await BrokerProcess.start({
    overrides: { ...GROUP_BROKER_OVERRIDES, "num.partitions": String(PARTITIONS) },
  });
  kafka = kafkajsClient(broker.bootstrap);
  await createTopic(kafka, TOPIC, PARTITIONS);
  produced.push(...(await produceNumbered(kafka, TOPIC, PARTITIONS, "first", PER_PARTITION)));
});

after(async () => {
  await killMembers(members);
  await broker?.dispose();
});

type Client = "kafkajs" | "python";

function startMember(client: Client, name: string, group: string, commitOnceAfter?: number): MemberProcess {
  const commit =
    commitOnceAfter === undefined ? {} : { commitEveryMessages: commitOnceAfter, commitOnce: true };
  const member =
    client === "kafkajs"
      ? MemberProcess.kafkajs(name, {
          bootstrap: broker.bootstrap,
          groupId: group,
          topic: TOPIC,
          sessionTimeoutMs: SESSION_TIMEOUT_MS,
          heartbeatIntervalMs: HEARTBEAT_INTERVAL_MS,
          ...commit,
        })
      : MemberProcess.python(name, {
          topic: TOPIC,
          ...commit,
          config: {
            "bootstrap.servers": broker.bootstrap,
            "group.id": group,
            "client.id": name,
            "session.timeout.ms": SESSION_TIMEOUT_MS,
            "heartbeat.interval.ms": HEARTBEAT_INTERVAL_MS,
            "auto.offset.reset": "earliest",
            // Only the member's own commit; the successor auto-commits (it is not checked).
            "enable.auto.commit": commitOnceAfter === undefined,
          },
        });
  members.push(member);
  return member;
}

/** Waits until `member` has received every record in `expected` (partition:offset). */
async function waitForDeliveries(member: MemberProcess, expected: Produced[]): Promise<Delivery[]> {
  const want = new Set(expected.map((p) => `${p.partition}:${p.offset}`));
  return waitFor(
    `${member.name} receiving ${want.size} records`,
    async () => {
      const got = new Set(member.deliveries().map((d) => `${d.partition}:${d.offset}`));
      return [...want].every((k) => got.has(k)) ? member.deliveries() : undefined;
    },
    DELIVERY_TIMEOUT_MS,
  ).catch((e: unknown) => {
    throw new Error(`${String(e)} (got ${member.deliveries().length})\n${diagnostics(broker, members)}`);
  });
}

async function fetchCommitted(group: string): Promise<Map<number, number>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const [topic] = await admin.fetchOffsets({ groupId: group, topics: [TOPIC] });
    return new Map((topic?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
  } finally {
    await admin.disconnect();
  }
}

/**
 * Runs a member that commits once after COMMIT_AFTER records and reads on to the end, stops it,
 * and checks the group's committed offsets are its positions at that commit.
 */
async function consumeAndCommitPartWay(client: Client, group: string): Promise<Map<number, number>> {
  const member = startMember(client, `${client}-committer`, group, COMMIT_AFTER);
  const deliveries = await waitForDeliveries(member, produced);
  const positions = new Map<number, number>();
  for (const d of deliveries.slice(0, COMMIT_AFTER)) positions.set(d.partition, d.offset + 1);
  await member.stop();
  const committed = await fetchCommitted(group);
  for (let p = 0; p < PARTITIONS; p++) {
    assert.equal(committed.get(p), positions.get(p) ?? -1, `committed offset of partition ${p}`);
  }
  return committed;
}

/** A successor in `group` must receive exactly the records at or after the committed offsets. */
async function assertResumes(client: Client, group: string, committed: Map<number, number>): Promise<void> {
  const expected = produced.filter((p) => p.offset >= Math.max(0, committed.get(p.partition) ?? 0));
  assert.ok(expected.length < produced.length, "the commit covered some records");
  const successor = startMember(client, `${client}-successor-${members.length}`, group);
  const deliveries = await waitForDeliveries(successor, expected);
  // Per partition records arrive in offset order, so a start before the commit would show already.
  const got = successor
    .deliveries()
    .map((d) => `${d.partition}:${d.offset}`)
    .sort();
  assert.deepEqual(got, expected.map((p) => `${p.partition}:${p.offset}`).sort(), "from the commit on, once");
  assert.ok(deliveries.length > 0);
  await successor.stop();
}

test("a kafkajs consumer that committed, stopped and restarted resumes from its committed offset", {
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  const committed = await consumeAndCommitPartWay("kafkajs", "resume-kafkajs");
  await assertResumes("kafkajs", "resume-kafkajs", committed);
});

test("a confluent-kafka consumer that committed, stopped and restarted resumes from its committed offset", {
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  const committed = await consumeAndCommitPartWay("python", "resume-python");
  await assertResumes("python", "resume-python", committed);
});

test("a kafkajs consumer resumes a group whose offsets confluent-kafka committed", {
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  const committed = await consumeAndCommitPartWay("python", "resume-across");
  await assertResumes("kafkajs", "resume-across", committed);
});
