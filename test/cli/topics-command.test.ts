import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { AdminClient, type PartitionMetadata } from "../../src/client/index.js";
import { type BrookCluster, type BrookServer, startBroker, startCluster } from "../../src/index.js";
import { ApiKey, ErrorCode, type FindCoordinatorResponse } from "../../src/protocol/index.js";
import { WireClient } from "../helpers/kafka-wire.js";
import { BROOK_MAIN } from "../interop/broker-process.js";

/**
 * `brook topics`, the compiled CLI, against in-process brokers: kafka-topics.sh's options,
 * output (line for line), error messages and exit codes, on one node and on a three-node cluster
 * losing nodes (the failover lab).
 */

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI as a child process without blocking the event loop the brokers run on. */
function brookTopics(...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BROOK_MAIN, "topics", ...args],
      { timeout: 60_000 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === "number" ? error.code : -1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

const ERROR = "Error while executing topic command : ";
const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function partitionLine(topic: string, p: PartitionMetadata): string {
  const leader = p.leaderId < 0 ? "none" : String(p.leaderId);
  const elr = (p.eligibleLeaderReplicas ?? []).join(",");
  const lastKnownElr = (p.lastKnownElr ?? []).join(",");
  return `\tTopic: ${topic}\tPartition: ${p.partitionIndex}\tLeader: ${leader}\tReplicas: ${p.replicas.join(",")}\tIsr: ${p.isr.join(",")}\tElr: ${elr}\tLastKnownElr: ${lastKnownElr}`;
}

async function waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe("on one broker", () => {
  let server: BrookServer;
  let admin: AdminClient;
  const on = (...args: string[]) => brookTopics("--bootstrap-server", server.bootstrap, ...args);
  const topicId = async (name: string) => (await admin.metadata([name])).topics[0]?.topicId;

  before(async () => {
    server = await startBroker();
    admin = new AdminClient({ bootstrap: server.bootstrap, timeoutMs: 10_000 });
  });
  after(async () => {
    admin?.close();
    await server?.stop();
  });

  test("--create with partitions and configs, then --describe prints Kafka's lines", async () => {
    const created = await on(
      "--create",
      "--topic",
      "orders",
      "--partitions",
      "3",
      "--replication-factor",
      "1",
      "--config",
      "retention.ms=3600000",
      "--config",
      "cleanup.policy = compact",
    );
    assert.deepEqual(created, { code: 0, stdout: "Created topic orders.\n", stderr: "" });

    const described = await on("--describe", "--topic", "orders");
    assert.equal(described.code, 0, described.stdout);
    assert.equal(
      described.stdout,
      [
        `Topic: orders\tTopicId: ${await topicId("orders")}\tPartitionCount: 3\tReplicationFactor: 1\tConfigs: cleanup.policy=compact,retention.ms=3600000`,
        "\tTopic: orders\tPartition: 0\tLeader: 1\tReplicas: 1\tIsr: 1\tElr: \tLastKnownElr: ",
        "\tTopic: orders\tPartition: 1\tLeader: 1\tReplicas: 1\tIsr: 1\tElr: \tLastKnownElr: ",
        "\tTopic: orders\tPartition: 2\tLeader: 1\tReplicas: 1\tIsr: 1\tElr: \tLastKnownElr: ",
        "",
      ].join("\n"),
    );
  });

  test("--create of an existing topic fails with Kafka's message, and succeeds quietly with --if-not-exists", async () => {
    await on("--create", "--topic", "twice");
    assert.deepEqual(await on("--create", "--topic", "twice"), {
      code: 1,
      stdout: `${ERROR}Topic 'twice' already exists.\n`,
      stderr: "",
    });
    assert.deepEqual(await on("--create", "--topic", "twice", "--if-not-exists"), {
      code: 0,
      stdout: "",
      stderr: "",
    });
  });

  test("--create warns about '.' and '_' in a name, and takes a --replica-assignment", async () => {
    const run = await on("--create", "--topic", "metrics.by_host", "--replica-assignment", "1,1");
    assert.equal(run.code, 0, run.stdout);
    assert.equal(
      run.stdout,
      "WARNING: Due to limitations in metric names, topics with a period ('.') or underscore ('_') could collide. To avoid issues it is best to use either, but not both.\nCreated topic metrics.by_host.\n",
    );
    const topic = (await admin.metadata(["metrics.by_host"])).topics[0];
    assert.deepEqual(
      topic?.partitions.map((p) => p.replicas),
      [[1], [1]],
    );
  });

  test("--list names every topic, internal ones unless --exclude-internal; --topic filters with a regex", async () => {
    await on("--create", "--topic", "list-a");
    await on("--create", "--topic", "list-b");
    // A consumer group's first FindCoordinator creates __consumer_offsets.
    const wire = await WireClient.connect(server.port);
    const found = await wire.request<FindCoordinatorResponse>(ApiKey.FindCoordinator, 0, { key: "g" });
    wire.close();
    assert.equal(found.errorCode, ErrorCode.NONE);

    const all = await on("--list");
    assert.equal(all.code, 0);
    const names = all.stdout.split("\n");
    assert.equal(names.pop(), "", "one name a line, the last one ended");
    assert.deepEqual(names, [...names].sort());
    assert.ok(names.includes("__consumer_offsets"), all.stdout);
    for (const n of ["list-a", "list-b", "orders"]) assert.ok(names.includes(n), n);

    const external = await on("--list", "--exclude-internal");
    assert.deepEqual(
      external.stdout.split("\n").filter((n) => n !== ""),
      names.filter((n) => n !== "__consumer_offsets"),
    );
    assert.equal((await on("--list", "--topic", "list-.*")).stdout, "list-a\nlist-b\n");
    assert.equal((await on("--list", "--topic", "list-a,orders")).stdout, "list-a\norders\n");
    assert.equal((await on("--list", "--topic", "nothing-.*")).stdout, "\n", "Kafka prints an empty line");
  });

  test("--alter raises the partition count, with or without an assignment for the new partitions", async () => {
    await on("--create", "--topic", "growing", "--partitions", "1");
    assert.deepEqual(await on("--alter", "--topic", "growing", "--partitions", "3"), {
      code: 0,
      stdout: "",
      stderr: "",
    });
    assert.equal((await admin.metadata(["growing"])).topics[0]?.partitions.length, 3);
    const assigned = await on(
      "--alter",
      "--topic",
      "growing",
      "--partitions",
      "4",
      "--replica-assignment",
      "1,1,1,1",
    );
    assert.equal(assigned.code, 0, assigned.stdout);
    assert.equal((await admin.metadata(["growing"])).topics[0]?.partitions.length, 4);

    const lower = await on("--alter", "--topic", "growing", "--partitions", "2");
    assert.equal(lower.code, 1);
    assert.match(lower.stdout, /^Error while executing topic command : .*4 partition.*\n$/);
    assert.deepEqual(await on("--alter", "--topic", "absent", "--partitions", "2"), {
      code: 1,
      stdout: `${ERROR}Topic 'absent' does not exist as expected\n`,
      stderr: "",
    });
    assert.equal((await on("--alter", "--topic", "absent", "--partitions", "2", "--if-exists")).code, 0);
  });

  test("--delete removes the topics --topic names or matches; a missing one fails unless --if-exists", async () => {
    for (const name of ["doomed", "temp-1", "temp-2"]) await on("--create", "--topic", name);
    assert.deepEqual(await on("--delete", "--topic", "doomed"), { code: 0, stdout: "", stderr: "" });
    assert.deepEqual(await on("--delete", "--topic", "temp-.*"), { code: 0, stdout: "", stderr: "" });
    const left = (await on("--list")).stdout.split("\n");
    for (const name of ["doomed", "temp-1", "temp-2"]) assert.ok(!left.includes(name), name);

    assert.deepEqual(await on("--delete", "--topic", "doomed"), {
      code: 1,
      stdout: `${ERROR}Topic 'doomed' does not exist as expected\n`,
      stderr: "",
    });
    assert.deepEqual(await on("--delete", "--topic", "doomed", "--if-exists"), {
      code: 0,
      stdout: "",
      stderr: "",
    });
  });

  test("--describe without --topic covers every topic; --topics-with-overrides only those with overrides", async () => {
    const all = await on("--describe", "--exclude-internal");
    const topicLines = all.stdout.split("\n").filter((l) => l.startsWith("Topic: "));
    const names = topicLines.map((l) => l.split("\t")[0]?.slice("Topic: ".length));
    assert.deepEqual(names, [...names].sort());
    assert.ok(names.includes("orders") && names.includes("growing") && !names.includes("__consumer_offsets"));

    const overridden = await on("--describe", "--topics-with-overrides", "--exclude-internal");
    assert.equal(
      overridden.stdout,
      `Topic: orders\tTopicId: ${await topicId("orders")}\tPartitionCount: 3\tReplicationFactor: 1\tConfigs: cleanup.policy=compact,retention.ms=3600000\n`,
    );
    const byId = await on("--describe", "--topic-id", (await topicId("growing")) as string);
    assert.equal(byId.stdout.split("\n")[0]?.split("\t")[0], "Topic: growing");

    assert.deepEqual(await on("--describe", "--topic", "absent"), {
      code: 1,
      stdout: `${ERROR}Topic 'absent' does not exist as expected\n`,
      stderr: "",
    });
    assert.deepEqual(await on("--describe", "--topic", "absent", "--if-exists"), {
      code: 0,
      stdout: "",
      stderr: "",
    });
    assert.deepEqual(await on("--describe", "--topic-id", "AAAAAAAAAAAAAAAAAAAAAQ"), {
      code: 1,
      stdout: `${ERROR}TopicId 'AAAAAAAAAAAAAAAAAAAAAQ' does not exist as expected\n`,
      stderr: "",
    });
  });

  test("failures of the command: Kafka's messages on stdout, exit code 1", async () => {
    const cases: [string[], string][] = [
      [
        ["--create", "--topic", "bad-config", "--config", "no.such.config=1"],
        "Unknown topic config name: no.such.config",
      ],
      [
        ["--create", "--topic", "bad-value", "--config", "retention.ms=soon"],
        "Invalid value soon for configuration retention.ms: Not a number of type LONG",
      ],
      [
        ["--create", "--topic", "no-value", "--config", "retention.ms"],
        'requirement failed: Invalid topic config: all configs to be added must be in the format "key=val".',
      ],
      [
        ["--create", "--topic", "too-many", "--replication-factor", "3"],
        "Unable to replicate the partition 3 time(s): The target replication factor of 3 cannot be reached because only 1 broker(s) are registered.",
      ],
      [
        ["--create", "--topic", "rf-zero", "--replication-factor", "0"],
        "The replication factor must be between 1 and 32767 inclusive",
      ],
      [["--create", "--topic", "p-zero", "--partitions", "0"], "The partitions must be greater than 0"],
      [
        ["--create", "--topic", "p-text", "--partitions", "three"],
        "Cannot parse argument 'three' of option partitions",
      ],
      [
        ["--create", "--topic", "dup", "--replica-assignment", "1:1"],
        "Partition replica lists may not contain duplicate entries: 1",
      ],
      [
        ["--create", "--topic", "uneven", "--replica-assignment", "1,1:2"],
        "Partition 1 has different replication factor: [1, 2]",
      ],
      [["--describe", "--topic", "orders("], "orders( is an invalid regex."],
    ];
    for (const [args, message] of cases) {
      assert.deepEqual(
        await on(...args),
        { code: 1, stdout: `${ERROR}${message}\n`, stderr: "" },
        args.join(" "),
      );
    }
  });

  test("wrong usage: Kafka's message and the help on stderr, exit code 1", async () => {
    const cases: [string[], string][] = [
      [
        ["--list", "--create"],
        "Command must include exactly one action: --list, --describe, --create, --alter or --delete",
      ],
      [["--create"], 'Missing required argument "[topic]"'],
      [["--alter", "--topic", "orders"], 'Missing required argument "[partitions]"'],
      [
        ["--alter", "--topic", "orders", "--partitions", "5", "--config", "retention.ms=1"],
        'Option combination "[[bootstrap-server], [config]]" can\'t be used with option "[alter]" (To alter topic configurations, the kafka-configs tool can be used.)',
      ],
      [["--list", "--partitions", "3"], 'Option "[partitions]" can\'t be used with option "[list]"'],
      [
        ["--alter", "--topic", "x", "--partitions", "3", "--replication-factor", "1"],
        'Option "[replication-factor]" can\'t be used with option "[alter]"',
      ],
      [
        ["--create", "--topic", "x", "--replica-assignment", "1", "--partitions", "1"],
        'Option "[replica-assignment]" can\'t be used with option "[partitions]"',
      ],
      [
        ["--describe", "--topics-with-overrides", "--under-replicated-partitions"],
        'Option "[under-replicated-partitions]" can\'t be used with option "[topics-with-overrides]"',
      ],
      [
        ["--delete", "--topic", "x", "--exclude-internal"],
        'Option "[exclude-internal]" can\'t be used with option "[delete]"',
      ],
      [["--describe", "--if-exists"], "--topic or --topic-id is required to describe a topic"],
    ];
    for (const [args, message] of cases) {
      const run = await on(...args);
      assert.equal(run.code, 1, args.join(" "));
      assert.equal(run.stdout, "");
      const [first, second] = run.stderr.split("\n");
      assert.equal(first, message);
      assert.match(second ?? "", /^Option +Description +$/);
    }
    const none = await brookTopics();
    assert.equal(none.code, 1);
    assert.match(none.stderr, /^Create, delete, describe, or change a topic\.\nOption/);
    assert.deepEqual(await brookTopics("--list"), {
      code: 1,
      stdout: "",
      stderr: "--bootstrap-server must be specified\n",
    });
    assert.deepEqual(await on("--list", "--zookeeper", "x"), {
      code: 1,
      stdout: "",
      stderr: "zookeeper is not a recognized option\n",
    });
    assert.deepEqual(await on("--list", "--topic"), {
      code: 1,
      stdout: "",
      stderr: "Option topic requires an argument\n",
    });
  });

  test("--help, --version and the deprecated --delete-config", async () => {
    const help = await brookTopics("--help");
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^This tool helps to create, delete, describe, or change a topic\.\n/);
    for (const option of [
      "--bootstrap-server",
      "--under-min-isr-partitions",
      "--replica-assignment",
      "--if-not-exists",
    ]) {
      assert.ok(help.stdout.includes(option), option);
    }
    assert.match((await brookTopics("--version")).stdout, /^\d+\.\d+\.\d+/);
    const run = await on(
      "--list",
      "--exclude-internal",
      "--topic",
      "orders",
      "--delete-config",
      "retention.ms",
    );
    assert.deepEqual(run, {
      code: 0,
      stdout: "orders\n",
      stderr:
        "delete-config option is no longer supported and deprecated since version 4.0. The config will be fully removed in future releases.\n",
    });
  });

  test("--command-config: the timeouts are used, other keys are ignored with a warning", async () => {
    const dir = mkdtempSync(join(tmpdir(), "brook-topics-"));
    dirs.push(dir);
    const file = join(dir, "admin.properties");
    writeFileSync(
      file,
      "default.api.timeout.ms=1500\nrequest.timeout.ms=500\nssl.truststore.location=/nowhere\n",
    );
    const listed = await on("--list", "--exclude-internal", "--topic", "orders", "--command-config", file);
    assert.deepEqual(listed, {
      code: 0,
      stdout: "orders\n",
      stderr:
        "WARN The configuration 'ssl.truststore.location' was supplied but isn't used by Brook's admin client; ignored (security.protocol is PLAINTEXT).\n",
    });

    // Nothing listens there: the command gives up after default.api.timeout.ms.
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, "127.0.0.1", () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const started = Date.now();
    const unreachable = await brookTopics(
      "--bootstrap-server",
      `127.0.0.1:${port}`,
      "--list",
      "--command-config",
      file,
    );
    assert.equal(unreachable.code, 1);
    assert.match(unreachable.stdout, /^Error while executing topic command : .+\n$/);
    assert.ok(Date.now() - started < 10_000, `gave up after ${Date.now() - started} ms`);

    assert.deepEqual(await on("--list", "--command-config", join(dir, "missing.properties")), {
      code: 1,
      stdout: `${ERROR}${join(dir, "missing.properties")}\n`,
      stderr: "",
    });
  });
});

