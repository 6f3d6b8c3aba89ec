import assert from "node:assert/strict";
import { tracingChannel } from "node:diagnostics_channel";
import { after, before, test } from "node:test";
import { BrokerProcess, TEST_TIMEOUT_MS } from "./broker-process.js";

/**
 * @platformatic/kafka 2.12 against a Brook broker process. It speaks only the flexible versions
 * (Kafka 3.5+: Metadata 12, Produce 9+, Fetch 12+ with topic ids from 13, JoinGroup 6+,
 * OffsetCommit 8+, ...), the other half of what kafkajs (classic versions only) covers: compact
 * strings and arrays, tagged fields, topic ids on the wire.
 *
 * It declares Node 22; on Node 20 it needs Promise.withResolvers, polyfilled below, and it has no
 * zstd (node:zlib has none before 22.15), so zstd is covered by kafkajs and librdkafka instead.
 */
type Resolvers<T> = { promise: Promise<T>; resolve: (v: T) => void; reject: (e: unknown) => void };
const promiseStatics = Promise as unknown as { withResolvers?: <T>() => Resolvers<T> };
promiseStatics.withResolvers ??= <T>(): Resolvers<T> => {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((a, b) => {
    resolve = a;
    reject = b;
  });
  return { promise, resolve, reject };
};
const { Admin, Consumer, Producer, stringDeserializers, stringSerializers } = await import(
  "@platformatic/kafka"
);

const TOPIC = "flexible";
const PARTITIONS = 3;
const CODECS = ["none", "gzip", "snappy", "lz4"] as const;
const PER_CODEC = 12;
const CONSUME_TIMEOUT_MS = 30_000;

let broker: BrokerProcess;
let bootstrapBrokers: string[];

/** Highest version the client sent per API key (from its diagnostics channel), to prove what was spoken. */
const versionsSent = new Map<number, number>();
tracingChannel("plt:kafka:connections:api").subscribe({
  start(message) {
    const { apiKey, apiVersion } = message as { apiKey: number; apiVersion: number };
    versionsSent.set(apiKey, Math.max(apiVersion, versionsSent.get(apiKey) ?? -1));
  },
  end() {},
  asyncStart() {},
  asyncEnd() {},
  error() {},
});

before(async () => {
  broker = await BrokerProcess.start();
  bootstrapBrokers = [broker.bootstrap];
});

after(async () => {
  await broker?.dispose();
});

interface Received {
  partition: number;
  offset: bigint;
  key: string;
  value: string;
  header: string | undefined;
}

/** Reads from `groupId` until `count` messages arrived (or fails after a timeout); commits them. */
async function consume(groupId: string, count: number): Promise<Received[]> {
  const consumer = new Consumer({
    groupId,
    clientId: `brook-test-${groupId}`,
    bootstrapBrokers,
    deserializers: stringDeserializers,
    maxWaitTime: 200,
  });
  const received: Received[] = [];
  try {
    const stream = await consumer.consume({
      topics: [TOPIC],
      mode: "committed",
      fallbackMode: "earliest",
      autocommit: false,
      sessionTimeout: 10_000,
      heartbeatInterval: 500,
    });
    const deadline = setTimeout(
      () => stream.destroy(new Error(`only ${received.length} of ${count}`)),
      CONSUME_TIMEOUT_MS,
    );
    try {
      for await (const message of stream) {
        const header = message.headers.get("codec");
        received.push({
          partition: message.partition,
          offset: message.offset,
          key: String(message.key),
          value: String(message.value),
          header: header === undefined ? undefined : String(header),
        });
        await message.commit();
        if (received.length === count) break;
      }
    } finally {
      clearTimeout(deadline);
      await stream.close();
    }
  } finally {
    await consumer.close(true);
  }
  return received;
}

test("admin: topics created, described by metadata with ids, leaders and ISR, listed", {
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  const admin = new Admin({ clientId: "brook-test-admin", bootstrapBrokers });
  try {
    const created = await admin.createTopics({ topics: [TOPIC], partitions: PARTITIONS, replicas: 1 });
    assert.equal(created[0]?.name, TOPIC);
    assert.equal(created[0]?.partitions, PARTITIONS);
    const metadata = await admin.metadata({ topics: [TOPIC] });
    const topic = metadata.topics.get(TOPIC);
    assert.ok(topic !== undefined);
    assert.match(topic.id, /^[0-9a-f-]{36}$/);
    assert.equal(topic.partitions.length, PARTITIONS);
    for (const p of topic.partitions) {
      assert.equal(p.leader, 1);
      assert.deepEqual(p.isr, [1]);
    }
    assert.equal(metadata.controllerId, 1);
    assert.ok((await admin.listTopics()).includes(TOPIC));
  } finally {
    await admin.close();
  }
});

