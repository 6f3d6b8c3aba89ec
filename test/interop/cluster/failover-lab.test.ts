import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { after, before, test } from "node:test";
import { Producer } from "../../../src/client/index.js";
import { BROOK_MAIN, kcat, REPO_ROOT, runTool, TEST_TIMEOUT_MS } from "../broker-process.js";
import { ProcessCluster, sleep, waitFor } from "./cluster-harness.js";

/**
 * The README's failover lab as a test, step by step with the same commands (`brook topics` and
 * kcat), on etcd and three real brokers (free ports instead of 9092-9094): create
 * my-failsafe-topic (13 partitions, replication factor 3, min.insync.replicas=2), two consumers in
 * a group and a producer, describe it, kill the first server, see leaders and ISRs move while
 * producing and consuming go on, restart it, see it rejoin every ISR, and find every line typed
 * into the producer consumed by the group.
 */
const TOPIC = "my-failsafe-topic";
const GROUP = "failsafe-group";
const SESSION_TIMEOUT_MS = 2000;
const LAG_MAX_MS = 3000;

let cluster: ProcessCluster;
const consumers: ChildProcess[] = [];
const consumed = new Set<string>();
/** What Brook's member printed. */
const consumedByBrook = new Set<string>();
const consumerErrors: string[] = [];

before(async () => {
  cluster = await ProcessCluster.start({
    sessionTimeoutMs: SESSION_TIMEOUT_MS,
    overrides: {
      "replica.lag.time.max.ms": String(LAG_MAX_MS),
      "offsets.topic.replication.factor": "3",
      "default.replication.factor": "3",
      "min.insync.replicas": "2",
      "group.initial.rebalance.delay.ms": "0",
    },
  });
});

after(async () => {
  for (const c of consumers) c.kill("SIGKILL");
  await cluster?.dispose();
});

async function topics(args: string[]): Promise<string> {
  const result = await runTool(
    process.execPath,
    [BROOK_MAIN, "topics", "--bootstrap-server", cluster.bootstrap, ...args],
    {
      timeoutMs: 30_000,
    },
  );
  assert.equal(result.code, 0, `brook topics ${args.join(" ")}: ${result.stdout}${result.stderr}`);
  return result.stdout;
}

/** Partition lines of `brook topics --describe`: partition -> leader, replicas, isr. */
function partitionLines(describe: string): Map<number, { leader: string; replicas: string; isr: string }> {
  const rows = new Map<number, { leader: string; replicas: string; isr: string }>();
  for (const line of describe.split("\n")) {
    const m = /Partition: (\d+)\tLeader: (\S+)\tReplicas: (\S+)\tIsr: (\S+)/.exec(line);
    if (m !== null)
      rows.set(Number(m[1]), { leader: m[2] as string, replicas: m[3] as string, isr: m[4] as string });
  }
  return rows;
}

/**
 * A member of the lab's group: kcat (librdkafka), or Brook's own `brook console-consumer`, so that
 * the group that rides out the kill mixes both clients.
 */
function startConsumer(kind: "kcat" | "brook"): void {
  const child =
    kind === "kcat"
      ? spawn(
          "kcat",
          [
            "-b",
            cluster.bootstrap,
            "-G",
            GROUP,
            "-u",
            "-X",
            "auto.offset.reset=earliest",
            "-f",
            "%s\\n",
            TOPIC,
          ],
          { stdio: ["ignore", "pipe", "pipe"] },
        )
      : spawn(
          process.execPath,
          [
            BROOK_MAIN,
            "console-consumer",
            "--bootstrap-server",
            cluster.bootstrap,
            "--group",
            GROUP,
            "--topic",
            TOPIC,
            "--from-beginning",
          ],
          { stdio: ["ignore", "pipe", "pipe"] },
        );
  createInterface({ input: child.stdout }).on("line", (line) => {
    consumed.add(line);
    if (kind === "brook") consumedByBrook.add(line);
  });
  createInterface({ input: child.stderr }).on("line", (line) => consumerErrors.push(`${kind}: ${line}`));
  consumers.push(child);
}

/** `brook consumer-groups --describe --members` of the lab's group. */
function describeMembers() {
  return runTool(process.execPath, [
    BROOK_MAIN,
    "consumer-groups",
    "--bootstrap-server",
    cluster.bootstrap,
    "--describe",
    "--group",
    GROUP,
    "--members",
  ]);
}

async function produce(lines: string[]): Promise<void> {
  await kcat(
    ["-b", cluster.bootstrap, "-P", "-t", TOPIC, "-X", "acks=all", "-X", "message.timeout.ms=30000"],
    {
      input: `${lines.join("\n")}\n`,
      timeoutMs: 60_000,
    },
  );
}

