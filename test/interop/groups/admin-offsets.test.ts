import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { AssignerProtocol, type Kafka } from "kafkajs";
import { BrokerProcess, kcat, TEST_TIMEOUT_MS, waitFor } from "../broker-process.js";
import { kafkajsClient } from "../kafkajs-client.js";
import {
  createTopic,
  diagnostics,
  GROUP_BROKER_OVERRIDES,
  HEARTBEAT_INTERVAL_MS,
  killMembers,
  MemberProcess,
  pythonAdmin,
  SESSION_TIMEOUT_MS,
} from "./group-harness.js";

/**
 * Group administration through clients' admin APIs, as `kafka-consumer-groups` does it:
 * - describe a group with its lag: per partition the committed (current) offset, the log end
 *   offset, the lag, and the owning member's id, host and client id (kafkajs describeGroups +
 *   fetchOffsets + fetchTopicOffsets; confluent-kafka list_groups, which also describes);
 * - list groups (kafkajs, confluent-kafka);
 * - reset an empty group's offsets to the earliest, the latest and a timestamp (kafkajs
 *   resetOffsets/setOffsets/fetchTopicOffsetsByTimestamp; confluent-kafka offsets_for_times plus a
 *   "simple" commit with generation -1 and no member id, the tool's own path; kcat -Q agreeing on
 *   the timestamp lookup), after which a consumer starts where the reset put it;
 * - refuse that simple commit while the group has members, as Kafka does (UNKNOWN_MEMBER_ID).
 */

const TOPIC = "lagging";
const GROUP = "lagged";
const PARTITIONS = 3;
const FIRST_TIMESTAMP_MS = 1_700_000_000_000;
const READER = "lag-reader";
const DELIVERY_TIMEOUT_MS = 20_000;

let broker: BrokerProcess;
let kafka: Kafka;
const members: MemberProcess[] = [];
/** Records per partition so far; record i of every partition has timestamp FIRST + i seconds. */
let perPartition = 0;

before(async () => {
  broker = await BrokerProcess.start({
    overrides: { ...GROUP_BROKER_OVERRIDES, "num.partitions": String(PARTITIONS) },
  });
  kafka = kafkajsClient(broker.bootstrap);
  await createTopic(kafka, TOPIC, PARTITIONS);
  await produceTimed(10);
});

after(async () => {
  await killMembers(members);
  await broker?.dispose();
});

const why = () => diagnostics(broker, members);
const ALL = Array.from({ length: PARTITIONS }, (_, p) => p);

async function produceTimed(count: number): Promise<void> {
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    const messages = ALL.flatMap((partition) =>
      Array.from({ length: count }, (_, i) => ({
        partition,
        value: `p${partition}-${perPartition + i}`,
        timestamp: String(FIRST_TIMESTAMP_MS + (perPartition + i) * 1000),
      })),
    );
    await producer.send({ topic: TOPIC, acks: -1, messages });
    perPartition += count;
  } finally {
    await producer.disconnect();
  }
}

async function withAdmin<T>(use: (admin: ReturnType<Kafka["admin"]>) => Promise<T>): Promise<T> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return await use(admin);
  } finally {
    await admin.disconnect();
  }
}

/** One row of `kafka-consumer-groups --describe`. */
interface LagRow {
  partition: number;
  currentOffset: number;
  logEndOffset: number;
  lag: number;
  consumerId: string;
  host: string;
  clientId: string;
}

