import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { lineSegments, wrapJustified } from "../../src/cli/options/argparse.js";
import { prettyPrintTable } from "../../src/cli/options/index.js";
import { readTransactionsArguments } from "../../src/cli/transactions/arguments.js";
import type { TransactionsAdmin } from "../../src/cli/transactions/command-support.js";
import { hangingTransactions, type OpenTransaction } from "../../src/cli/transactions/find-hanging.js";
import { runTransactionsCommand } from "../../src/cli/transactions/transactions-command.js";
import type {
  AbortTransactionSpec,
  DescribeProducersOptions,
  ListTransactionsOptions,
  PartitionProducerState,
  ProducerState,
  TopicMetadata,
  TopicPartition,
  TransactionDescription,
  TransactionListing,
} from "../../src/client/index.js";
import { ErrorCode, KafkaError, ZERO_UUID } from "../../src/protocol/index.js";

/*
 * `brook transactions` (kafka-transactions.sh) without a broker: the command line as argparse4j
 * 0.7.0 reads it (its errors compared with what Kafka's parser prints, captured from
 * TransactionsCommand's parser on argparse4j 0.7.0), Kafka's table layout, and each command over a
 * scripted admin client, as Kafka's TransactionsCommandTest drives its mocked Admin.
 */

const BOOTSTRAP = ["--bootstrap-server", "localhost:9092"];
const NOW = 1_700_000_000_000;
const MINUTE = 60_000;

/** A scripted admin client: each call answers from the test's tables and is recorded. */
class FakeAdmin implements TransactionsAdmin {
  readonly calls: string[] = [];
  listings = new Map<number, TransactionListing[]>();
  descriptions = new Map<string, TransactionDescription>();
  producers = new Map<string, PartitionProducerState>();
  topics: TopicMetadata[] = [];
  aborted: AbortTransactionSpec[] = [];
  abortError: Error | null = null;
  closed = false;

  async listTransactions(options: ListTransactionsOptions = {}): Promise<Map<number, TransactionListing[]>> {
    this.calls.push(`listTransactions ${JSON.stringify(options, bigints)}`);
    const ids = options.filterProducerIds;
    return new Map(
      [...this.listings].map(([b, ls]) => [
        b,
        ls.filter((l) => ids === undefined || ids.includes(l.producerId)),
      ]),
    );
  }

  async describeTransactions(ids: readonly string[]): Promise<TransactionDescription[]> {
    this.calls.push(`describeTransactions ${ids.join(",")}`);
    return ids.map(
      (id) =>
        this.descriptions.get(id) ?? {
          ...description(id, []),
          errorCode: ErrorCode.TRANSACTIONAL_ID_NOT_FOUND,
          errorMessage: `DescribeTransactions request for transactionalId \`${id}\` failed because the ID could not be found`,
        },
    );
  }

  async describeProducers(
    partitions: readonly TopicPartition[],
    options: DescribeProducersOptions = {},
  ): Promise<PartitionProducerState[]> {
    this.calls.push(
      `describeProducers ${partitions.map((tp) => `${tp.topic}-${tp.partition}`).join(",")} ${JSON.stringify(options)}`,
    );
    return partitions.map(
      (tp) =>
        this.producers.get(`${tp.topic}-${tp.partition}`) ?? {
          ...tp,
          errorCode: ErrorCode.NONE,
          errorMessage: null,
          activeProducers: [],
        },
    );
  }

  async abortTransaction(spec: AbortTransactionSpec): Promise<void> {
    this.calls.push("abortTransaction");
    if (this.abortError !== null) throw this.abortError;
    this.aborted.push(spec);
  }

  async listTopics(options: { listInternal?: boolean } = {}) {
    this.calls.push(`listTopics ${JSON.stringify(options)}`);
    return this.topics.map((t) => ({ name: t.name, topicId: t.topicId, isInternal: t.isInternal }));
  }

  async describeTopics(names: readonly string[]): Promise<TopicMetadata[]> {
    this.calls.push(`describeTopics ${names.join(",")}`);
    return names.map(
      (name) =>
        this.topics.find((t) => t.name === name) ?? {
          errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
          name,
          topicId: ZERO_UUID,
          isInternal: false,
          partitions: [],
        },
    );
  }

