import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { Kafka } from "kafkajs";
import { BrokerProcess, TEST_TIMEOUT_MS, waitFor } from "../broker-process.js";
import { kafkajsClient } from "../kafkajs-client.js";
import {
  createTopic,
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
 * Committed offsets survive broker restarts: they are records in `__consumer_offsets`, appended
 * durably before the commit is answered, and loaded back before the coordinator answers again.
 * Groups committed by kafkajs (auto commit), by confluent-kafka (one explicit commit part-way) and
 * by kafkajs' admin setOffsets are fetched back unchanged after a clean stop (SIGTERM) and after
 * a crash (SIGKILL right after a commit was acknowledged), and a consumer resumes from them.
 */

const TOPIC = "restarted";
const PARTITIONS = 3;
const DELIVERY_TIMEOUT_MS = 20_000;
const GROUPS = ["restart-kafkajs", "restart-python", "restart-admin"] as const;
const ADMIN_OFFSETS = [3, 5, 7];

let broker: BrokerProcess;
let kafka: Kafka;
const members: MemberProcess[] = [];
const produced: Produced[] = [];
/** group -> partition -> committed offset, as last confirmed. */
const expected = new Map<string, Map<number, number>>();

before(async () => {
  broker = await BrokerProcess.start({
    overrides: { ...GROUP_BROKER_OVERRIDES, "num.partitions": String(PARTITIONS) },
  });
  kafka = kafkajsClient(broker.bootstrap);
  await createTopic(kafka, TOPIC, PARTITIONS);
  produced.push(...(await produceNumbered(kafka, TOPIC, PARTITIONS, "first", 10)));
});

after(async () => {
  await killMembers(members);
  await broker?.dispose();
});

const why = () => diagnostics(broker, members);

function kafkajsMember(group: string): MemberProcess {
  const m = MemberProcess.kafkajs(`kafkajs-${members.length}`, {
    bootstrap: broker.bootstrap,
    groupId: group,
    topic: TOPIC,
    sessionTimeoutMs: SESSION_TIMEOUT_MS,
    heartbeatIntervalMs: HEARTBEAT_INTERVAL_MS,
  });
  members.push(m);
  return m;
}

async function waitForCount(member: MemberProcess, count: number): Promise<void> {
  await waitFor(
    `${member.name} receiving ${count} records`,
    async () => (member.deliveries().length >= count ? true : undefined),
    DELIVERY_TIMEOUT_MS,
  ).catch((e: unknown) => {
    throw new Error(`${String(e)} (got ${member.deliveries().length})\n${why()}`);
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

async function assertOffsetsKept(when: string): Promise<void> {
  for (const group of GROUPS) {
    assert.deepEqual(
      [...(await fetchCommitted(group))].sort(),
      [...(expected.get(group) ?? [])].sort(),
      `${group} offsets ${when}\n${why()}`,
    );
  }
  const admin = kafka.admin();
  await admin.connect();
  try {
    const { groups } = await admin.listGroups();
    const listed = groups.map((g) => g.groupId);
    for (const group of GROUPS) assert.ok(listed.includes(group), `${group} listed ${when}: ${listed}`);
  } finally {
    await admin.disconnect();
  }
}

async function restart(how: "stop" | "kill"): Promise<void> {
  if (how === "stop") await broker.stop();
  else await broker.kill();
  await broker.restart();
  kafka = kafkajsClient(broker.bootstrap);
}

/** A kafkajs consumer of `group` gets exactly the records after the group's committed offsets. */
async function assertConsumerResumes(group: string): Promise<void> {
  const committed = expected.get(group)!;
  const want = produced.filter((p) => p.offset >= (committed.get(p.partition) ?? 0));
  assert.ok(want.length > 0);
  const member = kafkajsMember(group);
  await waitForCount(member, want.length);
  await member.stop();
  const got = member.deliveries().map((d) => `${d.partition}:${d.offset}`);
  assert.deepEqual(got.sort(), want.map((p) => `${p.partition}:${p.offset}`).sort());
  // Its auto commits moved the group to the end.
  expected.set(group, await fetchCommitted(group));
  for (let p = 0; p < PARTITIONS; p++) {
    assert.equal(
      expected.get(group)!.get(p),
      1 + Math.max(...produced.filter((r) => r.partition === p).map((r) => r.offset)),
    );
  }
}

test("groups commit offsets with kafkajs, confluent-kafka and kafkajs admin", {
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  const reader = kafkajsMember("restart-kafkajs");
  await waitForCount(reader, produced.length);
  await reader.stop();
  expected.set("restart-kafkajs", new Map([0, 1, 2].map((p) => [p, 10])));

  const python = MemberProcess.python("python-committer", {
    topic: TOPIC,
    commitEveryMessages: 7,
    commitOnce: true,
    config: {
      "bootstrap.servers": broker.bootstrap,
      "group.id": "restart-python",
      "session.timeout.ms": SESSION_TIMEOUT_MS,
      "auto.offset.reset": "earliest",
      "enable.auto.commit": false,
    },
  });
  members.push(python);
  await waitForCount(python, produced.length);
  await python.stop();
  const positions = new Map<number, number>();
  for (const d of python.deliveries().slice(0, 7)) positions.set(d.partition, d.offset + 1);
  expected.set("restart-python", positions);

  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.setOffsets({
      groupId: "restart-admin",
      topic: TOPIC,
      partitions: ADMIN_OFFSETS.map((offset, partition) => ({ partition, offset: String(offset) })),
    });
  } finally {
    await admin.disconnect();
  }
  expected.set("restart-admin", new Map(ADMIN_OFFSETS.map((offset, partition) => [partition, offset])));
  // Partitions the Python member had not reached when it committed have no offset (-1).
  for (let p = 0; p < PARTITIONS; p++) if (!positions.has(p)) positions.set(p, -1);
  await assertOffsetsKept("before any restart");
});

test("committed offsets survive a clean broker restart (SIGTERM)", { timeout: TEST_TIMEOUT_MS }, async () => {
  await restart("stop");
  await assertOffsetsKept("after SIGTERM and restart");
  produced.push(...(await produceNumbered(kafka, TOPIC, PARTITIONS, "second", 5)));
  await assertConsumerResumes("restart-kafkajs");
  await assertConsumerResumes("restart-admin");
});

test("committed offsets survive a broker crash (SIGKILL right after the commits)", {
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  produced.push(...(await produceNumbered(kafka, TOPIC, PARTITIONS, "third", 5)));
  // The consumer's last commits are acknowledged just before the crash.
  await assertConsumerResumes("restart-kafkajs");
  await restart("kill");
  await assertOffsetsKept("after SIGKILL and restart");
  produced.push(...(await produceNumbered(kafka, TOPIC, PARTITIONS, "fourth", 5)));
  await assertConsumerResumes("restart-kafkajs");
  await assertConsumerResumes("restart-python");
});
