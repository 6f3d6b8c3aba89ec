import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { Kafka } from "kafkajs";
import { AdminClient } from "../../../src/client/index.js";
import { BrokerProcess, currentLibrdkafkaEnv, TEST_TIMEOUT_MS, waitFor } from "../broker-process.js";
import { kafkajsClient } from "../kafkajs-client.js";
import {
  createTopic,
  diagnostics,
  GROUP_BROKER_OVERRIDES,
  killMembers,
  MemberProcess,
  type Produced,
  produceNumbered,
} from "./group-harness.js";

/**
 * KIP-848's consumer group protocol with a real client: confluent-kafka (Python) on librdkafka
 * 2.12 with `group.protocol=consumer`, so the broker assigns the partitions (ConsumerGroupHeartbeat)
 * and the members commit with their member epoch (OffsetCommit v9). Two members share a 6-partition
 * topic, every record is consumed once; one is killed and the other takes all partitions after the
 * session timeout; the committed offsets and the group survive a broker restart, and a new member
 * resumes from them. Members subscribed with a pattern (librdkafka sends KIP-848's
 * SubscribedTopicRegex) get the topics it matches, and a topic created later once the group's
 * patterns are resolved again.
 */

const TOPIC = "kip848";
const PARTITIONS = 6;
const PER_PARTITION = 5;
const SESSION_TIMEOUT_MS = 4_000;
const SETTLE_MS = 20_000;

let broker: BrokerProcess;
let kafka: Kafka;
let librdkafka: Record<string, string>;
const members: MemberProcess[] = [];

before(async () => {
  librdkafka = await currentLibrdkafkaEnv();
  broker = await BrokerProcess.start({
    overrides: {
      ...GROUP_BROKER_OVERRIDES,
      "group.consumer.session.timeout.ms": String(SESSION_TIMEOUT_MS),
      "group.consumer.heartbeat.interval.ms": "500",
      // Kafka's bounds (45 s and 5 s at least by default) would not allow a quick test.
      "group.consumer.min.session.timeout.ms": "1000",
      "group.consumer.min.heartbeat.interval.ms": "100",
    },
  });
  kafka = kafkajsClient(broker.bootstrap);
  await createTopic(kafka, TOPIC, PARTITIONS);
});

after(async () => {
  await killMembers(members);
  await broker?.dispose();
});

function startMember(name: string, topic = TOPIC, groupId = "kip848-group"): MemberProcess {
  const member = MemberProcess.python(
    name,
    {
      topic,
      // Each record's offset is committed (synchronously) as soon as it was read.
      commitEveryMessages: 1,
      config: {
        "bootstrap.servers": broker.bootstrap,
        "group.id": groupId,
        "group.protocol": "consumer",
        "client.id": name,
        "auto.offset.reset": "earliest",
        "enable.auto.commit": false,
      },
    },
    librdkafka,
  );
  members.push(member);
  return member;
}

const why = () => diagnostics(broker, members);

async function waitForAssignment(member: MemberProcess, size: number): Promise<number[]> {
  return waitFor(
    `${member.name} owning ${size} partitions`,
    async () => {
      const assignment = member.assignment();
      return assignment?.length === size ? assignment : undefined;
    },
    SETTLE_MS,
  ).catch((e: unknown) => {
    throw new Error(`${String(e)}: has ${JSON.stringify(member.assignment())}\n${why()}`);
  });
}

/** Waits until the members together read every record of `batch`; returns who read what, by key. */
async function waitForBatch(readers: MemberProcess[], batch: Produced[]): Promise<Map<string, string[]>> {
  const wanted = new Set(batch.map((p) => p.value));
  return waitFor(
    `${wanted.size} records read`,
    async () => {
      const readBy = new Map<string, string[]>();
      for (const m of readers) {
        for (const d of m.deliveries()) {
          if (d.value !== undefined && wanted.has(d.value))
            readBy.set(d.value, [...(readBy.get(d.value) ?? []), m.name]);
        }
      }
      return readBy.size === wanted.size ? readBy : undefined;
    },
    SETTLE_MS,
  ).catch((e: unknown) => {
    throw new Error(`${String(e)}\n${why()}`);
  });
}