/** What `kafka-consumer-groups --describe --group GROUP` shows, from kafkajs' admin calls. */
async function describeWithLag(): Promise<{ state: string; rows: LagRow[] }> {
  return withAdmin(async (admin) => {
    const { groups } = await admin.describeGroups([GROUP]);
    const group = groups[0]!;
    const owner = new Map<number, { memberId: string; clientHost: string; clientId: string }>();
    for (const m of group.members) {
      const decoded = AssignerProtocol.MemberAssignment.decode(m.memberAssignment);
      for (const p of decoded?.assignment[TOPIC] ?? []) owner.set(p, m);
    }
    const [committed] = await admin.fetchOffsets({ groupId: GROUP, topics: [TOPIC] });
    const ends = await admin.fetchTopicOffsets(TOPIC);
    const rows = ALL.map((partition) => {
      const current = Number(committed?.partitions.find((p) => p.partition === partition)?.offset ?? -1);
      const logEndOffset = Number(ends.find((e) => e.partition === partition)?.high ?? -1);
      const m = owner.get(partition);
      return {
        partition,
        currentOffset: current,
        logEndOffset,
        lag: current < 0 ? logEndOffset : logEndOffset - current,
        consumerId: m?.memberId ?? "-",
        host: m?.clientHost ?? "-",
        clientId: m?.clientId ?? "-",
      };
    });
    return { state: group.state, rows };
  });
}

interface PythonGroup {
  id: string;
  error: { name: string } | null;
  state: string;
  protocol_type: string;
  protocol: string;
  members: { id: string; client_id: string; client_host: string; assignment: Record<string, number[]> }[];
}

async function pythonListGroups(group?: string): Promise<PythonGroup[]> {
  const answer = await pythonAdmin<{ groups: PythonGroup[] }>({
    op: "list_groups",
    config: { "bootstrap.servers": broker.bootstrap },
    group: group ?? null,
  });
  return answer.groups;
}

interface CommitAnswer {
  error: { name: string; str: string } | null;
  partitions: { partition: number; offset: number; error: { name: string } | null }[];
}

/** A "simple" commit by confluent-kafka: a consumer that never joins, generation -1, no member id. */
async function pythonSimpleCommit(offsets: number[]): Promise<CommitAnswer> {
  return pythonAdmin<CommitAnswer>({
    op: "commit",
    config: { "bootstrap.servers": broker.bootstrap, "group.id": GROUP },
    offsets: offsets.map((offset, partition) => ({ topic: TOPIC, partition, offset })),
  });
}

async function committedByKafkajs(resolveOffsets = false): Promise<number[]> {
  return withAdmin(async (admin) => {
    const [topic] = await admin.fetchOffsets({ groupId: GROUP, topics: [TOPIC], resolveOffsets });
    return ALL.map((p) => Number(topic?.partitions.find((x) => x.partition === p)?.offset));
  });
}

const same = (n: number) => ALL.map(() => n);

test("a running group described with its lag, member, host and client id; listed", {
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  const reader = MemberProcess.kafkajs(READER, {
    bootstrap: broker.bootstrap,
    groupId: GROUP,
    topic: TOPIC,
    sessionTimeoutMs: SESSION_TIMEOUT_MS,
    heartbeatIntervalMs: HEARTBEAT_INTERVAL_MS,
  });
  members.push(reader);
  await waitFor(
    "the reader consuming and committing everything",
    async () => {
      const committed = await committedByKafkajs();
      return committed.every((o) => o === perPartition) ? true : undefined;
    },
    DELIVERY_TIMEOUT_MS,
  ).catch((e: unknown) => {
    throw new Error(`${String(e)}\n${why()}`);
  });
  const memberId = reader.events.findLast((e) => e.event === "joined")?.memberId;
  assert.match(memberId ?? "", new RegExp(`^${READER}-`), "kafkajs member ids start with the client id");

  const { state, rows } = await describeWithLag();
  assert.equal(state, "Stable");
  assert.deepEqual(
    rows,
    ALL.map((partition) => ({
      partition,
      currentOffset: 10,
      logEndOffset: 10,
      lag: 0,
      consumerId: memberId,
      host: "/127.0.0.1",
      clientId: READER,
    })),
  );

  const [described] = await pythonListGroups(GROUP);
  assert.ok(described !== undefined);
  assert.equal(described.error, null);
  assert.equal(described.state, "Stable");
  assert.equal(described.protocol_type, "consumer");
  assert.equal(described.protocol, "RoundRobinAssigner");
  assert.deepEqual(described.members, [
    { id: memberId, client_id: READER, client_host: "/127.0.0.1", assignment: { [TOPIC]: ALL } },
  ]);
  const everyGroup = await pythonListGroups();
  assert.ok(everyGroup.some((g) => g.id === GROUP && g.protocol_type === "consumer"));
  const listed = await withAdmin((admin) => admin.listGroups());
  assert.deepEqual(
    listed.groups.filter((g) => g.groupId === GROUP),
    [{ groupId: GROUP, protocolType: "consumer" }],
  );
});

