import assert from "node:assert/strict";
import { createServer } from "node:net";
import { join } from "node:path";
import { after, before, test } from "node:test";
import {
  ApiKey,
  type CreateTopicsResponse,
  type DescribeGroupsResponse,
  ErrorCode,
  errorName,
  type FindCoordinatorResponse,
  type ListGroupsResponse,
  type OffsetCommitResponse,
  type OffsetFetchResponse,
} from "../../../src/protocol/index.js";
import { WireClient } from "../../helpers/kafka-wire.js";
import { BrokerProcess, PYTHON, REPO_ROOT, runTool } from "../broker-process.js";

/**
 * Issue 14: right after a restart, no group API may answer as if a group did not exist while
 * `__consumer_offsets` is loading (or before the coordinator knows what it leads). Kafka answers
 * COORDINATOR_LOAD_IN_PROGRESS (or COORDINATOR_NOT_AVAILABLE, NOT_COORDINATOR) until the group's
 * partition is loaded, then the group as it was. A broker process with many groups and offsets
 * (a small load buffer, so loading takes many turns of the event loop) is restarted after SIGTERM
 * and after SIGKILL on a fixed port, while two clients fire from the moment the port accepts
 * connections: raw OffsetFetch (v1, v5, v8), DescribeGroups, ListGroups and FindCoordinator
 * requests in a tight loop, and confluent-kafka (librdkafka 2.0.2) committed() calls. Every answer
 * must be a retriable coordinator error or the right offsets and groups.
 *
 * Brook used to open its listeners before the coordinator knew its partitions. Listener host names
 * are looked up one after the other, and while a later one is looked up the ones already bound
 * serve requests: ListGroups then answered NONE with no groups (and the other APIs
 * NOT_COORDINATOR). The broker here has extra listeners on "localhost" so that this window, a few
 * milliseconds with Kafka's default two listeners, is wide enough to be hit on every run.
 */

const TOPIC = "hammered";
const PARTITIONS = 8;
const GROUP_COUNT = 30;
const COMMIT_ROUNDS = 40;
const GROUPS = Array.from({ length: GROUP_COUNT }, (_, g) => `hammer-${g}`);
/** How long the clients keep asking once the port accepts connections. */
const HAMMER_S = 2.5;
const EXTRA_LISTENERS = Array.from({ length: 30 }, (_, i) => `SIDE${i}://localhost:0`);
const HAMMER_SCRIPT = join(REPO_ROOT, "test", "interop", "groups", "rdkafka_committed_hammer.py");

/** The answers that mean "not now, ask again", which Kafka gives while a coordinator loads. */
const RETRIABLE: ReadonlySet<number> = new Set([
  ErrorCode.COORDINATOR_LOAD_IN_PROGRESS,
  ErrorCode.COORDINATOR_NOT_AVAILABLE,
  ErrorCode.NOT_COORDINATOR,
]);

const committedOffset = (round: number, group: number, partition: number): bigint =>
  BigInt(round * 1000 + group * 10 + partition);
/** group -> the offset of each partition after the last round. */
const expected = new Map(
  GROUPS.map((g, i) => [
    g,
    Array.from({ length: PARTITIONS }, (_, p) => committedOffset(COMMIT_ROUNDS - 1, i, p)),
  ]),
);

let broker: BrokerProcess;
let port = 0;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address !== "object") throw new Error("no port");
  return address.port;
}

before(async () => {
  port = await freePort();
  broker = await BrokerProcess.start({
    overrides: {
      listeners: [`PLAINTEXT://localhost:${port}`, "CONTROLLER://localhost:0", ...EXTRA_LISTENERS].join(","),
      "advertised.listeners": `PLAINTEXT://localhost:${port}`,
      "offsets.load.buffer.size": "4096",
    },
  });
  const client = await WireClient.connect(port);
  try {
    const created = await client.request<CreateTopicsResponse>(ApiKey.CreateTopics, 5, {
      topics: [
        { name: TOPIC, numPartitions: PARTITIONS, replicationFactor: 1, assignments: [], configs: [] },
      ],
      timeoutMs: 5000,
    });
    assert.equal(created.topics[0]?.errorCode, ErrorCode.NONE);
    await client.request<FindCoordinatorResponse>(ApiKey.FindCoordinator, 4, {
      keyType: 0,
      coordinatorKeys: GROUPS,
    });
    await commitEverything(client);
  } finally {
    client.close();
  }
});

after(async () => {
  await broker?.dispose();
});

