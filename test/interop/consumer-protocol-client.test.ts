import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { TopicPartition } from "../../src/client/admin-group-results.js";
import { AdminClient, Consumer, type ConsumerRecord, Producer } from "../../src/client/index.js";
import { BrokerProcess, TEST_TIMEOUT_MS } from "./broker-process.js";

/**
 * Brook's consumer with group.protocol=consumer (KIP-848) against a broker process: the
 * coordinator assigns; a second member takes half of the partitions while the first gives up only
 * those (its listener hears of two revoked, not all four, and keeps reading the rest); every
 * record is read once; commits carry the member epoch; a member that closes leaves at once and
 * the other gets its partitions; a RegExp subscription is resolved by the coordinator.
 */

const TOPIC = "kip848-client";
const PARTITIONS = 4;
const PER_PARTITION = 10;

let broker: BrokerProcess;
let admin: AdminClient;

before(async () => {
  broker = await BrokerProcess.start({
    overrides: {
      "group.consumer.heartbeat.interval.ms": "200",
      "group.consumer.min.heartbeat.interval.ms": "100",
      "group.consumer.session.timeout.ms": "6000",
      "group.consumer.min.session.timeout.ms": "1000",
    },
  });
  admin = new AdminClient({ bootstrap: broker.bootstrap });
  for (const [name, partitions] of [
    [TOPIC, PARTITIONS],
    ["cp-rx-a", 2],
    ["cp-rx-b", 1],
    ["cp-other", 1],
  ] as const) {
    const [created] = await admin.createTopics([{ name, numPartitions: partitions, replicationFactor: 1 }]);
    assert.equal(created?.errorCode, 0);
  }
  const producer = new Producer({ bootstrap: broker.bootstrap });
  try {
    const sends = [];
    for (let p = 0; p < PARTITIONS; p++)
      for (let i = 0; i < PER_PARTITION; i++)
        sends.push(producer.send({ topic: TOPIC, partition: p, value: `p${p}-${i}` }));
    for (const topic of ["cp-rx-a", "cp-rx-b", "cp-other"])
      sends.push(producer.send({ topic, partition: 0, value: topic }));
    await Promise.all(sends);
  } finally {
    await producer.close();
  }
});

after(async () => {
  admin?.close();
  await broker?.dispose();
});

const names = (tps: readonly TopicPartition[]) => tps.map((tp) => `${tp.topic}-${tp.partition}`).sort();

function member(clientId: string): Consumer {
  return new Consumer({
    bootstrap: broker.bootstrap,
    clientId,
    groupId: "brook-kip848",
    groupProtocol: "consumer",
    autoOffsetReset: "earliest",
    autoCommitIntervalMs: 200,
  });
}

/** Polls both until `done`, collecting records by consumer. */
async function pollUntil(
  consumers: Consumer[],
  got: Map<Consumer, ConsumerRecord[]>,
  done: () => boolean,
  what: string,
  timeoutMs = 20_000,
): Promise<void> {
  const end = performance.now() + timeoutMs;
  while (!done()) {
    if (performance.now() > end) assert.fail(`timed out waiting for ${what}`);
    await Promise.all(
      consumers.map(async (c) => {
        const records = await c.poll(50);
        got.set(c, [...(got.get(c) ?? []), ...records]);
      }),
    );
  }
}

