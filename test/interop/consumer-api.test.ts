import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { TopicPartition } from "../../src/client/admin-group-results.js";
import { AdminClient, Consumer, type ConsumerRecord, Producer } from "../../src/client/index.js";
import { BrokerProcess, TEST_TIMEOUT_MS } from "./broker-process.js";

/**
 * Brook's consumer API beyond poll, against a broker process: pause and resume, commits of chosen
 * offsets (sync and async) and committed(), the rebalance listener's calls as members come and go,
 * and static membership (group.instance.id): a restart within the session timeout gets its
 * partitions back in the same generation, and a second consumer with the same id fences the first.
 */

let broker: BrokerProcess;
let admin: AdminClient;
const TOPIC = "api";

before(async () => {
  broker = await BrokerProcess.start({ overrides: { "num.partitions": "2" } });
  admin = new AdminClient({ bootstrap: broker.bootstrap });
  const [created] = await admin.createTopics([{ name: TOPIC, numPartitions: 2, replicationFactor: 1 }]);
  assert.equal(created?.errorCode, 0);
  const producer = new Producer({ bootstrap: broker.bootstrap });
  try {
    const sends = [];
    for (let i = 0; i < 20; i++)
      sends.push(producer.send({ topic: TOPIC, partition: i % 2, value: `v${i}` }));
    await Promise.all(sends);
  } finally {
    await producer.close();
  }
});

after(async () => {
  admin?.close();
  await broker?.dispose();
});

async function pollAtLeast(consumer: Consumer, count: number, timeoutMs = 15_000): Promise<ConsumerRecord[]> {
  const got: ConsumerRecord[] = [];
  const end = performance.now() + timeoutMs;
  while (got.length < count && performance.now() < end) got.push(...(await consumer.poll(200)));
  return got;
}

const p0 = { topic: TOPIC, partition: 0 };
const p1 = { topic: TOPIC, partition: 1 };
const names = (tps: readonly TopicPartition[]) => tps.map((tp) => `${tp.topic}-${tp.partition}`).sort();

test("pause holds a partition's records back until resume", { timeout: TEST_TIMEOUT_MS }, async () => {
  const consumer = new Consumer({ bootstrap: broker.bootstrap });
  try {
    consumer.assign([
      { ...p0, offset: "earliest" },
      { ...p1, offset: "earliest" },
    ]);
    consumer.pause([p0]);
    assert.deepEqual(names(consumer.paused()), ["api-0"]);
    const first = await pollAtLeast(consumer, 10);
    await new Promise((resolve) => setTimeout(resolve, 300));
    first.push(...(await consumer.poll(300)));
    assert.deepEqual(
      [...new Set(first.map((r) => r.partition))],
      [1],
      "only the partition that is not paused",
    );
    assert.equal(first.length, 10);
    consumer.resume([p0]);
    const rest = await pollAtLeast(consumer, 10);
    assert.deepEqual(
      rest.map((r) => String(r.value)),
      Array.from({ length: 10 }, (_, i) => `v${2 * i}`),
    );
    assert.throws(
      () => consumer.pause([{ topic: TOPIC, partition: 9 }]),
      /No current assignment for partition api-9/,
    );
  } finally {
    await consumer.close();
  }
});

test("commitSync and commitAsync of chosen offsets; committed() reads them; the group resumes there", {
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  const groupId = "api-commits";
  const consumer = new Consumer({ bootstrap: broker.bootstrap, groupId, enableAutoCommit: false });
  try {
    consumer.assign([{ ...p0, offset: "earliest" }]);
    await consumer.commitSync([{ ...p0, offset: 3n, metadata: "three" }]);
    assert.deepEqual(await consumer.committed([p0, p1]), [
      { ...p0, offset: 3n, metadata: "three" },
      { ...p1, offset: null, metadata: null },
    ]);
    const outcome = await new Promise<Error | null>((resolve) => {
      void consumer.commitAsync([{ ...p1, offset: 7n }], (error) => resolve(error));
    });
    assert.equal(outcome, null);
    assert.equal((await consumer.committed([p1]))[0]?.offset, 7n);
  } finally {
    await consumer.close();
  }
  const member = new Consumer({ bootstrap: broker.bootstrap, groupId, autoOffsetReset: "earliest" });
  try {
    member.subscribe([TOPIC]);
    const records = await pollAtLeast(member, 10 - 3 + 10 - 7);
    const firstOf = (partition: number) => records.find((r) => r.partition === partition)?.offset;
    assert.deepEqual([firstOf(0), firstOf(1)], [3n, 7n]);
  } finally {
    await member.close();
  }
});