/** Every group commits every partition COMMIT_ROUNDS times (simple commits, pipelined). */
async function commitEverything(client: WireClient): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const ids: number[] = [];
    for (let round = 0; round < COMMIT_ROUNDS; round++) {
      GROUPS.forEach((groupId, g) => {
        ids.push(
          client.send(ApiKey.OffsetCommit, 8, {
            groupId,
            generationIdOrMemberEpoch: -1,
            memberId: "",
            groupInstanceId: null,
            topics: [
              {
                name: TOPIC,
                partitions: Array.from({ length: PARTITIONS }, (_, p) => ({
                  partitionIndex: p,
                  committedOffset: committedOffset(round, g, p),
                  committedLeaderEpoch: -1,
                  committedMetadata: `round ${round}`,
                })),
              },
            ],
          }),
        );
      });
    }
    const errors = new Set<number>();
    for (const _ of ids) {
      const { body } = await client.receive<OffsetCommitResponse>(ApiKey.OffsetCommit, 8);
      for (const p of body.topics.flatMap((t) => t.partitions)) errors.add(p.errorCode);
    }
    if (errors.size === 1 && errors.has(ErrorCode.NONE)) return;
    // The coordinator was still loading what FindCoordinator created: commit everything again.
    assert.ok(
      [...errors].every((e) => e === ErrorCode.NONE || RETRIABLE.has(e)),
      `commit errors ${[...errors]}`,
    );
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error("the offsets could not be committed");
}

interface HammerReport {
  /** Answers that said "not now", by error name. */
  retriable: Map<string, number>;
  /** Answers with the right groups and offsets. */
  ok: number;
  rounds: number;
  violations: string[];
}

/**
 * Raw requests in a tight loop from the moment the port accepts connections until `stop()`
 * says so; every answer is checked.
 */
async function hammer(stop: () => boolean): Promise<HammerReport> {
  const report: HammerReport = { retriable: new Map(), ok: 0, rounds: 0, violations: [] };
  const note = (what: string, errorCode: number, right: () => string | null) => {
    if (RETRIABLE.has(errorCode)) {
      const name = errorName(errorCode);
      report.retriable.set(name, (report.retriable.get(name) ?? 0) + 1);
      return;
    }
    const problem = errorCode === ErrorCode.NONE ? right() : `answered ${errorName(errorCode)}`;
    if (problem === null) report.ok++;
    else if (report.violations.length < 50) report.violations.push(`${what}: ${problem}`);
  };
  while (!stop()) {
    let client: WireClient;
    try {
      client = await WireClient.connect(port);
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 1));
      continue;
    }
    try {
      while (!stop() && !client.closed) {
        await hammerRound(client, note);
        report.rounds++;
      }
    } catch (error) {
      // The broker closed the connection mid-round (it was still starting): connect again.
      if (!client.closed) throw error;
    } finally {
      client.close();
    }
  }
  return report;
}

type Note = (what: string, errorCode: number, right: () => string | null) => void;

async function hammerRound(client: WireClient, note: Note): Promise<void> {
  const one = GROUPS[GROUPS.length - 1] as string;
  const all = [{ name: TOPIC, partitionIndexes: Array.from({ length: PARTITIONS }, (_, p) => p) }];
  // Pipelined: one round trip for the lot.
  client.send(ApiKey.FindCoordinator, 4, { keyType: 0, coordinatorKeys: GROUPS });
  client.send(ApiKey.OffsetFetch, 8, {
    groups: GROUPS.map((groupId) => ({ groupId, memberId: null, memberEpoch: -1, topics: null })),
    requireStable: false,
  });
  client.send(ApiKey.OffsetFetch, 8, {
    groups: GROUPS.map((groupId) => ({ groupId, memberId: null, memberEpoch: -1, topics: all })),
    requireStable: true,
  });
  client.send(ApiKey.OffsetFetch, 5, { groupId: one, topics: all });
  client.send(ApiKey.OffsetFetch, 1, { groupId: one, topics: all });
  client.send(ApiKey.DescribeGroups, 5, { groups: GROUPS, includeAuthorizedOperations: false });
  client.send(ApiKey.ListGroups, 4, { statesFilter: [] });

  const found = (await client.receive<FindCoordinatorResponse>(ApiKey.FindCoordinator, 4)).body;
  for (const c of found.coordinators) {
    note(`FindCoordinator ${c.key}`, c.errorCode, () =>
      c.nodeId === 1 && c.port === port ? null : `node ${c.nodeId}:${c.port}`,
    );
  }
  for (const explicit of [false, true]) {
    const fetched = (await client.receive<OffsetFetchResponse>(ApiKey.OffsetFetch, 8)).body;
    for (const g of fetched.groups) {
      note(`OffsetFetch v8 ${g.groupId}${explicit ? " (partitions named)" : ""}`, g.errorCode, () =>
        offsetsProblem(g.groupId, g.topics),
      );
    }
  }
  const v5 = (await client.receive<OffsetFetchResponse>(ApiKey.OffsetFetch, 5)).body;
  note(`OffsetFetch v5 ${one}`, v5.errorCode, () => offsetsProblem(one, v5.topics));
  const v1 = (await client.receive<OffsetFetchResponse>(ApiKey.OffsetFetch, 1)).body;
  // v1 has no group-level error: a group error is in every partition.
  const v1Errors = [...new Set(v1.topics.flatMap((t) => t.partitions.map((p) => p.errorCode)))];
  if (v1Errors.length === 1) {
    note(`OffsetFetch v1 ${one}`, v1Errors[0] as number, () => offsetsProblem(one, v1.topics));
  } else {
    note(`OffsetFetch v1 ${one}`, ErrorCode.NONE, () => `partition errors ${v1Errors.map(errorName)}`);
  }
  const described = (await client.receive<DescribeGroupsResponse>(ApiKey.DescribeGroups, 5)).body;
  for (const g of described.groups) {
    // A group that only holds offsets is Empty; Dead would mean "no such group".
    note(`DescribeGroups ${g.groupId}`, g.errorCode, () =>
      g.groupState === "Empty" ? null : `state ${g.groupState}`,
    );
  }
  const listed = (await client.receive<ListGroupsResponse>(ApiKey.ListGroups, 4)).body;
  note("ListGroups", listed.errorCode, () => {
    const ids = new Set(listed.groups.map((g) => g.groupId));
    const missing = GROUPS.filter((g) => !ids.has(g));
    return missing.length === 0
      ? null
      : `${missing.length} groups missing (${missing.slice(0, 3).join(", ")}...)`;
  });
}