test("offsets of a group with members cannot be reset (UNKNOWN_MEMBER_ID for a simple commit)", {
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  const answer = await pythonSimpleCommit(same(0));
  const failure = answer.error?.name ?? answer.partitions.find((p) => p.error !== null)?.error?.name;
  assert.equal(failure, "UNKNOWN_MEMBER_ID", JSON.stringify(answer));
  // kafkajs checks the state with DescribeGroups first, as kafka-consumer-groups does.
  await assert.rejects(
    withAdmin((admin) => admin.resetOffsets({ groupId: GROUP, topic: TOPIC, earliest: true })),
    /must have no running instances, current state: Stable/,
  );
  assert.deepEqual(await committedByKafkajs(), same(10), "the offsets did not move");

  await members[0]!.stop();
  const { state, rows } = await describeWithLag();
  assert.equal(state, "Empty");
  assert.ok(rows.every((r) => r.consumerId === "-" && r.lag === 0));
});

test("an empty group's offsets reset to the earliest, the latest and a timestamp; lag follows", {
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  await produceTimed(4);
  assert.deepEqual(
    (await describeWithLag()).rows.map((r) => r.lag),
    same(4),
  );

  await withAdmin((admin) => admin.resetOffsets({ groupId: GROUP, topic: TOPIC, earliest: true }));
  assert.deepEqual(await committedByKafkajs(true), same(0), "earliest");
  assert.deepEqual(
    (await describeWithLag()).rows.map((r) => r.lag),
    same(perPartition),
  );

  // To the latest the way kafka-consumer-groups does it: the log end offsets, then a simple
  // commit (confluent-kafka). (kafkajs' own resetOffsets commits -1 and needs a second round
  // through a joining consumer to resolve it, five seconds each: covered by "earliest" above.)
  const ends = await withAdmin((admin) => admin.fetchTopicOffsets(TOPIC));
  const latest = ALL.map((p) => Number(ends.find((e) => e.partition === p)?.high));
  assert.deepEqual(latest, same(perPartition));
  assert.equal((await pythonSimpleCommit(latest)).error, null);
  assert.deepEqual(await committedByKafkajs(), same(perPartition), "latest");
  assert.deepEqual(
    (await describeWithLag()).rows.map((r) => r.lag),
    same(0),
  );

  // To a timestamp: the first record at or after it, by every client's lookup.
  const at = FIRST_TIMESTAMP_MS + 4500;
  const byTime = await withAdmin((admin) => admin.fetchTopicOffsetsByTimestamp(TOPIC, at));
  assert.deepEqual(
    ALL.map((p) => Number(byTime.find((o) => o.partition === p)?.offset)),
    same(5),
  );
  const queried = await kcat([
    "-b",
    broker.bootstrap,
    "-Q",
    ...ALL.flatMap((p) => ["-t", `${TOPIC}:${p}:${at}`]),
  ]);
  for (const p of ALL) assert.match(queried, new RegExp(`${TOPIC} \\[${p}\\] offset 5\\b`));
  await withAdmin((admin) =>
    admin.setOffsets({
      groupId: GROUP,
      topic: TOPIC,
      partitions: ALL.map((partition) => ({ partition, offset: "5" })),
    }),
  );
  assert.deepEqual(await committedByKafkajs(), same(5), "to a timestamp with kafkajs");
  assert.deepEqual(
    (await describeWithLag()).rows.map((r) => r.lag),
    same(perPartition - 5),
  );

  // The kafka-consumer-groups path with confluent-kafka: ListOffsets by time, then a simple commit.
  const at2 = FIRST_TIMESTAMP_MS + 7500;
  const found = await pythonAdmin<{ offsets: { partition: number; offset: number }[] }>({
    op: "offsets_for_times",
    config: { "bootstrap.servers": broker.bootstrap, "group.id": GROUP },
    partitions: ALL.map((partition) => ({ topic: TOPIC, partition, timestamp: at2 })),
  });
  assert.deepEqual(
    found.offsets.map((o) => o.offset),
    same(8),
  );
  const answer = await pythonSimpleCommit(found.offsets.map((o) => o.offset));
  assert.equal(answer.error, null, JSON.stringify(answer));
  assert.deepEqual(await committedByKafkajs(), same(8), "to a timestamp with a simple commit");
  const pythonSees = await pythonAdmin<{ offsets: { offset: number }[] }>({
    op: "committed",
    config: { "bootstrap.servers": broker.bootstrap, "group.id": GROUP },
    partitions: ALL.map((partition) => ({ topic: TOPIC, partition })),
  });
  assert.deepEqual(
    pythonSees.offsets.map((o) => o.offset),
    same(8),
  );
  const { state, rows } = await describeWithLag();
  assert.equal(state, "Empty");
  assert.deepEqual(
    rows.map((r) => r.lag),
    same(perPartition - 8),
  );

  // A consumer of the group now starts exactly there.
  const resumed = MemberProcess.kafkajs("after-reset", {
    bootstrap: broker.bootstrap,
    groupId: GROUP,
    topic: TOPIC,
    sessionTimeoutMs: SESSION_TIMEOUT_MS,
    heartbeatIntervalMs: HEARTBEAT_INTERVAL_MS,
  });
  members.push(resumed);
  const want = ALL.flatMap((p) => Array.from({ length: perPartition - 8 }, (_, i) => `${p}:${8 + i}`)).sort();
  await waitFor(
    "the consumer reading from the reset offsets",
    async () => (resumed.deliveries().length >= want.length ? true : undefined),
    DELIVERY_TIMEOUT_MS,
  ).catch((e: unknown) => {
    throw new Error(`${String(e)}\n${why()}`);
  });
  await resumed.stop();
  assert.deepEqual(
    resumed
      .deliveries()
      .map((d) => `${d.partition}:${d.offset}`)
      .sort(),
    want,
  );
});