test("the rebalance listener: assigned, revoked and assigned again as a member joins, revoked on close", {
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  const groupId = "api-listener";
  const calls: string[] = [];
  const listener = (who: string) => ({
    onPartitionsAssigned: (tps: TopicPartition[]) => {
      calls.push(`${who} assigned ${names(tps).join(",")}`);
    },
    onPartitionsRevoked: (tps: TopicPartition[]) => {
      calls.push(`${who} revoked ${names(tps).join(",")}`);
    },
  });
  const a = new Consumer({ bootstrap: broker.bootstrap, groupId, autoOffsetReset: "earliest" });
  const b = new Consumer({ bootstrap: broker.bootstrap, groupId, autoOffsetReset: "earliest" });
  let aOpen = true;
  try {
    a.subscribe([TOPIC], listener("a"));
    await pollAtLeast(a, 20);
    assert.deepEqual(calls, ["a assigned api-0,api-1"]);
    b.subscribe([TOPIC], listener("b"));
    // Both poll, each in its own loop as two applications would, until each has one partition.
    const end = performance.now() + 30_000;
    const split = () => a.assignment().length === 1 && b.assignment().length === 1;
    const loop = async (c: Consumer) => {
      while (!split() && performance.now() < end) await c.poll(100);
    };
    await Promise.all([loop(a), loop(b)]);
    assert.deepEqual(names([...a.assignment(), ...b.assignment()]), ["api-0", "api-1"]);
    assert.ok(calls.includes("a revoked api-0,api-1"), calls.join("; "));
    assert.ok(
      calls.indexOf("a revoked api-0,api-1") < calls.lastIndexOf(`a assigned ${names(a.assignment())[0]}`),
    );
    assert.ok(calls.includes(`b assigned ${names(b.assignment())[0]}`), calls.join("; "));
    const mine = names(a.assignment())[0];
    await a.close();
    aOpen = false;
    assert.equal(calls.at(-1), `a revoked ${mine}`);
  } finally {
    if (aOpen) await a.close();
    await b.close();
  }
});

test("static membership: a restart within the session timeout gets its partitions back without a rebalance; a twin is fenced", {
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  const groupId = "api-static";
  const options = {
    bootstrap: broker.bootstrap,
    groupId,
    groupInstanceId: "instance-1",
    autoOffsetReset: "earliest" as const,
    sessionTimeoutMs: 30_000,
  };
  const first = new Consumer(options);
  first.subscribe([TOPIC]);
  await pollAtLeast(first, 20);
  const before = first.groupMetadata();
  assert.equal(before.groupInstanceId, "instance-1");
  await first.close();
  // A static member does not leave: the group still has it.
  const [described] = await admin.describeConsumerGroups([groupId]);
  assert.equal(described?.members.length, 1);
  assert.equal(described?.members[0]?.groupInstanceId, "instance-1");

  const restarted = new Consumer(options);
  const twin = new Consumer({ ...options, heartbeatIntervalMs: 200 });
  try {
    restarted.subscribe([TOPIC]);
    await restarted.poll(1000);
    assert.deepEqual(names(restarted.assignment()), ["api-0", "api-1"]);
    assert.equal(
      restarted.groupMetadata().generationId,
      before.generationId,
      "the same generation: no rebalance",
    );

    // A second consumer with the same instance id takes the membership over; the first is fenced.
    twin.subscribe([TOPIC]);
    await twin.poll(1000);
    await assert.rejects(async () => {
      const end = performance.now() + 15_000;
      while (performance.now() < end) await restarted.poll(200);
    }, /fenced by another consumer with the same group.instance.id/);
  } finally {
    await restarted.close().catch(() => {});
    await twin.close();
  }
});

test("unsubscribe: revoked through the listener, the group left (the other member takes all), subscribe again joins", {
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  const groupId = "api-unsubscribe";
  const calls: string[] = [];
  const a = new Consumer({ bootstrap: broker.bootstrap, groupId, autoOffsetReset: "earliest" });
  const b = new Consumer({ bootstrap: broker.bootstrap, groupId, autoOffsetReset: "earliest" });
  const end = performance.now() + 30_000;
  const until = async (check: () => boolean, ...consumers: Consumer[]) => {
    const loop = async (c: Consumer) => {
      while (!check() && performance.now() < end) await c.poll(100);
    };
    await Promise.all(consumers.map(loop));
    assert.ok(check(), calls.join("; "));
  };
  try {
    a.subscribe([TOPIC], {
      onPartitionsRevoked: (tps) => void calls.push(`a revoked ${names(tps).join(",")}`),
    });
    b.subscribe([TOPIC]);
    await until(() => a.assignment().length === 1 && b.assignment().length === 1, a, b);
    const mine = names(a.assignment())[0];
    await a.unsubscribe();
    assert.deepEqual(a.assignment(), []);
    assert.equal(calls.at(-1), `a revoked ${mine}`);
    // b gets both at its next rebalance, which a's LeaveGroup starts at once.
    await until(() => b.assignment().length === 2, b);
    a.subscribe([TOPIC]);
    await until(() => a.assignment().length === 1 && b.assignment().length === 1, a, b);
  } finally {
    await a.close();
    await b.close();
  }
});