test("the README's failover lab", { timeout: TEST_TIMEOUT_MS * 2 }, async () => {
  // The README has the steps this test runs.
  const readme = readFileSync(join(REPO_ROOT, "README.md"), "utf8");
  for (const step of [
    "--create --topic my-failsafe-topic",
    "--partitions 13 --replication-factor 3 --config min.insync.replicas=2",
    "--describe --topic my-failsafe-topic",
    "-G failsafe-group my-failsafe-topic",
    "kill -9 $(pgrep -f 'server-1.properties')",
    "--describe --under-replicated-partitions",
  ]) {
    assert.ok(readme.includes(step), `the README's lab has: ${step}`);
  }

  const created = await topics([
    "--create",
    "--topic",
    TOPIC,
    "--partitions",
    "13",
    "--replication-factor",
    "3",
    "--config",
    "min.insync.replicas=2",
  ]);
  assert.match(created, /Created topic my-failsafe-topic\./);
  const before = partitionLines(await topics(["--describe", "--topic", TOPIC]));
  assert.equal(before.size, 13);
  for (const row of before.values())
    assert.equal(row.isr.split(",").length, 3, "every partition fully in sync");
  assert.ok(
    [...before.values()].some((r) => r.leader === "1"),
    "the first server leads some partitions",
  );

  startConsumer("kcat");
  startConsumer("brook");
  // Both members in the group, each with partitions, before anything is typed.
  await waitFor(
    "both consumers to share the topic",
    async () => {
      const members = await describeMembers();
      const counts = [...members.stdout.matchAll(/^failsafe-group\s+\S+\s+\S+\s+\S+\s+(\d+)/gm)].map((m) =>
        Number(m[1]),
      );
      return counts.length === 2 && counts.every((n) => n > 0) ? true : undefined;
    },
    30_000,
    250,
  );
  const typed = Array.from({ length: 100 }, (_, i) => `line-${i}`);
  await produce(typed.slice(0, 50));
  // Brook's own producer too: its metadata names the first server as a leader when it is killed,
  // and the records it sends right after must reach the new leaders (retries after a refresh).
  // With the console producer's retries (3): reaching no broker while leadership moves costs none.
  const brookProducer = new Producer({ bootstrap: cluster.bootstrap, acks: "all", lingerMs: 1, retries: 3 });
  const viaBrook = Array.from({ length: 60 }, (_, i) => `brook-${i}`);
  const brookSent = await Promise.all(
    viaBrook.slice(0, 30).map((v) => brookProducer.send({ topic: TOPIC, key: v, value: v })),
  );
  assert.ok(
    brookSent.some((m) => before.get(m.partition)?.leader === "1"),
    "Brook's producer wrote to partitions the first server leads",
  );

  await cluster.node(1).kill();
  const killedAt = Date.now();
  const brookAfterKill = Promise.all(
    viaBrook.slice(30).map((v) => brookProducer.send({ topic: TOPIC, key: v, value: v })),
  );
  const moved = await waitFor(
    "leaderships to move off the first server",
    async () => {
      const rows = partitionLines(await topics(["--describe", "--topic", TOPIC]));
      return [...rows.values()].every((r) => r.leader !== "1" && !r.isr.split(",").includes("1"))
        ? rows
        : undefined;
    },
    SESSION_TIMEOUT_MS + 10_000,
    200,
  );
  assert.ok(Date.now() - killedAt < SESSION_TIMEOUT_MS + 10_000);
  for (const row of moved.values()) assert.notEqual(row.leader, "none", "every partition has a leader");
  const underReplicated = partitionLines(await topics(["--describe", "--under-replicated-partitions"]));
  assert.ok(underReplicated.size >= 13, "the topic's partitions are under-replicated while server 1 is down");
  await produce(typed.slice(50, 80));
  const brookAcknowledged = await brookAfterKill;
  assert.equal(
    brookAcknowledged.length,
    30,
    "every record Brook's producer sent after the kill was acknowledged",
  );
  await brookProducer.close();

  await cluster.node(1).restart();
  await waitFor(
    "the first server back in every ISR",
    async () => {
      const rows = partitionLines(await topics(["--describe", "--topic", TOPIC]));
      return [...rows.values()].every((r) => r.isr.split(",").includes("1")) ? true : undefined;
    },
    LAG_MAX_MS + 20_000,
    250,
  );
  await produce(typed.slice(80));
  await waitFor(
    "every typed line consumed by the group",
    async () => ([...typed, ...viaBrook].every((l) => consumed.has(l)) ? true : undefined),
    30_000,
    200,
  ).catch((error: unknown) => {
    const missing = [...typed, ...viaBrook].filter((l) => !consumed.has(l));
    throw new Error(
      `${String(error)}; missing ${missing.join(" ")}\nconsumers: ${consumerErrors.slice(-20).join("\n")}\n${cluster.logs().slice(-8000)}`,
    );
  });
  // Brook's member took part throughout: it read records sent before the kill and after it, and
  // is still running (a fatal error would have ended it). Counted on the keyed records of Brook's
  // producer, which murmur2 spreads over every partition: kcat's keyless lines stick to one
  // partition per burst (librdkafka's sticky partitioning), which may be the other member's.
  for (const [from, to] of [
    [0, 30],
    [30, 60],
  ] as const) {
    if (viaBrook.slice(from, to).some((l) => consumedByBrook.has(l))) continue;
    const members = await describeMembers();
    assert.fail(
      `Brook's console consumer printed none of brook-${from}..brook-${to - 1} (it printed ${[...consumedByBrook].join(" ")}); its stderr: ${consumerErrors.filter((e) => e.startsWith("brook")).join("\n")}\nthe group: ${members.stdout}${members.stderr}`,
    );
  }
  assert.equal(consumers[1]?.exitCode, null, "Brook's console consumer is still running");
  await sleep(200);
});