  close(): void {
    this.closed = true;
  }
}

const bigints = (_key: string, value: unknown) => (typeof value === "bigint" ? `${value}n` : value);

function description(transactionalId: string, partitions: TopicPartition[]): TransactionDescription {
  return {
    transactionalId,
    errorCode: ErrorCode.NONE,
    errorMessage: null,
    coordinatorId: 5,
    state: "Ongoing",
    producerId: 12345n,
    producerEpoch: 15,
    transactionTimeoutMs: 10000,
    transactionStartTimeMs: BigInt(NOW - 5000),
    topicPartitions: partitions,
  };
}

function producer(fields: Partial<ProducerState> = {}): ProducerState {
  return {
    producerId: 132n,
    producerEpoch: 5,
    lastSequence: 500,
    lastTimestamp: BigInt(NOW - 60 * MINUTE),
    coordinatorEpoch: 19,
    currentTransactionStartOffset: 29384n,
    ...fields,
  };
}

function producersOf(tp: string, ...activeProducers: ProducerState[]): [string, PartitionProducerState] {
  const dash = tp.lastIndexOf("-");
  return [
    tp,
    {
      topic: tp.slice(0, dash),
      partition: Number(tp.slice(dash + 1)),
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      activeProducers,
    },
  ];
}

async function run(args: string[], admin = new FakeAdmin()) {
  let stdout = "";
  let stderr = "";
  const code = await runTransactionsCommand(
    args,
    { out: (t) => (stdout += t), err: (t) => (stderr += t) },
    () => "9.9.9",
    { admin: () => admin, nowMs: () => NOW },
  );
  return { code, stdout, stderr, admin };
}

/** The output read back as Kafka's test reads it: lines split on whitespace. */
const table = (stdout: string) =>
  stdout
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => line.trim().split(/\s+/));