describe("on a three-node cluster losing nodes", () => {
  let cluster: BrookCluster;
  let admin: AdminClient;
  const on = (...args: string[]) => brookTopics("--bootstrap-server", cluster.bootstrap, ...args);
  const TOPIC = "my-failsafe-topic";

  before(async () => {
    cluster = await startCluster({
      nodes: 3,
      properties: { "etcd.session.timeout.ms": "1500", "replica.lag.time.max.ms": "2000" },
    });
    admin = new AdminClient({ bootstrap: cluster.bootstrap, timeoutMs: 10_000 });
  });
  after(async () => {
    admin?.close();
    await cluster?.stop();
  });

  // As the tool sees them: through DescribeTopicPartitions, with the ELR.
  const partitionsOf = async (topic: string) =>
    (await admin.describeTopicPartitions([topic]))[0]?.partitions ?? [];

  test("--describe shows leaders, replicas and ISRs of a replicated topic; no filter matches while all is well", async () => {
    const created = await on(
      "--create",
      "--topic",
      TOPIC,
      "--partitions",
      "3",
      "--replication-factor",
      "3",
      "--config",
      "min.insync.replicas=2",
    );
    assert.deepEqual(created, { code: 0, stdout: `Created topic ${TOPIC}.\n`, stderr: "" });
    // One replica only, on node 3: it has no leader once node 3 is gone.
    assert.equal((await on("--create", "--topic", "solo", "--replica-assignment", "3")).code, 0);

    const partitions = await waitFor("every replica in sync", async () => {
      const ps = await partitionsOf(TOPIC);
      return ps.length === 3 && ps.every((p) => p.isr.length === 3) ? ps : undefined;
    });
    assert.deepEqual(partitions.map((p) => p.leaderId).sort(), [1, 2, 3], "leaders spread over the nodes");
    const id = (await admin.metadata([TOPIC])).topics[0]?.topicId;
    const described = await on("--describe", "--topic", TOPIC);
    assert.equal(
      described.stdout,
      [
        `Topic: ${TOPIC}\tTopicId: ${id}\tPartitionCount: 3\tReplicationFactor: 3\tConfigs: min.insync.replicas=2`,
        ...partitions.map((p) => partitionLine(TOPIC, p)),
        "",
      ].join("\n"),
    );
    for (const filter of [
      "--under-replicated-partitions",
      "--unavailable-partitions",
      "--under-min-isr-partitions",
      "--at-min-isr-partitions",
    ]) {
      assert.deepEqual(
        await on("--describe", "--topic", TOPIC, filter),
        { code: 0, stdout: "", stderr: "" },
        filter,
      );
    }
    // As in Kafka, a topic with one replica and min.insync.replicas=1 is always "at min ISR".
    const [solo] = await partitionsOf("solo");
    assert.ok(solo);
    assert.equal(
      (await on("--describe", "--at-min-isr-partitions")).stdout,
      `${partitionLine("solo", solo)}\n`,
    );
  });

  test("a killed node: its partitions are listed as under-replicated and at min ISR once its session expires", async () => {
    await cluster.killNode(3);
    const lines = await waitFor("the partitions under-replicated", async () => {
      const run = await on("--describe", "--topic", TOPIC, "--under-replicated-partitions");
      const found = run.stdout.split("\n").filter((l) => l !== "");
      return found.length === 3 ? found : undefined;
    });
    const partitions = await partitionsOf(TOPIC);
    assert.deepEqual(
      lines,
      partitions.map((p) => partitionLine(TOPIC, p)),
    );
    for (const p of partitions) {
      assert.notEqual(p.leaderId, 3, "leadership moved to a live replica");
      assert.deepEqual([...p.isr].sort(), [1, 2]);
      assert.deepEqual([...p.replicas].sort(), [1, 2, 3]);
    }
    const atMin = await on("--describe", "--topic", TOPIC, "--at-min-isr-partitions");
    assert.equal(atMin.stdout, `${lines.join("\n")}\n`);
    assert.equal((await on("--describe", "--topic", TOPIC, "--under-min-isr-partitions")).stdout, "");

    // The single replica of "solo" was on node 3: no leader, so unavailable (and under min ISR).
    const [solo] = await partitionsOf("solo");
    assert.ok(solo);
    assert.equal(solo.leaderId, -1);
    assert.deepEqual(solo.isr, [], "its last in-sync replica left the ISR...");
    assert.deepEqual(solo.eligibleLeaderReplicas, [3], "...for the ELR");
    assert.deepEqual(solo.lastKnownElr, [3], "node 3 was its last leader");
    const unavailable = await on("--describe", "--unavailable-partitions");
    assert.equal(unavailable.stdout, `${partitionLine("solo", solo)}\n`);
    assert.match(unavailable.stdout, /\tLeader: none\t/);
  });

  test("a second node lost: below min ISR; the tool still works with dead nodes first in the bootstrap list", async () => {
    await cluster.killNode(1);
    const lines = await waitFor("the partitions under min ISR", async () => {
      const run = await on("--describe", "--topic", TOPIC, "--under-min-isr-partitions");
      const found = run.stdout.split("\n").filter((l) => l !== "");
      return found.length === 3 ? found : undefined;
    });
    const partitions = await partitionsOf(TOPIC);
    assert.deepEqual(
      lines,
      partitions.map((p) => partitionLine(TOPIC, p)),
    );
    for (const p of partitions) {
      assert.equal(p.leaderId, 2);
      assert.deepEqual(p.isr, [2]);
      // Below min ISR, the replica that left is eligible to lead (KIP-966): it holds all the
      // high watermark covers, which stays where it was while the ISR is below the minimum.
      assert.deepEqual(p.eligibleLeaderReplicas, [1]);
    }
    assert.match(lines[0] ?? "", /\tIsr: 2\tElr: 1\tLastKnownElr: $/);
    assert.equal((await on("--describe", "--topic", TOPIC, "--at-min-isr-partitions")).stdout, "");
    const created = await on("--create", "--topic", "after-failover", "--replication-factor", "3");
    assert.equal(created.code, 1);
    assert.equal(
      created.stdout,
      `${ERROR}Unable to replicate the partition 3 time(s): The target replication factor of 3 cannot be reached because only 1 broker(s) are registered.\n`,
    );
  });
});
