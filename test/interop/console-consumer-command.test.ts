import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { after, before, test } from "node:test";
import { AdminClient, type ConsumerGroupDescription } from "../../src/client/index.js";
import { ErrorCode } from "../../src/protocol/index.js";
import { BROOK_MAIN, BrokerProcess, kcat, runTool, TEST_TIMEOUT_MS, waitFor } from "./broker-process.js";

/**
 * `brook console-consumer` (kafka-console-consumer.sh) as a process against a broker process, with
 * kcat producing the records and, in one test, kcat as the other member of a group: every record
 * once and in order per partition, a partition from an offset, two Brook members sharing a topic
 * and their committed offsets used by a third, a librdkafka member and a Brook member in one
 * range-assigned group, and an idle consumer ending on --timeout-ms.
 */

const TOPIC = "events";
/** Records per partition, keyed p<partition>-<index>. */
const COUNTS = [4, 5, 3];
const TOTAL = COUNTS.reduce((a, b) => a + b, 0);

let broker: BrokerProcess;
let admin: AdminClient;
const children = new Set<ChildProcess>();

/** The command line that runs the tool. */
function toolCommand(args: readonly string[]): string[] {
  return [BROOK_MAIN, "console-consumer", ...args];
}

interface Running {
  child: ChildProcess;
  lines(): string[];
  stderr(): string;
  exited: Promise<number | null>;
}

