import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { AdminClient } from "../../src/client/index.js";
import { ErrorCode } from "../../src/protocol/index.js";
import { BROOK_MAIN, BrokerProcess, kcat, runTool, TEST_TIMEOUT_MS, waitFor } from "./broker-process.js";

/**
 * `brook consumer-groups` (kafka-consumer-groups.sh) against a broker process, with librdkafka's
 * kcat as the group's consumer: what an operator types to see a group's lag and members, to
 * rewind a stopped group, and to delete it; the output laid out as Kafka's tool lays it out, and
 * the reset offsets are where a real consumer of the group then starts.
 */

const TOPIC = "orders";
const GROUP = "billing";
const CLIENT_ID = "billing-app";
/** Records per partition: partition p gets 10 + p. */
const COUNTS = [10, 11, 12];

let broker: BrokerProcess;
let admin: AdminClient;
let consumer: ChildProcess | null = null;

async function groups(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const r = await runTool(
    process.execPath,
    [BROOK_MAIN, "consumer-groups", "--bootstrap-server", broker.bootstrap, ...args],
    { timeoutMs: 30_000 },
  );
  return { code: r.code, stdout: r.stdout, stderr: r.stderr };
}

/** A kcat member of GROUP (balanced consumer), committing every 100 ms; its output is not read. */
function startConsumer(): ChildProcess {
  const child = spawn(
    "kcat",
    [
      "-b",
      broker.bootstrap,
      "-G",
      GROUP,
      "-X",
      `client.id=${CLIENT_ID}`,
      "-X",
      "auto.commit.interval.ms=100",
      "-X",
      "auto.offset.reset=earliest",
      "-q",
      TOPIC,
    ],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  child.stderr?.resume();
  return child;
}

async function stopConsumer(): Promise<void> {
  const child = consumer;
  consumer = null;
  if (child === null || child.exitCode !== null) return;
  // SIGTERM: kcat commits and leaves the group, as a consumer shut down cleanly does.
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  await exited;
}

/** What a fresh member of GROUP reads up to the end of each partition (kcat -G ... -e). */
async function consumeAsGroup(): Promise<string[]> {
  const out = await kcat(
    [
      "-b",
      broker.bootstrap,
      "-G",
      GROUP,
      "-X",
      "auto.offset.reset=earliest",
      "-e",
      "-q",
      "-f",
      "%k\n",
      TOPIC,
    ],
    { timeoutMs: 30_000 },
  );
  return out.split("\n").filter((l) => l !== "");
}

before(async () => {
  broker = await BrokerProcess.start({ overrides: { "group.initial.rebalance.delay.ms": "0" } });
  admin = new AdminClient({ bootstrap: broker.bootstrap, timeoutMs: 10_000 });
  const [created] = await admin.createTopics([{ name: TOPIC, numPartitions: 3, replicationFactor: 1 }]);
  assert.equal(created?.errorCode, ErrorCode.NONE);
  for (const [p, count] of COUNTS.entries()) {
    const lines = Array.from({ length: count }, (_, i) => `p${p}-${i}:v`).join("\n");
    await kcat(["-P", "-b", broker.bootstrap, "-t", TOPIC, "-p", String(p), "-K:"], { input: `${lines}\n` });
  }
});

after(async () => {
  consumer?.kill("SIGKILL");
  admin?.close();
  await broker?.dispose();
});

test("an active group: --list, --describe (lag per partition), --members and --state as Kafka prints them", {
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  consumer = startConsumer();
  // Stable, and everything consumed and committed.
  const described = await waitFor(
    "the group stable with every record committed",
    async () => {
      const r = await groups("--describe", "--group", GROUP);
      const rows = r.stdout.split("\n").filter((l) => l.startsWith(GROUP));
      const caughtUp = rows.length === 3 && rows.every((l) => / 0 {14} /.test(l) && !l.includes(" - "));
      return caughtUp ? r : undefined;
    },
    30_000,
    200,
  );
  assert.equal(described.code, 0, described.stderr);
  const memberId = /(billing-app-[0-9a-f-]+)/.exec(described.stdout)?.[1] as string;
  assert.ok(memberId !== undefined, described.stdout);
  const idWidth = memberId.length;
  const row = (p: number) =>
    `${GROUP.padEnd(15)} ${TOPIC.padEnd(15)} ${String(p).padEnd(10)} ${String(COUNTS[p]).padEnd(15)} ${String(COUNTS[p]).padEnd(15)} ${"0".padEnd(15)} ${memberId} ${"/127.0.0.1".padEnd(15)} ${CLIENT_ID}`;
  assert.equal(
    described.stdout,
    `\n${"GROUP".padEnd(15)} ${"TOPIC".padEnd(15)} ${"PARTITION".padEnd(10)} ${"CURRENT-OFFSET".padEnd(15)} ${"LOG-END-OFFSET".padEnd(15)} ${"LAG".padEnd(15)} ${"CONSUMER-ID".padEnd(idWidth)} ${"HOST".padEnd(15)} CLIENT-ID\n${row(0)}\n${row(1)}\n${row(2)}\n`,
  );
  assert.equal(described.stderr, "", "a stable group: no notice");

  const list = await groups("--list");
  assert.deepEqual(list.stdout.split("\n").filter(Boolean), [GROUP]);
  const listState = await groups("--list", "--state");
  assert.equal(
    listState.stdout,
    `${"GROUP".padEnd(25)} ${"STATE".padEnd(20)}\n${GROUP.padEnd(25)} ${"Stable".padEnd(20)}\n`,
  );
  const filtered = await groups("--list", "--state", "empty");
  assert.equal(filtered.stdout, `${"GROUP".padEnd(25)} ${"STATE".padEnd(20)}\n`, "no empty group");

  const members = await groups("--describe", "--group", GROUP, "--members", "--verbose");
  assert.equal(
    members.stdout,
    `\n${"GROUP".padEnd(15)} ${"CONSUMER-ID".padEnd(idWidth)} ${"HOST".padEnd(15)} ${"CLIENT-ID".padEnd(15)} ${"#PARTITIONS".padEnd(15)} ${"CURRENT-EPOCH".padEnd(15)} ${"CURRENT-ASSIGNMENT".padEnd(20)} ${"TARGET-EPOCH".padEnd(15)} ${"TARGET-ASSIGNMENT".padEnd(20)}\n` +
      `${GROUP.padEnd(15)} ${memberId} ${"/127.0.0.1".padEnd(15)} ${CLIENT_ID.padEnd(15)} ${"3".padEnd(15)} ${"-".padEnd(15)} ${"orders:0,1,2".padEnd(20)} ${"-".padEnd(15)} ${"-".padEnd(20)}\n`,
  );

  const state = await groups("--describe", "--group", GROUP, "--state");
  const coordinator = `${broker.bootstrap}  (1)`.padEnd(25);
  assert.equal(
    state.stdout,
    `\n${"GROUP".padEnd(15)} ${"COORDINATOR (ID)".padEnd(25)} ${"ASSIGNMENT-STRATEGY".padEnd(20)} ${"STATE".padEnd(20)} #MEMBERS\n${GROUP.padEnd(15)} ${coordinator} ${"range".padEnd(20)} ${"Stable".padEnd(20)} 1\n`,
  );

  // Offsets of a topic the group's members subscribe to cannot be deleted.
  const subscribed = await groups("--delete-offsets", "--group", GROUP, "--topic", `${TOPIC}:0`);
  assert.equal(
    subscribed.stdout,
    "\nError: Encountered some partition-level error, see the follow-up details.\n" +
      `\n${"TOPIC".padEnd(15)} ${"PARTITION".padEnd(10)} ${"STATUS".padEnd(15)}` +
      `\n${TOPIC.padEnd(15)} ${"0".padEnd(10)} Error: org.apache.kafka.common.errors.GroupSubscribedToTopicException: Deleting offsets of a topic is forbidden while the consumer group is actively subscribed to it.\n`,
  );

  const refused = await groups(
    "--reset-offsets",
    "--group",
    GROUP,
    "--all-topics",
    "--to-earliest",
    "--execute",
  );
  assert.equal(refused.code, 0, "Kafka prints the refusal and goes on");
  assert.match(
    refused.stdout,
    /Error: Assignments can only be reset if the group 'billing' is inactive, but the current state is Stable\./,
  );
  const unchanged = await admin.listConsumerGroupOffsets(GROUP);
  assert.deepEqual(
    unchanged.map((o) => Number(o.offset)).sort((a, b) => a - b),
    [...COUNTS],
    "an active group's offsets are not reset",
  );
});

test("a stopped group: no active members, reset offsets (dry run, then executed) where a new member then starts, delete", {
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  await stopConsumer();
  const empty = await waitFor(
    "the group empty",
    async () => {
      const r = await groups("--describe", "--group", GROUP);
      return r.stderr.includes("has no active members") ? r : undefined;
    },
    20_000,
    200,
  );
  assert.equal(empty.stderr, `\nConsumer group '${GROUP}' has no active members.\n`);
  assert.match(empty.stdout, /\nbilling {9}orders {10}0 {10}10 {14}10 {14}0 {15}- {15}- {15}-\n/);

  // A dry run (the default, with Kafka's warning) prints the plan and changes nothing.
  const dry = await groups("--reset-offsets", "--group", GROUP, "--topic", TOPIC, "--to-earliest");
  assert.match(dry.stderr, /WARN: No action will be performed as the --execute option is missing\./);
  const plan = (offsets: number[]) =>
    `\n${"GROUP".padEnd(15)} ${"TOPIC".padEnd(15)} ${"PARTITION".padEnd(10)} NEW-OFFSET${offsets
      .map((o, p) => `\n${GROUP.padEnd(15)} ${TOPIC.padEnd(15)} ${String(p).padEnd(10)} ${o}`)
      .join("")}\n`;
  assert.equal(dry.stdout, plan([0, 0, 0]));
  assert.deepEqual(await consumeAsGroup(), [], "after a dry run the group is still at the end");

  // Partition 0 back to offset 4, partition 1 shifted back by 3, partition 2 to the earliest.
  const toOffset = await groups(
    "--reset-offsets",
    "--group",
    GROUP,
    "--topic",
    `${TOPIC}:0`,
    "--to-offset",
    "4",
    "--execute",
  );
  assert.equal(
    toOffset.stdout,
    `\n${"GROUP".padEnd(15)} ${"TOPIC".padEnd(15)} ${"PARTITION".padEnd(10)} NEW-OFFSET\n${GROUP.padEnd(15)} ${TOPIC.padEnd(15)} ${"0".padEnd(10)} 4\n`,
  );
  await groups("--reset-offsets", "--group", GROUP, "--topic", `${TOPIC}:1`, "--shift-by", "-3", "--execute");
  await groups("--reset-offsets", "--group", GROUP, "--topic", `${TOPIC}:2`, "--to-earliest", "--execute");
  const beyond = await groups(
    "--reset-offsets",
    "--group",
    GROUP,
    "--topic",
    `${TOPIC}:1`,
    "--to-offset",
    "99",
    "--dry-run",
  );
  assert.match(
    beyond.stderr,
    /New offset \(99\) is higher than latest offset for topic partition orders-1\. Value will be set to 11\./,
  );

  const read = await consumeAsGroup();
  const expected = [
    ...Array.from({ length: 6 }, (_, i) => `p0-${i + 4}`),
    ...Array.from({ length: 3 }, (_, i) => `p1-${i + 8}`),
    ...Array.from({ length: 12 }, (_, i) => `p2-${i}`),
  ];
  assert.deepEqual(
    [...read].sort(),
    [...expected].sort(),
    "a new member of the group starts at the reset offsets",
  );
  const committed = async () =>
    (await admin.listConsumerGroupOffsets(GROUP))
      .sort((a, b) => a.partition - b.partition)
      .map((o) => `${o.partition}:${o.offset}`);
  assert.deepEqual(await committed(), ["0:10", "1:11", "2:12"], "the new member committed the ends");

  // --export writes the plan as CSV; --from-file applies such a plan.
  const exported = await groups(
    "--reset-offsets",
    "--group",
    GROUP,
    "--all-topics",
    "--to-earliest",
    "--dry-run",
    "--export",
  );
  assert.equal(exported.stdout, "orders,0,0\norders,1,0\norders,2,0\n\n");
  const planFile = join(mkdtempSync(join(tmpdir(), "brook-plan-")), "plan.csv");
  writeFileSync(planFile, "orders,1,5\norders,2,99\n");
  const fromFile = await groups("--reset-offsets", "--group", GROUP, "--from-file", planFile, "--execute");
  assert.match(
    fromFile.stderr,
    /New offset \(99\) is higher than latest offset for topic partition orders-2\. Value will be set to 12\./,
  );
  assert.deepEqual(await committed(), ["0:10", "1:5", "2:12"], "the plan's partitions moved, the others not");

  // --delete-offsets of a stopped group: partition 2's offset goes; one never committed is named.
  const deletedOffsets = await groups("--delete-offsets", "--group", GROUP, "--topic", `${TOPIC}:2`);
  assert.equal(
    deletedOffsets.stdout,
    `Request succeeded for deleting offsets from group ${GROUP}.\n\n${"TOPIC".padEnd(15)} ${"PARTITION".padEnd(10)} ${"STATUS".padEnd(15)}\n${TOPIC.padEnd(15)} ${"2".padEnd(10)} ${"Successful".padEnd(15)}\n`,
  );
  assert.deepEqual(await committed(), ["0:10", "1:5"]);

  const deleted = await groups("--delete", "--group", GROUP, "--group", "no-such-group");
  assert.equal(
    deleted.stdout,
    "\nError: Deletion of some consumer groups failed:\n* Group 'no-such-group' could not be deleted due to: org.apache.kafka.common.errors.GroupIdNotFoundException: The group id does not exist.\n\nThese consumer groups were deleted successfully: 'billing'\n",
  );
  assert.equal((await groups("--list")).stdout, "", "no group left");
  const gone = await groups("--describe", "--group", GROUP);
  assert.equal(gone.stdout, `\nError: Consumer group '${GROUP}' does not exist.\n`);
});

test("bad command lines get Kafka's messages, the help on stderr, and exit code 1", {
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  const cases: [string[], string][] = [
    [["--describe"], "Option [describe] takes one of these options: [group], [all-groups]"],
    [["--list", "--group", "g"], `Option "[group]" can't be used with option "[list]"`],
    [
      ["--describe", "--group", "g", "--members", "--state"],
      "Option [describe] takes at most one of these options: [members], [offsets], [state]",
    ],
    [["--list", "--members"], "Option(s) [members] are unavailable given other options on the command line"],
    [
      ["--reset-offsets", "--group", "g", "--to-earliest", "--to-latest", "--dry-run"],
      `Option "[to-earliest]" can't be used with option "[to-latest]"`,
    ],
    [
      ["--reset-offsets", "--group", "g", "--to-earliest", "--execute"],
      "One of the reset scopes should be defined: --all-topics, --topic.",
    ],
    [
      ["--delete-offsets", "--group", "g"],
      "Option [delete-offsets] takes the following options: [group], [topic]",
    ],
    [
      ["--list", "--describe", "--all-groups"],
      "Command must include exactly one action: --list, --describe, --delete, --reset-offsets, --delete-offsets",
    ],
  ];
  for (const [args, message] of cases) {
    const r = await groups(...args);
    assert.equal(r.code, 1, `${args.join(" ")}: exit code`);
    assert.ok(r.stderr.startsWith(`${message}\nOption `), `${args.join(" ")}: ${r.stderr.slice(0, 200)}`);
  }
  const unknown = await groups("--validate-regex", "a.*");
  assert.equal(unknown.stderr, "validate-regex is not a recognized option\n");
  assert.equal(unknown.code, 1);
});