test("librdkafka members with group.protocol=consumer share partitions, take over a dead member's, and resume after a restart", {
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  const a = startMember("member-a");
  const b = startMember("member-b");
  const ownedByA = await waitForAssignment(a, 3);
  const ownedByB = await waitForAssignment(b, 3);
  assert.deepEqual([...ownedByA, ...ownedByB].sort(), [0, 1, 2, 3, 4, 5], "disjoint halves");

  const first = await produceNumbered(kafka, TOPIC, PARTITIONS, "first", PER_PARTITION);
  const readBy = await waitForBatch([a, b], first);
  for (const [value, readers] of readBy) assert.equal(readers.length, 1, `${value} read by ${readers}`);
  for (const p of first) {
    const reader = readBy.get(p.value)?.[0];
    assert.equal(
      reader,
      ownedByA.includes(p.partition) ? "member-a" : "member-b",
      `${p.value}'s partition owner`,
    );
  }

  // Brook's admin client (kafka-consumer-groups --describe) sees the group through ConsumerGroupDescribe.
  const describer = new AdminClient({ bootstrap: broker.bootstrap });
  try {
    const [described] = await describer.describeConsumerGroups(["kip848-group"]);
    assert.equal(described?.type, "consumer");
    assert.equal(described?.state, "Stable");
    assert.equal(described?.partitionAssignor, "uniform");
    assert.deepEqual(described?.members.map((m) => m.clientId).sort(), ["member-a", "member-b"]);
    const assigned = described?.members.flatMap((m) => m.assignment.map((p) => `${p.topic}:${p.partition}`));
    assert.deepEqual(
      assigned?.sort(),
      [0, 1, 2, 3, 4, 5].map((p) => `${TOPIC}:${p}`),
    );
  } finally {
    describer.close();
  }

  // b dies without leaving: after the session timeout a owns everything.
  await b.kill();
  await waitForAssignment(a, PARTITIONS);
  const second = await produceNumbered(kafka, TOPIC, PARTITIONS, "second", PER_PARTITION);
  const readAfter = await waitForBatch([a], second);
  for (const [value, readers] of readAfter) assert.deepEqual(readers, ["member-a"], value);

  // a stops (it leaves the group); the broker restarts; a new member resumes from the commits.
  await a.stop();
  await broker.stop();
  await broker.restart();
  // The restarted broker may listen on another port.
  kafka = kafkajsClient(broker.bootstrap);
  // The group itself was replayed from __consumer_offsets: still there, a consumer group, empty.
  const admin = new AdminClient({ bootstrap: broker.bootstrap });
  try {
    const listed = await admin.listConsumerGroups();
    assert.deepEqual(
      listed.filter((g) => g.groupId === "kip848-group").map((g) => `${g.type}:${g.state}`),
      ["consumer:Empty"],
    );
  } finally {
    admin.close();
  }
  const third = await produceNumbered(kafka, TOPIC, PARTITIONS, "third", PER_PARTITION);
  const c = startMember("member-c");
  await waitForAssignment(c, PARTITIONS);
  await waitForBatch([c], third);
  const older = c.deliveries().filter((d) => !d.value?.startsWith("third-"));
  assert.deepEqual(older, [], "nothing before the committed offsets is read again");
});

test("librdkafka members subscribed to a pattern read the topics it matches, and a topic created later", {
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  // kafka may point at the broker's old port after the restart above.
  kafka = kafkajsClient(broker.bootstrap);
  await createTopic(kafka, "rx-a", 3);
  await createTopic(kafka, "rx-b", 2);
  await createTopic(kafka, "other-rx", 2);
  const a = startMember("rx-member-a", "^rx-.*", "kip848-regex");
  const b = startMember("rx-member-b", "^rx-.*", "kip848-regex");
  // Both hold some of the five partitions before anything is written, so both read some.
  await waitFor(
    "both pattern members to own partitions",
    async () => ((a.assignment()?.length ?? 0) > 0 && (b.assignment()?.length ?? 0) > 0 ? true : undefined),
    SETTLE_MS,
  );
  const produced = [
    ...(await produceNumbered(kafka, "rx-a", 3, "rx-a", 2)),
    ...(await produceNumbered(kafka, "rx-b", 2, "rx-b", 2)),
  ];
  await produceNumbered(kafka, "other-rx", 2, "other-rx", 2);
  const readBy = await waitForBatch([a, b], produced);
  for (const [value, readers] of readBy) assert.equal(readers.length, 1, `${value} read by ${readers}`);
  assert.ok(new Set([...readBy.values()].flat()).size === 2, "both members read some of the topics");

  const describer = new AdminClient({ bootstrap: broker.bootstrap });
  try {
    const [described] = await describer.describeConsumerGroups(["kip848-regex"]);
    const assigned = described?.members.flatMap((m) => m.assignment.map((p) => `${p.topic}:${p.partition}`));
    assert.deepEqual(assigned?.sort(), ["rx-a:0", "rx-a:1", "rx-a:2", "rx-b:0", "rx-b:1"]);
  } finally {
    describer.close();
  }

  // A matching topic created now joins at the first heartbeat after the group's next resolution.
  await createTopic(kafka, "rx-c", 2);
  const later = await produceNumbered(kafka, "rx-c", 2, "rx-c", 3);
  await waitForBatch([a, b], later);
  const unmatched = [...a.deliveries(), ...b.deliveries()].filter((d) => d.value?.startsWith("other-rx"));
  assert.deepEqual(unmatched, [], "nothing from a topic the pattern does not match");
});