function start(...args: string[]): Running {
  const child = spawn(process.execPath, toolCommand(["--bootstrap-server", broker.bootstrap, ...args]), {
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.add(child);
  let out = "";
  let err = "";
  child.stdout?.setEncoding("utf8").on("data", (c: string) => {
    out += c;
  });
  child.stderr?.setEncoding("utf8").on("data", (c: string) => {
    err += c;
  });
  const exited = new Promise<number | null>((resolve) =>
    child.once("close", (code) => {
      children.delete(child);
      resolve(code);
    }),
  );
  return { child, lines: () => out.split("\n").filter((l) => l !== ""), stderr: () => err, exited };
}

async function runToEnd(
  ...args: string[]
): Promise<{ code: number | null; lines: string[]; stderr: string }> {
  const r = await runTool(process.execPath, toolCommand(["--bootstrap-server", broker.bootstrap, ...args]), {
    timeoutMs: 60_000,
  });
  return { code: r.code, lines: r.stdout.split("\n").filter((l) => l !== ""), stderr: r.stderr };
}

async function stop(r: Running): Promise<number | null> {
  r.child.kill("SIGTERM");
  return r.exited;
}

async function produce(topic: string, partition: number, lines: string[]): Promise<void> {
  await kcat(["-P", "-b", broker.bootstrap, "-t", topic, "-p", String(partition), "-K:"], {
    input: `${lines.join("\n")}\n`,
  });
}

async function createTopic(name: string, partitions: number): Promise<void> {
  const [created] = await admin.createTopics([{ name, numPartitions: partitions, replicationFactor: 1 }]);
  assert.equal(created?.errorCode, ErrorCode.NONE);
}

/** The group once it is stable with `members` members that each own at least one partition. */
async function waitForMembers(group: string, members: number): Promise<ConsumerGroupDescription> {
  return waitFor(
    `group ${group} stable with ${members} members, each with partitions`,
    async () => {
      const [d] = await admin.describeConsumerGroups([group]);
      const ok =
        d !== undefined &&
        d.state === "Stable" &&
        d.members.length === members &&
        d.members.every((m) => m.assignment.length > 0);
      return ok ? d : undefined;
    },
    60_000,
    200,
  );
}

/** "Partition:p\tkey\tvalue" lines into [partition, key]. */
function parsed(lines: readonly string[]): [number, string][] {
  return lines.map((l) => {
    const m = /^Partition:(\d+)\t([^\t]*)\t/.exec(l);
    assert.ok(m !== null, l);
    return [Number(m[1]), m[2] as string];
  });
}

function assertEveryRecordOnce(rows: [number, string][]): void {
  const keys = rows.map(([, k]) => k);
  assert.equal(new Set(keys).size, keys.length, `duplicates in ${keys.join(",")}`);
  assert.equal(keys.length, TOTAL, keys.join(","));
  for (const [p, count] of COUNTS.entries()) {
    const inPartition = rows.filter(([q]) => q === p).map(([, k]) => k);
    assert.deepEqual(
      inPartition,
      Array.from({ length: count }, (_, i) => `p${p}-${i}`),
    );
  }
}

before(async () => {
  broker = await BrokerProcess.start({ overrides: { "group.initial.rebalance.delay.ms": "0" } });
  admin = new AdminClient({ bootstrap: broker.bootstrap, timeoutMs: 10_000 });
  await createTopic(TOPIC, 3);
  for (const [p, count] of COUNTS.entries()) {
    await produce(
      TOPIC,
      p,
      Array.from({ length: count }, (_, i) => `p${p}-${i}:v${i}`),
    );
  }
});

after(async () => {
  for (const child of children) child.kill("SIGKILL");
  admin?.close();
  await broker?.dispose();
});

test("--from-beginning --max-messages: every record once, in order per partition, as Kafka prints it", {
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  const r = await runToEnd(
    "--topic",
    TOPIC,
    "--from-beginning",
    "--max-messages",
    String(TOTAL),
    "--property",
    "print.key=true",
    "--property",
    "print.partition=true",
  );
  assert.equal(r.code, 0, r.stderr);
  const rows = parsed(r.lines);
  assertEveryRecordOnce(rows);
  for (const line of r.lines) assert.match(line, /^Partition:(\d)\tp\1-(\d)\tv\2$/);
  assert.match(r.stderr, /Processed a total of 12 messages\n$/);
});

test("--partition 1 --offset 2 reads that partition from there", { timeout: TEST_TIMEOUT_MS }, async () => {
  const r = await runToEnd(
    "--topic",
    TOPIC,
    "--partition",
    "1",
    "--offset",
    "2",
    "--max-messages",
    "3",
    "--property",
    "print.offset=true",
    "--property",
    "print.key=true",
  );
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.lines, ["Offset:2\tp1-2\tv2", "Offset:3\tp1-3\tv3", "Offset:4\tp1-4\tv4"]);
  assert.match(r.stderr, /Processed a total of 3 messages\n$/);
});

test("two members of a group share the partitions; a third resumes from their committed offsets", {
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  const group = "shared";
  const args = ["--topic", TOPIC, "--group", group, "--from-beginning", "--property", "print.key=true"];
  const a = start(...args, "--property", "print.partition=true");
  const b = start(...args, "--property", "print.partition=true");
  const described = await waitForMembers(group, 2);
  const owned = described.members.map((m) => m.assignment.length).sort();
  assert.deepEqual(owned, [1, 2], "range: 3 partitions over 2 members");
  await waitFor(
    "every record printed",
    async () => (a.lines().length + b.lines().length >= TOTAL ? true : undefined),
    60_000,
  );
  assert.equal(await stop(a), 0, a.stderr());
  assert.equal(await stop(b), 0, b.stderr());
  assertEveryRecordOnce([...parsed(a.lines()), ...parsed(b.lines())]);
  assert.match(a.stderr(), /Processed a total of \d+ messages\n$/);

  // No --from-beginning: the committed offsets, so nothing old; a new record arrives.
  const c = start("--topic", TOPIC, "--group", group, "--max-messages", "1", "--property", "print.key=true");
  const [d] = [await waitForMembers(group, 1)];
  assert.equal(d.members[0]?.assignment.length, 3);
  await produce(TOPIC, 2, ["fresh:new"]);
  assert.equal(await c.exited, 0, c.stderr());
  assert.deepEqual(c.lines(), ["fresh\tnew"]);
  assert.match(c.stderr(), /Processed a total of 1 messages\n$/);
});

test("a kcat (librdkafka) member and a Brook member split a range-assigned group", {
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  const topic = "mixed";
  const group = "mixed-group";
  await createTopic(topic, 4);
  // From the beginning, both: the topic is empty, and a member's start must not race the records.
  const brook = start(
    "--topic",
    topic,
    "--group",
    group,
    "--from-beginning",
    "--property",
    "print.key=true",
    "--property",
    "print.partition=true",
  );
  const kcatChild = spawn(
    "kcat",
    [
      "-b",
      broker.bootstrap,
      "-G",
      group,
      "-X",
      "auto.offset.reset=earliest",
      "-q",
      "-u",
      "-f",
      "Partition:%p\t%k\t%s\n",
      topic,
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  children.add(kcatChild);
  let kcatOut = "";
  kcatChild.stdout?.setEncoding("utf8").on("data", (c: string) => {
    kcatOut += c;
  });
  kcatChild.stderr?.resume();
  const described = await waitForMembers(group, 2);
  assert.equal(described.partitionAssignor, "range");
  const brookMember = described.members.find((m) => m.clientId === "console-consumer");
  assert.ok(brookMember !== undefined, JSON.stringify(described.members));
  const brookPartitions = brookMember.assignment.map((tp) => tp.partition).sort();
  const kcatPartitions = described.members
    .filter((m) => m !== brookMember)
    .flatMap((m) => m.assignment.map((tp) => tp.partition))
    .sort();
  assert.equal(brookPartitions.length + kcatPartitions.length, 4);
  assert.equal(new Set([...brookPartitions, ...kcatPartitions]).size, 4);

  for (let p = 0; p < 4; p++) await produce(topic, p, [`k${p}:v${p}`]);
  const kcatLines = () => kcatOut.split("\n").filter((l) => l !== "");
  await waitFor(
    "each new record printed by one member",
    async () => {
      if (brook.lines().length + kcatLines().length >= 4) return true;
      throw new Error(`brook: ${brook.lines().join("|")} kcat: ${kcatLines().join("|")}`);
    },
    60_000,
  );
  const brookSeen = parsed(brook.lines())
    .map(([p]) => p)
    .sort();
  const kcatSeen = parsed(kcatLines())
    .map(([p]) => p)
    .sort();
  assert.deepEqual(brookSeen, brookPartitions);
  assert.deepEqual(kcatSeen, kcatPartitions);
  assert.equal(await stop(brook), 0, brook.stderr());
  kcatChild.kill("SIGTERM");
});

test("--timeout-ms ends an idle consumer with exit 0", { timeout: TEST_TIMEOUT_MS }, async () => {
  const r = await runToEnd("--topic", TOPIC, "--timeout-ms", "1500");
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.lines, []);
  assert.match(r.stderr, /Processed a total of 0 messages\n$/);
});