test("two members share the partitions incrementally, read every record once, and the survivor takes all when one closes", {
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  const calls: string[] = [];
  const listener = (name: string) => ({
    onPartitionsAssigned: (tps: TopicPartition[]) => {
      calls.push(`${name} assigned ${names(tps).join(",")}`);
    },
    onPartitionsRevoked: (tps: TopicPartition[]) => {
      calls.push(`${name} revoked ${names(tps).join(",")}`);
    },
  });
  const a = member("member-a");
  const b = member("member-b");
  const got = new Map<Consumer, ConsumerRecord[]>();
  try {
    a.subscribe([TOPIC], listener("a"));
    await pollUntil([a], got, () => a.assignment().length === PARTITIONS, "a to own every partition");
    b.subscribe([TOPIC], listener("b"));
    await pollUntil(
      [a, b],
      got,
      () => a.assignment().length === 2 && b.assignment().length === 2,
      "a and b to own two partitions each",
    );
    await pollUntil(
      [a, b],
      got,
      () => [...got.values()].flat().length >= PARTITIONS * PER_PARTITION,
      "every record",
    );
    const values = [...got.values()].flat().map((r) => String(r.value));
    assert.equal(new Set(values).size, values.length, "no record read twice");
    assert.equal(values.length, PARTITIONS * PER_PARTITION);
    // Incremental: a gave up two partitions, never all four.
    const revokedByA = calls.filter((c) => c.startsWith("a revoked"));
    assert.equal(revokedByA.length, 1, calls.join("; "));
    assert.equal(revokedByA[0]?.split(" ")[2]?.split(",").length, 2, calls.join("; "));
    assert.deepEqual(
      names([...a.assignment(), ...b.assignment()]),
      names(Array.from({ length: PARTITIONS }, (_, partition) => ({ topic: TOPIC, partition }))),
    );

    // Commits carry the member epoch (OffsetCommit v9): the group's offsets reach the ends.
    await a.commitSync();
    await b.commitSync();
    const committed = await admin.listConsumerGroupOffsets("brook-kip848");
    assert.deepEqual(
      committed.map((c) => `${c.partition}:${c.offset}`).sort(),
      Array.from({ length: PARTITIONS }, (_, p) => `${p}:${PER_PARTITION}`),
    );
    const [described] = await admin.describeConsumerGroups(["brook-kip848"]);
    assert.equal(described?.type, "consumer");
    assert.deepEqual(described?.members.map((m) => m.clientId).sort(), ["member-a", "member-b"]);

    // b leaves (a heartbeat at epoch -1): a gets everything well before a session timeout.
    const closedAt = performance.now();
    await b.close();
    await pollUntil(
      [a],
      got,
      () => a.assignment().length === PARTITIONS,
      "a to own every partition again",
      5000,
    );
    assert.ok(performance.now() - closedAt < 5000);
  } finally {
    await a.close();
    await b.close();
  }
});

test("a RegExp subscription is resolved by the coordinator to the topics it matches", {
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  const consumer = new Consumer({
    bootstrap: broker.bootstrap,
    groupId: "brook-kip848-regex",
    groupProtocol: "consumer",
    autoOffsetReset: "earliest",
  });
  const got = new Map<Consumer, ConsumerRecord[]>();
  try {
    consumer.subscribe(/cp-rx-.*/);
    await pollUntil(
      [consumer],
      got,
      () => (got.get(consumer) ?? []).length >= 2,
      "the two matching topics' records",
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    got.set(consumer, [...(got.get(consumer) ?? []), ...(await consumer.poll(300))]);
    assert.deepEqual((got.get(consumer) ?? []).map((r) => r.topic).sort(), ["cp-rx-a", "cp-rx-b"]);
    assert.deepEqual(names(consumer.assignment()), ["cp-rx-a-0", "cp-rx-a-1", "cp-rx-b-0"]);
  } finally {
    await consumer.close();
  }
});

test("unsubscribe leaves the consumer group at once (epoch -1); subscribing again joins at epoch 0", {
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  const a = member("member-c");
  const b = member("member-d");
  const got = new Map<Consumer, ConsumerRecord[]>();
  try {
    a.subscribe([TOPIC]);
    b.subscribe([TOPIC]);
    await pollUntil(
      [a, b],
      got,
      () => a.assignment().length === 2 && b.assignment().length === 2,
      "a 2/2 split",
    );
    await a.unsubscribe();
    assert.deepEqual(a.assignment(), []);
    await pollUntil([b], got, () => b.assignment().length === PARTITIONS, "b to own every partition", 5000);
    a.subscribe([TOPIC]);
    await pollUntil(
      [a, b],
      got,
      () => a.assignment().length === 2 && b.assignment().length === 2,
      "a 2/2 split again",
    );
  } finally {
    await a.close();
    await b.close();
  }
});