function offsetsProblem(
  groupId: string,
  topics: readonly {
    name: string;
    partitions: readonly { partitionIndex: number; committedOffset: bigint }[];
  }[],
): string | null {
  const want = expected.get(groupId) ?? [];
  const got = new Map(
    topics
      .filter((t) => t.name === TOPIC)
      .flatMap((t) => t.partitions.map((p) => [p.partitionIndex, p.committedOffset])),
  );
  const wrong = want.flatMap((offset, p) =>
    got.get(p) === offset ? [] : [`partition ${p}: ${got.get(p)} (want ${offset})`],
  );
  return wrong.length === 0 ? null : wrong.slice(0, 3).join(", ");
}

interface CommittedHammer {
  connectedAfterS: number | null;
  calls: { group: string; at: number; offsets: number[] | null; error: string | null }[];
}

/** librdkafka's committed() in a loop from the moment the port accepts connections. */
async function committedHammer(): Promise<CommittedHammer> {
  const result = await runTool(PYTHON, [HAMMER_SCRIPT], {
    input: JSON.stringify({
      host: "127.0.0.1",
      port,
      topic: TOPIC,
      partitions: PARTITIONS,
      groups: GROUPS,
      durationS: HAMMER_S,
      waitS: 30,
    }),
    timeoutMs: 60_000,
  });
  if (result.code !== 0) throw new Error(`${HAMMER_SCRIPT} exited with ${result.code}:\n${result.stderr}`);
  return JSON.parse(result.stdout) as CommittedHammer;
}

async function restartUnderFire(how: "stop" | "kill", t: { diagnostic: (m: string) => void }): Promise<void> {
  if (how === "stop") await broker.stop();
  else await broker.kill();
  const python = committedHammer();
  let ready = false;
  let pythonDone = false;
  python.then(
    () => (pythonDone = true),
    () => (pythonDone = true),
  );
  const raw = hammer(() => pythonDone && ready);
  try {
    await broker.restart();
  } finally {
    // Also when the restart failed: the clients then stop once the Python one gives up.
    ready = true;
  }
  const [report, rdkafka] = await Promise.all([raw, python]);

  t.diagnostic(
    `raw: ${report.rounds} rounds, ${report.ok} right answers, not now: ${JSON.stringify([...report.retriable])}; ` +
      `committed(): ${rdkafka.calls.length} calls`,
  );
  assert.deepEqual(report.violations, [], `raw answers after ${how}\n${broker.stderr}`);
  assert.ok(report.ok > 0, "the raw client got the loaded groups in the end");
  assert.notEqual(rdkafka.connectedAfterS, null, "the port accepted connections");
  assert.ok(rdkafka.calls.length > 0);
  // librdkafka 2.0.2 retries OffsetFetch on COORDINATOR_LOAD_IN_PROGRESS but gives up at once on
  // NOT_COORDINATOR and COORDINATOR_NOT_AVAILABLE: every call must end with the offsets.
  const wrong = rdkafka.calls.filter(
    (c) =>
      c.error !== null || JSON.stringify(c.offsets) !== JSON.stringify(expected.get(c.group)?.map(Number)),
  );
  assert.deepEqual(
    wrong.slice(0, 5),
    [],
    `committed() after ${how}: ${wrong.length} of ${rdkafka.calls.length} wrong`,
  );
}

test("after SIGTERM and restart, group APIs never answer as if the groups or offsets were gone", {
  timeout: 90_000,
}, async (t) => {
  await restartUnderFire("stop", t);
});

test("after SIGKILL and restart, group APIs never answer as if the groups or offsets were gone", {
  timeout: 90_000,
}, async (t) => {
  await restartUnderFire("kill", t);
});