test("an idempotent producer sends with every codec; one group reads it all back, keys in one partition each", {
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  const producer = new Producer({
    clientId: "brook-test-producer",
    bootstrapBrokers,
    serializers: stringSerializers,
    idempotent: true,
    acks: -1,
  });
  const sent: { key: string; value: string; codec: string }[] = [];
  try {
    for (const codec of CODECS) {
      const messages = Array.from({ length: PER_CODEC }, (_, i) => ({
        topic: TOPIC,
        key: `key-${i % 5}`,
        value: `${codec}-${i}`,
        headers: new Map([["codec", codec]]),
      }));
      const result = await producer.send({ messages, compression: codec });
      assert.ok((result.offsets ?? []).length > 0, `${codec}: acknowledged`);
      for (const m of messages) sent.push({ key: m.key, value: m.value, codec });
    }
  } finally {
    await producer.close();
  }

  const received = await consume("flexible-readers", sent.length);
  assert.deepEqual(
    received.map((r) => `${r.key}=${r.value}/${r.header}`).sort(),
    sent.map((s) => `${s.key}=${s.value}/${s.codec}`).sort(),
  );
  const partitionOf = new Map<string, Set<number>>();
  for (const r of received) partitionOf.set(r.key, (partitionOf.get(r.key) ?? new Set()).add(r.partition));
  for (const [key, partitions] of partitionOf)
    assert.equal(partitions.size, 1, `${key} in ${[...partitions]}`);
  // Offsets increase within each partition, as delivered.
  for (let p = 0; p < PARTITIONS; p++) {
    const offsets = received.filter((r) => r.partition === p).map((r) => r.offset);
    assert.deepEqual(
      offsets,
      [...offsets].sort((a, b) => (a < b ? -1 : 1)),
    );
  }

  // The group resumes from its commits: only what is produced now comes back.
  const late = new Producer({
    clientId: "brook-test-late",
    bootstrapBrokers,
    serializers: stringSerializers,
  });
  try {
    await late.send({ messages: [{ topic: TOPIC, key: "late", value: "after-commit" }] });
  } finally {
    await late.close();
  }
  const resumed = await consume("flexible-readers", 1);
  assert.deepEqual(
    resumed.map((r) => r.value),
    ["after-commit"],
  );

  const admin = new Admin({ clientId: "brook-test-admin", bootstrapBrokers });
  try {
    const groups = await admin.listGroups();
    assert.equal(groups.get("flexible-readers")?.state, "Empty");
    const described = await admin.describeGroups({ groups: ["flexible-readers"] });
    assert.equal(described.get("flexible-readers")?.protocolType, "consumer");
    await admin.deleteTopics({ topics: [TOPIC] });
    assert.ok(!(await admin.listTopics()).includes(TOPIC));
  } finally {
    await admin.close();
  }
  // Flexible versions, the highest Brook serves: Produce 11, Fetch 17 (topic ids), Metadata 12,
  // FindCoordinator 6, JoinGroup 9, SyncGroup 5, OffsetCommit 9, OffsetFetch 9, CreateTopics 7.
  const expected: [string, number, number][] = [
    ["Produce", 0, 11],
    ["Fetch", 1, 17],
    ["Metadata", 3, 12],
    ["OffsetCommit", 8, 9],
    ["OffsetFetch", 9, 9],
    ["FindCoordinator", 10, 6],
    ["JoinGroup", 11, 9],
    ["SyncGroup", 14, 5],
    ["CreateTopics", 19, 7],
    ["InitProducerId", 22, 5],
  ];
  assert.deepEqual(
    expected.map(([name, key]) => [name, versionsSent.get(key)]),
    expected.map(([name, , version]) => [name, version]),
  );
});

/** The produce response inside whatever the producer rejected with (ResponseError, possibly wrapped). */
function produceResponseOf(error: unknown, depth = 0): Record<string, unknown> | undefined {
  if (typeof error !== "object" || error === null || depth > 5) return undefined;
  const e = error as { response?: unknown; errors?: unknown; cause?: unknown };
  if (typeof e.response === "object" && e.response !== null && "responses" in e.response)
    return e.response as Record<string, unknown>;
  const nested = [...(Array.isArray(e.errors) ? e.errors : []), e.cause];
  for (const inner of nested) {
    const found = produceResponseOf(inner, depth + 1);
    if (found !== undefined) return found;
  }
  return undefined;
}

test("keyless records in a batch to a compacted topic: Produce v9+ answers INVALID_RECORD with RecordErrors naming each", {
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  const topic = "flexible-compacted";
  const admin = new Admin({ clientId: "brook-test-admin", bootstrapBrokers });
  try {
    await admin.createTopics({
      topics: [topic],
      partitions: 1,
      replicas: 1,
      configs: [{ name: "cleanup.policy", value: "compact" }],
    });
  } finally {
    await admin.close();
  }
  const producer = new Producer({
    clientId: "brook-test-compacted",
    bootstrapBrokers,
    serializers: stringSerializers,
    acks: -1,
    retries: 0,
  });
  try {
    const messages = Array.from({ length: 6 }, (_, i) => ({
      topic,
      partition: 0,
      ...(i % 3 === 1 ? {} : { key: `key-${i}` }),
      value: `value-${i}`,
    }));
    const error = await producer.send({ messages, compression: "lz4" }).then(
      () => assert.fail("the batch was accepted"),
      (e: unknown) => e,
    );
    const response = produceResponseOf(error) as
      | {
          responses: {
            partitionResponses: {
              errorCode: number;
              recordErrors: { batchIndex: number; batchIndexErrorMessage: string | null }[];
            }[];
          }[];
        }
      | undefined;
    assert.ok(response !== undefined, `no produce response in ${String(error)}`);
    const partition = response.responses[0]?.partitionResponses[0];
    assert.equal(partition?.errorCode, 87, "INVALID_RECORD");
    assert.deepEqual(
      partition?.recordErrors.map((e) => [e.batchIndex, e.batchIndexErrorMessage]),
      [1, 4].map((i) => [
        i,
        `Compacted topic cannot accept message without key in topic partition ${topic}-0.`,
      ]),
    );
    // The keyed ones alone go in.
    const result = await producer.send({ messages: messages.filter((m) => "key" in m) });
    assert.ok((result.offsets ?? []).length > 0);
  } finally {
    await producer.close();
  }
});