describe("the command line, as argparse4j 0.7.0 reads kafka-transactions.sh's", () => {
  test("Kafka's required arguments, each refused with exit code 1 and nothing sent", async () => {
    for (const args of [
      ["describe-producers", "--partition", "0"],
      ["describe-producers", "--topic", "foo"],
      ["describe"],
      ["abort", "--partition", "0", "--start-offset", "9990"],
      ["abort", "--topic", "foo", "--start-offset", "9990"],
    ]) {
      const r = await run([...BOOTSTRAP, ...args]);
      assert.equal(r.code, 1, args.join(" "));
      assert.match(r.stderr, /^usage: kafka-transactions\.sh --bootstrap-server host:port\s/);
      assert.match(r.stderr, /kafka-transactions\.sh: error: argument --\S+ is required\n$/);
      assert.deepEqual(r.admin.calls, []);
    }
  });

  test("a missing --bootstrap-server outranks a subcommand's missing option; no command at all is too few arguments", async () => {
    const r = await run(["describe"]);
    assert.equal(r.code, 1);
    assert.equal(
      r.stderr,
      `usage: kafka-transactions.sh [-h] [-v] [--command-config FILE]
                             --bootstrap-server host:port COMMAND ...
kafka-transactions.sh: error: argument --bootstrap-server is required
`,
    );
    assert.equal(
      (await run(BOOTSTRAP)).stderr.split("\n")[2],
      "kafka-transactions.sh: error: too few arguments",
    );
  });

  test("errors wrapped and justified to 75 columns, with Did you mean, as Kafka prints them", async () => {
    assert.equal(
      (await run([...BOOTSTRAP, "describe-producers", "--topic", "t", "--partition", "x"])).stderr,
      `usage: kafka-transactions.sh --bootstrap-server host:port
                             describe-producers [-h]
                             [--broker-id BROKER_ID] --topic TOPIC
                             --partition PARTITION
kafka-transactions.sh: error: argument --partition:  could  not convert 'x'
to Integer (For input string: "x")
`,
    );
    assert.equal(
      (
        await run([...BOOTSTRAP, "abort", "--topic", "t", "--partition", "0", "--producer-epoch", "99999"])
      ).stderr
        .split("\n")
        .slice(6)
        .join("\n"),
      `kafka-transactions.sh: error: argument --producer-epoch:  could not convert
'99999' to Short (Value out of range. Value:"99999" Radix:10)
`,
    );
    assert.equal(
      (await run([...BOOTSTRAP, "foo"])).stderr.split("\n").slice(2).join("\n"),
      `kafka-transactions.sh: error: invalid  choice:  'foo'  (choose from 'list',
'describe', 'describe-producers', 'abort', 'find-hanging')

Did you mean:
\tabort
`,
    );
    assert.equal(
      (await run([...BOOTSTRAP, "--bootstrap-serverr", "y", "list"])).stderr.split("\n").slice(2).join("\n"),
      `kafka-transactions.sh:   error:   unrecognized   arguments:   '--bootstrap-
serverr'

Did you mean:
\t--bootstrap-server
`,
    );
    assert.match(
      (await run([...BOOTSTRAP, "abort", "--topic", "t", "--p", "5"])).stderr,
      /error: {2}ambiguous {2}option: {3}--p {3}could {2}match {2}--\npartition, --producer-epoch, --producer-id\n$/,
    );
    assert.match(
      (await run([...BOOTSTRAP, "desc"])).stderr,
      /ambiguous +command: +desc +could +match\ndescribe, describe-producers\n$/,
    );
    assert.match((await run([...BOOTSTRAP, "list", "a", "b"])).stderr, /unrecognized arguments: 'a b'\n$/);
  });

  test("options and commands by unambiguous prefixes, --name=value, negative numbers as values, the last value kept", () => {
    const line = readTransactionsArguments([
      "--boot=h:1",
      "abort",
      "--top",
      "t",
      "--partition",
      "+3",
      "--start-offset=-5",
      "--coordinator-epoch",
      "-1",
      "--topic",
      "u",
    ]);
    assert.equal(line.kind, "run");
    assert.deepEqual(line.kind === "run" && line.arguments, {
      bootstrapServer: "h:1",
      commandConfig: undefined,
      command: {
        name: "abort",
        topic: "u",
        partition: 3,
        startOffset: -5n,
        producerId: null,
        producerEpoch: null,
        coordinatorEpoch: -1,
      },
    });
    const hanging = readTransactionsArguments([...BOOTSTRAP, "find-h", "--topic", "t"]);
    assert.deepEqual(hanging.kind === "run" && hanging.arguments.command, {
      name: "find-hanging",
      brokerId: null,
      maxTransactionTimeout: 15,
      topic: "t",
      partition: null,
    });
  });

  test("-h prints the parser's help on stdout and exits with 1, as Kafka's tool does; -v prints the version", async () => {
    const help = await run([...BOOTSTRAP, "list", "-h"]);
    assert.equal(help.code, 1);
    assert.equal(
      help.stdout,
      `usage: kafka-transactions.sh --bootstrap-server host:port list [-h]
                             [--duration-filter DURATION_FILTER]

optional arguments:
  -h, --help             show this help message and exit
  --duration-filter DURATION_FILTER
                         Duration (in millis) to  filter  by:  if  < 0, all
                         transactions will  be  returned;  otherwise,  only
                         transactions running  longer  than  this  duration
                         will be returned
`,
    );
    const main = await run(["-h"]);
    assert.match(main.stdout, /^commands:\n {2}COMMAND\n {4}list {17}list transactions\n/m);
    const version = await run(["-v", "--bogus"]);
    assert.deepEqual([version.code, version.stdout, version.stderr], [0, "9.9.9\n", ""]);
  });

  test("the wrap breaks where Java's line BreakIterator does on these texts", () => {
    assert.deepEqual(lineSegments("kafka-transactions.sh: '--bogus' Value:\"99999\" Radix:10"), [
      "kafka-",
      "transactions.",
      "sh: ",
      "'--",
      "bogus' ",
      'Value:"',
      '99999" ',
      "Radix:",
      "10",
    ]);
    assert.equal(wrapJustified("a b\n", 3), "a\nb\n");
    // Compared with argparse4j's TextHelper.wrap: the odd space goes to the middle runs.
    assert.equal(wrapJustified("aa bb cc dd\n", 9), "aa bb  cc\ndd\n");
    assert.equal(wrapJustified("a b c d e f g h\n", 8), "a b  c d\ne f g h\n");
  });
});

