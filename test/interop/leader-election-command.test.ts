import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { BROOK_MAIN, runTool, TEST_TIMEOUT_MS } from "./broker-process.js";
import { ProcessCluster, waitFor } from "./cluster/cluster-harness.js";

/**
 * `brook leader-election` (kafka-leader-election.sh) on three broker processes: a topic whose
 * partitions prefer brokers 1, 2 and 3; broker 1 restarts, so partition 0's leadership moves away
 * and stays away (no automatic rebalance here); a preferred election gives it back. Also what the
 * tool prints and exits with when nothing needs electing, when the preferred replica cannot lead,
 * and for a partition that does not exist.
 */

const TOPIC = "elect";
const LAG_MAX_MS = 1500;

let cluster: ProcessCluster;

before(async () => {
  cluster = await ProcessCluster.start({
    overrides: {
      // The controller must not move leadership back by itself: the tool does it here.
      "auto.leader.rebalance.enable": "false",
      "replica.lag.time.max.ms": String(LAG_MAX_MS),
    },
  });
});

after(async () => {
  await cluster?.dispose();
});

function brook(tool: string, ...args: string[]) {
  return runTool(process.execPath, [BROOK_MAIN, tool, "--bootstrap-server", cluster.bootstrap, ...args], {
    timeoutMs: 45_000,
  });
}

const elect = (...args: string[]) => brook("leader-election", "--election-type", ...args);

/** Partition -> [leader, isr] from `brook topics --describe`. */
async function leaders(): Promise<Map<number, [string, string]>> {
  const run = await brook("topics", "--describe", "--topic", TOPIC);
  assert.equal(run.code, 0, run.stderr);
  const rows = new Map<number, [string, string]>();
  for (const m of run.stdout.matchAll(/Partition: (\d+)\tLeader: (\S+)\tReplicas: \S+\tIsr: (\S+)/g)) {
    rows.set(Number(m[1]), [m[2] as string, m[3] as string]);
  }
  return rows;
}

test("a preferred election gives a partition back to its first replica after a restart", {
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  const created = await brook(
    "topics",
    "--create",
    "--topic",
    TOPIC,
    "--replica-assignment",
    "1:2:3,2:3:1,3:1:2",
  );
  assert.equal(created.code, 0, created.stderr);
  await waitFor(
    "every replica in sync",
    async () =>
      [...(await leaders()).values()].every(([, isr]) => isr.split(",").length === 3) ? true : undefined,
    15_000,
  );
  // Every partition is led by its preferred replica: over all partitions, nothing to say.
  assert.deepEqual(await elect("preferred", "--all-topic-partitions"), {
    code: 0,
    signal: null,
    stdout: "",
    stderr: "",
  });
  assert.deepEqual(await elect("PREFERRED", "--topic", TOPIC, "--partition", "0"), {
    code: 0,
    signal: null,
    stdout: `Valid replica already elected for partitions ${TOPIC}-0\n`,
    stderr: "",
  });

  await cluster.node(1).kill();
  await waitFor(
    "partition 0 led by another broker",
    async () => ((await leaders()).get(0)?.[0] !== "1" ? true : undefined),
    cluster.sessionTimeoutMs + 10_000,
  );
  // Broker 1 is down: it cannot lead; the tool says why and exits with 1.
  const refused = await elect("preferred", "--topic", TOPIC, "--partition", "0");
  assert.equal(refused.code, 1);
  assert.equal(
    refused.stdout,
    `Error completing leader election (PREFERRED) for partition: ${TOPIC}-0: org.apache.kafka.common.errors.PreferredLeaderNotAvailableException: The preferred leader was not available.\n`,
  );
  assert.equal(refused.stderr, "1 replica(s) could not be elected\n");

  await cluster.node(1).restart();
  await waitFor(
    "broker 1 back in partition 0's ISR",
    async () => ((await leaders()).get(0)?.[1].split(",").includes("1") ? true : undefined),
    LAG_MAX_MS + 20_000,
  );
  assert.notEqual((await leaders()).get(0)?.[0], "1", "leadership stays away without an election");

  const file = join(cluster.node(2).dataDir, "election.json");
  writeFileSync(
    file,
    JSON.stringify({ partitions: [0, 1, 2].map((partition) => ({ topic: TOPIC, partition })) }),
  );
  const back = await elect("preferred", "--path-to-json-file", file);
  assert.deepEqual(back, {
    code: 0,
    signal: null,
    stdout: [
      `Successfully completed leader election (PREFERRED) for partitions ${TOPIC}-0`,
      `Valid replica already elected for partitions ${TOPIC}-1, ${TOPIC}-2`,
      "",
    ].join("\n"),
    stderr: "",
  });
  assert.equal((await leaders()).get(0)?.[0], "1", "broker 1 leads partition 0 again");
});

test("a partition the cluster does not have: the error line, exit code 1", {
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  assert.deepEqual(await elect("unclean", "--topic", "nosuch", "--partition", "0"), {
    code: 1,
    signal: null,
    stdout:
      "Error completing leader election (UNCLEAN) for partition: nosuch-0: org.apache.kafka.common.errors.UnknownTopicOrPartitionException: No such topic as nosuch\n",
    stderr: "1 replica(s) could not be elected\n",
  });
});