test("deleting a group with members fails (NON_EMPTY_GROUP); an empty one goes, offsets and all", {
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  const doomed = "doomed";
  const reader = MemberProcess.kafkajs("doomed-reader", {
    bootstrap: broker.bootstrap,
    groupId: doomed,
    topic: TOPIC,
    sessionTimeoutMs: SESSION_TIMEOUT_MS,
    heartbeatIntervalMs: HEARTBEAT_INTERVAL_MS,
  });
  members.push(reader);
  await reader.waitForEvent("joining", (e) => e.event === "joined", DELIVERY_TIMEOUT_MS);
  await waitFor("a commit", async () =>
    reader.events.some((e) => e.event === "committed") ? true : undefined,
  );
  const refused = await withAdmin((admin) => admin.deleteGroups([doomed])).then(
    () => assert.fail("deleteGroups of a group with a member succeeded"),
    (e: { groups?: { groupId: string; error?: { type?: string } }[] }) => e,
  );
  assert.deepEqual(
    refused.groups?.map((g) => [g.groupId, g.error?.type]),
    [[doomed, "NON_EMPTY_GROUP"]],
  );
  await reader.stop();

  const deleted = await withAdmin((admin) => admin.deleteGroups([doomed]));
  assert.deepEqual(
    deleted.map((g) => [g.groupId, g.errorCode]),
    [[doomed, 0]],
  );
  await withAdmin(async (admin) => {
    const [topic] = await admin.fetchOffsets({ groupId: doomed, topics: [TOPIC] });
    assert.deepEqual(
      topic?.partitions.map((p) => p.offset),
      same(-1).map(String),
    );
    const { groups } = await admin.describeGroups([doomed]);
    assert.equal(groups[0]?.state, "Dead");
    assert.ok(!(await admin.listGroups()).groups.some((g) => g.groupId === doomed));
  });
  assert.ok(!(await pythonListGroups()).some((g) => g.id === doomed));
});