describe("tables, laid out as Kafka's prettyPrintTable", () => {
  test("each cell padded to its column's widest value and followed by a tab", () => {
    assert.equal(
      prettyPrintTable(
        ["ProducerId", "Epoch"],
        [
          ["1", "1234567"],
          ["123456789012", "2"],
        ],
      ),
      "ProducerId  \tEpoch  \t\n1           \t1234567\t\n123456789012\t2      \t\n",
    );
  });
});

describe("the commands over a scripted admin client", () => {
  test("list: a row per transactional id with its coordinator, ids of every broker; --duration-filter passed on", async () => {
    const admin = new FakeAdmin();
    admin.listings.set(0, [
      { transactionalId: "foo", producerId: 12345n, state: "Ongoing" },
      { transactionalId: "bar", producerId: 98765n, state: "PrepareAbort" },
    ]);
    admin.listings.set(1, [{ transactionalId: "baz", producerId: 13579n, state: "CompleteCommit" }]);
    const r = await run([...BOOTSTRAP, "list", "--duration-filter", "9223372036854775807"], admin);
    assert.equal(r.code, 0);
    assert.equal(
      r.stdout,
      "TransactionalId\tCoordinator\tProducerId\tTransactionState\t\n" +
        "foo            \t0          \t12345     \tOngoing         \t\n" +
        "bar            \t0          \t98765     \tPrepareAbort    \t\n" +
        "baz            \t1          \t13579     \tCompleteCommit  \t\n",
    );
    assert.deepEqual(admin.calls, ['listTransactions {"filterOnDuration":"9223372036854775807n"}']);
    assert.ok(admin.closed);
  });

  test("describe: the state, the duration so far and the partitions; an unknown id is Kafka's failure line", async () => {
    const admin = new FakeAdmin();
    admin.descriptions.set(
      "foo",
      description("foo", [
        { topic: "bar", partition: 0 },
        { topic: "bar", partition: 1 },
      ]),
    );
    const r = await run([...BOOTSTRAP, "describe", "--transactional-id", "foo"], admin);
    assert.equal(r.code, 0);
    assert.deepEqual(table(r.stdout), [
      [
        "CoordinatorId",
        "TransactionalId",
        "ProducerId",
        "ProducerEpoch",
        "TransactionState",
        "TransactionTimeoutMs",
        "CurrentTransactionStartTimeMs",
        "TransactionDurationMs",
        "TopicPartitions",
      ],
      ["5", "foo", "12345", "15", "Ongoing", "10000", String(NOW - 5000), "5000", "bar-0,bar-1"],
    ]);
    admin.descriptions.set("empty", {
      ...description("empty", []),
      state: "Empty",
      transactionStartTimeMs: null,
    });
    const empty = await run([...BOOTSTRAP, "describe", "--transactional-id", "empty"], admin);
    assert.deepEqual(table(empty.stdout)[1]?.slice(4), ["Empty", "10000", "None", "None"]);
    const missing = await run([...BOOTSTRAP, "describe", "--transactional-id", "nope"], admin);
    assert.equal(missing.code, 1);
    assert.equal(missing.stdout, "");
    assert.equal(
      missing.stderr,
      "Failed to describe transaction state of transactional-id `nope`: DescribeTransactions request for transactionalId `nope` failed because the ID could not be found. Enable debug logging for additional detail.\n",
    );
  });

  test("describe-producers: the leader's producers (None without an open transaction, -1 before any marker), or --broker-id's", async () => {
    const admin = new FakeAdmin();
    admin.producers = new Map([
      producersOf(
        "foo-5",
        producer({
          producerId: 12345n,
          producerEpoch: 15,
          lastSequence: 1300,
          lastTimestamp: 1599509565n,
          coordinatorEpoch: 20,
          currentTransactionStartOffset: 990n,
        }),
        producer({
          producerId: 98765n,
          producerEpoch: 30,
          lastSequence: 2300,
          lastTimestamp: 1599509599n,
          coordinatorEpoch: null,
          currentTransactionStartOffset: null,
        }),
      ),
    ]);
    const r = await run([...BOOTSTRAP, "describe-producers", "--topic", "foo", "--partition", "5"], admin);
    assert.equal(r.code, 0);
    assert.deepEqual(table(r.stdout), [
      [
        "ProducerId",
        "ProducerEpoch",
        "LatestCoordinatorEpoch",
        "LastSequence",
        "LastTimestamp",
        "CurrentTransactionStartOffset",
      ],
      ["12345", "15", "20", "1300", "1599509565", "990"],
      ["98765", "30", "-1", "2300", "1599509599", "None"],
    ]);
    await run(
      [...BOOTSTRAP, "describe-producers", "--topic", "foo", "--partition", "5", "--broker-id", "5"],
      admin,
    );
    assert.deepEqual(admin.calls, ["describeProducers foo-5 {}", 'describeProducers foo-5 {"brokerId":5}']);
    admin.producers.set("foo-6", {
      topic: "foo",
      partition: 6,
      errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER,
      errorMessage: "Failed to describe active producers for partition foo-6 on brokerId 2",
      activeProducers: [],
    });
    const failed = await run(
      [...BOOTSTRAP, "describe-producers", "--topic", "foo", "--partition", "6", "--broker-id", "2"],
      admin,
    );
    assert.equal(failed.code, 1);
    assert.equal(
      failed.stderr,
      "Failed to describe producers for partition foo-6 on broker 2: Failed to describe active producers for partition foo-6 on brokerId 2. Enable debug logging for additional detail.\n",
    );
  });

  test("abort --start-offset: the producer whose open transaction starts there, with its epochs", async () => {
    const admin = new FakeAdmin();
    admin.producers = new Map([
      producersOf(
        "foo-5",
        producer({ producerId: 1n, currentTransactionStartOffset: 100n }),
        producer({
          producerId: 12345n,
          producerEpoch: 15,
          coordinatorEpoch: 76,
          currentTransactionStartOffset: 9173n,
        }),
      ),
    ]);
    const r = await run(
      [...BOOTSTRAP, "abort", "--topic", "foo", "--partition", "5", "--start-offset", "9173"],
      admin,
    );
    assert.deepEqual([r.code, r.stdout, r.stderr], [0, "", ""]);
    assert.deepEqual(admin.aborted, [
      { topic: "foo", partition: 5, producerId: 12345n, producerEpoch: 15, coordinatorEpoch: 76 },
    ]);
    // Before its first marker a producer has no coordinator epoch: 0 is used.
    admin.producers.set(
      ...producersOf("foo-6", producer({ coordinatorEpoch: null, currentTransactionStartOffset: 7n })),
    );
    await run([...BOOTSTRAP, "abort", "--topic", "foo", "--partition", "6", "--start-offset", "7"], admin);
    assert.equal(admin.aborted[1]?.coordinatorEpoch, 0);
    const none = await run(
      [...BOOTSTRAP, "abort", "--topic", "foo", "--partition", "5", "--start-offset", "9174"],
      admin,
    );
    assert.equal(none.code, 1);
    assert.equal(
      none.stderr,
      "Could not find any open transactions starting at offset 9174 on partition foo-5\n",
    );
    assert.equal(admin.aborted.length, 2);
  });

  test("abort for older brokers: producer id and both epochs, a negative coordinator epoch raised to 0", async () => {
    for (const coordinatorEpoch of [29, -1]) {
      const admin = new FakeAdmin();
      const args = [
        "abort",
        "--topic",
        "foo",
        "--partition",
        "5",
        "--producer-id",
        "12345",
        "--producer-epoch",
        "15",
      ];
      const r = await run([...BOOTSTRAP, ...args, "--coordinator-epoch", String(coordinatorEpoch)], admin);
      assert.equal(r.code, 0);
      assert.deepEqual(admin.aborted, [
        {
          topic: "foo",
          partition: 5,
          producerId: 12345n,
          producerEpoch: 15,
          coordinatorEpoch: Math.max(0, coordinatorEpoch),
        },
      ]);
      assert.ok(!admin.calls.some((c) => c.startsWith("describeProducers")));
    }
    const failures: [string[], string][] = [
      [
        [],
        "The transaction to abort must be identified either with --start-offset (for brokers on 3.0 or above) or with --producer-id, --producer-epoch, and --coordinator-epoch (for older brokers)",
      ],
      [["--producer-id", "12345"], "Missing required argument --producer-epoch"],
      [["--producer-id", "12345", "--producer-epoch", "15"], "Missing required argument --coordinator-epoch"],
    ];
    for (const [extra, message] of failures) {
      const r = await run([...BOOTSTRAP, "abort", "--topic", "foo", "--partition", "0", ...extra]);
      assert.deepEqual([r.code, r.stderr], [1, `${message}\n`]);
    }
    const admin = new FakeAdmin();
    admin.abortError = new KafkaError(
      ErrorCode.INVALID_PRODUCER_EPOCH,
      "WriteTxnMarkers request with AbortTransactionSpec(topicPartition=foo-0, producerId=1, producerEpoch=2, coordinatorEpoch=3) failed due an invalid producer epoch",
    );
    const refused = await run(
      [
        ...BOOTSTRAP,
        "abort",
        "--topic",
        "foo",
        "--partition",
        "0",
        "--producer-id",
        "1",
        "--producer-epoch",
        "2",
        "--coordinator-epoch",
        "3",
      ],
      admin,
    );
    assert.equal(
      refused.stderr,
      "Failed to abort transaction AbortTransactionSpec(topicPartition=foo-0, producerId=1, producerEpoch=2, coordinatorEpoch=3): WriteTxnMarkers request with AbortTransactionSpec(topicPartition=foo-0, producerId=1, producerEpoch=2, coordinatorEpoch=3) failed due an invalid producer epoch. Enable debug logging for additional detail.\n",
    );
  });

  test("find-hanging needs --topic or --broker-id, and --topic with --partition", async () => {
    const none = await run([...BOOTSTRAP, "find-hanging"]);
    assert.deepEqual(
      [none.code, none.stderr],
      [
        1,
        "The `find-hanging` command requires either --topic or --broker-id to limit the scope of the search\n",
      ],
    );
    const partition = await run([...BOOTSTRAP, "find-hanging", "--broker-id", "0", "--partition", "5"]);
    assert.deepEqual(
      [partition.code, partition.stderr],
      [1, "The --partition argument requires --topic to be provided\n"],
    );
  });

  const HANGING_HEADERS = [
    "Topic",
    "Partition",
    "ProducerId",
    "ProducerEpoch",
    "CoordinatorEpoch",
    "StartOffset",
    "LastTimestamp",
    "Duration(min)",
  ];

  test("find-hanging --broker-id: every topic, internal ones too, and only the partitions it hosts", async () => {
    const admin = new FakeAdmin();
    const partition = (partitionIndex: number, replicas: number[]) => ({
      errorCode: 0,
      partitionIndex,
      leaderId: replicas[0] as number,
      leaderEpoch: 0,
      replicas,
      isr: replicas,
      offlineReplicas: [],
    });
    admin.topics = [
      {
        errorCode: 0,
        name: "foo",
        topicId: ZERO_UUID,
        isInternal: false,
        partitions: [partition(0, [0, 1]), partition(1, [1, 5])],
      },
    ];
    const r = await run([...BOOTSTRAP, "find-hanging", "--broker-id", "5"], admin);
    assert.equal(r.code, 0);
    assert.deepEqual(table(r.stdout), [HANGING_HEADERS]);
    assert.deepEqual(admin.calls, [
      'listTopics {"listInternal":true}',
      "describeTopics foo",
      'describeProducers foo-1 {"brokerId":5}',
    ]);
    const both = new FakeAdmin();
    both.topics = admin.topics;
    await run([...BOOTSTRAP, "find-hanging", "--topic", "foo"], both);
    assert.deepEqual(both.calls, ["describeTopics foo", "describeProducers foo-0,foo-1 {}"]);
    const unknown = await run([...BOOTSTRAP, "find-hanging", "--topic", "nope"], both);
    assert.deepEqual(
      [unknown.code, unknown.stderr],
      [
        1,
        "Failed to describe 1 topics: This server does not host this topic-partition.. Enable debug logging for additional detail.\n",
      ],
    );
  });

  test("find-hanging: an open transaction older than the timeout whose producer no coordinator lists is hanging", async () => {
    const admin = new FakeAdmin();
    admin.producers = new Map([producersOf("foo-5", producer())]);
    const r = await run([...BOOTSTRAP, "find-hanging", "--topic", "foo", "--partition", "5"], admin);
    assert.equal(r.code, 0);
    assert.deepEqual(table(r.stdout), [
      HANGING_HEADERS,
      ["foo", "5", "132", "5", "19", "29384", String(NOW - 60 * MINUTE), "60"],
    ]);
    assert.deepEqual(admin.calls, [
      "describeProducers foo-5 {}",
      'listTransactions {"filterProducerIds":["132n"]}',
    ]);
  });

  test("find-hanging: younger than --max-transaction-timeout, or no open transaction, is not looked at further", async () => {
    const admin = new FakeAdmin();
    admin.producers = new Map([
      producersOf(
        "foo-5",
        producer({ lastTimestamp: BigInt(NOW - 14 * MINUTE) }),
        producer({ producerId: 7n, currentTransactionStartOffset: null }),
      ),
    ]);
    const r = await run([...BOOTSTRAP, "find-hanging", "--topic", "foo", "--partition", "5"], admin);
    assert.deepEqual(table(r.stdout), [HANGING_HEADERS]);
    assert.deepEqual(admin.calls, ["describeProducers foo-5 {}"]);
    const shorter = await run(
      [...BOOTSTRAP, "find-hanging", "--topic", "foo", "--partition", "5", "--max-transaction-timeout", "10"],
      admin,
    );
    assert.equal(table(shorter.stdout).length, 2);
  });

  test("find-hanging: an id whose coordinator lost it, or whose transaction is on other partitions, is hanging; on the partition it is not", async () => {
    const listing = { transactionalId: "bar", producerId: 132n, state: "Ongoing" };
    const cases: [TransactionDescription | undefined, number][] = [
      [undefined, 2],
      [description("bar", [{ topic: "foo", partition: 10 }]), 2],
      [description("bar", [{ topic: "foo", partition: 5 }]), 1],
    ];
    for (const [found, rows] of cases) {
      const admin = new FakeAdmin();
      admin.producers = new Map([producersOf("foo-5", producer())]);
      admin.listings.set(1, [listing]);
      if (found !== undefined) admin.descriptions.set("bar", found);
      const r = await run([...BOOTSTRAP, "find-hanging", "--topic", "foo", "--partition", "5"], admin);
      assert.equal(r.code, 0);
      assert.equal(table(r.stdout).length, rows);
      assert.equal(admin.calls.at(-1), "describeTransactions bar");
    }
  });

  test("hanging transactions grouped by producer: each partition judged against the id's transaction", () => {
    const open = (topic: string, partition: number, producerId: bigint): OpenTransaction => ({
      topic,
      partition,
      producer: producer({ producerId }),
    });
    const byProducer = new Map([
      [1n, [open("a", 0, 1n), open("a", 1, 1n)]],
      [2n, [open("b", 0, 2n)]],
      [3n, [open("c", 0, 3n)]],
    ]);
    const hanging = hangingTransactions(
      byProducer,
      new Map([
        [1n, "one"],
        [2n, "two"],
      ]),
      new Map<string, TransactionDescription | null>([
        ["one", description("one", [{ topic: "a", partition: 1 }])],
        ["two", null],
      ]),
    );
    assert.deepEqual(
      hanging.map((t) => `${t.topic}-${t.partition}`),
      ["a-0", "b-0", "c-0"],
    );
  });

  test("--command-config that cannot be read is Kafka's failure line", async () => {
    const r = await run([...BOOTSTRAP, "--command-config", "/nonexistent/admin.properties", "list"]);
    assert.deepEqual(
      [r.code, r.stderr],
      [
        1,
        "Failed to load admin client properties: /nonexistent/admin.properties. Enable debug logging for additional detail.\n",
      ],
    );
  });
});
